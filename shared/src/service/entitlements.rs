//! Plan entitlements: the catalogue, a tenant's effective entitlements with usage, the
//! read-only check, and usage reports (the hot path of a SaaS application's backend).

use serde_json::{json, Value};

use crate::auth::access::TenantAccess;
use crate::domain::entitlements::catalogue::{Feature, FeatureKind, Grant};
use crate::domain::entitlements::effective::{self, counter_key, Entitlement};
use crate::domain::entitlements::usage::{
    CheckAnswer, Counter, Reason, Refusal, Report, ReportWrite, UsageRecord,
};
use crate::domain::event::UsageThreshold;
use crate::domain::input::hex_sha256;
use crate::domain::plans::PlanCatalogue;
use crate::domain::{clock, ChangeEvent};
use crate::error::ApiError;
use crate::runtime::App;
use crate::store::usage::{IdempotencyRecord, Reported};

use super::tenants::MAX_ATTEMPTS;

/// How long a usage report's idempotency key is remembered: a retry with the same key
/// within this time answers the first report again and counts nothing.
pub const IDEMPOTENCY_TTL_HOURS: i64 = 24;

/// The catalogue as `GET /v1/plans` shows it: the features, and each plan (lowest first)
/// with its grants.
pub fn catalogue_json(plans: &PlanCatalogue) -> Value {
    let features: Vec<Value> = plans
        .features()
        .iter()
        .map(|f| {
            let mut feature = json!({"name": f.name, "type": f.kind.as_str()});
            if let FeatureKind::Metered(period) = f.kind {
                feature["period"] = json!(period.as_str());
            }
            if let Some(description) = &f.description {
                feature["description"] = json!(description);
            }
            feature
        })
        .collect();
    let items: Vec<Value> = plans
        .plans()
        .iter()
        .enumerate()
        .map(|(rank, plan)| {
            let grants: serde_json::Map<String, Value> = plans
                .features()
                .iter()
                .map(|f| (f.name.clone(), grant_json(&plans.grant(plan, &f.name), f)))
                .collect();
            json!({
                "name": plan,
                "rank": rank,
                "default": plan == plans.default_plan(),
                "grants": grants,
            })
        })
        .collect();
    json!({"features": features, "plans": items})
}

/// One grant as the catalogue shows it.
fn grant_json(grant: &Grant, feature: &Feature) -> Value {
    match (grant, feature.kind) {
        (Grant::Limit { limit, soft }, _) => {
            let mut out = json!({ "limit": limit });
            if let Some(soft) = soft {
                out["softLimit"] = json!(soft);
            }
            out
        }
        (Grant::None, FeatureKind::Limit | FeatureKind::Metered(_)) => json!({"limit": 0}),
        (Grant::None, FeatureKind::Value) => json!({"value": null}),
        (Grant::None, FeatureKind::Boolean) => json!(false),
        (Grant::Value(n), _) => json!({ "value": n }),
        (Grant::Flag(on), _) => json!(on),
    }
}

/// The feature named `name`, or 404.
fn feature<'a>(plans: &'a PlanCatalogue, name: &str) -> Result<&'a Feature, ApiError> {
    plans.feature(name).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no feature '{name}' in the plan catalogue (GET /v1/plans lists them)"
        ))
    })
}

/// Every feature of the tenant, with usage (the access read its counters).
pub fn entitlements(app: &App, access: &TenantAccess) -> Vec<Entitlement> {
    let t = &access.tenant;
    effective::entitlements(
        &app.config.plans,
        &t.plan,
        &t.fields,
        &usage_of(access),
        &clock::now_rfc3339(),
    )
}

/// The usage the access read (none read: no counters yet).
fn usage_of(access: &TenantAccess) -> crate::domain::entitlements::usage::Usage {
    access.usage.clone().unwrap_or_default()
}

/// One feature of the tenant, with usage.
pub fn entitlement(app: &App, access: &TenantAccess, name: &str) -> Result<Entitlement, ApiError> {
    let plans = &app.config.plans;
    let t = &access.tenant;
    Ok(effective::entitlement(
        plans,
        &t.plan,
        &t.fields,
        feature(plans, name)?,
        &usage_of(access),
        &clock::now_rfc3339(),
    ))
}

