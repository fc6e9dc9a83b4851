//! The state machine: what a worker does next, starting, settling, retrying, and taking,
//! releasing and recording the built-in steps.

use serde_json::{Map, Value};

use super::*;
use crate::domain::tenant::{Tenant, TenantStatus};
use crate::domain::EventType;
use crate::error::ApiError;

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
