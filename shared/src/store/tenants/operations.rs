//! The store's tenant operations: create, read (by id, by slug), replace and the limited
//! and limit-recording writes, and the stats counters.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::domain::invitation::InvitationChange;
use crate::domain::stats;
use crate::domain::{AdminGrant, ChangeEvent, Slug, Tenant, TenantId};
use crate::error::ApiError;
use crate::store::dynamo::sdk_error;
use crate::store::events::event_put;
use crate::store::item::{from_item, to_item};
use crate::store::transaction::{put_new, Outcome, TransactWrite};
use crate::store::{grants, keys, Store};

use super::writes::{counter_update, tenant_put_if};
use super::{
    tenant_from_item, tenant_item, tenant_put, Created, LimitedWrite, ScopeItem, SlugItem,
};

impl Store {
    /// Writes a new tenant, its slug reservation, its scope, the counters, its initial
    /// `admins`, its first (pending) `domains` and its `tenant.created` event in one
    /// transaction. Fails with
    /// `slug_conflict` if the slug was ever taken; reports an existing tenant with the same
    /// id as [`Created::IdTaken`] (and then writes nothing, the event neither).
    pub async fn create(
        &self,
        tenant: &Tenant,
        create_hash: &str,
        admins: &[AdminGrant],
        domains: &[crate::domain::domains::DomainClaim],
        event: &ChangeEvent,
    ) -> Result<Created, ApiError> {
        let table = self.table();
        let slug = to_item(&SlugItem {
            pk: keys::slug_pk(tenant.slug.as_str()),
            sk: keys::SLUG_SK.to_owned(),
            entity: "slug".to_owned(),
            slug: tenant.slug.clone(),
            tenant_id: tenant.id.clone(),
            created_at: tenant.created_at.clone(),
        })?;
        let scope = to_item(&ScopeItem {
            pk: keys::scope_pk(tenant.scope_id.as_str()),
            sk: keys::SCOPE_SK.to_owned(),
            entity: "scope".to_owned(),
            scope_id: tenant.scope_id.to_string(),
            tenant_id: tenant.id.clone(),
            created_at: tenant.created_at.clone(),
        })?;
        let mut tx = TransactWrite::new();
        let tenant_op = tx.push(put_new(table, tenant_item(tenant, create_hash)?, true)?);
        let slug_op = tx.push(put_new(table, slug, false)?);
        tx.push(put_new(table, scope, false)?);
        tx.push(counter_update(
            table,
            &tenant.id,
            &stats::delta(None, tenant),
        )?);
        for grant in admins {
            tx.extend(grants::grant_ops(table, grant)?);
        }
        if !admins.is_empty() {
            tx.push(grants::count_update(
                table,
                &tenant.id,
                admins.len() as i64,
                false,
            )?);
        }
        for claim in domains {
            tx.push(crate::store::domains::claim_put(table, claim)?);
        }
        tx.push(event_put(self, event)?);
        let outcome = tx.run(self).await?;
        if outcome.refused(tenant_op) {
            let Outcome::Refused { old, .. } = outcome else {
                return Err(ApiError::internal(
                    "creating a tenant",
                    "refused without a reason",
                ));
            };
            let existing = match old {
                Some(old) => tenant_from_item(old)?,
                None => self.get_with_hash(&tenant.id).await?,
            };
            return match existing {
                Some((existing, hash)) => Ok(Created::IdTaken(Box::new(existing), hash)),
                // The id is held by something that is not a tenant: treat as taken.
                None => Err(ApiError::IdConflict(tenant.id.to_string())),
            };
        }
        match outcome {
            Outcome::Committed => Ok(Created::New),
            _ if outcome.refused(slug_op) => Err(ApiError::SlugConflict(tenant.slug.to_string())),
            _ => Err(ApiError::internal(
                "creating a tenant",
                "a condition failed on a fresh scope id, admin grant or event id",
            )),
        }
    }

    /// Reads tenant `id` (strongly consistent), with its create digest.
    pub async fn get_with_hash(&self, id: &TenantId) -> Result<Option<(Tenant, String)>, ApiError> {
        match self
            .get_one(keys::tenant_key(id.as_str()), "reading a tenant")
            .await?
        {
            Some(item) => tenant_from_item(item),
            None => Ok(None),
        }
    }

    /// Reads tenant `id` (strongly consistent).
    pub async fn get(&self, id: &TenantId) -> Result<Option<Tenant>, ApiError> {
        Ok(self.get_with_hash(id).await?.map(|(tenant, _)| tenant))
    }

    /// Reads a tenant by slug: one index query in the common case; a tenant created a
    /// moment ago (not yet in the eventually consistent index) is found through its
    /// strongly consistent slug reservation instead.
    pub async fn get_by_slug(&self, slug: &Slug) -> Result<Option<Tenant>, ApiError> {
        let output = self
            .client
            .query()
            .table_name(self.table())
            .index_name(keys::GSI3)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", keys::GSI3PK)
            .expression_attribute_values(":pk", AttributeValue::S(keys::slug_pk(slug.as_str())))
            .limit(1)
            .send()
            .await
            .map_err(sdk_error("querying the slug index"))?;
        for item in output.items.unwrap_or_default() {
            if let Some((tenant, _)) = tenant_from_item(item)? {
                return Ok(Some(tenant));
            }
        }
        self.get_by_slug_reservation(slug).await
    }

