//! The provisioning state a tenant carries: its read-only [`Provisioning`] summary, each
//! [`Resource`] and its status, and the pending owner invitation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::domain::tenant::Tenant;

/// Where the tenant's provisioning stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProvisioningStatus {
    /// Created; no worker has started yet.
    #[default]
    Pending,
    InProgress,
    /// Every required resource is ready.
    Ready,
    /// A resource failed (see `failures`); `POST .../provisioning/retry` runs it again.
    Failed,
    /// The tenant is deleted and its resources are being removed.
    Deprovisioning,
    /// Every resource is removed.
    Deprovisioned,
}

/// Where one resource stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResourceStatus {
    Pending,
    InProgress,
    Ready,
    Failed,
    /// Announced for removal.
    Deleting,
    Deleted,
}

impl ResourceStatus {
    const ALL: [Self; 6] = [
        Self::Pending,
        Self::InProgress,
        Self::Ready,
        Self::Failed,
        Self::Deleting,
        Self::Deleted,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InProgress => "in_progress",
            Self::Ready => "ready",
            Self::Failed => "failed",
            Self::Deleting => "deleting",
            Self::Deleted => "deleted",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                "must be one of: pending, in_progress, ready, failed, deleting, deleted".to_owned()
            })
    }
}

/// Why a resource failed: a machine-readable code (STS's or SES's error code for the
/// built-in steps) and a message for people.
// Nothing else: a provisioner's report with another member is refused (400), and the schema
// says so (`additionalProperties: false`, which utoipa derives from `deny_unknown_fields`;
// a plain comment, so that the schema's description stays the type's doc).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceError {
    #[schema(
        example = "AccessDenied",
        pattern = r"^[!-~]{1,128}$",
        min_length = 1,
        max_length = 128
    )]
    pub code: String,
    #[schema(schema_with = error_message_schema)]
    pub message: String,
}

fn error_message_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::domain::values::text_schema(
        crate::domain::values::BOUNDED_TEXT_PATTERN,
        (1, 1000),
        "the role's trust policy does not allow this external id",
        "What went wrong, for people.",
    )
}

/// A failed resource, as the tenant's provisioning lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceFailure {
    pub resource_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub error: ResourceError,
}

/// The tenant's provisioning, read-only: its status, when it started and settled, how
/// many runs it took, and the resources that failed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Provisioning {
    pub status: ProvisioningStatus,
    pub started_at: Option<String>,
    /// When it last reached `ready`, `failed` or `deprovisioned`.
    pub completed_at: Option<String>,
    /// Runs so far: 1 for the first, one more per retry.
    pub attempts: u32,
    /// When deprovisioning started (the tenant was deleted).
    #[serde(default)]
    pub deprovisioning_started_at: Option<String>,
    #[serde(default)]
    pub failures: Vec<ResourceFailure>,
}

impl Provisioning {
    /// Whether the tenant's resources are being (or have been) removed.
    pub fn is_deprovisioning(&self) -> bool {
        self.deprovisioning_started_at.is_some()
    }
}

/// One resource of a tenant: a built-in step's result or what an external provisioner
/// reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    #[schema(example = "dedicated-database")]
    pub id: String,
    #[serde(rename = "type")]
    #[schema(example = "rds-cluster")]
    pub kind: String,
    /// Whether the API runs it itself (`owner-invitation`, `aws-integration`).
    pub built_in: bool,
    /// Whether provisioning waits for it (every resource the blueprint names).
    pub required: bool,
    pub status: ResourceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ResourceError>,
    /// Times a built-in step ran.
    pub attempts: u32,
    /// Bumped by every change of this resource (its `ETag`).
    pub version: i64,
    pub updated_at: String,
}

impl Resource {
    pub(super) fn new(id: &str, kind: &str, built_in: bool, required: bool, now: &str) -> Self {
        Self {
            id: id.to_owned(),
            kind: kind.to_owned(),
            built_in,
            required,
            status: ResourceStatus::Pending,
            arn: None,
            external_id: None,
            region: None,
            metadata: None,
            error: None,
            attempts: 0,
            version: 1,
            updated_at: now.to_owned(),
        }
    }
}

/// A reference to the owner's current invitation (the token itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationRef {
    pub token_hash: String,
    pub expires_at: String,
}

/// What the tenant's item holds about provisioning besides the public object: its
/// resources, the owner's pending invitation and the leases of running steps. Never part
/// of the tenant's API representation or of its events.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningState {
    #[serde(default)]
    pub resources: Vec<Resource>,
    #[serde(default)]
    pub invitation: Option<InvitationRef>,
    /// Resource id → `<until>#<holder>` of the worker running that step.
    #[serde(default)]
    pub leases: BTreeMap<String, String>,
    /// When the owner's invitation was last resent (epoch seconds). Not in this JSON: the
    /// store keeps it as an attribute of its own, which the next resend's write is
    /// conditioned on (the resend limit).
    #[serde(skip)]
    pub invitation_resent_at: Option<i64>,
}

impl ProvisioningState {
    /// The resource `id`, if the tenant has it.
    pub fn resource(&self, id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.id == id)
    }

    pub(super) fn resource_mut(&mut self, id: &str) -> Option<&mut Resource> {
        self.resources.iter_mut().find(|r| r.id == id)
    }
}

/// `after` holding `new` as its owner's invitation in place of the one `before` held, and
/// the invitation items that change writes (the new one put, the old one deleted).
pub fn replace_invitation(
    before: &Tenant,
    after: &mut Tenant,
    new: &crate::domain::invitation::Invitation,
) -> crate::domain::invitation::InvitationChange {
    after.provisioning_state.invitation = Some(InvitationRef {
        token_hash: new.token_hash.clone(),
        expires_at: new.expires_at.clone(),
    });
    crate::domain::invitation::InvitationChange::Issue {
        new: new.clone(),
        revoke: before
            .provisioning_state
            .invitation
            .as_ref()
            .map(|i| i.token_hash.clone()),
    }
}
