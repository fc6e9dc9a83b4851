//! Provisioning: what a tenant needs once it exists (its plan's [`Blueprint`]), the state
//! of each of those [`Resource`]s, and the small state machine that sums them up in the
//! tenant's read-only [`Provisioning`] object.
//!
//! ```text
//! pending ──start──▶ in_progress ──all required ready──▶ ready
//!                        │  ▲
//!               one failed│  │retry
//!                        ▼  │
//!                       failed
//! (delete) ──▶ deprovisioning ──all deleted──▶ deprovisioned
//!                  │  ▲
//!        one failed│  │retry
//!                  ▼  │
//!                 failed
//! ```
//!
//! Every function here is pure: it takes the tenant as read and returns the tenant as it
//! must be written, or `None` when nothing changes. The service writes the result
//! conditioned on the version read, with the event [`transition`] names, so a duplicate or
//! late message finds nothing to do.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::plans::PlanCatalogue;
use super::tenant::{Tenant, TenantStatus};
use super::EventType;
use crate::error::ApiError;

/// The built-in step that invites the tenant's owner by email.
pub const OWNER_INVITATION: &str = "owner-invitation";
/// The built-in step that checks the tenant's AWS role with `sts:AssumeRole`.
pub const AWS_INTEGRATION: &str = "aws-integration";
/// Most resources one tenant holds (they live in the tenant's item).
pub const MAX_RESOURCES: usize = 50;
/// Most bytes of one resource's `metadata`, serialized.
pub const MAX_RESOURCE_METADATA_BYTES: usize = 2048;
/// Most bytes of all of one tenant's resources together, serialized (metadata, ARNs,
/// errors and all). They live in the tenant's item, beside its failures (a subset of
/// them) and its fields, which keeps that item far below DynamoDB's 400 KB.
pub const MAX_TENANT_RESOURCE_BYTES: usize = 128 * 1024;

/// The bytes `resources` take, serialized.
pub fn resources_size(resources: &[Resource]) -> usize {
    serde_json::to_vec(resources).map_or(usize::MAX, |bytes| bytes.len())
}
/// How long a worker holds a built-in step it started before another may take it over
/// (shorter than the queue's visibility timeout, so a redelivery always finds it free).
pub const STEP_LEASE_SECONDS: i64 = 60;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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
    super::values::text_schema(
        super::values::BOUNDED_TEXT_PATTERN,
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
    fn new(id: &str, kind: &str, built_in: bool, required: bool, now: &str) -> Self {
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

    fn resource_mut(&mut self, id: &str) -> Option<&mut Resource> {
        self.resources.iter_mut().find(|r| r.id == id)
    }
}

/// `after` holding `new` as its owner's invitation in place of the one `before` held, and
/// the invitation items that change writes (the new one put, the old one deleted).
pub fn replace_invitation(
    before: &Tenant,
    after: &mut Tenant,
    new: &super::invitation::Invitation,
) -> super::invitation::InvitationChange {
    after.provisioning_state.invitation = Some(InvitationRef {
        token_hash: new.token_hash.clone(),
        expires_at: new.expires_at.clone(),
    });
    super::invitation::InvitationChange::Issue {
        new: new.clone(),
        revoke: before
            .provisioning_state
            .invitation
            .as_ref()
            .map(|i| i.token_hash.clone()),
    }
}

/// A built-in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    OwnerInvitation,
    AwsIntegration,
}

impl Step {
    /// The step a resource id names, if it names one.
    pub fn of(id: &str) -> Option<Self> {
        match id {
            OWNER_INVITATION => Some(Self::OwnerInvitation),
            AWS_INTEGRATION => Some(Self::AwsIntegration),
            _ => None,
        }
    }

    /// Whether the step applies to `tenant` (it has the field the step works from).
    fn applies_to(self, tenant: &Tenant) -> bool {
        match self {
            Self::OwnerInvitation => tenant.fields.owner_email.is_some(),
            Self::AwsIntegration => tenant.fields.aws_role_arn.is_some(),
        }
    }
}

/// `^[a-z][a-z0-9-]{0,62}$`: resource ids and external resource types.
pub fn resource_name(text: &str) -> Result<String, String> {
    let ok = (1..=63).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(text.to_owned())
    } else {
        Err("must be 1-63 lowercase letters, digits or '-', starting with a letter".to_owned())
    }
}