    /// The tenant holding slug `slug`, by its reservation and then by key (no index): two
    /// strongly consistent key reads.
    pub async fn get_by_slug_reservation(&self, slug: &Slug) -> Result<Option<Tenant>, ApiError> {
        let key = keys::key(keys::slug_pk(slug.as_str()), keys::SLUG_SK);
        match self.get_one(key, "reading a slug reservation").await? {
            Some(item) => {
                let reservation: SlugItem = from_item(item)?;
                self.get(&reservation.tenant_id).await
            }
            None => Ok(None),
        }
    }

    /// Replaces tenant `before` with `after` if nobody changed it in between (same
    /// version), with its change `event` and the counter changes, if any, in one
    /// transaction. Returns `false` if the tenant changed meanwhile (nothing is written).
    pub async fn replace(
        &self,
        before: &Tenant,
        after: &Tenant,
        create_hash: &str,
        event: &ChangeEvent,
    ) -> Result<bool, ApiError> {
        self.write_tenant(
            before,
            after,
            create_hash,
            &InvitationChange::None,
            std::slice::from_ref(event),
        )
        .await
    }

    /// [`Self::replace`] with any number of `events` (none for bookkeeping such as a step's
    /// lease) and the `invitation` items the change issues or revokes.
    pub async fn write_tenant(
        &self,
        before: &Tenant,
        after: &Tenant,
        create_hash: &str,
        invitation: &InvitationChange,
        events: &[ChangeEvent],
    ) -> Result<bool, ApiError> {
        let written = self
            .write_tenant_limited(before, after, create_hash, invitation, events, None)
            .await?;
        Ok(written == LimitedWrite::Written)
    }

    /// [`Self::write_tenant`] of a change to the tenant's limits or status, which also
    /// records `limits` on its usage item in the same transaction. `false` when the tenant
    /// or the counters the change read changed meanwhile (nothing is written).
    pub async fn write_tenant_limits(
        &self,
        before: &Tenant,
        after: &Tenant,
        create_hash: &str,
        events: &[ChangeEvent],
        limits: &crate::store::usage::LimitsChange,
    ) -> Result<bool, ApiError> {
        let mut tx = TransactWrite::new();
        let tenant_op = tx.push(tenant_put(self.table(), before, after, create_hash)?);
        let limits_op = tx.push(crate::store::usage::limits_update(self.table(), limits)?);
        let delta = stats::delta(Some(before), after);
        if !delta.is_empty() {
            tx.push(counter_update(self.table(), &after.id, &delta)?);
        }
        for event in events {
            tx.push(event_put(self, event)?);
        }
        match tx.run(self).await? {
            Outcome::Committed => Ok(true),
            outcome if outcome.refused(tenant_op) || outcome.refused(limits_op) => Ok(false),
            _ => Err(ApiError::internal(
                "updating a tenant's limits",
                "a condition failed on a fresh event id",
            )),
        }
    }

    /// [`Self::write_tenant`] under the resend limit: with `resent_by`, the write also
    /// requires (in its condition, so that concurrent resends cannot both pass) that the
    /// stored tenant's invitation was not resent after `resent_by` (epoch seconds).
    pub async fn write_tenant_limited(
        &self,
        before: &Tenant,
        after: &Tenant,
        create_hash: &str,
        invitation: &InvitationChange,
        events: &[ChangeEvent],
        resent_by: Option<i64>,
    ) -> Result<LimitedWrite, ApiError> {
        let mut tx = TransactWrite::new();
        let tenant_op = tx.push(tenant_put_if(
            self.table(),
            before,
            after,
            create_hash,
            resent_by,
        )?);
        let delta = stats::delta(Some(before), after);
        if !delta.is_empty() {
            tx.push(counter_update(self.table(), &after.id, &delta)?);
        }
        tx.extend(crate::store::invitations::invitation_ops(
            self.table(),
            invitation,
        )?);
        for event in events {
            tx.push(event_put(self, event)?);
        }
        // The transaction's client token makes a retried send that already committed
        // succeed instead of failing its own version condition.
        match tx.run(self).await? {
            Outcome::Committed => Ok(LimitedWrite::Written),
            outcome if outcome.refused(tenant_op) => {
                let Some(cutoff) = resent_by else {
                    return Ok(LimitedWrite::Stale);
                };
                // Which part of the condition failed: the stored item tells (the tenant put
                // is the transaction's first operation, whose item a refusal returns).
                let stored = match outcome {
                    Outcome::Refused { old: Some(old), .. } => tenant_from_item(old)?,
                    _ => self.get_with_hash(&before.id).await?,
                };
                Ok(match stored {
                    Some((tenant, _)) if tenant.version == before.version => {
                        match tenant.provisioning_state.invitation_resent_at {
                            Some(at) if at > cutoff => LimitedWrite::TooSoon { resent_at: at },
                            _ => LimitedWrite::Stale,
                        }
                    }
                    _ => LimitedWrite::Stale,
                })
            }
            _ => Err(ApiError::internal(
                "updating a tenant",
                "a condition failed on a fresh event id or invitation",
            )),
        }
    }

    /// Reads every stats counter shard in one query.
    pub async fn counter_shards(&self) -> Result<Vec<HashMap<String, i64>>, ApiError> {
        let output = self
            .client
            .query()
            .table_name(self.table())
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_values(":pk", AttributeValue::S(keys::STATS_PK.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error("reading the stats counters"))?;
        Ok(output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                item.into_iter()
                    .filter_map(|(k, v)| match v {
                        AttributeValue::N(n) => n.parse::<i64>().ok().map(|n| (k, n)),
                        _ => None,
                    })
                    .collect()
            })
            .collect())
    }
}
