//! `GET /v1/tenants`: query parameters, and the index queries behind them.
//!
//! The default listing reads GSI1 (live tenants by creation time); `status=` reads GSI2
//! (tenants of one status by creation time). `plan`, `kind` and `search` are filters on
//! those queries; a filtered listing keeps reading until its page is full, so every page
//! but the last holds exactly `limit` items. The one exception: a sparse filter over a very
//! large table that would read past the Lambda deadline returns what it has found so far,
//! with a cursor to continue from where it stopped, rather than time out.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::cursor::{fingerprint, CursorCodec, Position};
use crate::error::ApiError;
use crate::keys;
use crate::model::{Problems, Tenant, TenantKind, TenantStatus};
use crate::plans::PlanCatalogue;
use crate::store::{from_item, map_sdk_error, Store, TenantItem};

/// Default page size.
pub const DEFAULT_LIMIT: usize = 20;
/// Largest page size.
pub const MAX_LIMIT: usize = 100;
/// Items read per index query when filters may discard some.
const FILTERED_READ: i32 = 200;
/// Stop reading further index pages when less time than this is left before the deadline.
const DEADLINE_MARGIN_MS: u64 = 2_000;

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
        let mut one = |name: &str| -> Option<String> {
            let values = get(name);
            match values.len() {
                0 => None,
                1 => Some(values.into_iter().next().unwrap_or_default()),
                _ => {
                    problems.add(name, "must be given at most once");
                    None
                }
            }
        };
        let limit_raw = one("limit");
        let status_raw = one("status");
        let plan_raw = one("plan");
        let kind_raw = one("kind");
        let search_raw = one("search");
        let order_raw = one("order");
        let cursor = one("cursor");

        let limit = match limit_raw {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    problems.add(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    );
                    DEFAULT_LIMIT
                }
            },
        };
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

    fn has_filter(&self) -> bool {
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
            tenant.fields.name.to_lowercase().contains(q) || tenant.slug.starts_with(q)
        });
        status_ok
            && self.plan.as_deref().is_none_or(|p| tenant.plan == p)
            && self.kind.is_none_or(|k| tenant.fields.kind == k)
            && search_ok
    }

    /// One page of `items` (already filtered) in this query's order, after its cursor.
    pub fn page_in_memory<T>(
        &self,
        mut items: Vec<(Tenant, T)>,
        codec: &CursorCodec,
    ) -> Result<MemoryPage<T>, ApiError> {
        let print = self.fingerprint();
        let after = self
            .cursor
            .as_deref()
            .map(|c| codec.decode(c, &print))
            .transpose()?;
        let key = |t: &Tenant| (t.created_at.clone(), t.id.clone());
        items.sort_by_key(|(t, _)| key(t));
        if !self.ascending {
            items.reverse();
        }
        if let Some(p) = after {
            let mark = (p.created_at, p.id);
            items.retain(|(t, _)| {
                if self.ascending {
                    key(t) > mark
                } else {
                    key(t) < mark
                }
            });
        }
        let more = items.len() > self.limit;
        items.truncate(self.limit);
        let next = match (more, items.last()) {
            (true, Some((last, _))) => Some(codec.encode(
                &Position {
                    created_at: last.created_at.clone(),
                    id: last.id.clone(),
                },
                &print,
            )),
            _ => None,
        };
        Ok(MemoryPage {
            items,
            next_cursor: next,
        })
    }
}

/// One page built in memory: each tenant with what the caller holds on it.
#[derive(Debug)]
pub struct MemoryPage<T> {
    pub items: Vec<(Tenant, T)>,
    pub next_cursor: Option<String>,
}

/// One page of tenants.
#[derive(Debug)]
pub struct Page {
    pub items: Vec<Tenant>,
    pub next_cursor: Option<String>,
}

