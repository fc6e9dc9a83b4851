//! Creating a tenant, and changing one: every change reads the tenant, computes its next
//! state with a domain rule and writes it conditioned on the version it read.

use serde_json::{Map, Value};

use crate::auth::access::{Session, TenantAccess};
use crate::auth::Action;
use crate::domain::domains::DomainClaim;
use crate::domain::entitlements::effective::{
    check_overrides, counter_key, over_limit, snapshot, OverLimit,
};
use crate::domain::input::{canonical_json, hex_sha256};
use crate::domain::invitation::InvitationChange;
use crate::domain::plans::PlanDirection;
use crate::domain::stats::TenantStats;
use crate::domain::tenant::{GuardedFields, IfMatch, LoginMode};
use crate::domain::values::AwsExternalId;
use crate::domain::{clock, patch, AdminGrant, ChangeEvent, EventType, NewTenant, Roles, Tenant};
use crate::error::ApiError;
use crate::runtime::App;
use crate::store::usage::LimitsChange;
use crate::store::Created;

/// 128 random bits as hex (verification tokens).
pub(crate) fn random_hex() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal("drawing a token", e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// How often a read-modify-write is retried after losing a race to another writer.
pub(crate) const MAX_ATTEMPTS: usize = 10;

/// The tenant as it is now (it changed under a change made against it).
pub(crate) async fn reread(app: &App, tenant: &Tenant) -> Result<Tenant, ApiError> {
    app.store
        .get(&tenant.id)
        .await?
        .ok_or_else(|| ApiError::tenant_not_found(&tenant.id))
}

/// A change that lost every race: the client may retry.
pub(crate) fn kept_changing(id: &crate::domain::TenantId) -> ApiError {
    ApiError::Unavailable(format!(
        "tenant {id} kept changing during {MAX_ATTEMPTS} attempts"
    ))
}

/// What a create did.
#[derive(Debug)]
pub enum Creation {
    /// The tenant was created; the caller's roles on it.
    New(Tenant, Roles),
    /// The same create was sent before: the tenant it made.
    Replayed(Tenant, Roles),
}

/// Creates a tenant from a create body, with its initial admins and its `tenant.created`
/// event, in one transaction. A replay of the same body with the same id answers with the
/// tenant it made (and writes no second event).
pub async fn create(
    app: &App,
    session: &Session,
    body: Map<String, Value>,
) -> Result<Creation, ApiError> {
    let mut new = NewTenant::from_json(&body, &app.config.plans)?;
    let digest = hex_sha256(&canonical_json(&Value::Object(body)));
    // The platform draws the tenant's STS external id, unless the (platform admin's)
    // create imports one. A replay finds the tenant made first, with the id drawn then.
    if new.fields.aws_external_id.is_none() {
        new.fields.aws_external_id = Some(draw_external_id()?);
    }
    let now = clock::now_rfc3339();
    let tenant = Tenant::create(&new, &now);
    let admins: Vec<AdminGrant> = new
        .initial_admin_user_ids
        .iter()
        .map(|user| AdminGrant {
            tenant_id: tenant.id.clone(),
            user_id: user.clone(),
            granted_at: now.clone(),
            granted_by: session.caller.id.clone(),
        })
        .collect();
    let caller_is_initial_admin = session
        .caller
        .user_id()
        .is_some_and(|user| new.initial_admin_user_ids.contains(&user));
    let new_id = tenant.id.clone();
    let roles_on = |t: &Tenant| session.roles_on(t, caller_is_initial_admin && t.id == new_id);
    // An email-domain tenant's emailDomain is its first domain, claimed with it (pending
    // until verified: it admits nobody before).
    let domains: Vec<DomainClaim> = match (&tenant.fields.login_mode, &tenant.fields.email_domain) {
        (LoginMode::EmailDomain, Some(domain)) => vec![DomainClaim::new(
            &tenant.id,
            domain.clone(),
            &random_hex()?,
            &now,
            &session.caller.id,
        )],
        _ => Vec::new(),
    };
    let event = ChangeEvent::created(&tenant, &session.origin());
    match app
        .store
        .create(&tenant, &digest, &admins, &domains, &event)
        .await?
    {
        Created::New => {
            let roles = roles_on(&tenant);
            Ok(Creation::New(tenant, roles))
        }
        Created::IdTaken(existing, existing_digest) if existing_digest == digest => {
            let roles = roles_on(&existing);
            Ok(Creation::Replayed(*existing, roles))
        }
        Created::IdTaken(existing, _) => Err(ApiError::IdConflict(existing.id.to_string())),
    }
}

/// Starting from the tenant read for authorization, lets `change` compute its next state
/// (or `None` for no change) and writes it, with its `event_type` event, conditioned on
/// the version read, re-reading and retrying when another writer got there first. With
/// `If-Match`, a version mismatch is `412` instead of a retry. No change, no event.
pub async fn mutate(
    app: &App,
    access: &TenantAccess,
    precondition: &IfMatch,
    event_type: EventType,
    change: impl Fn(&Tenant) -> Result<Option<Tenant>, ApiError>,
) -> Result<Tenant, ApiError> {
    Ok(
        mutate_entitled(app, access, precondition, event_type, change, false)
            .await?
            .tenant,
    )
}

/// What a change did, with the counted features it left above their limits.
#[derive(Debug)]
pub struct Changed {
    pub tenant: Tenant,
    /// Counted features whose usage is above the limit after the change.
    pub over_limit: Vec<OverLimit>,
}

/// [`mutate`], which also writes, in the same transaction, `tenant.entitlements_changed`
/// when the change moves any effective entitlement, and `tenant.over_limit` when it leaves
/// a counted feature above its limit that was not before. With `dry_run`, computes the
/// change and writes nothing.
pub async fn mutate_entitled(
    app: &App,
    access: &TenantAccess,
    precondition: &IfMatch,
    event_type: EventType,
    change: impl Fn(&Tenant) -> Result<Option<Tenant>, ApiError>,
    dry_run: bool,
) -> Result<Changed, ApiError> {
    let origin = access.session.origin();
    let id = &access.tenant.id;
    let plans = &app.config.plans;
    let mut read = Some((access.tenant.clone(), access.create_hash.clone()));
    for _ in 0..MAX_ATTEMPTS {
        let first_attempt = read.is_some();
        let (current, digest) = match read.take() {
            Some(first) => first,
            None => app
                .store
                .get_with_hash(id)
                .await?
                .ok_or_else(|| ApiError::tenant_not_found(id))?,
        };
        if !precondition.allows(current.version) {
            return Err(ApiError::PreconditionFailed {
                current: current.version,
            });
        }
        let Some(mut next) = change(&current)? else {
            return Ok(Changed {
                tenant: current,
                over_limit: Vec::new(),
            });
        };
        next.version = current.version + 1;
        next.updated_at = clock::now_rfc3339();
        let mut events = vec![ChangeEvent::changed(event_type, &current, &next, &origin)];
        let before = snapshot(plans, &current.plan, &current.fields);
        let after = snapshot(plans, &next.plan, &next.fields);
        let mut over = Vec::new();
        // A change of what the tenant may use (its entitlements or its status) is recorded
        // on its usage item too: reports decided before it are decided again.
        let limits = if before != after || current.status != next.status {
            // The first attempt uses the counters read with the tenant, when they were.
            let usage = match (first_attempt, &access.usage) {
                (true, Some(usage)) => usage.clone(),
                _ => app.store.usage(id).await?,
            };
            let now = &next.updated_at;
            if before != after {
                let was_over = over_limit(plans, &current.plan, &current.fields, &usage, now);
                over = over_limit(plans, &next.plan, &next.fields, &usage, now);
                events.push(ChangeEvent::entitlements_changed(&next, after, &origin));
                if over
                    .iter()
                    .any(|o| !was_over.iter().any(|w| w.feature == o.feature))
                {
                    events.push(ChangeEvent::over_limit(&next, over.clone(), &origin));
                }
            }
            let counters = plans
                .features()
                .iter()
                .filter_map(|f| counter_key(f, now))
                .map(|key| {
                    let read = usage.0.get(&key).copied();
                    (key, read)
                })
                .collect();
            Some(LimitsChange {
                tenant_id: id.clone(),
                version: next.version,
                counters,
            })
        } else {
            None
        };
        if dry_run {
            return Ok(Changed {
                tenant: next,
                over_limit: over,
            });
        }
        let written = match &limits {
            Some(limits) => {
                app.store
                    .write_tenant_limits(&current, &next, &digest, &events, limits)
                    .await?
            }
            None => {
                app.store
                    .write_tenant(&current, &next, &digest, &InvitationChange::None, &events)
                    .await?
            }
        };
        if written {
            return Ok(Changed {
                tenant: next,
                over_limit: over,
            });
        }
        // Someone else wrote first: read again (and re-check If-Match against their write).
    }
    Err(kept_changing(id))
}

/// A fresh STS external id for a tenant.
pub(crate) fn draw_external_id() -> Result<AwsExternalId, ApiError> {
    AwsExternalId::generate().map_err(|e| ApiError::internal("drawing an external id", e))
}

/// The permission a change to `group`'s fields needs besides [`Action::UpdateTenant`].
fn guard_action(group: GuardedFields) -> Action {
    match group {
        GuardedFields::Owner => Action::ChangeOwner,
        GuardedFields::Limits => Action::ChangeLimits,
        GuardedFields::AwsExternalId => Action::SetAwsExternalId,
    }
}

/// Applies a JSON merge patch to the tenant's mutable fields. A change to a guarded field
/// (owner, limits, external id) needs the policies' permission for it too: a value sent
/// back unchanged needs none. `"awsExternalId": null` does not remove the external id: it
/// draws a new one (a rotation; a value imports one).
pub async fn update(
    app: &App,
    access: &TenantAccess,
    precondition: &IfMatch,
    patch_body: &Map<String, Value>,
) -> Result<Tenant, ApiError> {
    mutate(
        app,
        access,
        precondition,
        EventType::TenantUpdated,
        |current| {
            current.ensure_not_deleted("updated")?;
            let mut fields = patch::apply(current, patch_body)?;
            if patch_body.get("awsExternalId") == Some(&Value::Null) {
                fields.aws_external_id = Some(draw_external_id()?);
            }
            for group in current.fields.guarded_changes(&fields) {
                app.auth.check_on(access, guard_action(group))?;
            }
            // Only overrides this patch sets are checked: one recorded before (a feature the
            // plan file has since dropped) does not block the tenant's other changes.
            let changed: std::collections::BTreeMap<String, Value> = fields
                .overrides
                .iter()
                .filter(|(name, value)| current.fields.overrides.get(*name) != Some(value))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect();
            let mut problems = crate::domain::input::Problems::default();
            check_overrides(&app.config.plans, &changed, &mut problems);
            problems.finish(())?;
            fields.require_sso_grant(&app.config.plans, &current.plan, Some(&current.fields))?;
            current.with_fields(fields)
        },
    )
    .await
}

/// Moves the tenant to `plan`, which must lie in `direction` (with `dry_run`, only says
/// what the change would do). A downgrade is never refused for usage: the features left
/// above their new limits are returned (and announced by `tenant.over_limit`).
pub async fn change_plan(
    app: &App,
    access: &TenantAccess,
    direction: PlanDirection,
    plan: &str,
    dry_run: bool,
) -> Result<Changed, ApiError> {
    mutate_entitled(
        app,
        access,
        &IfMatch::Any,
        EventType::TenantPlanChanged,
        |current| current.with_plan(&app.config.plans, direction, plan),
        dry_run,
    )
    .await
}

/// Suspends the tenant (a suspended one stays as it is).
pub async fn suspend(
    app: &App,
    access: &TenantAccess,
    reason: Option<String>,
) -> Result<Tenant, ApiError> {
    mutate(
        app,
        access,
        &IfMatch::Any,
        EventType::TenantSuspended,
        |current| current.suspended(reason.clone(), &clock::now_rfc3339()),
    )
    .await
}

/// Activates a suspended tenant (an active one stays as it is).
pub async fn activate(app: &App, access: &TenantAccess) -> Result<Tenant, ApiError> {
    mutate(
        app,
        access,
        &IfMatch::Any,
        EventType::TenantActivated,
        Tenant::activated,
    )
    .await
}

/// Soft-deletes the tenant (a deleted one stays as it is).
pub async fn delete(
    app: &App,
    access: &TenantAccess,
    precondition: &IfMatch,
) -> Result<Tenant, ApiError> {
    mutate(
        app,
        access,
        precondition,
        EventType::TenantDeleted,
        |current| Ok(current.deleted(&clock::now_rfc3339())),
    )
    .await
}

/// The tenant counters, summed.
pub async fn stats(app: &App) -> Result<TenantStats, ApiError> {
    let shards = app.store.counter_shards().await?;
    Ok(TenantStats::from_shards(&shards, &app.config.plans))
}
