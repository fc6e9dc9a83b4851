//! Authorization with Cedar. The rules live in one policy file,
//! `shared/policies/tenants.cedar`, declared against `shared/policies/tenants.cedarschema`.
//!
//! The build (`shared/build.rs`) parses the file, validates it against the schema in strict
//! mode and compiles it into Rust code that builds each policy's condition directly as a
//! `cedar_policy_core` expression. So a cold start parses nothing: no policy text, no JSON,
//! and none of the extension tables `cedar-policy` builds on first use (it runs its parser
//! over the name of every ipaddr/decimal/datetime function, ~2 M instructions, and its
//! dependency on `cedar-policy-core` always enables those extensions). Requests are
//! evaluated with Cedar's own evaluator, without extensions (the policies use none: the
//! build refuses extension calls), and combined as Cedar's authorizer does: a satisfied
//! `forbid` denies, else a satisfied `permit` allows, else deny; a policy that fails to
//! evaluate is skipped. Each policy carries the actions its scope admits, and a request
//! evaluates only the policies that admit its action (the scope is part of the condition,
//! so the others could only be false). The tests check the result against
//! `cedar-policy`'s `Authorizer` on the policy text, for every action and combination of
//! facts.
//! Every request is evaluated with the tenant it is about as the resource.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use cedar_policy_core::ast::{
    BinaryOp, Context, Effect, Eid, Entity, EntityType, EntityUID, Expr, PartialValue, Policy,
    PolicyID, Request, RequestSchemaAllPass, UnaryOp, Value, Var,
};
use cedar_policy_core::entities::{Entities, NoEntitiesSchema, TCComputation};
use cedar_policy_core::evaluator::Evaluator;
use cedar_policy_core::extensions::Extensions;
use cedar_policy_core::FromNormalizedStr;
use smol_str::SmolStr;

use super::credentials::Caller;
use crate::domain::roles::Roles;

/// The policy file, as humans edit it (the tests and the build read it; the functions
/// carry its compiled form).
pub const POLICY_TEXT: &str = include_str!("../../policies/tenants.cedar");

/// The schema the policies are validated against (by the build and the tests; nothing
/// needs it at run time).
pub const SCHEMA_TEXT: &str = include_str!("../../policies/tenants.cedarschema");

/// The policies compiled by `shared/build.rs`: `ENTITY_TYPES` and `policies(&Builder)`.
mod compiled {
    use super::{BinaryOp, Builder, Compiled, Effect, Expr, SmolStr, UnaryOp, Var};
    include!(concat!(env!("OUT_DIR"), "/tenants_policies.rs"));
}

/// The entity types requests are built with.
const REQUEST_TYPES: [&str; 6] = ["User", "ApiKey", "Tenant", "Platform", "Action", "Role"];

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
    ListEvents,
    ListDomains,
    AddDomain,
    VerifyDomain,
    RemoveDomain,
    /// Marking a domain verified without its DNS record (platform admins).
    MarkDomainVerified,
    DiscoverLogin,
    /// A tenant's resources (platform admins, its admins, provisioners).
    ListResources,
    /// An external provisioner's report on a resource.
    ReportResource,
    RetryProvisioning,
    ResendInvitation,
    /// Spending an invitation token (any authenticated user).
    AcceptInvitation,
    /// Changing a tenant's owner fields (`ownerEmail`, `ownerName`, `ownerUserId`) with
    /// PATCH: asked besides [`Action::UpdateTenant`].
    ChangeOwner,
    /// Changing a tenant's limits and plan-like fields (`maxUsers`, ..., `kind`) with PATCH.
    ChangeLimits,
    /// Setting a tenant's STS external id (`awsExternalId`) with PATCH.
    SetAwsExternalId,
    /// Reading the plan catalogue (`GET /v1/plans`).
    ReadPlans,
    /// Reading a tenant's entitlements and checking one.
    ReadEntitlements,
    /// Reporting a tenant's usage (the SaaS application's backend).
    ReportUsage,
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
            Self::ListEvents => "ListEvents",
            Self::ListDomains => "ListDomains",
            Self::AddDomain => "AddDomain",
            Self::VerifyDomain => "VerifyDomain",
            Self::RemoveDomain => "RemoveDomain",
            Self::MarkDomainVerified => "MarkDomainVerified",
            Self::DiscoverLogin => "DiscoverLogin",
            Self::ListResources => "ListResources",
            Self::ReportResource => "ReportResource",
            Self::RetryProvisioning => "RetryProvisioning",
            Self::ResendInvitation => "ResendInvitation",
            Self::AcceptInvitation => "AcceptInvitation",
            Self::ChangeOwner => "ChangeOwner",
            Self::ChangeLimits => "ChangeLimits",
            Self::SetAwsExternalId => "SetAwsExternalId",
            Self::ReadPlans => "ReadPlans",
            Self::ReadEntitlements => "ReadEntitlements",
            Self::ReportUsage => "ReportUsage",
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

