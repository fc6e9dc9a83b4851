//! The tenant resource: create, read, list, update, plan changes, suspend, activate,
//! delete, and the counters.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use serde_json::Value;

use super::{authorize, ensure_no_body};
use crate::auth::Action;
use crate::domain::input::Problems;
use crate::domain::plans::{PlanCatalogue, PlanDirection};
use crate::domain::values::bounded_text;
use crate::domain::{ListQuery, Slug};
use crate::error::ApiError;
use crate::http::{self, Reply, JSON, MERGE_PATCH};
use crate::runtime::App;
use crate::service::tenants::{self as service, Creation};
use crate::service::visible;

/// `POST /v1/tenants`
pub async fn create_tenant(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, create(app, &req).await))
}

/// `GET /v1/tenants`
pub async fn list_tenants(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, list(app, &req).await))
}

/// `GET /v1/tenants/{id}`
pub async fn get_tenant(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, get(app, &req).await))
}

/// `GET /v1/tenants/slug/{slug}`
pub async fn get_tenant_by_slug(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, get_by_slug(app, &req).await))
}

/// `PATCH /v1/tenants/{id}`
pub async fn update_tenant(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, update(app, &req).await))
}

/// `POST /v1/tenants/{id}/upgrade`
pub async fn upgrade_tenant(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(
        &req,
        change_plan(app, &req, PlanDirection::Upgrade).await,
    ))
}

/// `POST /v1/tenants/{id}/downgrade`
pub async fn downgrade_tenant(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(
        &req,
        change_plan(app, &req, PlanDirection::Downgrade).await,
    ))
}

/// `POST /v1/tenants/{id}/suspend`
pub async fn suspend_tenant(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, suspend(app, &req).await))
}

/// `POST /v1/tenants/{id}/activate`
pub async fn activate_tenant(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, activate(app, &req).await))
}

/// `DELETE /v1/tenants/{id}`
pub async fn delete_tenant(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, delete(app, &req).await))
}

/// `GET /v1/tenants/stats`
pub async fn tenant_stats(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, stats(app, &req).await))
}

async fn create(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let session = app.auth.platform(req, Action::CreateTenant).await?;
    let body = http::json_object(req, &[JSON])?;
    let (status, tenant, roles) = match service::create(app, &session, body).await? {
        Creation::New(tenant, roles) => (StatusCode::CREATED, tenant, roles),
        Creation::Replayed(tenant, roles) => (StatusCode::OK, tenant, roles),
    };
    Ok(Reply::tenant(status, &tenant, &roles)?.located_at(&tenant))
}

async fn list(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let session = app.auth.session(req).await?;
    let query = ListQuery::parse(
        &http::query_names(req),
        |name| http::query_values(req, name),
        &app.config.plans,
    )?;
    let deadline = req.lambda_context_ref().map(|ctx| ctx.deadline);
    Reply::tenants(visible::list(app, &session, &query, deadline).await?)
}

async fn get(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::ReadTenant).await?;
    Reply::tenant(StatusCode::OK, &access.tenant, &access.roles)
}

async fn get_by_slug(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let session = app.auth.session(req).await?;
    let raw = http::path_param(req, "slug");
    let missing = || ApiError::NotFound(format!("no tenant with slug '{raw}'"));
    let slug = Slug::parse(&raw).map_err(|_| missing())?;
    let tenant = app.store.get_by_slug(&slug).await?.ok_or_else(missing)?;
    let access = app
        .auth
        .prefetched_tenant(session, Action::ReadTenant, tenant)
        .await
        .map_err(|e| match e {
            // Hidden tenants answer exactly as missing slugs do.
            ApiError::NotFound(_) => missing(),
            other => other,
        })?;
    Reply::tenant(StatusCode::OK, &access.tenant, &access.roles)
}

async fn update(app: &App, req: &Request) -> Result<Reply, ApiError> {
    // A patch may move limits or overrides: the usage counters come with the tenant's
    // read (one key more in the same round trip) for the over-limit check.
    let access = super::authorize_with_usage(app, req, Action::UpdateTenant).await?;
    let precondition = http::if_match(req)?;
    let patch = http::json_object(req, &[MERGE_PATCH, JSON])?;
    let tenant = service::update(app, &access, &precondition, &patch).await?;
    Reply::tenant(StatusCode::OK, &tenant, &access.roles)
}