/// One entry of a blueprint.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    id: String,
    kind: String,
    step: Option<Step>,
}

/// Which resources a tenant of each plan needs: built-in steps by name, and external
/// resources (`{"id", "type"}`) that a platform's own provisioner builds and reports.
///
/// ```json
/// {"default": ["owner-invitation", "aws-integration"],
///  "plans": {"enterprise": ["owner-invitation", "aws-integration",
///                           {"id": "dedicated-database", "type": "rds-cluster"}]}}
/// ```
///
/// A built-in step is required only of tenants with the field it works from
/// (`ownerEmail`, `awsRoleArn`); an external resource is required of every tenant of the
/// plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blueprint {
    default: Vec<Entry>,
    plans: BTreeMap<String, Vec<Entry>>,
}

/// The blueprint used when `PROVISIONING_BLUEPRINT` is unset (`shared/blueprint.json`).
pub const DEFAULT_BLUEPRINT: &str = include_str!("../../blueprint.json");

impl Blueprint {
    /// Parses and checks a blueprint against the plan catalogue.
    pub fn parse(text: &str, plans: &PlanCatalogue) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("is not JSON: {e}"))?;
        let Value::Object(top) = value else {
            return Err("must be a JSON object with \"default\" and \"plans\"".to_owned());
        };
        for key in top.keys() {
            if key != "default" && key != "plans" {
                return Err(format!("has an unknown key '{key}'"));
            }
        }
        let default = match top.get("default") {
            Some(list) => entries(list, "default")?,
            None => Vec::new(),
        };
        let mut by_plan = BTreeMap::new();
        match top.get("plans") {
            None => {}
            Some(Value::Object(map)) => {
                for (plan, list) in map {
                    if !plans.contains(plan) {
                        return Err(format!(
                            "names plan '{plan}', which is not in the catalogue ({})",
                            plans.plans().join(", ")
                        ));
                    }
                    by_plan.insert(plan.clone(), entries(list, plan)?);
                }
            }
            Some(_) => return Err("\"plans\" must map plan names to lists".to_owned()),
        }
        Ok(Self {
            default,
            plans: by_plan,
        })
    }

    /// The resources `tenant` needs, all pending, at `now`.
    pub fn resources_for(&self, tenant: &Tenant, now: &str) -> Vec<Resource> {
        self.plans
            .get(&tenant.plan)
            .unwrap_or(&self.default)
            .iter()
            .filter(|e| e.step.is_none_or(|step| step.applies_to(tenant)))
            .map(|e| Resource::new(&e.id, &e.kind, e.step.is_some(), true, now))
            .collect()
    }
}

fn entries(list: &Value, plan: &str) -> Result<Vec<Entry>, String> {
    let Value::Array(items) = list else {
        return Err(format!("the resources of '{plan}' must be a list"));
    };
    let mut out: Vec<Entry> = Vec::new();
    for item in items {
        let entry = match item {
            Value::String(name) => match Step::of(name) {
                Some(step) => Entry {
                    id: name.clone(),
                    kind: name.clone(),
                    step: Some(step),
                },
                None => {
                    return Err(format!(
                        "'{name}' in '{plan}' is not a built-in step ({OWNER_INVITATION}, {AWS_INTEGRATION}); name external resources as {{\"id\", \"type\"}}"
                    ))
                }
            },
            Value::Object(map) => {
                let text = |key: &str| match map.get(key) {
                    Some(Value::String(s)) => resource_name(s)
                        .map_err(|why| format!("the {key} '{s}' in '{plan}' {why}")),
                    _ => Err(format!("each external resource of '{plan}' needs a text '{key}'")),
                };
                let (id, kind) = (text("id")?, text("type")?);
                if map.len() != 2 {
                    return Err(format!("external resource '{id}' of '{plan}' may hold only id and type"));
                }
                if Step::of(&id).is_some() {
                    return Err(format!("'{id}' is a built-in step's id"));
                }
                Entry { id, kind, step: None }
            }
            _ => return Err(format!("the resources of '{plan}' must be names or objects")),
        };
        if out.iter().any(|e| e.id == entry.id) {
            return Err(format!("'{}' appears twice in '{plan}'", entry.id));
        }
        out.push(entry);
    }
    if out.len() > MAX_RESOURCES {
        return Err(format!(
            "'{plan}' names more than {MAX_RESOURCES} resources"
        ));
    }
    Ok(out)
}