/// One policy, ready to evaluate.
struct Compiled {
    /// Cedar's id for it (`policy0`, ...), in file order.
    id: &'static str,
    /// Its `@id`.
    name: &'static str,
    effect: Effect,
    /// The actions its scope admits; `None`: any.
    actions: Option<&'static [&'static str]>,
    policy: Policy,
}

impl Compiled {
    /// Whether this policy's scope admits `action`.
    fn admits(&self, action: Action) -> bool {
        self.actions
            .is_none_or(|actions| actions.contains(&action.name()))
    }
}

/// Builds what the generated code asks for: entity types (made once each) and policies.
struct Builder {
    types: Vec<(&'static str, EntityType)>,
}

impl Builder {
    fn new<'a>(names: impl IntoIterator<Item = &'a &'static str>) -> Result<Self, String> {
        let mut types: Vec<(&'static str, EntityType)> = Vec::new();
        for &name in names {
            if types.iter().all(|(n, _)| *n != name) {
                let ty = EntityType::from_normalized_str(name).map_err(|e| e.to_string())?;
                types.push((name, ty));
            }
        }
        Ok(Self { types })
    }

    fn entity_type(&self, name: &str) -> Result<EntityType, String> {
        self.types
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, ty)| ty.clone())
            .ok_or_else(|| format!("unknown entity type {name}"))
    }

    fn uid(&self, ty: &str, id: &str) -> Result<EntityUID, String> {
        Ok(EntityUID::from_components(
            self.entity_type(ty)?,
            Eid::new(id),
            None,
        ))
    }

    fn policy(
        &self,
        id: &'static str,
        name: &'static str,
        effect: Effect,
        actions: Option<&'static [&'static str]>,
        condition: Expr,
    ) -> Compiled {
        Compiled {
            id,
            name,
            effect,
            actions,
            policy: Policy::from_when_clause(effect, condition, PolicyID::from_string(id), None),
        }
    }
}

/// The policies and what is needed to evaluate them.
pub struct Policies {
    policies: Vec<Compiled>,
    types: Builder,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies")
            .field("policies", &self.policies.len())
            .finish_non_exhaustive()
    }
}

impl Policies {
    /// Builds the compiled policies (the build has parsed and validated them, and checked
    /// that every policy has a unique `@id`). An error here is a bug the tests catch; it is
    /// reported as an init error all the same.
    pub fn load() -> Result<Self, String> {
        let types = Builder::new(compiled::ENTITY_TYPES.iter().chain(&REQUEST_TYPES))?;
        let policies = compiled::policies(&types)?;
        Ok(Self { policies, types })
    }

