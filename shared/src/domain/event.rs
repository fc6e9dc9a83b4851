//! Change events: what every state change says about itself. Each change writes exactly one
//! [`ChangeEvent`] in the same transaction as the change (the outbox); the stream publishes
//! it to the event bus, and `GET /v1/tenants/{id}/events` reads it back as the audit trail.
//!
//! An event never carries a secret: no API key, no key hash, no token.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::api_key::ApiKeyView;
use super::domains::{DomainClaim, DomainStatus};
use super::entitlements::effective::OverLimit;
use super::provisioning::Resource;
use super::tenant::Tenant;
use super::values::{DomainName, TenantId, UserId};

/// What happened. The wire name is the event's `type` and the bus's `detail-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "tenant.created")]
    TenantCreated,
    #[serde(rename = "tenant.updated")]
    TenantUpdated,
    #[serde(rename = "tenant.plan_changed")]
    TenantPlanChanged,
    #[serde(rename = "tenant.suspended")]
    TenantSuspended,
    #[serde(rename = "tenant.activated")]
    TenantActivated,
    #[serde(rename = "tenant.deleted")]
    TenantDeleted,
    #[serde(rename = "tenant.admin_granted")]
    AdminGranted,
    #[serde(rename = "tenant.admin_revoked")]
    AdminRevoked,
    #[serde(rename = "tenant.domain_added")]
    DomainAdded,
    #[serde(rename = "tenant.domain_verified")]
    DomainVerified,
    #[serde(rename = "tenant.domain_removed")]
    DomainRemoved,
    #[serde(rename = "tenant.domain_unverified")]
    DomainUnverified,
    #[serde(rename = "tenant.provisioning_started")]
    ProvisioningStarted,
    #[serde(rename = "tenant.provisioned")]
    Provisioned,
    #[serde(rename = "tenant.provisioning_failed")]
    ProvisioningFailed,
    #[serde(rename = "tenant.provisioning_retried")]
    ProvisioningRetried,
    #[serde(rename = "tenant.deprovisioning_started")]
    DeprovisioningStarted,
    #[serde(rename = "tenant.deprovisioned")]
    Deprovisioned,
    #[serde(rename = "tenant.resource_reported")]
    ResourceReported,
    #[serde(rename = "tenant.invitation_sent")]
    InvitationSent,
    #[serde(rename = "tenant.owner_activated")]
    OwnerActivated,
    #[serde(rename = "tenant.entitlements_changed")]
    EntitlementsChanged,
    #[serde(rename = "tenant.usage_threshold_reached")]
    UsageThresholdReached,
    #[serde(rename = "tenant.over_limit")]
    OverLimit,
    #[serde(rename = "api_key.created")]
    ApiKeyCreated,
    #[serde(rename = "api_key.revoked")]
    ApiKeyRevoked,
}

impl EventType {
    /// Every type, in the README's order.
    pub const ALL: [Self; 26] = [
        Self::TenantCreated,
        Self::TenantUpdated,
        Self::TenantPlanChanged,
        Self::TenantSuspended,
        Self::TenantActivated,
        Self::TenantDeleted,
        Self::AdminGranted,
        Self::AdminRevoked,
        Self::DomainAdded,
        Self::DomainVerified,
        Self::DomainRemoved,
        Self::DomainUnverified,
        Self::ProvisioningStarted,
        Self::Provisioned,
        Self::ProvisioningFailed,
        Self::ProvisioningRetried,
        Self::DeprovisioningStarted,
        Self::Deprovisioned,
        Self::ResourceReported,
        Self::InvitationSent,
        Self::OwnerActivated,
        Self::EntitlementsChanged,
        Self::UsageThresholdReached,
        Self::OverLimit,
        Self::ApiKeyCreated,
        Self::ApiKeyRevoked,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TenantCreated => "tenant.created",
            Self::TenantUpdated => "tenant.updated",
            Self::TenantPlanChanged => "tenant.plan_changed",
            Self::TenantSuspended => "tenant.suspended",
            Self::TenantActivated => "tenant.activated",
            Self::TenantDeleted => "tenant.deleted",
            Self::AdminGranted => "tenant.admin_granted",
            Self::AdminRevoked => "tenant.admin_revoked",
            Self::DomainAdded => "tenant.domain_added",
            Self::DomainVerified => "tenant.domain_verified",
            Self::DomainRemoved => "tenant.domain_removed",
            Self::DomainUnverified => "tenant.domain_unverified",
            Self::ProvisioningStarted => "tenant.provisioning_started",
            Self::Provisioned => "tenant.provisioned",
            Self::ProvisioningFailed => "tenant.provisioning_failed",
            Self::ProvisioningRetried => "tenant.provisioning_retried",
            Self::DeprovisioningStarted => "tenant.deprovisioning_started",
            Self::Deprovisioned => "tenant.deprovisioned",
            Self::ResourceReported => "tenant.resource_reported",
            Self::InvitationSent => "tenant.invitation_sent",
            Self::OwnerActivated => "tenant.owner_activated",
            Self::EntitlementsChanged => "tenant.entitlements_changed",
            Self::UsageThresholdReached => "tenant.usage_threshold_reached",
            Self::OverLimit => "tenant.over_limit",
            Self::ApiKeyCreated => "api_key.created",
            Self::ApiKeyRevoked => "api_key.revoked",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|t| t.as_str()).collect();
                format!("must be one of: {}", names.join(", "))
            })
    }
}

