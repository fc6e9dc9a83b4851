//! Tenants in storage: the tenant item, its slug reservation, its scope and the stats
//! counter shards, and the transactions that create and change them.
//!
//! The tenant item holds the API fields under their API names (so a new field needs no
//! storage code), `metadata` as JSON text (stored exactly as validated, whatever its
//! nesting), plus its keys, index attributes, `nameLower` for search and the digest of
//! the create request.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::dynamo::sdk_error;
use super::events::event_put;
use super::item::{from_item, is_entity, to_item, Item};
use super::transaction::{check, put_new, Outcome, TransactWrite, EXISTS};
use super::{grants, keys, Store};
use crate::domain::invitation::InvitationChange;
use crate::domain::provisioning::ProvisioningState;
use crate::domain::stats;
use crate::domain::{AdminGrant, ChangeEvent, Slug, Tenant, TenantId, TenantStatus};
use crate::error::{ApiError, Context};

/// Entity name of tenant items.
const TENANT_ENTITY: &str = "tenant";
/// Attribute holding the digest of the create request, to recognise an idempotent replay.
const CREATE_HASH: &str = "createHash";
/// Attribute holding the tenant's resources, invitation and step leases, as JSON text.
const PROVISIONING_STATE: &str = "provisioningState";
/// Attribute holding when the owner's invitation was last resent (epoch seconds): a number
/// of its own, so that a resend's write can be conditioned on it.
const INVITATION_RESENT_AT: &str = "invitationResentAt";

/// The reservation that makes a slug globally unique; never deleted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SlugItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    slug: Slug,
    tenant_id: TenantId,
    created_at: String,
}

/// The scope created with, and owned by, a tenant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScopeItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    scope_id: String,
    tenant_id: TenantId,
    created_at: String,
}

/// The item of `tenant`, with index keys derived from its state.
fn tenant_item(tenant: &Tenant, create_hash: &str) -> Result<Item, ApiError> {
    let Value::Object(mut fields) = serde_json::to_value(tenant).context("encoding a tenant")?
    else {
        return Err(ApiError::internal("encoding a tenant", "not a JSON object"));
    };
    fields.retain(|_, value| !value.is_null());
    if let Some(metadata) = fields.get_mut("metadata") {
        *metadata = Value::String(metadata.to_string());
    }
    let mut item: Item = serde_dynamo::to_item(fields).context("encoding a tenant item")?;
    let id = tenant.id.as_str();
    let sort = keys::created_sort_key(&tenant.created_at, id);
    let mut set = |name: &str, value: String| {
        item.insert(name.to_owned(), AttributeValue::S(value));
    };
    set(keys::PK, keys::tenant_pk(id));
    set(keys::SK, keys::TENANT_SK.to_owned());
    set(keys::ENTITY, TENANT_ENTITY.to_owned());
    // Deleted tenants leave the live index (a sparse GSI) but stay in the status index.
    if tenant.status != TenantStatus::Deleted {
        set(keys::GSI1PK, keys::LIVE_TENANTS.to_owned());
        set(keys::GSI1SK, sort.clone());
    }
    set(keys::GSI2PK, keys::status_partition(tenant.status.as_str()));
    set(keys::GSI2SK, sort);
    set(keys::GSI3PK, keys::slug_pk(tenant.slug.as_str()));
    set("nameLower", tenant.fields.name.as_str().to_lowercase());
    set(CREATE_HASH, create_hash.to_owned());
    if tenant.provisioning_state != ProvisioningState::default() {
        let state = serde_json::to_string(&tenant.provisioning_state)
            .context("encoding a tenant's provisioning state")?;
        set(PROVISIONING_STATE, state);
    }
    if let Some(at) = tenant.provisioning_state.invitation_resent_at {
        item.insert(
            INVITATION_RESENT_AT.to_owned(),
            AttributeValue::N(at.to_string()),
        );
    }
    Ok(item)
}