/// What a worker should do next for a tenant, in order of need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Create the blueprint's resources and start (a new tenant).
    Start,
    /// Announce the resources for removal (a deleted tenant).
    StartDeprovisioning,
    /// Run built-in step `step` of resource `id` (`undo`: remove what it made).
    Run { id: String, step: Step, undo: bool },
    /// Nothing, for now: external provisioners or a retry must act.
    Wait,
}

/// `until` as a timestamp, for leases.
fn lease_live(lease: Option<&String>, now: &str) -> bool {
    lease
        .and_then(|l| l.split('#').next())
        .is_some_and(|until| until > now)
}

/// What the worker should do for `tenant` at `now`.
pub fn next_step(tenant: &Tenant, now: &str) -> NextStep {
    let p = &tenant.provisioning;
    let state = &tenant.provisioning_state;
    if tenant.status == TenantStatus::Deleted {
        if !p.is_deprovisioning() {
            return NextStep::StartDeprovisioning;
        }
        if p.status == ProvisioningStatus::Deprovisioning {
            if let Some(r) = state
                .resources
                .iter()
                .find(|r| r.built_in && r.status == ResourceStatus::Deleting)
            {
                if let Some(step) = Step::of(&r.id) {
                    return NextStep::Run {
                        id: r.id.clone(),
                        step,
                        undo: true,
                    };
                }
            }
        }
        return NextStep::Wait;
    }
    match p.status {
        ProvisioningStatus::Pending => NextStep::Start,
        // A failed run still finishes its other built-in steps (the owner gets their
        // invitation even when the AWS role is wrong).
        ProvisioningStatus::InProgress | ProvisioningStatus::Failed => state
            .resources
            .iter()
            .filter(|r| r.built_in)
            .find(|r| match r.status {
                ResourceStatus::Pending => true,
                ResourceStatus::InProgress => !lease_live(state.leases.get(&r.id), now),
                _ => false,
            })
            .and_then(|r| {
                Step::of(&r.id).map(|step| NextStep::Run {
                    id: r.id.clone(),
                    step,
                    undo: false,
                })
            })
            .unwrap_or(NextStep::Wait),
        _ => NextStep::Wait,
    }
}

/// `tenant` with its blueprint's resources, provisioning started at `now` (or `None` if it
/// started already or the tenant is deleted).
pub fn start(tenant: &Tenant, blueprint: &Blueprint, now: &str) -> Option<Tenant> {
    if tenant.status == TenantStatus::Deleted
        || tenant.provisioning.status != ProvisioningStatus::Pending
    {
        return None;
    }
    let mut next = tenant.clone();
    next.provisioning_state.resources = blueprint.resources_for(tenant, now);
    next.provisioning.status = ProvisioningStatus::InProgress;
    next.provisioning.started_at = Some(now.to_owned());
    next.provisioning.attempts = 1;
    settle(&mut next, now);
    Some(next)
}

/// `tenant` (deleted) with every resource announced for removal at `now`.
pub fn start_deprovisioning(tenant: &Tenant, now: &str) -> Option<Tenant> {
    if tenant.status != TenantStatus::Deleted || tenant.provisioning.is_deprovisioning() {
        return None;
    }
    let mut next = tenant.clone();
    next.provisioning.status = ProvisioningStatus::Deprovisioning;
    next.provisioning.deprovisioning_started_at = Some(now.to_owned());
    next.provisioning.completed_at = None;
    next.provisioning.failures.clear();
    next.provisioning_state.leases.clear();
    for r in &mut next.provisioning_state.resources {
        if r.status != ResourceStatus::Deleted {
            // Nothing was ever made for a built-in step that did not run.
            r.status = if r.built_in && r.status == ResourceStatus::Pending {
                ResourceStatus::Deleted
            } else {
                ResourceStatus::Deleting
            };
            r.error = None;
            r.version += 1;
            r.updated_at = now.to_owned();
        }
    }
    settle(&mut next, now);
    Some(next)
}

