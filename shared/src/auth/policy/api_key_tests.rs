//! Who manages a tenant's API keys (`ManageTenantApiKeys`), and who makes keys holding
//! `tenant_admin` (`ManageAdminKeys`): a tenant's admins and platform admins, and platform
//! admins only.

use super::tests::{caller, decide};
use super::*;
use crate::auth::credentials::CallerKind;
use crate::domain::roles::Role;

/// A key bound to the tenant with `roles`, as the caller.
fn tenant_key(roles: &[Role]) -> Caller {
    Caller {
        kind: CallerKind::ApiKey,
        id: "key_1".into(),
        platform_roles: Roles::new(),
        bound_tenant: None,
        bound_roles: roles.iter().copied().collect(),
        verified_email_domain: None,
        verified_email: None,
    }
}

#[test]
fn a_tenant_admin_manages_its_tenants_keys_and_a_member_does_not() {
    let admin = decide(
        &caller(&[]),
        Action::ManageTenantApiKeys,
        "active",
        &[Role::TenantAdmin],
    );
    assert!(admin.allowed);
    assert_eq!(admin.notices, ["tenant-admin-manages-own-tenant"]);
    let key = decide(
        &tenant_key(&[Role::TenantAdmin]),
        Action::ManageTenantApiKeys,
        "active",
        &[Role::TenantAdmin],
    );
    assert!(key.allowed);
    let member = decide(
        &caller(&[]),
        Action::ManageTenantApiKeys,
        "active",
        &[Role::TenantMember],
    );
    assert!(!member.allowed);
    assert_eq!(member.notices, ["tenant-member-is-read-only"]);
    let platform = decide(
        &caller(&[Role::PlatformAdmin]),
        Action::ManageTenantApiKeys,
        "suspended",
        &[],
    );
    assert!(platform.allowed);
    // Holding no role on the tenant is not enough (the API answers 404 before this).
    for machine in [Role::Provisioner, Role::LoginService] {
        let d = decide(
            &caller(&[machine]),
            Action::ManageTenantApiKeys,
            "active",
            &[],
        );
        assert!(!d.allowed, "{machine:?}");
    }
}

#[test]
fn a_suspended_tenants_admins_manage_no_keys() {
    let d = decide(
        &caller(&[]),
        Action::ManageTenantApiKeys,
        "suspended",
        &[Role::TenantAdmin],
    );
    assert!(!d.allowed);
    assert_eq!(d.notices, ["suspended-tenant-is-closed-to-its-users"]);
    let key = decide(
        &tenant_key(&[Role::TenantAdmin]),
        Action::ManageTenantApiKeys,
        "suspended",
        &[Role::TenantAdmin],
    );
    assert!(!key.allowed);
}

#[test]
fn only_platform_admins_create_admin_keys() {
    for tenant_admin in [caller(&[]), tenant_key(&[Role::TenantAdmin])] {
        let d = decide(
            &tenant_admin,
            Action::ManageAdminKeys,
            "active",
            &[Role::TenantAdmin],
        );
        assert!(!d.allowed, "{tenant_admin:?}");
        assert_eq!(d.notices, ["admin-keys-need-platform-admin"]);
    }
    let admin = caller(&[Role::PlatformAdmin]);
    assert!(decide(&admin, Action::ManageAdminKeys, "active", &[]).allowed);
}

#[test]
fn every_key_and_platform_keys_stay_the_platform_admins() {
    let d = Policies::load().unwrap().decide(
        Action::ManageApiKeys,
        &Facts {
            caller: &caller(&[]),
            resource: Resource::Platform,
            tenant_roles: &Roles::new(),
            has_tenant_roles: true,
            credential_tenant_status: "none",
            tenant_header_mismatch: false,
        },
    );
    assert!(!d.allowed);
    assert_eq!(d.notices, ["platform-actions-need-platform-admin"]);
}
