//! Authorization with Cedar. The rules live in one policy file,
//! `shared/policies/tenants.cedar`, compiled into every function and parsed once per cold
//! start (during Lambda's init phase, which is observed to run on a full vCPU whatever the
//! memory size).
//! Every request is evaluated against it, with the tenant it is about as the resource.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, Entity, EntityId, EntityTypeName,
    EntityUid, PolicySet, Request, RestrictedExpression,
};

use super::credentials::Caller;
use crate::domain::roles::Roles;

/// The policy file.
pub const POLICY_TEXT: &str = include_str!("../../policies/tenants.cedar");

/// Everything the API asks permission for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    CreateTenant,
    ListTenants,
    ReadTenant,
    UpdateTenant,
    ChangePlan,
    SuspendTenant,
    ActivateTenant,
    DeleteTenant,
    ReadStats,
    ListAdmins,
    GrantAdmin,
    RevokeAdmin,
    ManageApiKeys,
}

impl Action {
    /// The action's id in the policy file (`Action::"<name>"`).
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateTenant => "CreateTenant",
            Self::ListTenants => "ListTenants",
            Self::ReadTenant => "ReadTenant",
            Self::UpdateTenant => "UpdateTenant",
            Self::ChangePlan => "ChangePlan",
            Self::SuspendTenant => "SuspendTenant",
            Self::ActivateTenant => "ActivateTenant",
            Self::DeleteTenant => "DeleteTenant",
            Self::ReadStats => "ReadStats",
            Self::ListAdmins => "ListAdmins",
            Self::GrantAdmin => "GrantAdmin",
            Self::RevokeAdmin => "RevokeAdmin",
            Self::ManageApiKeys => "ManageApiKeys",
        }
    }
}

/// What a request is about.
#[derive(Debug, Clone, Copy)]
pub enum Resource<'a> {
    /// The tenant collection or the API itself (create, list, stats, API keys).
    Platform,
    /// One tenant, with its status (`"missing"` if there is no such tenant).
    Tenant { id: &'a str, status: &'a str },
}

/// What is known about the caller and the resource when a request is evaluated.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub caller: &'a Caller,
    pub resource: Resource<'a>,
    /// The caller's roles on the resource tenant (empty for [`Resource::Platform`]).
    pub tenant_roles: &'a Roles,
    /// Whether the caller holds any tenant role on any tenant.
    pub has_tenant_roles: bool,
    /// Status of the tenant the credential is bound to, or `"none"`.
    pub credential_tenant_status: &'a str,
    /// `X-Tenant-ID` names a tenant other than the credential's.
    pub tenant_header_mismatch: bool,
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The `@id`s of the policies that determined the decision.
    pub notices: Vec<String>,
}

/// The parsed policy set and what is needed to evaluate it.
pub struct Policies {
    set: PolicySet,
    authorizer: Authorizer,
    names: HashMap<String, String>,
    user: EntityTypeName,
    api_key: EntityTypeName,
    tenant: EntityTypeName,
    platform: EntityTypeName,
    action: EntityTypeName,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies")
            .field("policies", &self.names.len())
            .finish_non_exhaustive()
    }
}

impl Policies {
    /// Parses the policy file. Every policy must carry a unique `@id`, so that a 403 can
    /// name the rule that caused it.
    pub fn load() -> Result<Self, String> {
        Self::parse(POLICY_TEXT)
    }

    /// Parses `text` as the policy set.
    pub fn parse(text: &str) -> Result<Self, String> {
        let set = PolicySet::from_str(text).map_err(|e| format!("{e:?}"))?;
        let mut names = HashMap::new();
        for policy in set.policies() {
            let name = policy
                .annotation("id")
                .ok_or_else(|| format!("policy {} has no @id", policy.id()))?;
            if names.values().any(|n| n == name) {
                return Err(format!("two policies are named @id(\"{name}\")"));
            }
            names.insert(policy.id().to_string(), name.to_owned());
        }
        let type_name = |name: &str| EntityTypeName::from_str(name).map_err(|e| e.to_string());
        Ok(Self {
            set,
            authorizer: Authorizer::new(),
            names,
            user: type_name("User")?,
            api_key: type_name("ApiKey")?,
            tenant: type_name("Tenant")?,
            platform: type_name("Platform")?,
            action: type_name("Action")?,
        })
    }