impl Store {
    /// Lists one page of tenants for `query`. `deadline_ms` (Unix epoch milliseconds, the
    /// Lambda invocation's deadline) bounds how long a sparse filter may keep reading.
    pub async fn list(
        &self,
        query: &ListQuery,
        codec: &CursorCodec,
        deadline_ms: Option<u64>,
    ) -> Result<Page, ApiError> {
        let query_print = query.fingerprint();
        let start = query
            .cursor
            .as_deref()
            .map(|c| codec.decode(c, &query_print))
            .transpose()?;

        let (index, pk_name, sk_name, partition) = match query.status {
            None => (
                keys::GSI1,
                keys::GSI1PK,
                keys::GSI1SK,
                keys::LIVE_TENANTS.to_owned(),
            ),
            Some(status) => (
                keys::GSI2,
                keys::GSI2PK,
                keys::GSI2SK,
                keys::status_partition(status.as_str()),
            ),
        };
        let mut names = HashMap::from([("#pk".to_owned(), pk_name.to_owned())]);
        let mut values = HashMap::from([(":pk".to_owned(), AttributeValue::S(partition.clone()))]);
        let mut filters = Vec::new();
        if let Some(plan) = &query.plan {
            names.insert("#plan".into(), "plan".into());
            values.insert(":plan".into(), AttributeValue::S(plan.clone()));
            filters.push("#plan = :plan".to_owned());
        }
        if let Some(kind) = query.kind {
            names.insert("#kind".into(), "kind".into());
            values.insert(":kind".into(), AttributeValue::S(kind.as_str().into()));
            filters.push("#kind = :kind".to_owned());
        }
        if let Some(search) = &query.search {
            names.insert("#nl".into(), "nameLower".into());
            names.insert("#slug".into(), "slug".into());
            values.insert(":q".into(), AttributeValue::S(search.clone()));
            filters.push("(contains(#nl, :q) OR begins_with(#slug, :q))".to_owned());
        }
        let filter = (!filters.is_empty()).then(|| filters.join(" AND "));

        let mut exclusive_start = start.map(|p| {
            let mut key = keys::tenant_key(&p.id);
            key.insert(pk_name.to_owned(), AttributeValue::S(partition.clone()));
            key.insert(
                sk_name.to_owned(),
                AttributeValue::S(keys::created_sort_key(&p.created_at, &p.id)),
            );
            key
        });
        // Read one more than the page to learn whether another page exists.
        let wanted = query.limit + 1;
        let read_size = if query.has_filter() {
            FILTERED_READ
        } else {
            wanted as i32
        };
        let mut found: Vec<Tenant> = Vec::with_capacity(wanted);
        loop {
            let output = self
                .client()
                .query()
                .table_name(self.table())
                .index_name(index)
                .key_condition_expression("#pk = :pk")
                .set_filter_expression(filter.clone())
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(query.ascending)
                .set_exclusive_start_key(exclusive_start.take())
                .limit(read_size)
                .send()
                .await
                .map_err(map_sdk_error)?;
            for item in output.items.unwrap_or_default() {
                found.push(from_item::<TenantItem>(item)?.into_tenant()?);
                if found.len() == wanted {
                    break;
                }
            }
            match output.last_evaluated_key {
                Some(key) if found.len() < wanted => {
                    if near(deadline_ms) {
                        // Out of time: hand back what we have and resume after `key`.
                        let position = position_of(&key, sk_name)?;
                        return Ok(Page {
                            items: found,
                            next_cursor: Some(codec.encode(&position, &query_print)),
                        });
                    }
                    exclusive_start = Some(key);
                }
                _ => break,
            }
        }
        let next_cursor = if found.len() > query.limit {
            found.truncate(query.limit);
            found.last().map(|last| {
                codec.encode(
                    &Position {
                        created_at: last.created_at.clone(),
                        id: last.id.clone(),
                    },
                    &query_print,
                )
            })
        } else {
            None
        };
        Ok(Page {
            items: found,
            next_cursor,
        })
    }
}

/// Whether less than [`DEADLINE_MARGIN_MS`] is left before `deadline_ms`.
fn near(deadline_ms: Option<u64>) -> bool {
    let Some(deadline) = deadline_ms else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    deadline.saturating_sub(now) < DEADLINE_MARGIN_MS
}

/// The cursor position of an index key (`<createdAt>#<id>` in its sort key).
fn position_of(
    key: &HashMap<String, AttributeValue>,
    sort_key: &str,
) -> Result<Position, ApiError> {
    match key.get(sort_key) {
        Some(AttributeValue::S(sort)) => match sort.split_once('#') {
            Some((created_at, id)) => Ok(Position {
                created_at: created_at.to_owned(),
                id: id.to_owned(),
            }),
            None => Err(ApiError::internal(format!(
                "unexpected index sort key {sort}"
            ))),
        },
        _ => Err(ApiError::internal("index key without its sort key")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plans::{DEFAULT_CATALOGUE, DEFAULT_PLAN};

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
