//! Moves from outside the worker: a provisioner's report on a resource, a retry, and
//! reading the resources.

use crate::auth::access::TenantAccess;
use crate::domain::invitation::InvitationChange;
use crate::domain::provisioning::{self as rules, Provisioning, Resource, ResourceReport};
use crate::domain::tenant::IfMatch;
use crate::domain::{clock, EventType};
use crate::error::ApiError;
use crate::runtime::App;
use crate::service::tenants::{kept_changing, MAX_ATTEMPTS};

use super::*;

/// The tenant's resources (read with its authorization: no further read).
pub fn resources(access: &TenantAccess) -> Vec<Resource> {
    access.tenant.provisioning_state.resources.clone()
}

/// What reporting a resource did.
#[derive(Debug)]
pub struct Reported {
    pub resource: Resource,
    /// The resource did not exist before.
    pub created: bool,
}

/// Applies an external provisioner's `report` on resource `id`; `If-Match` names the
/// resource's version. A repeat of the last report changes nothing and writes nothing.
pub async fn report(
    app: &App,
    access: &TenantAccess,
    id: &str,
    report: &ResourceReport,
    precondition: &IfMatch,
) -> Result<Reported, ApiError> {
    let origin = access.session.origin();
    let (mut tenant, mut hash) = (access.tenant.clone(), access.create_hash.clone());
    for _ in 0..MAX_ATTEMPTS {
        let existing = tenant.provisioning_state.resource(id);
        let created = existing.is_none();
        let current_version = existing.map_or(0, |r| r.version);
        if !precondition.allows(current_version) {
            return Err(ApiError::PreconditionFailed {
                current: current_version,
            });
        }
        let now = clock::now_rfc3339();
        let (next, resource) = rules::report(&tenant, id, report, &now)?;
        let Some(next) = next else {
            return Ok(Reported {
                resource,
                created: false,
            });
        };
        let extra = vec![(EventType::ResourceReported, Some(vec![resource.clone()]))];
        if commit(
            app,
            &tenant,
            &hash,
            next,
            &InvitationChange::None,
            &origin,
            extra,
        )
        .await?
        .is_some()
        {
            return Ok(Reported { resource, created });
        }
        (tenant, hash) = current(app, &tenant.id).await?;
    }
    Err(kept_changing(&access.tenant.id))
}

/// Runs a failed provisioning (or deprovisioning) again: its failed built-in steps by the
/// worker, its failed external resources announced again to their provisioners.
pub async fn retry(app: &App, access: &TenantAccess) -> Result<Provisioning, ApiError> {
    let origin = access.session.origin();
    let (mut tenant, mut hash) = (access.tenant.clone(), access.create_hash.clone());
    for _ in 0..MAX_ATTEMPTS {
        let next = rules::retry(&tenant, &clock::now_rfc3339())?;
        if let Some(written) = commit_plain(app, &tenant, &hash, next, &origin).await? {
            return Ok(written.provisioning);
        }
        (tenant, hash) = current(app, &tenant.id).await?;
    }
    Err(kept_changing(&access.tenant.id))
}
