//! The plan file: the features plans may grant, with their types, and each plan's grants.
//! Read once per cold start; anything wrong in it (an unknown feature, a grant of the wrong
//! type, a plan named twice) fails the start with a message naming the place.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::domain::plans::{CatalogueError, PlanCatalogue};

/// The plan file used when `PLANS` is not set.
pub const DEFAULT_PLANS: &str = include_str!("../../../plans.json");

/// Largest limit, value or usage the API accepts (and a plan may grant).
pub const MAX_AMOUNT: u64 = 1_000_000_000_000;

/// What sort of thing a feature is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureKind {
    /// A count that goes up and down (users, workspaces): limited, counted.
    Limit,
    /// A number that is read, not counted (retention days).
    Value,
    /// On or off.
    Boolean,
    /// A counter that starts again every period (API calls a month): limited, counted.
    Metered(Period),
}

impl FeatureKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Limit => "limit",
            Self::Value => "value",
            Self::Boolean => "boolean",
            Self::Metered(_) => "metered",
        }
    }

    /// Whether usage of the feature is counted (limit and metered features).
    pub fn is_counted(self) -> bool {
        matches!(self, Self::Limit | Self::Metered(_))
    }
}

/// How often a metered feature's counter starts again (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Month,
}

impl Period {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Month => "month",
        }
    }

    /// The period holding `now` (RFC 3339, UTC): `2026-12` or `2026-12-04`.
    pub fn key(self, now: &str) -> String {
        match self {
            Self::Day => now.get(..10).unwrap_or(now).to_owned(),
            Self::Month => now.get(..7).unwrap_or(now).to_owned(),
        }
    }

    /// When the period holding `now` ends, the next one starts (RFC 3339, UTC).
    pub fn reset_at(self, now: &str) -> String {
        let (year, month, day) = ymd(now);
        let (y, m, d) = match self {
            Self::Month if month == 12 => (year + 1, 1, 1),
            Self::Month => (year, month + 1, 1),
            Self::Day if day < days_in_month(year, month) => (year, month, day + 1),
            Self::Day if month == 12 => (year + 1, 1, 1),
            Self::Day => (year, month + 1, 1),
        };
        format!("{y:04}-{m:02}-{d:02}T00:00:00Z")
    }

    /// The key of the period two before the one holding `now` (whose counter a report may
    /// drop: the current and the previous period are kept).
    pub fn stale_key(self, now: &str) -> String {
        let (year, month, day) = ymd(now);
        match self {
            Self::Month => {
                let index = year * 12 + (month - 1) - 2;
                format!("{:04}-{:02}", index / 12, index % 12 + 1)
            }
            Self::Day => {
                let (mut y, mut m, mut d) = (year, month, day);
                for _ in 0..2 {
                    if d > 1 {
                        d -= 1;
                    } else {
                        if m > 1 {
                            m -= 1;
                        } else {
                            m = 12;
                            y -= 1;
                        }
                        d = days_in_month(y, m);
                    }
                }
                format!("{y:04}-{m:02}-{d:02}")
            }
        }
    }
}

fn ymd(now: &str) -> (i64, i64, i64) {
    let part = |range: std::ops::Range<usize>| {
        now.get(range)
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(1)
    };
    (part(0..4), part(5..7), part(8..10))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A feature plans may grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    pub name: String,
    pub kind: FeatureKind,
    pub description: Option<String>,
}

/// What a plan (or an override) grants of one feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// Not granted: off, or a limit of 0 (`not_in_plan`).
    None,
    /// A limit (`None`: unlimited), with an optional soft limit that warns but never blocks.
    Limit {
        limit: Option<u64>,
        soft: Option<u64>,
    },
    /// A value.
    Value(u64),
    /// On or off.
    Flag(bool),
}

impl Grant {
    /// The grant as the API shows it: a number, `null` for unlimited, `true`/`false`.
    pub fn to_json(&self) -> Value {
        match self {
            Self::None => Value::Bool(false),
            Self::Limit { limit: None, .. } => Value::Null,
            Self::Limit { limit: Some(n), .. } | Self::Value(n) => Value::from(*n),
            Self::Flag(on) => Value::Bool(*on),
        }
    }

