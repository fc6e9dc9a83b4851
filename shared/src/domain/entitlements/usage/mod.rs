//! Usage of counted features, checks against the limits, and what a usage report may
//! write. The decisions here are pure: the store turns a [`ReportWrite`] into one
//! conditional write whose condition holds the limit, so that two reports racing for the
//! last unit cannot both pass (never read-then-write).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::catalogue::{Feature, FeatureKind, Grant, MAX_AMOUNT};
use super::effective::{counter_key, effective};
use crate::domain::input::Problems;
use crate::domain::plans::PlanCatalogue;
use crate::domain::tenant::TenantFields;
use crate::domain::TenantStatus;
use crate::error::ApiError;

/// Percentages of a limit whose upward crossing writes a `tenant.usage_threshold_reached`
/// event (once per crossing).
pub const THRESHOLDS: [u64; 2] = [80, 100];

/// A tenant's counters: counter key ([`counter_key`]) → usage. Missing counters are 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage(pub BTreeMap<String, u64>);

impl Usage {
    /// The usage under `key`.
    pub fn get(&self, key: &str) -> u64 {
        self.0.get(key).copied().unwrap_or(0)
    }
}

/// Why a check or an increment is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The plan (and no override) grants the feature.
    NotInPlan,
    /// The request would pass the limit.
    LimitReached,
    TenantSuspended,
    TenantDeleted,
}

impl Reason {
    /// Why a tenant in `status` may use nothing more (`None`: it is active).
    pub fn of_status(status: TenantStatus) -> Option<Self> {
        match status {
            TenantStatus::Active => None,
            TenantStatus::Suspended => Some(Self::TenantSuspended),
            TenantStatus::Deleted => Some(Self::TenantDeleted),
        }
    }

    /// The wire name (also the error code of a refused report).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotInPlan => "not_in_plan",
            Self::LimitReached => "limit_reached",
            Self::TenantSuspended => "tenant_suspended",
            Self::TenantDeleted => "tenant_deleted",
        }
    }
}

/// The answer to "would `requested` of this feature be allowed?" (and the figures of a
/// refused report).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckAnswer {
    #[schema(example = "maxUsers")]
    pub feature: String,
    pub allowed: bool,
    /// Why not (`null` when allowed).
    pub reason: Option<Reason>,
    pub requested: u64,
    /// Counted features: the limit (`null`: unlimited).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u64>)]
    pub limit: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<u64>,
    /// Counted features: how many more are allowed (`null`: unlimited).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u64>)]
    pub remaining: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft_limit: Option<u64>,
    /// Whether usage plus `requested` would pass the soft limit (a warning, never a
    /// refusal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub over_soft_limit: Option<bool>,
    /// Value and boolean features: the effective value.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub value: Option<Value>,
    /// Metered features: the current period and when it ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_at: Option<String>,
}

/// A counted feature's state at one moment: its effective limit and its usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    pub feature: String,
    /// The counter's key in storage.
    pub key: String,
    /// `None`: unlimited; `Some(0)` when not granted.
    pub limit: Option<u64>,
    pub granted: bool,
    pub soft: Option<u64>,
    pub usage: u64,
    /// Metered features: the period and its end.
    pub period: Option<(String, String)>,
}

impl Counter {
    /// The counter of counted `feature` for a tenant with `fields` on `plan`.
    pub fn of(
        catalogue: &PlanCatalogue,
        plan: &str,
        fields: &TenantFields,
        feature: &Feature,
        usage: &Usage,
        now: &str,
    ) -> Option<Self> {
        let key = counter_key(feature, now)?;
        let e = effective(catalogue, plan, fields, feature);
        let (limit, soft) = match e.grant {
            Grant::Limit { limit, soft } => (limit, soft),
            _ => (Some(0), None),
        };
        let period = match feature.kind {
            FeatureKind::Metered(p) => Some((p.key(now), p.reset_at(now))),
            _ => None,
        };
        Some(Self {
            feature: feature.name.clone(),
            usage: usage.get(&key),
            key,
            limit,
            granted: limit != Some(0),
            soft,
            period,
        })
    }