/// Would `requested` of feature `name` be allowed now?
pub fn check(
    app: &App,
    access: &TenantAccess,
    name: &str,
    requested: u64,
) -> Result<CheckAnswer, ApiError> {
    let plans = &app.config.plans;
    let t = &access.tenant;
    let feature = feature(plans, name)?;
    let now = clock::now_rfc3339();
    if let Some(counter) = Counter::of(plans, &t.plan, &t.fields, feature, &usage_of(access), &now)
    {
        return Ok(counter.check(t.status, requested));
    }
    let grant = effective::effective(plans, &t.plan, &t.fields, feature).grant;
    let allowed_by_grant = match &grant {
        Grant::Flag(on) => *on,
        Grant::Value(n) => requested <= *n,
        _ => false,
    };
    let reason = Reason::of_status(t.status).or(match allowed_by_grant {
        true => None,
        false if grant.is_granted() => Some(Reason::LimitReached),
        false => Some(Reason::NotInPlan),
    });
    Ok(CheckAnswer {
        feature: feature.name.clone(),
        allowed: reason.is_none(),
        reason,
        requested,
        limit: None,
        usage: None,
        remaining: None,
        soft_limit: None,
        over_soft_limit: None,
        value: Some(grant.to_json()),
        period: None,
        reset_at: None,
    })
}

/// A usage report's outcome: the record, and whether it is a replay of an earlier one.
#[derive(Debug)]
pub struct Recorded {
    pub record: UsageRecord,
    pub replayed: bool,
}

