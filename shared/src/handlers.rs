//! One handler per endpoint, each `fn(&App, Request) -> Result<Response<Body>, Error>` as
//! `lambda_http::run` wants. They never fail at the Lambda level: every problem becomes a
//! response in the one error envelope through [`crate::http::respond`].

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::clock;
use crate::error::ApiError;
use crate::http::{self, IfMatch, Reply, JSON, MERGE_PATCH};
use crate::listing::ListQuery;
use crate::model::{NewTenant, Problems, Tenant, TenantStatus};
use crate::patch;
use crate::plans::PlanDirection;
use crate::routes::{self, Resolution};
use crate::stats::TenantStats;
use crate::store::Created;
use crate::validation::{bounded_text, ScopeId, Slug, TenantId};

/// How often a read-modify-write is retried after losing a race to another writer.
const MAX_ATTEMPTS: usize = 10;

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
    Ok(http::respond(&req, stats(app).await))
}

/// Every request no route matches: 405 with `Allow` for a known path, else 404.
pub async fn route_not_found(req: Request) -> Result<Response<Body>, Error> {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let outcome = match routes::resolve(&method, &path) {
        Resolution::MethodNotAllowed(allow) => Err(ApiError::MethodNotAllowed {
            method,
            path,
            allow,
        }),
        // A matching route that reached this function was not deployed with it.
        Resolution::Found(_) | Resolution::NotFound => {
            Err(ApiError::RouteNotFound { method, path })
        }
    };
    Ok(http::respond(&req, outcome))
}

/// Dispatches a request to the handler its route names, with the path parameters filled
/// in, as API Gateway does. For tests and local tools; deployed functions each call their
/// own handler directly.
pub async fn dispatch(app: &App, req: Request) -> Result<Response<Body>, Error> {
    let resolution = routes::resolve(req.method().as_str(), req.uri().path());
    let Resolution::Found(route) = resolution else {
        return route_not_found(req).await;
    };
    let params = routes::path_params(route.path, req.uri().path());
    let req = req.with_path_parameters(params);
    match route.function {
        "create-tenant" => create_tenant(app, req).await,
        "list-tenants" => list_tenants(app, req).await,
        "tenant-stats" => tenant_stats(app, req).await,
        "get-tenant-by-slug" => get_tenant_by_slug(app, req).await,
        "get-tenant" => get_tenant(app, req).await,
        "update-tenant" => update_tenant(app, req).await,
        "delete-tenant" => delete_tenant(app, req).await,
        "upgrade-tenant" => upgrade_tenant(app, req).await,
        "downgrade-tenant" => downgrade_tenant(app, req).await,
        "suspend-tenant" => suspend_tenant(app, req).await,
        "activate-tenant" => activate_tenant(app, req).await,
        _ => route_not_found(req).await,
    }
}

async fn create(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let body = http::json_object(req, &[JSON])?;
    let new = NewTenant::from_json(&body, &app.config.plans)?;
    let digest = hex_digest(&http::canonical_json(&Value::Object(body)));
    let now = clock::now_rfc3339();
    let tenant = Tenant {
        id: new.id.unwrap_or_else(TenantId::generate).into_inner(),
        slug: new.slug.into_inner(),
        plan: new.plan,
        status: TenantStatus::Active,
        scope_id: ScopeId::generate().into_inner(),
        fields: new.fields,
        suspended_reason: None,
        suspended_at: None,
        deleted_at: None,
        version: 1,
        created_at: now.clone(),
        updated_at: now,
    };
    match app.store.create(&tenant, &digest).await? {
        Created::New => Ok(Reply::tenant(StatusCode::CREATED, &tenant)?.located_at(&tenant)),
        Created::IdTaken(existing, existing_digest) if existing_digest == digest => {
            Ok(Reply::tenant(StatusCode::OK, &existing)?.located_at(&existing))
        }
        Created::IdTaken(existing, _) => Err(ApiError::IdConflict(existing.id)),
    }
}

