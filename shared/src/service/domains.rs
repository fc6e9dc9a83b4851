//! A tenant's email domains (add, verify, remove, list) and login discovery: which tenant
//! a person signs in to, and how.
//!
//! Every change is made against the tenant's current version with its event, re-read and
//! retried when the tenant changed under it.

use crate::auth::access::TenantAccess;
use crate::domain::domains::{claimable, recheck, DomainClaim, DomainStatus, LoginTarget, Recheck};
use crate::domain::event::Origin;
use crate::domain::values::DomainName;
use crate::domain::{clock, ChangeEvent, EventType, Page, Slug, Tenant};
use crate::error::ApiError;
use crate::runtime::App;
use crate::service::tenants::{kept_changing, reread, MAX_ATTEMPTS};
use crate::store::domains::Proof;
use crate::store::domains::{Added, DueDomain, Verification};

/// What adding a domain did.
#[derive(Debug)]
pub enum Addition {
    /// The claim is new (verified too, when a platform admin marked it so).
    New(DomainClaim),
    /// The tenant already claimed the domain: its claim as it is.
    Existing(DomainClaim),
}

fn domain_not_found(tenant: &Tenant, domain: &str) -> ApiError {
    ApiError::NotFound(format!("tenant '{}' has no domain '{domain}'", tenant.id))
}

/// Claims `domain` for the tenant; with `mark_verified` (a platform admin, for domains the
/// platform manages) it is verified at once, without a DNS record.
pub async fn add(
    app: &App,
    access: &TenantAccess,
    domain: &str,
    mark_verified: bool,
) -> Result<Addition, ApiError> {
    let domain = claimable(domain).map_err(|why| ApiError::field("domain", why))?;
    let origin = access.session.origin();
    let by = &access.session.caller.id;
    let mut tenant = access.tenant.clone();
    for _ in 0..MAX_ATTEMPTS {
        tenant.ensure_not_deleted("given domains")?;
        let now = clock::now_rfc3339();
        let claim = DomainClaim::new(
            &tenant.id,
            domain.clone(),
            &super::tenants::random_hex()?,
            &now,
            by,
        );
        let event = ChangeEvent::domain(
            EventType::DomainAdded,
            &claim,
            tenant.version,
            &origin,
            &now,
        );
        match app.store.add_domain(&claim, tenant.version, &event).await? {
            Some(Added::New(claim)) if mark_verified => {
                return confirm(app, access, claim, Proof::Marked)
                    .await
                    .map(Addition::New)
            }
            Some(Added::Existing(claim))
                if mark_verified && claim.status != DomainStatus::Verified =>
            {
                return confirm(app, access, claim, Proof::Marked)
                    .await
                    .map(Addition::Existing)
            }
            Some(Added::New(claim)) => return Ok(Addition::New(claim)),
            Some(Added::Existing(claim)) => return Ok(Addition::Existing(claim)),
            None => tenant = reread(app, &tenant).await?,
        }
    }
    Err(kept_changing(&access.tenant.id))
}

/// Verifies the tenant's claim on `domain` by its DNS TXT record. Verifying a verified
/// domain changes nothing.
pub async fn verify(
    app: &App,
    access: &TenantAccess,
    domain: &str,
) -> Result<DomainClaim, ApiError> {
    let claim = find(app, &access.tenant, domain).await?;
    if claim.status == DomainStatus::Verified {
        return Ok(claim);
    }
    // A claim made with the tenant (its emailDomain) is checked as strictly as one added.
    claimable(claim.domain.as_str()).map_err(|why| ApiError::field("domain", why))?;
    let published = app.dns.txt(&claim.verification.name).await?;
    if !claim.verification.found_in(&published) {
        return Err(ApiError::DomainNotVerified {
            domain: claim.domain.to_string(),
            record_name: claim.verification.name.clone(),
            record_value: claim.verification.value.clone(),
        });
    }
    confirm(app, access, claim, Proof::Dns).await
}

