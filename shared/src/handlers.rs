//! One handler per endpoint, each `fn(&App, Request) -> Result<Response<Body>, Error>` as
//! `lambda_http::run` wants. They never fail at the Lambda level: every problem becomes a
//! response in the one error envelope through [`crate::http::respond`].

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::auth::access::{self, Session, TenantAccess};
use crate::auth::api_keys::{self, ApiKeyItem, NewApiKey};
use crate::auth::grants::{AdminGrant, Granted, Revoked};
use crate::auth::Action;
use crate::clock;
use crate::error::ApiError;
use crate::http::{self, IfMatch, Reply, JSON, MERGE_PATCH};
use crate::listing::ListQuery;
use crate::model::{NewTenant, Problems, Tenant, TenantStatus};
use crate::patch;
use crate::plans::PlanDirection;
use crate::routes::{self, Resolution};
use crate::stats::TenantStats;
use crate::store::{tenant_from_item, Created};
use crate::validation::{bounded_text, ScopeId, Slug, TenantId, UserId};

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
    Ok(http::respond(&req, stats(app, &req).await))
}

/// `GET /v1/tenants/{id}/admins`
pub async fn list_tenant_admins(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, list_admins(app, &req).await))
}

/// `PUT /v1/tenants/{id}/admins/{userId}`
pub async fn grant_tenant_admin(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, grant_admin(app, &req).await))
}

/// `DELETE /v1/tenants/{id}/admins/{userId}`
pub async fn revoke_tenant_admin(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, revoke_admin(app, &req).await))
}

/// `POST /v1/api-keys`
pub async fn create_api_key(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, create_key(app, &req).await))
}

/// `GET /v1/api-keys`
pub async fn list_api_keys(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, list_keys(app, &req).await))
}

/// `DELETE /v1/api-keys/{keyId}`
pub async fn revoke_api_key(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, revoke_key(app, &req).await))
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
        "list-tenant-admins" => list_tenant_admins(app, req).await,
        "grant-tenant-admin" => grant_tenant_admin(app, req).await,
        "revoke-tenant-admin" => revoke_tenant_admin(app, req).await,
        "create-api-key" => create_api_key(app, req).await,
        "list-api-keys" => list_api_keys(app, req).await,
        "revoke-api-key" => revoke_api_key(app, req).await,
        _ => route_not_found(req).await,
    }
}

async fn create(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let session = access::platform(app, req, Action::CreateTenant).await?;
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
        updated_at: now.clone(),
    };
    let admins: Vec<AdminGrant> = new
        .initial_admin_user_ids
        .iter()
        .map(|user| AdminGrant {
            tenant_id: tenant.id.clone(),
            user_id: user.clone(),
            granted_at: now.clone(),
            granted_by: session.caller.id.clone(),
        })
        .collect();
    let is_admin = |t: &Tenant| {
        session.caller.kind == crate::auth::credentials::CallerKind::User
            && new.initial_admin_user_ids.contains(&session.caller.id)
            && t.id == tenant.id
    };
    match app.store.create(&tenant, &digest, &admins).await? {
        Created::New => {
            let roles = session.roles_on(&tenant, is_admin(&tenant));
            Ok(Reply::tenant(StatusCode::CREATED, &tenant, &roles)?.located_at(&tenant))
        }
        Created::IdTaken(existing, existing_digest) if existing_digest == digest => {
            let roles = session.roles_on(&existing, is_admin(&existing));
            Ok(Reply::tenant(StatusCode::OK, &existing, &roles)?.located_at(&existing))
        }
        Created::IdTaken(existing, _) => Err(ApiError::IdConflict(existing.id)),
    }
}

