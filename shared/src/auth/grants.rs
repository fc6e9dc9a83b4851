//! Tenant admin grants, stored in both directions in one transaction: tenant → user
//! (`TENANT#<id>` / `ADMIN#<user>`, to list a tenant's admins) and user → tenant
//! (`USER#<user>` / `TENANT#<id>`, to find every tenant a user administers). A count item
//! per tenant (`ADMINS`) lets a revoke refuse to remove the last admin atomically.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};

use crate::cursor::{page_of, CursorCodec, Position};
use crate::error::ApiError;
use crate::keys;
use crate::model::TenantStatus;
use crate::store::{from_item, map_sdk_error, to_item, Store};
use crate::validation::UserId;

/// Most grants a user's tenant listing reads (its visible tenants are read in full).
pub const MAX_GRANTS_PER_USER: usize = 1_000;

/// A tenant's grant of `tenant_admin` to a user (tenant → user item).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdminGrant {
    pub tenant_id: String,
    pub user_id: String,
    pub granted_at: String,
    pub granted_by: String,
}

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

/// What a grant found.
#[derive(Debug)]
pub enum Granted {
    /// The user was made an admin.
    New(AdminGrant),
    /// The user already was an admin; nothing changed.
    Existing(AdminGrant),
}

/// What a revoke found.
#[derive(Debug, PartialEq, Eq)]
pub enum Revoked {
    /// The grant was removed.
    Done,
    /// The user is not an admin of the tenant.
    NotAdmin,
    /// The user is the tenant's last admin and the caller may not remove them.
    LastAdmin,
}

/// One page of a tenant's admins.
#[derive(Debug)]
pub struct AdminPage {
    pub items: Vec<AdminGrant>,
    pub next_cursor: Option<String>,
}

fn fingerprint(tenant_id: &str) -> String {
    format!("admins:{tenant_id}")
}

impl Store {
    /// The transaction items writing `grant` in both directions (count it with
    /// [`Store::admin_count_update`]); for a new tenant's initial admins and for
    /// [`Store::grant_admin`].
    pub fn grant_items(&self, grant: &AdminGrant) -> Result<Vec<TransactWriteItem>, ApiError> {
        let forward = GrantItem {
            pk: keys::tenant_pk(&grant.tenant_id),
            sk: keys::admin_sk(&grant.user_id),
            entity: "admin".to_owned(),
            role: "tenant_admin".to_owned(),
            grant: grant.clone(),
        };
        let reverse = GrantItem {
            pk: keys::user_pk(&grant.user_id),
            sk: keys::user_grant_sk(&grant.tenant_id),
            entity: "membership".to_owned(),
            role: "tenant_admin".to_owned(),
            grant: grant.clone(),
        };
        let put = |item: &GrantItem, old: ReturnValuesOnConditionCheckFailure| {
            Put::builder()
                .table_name(self.table())
                .set_item(Some(to_item(item)?))
                .condition_expression("attribute_not_exists(PK)")
                .return_values_on_condition_check_failure(old)
                .build()
                .map(|p| TransactWriteItem::builder().put(p).build())
                .map_err(ApiError::internal)
        };
        Ok(vec![
            put(&forward, ReturnValuesOnConditionCheckFailure::AllOld)?,
            put(&reverse, ReturnValuesOnConditionCheckFailure::None)?,
        ])
    }

