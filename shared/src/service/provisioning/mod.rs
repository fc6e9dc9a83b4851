//! Provisioning: the worker that moves a tenant through its state machine, running the
//! built-in steps, and the three ways people and provisioners move it from outside
//! (report a resource, retry, and the tenant's own delete).
//!
//! Every move reads the tenant, lets a rule of [`crate::domain::provisioning`] compute its
//! next state, and writes it conditioned on the version read, with the event of its
//! transition in the same transaction. Losing a race means reading again, so a duplicate,
//! late or concurrent message finds nothing left to do.

use crate::domain::invitation::InvitationChange;
use crate::domain::provisioning::{self as rules, Resource};
use crate::domain::{clock, ChangeEvent, EventType, Origin, Tenant, TenantId};
use crate::error::ApiError;
use crate::runtime::App;
use crate::store::tenants::LimitedWrite;

/// The worker's name, the actor of the changes it makes.
pub const WORKER: &str = "provision-tenant";

/// Most moves one delivery makes (start, then a lease and a result per built-in step).
const MAX_MOVES: usize = 12;

/// Writes tenant `after` over `before` (version and time bumped) with the event of its
/// provisioning transition, if any, after `extra` events. `None`: `before` is stale.
pub(crate) async fn commit(
    app: &App,
    before: &Tenant,
    create_hash: &str,
    after: Tenant,
    invitation: &InvitationChange,
    origin: &Origin,
    extra: Vec<(EventType, Option<Vec<Resource>>)>,
) -> Result<Option<Tenant>, ApiError> {
    let committed = commit_limited(
        app,
        before,
        create_hash,
        after,
        invitation,
        origin,
        extra,
        None,
    )
    .await?;
    Ok(match committed {
        Committed::Written(after) => Some(*after),
        Committed::Stale | Committed::TooSoon { .. } => None,
    })
}

/// What [`commit_limited`] did.
#[derive(Debug)]
pub(crate) enum Committed {
    /// Written: the tenant as written.
    Written(Box<Tenant>),
    /// `before` is stale: nothing was written.
    Stale,
    /// The invitation was resent at `resent_at` (epoch seconds), after the limit allows:
    /// nothing was written.
    TooSoon { resent_at: i64 },
}

/// [`commit`], with `resent_by`: only if the stored tenant's invitation was not resent
/// after that time (epoch seconds), a condition of the write itself.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn commit_limited(
    app: &App,
    before: &Tenant,
    create_hash: &str,
    mut after: Tenant,
    invitation: &InvitationChange,
    origin: &Origin,
    extra: Vec<(EventType, Option<Vec<Resource>>)>,
    resent_by: Option<i64>,
) -> Result<Committed, ApiError> {
    after.version = before.version + 1;
    after.updated_at = clock::now_rfc3339();
    let mut events: Vec<ChangeEvent> = extra
        .into_iter()
        .map(|(t, resources)| ChangeEvent::provisioning(t, before, &after, origin, resources))
        .collect();
    if let Some(t) = rules::transition(&before.provisioning, &after.provisioning) {
        // External provisioners learn from these which resources to make or remove.
        let announced = rules::announces_resources(t).then(|| {
            after
                .provisioning_state
                .resources
                .iter()
                .filter(|r| !r.built_in)
                .cloned()
                .collect()
        });
        events.push(ChangeEvent::provisioning(
            t, before, &after, origin, announced,
        ));
    }
    let written = app
        .store
        .write_tenant_limited(before, &after, create_hash, invitation, &events, resent_by)
        .await?;
    Ok(match written {
        LimitedWrite::Written => Committed::Written(Box::new(after)),
        LimitedWrite::Stale => Committed::Stale,
        LimitedWrite::TooSoon { resent_at } => Committed::TooSoon { resent_at },
    })
}

/// [`commit`] of a change that touches no invitation and adds no event of its own.
async fn commit_plain(
    app: &App,
    before: &Tenant,
    create_hash: &str,
    after: Tenant,
    origin: &Origin,
) -> Result<Option<Tenant>, ApiError> {
    let none = InvitationChange::None;
    commit(app, before, create_hash, after, &none, origin, Vec::new()).await
}

/// Tenant `id` as it is now, with its create digest (it changed under a write).
pub(crate) async fn current(app: &App, id: &TenantId) -> Result<(Tenant, String), ApiError> {
    app.store
        .get_with_hash(id)
        .await?
        .ok_or_else(|| ApiError::tenant_not_found(id))
}

mod outside;
mod worker;

pub use outside::{report, resources, retry, Reported};
pub use worker::advance;
pub(crate) use worker::{issue, sent_metadata};