async fn list(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let query = ListQuery::parse(
        &http::query_names(req),
        |name| http::query_values(req, name),
        &app.config.plans,
    )?;
    let deadline = req.lambda_context_ref().map(|ctx| ctx.deadline);
    let page = app.store.list(&query, &app.cursors, deadline).await?;
    Reply::json(
        StatusCode::OK,
        &json!({ "items": page.items, "nextCursor": page.next_cursor }),
    )
}

/// The tenant id in the path; ids that cannot exist are simply not found.
fn tenant_id(req: &Request) -> Result<String, ApiError> {
    let raw = http::path_param(req, "id");
    TenantId::parse(&raw)
        .map(TenantId::into_inner)
        .map_err(|_| not_found(&raw))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no tenant with id '{id}'"))
}

async fn get(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let id = tenant_id(req)?;
    let tenant = app.store.get(&id).await?.ok_or_else(|| not_found(&id))?;
    Reply::tenant(StatusCode::OK, &tenant)
}

async fn get_by_slug(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let raw = http::path_param(req, "slug");
    let missing = || ApiError::NotFound(format!("no tenant with slug '{raw}'"));
    let slug = Slug::parse(&raw).map_err(|_| missing())?;
    let tenant = app
        .store
        .get_by_slug(slug.as_str())
        .await?
        .ok_or_else(missing)?;
    Reply::tenant(StatusCode::OK, &tenant)
}

/// Reads tenant `id`, lets `change` compute its next state (or `None` for no change) and
/// writes it conditioned on the version read, retrying when another writer got there
/// first. With `If-Match`, a version mismatch is `412` instead of a retry.
async fn mutate(
    app: &App,
    id: &str,
    precondition: &IfMatch,
    change: impl Fn(&Tenant) -> Result<Option<Tenant>, ApiError>,
) -> Result<Tenant, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let (current, digest) = app
            .store
            .get_with_hash(id)
            .await?
            .ok_or_else(|| not_found(id))?;
        if !precondition.allows(current.version) {
            return Err(ApiError::PreconditionFailed {
                current: current.version,
            });
        }
        let Some(mut next) = change(&current)? else {
            return Ok(current);
        };
        next.version = current.version + 1;
        next.updated_at = clock::now_rfc3339();
        if app.store.replace(&current, &next, &digest).await? {
            return Ok(next);
        }
        // Someone else wrote first: read again (and re-check If-Match against their write).
    }
    Err(ApiError::Unavailable(format!(
        "tenant {id} kept changing during {MAX_ATTEMPTS} attempts"
    )))
}

fn reject_if_deleted(tenant: &Tenant, action: &str) -> Result<(), ApiError> {
    if tenant.status == TenantStatus::Deleted {
        Err(ApiError::InvalidState(format!(
            "tenant '{}' is deleted and cannot be {action}",
            tenant.id
        )))
    } else {
        Ok(())
    }
}

async fn update(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let id = tenant_id(req)?;
    let precondition = http::if_match(req)?;
    let patch_body = http::json_object(req, &[MERGE_PATCH, JSON])?;
    let tenant = mutate(app, &id, &precondition, |current| {
        reject_if_deleted(current, "updated")?;
        let fields = patch::apply(current, &patch_body)?;
        if fields == current.fields {
            return Ok(None);
        }
        Ok(Some(Tenant {
            fields,
            ..current.clone()
        }))
    })
    .await?;
    Reply::tenant(StatusCode::OK, &tenant)
}

/// Reads `{"plan": "..."}` and checks the plan exists.
fn plan_body(app: &App, req: &Request) -> Result<String, ApiError> {
    let body = http::json_object(req, &[JSON])?;
    let mut problems = Problems::default();
    for key in body.keys().filter(|k| k.as_str() != "plan") {
        problems.add(key, "is not a known field");
    }
    let plans = &app.config.plans;
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
    problems.finish(plan.unwrap_or_default())
}

