//! Tenant counters. Every write that creates a tenant or changes its status, plan or kind
//! adjusts these counters in the same DynamoDB transaction, so `GET /v1/tenants/stats` is
//! one Query of a few small shard items and never a Scan.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

use super::plans::PlanCatalogue;
use super::tenant::{Tenant, TenantKind, TenantStatus};

/// Counter attribute counting every tenant.
pub const TOTAL: &str = "total";

/// Counter attribute for tenants in `status`.
pub fn status_counter(status: TenantStatus) -> String {
    format!("status_{}", status.as_str())
}

/// Counter attribute for tenants on `plan`.
pub fn plan_counter(plan: &str) -> String {
    format!("plan_{plan}")
}

/// Counter attribute for tenants of `kind`.
pub fn kind_counter(kind: TenantKind) -> String {
    format!("kind_{}", kind.as_str())
}

/// Counter changes (attribute → delta) that turn `before` into `after`.
/// `None` stands for "no tenant" (creation).
pub fn delta(before: Option<&Tenant>, after: &Tenant) -> BTreeMap<String, i64> {
    let mut changes = BTreeMap::new();
    let mut add = |name: String, by: i64| *changes.entry(name).or_insert(0) += by;
    if let Some(old) = before {
        add(status_counter(old.status), -1);
        add(plan_counter(&old.plan), -1);
        add(kind_counter(old.fields.kind), -1);
    } else {
        add(TOTAL.to_owned(), 1);
    }
    add(status_counter(after.status), 1);
    add(plan_counter(&after.plan), 1);
    add(kind_counter(after.fields.kind), 1);
    changes.retain(|_, v| *v != 0);
    changes
}

/// The stats response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantStats {
    /// Every tenant ever created, deleted ones included.
    pub total: i64,
    /// Tenants per status; every status is present.
    pub by_status: BTreeMap<String, i64>,
    /// Tenants per plan; every catalogue plan is present, plus any retired plan still in use.
    pub by_plan: BTreeMap<String, i64>,
    /// Tenants per kind; every kind is present.
    pub by_kind: BTreeMap<String, i64>,
}

impl TenantStats {
    /// Sums counter shards (attribute → value maps) into the stats body.
    pub fn from_shards(shards: &[HashMap<String, i64>], plans: &PlanCatalogue) -> Self {
        let mut sums: HashMap<&str, i64> = HashMap::new();
        for shard in shards {
            for (name, value) in shard {
                *sums.entry(name.as_str()).or_insert(0) += value;
            }
        }
        let mut stats = Self {
            total: sums.get(TOTAL).copied().unwrap_or(0),
            by_status: TenantStatus::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), 0))
                .collect(),
            by_plan: plans.plans().iter().map(|p| (p.clone(), 0)).collect(),
            by_kind: TenantKind::ALL
                .iter()
                .map(|k| (k.as_str().to_owned(), 0))
                .collect(),
        };
        for (name, value) in sums {
            let (map, key) = if let Some(s) = name.strip_prefix("status_") {
                (&mut stats.by_status, s)
            } else if let Some(p) = name.strip_prefix("plan_") {
                (&mut stats.by_plan, p)
            } else if let Some(k) = name.strip_prefix("kind_") {
                (&mut stats.by_kind, k)
            } else {
                continue;
            };
            // A retired plan drops out once no tenant is on it.
            if value != 0 || map.contains_key(key) {
                map.insert(key.to_owned(), value);
            }
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plans::{DEFAULT_CATALOGUE, DEFAULT_PLAN};

    #[test]
    fn shards_are_summed_and_every_bucket_is_present() {
        let plans = PlanCatalogue::parse(DEFAULT_CATALOGUE, DEFAULT_PLAN).unwrap();
        let shard = |pairs: &[(&str, i64)]| -> HashMap<String, i64> {
            pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        let stats = TenantStats::from_shards(
            &[
                shard(&[
                    ("total", 2),
                    ("status_active", 2),
                    ("plan_pro", 2),
                    ("kind_trial", 2),
                ]),
                shard(&[
                    ("total", 1),
                    ("status_deleted", 1),
                    ("plan_legacy", 1),
                    ("kind_trial", 1),
                ]),
            ],
            &plans,
        );
        assert_eq!(stats.total, 3);
        assert_eq!(stats.by_status["active"], 2);
        assert_eq!(stats.by_status["suspended"], 0);
        assert_eq!(stats.by_plan["pro"], 2);
        assert_eq!(stats.by_plan["free"], 0);
        assert_eq!(stats.by_plan["legacy"], 1);
        assert_eq!(stats.by_kind["trial"], 3);
        assert_eq!(stats.by_kind["standard"], 0);
    }
}
