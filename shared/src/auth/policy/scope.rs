//! The one mapping from a Cedar policy's action scope to the action names it admits.
//!
//! Both `shared/build.rs` (which compiles the policy file into Rust and records each
//! policy's actions) and [`super::Policies::parse`] (which reads policy text at run time,
//! for tests and tools) use it: the build includes this file with `#[path]`, so it may use
//! nothing but `cedar_policy_core` and the standard library.

use cedar_policy_core::ast::ActionConstraint;

/// The action names (the `<name>` of `Action::"<name>"`) a policy's scope admits:
/// `action == A` admits A, `action in [A, B]` admits A and B (the schema declares no action
/// groups, so `in` admits exactly the actions it lists), and no action constraint admits
/// any action (`None`).
pub fn scope_actions(scope: &ActionConstraint) -> Result<Option<Vec<String>>, String> {
    let name = |uid: &cedar_policy_core::ast::EntityUID| {
        let eid: &str = uid.eid().as_ref();
        eid.to_owned()
    };
    match scope {
        ActionConstraint::Any => Ok(None),
        ActionConstraint::Eq(uid) => Ok(Some(vec![name(uid)])),
        ActionConstraint::In(uids) => Ok(Some(uids.iter().map(|u| name(u)).collect())),
        #[allow(unreachable_patterns)]
        _ => Err("unsupported action scope".into()),
    }
}