/// Recomputes the provisioning status from the resources (no change while pending or
/// after it ended, except that a failure is kept until a retry).
pub fn settle(tenant: &mut Tenant, now: &str) {
    let p = &mut tenant.provisioning;
    let resources = &tenant.provisioning_state.resources;
    let failures: Vec<ResourceFailure> = resources
        .iter()
        .filter(|r| r.status == ResourceStatus::Failed)
        .map(|r| ResourceFailure {
            resource_id: r.id.clone(),
            kind: r.kind.clone(),
            error: r.error.clone().unwrap_or_else(|| ResourceError {
                code: "Failed".to_owned(),
                message: "the resource failed".to_owned(),
            }),
        })
        .collect();
    let status = if p.is_deprovisioning() {
        if !failures.is_empty() {
            ProvisioningStatus::Failed
        } else if resources
            .iter()
            .all(|r| r.status == ResourceStatus::Deleted)
        {
            ProvisioningStatus::Deprovisioned
        } else {
            ProvisioningStatus::Deprovisioning
        }
    } else {
        match p.status {
            ProvisioningStatus::Pending => return,
            _ if resources
                .iter()
                .any(|r| r.required && r.status == ResourceStatus::Failed) =>
            {
                ProvisioningStatus::Failed
            }
            _ if resources
                .iter()
                .filter(|r| r.required)
                .all(|r| r.status == ResourceStatus::Ready) =>
            {
                ProvisioningStatus::Ready
            }
            ProvisioningStatus::Failed => ProvisioningStatus::Failed,
            _ => ProvisioningStatus::InProgress,
        }
    };
    let ended = matches!(
        status,
        ProvisioningStatus::Ready | ProvisioningStatus::Failed | ProvisioningStatus::Deprovisioned
    );
    if status != p.status || (ended && p.completed_at.is_none()) {
        p.completed_at = ended.then(|| now.to_owned());
    }
    p.status = status;
    p.failures = failures;
}

/// The event a change of provisioning from `before` to `after` is announced with.
pub fn transition(before: &Provisioning, after: &Provisioning) -> Option<EventType> {
    use ProvisioningStatus as S;
    if before.status == after.status && before.attempts == after.attempts {
        return None;
    }
    Some(match (before.status, after.status) {
        (S::Failed, S::InProgress | S::Deprovisioning) => EventType::ProvisioningRetried,
        (S::Failed, S::Ready) if before.attempts != after.attempts => {
            EventType::ProvisioningRetried
        }
        (_, S::Deprovisioning) => EventType::DeprovisioningStarted,
        (_, S::Deprovisioned) => EventType::Deprovisioned,
        (S::Pending, S::InProgress) => EventType::ProvisioningStarted,
        (S::Pending, S::Ready) => EventType::ProvisioningStarted,
        (S::Pending, S::Failed) => EventType::ProvisioningStarted,
        (_, S::Ready) => EventType::Provisioned,
        (_, S::Failed) => EventType::ProvisioningFailed,
        _ => return None,
    })
}

/// Whether a transition announces resources that external provisioners must act on.
pub fn announces_resources(event: EventType) -> bool {
    matches!(
        event,
        EventType::ProvisioningStarted
            | EventType::ProvisioningRetried
            | EventType::DeprovisioningStarted
    )
}

/// `tenant` with its failed resources set to run again at `now`: `invalid_state` unless
/// provisioning (or deprovisioning) failed.
pub fn retry(tenant: &Tenant, now: &str) -> Result<Tenant, ApiError> {
    if tenant.provisioning.status != ProvisioningStatus::Failed {
        return Err(ApiError::InvalidState(format!(
            "tenant '{}' has nothing to retry: its provisioning is {}",
            tenant.id,
            serde_json::to_value(tenant.provisioning.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        )));
    }
    let mut next = tenant.clone();
    let deprovisioning = next.provisioning.is_deprovisioning();
    for r in &mut next.provisioning_state.resources {
        if r.status == ResourceStatus::Failed {
            r.status = if deprovisioning {
                ResourceStatus::Deleting
            } else {
                ResourceStatus::Pending
            };
            r.error = None;
            r.version += 1;
            r.updated_at = now.to_owned();
            next.provisioning_state.leases.remove(&r.id);
        }
    }
    next.provisioning.status = if deprovisioning {
        ProvisioningStatus::Deprovisioning
    } else {
        ProvisioningStatus::InProgress
    };
    next.provisioning.attempts += 1;
    next.provisioning.completed_at = None;
    settle(&mut next, now);
    Ok(next)
}

/// Why a call a built-in step makes did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    /// The service refused, for a reason a retry will not change (STS `AccessDenied`, SES
    /// `MessageRejected`…): the resource fails with it.
    Refused(ResourceError),
    /// Throttled, timed out or unreachable: worth another delivery.
    Transient(String),
}