async fn change_plan(
    app: &App,
    req: &Request,
    direction: PlanDirection,
) -> Result<Reply, ApiError> {
    let id = tenant_id(req)?;
    let plan = plan_body(app, req)?;
    let tenant = mutate(app, &id, &IfMatch::Any, |current| {
        reject_if_deleted(current, &format!("{direction}d"))?;
        app.config
            .plans
            .check_change(direction, &current.plan, &plan)
            .map_err(ApiError::InvalidPlanChange)?;
        Ok(Some(Tenant {
            plan: plan.clone(),
            ..current.clone()
        }))
    })
    .await?;
    Reply::tenant(StatusCode::OK, &tenant)
}

/// The suspension reason from the body `{"reason": "..."}` or else `?reason=`.
fn suspend_reason(req: &Request) -> Result<Option<String>, ApiError> {
    let mut problems = Problems::default();
    let mut reason = None;
    if let Some(body) = http::optional_json_object(req)? {
        for key in body.keys().filter(|k| k.as_str() != "reason") {
            problems.add(key, "is not a known field");
        }
        match body.get("reason") {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => match bounded_text(text, 1, 500) {
                Ok(text) => reason = Some(text),
                Err(why) => problems.add("reason", why),
            },
            Some(_) => problems.add("reason", "must be a string"),
        }
    }
    if reason.is_none() && problems.is_empty() {
        let values = http::query_values(req, "reason");
        match values.as_slice() {
            [] => {}
            [text] => match bounded_text(text, 1, 500) {
                Ok(text) => reason = Some(text),
                Err(why) => problems.add("reason", why),
            },
            _ => problems.add("reason", "must be given at most once"),
        }
    }
    problems.finish(reason)
}

async fn suspend(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let id = tenant_id(req)?;
    let reason = suspend_reason(req)?;
    let tenant = mutate(app, &id, &IfMatch::Any, |current| match current.status {
        TenantStatus::Deleted => reject_if_deleted(current, "suspended").map(|_| None),
        TenantStatus::Suspended => Ok(None),
        TenantStatus::Active => Ok(Some(Tenant {
            status: TenantStatus::Suspended,
            suspended_reason: reason.clone(),
            suspended_at: Some(clock::now_rfc3339()),
            ..current.clone()
        })),
    })
    .await?;
    Reply::tenant(StatusCode::OK, &tenant)
}

async fn activate(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let id = tenant_id(req)?;
    ensure_no_body(req)?;
    let tenant = mutate(app, &id, &IfMatch::Any, |current| match current.status {
        TenantStatus::Deleted => reject_if_deleted(current, "activated").map(|_| None),
        TenantStatus::Active => Ok(None),
        TenantStatus::Suspended => Ok(Some(Tenant {
            status: TenantStatus::Active,
            suspended_reason: None,
            suspended_at: None,
            ..current.clone()
        })),
    })
    .await?;
    Reply::tenant(StatusCode::OK, &tenant)
}

async fn delete(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let id = tenant_id(req)?;
    let precondition = http::if_match(req)?;
    let tenant = mutate(app, &id, &precondition, |current| match current.status {
        TenantStatus::Deleted => Ok(None),
        _ => Ok(Some(Tenant {
            status: TenantStatus::Deleted,
            deleted_at: Some(clock::now_rfc3339()),
            ..current.clone()
        })),
    })
    .await?;
    Reply::tenant(StatusCode::OK, &tenant)
}

/// Accepts an empty body or an empty JSON object, for actions that take no input.
fn ensure_no_body(req: &Request) -> Result<(), ApiError> {
    match http::optional_json_object(req)? {
        Some(body) if !body.is_empty() => {
            let mut problems = Problems::default();
            for key in body.keys() {
                problems.add(key, "is not a known field");
            }
            problems.finish(())
        }
        _ => Ok(()),
    }
}

async fn stats(app: &App) -> Result<Reply, ApiError> {
    let shards = app.store.counter_shards().await?;
    Reply::json(
        StatusCode::OK,
        &TenantStats::from_shards(&shards, &app.config.plans),
    )
}

fn hex_digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
