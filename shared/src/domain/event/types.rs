//! The event's types: what happened, who did it, and the event as stored, published and
//! listed, with the parts it may carry.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::api_key::ApiKeyView;
use crate::domain::domains::DomainStatus;
use crate::domain::entitlements::effective::OverLimit;
use crate::domain::provisioning::Resource;
use crate::domain::tenant::Tenant;
use crate::domain::values::{DomainName, TenantId, UserId};

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
    /// Every type, in the order of docs/events.md.
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
