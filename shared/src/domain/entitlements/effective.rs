//! What a tenant is entitled to: its plan's grants, replaced feature by feature by its
//! overrides. The limit fields a tenant has always had (`maxUsers`, `maxWorkspaces`,
//! `maxProjects`, `maxEnvironments`, `dataRetentionDays`) are the overrides of the features
//! of the same names; every other feature's override is in the tenant's `overrides`.
//! Overrides belong to the tenant, not to its plan, so they survive plan changes.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::catalogue::{self, Feature, FeatureKind, Grant, MAX_AMOUNT};
use super::usage::{Counter, Usage};
use crate::domain::input::Problems;
use crate::domain::plans::PlanCatalogue;
use crate::domain::tenant::TenantFields;

/// The tenant fields that are the overrides of the features of the same names.
pub const FIELD_OVERRIDES: [&str; 5] = [
    "maxUsers",
    "maxWorkspaces",
    "maxProjects",
    "maxEnvironments",
    "dataRetentionDays",
];

/// Where an effective value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Plan,
    Override,
}

/// The tenant's override of `feature`, if it has one.
pub fn override_of(fields: &TenantFields, feature: &Feature) -> Option<Grant> {
    if FIELD_OVERRIDES.contains(&feature.name.as_str()) {
        let value = fields.to_json().get(&feature.name)?.as_u64()?;
        return Some(match feature.kind {
            FeatureKind::Value => Grant::Value(value),
            FeatureKind::Boolean => Grant::Flag(value > 0),
            _ => Grant::Limit {
                limit: Some(value),
                soft: None,
            },
        });
    }
    override_grant(feature, fields.overrides.get(&feature.name)?)
}

/// An override value as the grant it stands for (`None` if its type does not fit).
fn override_grant(feature: &Feature, value: &Value) -> Option<Grant> {
    match (feature.kind, value) {
        (FeatureKind::Boolean, Value::Bool(on)) => Some(Grant::Flag(*on)),
        (FeatureKind::Value, n) => n.as_u64().map(Grant::Value),
        (FeatureKind::Limit | FeatureKind::Metered(_), Value::String(s)) if s == "unlimited" => {
            Some(Grant::Limit {
                limit: None,
                soft: None,
            })
        }
        (FeatureKind::Limit | FeatureKind::Metered(_), n) => n.as_u64().map(|n| Grant::Limit {
            limit: Some(n),
            soft: None,
        }),
        _ => None,
    }
}

/// Checks a tenant's `overrides` against the catalogue: each names a feature (not one of
/// the [`FIELD_OVERRIDES`], which are set as fields) with a value of its type.
pub fn check_overrides(
    catalogue: &PlanCatalogue,
    overrides: &BTreeMap<String, Value>,
    problems: &mut Problems,
) {
    for (name, value) in overrides {
        let field = format!("overrides.{name}");
        if FIELD_OVERRIDES.contains(&name.as_str()) {
            problems.add(&field, format!("is set as the tenant field '{name}'"));
            continue;
        }
        let Some(feature) = catalogue.feature(name) else {
            problems.add(
                &field,
                "is not a feature of the plan catalogue (GET /v1/plans)",
            );
            continue;
        };
        if override_grant(feature, value).is_none() {
            problems.add(
                &field,
                match feature.kind {
                    FeatureKind::Boolean => "must be true or false".to_owned(),
                    FeatureKind::Value => format!("must be a whole number from 0 to {MAX_AMOUNT}"),
                    _ => format!("must be a whole number from 0 to {MAX_AMOUNT}, or \"unlimited\""),
                },
            );
        }
    }
}

/// Reads the `overrides` field: an object of feature names to `true`/`false`, whole numbers
/// or `"unlimited"` (the catalogue checks the types: [`check_overrides`]).
pub fn overrides_field(value: &Value) -> Result<BTreeMap<String, Value>, String> {
    let Value::Object(map) = value else {
        return Err("must be an object of feature names to values".to_owned());
    };
    let mut out = BTreeMap::new();
    for (name, value) in map {
        // A null member is no override (a merge patch removes it before this reads).
        if value.is_null() {
            continue;
        }
        if !catalogue::valid_feature_name(name) {
            return Err(format!("'{name}' is not a feature name"));
        }
        let fits = match value {
            Value::Bool(_) => true,
            Value::String(s) => s == "unlimited",
            n => n.as_u64().is_some_and(|n| n <= MAX_AMOUNT),
        };
        if !fits {
            return Err(format!(
                "'{name}' must be true, false, a whole number from 0 to {MAX_AMOUNT} or \"unlimited\""
            ));
        }
        out.insert(name.clone(), value.clone());
    }
    if out.len() > 50 {
        return Err("holds at most 50 overrides".to_owned());
    }
    Ok(out)
}

/// One feature's effective grant, where it comes from, and what the plan and the override
/// say.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective<'a> {
    pub feature: &'a Feature,
    pub grant: Grant,
    pub source: Source,
    pub plan: Grant,
    pub overridden: Option<Grant>,
}

