//! Tenant admins: grant, revoke, list.

use crate::auth::access::TenantAccess;
use crate::domain::admin::{Granted, Revoked};
use crate::domain::{clock, AdminGrant, Page, UserId};
use crate::error::ApiError;
use crate::runtime::App;

/// Makes `user` an admin of the tenant (granting twice changes nothing).
pub async fn grant(app: &App, access: &TenantAccess, user: UserId) -> Result<Granted, ApiError> {
    access.tenant.ensure_not_deleted("given admins")?;
    let grant = AdminGrant {
        tenant_id: access.tenant.id.clone(),
        user_id: user,
        granted_at: clock::now_rfc3339(),
        granted_by: access.session.caller.id.clone(),
    };
    app.store.grant_admin(&grant).await
}

/// Removes `user`'s admin grant. Only a platform admin may leave a tenant without admins.
pub async fn revoke(app: &App, access: &TenantAccess, user: &UserId) -> Result<Revoked, ApiError> {
    let keep_one = !access.session.caller.is_platform_admin();
    app.store
        .revoke_admin(&access.tenant.id, user, keep_one)
        .await
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