    /// Parses `text` as the policy set, into the same form (tests and tools; functions use
    /// [`Policies::load`]). Every policy must carry a unique `@id`.
    pub fn parse(text: &str) -> Result<Self, String> {
        use cedar_policy_core::ast::{ActionConstraint, AnyId};
        let set = cedar_policy_core::parser::parse_policyset(text).map_err(|e| format!("{e:?}"))?;
        let id_key = AnyId::from_normalized_str("id").map_err(|e| e.to_string())?;
        let types = Builder::new(&REQUEST_TYPES)?;
        let mut policies: Vec<Compiled> = Vec::new();
        for policy in set.static_policies() {
            let name = policy
                .annotation(&id_key)
                .ok_or_else(|| format!("policy {} has no @id", policy.id()))?;
            if policies.iter().any(|p| p.name == name.val.as_str()) {
                return Err(format!("two policies are named @id(\"{}\")", name.val));
            }
            // Leaked: this is for tests and tools, which parse a handful of small files.
            let id: &'static str = String::leak(policy.id().to_string());
            let name: &'static str = String::leak(name.val.to_string());
            let leak = |uid: &Arc<EntityUID>| -> &'static str {
                let eid: &str = uid.eid().as_ref();
                String::leak(eid.to_owned())
            };
            let actions: Option<&'static [&'static str]> = match policy.action_constraint() {
                ActionConstraint::Any => None,
                ActionConstraint::Eq(uid) => Some(Vec::leak(vec![leak(uid)])),
                ActionConstraint::In(uids) => Some(Vec::leak(uids.iter().map(leak).collect())),
                #[allow(unreachable_patterns)]
                _ => {
                    return Err(format!(
                        "policy {} has an unsupported action scope",
                        policy.id()
                    ))
                }
            };
            policies.push(types.policy(id, name, policy.effect(), actions, policy.condition()));
        }
        Ok(Self { policies, types })
    }

    /// The `@id` of every policy.
    pub fn names(&self) -> Vec<&str> {
        self.policies.iter().map(|p| p.name).collect()
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
        let none = Extensions::none();
        let uid = |ty: &str, id: &str| self.types.uid(ty, id);
        let principal = uid(facts.caller.entity_type(), &facts.caller.id)?;
        let action_uid = uid("Action", action.name())?;
        let mut entities = Vec::new();
        let resource = match facts.resource {
            Resource::Platform => uid("Platform", "tenants")?,
            Resource::Tenant { id, status } => {
                let resource = uid("Tenant", id)?;
                // Values, not restricted expressions: nothing to evaluate.
                let status = PartialValue::from(Value::from(status));
                entities.push(Entity::new_with_attr_partial_value(
                    resource.clone(),
                    [(SmolStr::new_static("status"), status)],
                    HashSet::new(),
                    HashSet::new(),
                    [],
                ));
                resource
            }
        };
        let role_set = |roles: &Roles| -> Result<Value, String> {
            let mut items = Vec::with_capacity(roles.len());
            for role in roles {
                items.push(Value::from(uid("Role", role.as_str())?));
            }
            Ok(Value::set(items, None))
        };
        let context = Context::Value(Arc::new(BTreeMap::from([
            (
                SmolStr::new_static("platformRoles"),
                role_set(&facts.caller.platform_roles)?,
            ),
            (
                SmolStr::new_static("tenantRoles"),
                role_set(facts.tenant_roles)?,
            ),
            (
                SmolStr::new_static("hasTenantRoles"),
                Value::from(facts.has_tenant_roles),
            ),
            (
                SmolStr::new_static("credentialTenantStatus"),
                Value::from(facts.credential_tenant_status),
            ),
            (
                SmolStr::new_static("tenantHeaderMismatch"),
                Value::from(facts.tenant_header_mismatch),
            ),
        ])));
        let request = Request::new(
            (principal, None),
            (action_uid, None),
            (resource, None),
            context,
            None::<&RequestSchemaAllPass>,
            none,
        )
        .map_err(|e| e.to_string())?;
        let entities = Entities::from_entities(
            entities,
            None::<&NoEntitiesSchema>,
            TCComputation::AssumeAlreadyComputed,
            none,
        )
        .map_err(|e| e.to_string())?;
        let evaluator = Evaluator::new(request, &entities, none);

        // Cedar's rule: any satisfied forbid denies (and names the forbids), else any
        // satisfied permit allows (and names the permits), else deny with no reason.
        let mut permits = Vec::new();
        let mut forbids = Vec::new();
        for compiled in self.policies.iter().filter(|p| p.admits(action)) {
            match evaluator.evaluate(&compiled.policy) {
                Ok(true) => match compiled.effect {
                    Effect::Permit => permits.push(compiled.name.to_owned()),
                    Effect::Forbid => forbids.push(compiled.name.to_owned()),
                },
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(policy = compiled.name, id = compiled.id, error = %error, "a policy failed to evaluate");
                }
            }
        }
        let allowed = forbids.is_empty() && !permits.is_empty();
        let mut notices = if forbids.is_empty() { permits } else { forbids };
        notices.sort();
        Ok(Decision { allowed, notices })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::str::FromStr;

    use super::*;
    use cedar_policy::{PolicySet, Schema, ValidationMode, Validator};

    const ALL_ACTIONS: [Action; 31] = [
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
    ];
    use crate::auth::credentials::CallerKind;
    use crate::domain::roles::Role;

    fn caller(platform: &[Role]) -> Caller {
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
        assert_eq!(policies.names().len(), 24);
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
                                                cp::RestrictedExpression::new_bool(
                                                    has_tenant_roles,
                                                ),
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
}
