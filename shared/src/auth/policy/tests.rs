//! The compiled policies against the policy text and `cedar-policy`'s `Authorizer`.

use std::collections::HashMap;
use std::str::FromStr;

use super::*;
use cedar_policy::{PolicySet, Schema, ValidationMode, Validator};

const ALL_ACTIONS: [Action; 34] = [
    Action::CreateTenant,
    Action::ListTenants,
    Action::ReadTenant,
    Action::UpdateTenant,
    Action::ChangePlan,
    Action::SuspendTenant,
    Action::ActivateTenant,
    Action::DeleteTenant,
    Action::ReadStats,
    Action::ListAdmins,
    Action::GrantAdmin,
    Action::RevokeAdmin,
    Action::ManageApiKeys,
    Action::ManageTenantApiKeys,
    Action::ManageAdminKeys,
    Action::ListEvents,
    Action::ListDomains,
    Action::AddDomain,
    Action::VerifyDomain,
    Action::RemoveDomain,
    Action::MarkDomainVerified,
    Action::DiscoverLogin,
    Action::ListResources,
    Action::ReportResource,
    Action::RetryProvisioning,
    Action::ResendInvitation,
    Action::AcceptInvitation,
    Action::ChangeOwner,
    Action::ChangeLimits,
    Action::SetAwsExternalId,
    Action::ReadPlans,
    Action::ReadEntitlements,
    Action::ReportUsage,
    Action::UseConsole,
];
use crate::auth::credentials::CallerKind;
use crate::domain::roles::Role;

/// A user holding `platform` roles (the other policy test modules use it too).
pub(super) fn caller(platform: &[Role]) -> Caller {
    Caller {
        kind: CallerKind::User,
        id: "alice".into(),
        platform_roles: platform.iter().copied().collect(),
        bound_tenant: None,
        bound_roles: Roles::new(),
        verified_email_domain: None,
        verified_email: None,
    }
}

/// `action` on a tenant in `status` for `caller` holding `roles` there.
pub(super) fn decide(caller: &Caller, action: Action, status: &str, roles: &[Role]) -> Decision {
    let roles: Roles = roles.iter().copied().collect();
    Policies::load().unwrap().decide(
        action,
        &Facts {
            caller,
            resource: Resource::Tenant {
                id: "tenant_1",
                status,
            },
            tenant_roles: &roles,
            has_tenant_roles: !roles.is_empty(),
            credential_tenant_status: "none",
            tenant_header_mismatch: false,
        },
    )
}

#[test]
fn the_policy_file_parses_and_every_policy_is_named() {
    let policies = Policies::load().unwrap();
    assert!(policies.names().contains(&"platform-admin-full-access"));
    assert_eq!(policies.names().len(), 26);
}

#[test]
fn the_compiled_policies_are_the_policy_file() {
    let compiled = Policies::load().unwrap();
    let parsed = Policies::parse(POLICY_TEXT).unwrap();
    assert_eq!(compiled.policies.len(), parsed.policies.len());
    for (c, p) in compiled.policies.iter().zip(&parsed.policies) {
        assert_eq!(
            (c.id, c.name, c.effect, c.actions),
            (p.id, p.name, p.effect, p.actions)
        );
        assert_eq!(c.policy.condition(), p.policy.condition(), "{}", c.name);
    }
}

#[test]
fn a_request_evaluates_only_the_policies_whose_scope_admits_its_action() {
    let policies = Policies::load().unwrap();
    let admitted = |action| {
        policies
            .policies
            .iter()
            .filter(|p| p.admits(action))
            .count()
    };
    let unscoped = policies
        .policies
        .iter()
        .filter(|p| p.actions.is_none())
        .count();
    assert!(admitted(Action::CreateTenant) < policies.policies.len());
    for action in ALL_ACTIONS {
        assert!(admitted(action) >= unscoped, "{}", action.name());
    }
    for policy in &policies.policies {
        for name in policy.actions.unwrap_or(&[]) {
            assert!(
                ALL_ACTIONS.iter().any(|a| a.name() == *name),
                "{}: {name}",
                policy.name
            );
        }
    }
}