    /// The transaction item adding `by` to a tenant's admin count (with `keep_one`, only
    /// if at least one admin remains). A transaction may touch the count once, so several
    /// grants in one transaction share one update.
    pub fn admin_count_update(
        &self,
        tenant_id: &str,
        by: i64,
        keep_one: bool,
    ) -> Result<TransactWriteItem, ApiError> {
        let mut update = Update::builder()
            .table_name(self.table())
            .set_key(Some(keys::key(
                keys::tenant_pk(tenant_id),
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
            .update(update.build().map_err(ApiError::internal)?)
            .build())
    }

    /// Makes `grant.user_id` an admin of `grant.tenant_id` if the tenant exists and is not
    /// deleted. Granting twice changes nothing.
    pub async fn grant_admin(&self, grant: &AdminGrant) -> Result<Granted, ApiError> {
        let check = ConditionCheck::builder()
            .table_name(self.table())
            .set_key(Some(keys::tenant_key(&grant.tenant_id)))
            .condition_expression("attribute_exists(PK) AND #s <> :deleted")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(
                ":deleted",
                AttributeValue::S(TenantStatus::Deleted.as_str().to_owned()),
            )
            .build()
            .map_err(ApiError::internal)?;
        let mut items = vec![TransactWriteItem::builder().condition_check(check).build()];
        items.extend(self.grant_items(grant)?);
        items.push(self.admin_count_update(&grant.tenant_id, 1, false)?);
        match self.transact_items(items).await? {
            None => Ok(Granted::New(grant.clone())),
            Some(failed) if failed.contains(&0) => Err(ApiError::NotFound(format!(
                "no tenant with id '{}'",
                grant.tenant_id
            ))),
            Some(_) => match self.admin_grant(&grant.tenant_id, &grant.user_id).await? {
                Some(existing) => Ok(Granted::Existing(existing)),
                // Revoked between our write and this read: the grant did not happen.
                None => Err(ApiError::Unavailable(
                    "the grant changed concurrently".to_owned(),
                )),
            },
        }
    }

    /// Removes `user_id`'s admin grant on `tenant_id`. With `keep_one`, refuses to remove
    /// the last admin.
    pub async fn revoke_admin(
        &self,
        tenant_id: &str,
        user_id: &str,
        keep_one: bool,
    ) -> Result<Revoked, ApiError> {
        let delete = |pk: String, sk: String| {
            Delete::builder()
                .table_name(self.table())
                .set_key(Some(keys::key(pk, &sk)))
                .condition_expression("attribute_exists(PK)")
                .build()
                .map(|d| TransactWriteItem::builder().delete(d).build())
                .map_err(ApiError::internal)
        };
        let items = vec![
            delete(keys::tenant_pk(tenant_id), keys::admin_sk(user_id))?,
            delete(keys::user_pk(user_id), keys::user_grant_sk(tenant_id))?,
            self.admin_count_update(tenant_id, -1, keep_one)?,
        ];
        match self.transact_items(items).await? {
            None => Ok(Revoked::Done),
            Some(failed) if failed.contains(&0) => Ok(Revoked::NotAdmin),
            Some(failed) if failed.contains(&2) => Ok(Revoked::LastAdmin),
            Some(_) => Err(ApiError::internal(
                "admin grant present in one direction only",
            )),
        }
    }

    /// The admin grant of `user_id` on `tenant_id` (strongly consistent).
    pub async fn admin_grant(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<Option<AdminGrant>, ApiError> {
        let output = self
            .client()
            .get_item()
            .table_name(self.table())
            .set_key(Some(keys::key(
                keys::tenant_pk(tenant_id),
                &keys::admin_sk(user_id),
            )))
            .consistent_read(true)
            .send()
            .await
            .map_err(map_sdk_error)?;
        output
            .item
            .map(|item| from_item::<GrantItem>(item).map(|g| g.grant))
            .transpose()
    }

    /// One page of tenant `tenant_id`'s admins, by user id.
    pub async fn list_admins(
        &self,
        tenant_id: &str,
        limit: usize,
        cursor: Option<&str>,
        codec: &CursorCodec,
    ) -> Result<AdminPage, ApiError> {
        let print = fingerprint(tenant_id);
        let start = match cursor {
            None => None,
            Some(cursor) => {
                let p = codec.decode_any(cursor, &print)?;
                let user = UserId::parse(&p.id).map_err(|_| ApiError::InvalidCursor)?;
                Some(keys::key(
                    keys::tenant_pk(tenant_id),
                    &keys::admin_sk(user.as_str()),
                ))
            }
        };
        let output = self
            .client()
            .query()
            .table_name(self.table())
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .set_expression_attribute_names(Some(HashMap::from([
                ("#pk".to_owned(), keys::PK.to_owned()),
                ("#sk".to_owned(), keys::SK.to_owned()),
            ])))
            .set_expression_attribute_values(Some(HashMap::from([
                (
                    ":pk".to_owned(),
                    AttributeValue::S(keys::tenant_pk(tenant_id)),
                ),
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
            .map_err(map_sdk_error)?;
        let items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<GrantItem>(item).map(|g| g.grant))
            .collect::<Result<Vec<_>, _>>()?;
        let (items, next_cursor) = page_of(codec, items, limit, &print, |g| Position {
            created_at: String::new(),
            id: g.user_id.clone(),
        });
        Ok(AdminPage { items, next_cursor })
    }

    /// The ids of every tenant `user_id` holds an admin grant on (up to
    /// [`MAX_GRANTS_PER_USER`]).
    pub async fn user_grants(&self, user_id: &str) -> Result<Vec<String>, ApiError> {
        let mut tenants = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client()
                .query()
                .table_name(self.table())
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#sk", keys::SK)
                .expression_attribute_values(":pk", AttributeValue::S(keys::user_pk(user_id)))
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
                .map_err(map_sdk_error)?;
            for item in output.items.unwrap_or_default() {
                if let Some(AttributeValue::S(id)) = item.get("tenantId") {
                    tenants.push(id.clone());
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