/// How a built-in step ended.
#[derive(Debug, Clone, PartialEq)]
pub enum StepResult {
    /// Made (or removed, when undoing): what to record on the resource.
    Done {
        arn: Option<String>,
        external_id: Option<String>,
        region: Option<String>,
        metadata: Option<Map<String, Value>>,
    },
    Failed(ResourceError),
}

/// `tenant` with resource `id` marked as taken by a worker (`holder`) until the lease
/// ends: `None` if the resource is not runnable any more.
pub fn take_step(
    tenant: &Tenant,
    id: &str,
    holder: &str,
    now: &str,
    until: &str,
) -> Option<Tenant> {
    let mut next = tenant.clone();
    let resource = next.provisioning_state.resource_mut(id)?;
    let runnable = match resource.status {
        ResourceStatus::Pending => true,
        ResourceStatus::InProgress => !lease_live(tenant.provisioning_state.leases.get(id), now),
        _ => false,
    };
    if !runnable {
        return None;
    }
    resource.status = ResourceStatus::InProgress;
    resource.attempts += 1;
    resource.version += 1;
    resource.updated_at = now.to_owned();
    next.provisioning_state
        .leases
        .insert(id.to_owned(), format!("{until}#{holder}"));
    Some(next)
}

/// `tenant` with step `id` handed back by `holder` after a transient failure (pending
/// again, its lease dropped), so the next delivery may take it at once; `None` if the
/// step is no longer `holder`'s.
pub fn release_step(tenant: &Tenant, id: &str, holder: &str, now: &str) -> Option<Tenant> {
    let mut next = tenant.clone();
    let ours = next
        .provisioning_state
        .leases
        .get(id)
        .is_some_and(|lease| lease.ends_with(&format!("#{holder}")));
    let resource = next.provisioning_state.resource_mut(id)?;
    if !ours || resource.status != ResourceStatus::InProgress {
        return None;
    }
    resource.status = ResourceStatus::Pending;
    resource.version += 1;
    resource.updated_at = now.to_owned();
    next.provisioning_state.leases.remove(id);
    Some(next)
}

/// `tenant` with the result of built-in step `id` recorded at `now`, if the step is still
/// the one that ran (`holder`'s lease, or no lease for steps that take none); `None`
/// otherwise (another worker took it over, or it already ended).
pub fn record_step(
    tenant: &Tenant,
    id: &str,
    holder: Option<&str>,
    undo: bool,
    result: StepResult,
    now: &str,
) -> Option<Tenant> {
    let mut next = tenant.clone();
    let lease = next.provisioning_state.leases.get(id);
    let ours = match (holder, lease) {
        (Some(holder), Some(lease)) => lease.ends_with(&format!("#{holder}")),
        (None, None) => true,
        _ => false,
    };
    let resource = next.provisioning_state.resource_mut(id)?;
    let expected: &[ResourceStatus] = if undo {
        &[ResourceStatus::Deleting]
    } else {
        &[ResourceStatus::Pending, ResourceStatus::InProgress]
    };
    if !ours || !expected.contains(&resource.status) {
        return None;
    }
    match result {
        StepResult::Done {
            arn,
            external_id,
            region,
            metadata,
        } => {
            resource.status = if undo {
                ResourceStatus::Deleted
            } else {
                ResourceStatus::Ready
            };
            resource.error = None;
            if !undo {
                resource.arn = arn;
                resource.external_id = external_id;
                resource.region = region;
            }
            if metadata.is_some() {
                resource.metadata = metadata;
            }
        }
        StepResult::Failed(error) => {
            resource.status = ResourceStatus::Failed;
            resource.error = Some(error);
        }
    }
    if !undo {
        resource.attempts = resource.attempts.max(1);
    }
    resource.version += 1;
    resource.updated_at = now.to_owned();
    next.provisioning_state.leases.remove(id);
    settle(&mut next, now);
    Some(next)
}

