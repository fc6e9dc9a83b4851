//! Making events: one constructor per kind of change, and a tenant update's field diff.

use serde_json::{Map, Value};

use crate::domain::api_key::ApiKeyView;
use crate::domain::domains::DomainClaim;
use crate::domain::entitlements::effective::OverLimit;
use crate::domain::provisioning::Resource;
use crate::domain::tenant::Tenant;
use crate::domain::values::{TenantId, UserId};

use super::bounded::bounded_event_json;
use super::{
    AdminChange, ChangeEvent, DomainChange, EventType, FieldChange, Origin, UsageThreshold,
};

impl ChangeEvent {
    fn new(
        event_type: EventType,
        tenant_id: Option<TenantId>,
        version: Option<i64>,
        origin: &Origin,
        at: &str,
    ) -> Self {
        Self {
            event_id: format!("evt_{}", uuid::Uuid::now_v7()),
            event_type,
            tenant_id,
            version,
            occurred_at: at.to_owned(),
            actor: origin.actor.clone(),
            request_id: origin.request_id.clone(),
            tenant: None,
            changes: None,
            admin: None,
            domain: None,
            api_key: None,
            resources: None,
            entitlements: None,
            usage: None,
            over_limit: None,
            truncated: None,
            omitted: None,
            full_state: None,
        }
    }

    /// The event's JSON as stored and published: bounded by [`MAX_EVENT_BYTES`] (see
    /// [`bounded_event_json`]).
    pub fn to_bounded_json(&self) -> Result<String, serde_json::Error> {
        let json = serde_json::to_string(self)?;
        Ok(bounded_event_json(&json).into_owned())
    }

    /// `tenant.entitlements_changed` for the change to `after` (the version it made):
    /// `entitlements` is the effective snapshot.
    pub fn entitlements_changed(
        after: &Tenant,
        entitlements: serde_json::Map<String, Value>,
        origin: &Origin,
    ) -> Self {
        Self {
            entitlements: Some(entitlements),
            ..Self::new(
                EventType::EntitlementsChanged,
                Some(after.id.clone()),
                Some(after.version),
                origin,
                &after.updated_at,
            )
        }
    }

    /// `tenant.over_limit`: the change to `after` left `features` above their limits.
    pub fn over_limit(after: &Tenant, features: Vec<OverLimit>, origin: &Origin) -> Self {
        Self {
            over_limit: Some(features),
            ..Self::new(
                EventType::OverLimit,
                Some(after.id.clone()),
                Some(after.version),
                origin,
                &after.updated_at,
            )
        }
    }

    /// `tenant.usage_threshold_reached`: a usage report against tenant version `version`
    /// crossed `usage.threshold` at `at`.
    pub fn usage_threshold(
        tenant_id: &TenantId,
        version: i64,
        usage: UsageThreshold,
        origin: &Origin,
        at: &str,
    ) -> Self {
        Self {
            usage: Some(usage),
            ..Self::new(
                EventType::UsageThresholdReached,
                Some(tenant_id.clone()),
                Some(version),
                origin,
                at,
            )
        }
    }

    /// `tenant.created` for `tenant`.
    pub fn created(tenant: &Tenant, origin: &Origin) -> Self {
        Self {
            tenant: Some(tenant.clone()),
            ..Self::new(
                EventType::TenantCreated,
                Some(tenant.id.clone()),
                Some(tenant.version),
                origin,
                &tenant.created_at,
            )
        }
    }

    /// An update event (`event_type`) turning `before` into `after`: the changed fields.
    pub fn changed(
        event_type: EventType,
        before: &Tenant,
        after: &Tenant,
        origin: &Origin,
    ) -> Self {
        Self {
            changes: Some(field_changes(before, after)),
            ..Self::new(
                event_type,
                Some(after.id.clone()),
                Some(after.version),
                origin,
                &after.updated_at,
            )
        }
    }

    /// A provisioning event turning `before` into `after` (its changes), announcing
    /// `resources` when external provisioners must act on them.
    pub fn provisioning(
        event_type: EventType,
        before: &Tenant,
        after: &Tenant,
        origin: &Origin,
        resources: Option<Vec<Resource>>,
    ) -> Self {
        Self {
            resources,
            ..Self::changed(event_type, before, after, origin)
        }
    }

    /// `tenant.admin_granted` or `tenant.admin_revoked` for `user` on `tenant`, made
    /// against tenant version `version`.
    pub fn admin(
        event_type: EventType,
        tenant: &TenantId,
        user: &UserId,
        version: i64,
        origin: &Origin,
        at: &str,
    ) -> Self {
        Self {
            admin: Some(AdminChange {
                user_id: user.clone(),
            }),
            ..Self::new(event_type, Some(tenant.clone()), Some(version), origin, at)
        }
    }

    /// A domain event for `claim`, made against tenant version `version`.
    pub fn domain(
        event_type: EventType,
        claim: &DomainClaim,
        version: i64,
        origin: &Origin,
        at: &str,
    ) -> Self {
        Self {
            domain: Some(DomainChange {
                domain: claim.domain.clone(),
                status: claim.status,
            }),
            ..Self::new(
                event_type,
                Some(claim.tenant_id.clone()),
                Some(version),
                origin,
                at,
            )
        }
    }

    /// `api_key.created` or `api_key.revoked` for `key`.
    pub fn api_key(event_type: EventType, key: &ApiKeyView, origin: &Origin, at: &str) -> Self {
        Self {
            api_key: Some(key.clone()),
            ..Self::new(event_type, key.tenant_id.clone(), None, origin, at)
        }
    }
}

/// Fields of the tenant resource that every change moves and that say nothing by
/// themselves (the event's own `version` and `occurredAt` carry them).
const BOOKKEEPING: [&str; 2] = ["version", "updatedAt"];

/// The fields whose values differ between `before` and `after`, unset fields as `null`.
pub fn field_changes(
    before: &Tenant,
    after: &Tenant,
) -> std::collections::BTreeMap<String, FieldChange> {
    let as_map = |t: &Tenant| match serde_json::to_value(t) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let (old, new) = (as_map(before), as_map(after));
    let mut changes = std::collections::BTreeMap::new();
    for name in old.keys().chain(new.keys()) {
        if BOOKKEEPING.contains(&name.as_str()) || changes.contains_key(name) {
            continue;
        }
        let from = old.get(name).cloned().unwrap_or(Value::Null);
        let to = new.get(name).cloned().unwrap_or(Value::Null);
        if from != to {
            changes.insert(name.clone(), FieldChange { from, to });
        }
    }
    changes
}
