//! `GET /v1/tenants`: the validated query (limit, filters, order, cursor) and the rule
//! that decides whether a tenant passes its filters.

use super::input::Problems;
use super::page::fingerprint;
use super::plans::PlanCatalogue;
use super::tenant::{Tenant, TenantKind, TenantStatus};
use crate::error::ApiError;

/// Default page size.
pub const DEFAULT_LIMIT: usize = 20;
/// Largest page size.
pub const MAX_LIMIT: usize = 100;

/// A validated listing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub limit: usize,
    pub status: Option<TenantStatus>,
    pub plan: Option<String>,
    pub kind: Option<TenantKind>,
    /// Lower-cased search text.
    pub search: Option<String>,
    pub ascending: bool,
    pub cursor: Option<String>,
}

const PARAMS: [&str; 7] = [
    "limit", "cursor", "status", "plan", "kind", "search", "order",
];

impl ListQuery {
    /// Validates query parameters, listing every invalid one. `get` returns all values of
    /// a parameter (a repeated parameter is an error).
    pub fn parse(
        names: &[String],
        get: impl Fn(&str) -> Vec<String>,
        plans: &PlanCatalogue,
    ) -> Result<Self, ApiError> {
        let mut problems = Problems::default();
        for name in names {
            if !PARAMS.contains(&name.as_str()) {
                problems.add(name, "is not a known query parameter");
            }
        }
        let mut one = |name: &str| problems.at_most_once(name, get(name));
        let limit_raw = one("limit");
        let status_raw = one("status");
        let plan_raw = one("plan");
        let kind_raw = one("kind");
        let search_raw = one("search");
        let order_raw = one("order");
        let cursor = one("cursor");
        let limit = problems.page_size(limit_raw, MAX_LIMIT, DEFAULT_LIMIT);
        let status = status_raw.and_then(|s| {
            TenantStatus::parse(&s)
                .map_err(|r| problems.add("status", r))
                .ok()
        });
        let plan = plan_raw.and_then(|p| {
            if plans.contains(&p) {
                Some(p)
            } else {
                problems.add(
                    "plan",
                    format!("must be one of: {}", plans.plans().join(", ")),
                );
                None
            }
        });
        let kind = kind_raw.and_then(|k| {
            TenantKind::parse(&k)
                .map_err(|r| problems.add("kind", r))
                .ok()
        });
        let search = search_raw.and_then(|s| {
            let trimmed = s.trim();
            let len = trimmed.chars().count();
            if (1..=200).contains(&len) {
                Some(trimmed.to_lowercase())
            } else {
                problems.add("search", "must be 1-200 characters");
                None
            }
        });
        let ascending = match order_raw.as_deref() {
            None | Some("desc") => false,
            Some("asc") => true,
            Some(_) => {
                problems.add("order", "must be 'asc' or 'desc'");
                false
            }
        };
        problems.finish(Self {
            limit,
            status,
            plan,
            kind,
            search,
            ascending,
            cursor,
        })
    }

    /// Fingerprint of everything a cursor must agree with (not the page size).
    pub fn fingerprint(&self) -> String {
        fingerprint(&[
            self.status.map(TenantStatus::as_str).unwrap_or("live"),
            self.plan.as_deref().unwrap_or(""),
            self.kind.map(TenantKind::as_str).unwrap_or(""),
            self.search.as_deref().unwrap_or(""),
            if self.ascending { "asc" } else { "desc" },
        ])
    }

    /// Whether filters may discard some of what the index holds.
    pub fn has_filter(&self) -> bool {
        self.plan.is_some() || self.kind.is_some() || self.search.is_some()
    }
}

impl ListQuery {
    /// Whether `tenant` passes this query's filters, as the index queries apply them (for
    /// listings built in memory from a caller's few visible tenants).
    pub fn matches(&self, tenant: &Tenant) -> bool {
        let status_ok = match self.status {
            None => tenant.status != TenantStatus::Deleted,
            Some(status) => tenant.status == status,
        };
        let search_ok = self.search.as_deref().is_none_or(|q| {
            tenant.fields.name.as_str().to_lowercase().contains(q)
                || tenant.slug.as_str().starts_with(q)
        });
        status_ok
            && self.plan.as_deref().is_none_or(|p| tenant.plan == p)
            && self.kind.is_none_or(|k| tenant.fields.kind == k)
            && search_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plans::{DEFAULT_CATALOGUE, DEFAULT_PLAN};

    fn parse(pairs: &[(&str, &str)]) -> Result<ListQuery, ApiError> {
        let plans = PlanCatalogue::parse(DEFAULT_CATALOGUE, DEFAULT_PLAN).unwrap();
        let names: Vec<String> = pairs.iter().map(|(k, _)| k.to_string()).collect();
        ListQuery::parse(
            &names,
            |name| {
                pairs
                    .iter()
                    .filter(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
                    .collect()
            },
            &plans,
        )
    }

    #[test]
    fn defaults_are_twenty_newest_first_live_tenants() {
        let q = parse(&[]).unwrap();
        assert_eq!(q.limit, 20);
        assert!(!q.ascending);
        assert!(q.status.is_none());
    }

    #[test]
    fn every_bad_parameter_is_reported() {
        let err = parse(&[
            ("limit", "0"),
            ("status", "gone"),
            ("plan", "gold"),
            ("kind", "x"),
            ("order", "up"),
            ("colour", "red"),
        ])
        .unwrap_err();
        let ApiError::Validation(fields) = err else {
            panic!("expected validation error")
        };
        let mut names: Vec<_> = fields.into_iter().map(|f| f.field).collect();
        names.sort();
        assert_eq!(
            names,
            ["colour", "kind", "limit", "order", "plan", "status"]
        );
    }

    #[test]
    fn limit_above_maximum_is_rejected() {
        assert!(parse(&[("limit", "101")]).is_err());
        assert_eq!(parse(&[("limit", "100")]).unwrap().limit, 100);
    }

    #[test]
    fn fingerprint_changes_with_filters_but_not_page_size() {
        let a = parse(&[("plan", "pro"), ("limit", "5")]).unwrap();
        let b = parse(&[("plan", "pro"), ("limit", "50")]).unwrap();
        let c = parse(&[("plan", "free")]).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }
}