async fn list(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let session = access::session(app, req).await?;
    let query = ListQuery::parse(
        &http::query_names(req),
        |name| http::query_values(req, name),
        &app.config.plans,
    )?;
    if session.caller.is_platform_admin() {
        access::check_platform(app, &session, Action::ListTenants, false)?;
        let deadline = req.lambda_context_ref().map(|ctx| ctx.deadline);
        let page = app.store.list(&query, &app.cursors, deadline).await?;
        let items = page
            .items
            .iter()
            .map(|t| http::tenant_json(t, &session.roles_on(t, false)))
            .collect::<Result<Vec<_>, _>>()?;
        return Reply::json(
            StatusCode::OK,
            &json!({ "items": items, "nextCursor": page.next_cursor }),
        );
    }
    // A tenant-scoped caller sees the few tenants it holds roles on: read them all by key
    // and page in memory, so nothing it may not see is ever read from an index.
    let grants = match session.caller.kind {
        crate::auth::credentials::CallerKind::User => {
            app.store.user_grants(&session.caller.id).await?
        }
        crate::auth::credentials::CallerKind::ApiKey => Vec::new(),
    };
    access::check_platform(app, &session, Action::ListTenants, !grants.is_empty())?;
    let mut ids: Vec<String> = grants.clone();
    if let Some(bound) = &session.caller.bound_tenant {
        if !session.caller.bound_roles.is_empty() && !ids.contains(bound) {
            ids.push(bound.clone());
        }
    }
    let mut visible = Vec::new();
    for chunk in ids.chunks(100) {
        let items = app
            .store
            .batch_get(chunk.iter().map(|id| crate::keys::tenant_key(id)).collect())
            .await?;
        for item in items.values() {
            let Some((tenant, _)) = tenant_from_item(item)? else {
                continue;
            };
            let granted = grants.contains(&tenant.id);
            if let Some(roles) = access::readable(app, &session, &tenant, granted) {
                if query.matches(&tenant) {
                    visible.push((tenant, roles));
                }
            }
        }
    }
    let page = query.page_in_memory(visible, &app.cursors)?;
    let next_cursor = page.next_cursor;
    let items = page
        .items
        .iter()
        .map(|(t, roles)| http::tenant_json(t, roles))
        .collect::<Result<Vec<_>, _>>()?;
    Reply::json(
        StatusCode::OK,
        &json!({ "items": items, "nextCursor": next_cursor }),
    )
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no tenant with id '{id}'"))
}

/// Authenticates the request and checks `action` on the tenant in the path. Credentials
/// are checked before anything about the tenant is revealed, even that its id is invalid.
async fn authorize(app: &App, req: &Request, action: Action) -> Result<TenantAccess, ApiError> {
    let raw = http::path_param(req, "id");
    match TenantId::parse(&raw) {
        Ok(id) => access::tenant(app, req, action, id.as_str()).await,
        Err(_) => {
            access::session(app, req).await?;
            Err(not_found(&raw))
        }
    }
}

async fn get(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::ReadTenant).await?;
    Reply::tenant(StatusCode::OK, &access.tenant, &access.roles)
}

async fn get_by_slug(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let session = access::session(app, req).await?;
    let raw = http::path_param(req, "slug");
    let missing = || ApiError::NotFound(format!("no tenant with slug '{raw}'"));
    let slug = Slug::parse(&raw).map_err(|_| missing())?;
    let tenant = app
        .store
        .get_by_slug(slug.as_str())
        .await?
        .ok_or_else(missing)?;
    let access = access::prefetched_tenant(app, session, Action::ReadTenant, tenant)
        .await
        .map_err(|e| match e {
            // Hidden tenants answer exactly as missing slugs do.
            ApiError::NotFound(_) => missing(),
            other => other,
        })?;
    Reply::tenant(StatusCode::OK, &access.tenant, &access.roles)
}