/// Marks pending `claim` verified and reserves its domain for the tenant: 409
/// `domain_conflict` if another live tenant verified it first (a deleted tenant's domains
/// are free).
async fn confirm(
    app: &App,
    access: &TenantAccess,
    claim: DomainClaim,
    proof: Proof,
) -> Result<DomainClaim, ApiError> {
    let origin = access.session.origin();
    let mut tenant = access.tenant.clone();
    let mut claim = claim;
    let mut stale = None;
    for _ in 0..MAX_ATTEMPTS {
        tenant.ensure_not_deleted("given domains")?;
        let now = clock::now_rfc3339();
        let verified = claim.verified(&now, &access.session.caller.id);
        let event = ChangeEvent::domain(
            EventType::DomainVerified,
            &verified,
            tenant.version,
            &origin,
            &now,
        );
        match app
            .store
            .verify_domain(&verified, tenant.version, stale.as_ref(), &event, proof)
            .await?
        {
            Verification::Done(verified) => return Ok(*verified),
            Verification::Taken(owner) if owner == tenant.id => {
                // Reserved for this tenant already (an earlier verification).
                stale = Some(owner);
            }
            Verification::Taken(owner) => match app.store.get(&owner).await? {
                Some(holder) if holder.status != crate::domain::TenantStatus::Deleted => {
                    return Err(ApiError::DomainConflict(claim.domain.to_string()))
                }
                _ => stale = Some(owner),
            },
            Verification::Changed => {
                tenant = reread(app, &tenant).await?;
                match app.store.domain_claim(&tenant.id, &claim.domain).await? {
                    Some(current) if current.status == DomainStatus::Verified => {
                        return Ok(current)
                    }
                    Some(current) => claim = current,
                    None => return Err(domain_not_found(&tenant, claim.domain.as_str())),
                }
            }
        }
    }
    Err(kept_changing(&access.tenant.id))
}

/// Removes the tenant's claim on `domain` (freeing the domain if it was verified).
pub async fn remove(app: &App, access: &TenantAccess, domain: &str) -> Result<(), ApiError> {
    let origin = access.session.origin();
    let mut tenant = access.tenant.clone();
    for _ in 0..MAX_ATTEMPTS {
        let claim = find(app, &tenant, domain).await?;
        let now = clock::now_rfc3339();
        let event = ChangeEvent::domain(
            EventType::DomainRemoved,
            &claim,
            tenant.version,
            &origin,
            &now,
        );
        if app
            .store
            .remove_domain(&claim, tenant.version, &event)
            .await?
        {
            return Ok(());
        }
        tenant = reread(app, &tenant).await?;
    }
    Err(kept_changing(&access.tenant.id))
}

/// `tenant`'s claim on `domain`, or 404.
async fn find(app: &App, tenant: &Tenant, domain: &str) -> Result<DomainClaim, ApiError> {
    let missing = || domain_not_found(tenant, domain);
    // Any spelling of the domain finds it (upper case, Unicode, a trailing dot).
    let name = claimable(domain)
        .or_else(|_| DomainName::parse(domain))
        .map_err(|_| missing())?;
    app.store
        .domain_claim(&tenant.id, &name)
        .await?
        .ok_or_else(missing)
}

/// One page of the tenant's domains.
pub async fn list(
    app: &App,
    access: &TenantAccess,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<DomainClaim>, ApiError> {
    app.store
        .list_domains(&access.tenant.id, limit, cursor, &app.cursors)
        .await
}

/// Who a login page is looking for: a person by email, or a tenant by slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Email(DomainName),
    Slug(Slug),
}

/// Where the person or tenant of `lookup` signs in: two key reads (the domain's or the
/// slug's reservation, then the tenant). Only verified domains match; a deleted tenant
/// signs nobody in.
pub async fn discover(app: &App, lookup: &Lookup) -> Result<LoginTarget, ApiError> {
    let (tenant, what) = match lookup {
        Lookup::Email(domain) => {
            let tenant = match app.store.domain_owner(domain).await? {
                Some(id) => app.store.get(&id).await?,
                None => None,
            };
            (tenant, format!("email domain '{domain}'"))
        }
        Lookup::Slug(slug) => (
            app.store.get_by_slug_reservation(slug).await?,
            format!("slug '{slug}'"),
        ),
    };
    tenant
        .as_ref()
        .and_then(LoginTarget::of)
        .ok_or_else(|| ApiError::NotFound(format!("no tenant signs in with {what}")))
}