/// The kind of principal that made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    ApiKey,
    /// The API itself (its provisioning worker): `id` is the function.
    Service,
}

/// Who made a change: a user (a token's `sub`) or an API key (its id, never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: String,
}

/// Who made a change, and in which request: what every event of the change carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub actor: Actor,
    /// The Lambda request id (the response's `x-request-id`).
    pub request_id: String,
}

impl Origin {
    /// A change the API's own `function` made, in Lambda request `request_id`.
    pub fn service(function: &str, request_id: &str) -> Self {
        Self {
            actor: Actor {
                kind: ActorKind::Service,
                id: function.to_owned(),
            },
            request_id: request_id.to_owned(),
        }
    }
}

/// One field's change: its value before and after (`null` when unset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldChange {
    #[schema(schema_with = any_value)]
    pub from: Value,
    #[schema(schema_with = any_value)]
    pub to: Value,
}

/// Any JSON value (a field's value: text, number, object or `null`).
fn any_value() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
        .build()
        .into()
}

/// The key view's schema, published as `ApiKey`.
fn api_key_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::Ref::from_schema_name("ApiKey").into()
}

/// The admin an admin event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminChange {
    pub user_id: UserId,
}

/// The domain a domain event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DomainChange {
    pub domain: DomainName,
    pub status: DomainStatus,
}

/// A change event, as stored, published (the bus event's `detail`) and listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeEvent {
    /// Unique and stable across redeliveries: consumers deduplicate on it.
    #[schema(example = "evt_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f")]
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// The tenant the change is about (`null` for a platform API key).
    pub tenant_id: Option<TenantId>,
    /// The tenant's version after the change (tenant.* events), or the version the change
    /// was made against (admin events); `null` for API key events. Consumers order a
    /// tenant's events by it and drop stale ones.
    pub version: Option<i64>,
    pub occurred_at: String,
    pub actor: Actor,
    pub request_id: String,
    /// `tenant.created`: the tenant as created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<Tenant>,
    /// Updates: each changed field, `{from, to}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<std::collections::BTreeMap<String, FieldChange>>,
    /// Admin events: whose grant was made or removed (by the actor, at `occurredAt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<AdminChange>,
    /// Domain events: the domain and its claim's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainChange>,
    /// API key events: the key's public view (never the key or its hash).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = api_key_schema)]
    pub api_key: Option<ApiKeyView>,
    /// Provisioning events: the resources external provisioners must act on (started,
    /// retried, deprovisioning started), or the one reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<Resource>>,
    /// `tenant.entitlements_changed`: every feature's effective value after the change
    /// (`null`: unlimited).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub entitlements: Option<serde_json::Map<String, Value>>,
    /// `tenant.usage_threshold_reached`: the feature, the threshold and the figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageThreshold>,
    /// `tenant.over_limit`: the features whose usage is above their new limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub over_limit: Option<Vec<OverLimit>>,
    /// `true` when the whole event would have passed [`MAX_EVENT_BYTES`] (EventBridge
    /// takes at most 256 KiB an entry): the fields in `omitted` are left out, and
    /// `fullState` says where the current state is read. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
    /// With `truncated`: the fields left out (of `resources`, `changes`, `tenant`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub omitted: Option<Vec<String>>,
    /// With `truncated`: where the full, current state is read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_state: Option<FullStateRef>,
}

/// A usage threshold a report crossed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageThreshold {
    #[schema(example = "maxUsers")]
    pub feature: String,
    /// Percent of the limit: 80 or 100.
    #[schema(example = 80)]
    pub threshold: u64,
    /// Usage after the report.
    pub usage: u64,
    pub limit: u64,
    /// Metered features: the period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
}

/// Where a truncated event's tenant and resources are read in full (paths of this API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FullStateRef {
    /// `GET` it for the tenant as it is now.
    #[schema(example = "/v1/tenants/tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f")]
    pub tenant: String,
    /// `GET` it for the tenant's resources as they are now.
    #[schema(example = "/v1/tenants/tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f/resources")]
    pub resources: String,
}

