//! The roles a caller can hold, and where they apply.

use std::collections::BTreeSet;

use serde::Serialize;
use utoipa::ToSchema;

/// A role. The platform roles (`platform_admin`, `login_service`, `provisioner`) apply
/// everywhere; the tenant roles apply to one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, across all tenants.
    PlatformAdmin,
    /// Read and update one tenant and manage its admins.
    TenantAdmin,
    /// Read one tenant.
    TenantMember,
    /// Discover where a person signs in (`GET /v1/login/discover`), and nothing else: the
    /// credential a login page's backend holds.
    LoginService,
    /// A platform's own provisioner: reads tenants and reports their resources
    /// (`PUT /v1/tenants/{id}/resources/{resourceId}`), nothing else.
    Provisioner,
}

/// A set of roles, in a stable order.
pub type Roles = BTreeSet<Role>;

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::PlatformAdmin,
        Role::TenantAdmin,
        Role::TenantMember,
        Role::LoginService,
        Role::Provisioner,
    ];

    /// The role's name in tokens, API keys, policies and responses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "platform_admin",
            Self::TenantAdmin => "tenant_admin",
            Self::TenantMember => "tenant_member",
            Self::LoginService => "login_service",
            Self::Provisioner => "provisioner",
        }
    }

    /// The role named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Whether the role applies to one tenant rather than the whole platform.
    pub fn is_tenant_role(self) -> bool {
        matches!(self, Self::TenantAdmin | Self::TenantMember)
    }
}

/// The roles of `roles` that apply to one tenant.
pub fn tenant_only(roles: &Roles) -> Roles {
    roles
        .iter()
        .copied()
        .filter(|r| r.is_tenant_role())
        .collect()
}

/// Splits a credential's roles into platform roles and tenant roles; tenant roles mean
/// nothing without a tenant they are for, so without `bound` they are dropped.
pub fn split(roles: &Roles, bound: bool) -> (Roles, Roles) {
    let platform = roles
        .iter()
        .copied()
        .filter(|r| !r.is_tenant_role())
        .collect();
    let tenant = if bound {
        tenant_only(roles)
    } else {
        Roles::new()
    };
    (platform, tenant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
        assert!(!Role::PlatformAdmin.is_tenant_role());
        assert!(Role::TenantMember.is_tenant_role());
    }
}
