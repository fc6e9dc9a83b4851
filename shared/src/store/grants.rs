//! Tenant admin grants, stored in both directions in one transaction: tenant → user
//! (`TENANT#<id>` / `ADMIN#<user>`, to list a tenant's admins) and user → tenant
//! (`USER#<user>` / `TENANT#<id>`, to find every tenant a user administers). A count item
//! per tenant (`ADMINS`) lets a revoke refuse to remove the last admin atomically.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::cursor::{page_of, CursorCodec, Position};
use super::dynamo::sdk_error;
use super::events::event_put;
use super::item::{from_item, to_item};
use super::tenants::version_check;
use super::transaction::{delete_existing, put_new, Outcome, TransactWrite};
use super::{keys, Store};
use crate::domain::admin::{Granted, Revoked};
use crate::domain::{AdminGrant, ChangeEvent, Page, TenantId, UserId};
use crate::error::{ApiError, Context};

/// Most grants a user's tenant listing reads (its visible tenants are read in full).
pub const MAX_GRANTS_PER_USER: usize = 1_000;

/// Storage shape of both grant items.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrantItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    role: String,
    #[serde(flatten)]
    grant: AdminGrant,
}

fn fingerprint(tenant_id: &TenantId) -> String {
    format!("admins:{tenant_id}")
}

/// The two puts writing `grant` in both directions (count it with [`count_update`]); the
/// first returns the existing grant if there is one.
pub(crate) fn grant_ops(
    table: &str,
    grant: &AdminGrant,
) -> Result<[TransactWriteItem; 2], ApiError> {
    let item = |pk: String, sk: String, entity: &str| GrantItem {
        pk,
        sk,
        entity: entity.to_owned(),
        role: "tenant_admin".to_owned(),
        grant: grant.clone(),
    };
    let (tenant, user) = (grant.tenant_id.as_str(), grant.user_id.as_str());
    let forward = item(keys::tenant_pk(tenant), keys::admin_sk(user), "admin");
    let reverse = item(
        keys::user_pk(user),
        keys::user_grant_sk(tenant),
        "membership",
    );
    Ok([
        put_new(table, to_item(&forward)?, true)?,
        put_new(table, to_item(&reverse)?, false)?,
    ])
}

/// The update adding `by` to a tenant's admin count (with `keep_one`, only if at least one
/// admin remains). A transaction may touch the count once, so several grants in one
/// transaction share one update.
pub(crate) fn count_update(
    table: &str,
    tenant_id: &TenantId,
    by: i64,
    keep_one: bool,
) -> Result<TransactWriteItem, ApiError> {
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(keys::key(
            keys::tenant_pk(tenant_id.as_str()),
            keys::ADMIN_COUNT_SK,
        )))
        .update_expression("SET #e = :e ADD #c :by")
        .expression_attribute_names("#e", keys::ENTITY)
        .expression_attribute_names("#c", "count")
        .expression_attribute_values(":e", AttributeValue::S("admincount".to_owned()))
        .expression_attribute_values(":by", AttributeValue::N(by.to_string()));
    if keep_one {
        update = update
            .condition_expression("#c > :one")
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()));
    }
    Ok(TransactWriteItem::builder()
        .update(update.build().context("building an admin count update")?)
        .build())
}

impl Store {
    /// Makes `grant.user_id` an admin of `grant.tenant_id`, with its `event`, if the tenant
    /// is not deleted and still at `version`. Granting twice changes nothing (and writes no
    /// event). `None`: the tenant is deleted, missing or at another version (re-read it).
    pub async fn grant_admin(
        &self,
        grant: &AdminGrant,
        version: i64,
        event: &ChangeEvent,
    ) -> Result<Option<Granted>, ApiError> {
        let table = self.table();
        let mut tx = TransactWrite::new();
        let current = tx.push(version_check(table, &grant.tenant_id, version, true)?);
        let [forward, reverse] = grant_ops(table, grant)?;
        let forward = tx.push(forward);
        tx.push(reverse);
        tx.push(count_update(table, &grant.tenant_id, 1, false)?);
        tx.push(event_put(self, event)?);
        match tx.run(self).await? {
            Outcome::Committed => Ok(Some(Granted::New(grant.clone()))),
            outcome if outcome.refused(current) => Ok(None),
            outcome if outcome.refused(forward) => {
                match self.admin_grant(&grant.tenant_id, &grant.user_id).await? {
                    Some(existing) => Ok(Some(Granted::Existing(existing))),
                    // Revoked between our write and this read: the grant did not happen.
                    None => Err(ApiError::Unavailable(
                        "the grant changed concurrently".to_owned(),
                    )),
                }
            }
            _ => Err(ApiError::internal(
                "granting an admin",
                "admin grant present in one direction only",
            )),
        }
    }