/// Most bytes of an event's JSON, as stored and published. EventBridge takes entries of
/// at most 256 KiB, counting `source`, `detail-type` and `detail` together; the rest of
/// the 256 KiB is left for those and for margin. (An event item, at most this plus its
/// keys, is far below DynamoDB's 400 KB item limit.)
pub const MAX_EVENT_BYTES: usize = 240 * 1024;

/// The fields a too-large event loses, in this order, until it fits. `resources` goes
/// last: it is what provisioners act on (and is bounded per tenant, so it fits alone),
/// where `changes` and `tenant` can be read again.
const TRIMMABLE: [&str; 3] = ["changes", "tenant", "resources"];
/// The fields a too-large event keeps if even that is not enough.
const ESSENTIAL: [&str; 12] = [
    "eventId",
    "type",
    "tenantId",
    "version",
    "occurredAt",
    "actor",
    "requestId",
    "admin",
    "domain",
    "apiKey",
    "usage",
    "overLimit",
];

/// `json` (an event's JSON) as it may be stored and published: unchanged when it has at
/// most [`MAX_EVENT_BYTES`], else trimmed: `changes`, then `tenant`, then `resources` left
/// out until it fits, with `truncated: true`, `omitted` and `fullState` (the tenant's and
/// its resources' paths) added. Text that is not a JSON object is returned as it is.
pub fn bounded_event_json(json: &str) -> std::borrow::Cow<'_, str> {
    if json.len() <= MAX_EVENT_BYTES {
        return json.into();
    }
    let Ok(Value::Object(mut event)) = serde_json::from_str::<Value>(json) else {
        return json.into();
    };
    let full_state = event.get("tenantId").and_then(Value::as_str).map(|id| {
        serde_json::json!({
            "tenant": format!("/v1/tenants/{id}"),
            "resources": format!("/v1/tenants/{id}/resources"),
        })
    });
    let mut omitted = Vec::new();
    for field in TRIMMABLE {
        if event.remove(field).is_some() {
            omitted.push(Value::String(field.to_owned()));
        }
        event.insert("truncated".to_owned(), Value::Bool(true));
        event.insert("omitted".to_owned(), Value::Array(omitted.clone()));
        if let Some(refs) = &full_state {
            event.insert("fullState".to_owned(), refs.clone());
        }
        let text = Value::Object(event.clone()).to_string();
        if text.len() <= MAX_EVENT_BYTES {
            return text.into();
        }
    }
    // Something else is large: keep only what identifies the event.
    event.retain(|name, _| {
        ESSENTIAL.contains(&name.as_str())
            || matches!(name.as_str(), "truncated" | "omitted" | "fullState")
    });
    Value::Object(event).to_string().into()
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plans::{PlanCatalogue, DEFAULT_CATALOGUE, DEFAULT_PLAN};
    use crate::domain::NewTenant;
    use serde_json::json;

    fn origin() -> Origin {
        Origin {
            actor: Actor {
                kind: ActorKind::User,
                id: "ada".to_owned(),
            },
            request_id: "req-1".to_owned(),
        }
    }

    fn tenant() -> Tenant {
        let plans = PlanCatalogue::parse(DEFAULT_CATALOGUE, DEFAULT_PLAN).unwrap();
        let body = json!({"name": "Acme", "slug": "acme", "ownerEmail": "ada@acme.example"});
        let new = NewTenant::from_json(body.as_object().unwrap(), &plans).unwrap();
        Tenant::create(&new, "2026-01-01T00:00:00.000Z")
    }

    #[test]
    fn every_type_round_trips_through_its_wire_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Ok(t));
            assert_eq!(serde_json::to_value(t).unwrap(), json!(t.as_str()));
        }
        assert!(EventType::parse("tenant.exploded")
            .unwrap_err()
            .contains("tenant.created"));
    }

    #[test]
    fn an_update_lists_exactly_the_changed_fields_with_unset_as_null() {
        let before = tenant();
        let mut after = before.clone();
        after.fields.owner_email = None;
        after.fields.owner_name = Some("Ada".to_owned());
        after.version = 2;
        after.updated_at = "2026-01-02T00:00:00.000Z".to_owned();
        let event = ChangeEvent::changed(EventType::TenantUpdated, &before, &after, &origin());
        let body = serde_json::to_value(&event).unwrap();
        assert_eq!(
            body["changes"],
            json!({
                "ownerEmail": {"from": "ada@acme.example", "to": null},
                "ownerName": {"from": null, "to": "Ada"},
            })
        );
        assert_eq!(body["version"], 2);
        assert_eq!(body["occurredAt"], "2026-01-02T00:00:00.000Z");
        assert_eq!(body["actor"], json!({"kind": "user", "id": "ada"}));
        assert!(body.get("tenant").is_none());
    }

    /// A `tenant.deprovisioning_started` of a tenant with `count` resources, each with
    /// 2 KiB of metadata, whose failures (long messages) were cleared.
    fn deprovisioning(count: usize) -> ChangeEvent {
        use crate::domain::provisioning::{ResourceError, ResourceFailure};
        let before = {
            let mut t = tenant();
            t.provisioning.failures = (0..count)
                .map(|i| ResourceFailure {
                    resource_id: format!("resource-{i}"),
                    kind: "rds-cluster".to_owned(),
                    error: ResourceError {
                        code: "Throttled".to_owned(),
                        message: "€".repeat(1000),
                    },
                })
                .collect();
            t
        };
        let mut after = before.clone();
        after.provisioning.failures.clear();
        after.version = 2;
        let metadata: Map<String, Value> =
            serde_json::from_value(json!({"notes": "m".repeat(2000)})).unwrap();
        let resources = (0..count)
            .map(|i| {
                let mut r: Resource = serde_json::from_value(json!({
                    "id": format!("resource-{i}"), "type": "rds-cluster", "builtIn": false,
                    "required": false, "status": "deleting", "attempts": 0, "version": 3,
                    "updatedAt": "2026-01-02T00:00:00.000Z",
                    "arn": format!("arn:aws:rds:eu-west-1:123456789012:cluster:{}", "c".repeat(1900)),
                }))
                .unwrap();
                r.metadata = Some(metadata.clone());
                r
            })
            .collect();
        ChangeEvent::provisioning(
            EventType::DeprovisioningStarted,
            &before,
            &after,
            &origin(),
            Some(resources),
        )
    }

    #[test]
    fn an_event_that_fits_is_stored_and_published_whole_and_unmarked() {
        let event = deprovisioning(3);
        let whole = serde_json::to_string(&event).unwrap();
        assert_eq!(event.to_bounded_json().unwrap(), whole);
        assert!(!whole.contains("truncated"));
    }

    #[test]
    fn an_event_too_large_for_eventbridge_is_trimmed_and_points_to_the_full_state() {
        let event = deprovisioning(50);
        let whole = serde_json::to_string(&event).unwrap();
        assert!(
            whole.len() > 256 * 1024,
            "the case is large: {}",
            whole.len()
        );
        let bounded = event.to_bounded_json().unwrap();
        assert!(bounded.len() <= MAX_EVENT_BYTES, "{}", bounded.len());
        let body: Value = serde_json::from_str(&bounded).unwrap();
        let id = event.tenant_id.as_ref().unwrap().as_str();
        assert_eq!(body["truncated"], true);
        assert_eq!(
            body["fullState"],
            json!({"tenant": format!("/v1/tenants/{id}"),
                   "resources": format!("/v1/tenants/{id}/resources")})
        );
        // Its identity and order survive; the bulk goes, largest-first, until it fits.
        for field in [
            "eventId",
            "type",
            "tenantId",
            "version",
            "occurredAt",
            "actor",
        ] {
            assert_eq!(body[field], serde_json::to_value(&event).unwrap()[field]);
        }
        // The diff goes first; the resources, what a provisioner acts on, stay.
        assert_eq!(body["omitted"], json!(["changes"]));
        assert!(body.get("changes").is_none());
        assert_eq!(body["resources"].as_array().map(Vec::len), Some(50));
        // Trimming again changes nothing.
        assert_eq!(bounded_event_json(&bounded), bounded.as_str());
    }

    #[test]
    fn a_too_large_event_without_resources_loses_its_diff_first() {
        let mut event = deprovisioning(120);
        event.resources = None;
        let bounded = event.to_bounded_json().unwrap();
        assert!(bounded.len() <= MAX_EVENT_BYTES);
        let body: Value = serde_json::from_str(&bounded).unwrap();
        assert_eq!(body["omitted"], json!(["changes"]));
        assert_eq!(body["type"], "tenant.deprovisioning_started");
    }

    #[test]
    fn a_create_carries_the_tenant_and_a_fresh_unique_id() {
        let t = tenant();
        let (a, b) = (
            ChangeEvent::created(&t, &origin()),
            ChangeEvent::created(&t, &origin()),
        );
        assert_ne!(a.event_id, b.event_id);
        assert!(a.event_id.starts_with("evt_"));
        let body = serde_json::to_value(&a).unwrap();
        assert_eq!(body["type"], "tenant.created");
        assert_eq!(body["tenant"]["slug"], "acme");
        assert_eq!(body["version"], 1);
        assert!(body.get("changes").is_none());
    }
}