    /// How many more are allowed: `null` when unlimited, 0 when at or over the limit.
    pub fn remaining(&self) -> Value {
        match self.limit {
            None => Value::Null,
            Some(l) => Value::from(l.saturating_sub(self.usage)),
        }
    }

    /// The answer to "may `requested` more be used?" for a tenant in `status`.
    pub fn check(&self, status: TenantStatus, requested: u64) -> CheckAnswer {
        let reason = if let Some(closed) = Reason::of_status(status) {
            Some(closed)
        } else if !self.granted {
            Some(Reason::NotInPlan)
        } else if self
            .limit
            .is_some_and(|l| self.usage.saturating_add(requested) > l)
        {
            Some(Reason::LimitReached)
        } else {
            None
        };
        CheckAnswer {
            feature: self.feature.clone(),
            allowed: reason.is_none(),
            reason,
            requested,
            limit: Some(self.limit.map(Value::from).unwrap_or(Value::Null)),
            usage: Some(self.usage),
            remaining: Some(self.remaining()),
            soft_limit: self.soft,
            over_soft_limit: self.soft.map(|s| self.usage.saturating_add(requested) > s),
            value: None,
            period: self.period.as_ref().map(|(p, _)| p.clone()),
            reset_at: self.period.as_ref().map(|(_, r)| r.clone()),
        }
    }

    /// The thresholds (percent) whose count lies in `(from, to]`.
    pub fn crossings(&self, from: u64, to: u64) -> Vec<u64> {
        let Some(limit) = self.limit.filter(|l| *l > 0) else {
            return Vec::new();
        };
        THRESHOLDS
            .into_iter()
            .filter(|p| {
                let at = threshold_count(limit, *p);
                from < at && at <= to
            })
            .collect()
    }

    /// What a report may write, or why it is refused (a refusal answers with the check).
    pub fn plan(&self, status: TenantStatus, report: Report) -> Result<ReportWrite, Refusal> {
        if status == TenantStatus::Deleted {
            return Err(Refusal::Refused(Box::new(self.check(status, 0))));
        }
        match report {
            Report::Delta(n) if n > 0 => {
                let n = n as u64;
                let answer = self.check(status, n);
                if !answer.allowed {
                    return Err(Refusal::Refused(Box::new(answer)));
                }
                let crossed = self.crossings(self.usage, self.usage.saturating_add(n));
                // Pin the usage to the range in which this increment crosses the same
                // thresholds (exactly, when it crosses one): the event is then written
                // once, by the one report that crossed.
                let (low, high) = if crossed.is_empty() {
                    self.band(n)
                } else {
                    (self.usage, Some(self.usage.saturating_add(1)))
                };
                Ok(ReportWrite::Add {
                    n,
                    max_before: self.limit.map(|l| l - n),
                    low,
                    high,
                    crossed,
                })
            }
            Report::Delta(n) => {
                let n = n.unsigned_abs();
                if n > self.usage {
                    return Err(Refusal::BelowZero { usage: self.usage });
                }
                Ok(ReportWrite::Subtract { n })
            }
            // A suspended tenant's usage may go down, not up, whichever way it is reported.
            Report::Set(value) if status == TenantStatus::Suspended && value > self.usage => Err(
                Refusal::Refused(Box::new(self.check(status, value - self.usage))),
            ),
            Report::Set(value) => Ok(ReportWrite::Set {
                value,
                before: self.usage,
                crossed: self.crossings(self.usage, value),
            }),
        }
    }