    /// Removes `user_id`'s admin grant on `tenant_id`, with its `event`, if the tenant is
    /// still at `version`. With `keep_one`, refuses to remove the last admin. `None`: the
    /// tenant is missing or at another version (re-read it).
    pub async fn revoke_admin(
        &self,
        tenant_id: &TenantId,
        user_id: &UserId,
        keep_one: bool,
        version: i64,
        event: &ChangeEvent,
    ) -> Result<Option<Revoked>, ApiError> {
        let table = self.table();
        let (tenant, user) = (tenant_id.as_str(), user_id.as_str());
        let mut tx = TransactWrite::new();
        let current = tx.push(version_check(table, tenant_id, version, false)?);
        let forward = tx.push(delete_existing(
            table,
            keys::key(keys::tenant_pk(tenant), &keys::admin_sk(user)),
        )?);
        tx.push(delete_existing(
            table,
            keys::key(keys::user_pk(user), &keys::user_grant_sk(tenant)),
        )?);
        let count = tx.push(count_update(table, tenant_id, -1, keep_one)?);
        tx.push(event_put(self, event)?);
        match tx.run(self).await? {
            Outcome::Committed => Ok(Some(Revoked::Done)),
            outcome if outcome.refused(current) => Ok(None),
            outcome if outcome.refused(forward) => Ok(Some(Revoked::NotAdmin)),
            outcome if outcome.refused(count) => Ok(Some(Revoked::LastAdmin)),
            _ => Err(ApiError::internal(
                "revoking an admin",
                "admin grant present in one direction only",
            )),
        }
    }

    /// The admin grant of `user_id` on `tenant_id` (strongly consistent).
    pub async fn admin_grant(
        &self,
        tenant_id: &TenantId,
        user_id: &UserId,
    ) -> Result<Option<AdminGrant>, ApiError> {
        let key = keys::key(
            keys::tenant_pk(tenant_id.as_str()),
            &keys::admin_sk(user_id.as_str()),
        );
        self.get_one(key, "reading an admin grant")
            .await?
            .map(|item| from_item::<GrantItem>(item).map(|g| g.grant))
            .transpose()
    }

    /// One page of tenant `tenant_id`'s admins, by user id.
    pub async fn list_admins(
        &self,
        tenant_id: &TenantId,
        limit: usize,
        cursor: Option<&str>,
        codec: &CursorCodec,
    ) -> Result<Page<AdminGrant>, ApiError> {
        let print = fingerprint(tenant_id);
        let partition = keys::tenant_pk(tenant_id.as_str());
        let start = match cursor {
            None => None,
            Some(cursor) => {
                let p = codec.decode_any(cursor, &print)?;
                let user = UserId::parse(&p.id).map_err(|_| ApiError::InvalidCursor)?;
                Some(keys::key(partition.clone(), &keys::admin_sk(user.as_str())))
            }
        };
        let output = self
            .client
            .query()
            .table_name(self.table())
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .set_expression_attribute_names(Some(HashMap::from([
                ("#pk".to_owned(), keys::PK.to_owned()),
                ("#sk".to_owned(), keys::SK.to_owned()),
            ])))
            .set_expression_attribute_values(Some(HashMap::from([
                (":pk".to_owned(), AttributeValue::S(partition)),
                (
                    ":prefix".to_owned(),
                    AttributeValue::S(keys::ADMIN_SK_PREFIX.to_owned()),
                ),
            ])))
            .set_exclusive_start_key(start)
            .consistent_read(true)
            .limit(limit as i32 + 1)
            .send()
            .await
            .map_err(sdk_error("listing a tenant's admins"))?;
        let items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<GrantItem>(item).map(|g| g.grant))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_of(codec, items, limit, &print, |g| Position {
            created_at: String::new(),
            id: g.user_id.to_string(),
        }))
    }

    /// The ids of every tenant `user_id` holds an admin grant on (up to
    /// [`MAX_GRANTS_PER_USER`]).
    pub async fn user_grants(&self, user_id: &UserId) -> Result<Vec<TenantId>, ApiError> {
        let mut tenants = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(self.table())
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#sk", keys::SK)
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(keys::user_pk(user_id.as_str())),
                )
                .expression_attribute_values(
                    ":prefix",
                    AttributeValue::S(keys::USER_GRANT_SK_PREFIX.to_owned()),
                )
                .projection_expression("tenantId")
                // A grant made a moment ago must show in the user's very next listing.
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error("reading a user's grants"))?;
            for item in output.items.unwrap_or_default() {
                if let Some(AttributeValue::S(id)) = item.get("tenantId") {
                    if let Ok(id) = TenantId::parse(id) {
                        tenants.push(id);
                    }
                }
            }
            match output.last_evaluated_key {
                Some(key) if tenants.len() < MAX_GRANTS_PER_USER => start = Some(key),
                _ => break,
            }
        }
        tenants.truncate(MAX_GRANTS_PER_USER);
        Ok(tenants)
    }
}