    /// Whether the grant gives anything (a limit of 0 and `false` give nothing).
    pub fn is_granted(&self) -> bool {
        !matches!(
            self,
            Self::None | Self::Flag(false) | Self::Limit { limit: Some(0), .. }
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileDoc {
    default_plan: String,
    features: serde_json::Map<String, Value>,
    plans: Vec<PlanDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanDoc {
    name: String,
    #[serde(default)]
    grants: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeatureDoc {
    #[serde(rename = "type")]
    kind: String,
    period: Option<String>,
    description: Option<String>,
}

fn invalid(message: String) -> CatalogueError {
    CatalogueError::File(message)
}

/// A feature name: a letter, then letters and digits (it is a JSON field and a URL segment).
pub fn valid_feature_name(name: &str) -> bool {
    name.len() <= 64
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn amount(value: &Value, place: &str) -> Result<u64, CatalogueError> {
    match value.as_u64() {
        Some(n) if n <= MAX_AMOUNT => Ok(n),
        _ => Err(invalid(format!(
            "{place} must be a whole number from 0 to {MAX_AMOUNT}"
        ))),
    }
}

fn feature(name: &str, doc: &Value) -> Result<Feature, CatalogueError> {
    if !valid_feature_name(name) {
        return Err(invalid(format!(
            "feature name '{name}' is invalid: use a letter, then letters and digits (at most 64)"
        )));
    }
    let doc: FeatureDoc = serde_json::from_value(doc.clone())
        .map_err(|e| invalid(format!("feature '{name}': {e}")))?;
    let kind = match (doc.kind.as_str(), doc.period.as_deref()) {
        ("limit", None) => FeatureKind::Limit,
        ("value", None) => FeatureKind::Value,
        ("boolean", None) => FeatureKind::Boolean,
        ("metered", Some("month")) => FeatureKind::Metered(Period::Month),
        ("metered", Some("day")) => FeatureKind::Metered(Period::Day),
        ("metered", _) => {
            return Err(invalid(format!(
                "feature '{name}': a metered feature needs \"period\": \"month\" or \"day\""
            )))
        }
        ("limit" | "value" | "boolean", Some(_)) => {
            return Err(invalid(format!(
                "feature '{name}': only a metered feature has a period"
            )))
        }
        (other, _) => {
            return Err(invalid(format!(
                "feature '{name}': type '{other}' is not one of limit, value, boolean, metered"
            )))
        }
    };
    Ok(Feature {
        name: name.to_owned(),
        kind,
        description: doc.description,
    })
}

/// Reads one grant of `feature` (its type decides the shape).
pub(crate) fn grant(
    feature: &Feature,
    value: &Value,
    place: &str,
) -> Result<Grant, CatalogueError> {
    let shape = |expected: &str| {
        invalid(format!(
            "{place}: '{}' is a {} feature, so its grant is {expected}",
            feature.name,
            feature.kind.as_str()
        ))
    };
    match feature.kind {
        FeatureKind::Boolean => value
            .as_bool()
            .map(Grant::Flag)
            .ok_or_else(|| shape("true or false")),
        FeatureKind::Value => match value {
            Value::Object(map) if map.len() == 1 && map.contains_key("value") => Ok(Grant::Value(
                amount(&map["value"], &format!("{place}.value"))?,
            )),
            _ => Err(shape("{\"value\": n}")),
        },
        FeatureKind::Limit | FeatureKind::Metered(_) => match value {
            Value::Object(map)
                if map.contains_key("limit")
                    && map.keys().all(|k| k == "limit" || k == "softLimit") =>
            {
                let limit = match &map["limit"] {
                    Value::Null => None,
                    n => Some(amount(n, &format!("{place}.limit"))?),
                };
                let soft = match map.get("softLimit") {
                    None | Some(Value::Null) => None,
                    Some(n) => Some(amount(n, &format!("{place}.softLimit"))?),
                };
                if let (Some(limit), Some(soft)) = (limit, soft) {
                    if soft > limit {
                        return Err(invalid(format!(
                            "{place}: softLimit {soft} is above limit {limit}"
                        )));
                    }
                }
                Ok(Grant::Limit { limit, soft })
            }
            _ => Err(shape("{\"limit\": n or null, \"softLimit\": n}")),
        },
    }
}

/// Parses a plan file. `order` (the legacy `PLAN_CATALOGUE`, comma-separated) picks and
/// orders plans of the file; `default_plan` (the legacy `DEFAULT_PLAN`) replaces the
/// file's default.
pub fn parse(
    text: &str,
    order: Option<&str>,
    default_plan: Option<&str>,
) -> Result<PlanCatalogue, CatalogueError> {
    let doc: FileDoc =
        serde_json::from_str(text).map_err(|e| invalid(format!("not a plan file: {e}")))?;
    let features = doc
        .features
        .iter()
        .map(|(name, doc)| feature(name, doc))
        .collect::<Result<Vec<_>, _>>()?;
    let mut by_name: BTreeMap<&str, BTreeMap<String, Grant>> = BTreeMap::new();
    let mut file_order = Vec::new();
    for plan in &doc.plans {
        let mut grants = BTreeMap::new();
        for (name, value) in &plan.grants {
            let place = format!("plan '{}', grant '{name}'", plan.name);
            let feature = features
                .iter()
                .find(|f| &f.name == name)
                .ok_or_else(|| invalid(format!("{place}: no such feature in \"features\"")))?;
            grants.insert(name.clone(), grant(feature, value, &place)?);
        }
        if by_name.insert(&plan.name, grants).is_some() {
            return Err(CatalogueError::Duplicate(plan.name.clone()));
        }
        file_order.push(plan.name.as_str());
    }
    let names = match order {
        Some(order) => order.to_owned(),
        None => file_order.join(","),
    };
    let default_plan = default_plan.unwrap_or(&doc.default_plan);
    let catalogue = PlanCatalogue::parse(&names, default_plan)?;
    let grants = catalogue
        .plans()
        .iter()
        .map(|name| {
            by_name.get(name.as_str()).cloned().ok_or_else(|| {
                invalid(format!(
                    "plan '{name}' of PLAN_CATALOGUE is not in the plan file: add it to PLANS"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(catalogue.with_grants(features, grants))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(features: Value, plans: Value) -> String {
        serde_json::json!({"defaultPlan": "a", "features": features, "plans": plans}).to_string()
    }

    #[test]
    fn the_shipped_plan_file_is_valid_and_ordered_lowest_first() {
        let c = parse(DEFAULT_PLANS, None, None).unwrap();
        assert_eq!(
            c.plans(),
            ["free", "starter", "pro", "business", "enterprise"]
        );
        assert_eq!(c.default_plan(), "starter");
        assert_eq!(
            c.grant("starter", "maxUsers"),
            Grant::Limit {
                limit: Some(10),
                soft: Some(8)
            }
        );
        assert_eq!(c.grant("starter", "sso"), Grant::None);
        assert_eq!(c.grant("pro", "sso"), Grant::Flag(true));
        assert_eq!(
            c.grant("enterprise", "apiCalls"),
            Grant::Limit {
                limit: None,
                soft: None
            }
        );
    }

    #[test]
    fn a_grant_of_an_unknown_feature_fails_the_start_naming_it() {
        let text = file(
            serde_json::json!({"seats": {"type": "limit"}}),
            serde_json::json!([{"name": "a", "grants": {"sets": {"limit": 1}}}]),
        );
        let err = parse(&text, None, None).unwrap_err().to_string();
        assert!(err.contains("grant 'sets': no such feature"), "{err}");
    }

    #[test]
    fn a_grant_of_the_wrong_type_fails_the_start() {
        for (kind, grant) in [
            ("boolean", serde_json::json!({"limit": 1})),
            ("limit", serde_json::json!(true)),
            ("limit", serde_json::json!({"limit": 1.5})),
            ("limit", serde_json::json!({"limit": -1})),
            ("limit", serde_json::json!({"limit": 2, "softLimit": 3})),
            ("value", serde_json::json!({"limit": 2})),
        ] {
            let text = file(
                serde_json::json!({"f": {"type": kind}}),
                serde_json::json!([{"name": "a", "grants": {"f": grant}}]),
            );
            assert!(parse(&text, None, None).is_err(), "{kind} {grant}");
        }
    }

    #[test]
    fn bad_feature_types_periods_and_duplicate_plans_fail_the_start() {
        for features in [
            serde_json::json!({"f": {"type": "counter"}}),
            serde_json::json!({"f": {"type": "metered"}}),
            serde_json::json!({"f": {"type": "metered", "period": "year"}}),
            serde_json::json!({"f": {"type": "limit", "period": "month"}}),
            serde_json::json!({"1f": {"type": "limit"}}),
        ] {
            let text = file(features.clone(), serde_json::json!([{"name": "a"}]));
            assert!(parse(&text, None, None).is_err(), "{features}");
        }
        let twice = file(
            serde_json::json!({}),
            serde_json::json!([{"name": "a"}, {"name": "a"}]),
        );
        assert_eq!(
            parse(&twice, None, None),
            Err(CatalogueError::Duplicate("a".into()))
        );
    }

    #[test]
    fn the_legacy_plan_catalogue_orders_plans_of_the_file_and_must_name_only_them() {
        let c = parse(DEFAULT_PLANS, Some("free,pro"), Some("pro")).unwrap();
        assert_eq!(c.plans(), ["free", "pro"]);
        assert_eq!(c.default_plan(), "pro");
        let err = parse(DEFAULT_PLANS, Some("basic,premium"), Some("basic"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("'basic' of PLAN_CATALOGUE is not in the plan file"),
            "{err}"
        );
    }

    #[test]
    fn periods_have_keys_resets_and_stale_keys_by_the_calendar() {
        let now = "2026-12-31T23:59:59Z";
        assert_eq!(Period::Month.key(now), "2026-12");
        assert_eq!(Period::Month.reset_at(now), "2027-01-01T00:00:00Z");
        assert_eq!(Period::Day.reset_at(now), "2027-01-01T00:00:00Z");
        assert_eq!(
            Period::Day.reset_at("2028-02-28T10:00:00Z"),
            "2028-02-29T00:00:00Z"
        );
        assert_eq!(Period::Month.stale_key("2027-01-15T00:00:00Z"), "2026-11");
        assert_eq!(Period::Day.stale_key("2027-03-01T00:00:00Z"), "2027-02-27");
    }
}