async fn change_plan(
    app: &App,
    req: &Request,
    direction: PlanDirection,
) -> Result<Reply, ApiError> {
    // A plan change moves entitlements: the usage counters come with the tenant's read.
    let access = super::authorize_with_usage(app, req, Action::ChangePlan).await?;
    let (plan, dry_run) = plan_body(&app.config.plans, req)?;
    let changed = service::change_plan(app, &access, direction, &plan, dry_run).await?;
    let mut reply = Reply::tenant(StatusCode::OK, &changed.tenant, &access.roles)?;
    reply.body["overLimit"] = serde_json::to_value(&changed.over_limit)
        .map_err(|e| ApiError::internal("encoding a plan change", e))?;
    if dry_run {
        // Nothing was written: the version (body and ETag) and updatedAt stay those read.
        reply.body["dryRun"] = Value::Bool(true);
        reply.body["version"] = Value::from(access.tenant.version);
        reply.body["updatedAt"] = Value::from(access.tenant.updated_at.clone());
        reply
            .headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case("etag"));
        reply = reply.header("etag", crate::http::reply::etag(access.tenant.version));
    }
    Ok(reply)
}

async fn suspend(app: &App, req: &Request) -> Result<Reply, ApiError> {
    // A status change is recorded on the usage counters too: they come with the read.
    let access = super::authorize_with_usage(app, req, Action::SuspendTenant).await?;
    let reason = suspend_reason(req)?;
    let tenant = service::suspend(app, &access, reason).await?;
    Reply::tenant(StatusCode::OK, &tenant, &access.roles)
}

async fn activate(app: &App, req: &Request) -> Result<Reply, ApiError> {
    // A status change is recorded on the usage counters too: they come with the read.
    let access = super::authorize_with_usage(app, req, Action::ActivateTenant).await?;
    ensure_no_body(req)?;
    let tenant = service::activate(app, &access).await?;
    Reply::tenant(StatusCode::OK, &tenant, &access.roles)
}

async fn delete(app: &App, req: &Request) -> Result<Reply, ApiError> {
    // A status change is recorded on the usage counters too: they come with the read.
    let access = super::authorize_with_usage(app, req, Action::DeleteTenant).await?;
    let precondition = http::if_match(req)?;
    let tenant = service::delete(app, &access, &precondition).await?;
    Reply::tenant(StatusCode::OK, &tenant, &access.roles)
}

async fn stats(app: &App, req: &Request) -> Result<Reply, ApiError> {
    app.auth.platform(req, Action::ReadStats).await?;
    Reply::json(StatusCode::OK, &service::stats(app).await?)
}

/// Reads `{"plan": "...", "dryRun": false}` and checks the plan exists.
fn plan_body(plans: &PlanCatalogue, req: &Request) -> Result<(String, bool), ApiError> {
    let body = http::json_object(req, &[JSON])?;
    let mut problems = Problems::default();
    problems.reject_unknown(&body, &["plan", "dryRun"]);
    let dry_run = match body.get("dryRun") {
        None | Some(Value::Bool(false)) => false,
        Some(Value::Bool(true)) => true,
        Some(_) => {
            problems.add("dryRun", "must be true or false");
            false
        }
    };
    let plan = match body.get("plan") {
        Some(Value::String(p)) if plans.contains(p) => Some(p.clone()),
        Some(Value::String(_)) => {
            problems.add(
                "plan",
                format!("must be one of: {}", plans.plans().join(", ")),
            );
            None
        }
        None | Some(Value::Null) => {
            problems.add("plan", "is required");
            None
        }
        Some(_) => {
            problems.add("plan", "must be a string");
            None
        }
    };
    problems.finish((plan.unwrap_or_default(), dry_run))
}

/// The suspension reason from the body `{"reason": "..."}`, else from `?reason=`.
fn suspend_reason(req: &Request) -> Result<Option<String>, ApiError> {
    let mut problems = Problems::default();
    let mut reason = None;
    if let Some(body) = http::optional_json_object(req)? {
        problems.reject_unknown(&body, &["reason"]);
        match body.get("reason") {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => match bounded_text(text, 1, 500) {
                Ok(text) => reason = Some(text),
                Err(why) => problems.add("reason", why),
            },
            Some(_) => problems.add("reason", "must be a string"),
        }
    }
    // The query's reason is checked even when the body gives one (which then wins).
    if let Some(text) = problems.at_most_once("reason", http::query_values(req, "reason")) {
        match bounded_text(&text, 1, 500) {
            Ok(text) => reason = reason.or(Some(text)),
            Err(why) => problems.add("reason", why),
        }
    }
    problems.finish(reason)
}