    /// The `@id` of every policy.
    pub fn names(&self) -> Vec<&str> {
        self.names.values().map(String::as_str).collect()
    }

    /// Evaluates `action` for `facts`. Anything Cedar cannot evaluate is a denial.
    pub fn decide(&self, action: Action, facts: &Facts<'_>) -> Decision {
        match self.evaluate(action, facts) {
            Ok(decision) => decision,
            Err(err) => {
                tracing::error!(error = %err, "authorization request could not be built");
                Decision {
                    allowed: false,
                    notices: Vec::new(),
                }
            }
        }
    }

    fn evaluate(&self, action: Action, facts: &Facts<'_>) -> Result<Decision, String> {
        let uid = |kind: &EntityTypeName, id: &str| {
            EntityUid::from_type_name_and_id(kind.clone(), EntityId::new(id))
        };
        let principal_type = match facts.caller.entity_type() {
            "ApiKey" => &self.api_key,
            _ => &self.user,
        };
        let principal = uid(principal_type, &facts.caller.id);
        let action_uid = uid(&self.action, action.name());
        let mut entities = Vec::new();
        let resource = match facts.resource {
            Resource::Platform => uid(&self.platform, "tenants"),
            Resource::Tenant { id, status } => {
                let resource = uid(&self.tenant, id);
                let attrs = HashMap::from([(
                    "status".to_owned(),
                    RestrictedExpression::new_string(status.to_owned()),
                )]);
                entities.push(
                    Entity::new(resource.clone(), attrs, HashSet::new())
                        .map_err(|e| e.to_string())?,
                );
                resource
            }
        };
        let strings = |roles: &Roles| {
            RestrictedExpression::new_set(
                roles
                    .iter()
                    .map(|r| RestrictedExpression::new_string(r.as_str().to_owned())),
            )
        };
        let context = Context::from_pairs([
            (
                "platformRoles".to_owned(),
                strings(&facts.caller.platform_roles),
            ),
            ("tenantRoles".to_owned(), strings(facts.tenant_roles)),
            (
                "hasTenantRoles".to_owned(),
                RestrictedExpression::new_bool(facts.has_tenant_roles),
            ),
            (
                "credentialTenantStatus".to_owned(),
                RestrictedExpression::new_string(facts.credential_tenant_status.to_owned()),
            ),
            (
                "tenantHeaderMismatch".to_owned(),
                RestrictedExpression::new_bool(facts.tenant_header_mismatch),
            ),
        ])
        .map_err(|e| e.to_string())?;
        let request = Request::new(principal, action_uid, resource, context, None)
            .map_err(|e| e.to_string())?;
        let entities = Entities::from_entities(entities, None).map_err(|e| e.to_string())?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.set, &entities);
        for error in response.diagnostics().errors() {
            tracing::warn!(error = %error, "a policy failed to evaluate");
        }
        let mut notices: Vec<String> = response
            .diagnostics()
            .reason()
            .map(|id| {
                self.names
                    .get(&id.to_string())
                    .cloned()
                    .unwrap_or_else(|| id.to_string())
            })
            .collect();
        notices.sort();
        Ok(Decision {
            allowed: response.decision() == CedarDecision::Allow,
            notices,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::credentials::CallerKind;
    use crate::domain::roles::Role;

    fn caller(platform: &[Role]) -> Caller {
        Caller {
            kind: CallerKind::User,
            id: "alice".into(),
            platform_roles: platform.iter().copied().collect(),
            bound_tenant: None,
            bound_roles: Roles::new(),
        }
    }

    fn decide(caller: &Caller, action: Action, status: &str, roles: &[Role]) -> Decision {
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
        assert_eq!(policies.names().len(), 10);
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
}