/// Every action, for every combination of the facts policies look at, decided by the
/// compiled policies and by `cedar-policy`'s `Authorizer` over the policy text: the
/// same decision, naming the same policies.
#[test]
fn the_compiled_policies_decide_like_cedar_policy() {
    use cedar_policy as cp;
    let compiled = Policies::load().unwrap();
    let set = cp::PolicySet::from_str(POLICY_TEXT).unwrap();
    let names: HashMap<String, String> = set
        .policies()
        .map(|p| (p.id().to_string(), p.annotation("id").unwrap().to_owned()))
        .collect();
    let authorizer = cp::Authorizer::new();
    // Every subset of the platform roles, and of the tenant roles.
    let subsets = |of: &[Role]| -> Vec<Roles> {
        (0..1u8 << of.len())
            .map(|bits| {
                of.iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, r)| *r)
                    .collect()
            })
            .collect()
    };
    let platform_sets = subsets(&[Role::PlatformAdmin, Role::LoginService, Role::Provisioner]);
    let tenant_sets = subsets(&[Role::TenantAdmin, Role::TenantMember]);
    let uid = |ty: &str, id: &str| {
        cp::EntityUid::from_type_name_and_id(
            cp::EntityTypeName::from_str(ty).unwrap(),
            cp::EntityId::new(id),
        )
    };
    let roles_expr = |roles: &Roles| {
        cp::RestrictedExpression::new_set(
            roles
                .iter()
                .map(|r| cp::RestrictedExpression::new_entity_uid(uid("Role", r.as_str()))),
        )
    };
    let mut checked = 0;
    for action in ALL_ACTIONS {
        for kind in [CallerKind::User, CallerKind::ApiKey] {
            for platform in &platform_sets {
                let caller = Caller {
                    kind,
                    id: "caller".into(),
                    platform_roles: platform.clone(),
                    bound_tenant: None,
                    bound_roles: Roles::new(),
                    verified_email_domain: None,
                    verified_email: None,
                };
                for tenant_roles in &tenant_sets {
                    for resource in [
                        Resource::Platform,
                        Resource::Tenant {
                            id: "t1",
                            status: "active",
                        },
                        Resource::Tenant {
                            id: "t1",
                            status: "suspended",
                        },
                    ] {
                        for has_tenant_roles in [false, true] {
                            for credential_tenant_status in ["none", "suspended"] {
                                for tenant_header_mismatch in [false, true] {
                                    let facts = Facts {
                                        caller: &caller,
                                        resource,
                                        tenant_roles,
                                        has_tenant_roles,
                                        credential_tenant_status,
                                        tenant_header_mismatch,
                                    };
                                    let ours = compiled.decide(action, &facts);

                                    let mut entities = Vec::new();
                                    let resource_uid = match resource {
                                        Resource::Platform => uid("Platform", "tenants"),
                                        Resource::Tenant { id, status } => {
                                            let r = uid("Tenant", id);
                                            entities.push(
                                                cp::Entity::new(
                                                    r.clone(),
                                                    HashMap::from([(
                                                        "status".to_owned(),
                                                        cp::RestrictedExpression::new_string(
                                                            status.to_owned(),
                                                        ),
                                                    )]),
                                                    HashSet::new(),
                                                )
                                                .unwrap(),
                                            );
                                            r
                                        }
                                    };
                                    let context = cp::Context::from_pairs([
                                        ("platformRoles".to_owned(), roles_expr(platform)),
                                        ("tenantRoles".to_owned(), roles_expr(tenant_roles)),
                                        (
                                            "hasTenantRoles".to_owned(),
                                            cp::RestrictedExpression::new_bool(has_tenant_roles),
                                        ),
                                        (
                                            "credentialTenantStatus".to_owned(),
                                            cp::RestrictedExpression::new_string(
                                                credential_tenant_status.to_owned(),
                                            ),
                                        ),
                                        (
                                            "tenantHeaderMismatch".to_owned(),
                                            cp::RestrictedExpression::new_bool(
                                                tenant_header_mismatch,
                                            ),
                                        ),
                                    ])
                                    .unwrap();
                                    let request = cp::Request::new(
                                        uid(caller.entity_type(), "caller"),
                                        uid("Action", action.name()),
                                        resource_uid,
                                        context,
                                        None,
                                    )
                                    .unwrap();
                                    let entities =
                                        cp::Entities::from_entities(entities, None).unwrap();
                                    let response =
                                        authorizer.is_authorized(&request, &set, &entities);
                                    assert_eq!(response.diagnostics().errors().count(), 0);
                                    let mut reasons: Vec<String> = response
                                        .diagnostics()
                                        .reason()
                                        .map(|id| names[&id.to_string()].clone())
                                        .collect();
                                    reasons.sort();
                                    let theirs = Decision {
                                        allowed: response.decision() == cp::Decision::Allow,
                                        notices: reasons,
                                    };
                                    assert_eq!(ours, theirs, "{action:?} {facts:?}");
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked, ALL_ACTIONS.len() * 2 * 8 * 4 * 3 * 2 * 2 * 2);
}

/// Strict validation of `text` against the schema: the error messages, empty if valid.
fn validate(text: &str) -> Vec<String> {
    let (schema, warnings) = Schema::from_cedarschema_str(SCHEMA_TEXT).unwrap();
    assert_eq!(warnings.count(), 0);
    let set = PolicySet::from_str(text).unwrap();
    let result = Validator::new(schema).validate(&set, ValidationMode::Strict);
    result
        .validation_errors()
        .map(|e| e.to_string())
        .chain(result.validation_warnings().map(|w| w.to_string()))
        .collect()
}

/// `POLICY_TEXT` with the first occurrence of `from` outside comments replaced by
/// `to`.
fn mutated(from: &str, to: &str) -> String {
    let mut done = false;
    let lines: Vec<String> = POLICY_TEXT
        .lines()
        .map(|line| {
            if !done && !line.trim_start().starts_with("//") && line.contains(from) {
                done = true;
                line.replacen(from, to, 1)
            } else {
                line.to_owned()
            }
        })
        .collect();
    assert!(done, "{from} is not in a policy");
    lines.join("\n")
}

#[test]
fn the_policies_validate_against_the_schema_in_strict_mode() {
    assert_eq!(validate(POLICY_TEXT), Vec::<String>::new());
}

#[test]
fn a_misspelled_attribute_fails_validation() {
    let errors = validate(&mutated("resource.status", "resource.state"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("state"), "{errors:?}");
    let errors = validate(&mutated("context.tenantRoles", "context.tenantRole"));
    assert!(!errors.is_empty());
}

#[test]
fn a_misspelled_action_fails_validation() {
    let errors = validate(&mutated(
        r#"Action::"ReadTenant""#,
        r#"Action::"ReadTenants""#,
    ));
    assert!(!errors.is_empty());
    assert!(
        errors.iter().any(|e| e.contains("ReadTenants")),
        "{errors:?}"
    );
}

#[test]
fn a_misspelled_role_fails_validation() {
    let errors = validate(&mutated(
        r#"Role::"tenant_admin""#,
        r#"Role::"tenant_admn""#,
    ));
    assert!(!errors.is_empty());
    assert!(
        errors.iter().any(|e| e.contains("tenant_admn")),
        "{errors:?}"
    );
}

#[test]
fn a_wrongly_typed_comparison_fails_validation() {
    // A role compared as a string would silently never match without the schema.
    let errors = validate(&mutated(
        r#"context.platformRoles.contains(Role::"platform_admin")"#,
        r#"context.platformRoles.contains("platform_admin")"#,
    ));
    assert!(!errors.is_empty());
    let errors = validate(&mutated("resource is Tenant", "resource is Tenants"));
    assert!(!errors.is_empty());
}

#[test]
fn every_action_and_role_of_the_api_is_in_the_schema() {
    use std::fmt::Write as _;
    let mut text = String::new();
    for action in ALL_ACTIONS {
        let _ = writeln!(
            text,
            r#"permit (principal, action == Action::"{}", resource);"#,
            action.name()
        );
    }
    for role in Role::ALL {
        let _ = writeln!(
            text,
            r#"permit (principal, action, resource) when {{ context.platformRoles.contains(Role::"{}") }};"#,
            role.as_str()
        );
    }
    assert_eq!(validate(&text), Vec::<String>::new());
    assert!(!validate(r#"permit (principal, action == Action::"Nope", resource);"#).is_empty());
}

#[test]
fn policies_without_an_id_are_refused() {
    assert!(Policies::parse("permit(principal, action, resource);").is_err());
}

#[test]
fn a_platform_admin_may_do_everything() {
    let admin = caller(&[Role::PlatformAdmin]);
    let d = decide(&admin, Action::DeleteTenant, "active", &[]);
    assert!(d.allowed);
    assert_eq!(d.notices, ["platform-admin-full-access"]);
}

#[test]
fn a_tenant_member_may_read_but_not_update() {
    let member = caller(&[]);
    assert!(decide(&member, Action::ReadTenant, "active", &[Role::TenantMember]).allowed);
    let d = decide(
        &member,
        Action::UpdateTenant,
        "active",
        &[Role::TenantMember],
    );
    assert!(!d.allowed);
    assert_eq!(d.notices, ["tenant-member-is-read-only"]);
}

#[test]
fn a_tenant_admin_may_update_but_not_suspend() {
    let admin = caller(&[]);
    assert!(decide(&admin, Action::UpdateTenant, "active", &[Role::TenantAdmin]).allowed);
    let d = decide(
        &admin,
        Action::SuspendTenant,
        "active",
        &[Role::TenantAdmin],
    );
    assert!(!d.allowed);
    assert_eq!(d.notices, ["platform-actions-need-platform-admin"]);
}

#[test]
fn only_platform_admins_change_owner_limits_and_external_id_each_with_its_notice() {
    for (action, notice) in [
        (Action::ChangeOwner, "owner-fields-need-platform-admin"),
        (Action::ChangeLimits, "limits-need-platform-admin"),
        (
            Action::SetAwsExternalId,
            "aws-external-id-is-chosen-by-the-platform",
        ),
    ] {
        let d = decide(&caller(&[]), action, "active", &[Role::TenantAdmin]);
        assert!(!d.allowed, "{action:?}");
        assert_eq!(d.notices, [notice]);
        let admin = caller(&[Role::PlatformAdmin]);
        assert!(decide(&admin, action, "active", &[]).allowed, "{action:?}");
    }
}

#[test]
fn a_suspended_tenant_is_closed_to_its_own_users() {
    let d = decide(
        &caller(&[]),
        Action::ReadTenant,
        "suspended",
        &[Role::TenantAdmin],
    );
    assert!(!d.allowed);
    assert_eq!(d.notices, ["suspended-tenant-is-closed-to-its-users"]);
}

#[test]
fn a_scope_admits_the_actions_it_names_and_no_action_constraint_admits_any() {
    let parsed = Policies::parse(
        r#"@id("one") permit(principal, action == Action::"ReadTenant", resource);
           @id("two") permit(principal, action in [Action::"GrantAdmin", Action::"RevokeAdmin"], resource);
           @id("any") forbid(principal, action, resource);"#,
    )
    .unwrap();
    let actions: Vec<_> = parsed.policies.iter().map(|p| p.actions).collect();
    assert_eq!(
        actions,
        [
            Some(&["ReadTenant"][..]),
            Some(&["GrantAdmin", "RevokeAdmin"][..]),
            None
        ]
    );
}