/// `tenant` with its owner invitation recorded as sent at `now` (a resend, outside any
/// worker's lease): the `owner-invitation` resource is ready with `metadata`, and is added,
/// not required, if the blueprint did not name it.
pub fn record_invitation(tenant: &Tenant, metadata: Map<String, Value>, now: &str) -> Tenant {
    let mut next = tenant.clone();
    let state = &mut next.provisioning_state;
    if state.resource(OWNER_INVITATION).is_none() {
        state.resources.push(Resource::new(
            OWNER_INVITATION,
            OWNER_INVITATION,
            true,
            false,
            now,
        ));
    }
    if let Some(resource) = state.resource_mut(OWNER_INVITATION) {
        resource.status = ResourceStatus::Ready;
        resource.error = None;
        resource.metadata = Some(metadata);
        resource.attempts += 1;
        resource.version += 1;
        resource.updated_at = now.to_owned();
    }
    state.leases.remove(OWNER_INVITATION);
    settle(&mut next, now);
    next
}

/// What an external provisioner reports about one resource (`PUT .../resources/{id}`).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceReport {
    pub kind: String,
    pub status: ResourceStatus,
    pub arn: Option<String>,
    pub external_id: Option<String>,
    pub region: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    pub error: Option<ResourceError>,
}

/// `tenant` with `report` applied to resource `id` at `now`, and the resource as it is
/// now; `None` for the tenant when the report changes nothing (a repeat).
pub fn report(
    tenant: &Tenant,
    id: &str,
    report: &ResourceReport,
    now: &str,
) -> Result<(Option<Tenant>, Resource), ApiError> {
    if Step::of(id).is_some() {
        return Err(ApiError::InvalidState(format!(
            "resource '{id}' is a built-in step that the API runs itself"
        )));
    }
    let mut next = tenant.clone();
    let state = &mut next.provisioning_state;
    if state.resource(id).is_none() {
        if state.resources.len() >= MAX_RESOURCES {
            return Err(ApiError::InvalidState(format!(
                "tenant '{}' already has {MAX_RESOURCES} resources",
                tenant.id
            )));
        }
        // Not in the blueprint: the provisioner's own, which provisioning does not wait for.
        state
            .resources
            .push(Resource::new(id, &report.kind, false, false, now));
    }
    let Some(resource) = state.resource_mut(id) else {
        return Err(ApiError::internal("reporting a resource", "it vanished"));
    };
    if resource.kind != report.kind {
        return Err(ApiError::field(
            "type",
            format!("resource '{id}' is of type '{}'", resource.kind),
        ));
    }
    let unchanged = resource.status == report.status
        && resource.arn == report.arn
        && resource.external_id == report.external_id
        && resource.region == report.region
        && resource.metadata == report.metadata
        && resource.error == report.error;
    if unchanged {
        return Ok((None, resource.clone()));
    }
    resource.status = report.status;
    resource.arn = report.arn.clone();
    resource.external_id = report.external_id.clone();
    resource.region = report.region.clone();
    resource.metadata = report.metadata.clone();
    resource.error = report.error.clone();
    resource.version += 1;
    resource.updated_at = now.to_owned();
    let resource = resource.clone();
    // A report may shrink a tenant that is over its total, never grow it past it.
    let size = resources_size(&next.provisioning_state.resources);
    if size > MAX_TENANT_RESOURCE_BYTES
        && size > resources_size(&tenant.provisioning_state.resources)
    {
        return Err(ApiError::InvalidState(format!(
            "tenant '{}' may hold at most {MAX_TENANT_RESOURCE_BYTES} bytes of resources \
             (serialized, metadata included); this report would bring them to {size}",
            tenant.id
        )));
    }
    settle(&mut next, now);
    Ok((Some(next), resource))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plans::{DEFAULT_CATALOGUE, DEFAULT_PLAN};
    use crate::domain::NewTenant;
    use serde_json::json;

    fn plans() -> PlanCatalogue {
        PlanCatalogue::parse(DEFAULT_CATALOGUE, DEFAULT_PLAN).unwrap()
    }

    fn blueprint() -> Blueprint {
        Blueprint::parse(
            r#"{"default": ["owner-invitation", "aws-integration"],
                "plans": {"enterprise": ["owner-invitation", {"id": "db", "type": "rds-cluster"}]}}"#,
            &plans(),
        )
        .unwrap()
    }

    fn tenant(body: Value) -> Tenant {
        let new = NewTenant::from_json(body.as_object().unwrap(), &plans()).unwrap();
        Tenant::create(&new, "2026-01-01T00:00:00.000Z")
    }

    fn done() -> StepResult {
        StepResult::Done {
            arn: None,
            external_id: None,
            region: None,
            metadata: None,
        }
    }

    #[test]
    fn the_default_blueprint_parses_against_the_default_catalogue() {
        Blueprint::parse(DEFAULT_BLUEPRINT, &plans()).unwrap();
    }

    #[test]
    fn a_blueprint_refuses_unknown_plans_steps_and_duplicates() {
        for bad in [
            r#"{"plans": {"platinum": []}}"#,
            r#"{"default": ["send-flowers"]}"#,
            r#"{"default": [{"id": "db", "type": "x"}, {"id": "db", "type": "y"}]}"#,
            r#"{"default": [{"id": "owner-invitation", "type": "x"}]}"#,
            r#"{"default": [{"id": "Db", "type": "x"}]}"#,
            r#"{"extra": []}"#,
            r#"[]"#,
        ] {
            assert!(Blueprint::parse(bad, &plans()).is_err(), "{bad}");
        }
    }

    #[test]
    fn built_in_steps_apply_only_to_tenants_with_their_field() {
        let bare = tenant(json!({"name": "A", "slug": "acme"}));
        assert!(blueprint().resources_for(&bare, "t").is_empty());
        let full = tenant(
            json!({"name": "A", "slug": "acme", "ownerEmail": "o@a.example",
            "awsRoleArn": "arn:aws:iam::123456789012:role/Integration"}),
        );
        let ids: Vec<String> = blueprint()
            .resources_for(&full, "t")
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, ["owner-invitation", "aws-integration"]);
        let enterprise = tenant(json!({"name": "A", "slug": "acme", "plan": "enterprise"}));
        let ids: Vec<String> = blueprint()
            .resources_for(&enterprise, "t")
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, ["db"]);
    }

    #[test]
    fn a_tenant_without_resources_is_ready_as_soon_as_it_starts() {
        let t = tenant(json!({"name": "A", "slug": "acme"}));
        let started = start(&t, &blueprint(), "t1").unwrap();
        assert_eq!(started.provisioning.status, ProvisioningStatus::Ready);
        assert_eq!(started.provisioning.completed_at.as_deref(), Some("t1"));
        assert_eq!(
            transition(&t.provisioning, &started.provisioning),
            Some(EventType::ProvisioningStarted)
        );
        assert!(start(&started, &blueprint(), "t2").is_none(), "starts once");
    }

    #[test]
    fn one_failed_step_fails_provisioning_and_a_retry_runs_it_again() {
        let t = tenant(
            json!({"name": "A", "slug": "acme", "ownerEmail": "o@a.example",
            "awsRoleArn": "arn:aws:iam::123456789012:role/Integration"}),
        );
        let t = start(&t, &blueprint(), "t1").unwrap();
        assert_eq!(
            next_step(&t, "t1"),
            NextStep::Run {
                id: OWNER_INVITATION.into(),
                step: Step::OwnerInvitation,
                undo: false
            }
        );
        let taken = take_step(&t, OWNER_INVITATION, "w1", "t1", "t9").unwrap();
        assert!(
            take_step(&taken, OWNER_INVITATION, "w2", "t2", "t9").is_none(),
            "leased"
        );
        assert!(record_step(&taken, OWNER_INVITATION, Some("w2"), false, done(), "t2").is_none());
        let t = record_step(&taken, OWNER_INVITATION, Some("w1"), false, done(), "t2").unwrap();
        assert_eq!(t.provisioning.status, ProvisioningStatus::InProgress);
        let error = ResourceError {
            code: "AccessDenied".into(),
            message: "no".into(),
        };
        let failed = record_step(
            &t,
            AWS_INTEGRATION,
            None,
            false,
            StepResult::Failed(error),
            "t3",
        )
        .unwrap();
        assert_eq!(failed.provisioning.status, ProvisioningStatus::Failed);
        assert_eq!(failed.provisioning.failures[0].error.code, "AccessDenied");
        assert_eq!(
            transition(&t.provisioning, &failed.provisioning),
            Some(EventType::ProvisioningFailed)
        );
        assert_eq!(next_step(&failed, "t3"), NextStep::Wait);
        let retried = retry(&failed, "t4").unwrap();
        assert_eq!(retried.provisioning.attempts, 2);
        assert_eq!(
            transition(&failed.provisioning, &retried.provisioning),
            Some(EventType::ProvisioningRetried)
        );
        let ready = record_step(&retried, AWS_INTEGRATION, None, false, done(), "t5").unwrap();
        assert_eq!(ready.provisioning.status, ProvisioningStatus::Ready);
        assert!(ready.provisioning.failures.is_empty());
        assert_eq!(retry(&ready, "t6").unwrap_err().code(), "invalid_state");
    }

    #[test]
    fn an_external_resource_keeps_provisioning_in_progress_until_reported_ready() {
        let t = tenant(json!({"name": "A", "slug": "acme", "plan": "enterprise"}));
        let t = start(&t, &blueprint(), "t1").unwrap();
        assert_eq!(t.provisioning.status, ProvisioningStatus::InProgress);
        let mut ready = ResourceReport {
            kind: "rds-cluster".into(),
            status: ResourceStatus::Ready,
            arn: Some("arn:aws:rds:eu-west-1:123456789012:cluster:db".into()),
            external_id: None,
            region: None,
            metadata: None,
            error: None,
        };
        let (next, resource) = report(&t, "db", &ready, "t2").unwrap();
        let next = next.unwrap();
        assert_eq!(resource.version, 2);
        assert_eq!(next.provisioning.status, ProvisioningStatus::Ready);
        assert!(
            report(&next, "db", &ready, "t3").unwrap().0.is_none(),
            "a repeat"
        );
        ready.kind = "s3-bucket".into();
        assert_eq!(
            report(&next, "db", &ready, "t3").unwrap_err().code(),
            "validation_error"
        );
        assert_eq!(
            report(&next, OWNER_INVITATION, &ready, "t3")
                .unwrap_err()
                .code(),
            "invalid_state"
        );
    }

    #[test]
    fn deleting_announces_every_resource_and_ends_deprovisioned() {
        let t = tenant(json!({"name": "A", "slug": "acme", "plan": "enterprise",
            "ownerEmail": "o@a.example"}));
        let t = start(&t, &blueprint(), "t1").unwrap();
        let t = record_step(&t, OWNER_INVITATION, None, false, done(), "t2").unwrap();
        let deleted = t.deleted("t3").unwrap();
        let t = start_deprovisioning(&deleted, "t3").unwrap();
        assert_eq!(t.provisioning.status, ProvisioningStatus::Deprovisioning);
        assert_eq!(
            next_step(&t, "t3"),
            NextStep::Run {
                id: OWNER_INVITATION.into(),
                step: Step::OwnerInvitation,
                undo: true
            }
        );
        let t = record_step(&t, OWNER_INVITATION, None, true, done(), "t4").unwrap();
        assert_eq!(t.provisioning.status, ProvisioningStatus::Deprovisioning);
        let gone = ResourceReport {
            kind: "rds-cluster".into(),
            status: ResourceStatus::Deleted,
            arn: None,
            external_id: None,
            region: None,
            metadata: None,
            error: None,
        };
        let t = report(&t, "db", &gone, "t5").unwrap().0.unwrap();
        assert_eq!(t.provisioning.status, ProvisioningStatus::Deprovisioned);
        assert!(start_deprovisioning(&t, "t6").is_none());
    }
}