/// Reports usage of counted feature `name`: counts it in one conditional write (the
/// limit in the condition), or refuses it with the figures; a replayed `key` answers the
/// first report again and counts nothing.
pub async fn report(
    app: &App,
    access: &TenantAccess,
    name: &str,
    report: Report,
    key: &str,
) -> Result<Recorded, ApiError> {
    let plans = &app.config.plans;
    let feature = feature(plans, name)?;
    if !feature.kind.is_counted() {
        return Err(ApiError::field(
            "feature",
            format!(
                "'{name}' is a {} feature: only limit and metered features count usage",
                feature.kind.as_str()
            ),
        ));
    }
    let digest = hex_sha256(&format!("{name}\n{}", report.to_json()));
    let origin = access.session.origin();
    let mut tenant = access.tenant.clone();
    let mut usage = usage_of(access);
    for attempt in 0..MAX_ATTEMPTS {
        if attempt > 0 {
            // The usage moved under the decision: read the tenant and its counters again.
            tenant = super::tenants::reread(app, &tenant).await?;
            usage = app.store.usage(&tenant.id).await?;
        }
        let now = clock::now_rfc3339();
        let counter = Counter::of(plans, &tenant.plan, &tenant.fields, feature, &usage, &now)
            .ok_or_else(|| {
                ApiError::internal("reporting usage", "a counted feature without a counter")
            })?;
        let write = match counter.plan(tenant.status, report) {
            Ok(write) => write,
            Err(refusal) => {
                // A retry of a report that was counted (its answer lost) must get that
                // answer, not a refusal the count itself caused.
                if let Some(replay) = replay(app, &tenant, key, &digest).await? {
                    return Ok(replay);
                }
                return Err(match refusal {
                    Refusal::Refused(answer) => refused(&answer),
                    Refusal::BelowZero { usage } => {
                        ApiError::field("delta", format!("would take usage below 0: it is {usage}"))
                    }
                });
            }
        };
        let after = match &write {
            ReportWrite::Add { n, .. } => counter.usage.saturating_add(*n),
            ReportWrite::Subtract { n } => counter.usage - n,
            ReportWrite::Set { value, .. } => *value,
        };
        let crossed = match &write {
            ReportWrite::Add { crossed, .. } | ReportWrite::Set { crossed, .. } => crossed.clone(),
            ReportWrite::Subtract { .. } => Vec::new(),
        };
        let period = counter.period.as_ref().map(|(p, _)| p.clone());
        let record = UsageRecord {
            feature: feature.name.clone(),
            delta: match report {
                Report::Delta(n) => Some(n),
                Report::Set(_) => None,
            },
            set: match report {
                Report::Set(n) => Some(n),
                Report::Delta(_) => None,
            },
            usage: after,
            limit: counter.limit,
            remaining: counter.limit.map(|l| l.saturating_sub(after)),
            over_limit: counter.limit.is_some_and(|l| after > l),
            period: period.clone(),
            reset_at: counter.period.as_ref().map(|(_, r)| r.clone()),
            thresholds_crossed: crossed.clone(),
            recorded_at: now.clone(),
        };
        let events: Vec<ChangeEvent> = crossed
            .iter()
            .map(|threshold| {
                ChangeEvent::usage_threshold(
                    &tenant.id,
                    tenant.version,
                    UsageThreshold {
                        feature: feature.name.clone(),
                        threshold: *threshold,
                        usage: after,
                        limit: counter.limit.unwrap_or(0),
                        period: period.clone(),
                    },
                    &origin,
                    &now,
                )
            })
            .collect();
        let stale = match feature.kind {
            FeatureKind::Metered(p) => Some(format!("{}#{}", feature.name, p.stale_key(&now))),
            _ => None,
        };
        let now_epoch = clock::now_epoch_seconds();
        let idempotency = IdempotencyRecord {
            key,
            digest: digest.clone(),
            answer: &record,
            expires_at: now_epoch + IDEMPOTENCY_TTL_HOURS * 3600,
        };
        let counter_name = counter_key(feature, &now).unwrap_or_default();
        match app
            .store
            .report_usage(
                &tenant.id,
                tenant.version,
                &counter_name,
                stale.as_deref(),
                &write,
                &idempotency,
                &events,
                now_epoch,
            )
            .await?
        {
            Reported::Written => {
                return Ok(Recorded {
                    record,
                    replayed: false,
                })
            }
            Reported::Replayed {
                digest: first,
                answer,
            } => {
                if first != digest {
                    return Err(ApiError::IdempotencyKeyReused(key.to_owned()));
                }
                return Ok(Recorded {
                    record: *answer,
                    replayed: true,
                });
            }
            Reported::Moved => continue,
        }
    }
    Err(super::tenants::kept_changing(&tenant.id))
}

/// The first answer of `key`, if it was used: with the same request, a replay; with
/// another, 409 `idempotency_key_reused`.
async fn replay(
    app: &App,
    tenant: &crate::domain::Tenant,
    key: &str,
    digest: &str,
) -> Result<Option<Recorded>, ApiError> {
    match app
        .store
        .usage_report(&tenant.id, key, clock::now_epoch_seconds())
        .await?
    {
        Some((first, _)) if first != digest => Err(ApiError::IdempotencyKeyReused(key.to_owned())),
        Some((_, record)) => Ok(Some(Recorded {
            record,
            replayed: true,
        })),
        None => Ok(None),
    }
}

/// The 409 a refused report answers, with the check's figures.
fn refused(answer: &CheckAnswer) -> ApiError {
    let reason = answer.reason.unwrap_or(Reason::LimitReached);
    let message = match reason {
        Reason::LimitReached => format!(
            "'{}' would pass its limit: usage {}, limit {}",
            answer.feature,
            answer.usage.unwrap_or(0),
            answer.limit.clone().unwrap_or(Value::Null)
        ),
        Reason::NotInPlan => {
            format!("the tenant's plan does not grant '{}'", answer.feature)
        }
        Reason::TenantSuspended => "the tenant is suspended: usage may go down, not up".to_owned(),
        Reason::TenantDeleted => "the tenant is deleted".to_owned(),
    };
    ApiError::UsageRefused {
        reason: reason.as_str(),
        message,
        figures: serde_json::to_value(answer).unwrap_or(Value::Null),
    }
}