/// The tenant (with its create digest) in `item`, if it is a tenant item.
pub(crate) fn tenant_from_item(item: Item) -> Result<Option<(Tenant, String)>, ApiError> {
    if !is_entity(&item, TENANT_ENTITY) {
        return Ok(None);
    }
    let mut fields: Map<String, Value> =
        serde_dynamo::from_item(item).context("decoding a tenant item")?;
    let hash = match fields.remove(CREATE_HASH) {
        Some(Value::String(hash)) => hash,
        _ => String::new(),
    };
    let mut state: ProvisioningState = match fields.remove(PROVISIONING_STATE) {
        Some(Value::String(text)) => {
            serde_json::from_str(&text).context("decoding a tenant's provisioning state")?
        }
        _ => ProvisioningState::default(),
    };
    state.invitation_resent_at = fields
        .remove(INVITATION_RESENT_AT)
        .and_then(|at| at.as_i64());
    if let Some(metadata) = fields.get_mut("metadata") {
        let parsed = match metadata {
            Value::String(text) => serde_json::from_str::<Value>(text).ok(),
            _ => None,
        };
        match parsed {
            Some(object @ Value::Object(_)) => *metadata = object,
            _ => {
                return Err(ApiError::internal(
                    "decoding a tenant item",
                    "its metadata is not a JSON object",
                ))
            }
        }
    }
    // An item written before entitlements has no overrides: one signing in with SSO keeps
    // it as a recorded override, whatever its plan grants.
    if !fields.contains_key("overrides") {
        let sso = fields.get("loginMode").and_then(Value::as_str) == Some("sso");
        let legacy: Map<String, Value> = if sso {
            Map::from_iter([("sso".to_owned(), Value::Bool(true))])
        } else {
            Map::new()
        };
        fields.insert("overrides".to_owned(), Value::Object(legacy));
    }
    let mut tenant: Tenant =
        serde_json::from_value(Value::Object(fields)).context("decoding a tenant item")?;
    tenant.provisioning_state = state;
    Ok(Some((tenant, hash)))
}

/// What a create transaction found.
#[derive(Debug)]
pub enum Created {
    /// The tenant was written.
    New,
    /// A tenant with the requested id already exists (returned with its create digest).
    IdTaken(Box<Tenant>, String),
}

/// A check, inside a transaction, that tenant `id` exists and is not deleted.
pub(crate) fn live_check(table: &str, id: &TenantId) -> Result<TransactWriteItem, ApiError> {
    check(
        table,
        keys::tenant_key(id.as_str()),
        &format!("{EXISTS} AND #s <> :deleted"),
        &[("#s", "status")],
        HashMap::from([(
            ":deleted".to_owned(),
            AttributeValue::S(TenantStatus::Deleted.as_str().to_owned()),
        )]),
    )
}

/// A check, inside a transaction, that tenant `id` is still at `version` (and, with
/// `live`, not deleted): changes that do not write the tenant but are made against it.
pub(crate) fn version_check(
    table: &str,
    id: &TenantId,
    version: i64,
    live: bool,
) -> Result<TransactWriteItem, ApiError> {
    let mut values = HashMap::from([(":v".to_owned(), AttributeValue::N(version.to_string()))]);
    let mut condition = format!("{EXISTS} AND #v = :v");
    if live {
        condition.push_str(" AND #s <> :deleted");
        values.insert(
            ":deleted".to_owned(),
            AttributeValue::S(TenantStatus::Deleted.as_str().to_owned()),
        );
    }
    let names: &[(&str, &str)] = if live {
        &[("#v", "version"), ("#s", "status")]
    } else {
        &[("#v", "version")]
    };
    check(
        table,
        keys::tenant_key(id.as_str()),
        &condition,
        names,
        values,
    )
}

/// The put replacing tenant `before` with `after`, conditioned on `before`'s version.
pub(crate) fn tenant_put(
    table: &str,
    before: &Tenant,
    after: &Tenant,
    create_hash: &str,
) -> Result<TransactWriteItem, ApiError> {
    tenant_put_if(table, before, after, create_hash, None)
}

