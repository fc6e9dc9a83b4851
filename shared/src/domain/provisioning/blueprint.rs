//! What a tenant needs, per plan: the [`Blueprint`] of built-in [`Step`]s and external
//! resources, read from configuration and checked against the plan catalogue.

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;
use crate::domain::plans::PlanCatalogue;
use crate::domain::tenant::Tenant;

/// A built-in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    OwnerInvitation,
    AwsIntegration,
}

impl Step {
    /// The step a resource id names, if it names one.
    pub fn of(id: &str) -> Option<Self> {
        match id {
            OWNER_INVITATION => Some(Self::OwnerInvitation),
            AWS_INTEGRATION => Some(Self::AwsIntegration),
            _ => None,
        }
    }

    /// Whether the step applies to `tenant` (it has the field the step works from).
    fn applies_to(self, tenant: &Tenant) -> bool {
        match self {
            Self::OwnerInvitation => tenant.fields.owner_email.is_some(),
            Self::AwsIntegration => tenant.fields.aws_role_arn.is_some(),
        }
    }
}

/// `^[a-z][a-z0-9-]{0,62}$`: resource ids and external resource types.
pub fn resource_name(text: &str) -> Result<String, String> {
    let ok = (1..=63).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(text.to_owned())
    } else {
        Err("must be 1-63 lowercase letters, digits or '-', starting with a letter".to_owned())
    }
}

/// One entry of a blueprint.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    id: String,
    kind: String,
    step: Option<Step>,
}

/// Which resources a tenant of each plan needs: built-in steps by name, and external
/// resources (`{"id", "type"}`) that a platform's own provisioner builds and reports.
///
/// ```json
/// {"default": ["owner-invitation", "aws-integration"],
///  "plans": {"enterprise": ["owner-invitation", "aws-integration",
///                           {"id": "dedicated-database", "type": "rds-cluster"}]}}
/// ```
///
/// A built-in step is required only of tenants with the field it works from
/// (`ownerEmail`, `awsRoleArn`); an external resource is required of every tenant of the
/// plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blueprint {
    default: Vec<Entry>,
    plans: BTreeMap<String, Vec<Entry>>,
}

/// The blueprint used when `PROVISIONING_BLUEPRINT` is unset (`shared/blueprint.json`).
pub const DEFAULT_BLUEPRINT: &str = include_str!("../../../blueprint.json");

impl Blueprint {
    /// Parses and checks a blueprint against the plan catalogue.
    pub fn parse(text: &str, plans: &PlanCatalogue) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("is not JSON: {e}"))?;
        let Value::Object(top) = value else {
            return Err("must be a JSON object with \"default\" and \"plans\"".to_owned());
        };
        for key in top.keys() {
            if key != "default" && key != "plans" {
                return Err(format!("has an unknown key '{key}'"));
            }
        }
        let default = match top.get("default") {
            Some(list) => entries(list, "default")?,
            None => Vec::new(),
        };
        let mut by_plan = BTreeMap::new();
        match top.get("plans") {
            None => {}
            Some(Value::Object(map)) => {
                for (plan, list) in map {
                    if !plans.contains(plan) {
                        return Err(format!(
                            "names plan '{plan}', which is not in the catalogue ({})",
                            plans.plans().join(", ")
                        ));
                    }
                    by_plan.insert(plan.clone(), entries(list, plan)?);
                }
            }
            Some(_) => return Err("\"plans\" must map plan names to lists".to_owned()),
        }
        Ok(Self {
            default,
            plans: by_plan,
        })
    }

    /// The resources `tenant` needs, all pending, at `now`.
    pub fn resources_for(&self, tenant: &Tenant, now: &str) -> Vec<Resource> {
        self.plans
            .get(&tenant.plan)
            .unwrap_or(&self.default)
            .iter()
            .filter(|e| e.step.is_none_or(|step| step.applies_to(tenant)))
            .map(|e| Resource::new(&e.id, &e.kind, e.step.is_some(), true, now))
            .collect()
    }
}

fn entries(list: &Value, plan: &str) -> Result<Vec<Entry>, String> {
    let Value::Array(items) = list else {
        return Err(format!("the resources of '{plan}' must be a list"));
    };
    let mut out: Vec<Entry> = Vec::new();
    for item in items {
        let entry = match item {
            Value::String(name) => match Step::of(name) {
                Some(step) => Entry {
                    id: name.clone(),
                    kind: name.clone(),
                    step: Some(step),
                },
                None => {
                    return Err(format!(
                        "'{name}' in '{plan}' is not a built-in step ({OWNER_INVITATION}, {AWS_INTEGRATION}); name external resources as {{\"id\", \"type\"}}"
                    ))
                }
            },
            Value::Object(map) => {
                let text = |key: &str| match map.get(key) {
                    Some(Value::String(s)) => resource_name(s)
                        .map_err(|why| format!("the {key} '{s}' in '{plan}' {why}")),
                    _ => Err(format!("each external resource of '{plan}' needs a text '{key}'")),
                };
                let (id, kind) = (text("id")?, text("type")?);
                if map.len() != 2 {
                    return Err(format!("external resource '{id}' of '{plan}' may hold only id and type"));
                }
                if Step::of(&id).is_some() {
                    return Err(format!("'{id}' is a built-in step's id"));
                }
                Entry { id, kind, step: None }
            }
            _ => return Err(format!("the resources of '{plan}' must be names or objects")),
        };
        if out.iter().any(|e| e.id == entry.id) {
            return Err(format!("'{}' appears twice in '{plan}'", entry.id));
        }
        out.push(entry);
    }
    if out.len() > MAX_RESOURCES {
        return Err(format!(
            "'{plan}' names more than {MAX_RESOURCES} resources"
        ));
    }
    Ok(out)
}
