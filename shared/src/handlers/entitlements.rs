//! Plan entitlements: the catalogue, a tenant's entitlements, the read-only check and
//! usage reports.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde_json::json;

use super::authorize_with_usage;
use crate::auth::Action;
use crate::domain::entitlements::catalogue::{valid_feature_name, MAX_AMOUNT};
use crate::domain::entitlements::usage::Report;
use crate::domain::input::Problems;
use crate::error::ApiError;
use crate::http::{self, Reply, JSON};
use crate::runtime::App;
use crate::service::entitlements as service;

/// Longest `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

/// `GET /v1/plans`
pub async fn list_plans(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, plans(app, &req).await))
}

/// `GET /v1/tenants/{id}/entitlements`
pub async fn get_tenant_entitlements(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, entitlements(app, &req).await))
}

/// `GET /v1/tenants/{id}/entitlements/{feature}/check`
pub async fn check_entitlement(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, check(app, &req).await))
}

/// `POST /v1/tenants/{id}/usage/{feature}`
pub async fn report_usage(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, report(app, &req).await))
}

async fn plans(app: &App, req: &Request) -> Result<Reply, ApiError> {
    app.auth.platform(req, Action::ReadPlans).await?;
    let mut problems = Problems::default();
    for name in http::query_names(req) {
        problems.add(&name, "is not a known query parameter");
    }
    problems.finish(())?;
    Reply::json(StatusCode::OK, &service::catalogue_json(&app.config.plans))
}

async fn entitlements(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize_with_usage(app, req, Action::ReadEntitlements).await?;
    let mut problems = Problems::default();
    for name in http::query_names(req) {
        if name != "feature" {
            problems.add(&name, "is not a known query parameter");
        }
    }
    let wanted = http::query_values(req, "feature");
    for name in &wanted {
        if app.config.plans.feature(name).is_none() {
            problems.add(
                "feature",
                format!("'{name}' is not a feature of the plan catalogue (GET /v1/plans)"),
            );
        }
    }
    problems.finish(())?;
    let items: Vec<_> = service::entitlements(app, &access)
        .into_iter()
        .filter(|e| wanted.is_empty() || wanted.contains(&e.feature))
        .collect();
    Reply::json(
        StatusCode::OK,
        &json!({
            "tenantId": access.tenant.id,
            "plan": access.tenant.plan,
            "status": access.tenant.status,
            "items": items,
        }),
    )
}

/// The `{feature}` path parameter: 404 when the catalogue has no such feature.
fn feature_param(app: &App, req: &Request) -> Result<String, ApiError> {
    let name = http::path_param(req, "feature");
    if !valid_feature_name(&name) || app.config.plans.feature(&name).is_none() {
        return Err(ApiError::NotFound(format!(
            "no feature '{name}' in the plan catalogue (GET /v1/plans lists them)"
        )));
    }
    Ok(name)
}

async fn check(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize_with_usage(app, req, Action::ReadEntitlements).await?;
    let name = feature_param(app, req)?;
    let mut problems = Problems::default();
    for param in http::query_names(req) {
        if param != "requested" {
            problems.add(&param, "is not a known query parameter");
        }
    }
    let raw = problems.at_most_once("requested", http::query_values(req, "requested"));
    let requested = match raw {
        None => Some(1),
        Some(text) => match text.parse::<u64>() {
            Ok(n) if n <= MAX_AMOUNT => Some(n),
            _ => {
                problems.add(
                    "requested",
                    format!("must be a whole number from 0 to {MAX_AMOUNT}"),
                );
                None
            }
        },
    };
    let requested = problems.require(requested)?;
    Reply::json(
        StatusCode::OK,
        &service::check(app, &access, &name, requested)?,
    )
}

/// The `Idempotency-Key` header: required, 1-255 printable ASCII characters.
fn idempotency_key(req: &Request) -> Result<String, ApiError> {
    const FIELD: &str = "Idempotency-Key";
    let Some(value) = req.headers().get("idempotency-key") else {
        return Err(ApiError::field(
            FIELD,
            "is required: a unique key per report (a retry sends the same one)",
        ));
    };
    match value.to_str() {
        Ok(key)
            if !key.is_empty()
                && key.len() <= MAX_IDEMPOTENCY_KEY
                && key.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Ok(key.to_owned())
        }
        _ => Err(ApiError::field(
            FIELD,
            format!("must be 1-{MAX_IDEMPOTENCY_KEY} printable ASCII characters without spaces"),
        )),
    }
}

async fn report(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize_with_usage(app, req, Action::ReportUsage).await?;
    let name = feature_param(app, req)?;
    let key = idempotency_key(req)?;
    let body = http::json_object(req, &[JSON])?;
    let report = Report::from_json(&body)?;
    let recorded = service::report(app, &access, &name, report, &key).await?;
    Ok(Reply::json(StatusCode::OK, &recorded.record)?
        .header("idempotent-replayed", recorded.replayed.to_string()))
}