/// [`tenant_put`], also conditioned, with `resent_by`, on the stored invitation not having
/// been resent after that time (epoch seconds); a refusal returns the stored item.
fn tenant_put_if(
    table: &str,
    before: &Tenant,
    after: &Tenant,
    create_hash: &str,
    resent_by: Option<i64>,
) -> Result<TransactWriteItem, ApiError> {
    let mut put = Put::builder()
        .table_name(table)
        .set_item(Some(tenant_item(after, create_hash)?))
        .condition_expression("#v = :v")
        .expression_attribute_names("#v", "version")
        .expression_attribute_values(":v", AttributeValue::N(before.version.to_string()));
    if let Some(cutoff) = resent_by {
        put = put
            .condition_expression("#v = :v AND (attribute_not_exists(#r) OR #r <= :r)")
            .expression_attribute_names("#r", INVITATION_RESENT_AT)
            .expression_attribute_values(":r", AttributeValue::N(cutoff.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    }
    let put = put.build().context("building a tenant update")?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// What a write under the resend limit found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitedWrite {
    /// Written.
    Written,
    /// The tenant changed meanwhile: nothing was written (read it again).
    Stale,
    /// The invitation was resent at `resent_at` (epoch seconds), within the limit: nothing
    /// was written.
    TooSoon { resent_at: i64 },
}

/// An update adding `delta` to the counters in the tenant's stats shard.
fn counter_update(
    table: &str,
    tenant_id: &TenantId,
    delta: &BTreeMap<String, i64>,
) -> Result<TransactWriteItem, ApiError> {
    let mut names = HashMap::new();
    let mut values = HashMap::new();
    let mut adds = Vec::new();
    for (i, (name, by)) in delta.iter().enumerate() {
        names.insert(format!("#c{i}"), name.clone());
        values.insert(format!(":c{i}"), AttributeValue::N(by.to_string()));
        adds.push(format!("#c{i} :c{i}"));
    }
    names.insert("#e".to_owned(), keys::ENTITY.to_owned());
    values.insert(":e".to_owned(), AttributeValue::S("stats".to_owned()));
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(keys::key(
            keys::STATS_PK.to_owned(),
            &keys::stats_sk(keys::stats_shard_for(tenant_id.as_str())),
        )))
        .update_expression(format!("SET #e = :e ADD {}", adds.join(", ")))
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .context("building a counter update")?;
    Ok(TransactWriteItem::builder().update(update).build())
}

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
            tx.push(super::domains::claim_put(table, claim)?);
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
        limits: &super::usage::LimitsChange,
    ) -> Result<bool, ApiError> {
        let mut tx = TransactWrite::new();
        let tenant_op = tx.push(tenant_put(self.table(), before, after, create_hash)?);
        let limits_op = tx.push(super::usage::limits_update(self.table(), limits)?);
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
        tx.extend(super::invitations::invitation_ops(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plans::{DEFAULT_CATALOGUE, DEFAULT_PLAN};
    use crate::domain::{plans::PlanCatalogue, NewTenant};
    use serde_json::json;

    fn tenant(body: Value) -> Tenant {
        let plans = PlanCatalogue::parse(DEFAULT_CATALOGUE, DEFAULT_PLAN).unwrap();
        let new = NewTenant::from_json(body.as_object().unwrap(), &plans).unwrap();
        Tenant::create(&new, "2026-01-01T00:00:00.000Z")
    }

    #[test]
    fn a_tenant_item_round_trips_with_its_keys_and_metadata_as_text() {
        let mut t = tenant(json!({
            "name": "Acme", "slug": "acme", "maxUsers": 5,
            "metadata": {"tier": {"level": 2, "tags": ["a", null]}}
        }));
        t.provisioning_state.invitation_resent_at = Some(1_767_225_600);
        let item = tenant_item(&t, "digest").unwrap();
        assert!(
            matches!(&item[INVITATION_RESENT_AT], AttributeValue::N(n) if n == "1767225600"),
            "a number of its own, for the resend's condition"
        );
        assert!(matches!(&item["metadata"], AttributeValue::S(text) if text.starts_with('{')));
        assert!(matches!(&item["maxUsers"], AttributeValue::N(n) if n == "5"));
        assert!(matches!(&item["GSI1PK"], AttributeValue::S(pk) if pk == keys::LIVE_TENANTS));
        assert!(
            !item.contains_key("ownerEmail"),
            "unset fields are not stored"
        );
        let (back, hash) = tenant_from_item(item).unwrap().unwrap();
        assert_eq!(back, t);
        assert_eq!(hash, "digest");
    }

    #[test]
    fn a_deleted_tenant_leaves_the_live_index() {
        let t = tenant(json!({"name": "Acme", "slug": "acme"}));
        let item = tenant_item(&t.deleted("2026-01-02T00:00:00.000Z").unwrap(), "d").unwrap();
        assert!(!item.contains_key(keys::GSI1PK));
        assert!(matches!(&item[keys::GSI2PK], AttributeValue::S(pk) if pk == "STATUS#deleted"));
    }
}