    /// The range `[low, high)` of usage around the current one in which an increment of
    /// `n` crosses the same thresholds (none).
    fn band(&self, n: u64) -> (u64, Option<u64>) {
        let Some(limit) = self.limit.filter(|l| *l > 0) else {
            return (0, None);
        };
        let mut points: Vec<u64> = THRESHOLDS
            .iter()
            .flat_map(|p| {
                let at = threshold_count(limit, *p);
                [at.saturating_sub(n), at]
            })
            .collect();
        points.sort_unstable();
        let low = points
            .iter()
            .copied()
            .filter(|p| *p <= self.usage)
            .max()
            .unwrap_or(0);
        let high = points.iter().copied().find(|p| *p > self.usage);
        (low, high)
    }
}

/// The count at which usage reaches `percent` of `limit` (rounded up).
pub fn threshold_count(limit: u64, percent: u64) -> u64 {
    (limit * percent).div_ceil(100)
}

/// A usage report: a change by `delta`, or a new value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Delta(i64),
    Set(u64),
}

impl Report {
    /// Reads `{"delta": ±n}` or `{"set": n}` (nothing else).
    pub fn from_json(body: &serde_json::Map<String, Value>) -> Result<Self, ApiError> {
        let mut problems = Problems::default();
        problems.reject_unknown(body, &["delta", "set"]);
        let whole = |value: &Value| -> Option<i64> {
            value.as_i64().filter(|n| n.unsigned_abs() <= MAX_AMOUNT)
        };
        let report = match (body.get("delta"), body.get("set")) {
            (Some(_), Some(_)) => {
                problems.add("set", "send either delta or set, not both");
                None
            }
            (Some(delta), None) => match whole(delta) {
                Some(0) => {
                    problems.add("delta", "must not be 0");
                    None
                }
                Some(n) => Some(Self::Delta(n)),
                None => {
                    problems.add(
                        "delta",
                        format!("must be a whole number from -{MAX_AMOUNT} to {MAX_AMOUNT}"),
                    );
                    None
                }
            },
            (None, Some(set)) => match whole(set).filter(|n| *n >= 0) {
                Some(n) => Some(Self::Set(n as u64)),
                None => {
                    problems.add(
                        "set",
                        format!("must be a whole number from 0 to {MAX_AMOUNT}"),
                    );
                    None
                }
            },
            (None, None) => {
                problems.add("delta", "is required (or set)");
                None
            }
        };
        problems.require(report)
    }

    /// The report as JSON (`{"delta": n}` or `{"set": n}`).
    pub fn to_json(self) -> Value {
        match self {
            Self::Delta(n) => serde_json::json!({ "delta": n }),
            Self::Set(n) => serde_json::json!({ "set": n }),
        }
    }
}

/// What a report writes, conditioned so that it holds only if the usage is still where
/// the decision assumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportWrite {
    /// Add `n`: usage must be in `[low, high)` and at most `max_before` (`None`: no limit).
    Add {
        n: u64,
        max_before: Option<u64>,
        low: u64,
        high: Option<u64>,
        crossed: Vec<u64>,
    },
    /// Subtract `n`: usage must be at least `n`.
    Subtract { n: u64 },
    /// Set to `value`: usage must still be `before`.
    Set {
        value: u64,
        before: u64,
        crossed: Vec<u64>,
    },
}

/// Why a report writes nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Not allowed: the check's answer says why, with the figures.
    Refused(Box<CheckAnswer>),
    /// A decrement below 0.
    BelowZero { usage: u64 },
}

/// What a usage report answers (and a replay of its idempotency key answers again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageRecord {
    #[schema(example = "maxUsers")]
    pub feature: String,
    /// The change reported, `{"delta": n}` or `{"set": n}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<u64>,
    /// The usage after the report.
    pub usage: u64,
    /// The limit it was counted against (`null`: unlimited).
    pub limit: Option<u64>,
    /// How many more are allowed (`null`: unlimited; `0` when over).
    pub remaining: Option<u64>,
    pub over_limit: bool,
    /// Metered features: the period counted in, and when it ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_at: Option<String>,
    /// Thresholds (percent of the limit) this report crossed, each announced by one
    /// `tenant.usage_threshold_reached` event.
    pub thresholds_crossed: Vec<u64>,
    pub recorded_at: String,
}

#[cfg(test)]
mod tests;