/// What one scheduled re-verification run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reverified {
    /// Domains checked (at most the page asked for).
    pub checked: usize,
    /// Their TXT record was found: still verified.
    pub passed: usize,
    /// Their record is gone, within the grace period: still verified, failing.
    pub failing: usize,
    /// Their record stayed gone for the grace period: now `unverified`.
    pub unverified: usize,
    /// The resolver failed: not judged this time (checked again on a later run).
    pub unresolved: usize,
    /// Changed meanwhile (removed, re-verified): left alone.
    pub skipped: usize,
}

/// Checks the TXT records of up to `limit` verified domains, the longest unchecked first,
/// as of `now` (RFC 3339): a record found ends any failing streak; one gone starts or
/// continues it; one gone for the whole grace period marks the domain `unverified` (one
/// transaction with its `tenant.domain_unverified` event), which frees it: discovery no
/// longer routes its people and it admits no one. Each checked domain moves to the back
/// of the queue, so the next run continues with the ones after it.
pub async fn reverify(
    app: &App,
    now: &str,
    limit: usize,
    origin: &Origin,
) -> Result<Reverified, ApiError> {
    let now_seconds = clock::epoch_seconds(now)
        .ok_or_else(|| ApiError::internal("re-verifying domains", "a malformed time"))?;
    let mut done = Reverified::default();
    for due in app.store.domains_due(limit).await? {
        done.checked += 1;
        let claim = match app.store.domain_claim(&due.tenant_id, &due.domain).await? {
            Some(claim) if claim.status == DomainStatus::Verified => claim,
            // Reserved without a verified claim: nothing to judge; back of the queue.
            _ => {
                app.store
                    .record_domain_check(&due, now, due.failing_since.as_deref())
                    .await?;
                done.skipped += 1;
                continue;
            }
        };
        let found = match app.dns.txt(&claim.verification.name).await {
            Ok(published) => claim.verification.found_in(&published),
            Err(error) => {
                // A resolver outage proves nothing: the streak neither starts nor grows.
                tracing::warn!(domain = %due.domain, error = %error, "TXT lookup failed");
                app.store
                    .record_domain_check(&due, now, due.failing_since.as_deref())
                    .await?;
                done.unresolved += 1;
                continue;
            }
        };
        let recorded = match recheck(found, due.failing_since.as_deref(), now_seconds, now) {
            Recheck::Passed => {
                done.passed += 1;
                app.store.record_domain_check(&due, now, None).await?
            }
            Recheck::Failing { since } => {
                done.failing += 1;
                app.store
                    .record_domain_check(&due, now, Some(&since))
                    .await?
            }
            Recheck::Expired { since } => {
                if unverify(app, &due, &claim, &since, now, origin).await? {
                    done.unverified += 1;
                    true
                } else {
                    false
                }
            }
        };
        if !recorded {
            done.skipped += 1;
        }
    }
    Ok(done)
}

/// Marks `claim` unverified (its record gone since `since`), re-reading the tenant when
/// its version moved. `false`: the claim or reservation changed meanwhile.
async fn unverify(
    app: &App,
    due: &DueDomain,
    claim: &DomainClaim,
    since: &str,
    now: &str,
    origin: &Origin,
) -> Result<bool, ApiError> {
    let Some(mut tenant) = app.store.get(&due.tenant_id).await? else {
        return Ok(false);
    };
    for _ in 0..MAX_ATTEMPTS {
        let unverified = claim.unverified(now, since);
        let event = ChangeEvent::domain(
            EventType::DomainUnverified,
            &unverified,
            tenant.version,
            origin,
            now,
        );
        if app
            .store
            .unverify_domain(&unverified, tenant.version, since, &event)
            .await?
        {
            return Ok(true);
        }
        // Only a tenant that moved on is worth another try: a claim or reservation that
        // changed meanwhile is judged afresh by a later run.
        match app.store.get(&due.tenant_id).await? {
            Some(current) if current.version != tenant.version => tenant = current,
            _ => return Ok(false),
        }
    }
    Err(kept_changing(&due.tenant_id))
}

/// Enrols the verified domains reserved before scheduled re-verification existed in its
/// queue (a one-off over the whole table, `tenantctl enrol-domains`); how many.
pub async fn enrol_unscheduled(app: &App) -> Result<usize, ApiError> {
    app.store.enrol_unscheduled_domains().await
}
