//! Tenant admins: grant, revoke, list. A grant or revoke is made against the tenant's
//! current version (its event says which), re-read and retried when the tenant changes.

use crate::auth::access::TenantAccess;
use crate::domain::admin::{Granted, Revoked};
use crate::domain::{clock, AdminGrant, ChangeEvent, EventType, Page, UserId};
use crate::error::ApiError;
use crate::runtime::App;
use crate::service::tenants::{kept_changing, reread, MAX_ATTEMPTS};

/// Makes `user` an admin of the tenant (granting twice changes nothing).
pub async fn grant(app: &App, access: &TenantAccess, user: UserId) -> Result<Granted, ApiError> {
    let origin = access.session.origin();
    let mut tenant = access.tenant.clone();
    for _ in 0..MAX_ATTEMPTS {
        tenant.ensure_not_deleted("given admins")?;
        let now = clock::now_rfc3339();
        let grant = AdminGrant {
            tenant_id: tenant.id.clone(),
            user_id: user.clone(),
            granted_at: now.clone(),
            granted_by: access.session.caller.id.clone(),
        };
        let event = ChangeEvent::admin(
            EventType::AdminGranted,
            &tenant.id,
            &user,
            tenant.version,
            &origin,
            &now,
        );
        match app
            .store
            .grant_admin(&grant, tenant.version, &event)
            .await?
        {
            Some(granted) => return Ok(granted),
            None => tenant = reread(app, &tenant).await?,
        }
    }
    Err(kept_changing(&access.tenant.id))
}

/// Removes `user`'s admin grant. Only a platform admin may leave a tenant without admins.
pub async fn revoke(app: &App, access: &TenantAccess, user: &UserId) -> Result<Revoked, ApiError> {
    let keep_one = !access.session.caller.is_platform_admin();
    let origin = access.session.origin();
    let mut tenant = access.tenant.clone();
    for _ in 0..MAX_ATTEMPTS {
        let event = ChangeEvent::admin(
            EventType::AdminRevoked,
            &tenant.id,
            user,
            tenant.version,
            &origin,
            &clock::now_rfc3339(),
        );
        let revoked = app
            .store
            .revoke_admin(&tenant.id, user, keep_one, tenant.version, &event)
            .await?;
        match revoked {
            Some(revoked) => return Ok(revoked),
            None => tenant = reread(app, &tenant).await?,
        }
    }
    Err(kept_changing(&access.tenant.id))
}

/// One page of the tenant's admins.
pub async fn list(
    app: &App,
    access: &TenantAccess,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<AdminGrant>, ApiError> {
    app.store
        .list_admins(&access.tenant.id, limit, cursor, &app.cursors)
        .await
}