/// The tenant's effective grant of `feature` on `plan`.
pub fn effective<'a>(
    catalogue: &PlanCatalogue,
    plan: &str,
    fields: &TenantFields,
    feature: &'a Feature,
) -> Effective<'a> {
    let plan_grant = catalogue.grant(plan, &feature.name);
    let overridden = override_of(fields, feature);
    let (grant, source) = match &overridden {
        // An override replaces the limit but keeps the plan's soft limit when it is lower.
        Some(Grant::Limit { limit, .. }) => {
            let soft = match plan_grant {
                Grant::Limit { soft: Some(s), .. } if limit.is_none_or(|l| s <= l) => Some(s),
                _ => None,
            };
            (
                Grant::Limit {
                    limit: *limit,
                    soft,
                },
                Source::Override,
            )
        }
        Some(other) => (other.clone(), Source::Override),
        None => (plan_grant.clone(), Source::Plan),
    };
    Effective {
        feature,
        grant,
        source,
        plan: plan_grant,
        overridden,
    }
}

/// Every feature's effective value (`null`: unlimited), as entitlement events carry it.
pub fn snapshot(
    catalogue: &PlanCatalogue,
    plan: &str,
    fields: &TenantFields,
) -> Map<String, Value> {
    catalogue
        .features()
        .iter()
        .map(|f| {
            let e = effective(catalogue, plan, fields, f);
            (f.name.clone(), e.grant.to_json())
        })
        .collect()
}

/// One feature as `GET /v1/tenants/{id}/entitlements` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Entitlement {
    #[schema(example = "maxUsers")]
    pub feature: String,
    /// `limit`, `value`, `boolean` or `metered`.
    #[serde(rename = "type")]
    #[schema(example = "limit")]
    pub kind: String,
    /// The effective value: a limit (`null`: unlimited; `0`: not granted), a value, or
    /// `true`/`false`.
    #[schema(value_type = Object, example = 10)]
    pub value: Value,
    /// Whether the tenant has the feature at all (a limit above 0, a flag on, a value).
    pub granted: bool,
    pub source: Source,
    /// What the plan grants.
    #[schema(value_type = Object, example = 10)]
    pub plan_value: Value,
    /// The tenant's override, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object, example = 25)]
    pub override_value: Option<Value>,
    /// A soft limit: usage above it warns (`overSoftLimit`) and never blocks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft_limit: Option<u64>,
    /// Counted features: the usage (of the current period, for metered ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<u64>,
    /// Counted features: how many more are allowed (`null`: unlimited; `0` when over).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u64>)]
    pub remaining: Option<Value>,
    /// Counted features: usage is above the limit (after a downgrade or a lowered
    /// override): increments are refused, decrements allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub over_limit: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub over_soft_limit: Option<bool>,
    /// Metered features: the current period (`2026-12`, or `2026-12-04` for daily ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// Metered features: when the counter starts again at 0 (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_at: Option<String>,
}

/// The counter a counted feature's usage is kept under at `now`: the feature's name, and
/// for metered features `#` and the period.
pub fn counter_key(feature: &Feature, now: &str) -> Option<String> {
    match feature.kind {
        FeatureKind::Limit => Some(feature.name.clone()),
        FeatureKind::Metered(period) => Some(format!("{}#{}", feature.name, period.key(now))),
        _ => None,
    }
}

/// `feature` as the API shows it, with `usage` at `now`.
pub fn entitlement(
    catalogue: &PlanCatalogue,
    plan: &str,
    fields: &TenantFields,
    feature: &Feature,
    usage: &Usage,
    now: &str,
) -> Entitlement {
    let e = effective(catalogue, plan, fields, feature);
    let mut out = Entitlement {
        feature: feature.name.clone(),
        kind: feature.kind.as_str().to_owned(),
        value: e.grant.to_json(),
        granted: e.grant.is_granted(),
        source: e.source,
        plan_value: e.plan.to_json(),
        override_value: e.overridden.as_ref().map(Grant::to_json),
        soft_limit: None,
        usage: None,
        remaining: None,
        over_limit: None,
        over_soft_limit: None,
        period: None,
        reset_at: None,
    };
    if let Grant::None = e.grant {
        if feature.kind.is_counted() {
            out.value = Value::from(0);
        }
    }
    // Counted features: the figures are the counter's, as the check and reports see them.
    if let Some(counter) = Counter::of(catalogue, plan, fields, feature, usage, now) {
        let used = counter.usage;
        out.usage = Some(used);
        out.soft_limit = counter.soft;
        out.remaining = Some(counter.remaining());
        out.over_limit = Some(counter.limit.is_some_and(|l| used > l));
        out.over_soft_limit = counter.soft.map(|s| used > s);
        (out.period, out.reset_at) = counter.period.unzip();
    }
    out
}

/// Every feature of the catalogue as the API shows it.
pub fn entitlements(
    catalogue: &PlanCatalogue,
    plan: &str,
    fields: &TenantFields,
    usage: &Usage,
    now: &str,
) -> Vec<Entitlement> {
    catalogue
        .features()
        .iter()
        .map(|f| entitlement(catalogue, plan, fields, f, usage, now))
        .collect()
}

/// A counted feature whose usage is above its limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverLimit {
    #[schema(example = "maxUsers")]
    pub feature: String,
    pub usage: u64,
    pub limit: u64,
}

/// The counted features whose `usage` is above their limit on `plan` with `fields`.
pub fn over_limit(
    catalogue: &PlanCatalogue,
    plan: &str,
    fields: &TenantFields,
    usage: &Usage,
    now: &str,
) -> Vec<OverLimit> {
    entitlements(catalogue, plan, fields, usage, now)
        .into_iter()
        .filter(|e| e.over_limit == Some(true))
        .map(|e| OverLimit {
            usage: e.usage.unwrap_or(0),
            limit: e.value.as_u64().unwrap_or(0),
            feature: e.feature,
        })
        .collect()
}
