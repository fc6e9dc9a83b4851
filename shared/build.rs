//! Compiles the Cedar policies at build time, so that no function parses policy text (or
//! any other form of it) at cold start.
//!
//! `policies/tenants.cedar` stays the one file humans edit. This script:
//!
//! 1. parses it and validates it against `policies/tenants.cedarschema` in strict mode
//!    (any error or warning fails the build, with Cedar's messages);
//! 2. checks that every policy has a unique `@id` (a 403 names the policies that decided);
//! 3. writes `$OUT_DIR/tenants_policies.rs`: Rust code that builds each policy's condition
//!    (scope, `when` and `unless` together, as Cedar evaluates them) directly as
//!    `cedar_policy_core` expressions, with the actions its scope admits (`action ==` or
//!    `action in [...]`; none listed: any), so that a request only evaluates the policies
//!    that can apply to its action (`src/auth/policy/scope.rs`, which this script includes
//!    and `Policies::parse` uses, is the one mapping from a scope to its actions).
//!    `src/auth/policy/mod.rs` includes the generated file. The schema may not
//!    declare action groups: with them `action in [G]` would also admit G's members.
//!
//! Loading the policies at cold start then costs a few hundred allocations: no lexer, no
//! parser, no JSON, and none of Cedar's extension tables (which `cedar-policy` builds on
//! first use by running its parser over every extension function name). The tests check
//! that the generated policies equal the parsed file and decide like `cedar-policy`'s
//! `Authorizer` does.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::str::FromStr;

use cedar_policy::{PolicySet, Schema, ValidationMode, Validator};
use cedar_policy_core::ast::{AnyId, Effect, Expr, ExprKind, Literal};
use cedar_policy_core::FromNormalizedStr;

/// The scope → actions mapping, shared with `Policies::parse` (one definition for both).
#[path = "src/auth/policy/scope.rs"]
mod scope;
use scope::scope_actions;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/auth/policy/scope.rs");
    println!("cargo::rerun-if-changed=policies/tenants.cedar");
    println!("cargo::rerun-if-changed=policies/tenants.cedarschema");
    if let Err(message) = run() {
        // A failed build script shows its stderr: the message is the whole report.
        eprintln!("{message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").ok_or("no manifest dir")?);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("no OUT_DIR")?);
    let read = |name: &str| {
        std::fs::read_to_string(manifest.join("policies").join(name))
            .map_err(|e| format!("policies/{name}: {e}"))
    };
    let text = read("tenants.cedar")?;
    let schema_text = read("tenants.cedarschema")?;

    validate(&text, &schema_text)?;
    let code = generate(&text)?;
    std::fs::write(out.join("tenants_policies.rs"), code)
        .map_err(|e| format!("write tenants_policies.rs: {e}"))?;
    Ok(())
}

/// Strict validation: every entity type, attribute, action and role the policies name must
/// be declared, and every expression must type-check. Warnings count as errors.
fn validate(text: &str, schema_text: &str) -> Result<(), String> {
    let set = PolicySet::from_str(text)
        .map_err(|e| format!("policies/tenants.cedar does not parse:\n{e:?}"))?;
    let (schema, warnings) = Schema::from_cedarschema_str(schema_text)
        .map_err(|e| format!("policies/tenants.cedarschema does not parse:\n{e:?}"))?;
    let warnings: Vec<String> = warnings.map(|w| w.to_string()).collect();
    if !warnings.is_empty() {
        return Err(format!(
            "policies/tenants.cedarschema:\n{}",
            warnings.join("\n")
        ));
    }
    if let Some(group) = schema.action_groups().next() {
        return Err(format!(
            "policies/tenants.cedarschema: action groups ({group}) are not supported: the \
             compiled policies index each policy by the actions its scope names"
        ));
    }
    let result = Validator::new(schema).validate(&set, ValidationMode::Strict);
    let mut report = String::new();
    for error in result.validation_errors() {
        let _ = writeln!(report, "error: {error} ({error:?})");
    }
    for warning in result.validation_warnings() {
        let _ = writeln!(report, "warning: {warning} ({warning:?})");
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "policies/tenants.cedar does not validate against policies/tenants.cedarschema \
             (strict mode):\n{report}"
        ))
    }
}

