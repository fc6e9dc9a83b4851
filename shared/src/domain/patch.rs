//! JSON merge patch (RFC 7396) of a tenant's mutable fields.

use serde_json::{Map, Value};

use super::input::Problems;
use super::tenant::{Tenant, TenantFields, CREATE_ONLY_FIELDS, READ_ONLY_FIELDS};
use crate::error::{ApiError, Context};

/// Applies `patch` to `target` as RFC 7396 describes: objects merge recursively, `null`
/// removes a member, anything else replaces it.
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// Applies a merge patch to `tenant`'s mutable fields and validates the result.
///
/// Immutable and server-owned fields may appear only with their current value (clients
/// often send back what they read); any other value is rejected, naming the field.
/// Returns the new fields, or every invalid field at once.
pub fn apply(tenant: &Tenant, patch: &Map<String, Value>) -> Result<TenantFields, ApiError> {
    let mut problems = Problems::default();
    let current = serde_json::to_value(tenant).context("reading the tenant as JSON")?;
    let fixed: Vec<&str> = CREATE_ONLY_FIELDS
        .iter()
        .chain(&READ_ONLY_FIELDS)
        .copied()
        .collect();
    let known: Vec<&str> = TenantFields::names()
        .iter()
        .chain(&fixed)
        .copied()
        .collect();
    problems.reject_unknown(patch, &known);
    for field in fixed {
        // The caller's roles are about the caller, not the tenant: sent back, ignored.
        if field == "currentUserRoles" {
            continue;
        }
        if let Some(value) = patch.get(field) {
            if current.get(field) != Some(value) {
                problems.add(field, immutable_reason(field));
            }
        }
    }

    let mut document = Value::Object(tenant.fields.to_json());
    let mutable: Map<String, Value> = patch
        .iter()
        .filter(|(k, _)| TenantFields::names().contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    merge(&mut document, &Value::Object(mutable));
    let merged = match document {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let fields = TenantFields::from_json(&merged, &mut problems);
    problems.require(fields)
}

fn immutable_reason(field: &str) -> &'static str {
    match field {
        "plan" => "cannot be changed with PATCH; use POST /v1/tenants/{id}/upgrade or /downgrade",
        "status" => "cannot be changed with PATCH; use /suspend, /activate or DELETE",
        "slug" | "id" | "scopeId" | "createdAt" => "is immutable",
        _ => "is set by the server and cannot be written",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_follows_rfc_7396_examples() {
        // The examples of RFC 7396 appendix A.
        let cases = [
            (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
            (json!({"a":"b"}), json!({"a":null}), json!({})),
            (
                json!({"a":"b","b":"c"}),
                json!({"a":null}),
                json!({"b":"c"}),
            ),
            (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
            (
                json!({"a":{"b":"c"}}),
                json!({"a":{"b":"d","c":null}}),
                json!({"a":{"b":"d"}}),
            ),
            (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a":"b"}), json!(["c"]), json!(["c"])),
            (json!({"a":"foo"}), json!(null), json!(null)),
            (json!({"a":"foo"}), json!("bar"), json!("bar")),
            (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
            (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
            (
                json!({}),
                json!({"a":{"bb":{"ccc":null}}}),
                json!({"a":{"bb":{}}}),
            ),
        ];
        for (mut target, patch, expected) in cases {
            merge(&mut target, &patch);
            assert_eq!(target, expected, "patch {patch}");
        }
    }
}
