//! Tenants in storage: the tenant item, its slug reservation, its scope and the stats
//! counter shards, and the transactions that create and change them.
//!
//! The tenant item holds the API fields under their API names (so a new field needs no
//! storage code), `metadata` as JSON text (stored exactly as validated, whatever its
//! nesting), plus its keys, index attributes, `nameLower` for search and the digest of
//! the create request.
//!
//! By concern: the item and its conversions (here), the transaction pieces (`writes`)
//! and the store's tenant operations (`operations`).

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::provisioning::ProvisioningState;
use crate::domain::{Slug, Tenant, TenantId, TenantStatus};
use crate::error::{ApiError, Context};
use crate::store::item::{is_entity, Item};
use crate::store::keys;

mod operations;
#[cfg(test)]
mod tests;
mod writes;

pub(crate) use writes::{live_check, tenant_put, version_check};
pub use writes::{Created, LimitedWrite};

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
