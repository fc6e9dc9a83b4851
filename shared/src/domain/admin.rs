//! Tenant admins: a tenant's grant of `tenant_admin` to a user.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::values::{TenantId, UserId};

/// A tenant's grant of `tenant_admin` to a user, as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminGrant {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub granted_at: String,
    /// The user or API key that made the grant.
    pub granted_by: String,
}

/// What a grant found.
#[derive(Debug)]
pub enum Granted {
    /// The user was made an admin.
    New(AdminGrant),
    /// The user already was an admin; nothing changed.
    Existing(AdminGrant),
}

/// What a revoke found.
#[derive(Debug, PartialEq, Eq)]
pub enum Revoked {
    /// The grant was removed.
    Done,
    /// The user is not an admin of the tenant.
    NotAdmin,
    /// The user is the tenant's last admin and the caller may not remove them.
    LastAdmin,
}
