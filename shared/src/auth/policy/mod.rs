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
    BinaryOp, Context, Effect, Entity, Expr, PartialValue, Request, RequestSchemaAllPass, UnaryOp,
    Value, Var,
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
pub const POLICY_TEXT: &str = include_str!("../../../policies/tenants.cedar");

/// The schema the policies are validated against (by the build and the tests; nothing
/// needs it at run time).
pub const SCHEMA_TEXT: &str = include_str!("../../../policies/tenants.cedarschema");

/// The policies compiled by `shared/build.rs`: `ENTITY_TYPES` and `policies(&Builder)`.
mod compiled {
    use super::{BinaryOp, Builder, Compiled, Effect, Expr, SmolStr, UnaryOp, Var};
    include!(concat!(env!("OUT_DIR"), "/tenants_policies.rs"));
}

/// The entity types requests are built with.
const REQUEST_TYPES: [&str; 6] = ["User", "ApiKey", "Tenant", "Platform", "Action", "Role"];

mod action;
mod builder;
mod scope;

pub use action::{Action, Decision, Facts, Resource};
use builder::{Builder, Compiled};

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
        use cedar_policy_core::ast::AnyId;
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
            let actions: Option<&'static [&'static str]> =
                scope::scope_actions(policy.action_constraint())
                    .map_err(|e| format!("policy {}: {e}", policy.id()))?
                    .map(|names| -> &'static [&'static str] {
                        Vec::leak(names.into_iter().map(String::leak).map(|s| &*s).collect())
                    });
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
mod api_key_tests;
#[cfg(test)]
mod console_tests;
#[cfg(test)]
mod tests;