/// The Rust source of `tenants_policies.rs`.
fn generate(text: &str) -> Result<String, String> {
    let set = cedar_policy_core::parser::parse_policyset(text)
        .map_err(|e| format!("policies/tenants.cedar does not parse:\n{e:?}"))?;
    let id_key = AnyId::from_normalized_str("id").map_err(|e| e.to_string())?;
    let mut names = BTreeMap::new();
    let mut types = BTreeSet::new();
    let mut policies = String::new();
    for policy in set.static_policies() {
        let id = policy.id().to_string();
        let name = policy
            .annotation(&id_key)
            .map(|a| a.val.to_string())
            .ok_or_else(|| format!("policies/tenants.cedar: policy {id} has no @id"))?;
        if let Some(other) = names.insert(name.clone(), id.clone()) {
            return Err(format!(
                "policies/tenants.cedar: @id(\"{name}\") names two policies ({other} and {id})"
            ));
        }
        let effect = match policy.effect() {
            Effect::Permit => "Permit",
            Effect::Forbid => "Forbid",
        };
        let mut condition = String::new();
        expr(&policy.condition(), &mut condition, &mut types)
            .map_err(|e| format!("policies/tenants.cedar, @id(\"{name}\"): {e}"))?;
        let actions = match scope_actions(policy.action_constraint())
            .map_err(|e| format!("policies/tenants.cedar, @id(\"{name}\"): {e}"))?
        {
            None => "None".to_owned(),
            Some(names) => format!("Some(&{names:?})"),
        };
        let _ = writeln!(
            policies,
            "        b.policy({id:?}, {name:?}, Effect::{effect}, {actions}, {condition}),"
        );
    }
    if set.templates().next().is_some() || set.policies().count() != set.static_policies().count() {
        return Err("policies/tenants.cedar: templates are not supported".into());
    }
    let types: Vec<String> = types.into_iter().map(|t| format!("{t:?}")).collect();
    Ok(format!(
        "// @generated by shared/build.rs from policies/tenants.cedar: do not edit.\n\
         \n\
         /// The entity types the policies name.\n\
         pub(super) const ENTITY_TYPES: &[&str] = &[{}];\n\
         \n\
         /// Every policy, with its condition as Cedar evaluates it.\n\
         pub(super) fn policies(b: &Builder) -> Result<Vec<Compiled>, String> {{\n    \
             Ok(vec![\n{policies}    ])\n\
         }}\n",
        types.join(", ")
    ))
}

/// Appends the Rust expression that builds `e` to `out`.
fn expr(e: &Expr, out: &mut String, types: &mut BTreeSet<String>) -> Result<(), String> {
    let mut args = |name: &str, out: &mut String, parts: &[&Expr]| -> Result<(), String> {
        let _ = write!(out, "{name}(");
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            expr(part, out, types)?;
        }
        out.push(')');
        Ok(())
    };
    match e.expr_kind() {
        ExprKind::Lit(Literal::Bool(v)) => {
            let _ = write!(out, "Expr::val({v})");
        }
        ExprKind::Lit(Literal::Long(v)) => {
            let _ = write!(out, "Expr::val({v}i64)");
        }
        ExprKind::Lit(Literal::String(v)) => {
            let _ = write!(out, "Expr::val({:?})", v.as_str());
        }
        ExprKind::Lit(Literal::EntityUID(uid)) => {
            let ty = uid.entity_type().to_string();
            let eid: &str = uid.eid().as_ref();
            let _ = write!(out, "Expr::val(b.uid({ty:?}, {eid:?})?)");
            types.insert(ty);
        }
        ExprKind::Var(v) => {
            let _ = write!(out, "Expr::var(Var::{v:?})");
        }
        ExprKind::If {
            test_expr,
            then_expr,
            else_expr,
        } => args("Expr::ite", out, &[test_expr, then_expr, else_expr])?,
        ExprKind::And { left, right } => args("Expr::and", out, &[left, right])?,
        ExprKind::Or { left, right } => args("Expr::or", out, &[left, right])?,
        ExprKind::UnaryApp { op, arg } => {
            let _ = write!(out, "Expr::unary_app(UnaryOp::{op:?}, ");
            expr(arg, out, types)?;
            out.push(')');
        }
        ExprKind::BinaryApp { op, arg1, arg2 } => {
            let _ = write!(out, "Expr::binary_app(BinaryOp::{op:?}, ");
            expr(arg1, out, types)?;
            out.push_str(", ");
            expr(arg2, out, types)?;
            out.push(')');
        }
        ExprKind::GetAttr { expr: inner, attr } => {
            out.push_str("Expr::get_attr(");
            expr(inner, out, types)?;
            let _ = write!(out, ", SmolStr::new_static({:?}))", attr.as_str());
        }
        ExprKind::HasAttr { expr: inner, attr } => {
            out.push_str("Expr::has_attr(");
            expr(inner, out, types)?;
            let _ = write!(out, ", SmolStr::new_static({:?}))", attr.as_str());
        }
        ExprKind::Is {
            expr: inner,
            entity_type,
        } => {
            out.push_str("Expr::is_entity_type(");
            expr(inner, out, types)?;
            let ty = entity_type.to_string();
            let _ = write!(out, ", b.entity_type({ty:?})?)");
            types.insert(ty);
        }
        ExprKind::Set(items) => {
            out.push_str("Expr::set([");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                expr(item, out, types)?;
            }
            out.push_str("])");
        }
        other => {
            return Err(format!(
                "this expression has no compiled form yet (extend shared/build.rs and the \
                 tests): {other:?}"
            ))
        }
    }
    Ok(())
}