/// Starting from the tenant read for authorization, lets `change` compute its next state
/// (or `None` for no change) and writes it conditioned on the version read, re-reading and
/// retrying when another writer got there first. With `If-Match`, a version mismatch is
/// `412` instead of a retry.
async fn mutate(
    app: &App,
    access: &TenantAccess,
    precondition: &IfMatch,
    change: impl Fn(&Tenant) -> Result<Option<Tenant>, ApiError>,
) -> Result<Tenant, ApiError> {
    let id = access.tenant.id.as_str();
    let mut read = Some((access.tenant.clone(), access.create_hash.clone()));
    for _ in 0..MAX_ATTEMPTS {
        let (current, digest) = match read.take() {
            Some(first) => first,
            None => app
                .store
                .get_with_hash(id)
                .await?
                .ok_or_else(|| not_found(id))?,
        };
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
    let access = authorize(app, req, Action::UpdateTenant).await?;
    let precondition = http::if_match(req)?;
    let patch_body = http::json_object(req, &[MERGE_PATCH, JSON])?;
    let tenant = mutate(app, &access, &precondition, |current| {
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
    Reply::tenant(StatusCode::OK, &tenant, &access.roles)
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
    let access = authorize(app, req, Action::ChangePlan).await?;
    let plan = plan_body(app, req)?;
    let tenant = mutate(app, &access, &IfMatch::Any, |current| {
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
    Reply::tenant(StatusCode::OK, &tenant, &access.roles)
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
    let access = authorize(app, req, Action::SuspendTenant).await?;
    let reason = suspend_reason(req)?;
    let tenant = mutate(app, &access, &IfMatch::Any, |current| {
        match current.status {
            TenantStatus::Deleted => reject_if_deleted(current, "suspended").map(|_| None),
            TenantStatus::Suspended => Ok(None),
            TenantStatus::Active => Ok(Some(Tenant {
                status: TenantStatus::Suspended,
                suspended_reason: reason.clone(),
                suspended_at: Some(clock::now_rfc3339()),
                ..current.clone()
            })),
        }
    })
    .await?;
    Reply::tenant(StatusCode::OK, &tenant, &access.roles)
}

async fn activate(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::ActivateTenant).await?;
    ensure_no_body(req)?;
    let tenant = mutate(app, &access, &IfMatch::Any, |current| {
        match current.status {
            TenantStatus::Deleted => reject_if_deleted(current, "activated").map(|_| None),
            TenantStatus::Active => Ok(None),
            TenantStatus::Suspended => Ok(Some(Tenant {
                status: TenantStatus::Active,
                suspended_reason: None,
                suspended_at: None,
                ..current.clone()
            })),
        }
    })
    .await?;
    Reply::tenant(StatusCode::OK, &tenant, &access.roles)
}

async fn delete(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::DeleteTenant).await?;
    let precondition = http::if_match(req)?;
    let tenant = mutate(app, &access, &precondition, |current| {
        match current.status {
            TenantStatus::Deleted => Ok(None),
            _ => Ok(Some(Tenant {
                status: TenantStatus::Deleted,
                deleted_at: Some(clock::now_rfc3339()),
                ..current.clone()
            })),
        }
    })
    .await?;
    Reply::tenant(StatusCode::OK, &tenant, &access.roles)
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

async fn stats(app: &App, req: &Request) -> Result<Reply, ApiError> {
    access::platform(app, req, Action::ReadStats).await?;
    let shards = app.store.counter_shards().await?;
    Reply::json(
        StatusCode::OK,
        &TenantStats::from_shards(&shards, &app.config.plans),
    )
}

/// Largest page of admins or API keys.
const MAX_PAGE: usize = 100;
/// Default page of admins or API keys.
const DEFAULT_PAGE: usize = 20;

async fn list_admins(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::ListAdmins).await?;
    let (limit, cursor) = http::page_params(req, MAX_PAGE, DEFAULT_PAGE)?;
    let page = app
        .store
        .list_admins(&access.tenant.id, limit, cursor.as_deref(), &app.cursors)
        .await?;
    Reply::json(
        StatusCode::OK,
        &json!({ "items": page.items, "nextCursor": page.next_cursor }),
    )
}

async fn grant_admin(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::GrantAdmin).await?;
    let user = UserId::parse(&http::path_param(req, "userId"))
        .map_err(|why| ApiError::field("userId", why))?;
    ensure_no_body(req)?;
    reject_if_deleted(&access.tenant, "given admins")?;
    let grant = AdminGrant {
        tenant_id: access.tenant.id.clone(),
        user_id: user.into_inner(),
        granted_at: clock::now_rfc3339(),
        granted_by: access.session.caller.id.clone(),
    };
    let location = format!("/v1/tenants/{}/admins/{}", grant.tenant_id, grant.user_id);
    match app.store.grant_admin(&grant).await? {
        Granted::New(grant) => Ok(Reply::json(StatusCode::CREATED, &grant)?.location(location)),
        Granted::Existing(grant) => Ok(Reply::json(StatusCode::OK, &grant)?.location(location)),
    }
}

async fn revoke_admin(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::RevokeAdmin).await?;
    let raw = http::path_param(req, "userId");
    let not_admin = || {
        ApiError::NotFound(format!(
            "'{raw}' is not an admin of tenant '{}'",
            access.tenant.id
        ))
    };
    let user = UserId::parse(&raw).map_err(|_| not_admin())?;
    // Only a platform admin may leave a tenant without admins.
    let keep_one = !access.session.caller.is_platform_admin();
    match app
        .store
        .revoke_admin(&access.tenant.id, user.as_str(), keep_one)
        .await?
    {
        Revoked::Done => Ok(Reply::no_content()),
        Revoked::NotAdmin => Err(not_admin()),
        Revoked::LastAdmin => Err(ApiError::LastAdmin(user.into_inner())),
    }
}

async fn create_key(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let session: Session = access::platform(app, req, Action::ManageApiKeys).await?;
    let body = http::json_object(req, &[JSON])?;
    let created = create_api_key_directly(app, &body, &session.caller.id).await?;
    let location = format!("/v1/api-keys/{}", created.id);
    let mut view = serde_json::to_value(&created.view).map_err(ApiError::internal)?;
    if let Value::Object(map) = &mut view {
        // The only time the key is ever shown.
        map.insert("key".to_owned(), Value::String(created.key));
    }
    Ok(Reply::json(StatusCode::CREATED, &view)?.location(location))
}

/// A key just created: its view, and the key itself (shown once).
#[derive(Debug)]
pub struct CreatedKey {
    pub id: String,
    pub roles: Vec<String>,
    pub view: api_keys::ApiKeyView,
    pub key: String,
}

/// Validates a `POST /v1/api-keys` body and stores the key, without a request: the API
/// calls it for an authorized caller, `tenantctl` to bootstrap the first key.
pub async fn create_api_key_directly(
    app: &App,
    body: &serde_json::Map<String, Value>,
    created_by: &str,
) -> Result<CreatedKey, ApiError> {
    let new = NewApiKey::from_json(body)?;
    let generated = api_keys::generate()?;
    let now = clock::now_rfc3339();
    let item = ApiKeyItem {
        pk: crate::keys::api_key_pk(&generated.id),
        sk: crate::keys::API_KEY_SK.to_owned(),
        entity: api_keys::API_KEY_ENTITY.to_owned(),
        gsi2pk: crate::keys::API_KEYS.to_owned(),
        gsi2sk: crate::keys::created_sort_key(&now, &generated.id),
        id: generated.id.clone(),
        name: new.name,
        tenant_id: new.tenant_id,
        roles: new.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        secret_hash: api_keys::digest(&generated.secret),
        created_at: now,
        created_by: created_by.to_owned(),
        revoked_at: None,
        revoked_by: None,
    };
    app.store.create_api_key(&item).await?;
    Ok(CreatedKey {
        id: item.id.clone(),
        roles: item.roles.clone(),
        view: item.view(),
        key: generated.key,
    })
}

async fn list_keys(app: &App, req: &Request) -> Result<Reply, ApiError> {
    access::platform(app, req, Action::ManageApiKeys).await?;
    let (limit, cursor) = http::page_params(req, MAX_PAGE, DEFAULT_PAGE)?;
    let page = app
        .store
        .list_api_keys(limit, cursor.as_deref(), &app.cursors)
        .await?;
    Reply::json(
        StatusCode::OK,
        &json!({ "items": page.items, "nextCursor": page.next_cursor }),
    )
}

async fn revoke_key(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let session = access::platform(app, req, Action::ManageApiKeys).await?;
    let id = http::path_param(req, "keyId");
    let missing = || ApiError::NotFound(format!("no API key with id '{id}'"));
    if !api_keys::is_key_id(&id) {
        return Err(missing());
    }
    let revoked = app
        .store
        .revoke_api_key(&id, &session.caller.id)
        .await?
        .ok_or_else(missing)?;
    Reply::json(StatusCode::OK, &revoked.view())
}

fn hex_digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
