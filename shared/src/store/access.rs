//! The reads behind an authorization decision, by key and strongly consistent: the
//! target tenant, the caller's admin grant on it, the tenant its credential is bound to
//! its API key and the reservation of the caller's verified email domain, all in one
//! `BatchGetItem`; and the caller's visible tenants, by key.

use super::api_keys::ApiKeyItem;
use super::item::{from_item, text, Item};
use super::tenants::tenant_from_item;
use super::{domains, keys, usage, Store};
use crate::domain::entitlements::usage::Usage;
use crate::domain::values::DomainName;
use crate::domain::{ApiKey, ApiKeyId, Tenant, TenantId, UserId};
use crate::error::ApiError;

/// What one authorization read asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessWanted<'a> {
    /// The tenant the request is about.
    pub target: Option<&'a TenantId>,
    /// The user whose admin grant on `target` to read.
    pub grant_of: Option<&'a UserId>,
    /// The tenant a token is bound to.
    pub bound: Option<&'a TenantId>,
    /// The API key presented.
    pub api_key: Option<&'a ApiKeyId>,
    /// The caller's verified email domain, whose owner (if verified by a tenant) may admit
    /// the caller.
    pub email_domain: Option<&'a DomainName>,
    /// Whether to read the target's usage counters too.
    pub usage: bool,
}

/// What one authorization read found.
#[derive(Debug, Default)]
pub struct AccessRead {
    /// The target tenant, with its create digest.
    pub target: Option<(Tenant, String)>,
    /// Whether the user holds an admin grant on the target.
    pub granted_admin: bool,
    /// The bound tenant (when it is not the target).
    pub bound: Option<Tenant>,
    /// The API key.
    pub api_key: Option<ApiKey>,
    /// The tenant the caller's email domain is verified for.
    pub domain_owner: Option<TenantId>,
    /// The target's usage counters (empty when not asked for, or none yet).
    pub usage: Usage,
}

impl Store {
    /// Reads everything `wanted` names in one strongly consistent `BatchGetItem`.
    pub async fn read_access(&self, wanted: AccessWanted<'_>) -> Result<AccessRead, ApiError> {
        let target_key = wanted.target.map(|id| keys::tenant_key(id.as_str()));
        let grant_key = wanted.target.zip(wanted.grant_of).map(|(id, user)| {
            keys::key(keys::tenant_pk(id.as_str()), &keys::admin_sk(user.as_str()))
        });
        let bound_key = wanted
            .bound
            .filter(|bound| Some(*bound) != wanted.target)
            .map(|id| keys::tenant_key(id.as_str()));
        let key_key = wanted
            .api_key
            .map(|id| keys::key(keys::api_key_pk(id.as_str()), keys::API_KEY_SK));
        // Admission by email domain matters only on the tenant the request is about.
        let domain_key = wanted
            .email_domain
            .filter(|_| wanted.target.is_some())
            .map(|d| domains::owner_key(d.as_str()));
        let usage_key = wanted.target.filter(|_| wanted.usage).map(usage::usage_key);
        let all: Vec<Item> = [
            &target_key,
            &grant_key,
            &bound_key,
            &key_key,
            &domain_key,
            &usage_key,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
        let mut items = self.batch_get(all).await?;
        let mut take = |key: &Option<Item>| {
            key.as_ref().and_then(|key| {
                let part = |name: &str| text(key, name).unwrap_or_default().to_owned();
                items.remove(&(part(keys::PK), part(keys::SK)))
            })
        };
        let target = take(&target_key);
        let granted_admin = take(&grant_key).is_some();
        let bound = take(&bound_key);
        let api_key = take(&key_key);
        let domain_owner = take(&domain_key).as_ref().and_then(domains::owner_of);
        let usage = take(&usage_key)
            .map(|item| usage::usage_from_item(&item))
            .unwrap_or_default();
        Ok(AccessRead {
            usage,
            domain_owner,
            target: target.map(tenant_from_item).transpose()?.flatten(),
            granted_admin,
            bound: bound
                .map(tenant_from_item)
                .transpose()?
                .flatten()
                .map(|(tenant, _)| tenant),
            api_key: api_key
                .map(|item| from_item::<ApiKeyItem>(item).map(|i| i.key))
                .transpose()?,
        })
    }

    /// The tenants among `ids` (at most a few hundred: a user's grants), read by key.
    pub async fn get_tenants(&self, ids: &[TenantId]) -> Result<Vec<Tenant>, ApiError> {
        let mut tenants = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(100) {
            let wanted = chunk
                .iter()
                .map(|id| keys::tenant_key(id.as_str()))
                .collect();
            for item in self.batch_get(wanted).await?.into_values() {
                if let Some((tenant, _)) = tenant_from_item(item)? {
                    tenants.push(tenant);
                }
            }
        }
        Ok(tenants)
    }
}
