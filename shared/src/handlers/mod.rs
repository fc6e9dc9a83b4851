//! One handler per endpoint, each `fn(&App, Request) -> Result<Response<Body>, Error>` as
//! `lambda_http::run` wants: authorize, parse, call the [`crate::service`], reply. They
//! never fail at the Lambda level: every problem becomes a response in the one error
//! envelope through [`crate::http::respond`].
//!
//! - [`tenants`]: the tenant resource and its lifecycle actions.
//! - [`admins`]: a tenant's admins.
//! - [`api_keys`]: machine credentials.
//! - [`domains`]: a tenant's email domains, login discovery, and the scheduled
//!   re-verification of verified domains.
//! - [`events`]: a tenant's audit trail, and the stream consumer publishing events.
//! - [`provisioning`]: a tenant's resources, retries, the owner's invitation, and the
//!   queue consumer that provisions tenants.
//! - [`openapi`]: the OpenAPI document, generated from the route table and the types.

pub mod admins;
pub mod api_keys;
pub mod domains;
pub mod entitlements;
pub mod events;
pub mod openapi;
pub mod provisioning;
pub mod tenants;

use lambda_http::{Body, Error, Request, RequestExt, Response};

pub use admins::{grant_tenant_admin, list_tenant_admins, revoke_tenant_admin};
pub use api_keys::{create_api_key, list_api_keys, revoke_api_key};
pub use domains::{
    add_tenant_domain, discover_login, list_tenant_domains, remove_tenant_domain, reverify_domains,
    verify_tenant_domain,
};
pub use entitlements::{check_entitlement, get_tenant_entitlements, list_plans, report_usage};
pub use events::{list_tenant_events, publish_events};
pub use openapi::get_openapi;
pub use provisioning::{
    accept_invitation, list_tenant_resources, provision_tenant, put_tenant_resource,
    resend_tenant_invitation, retry_tenant_provisioning,
};
pub use tenants::{
    activate_tenant, create_tenant, delete_tenant, downgrade_tenant, get_tenant,
    get_tenant_by_slug, list_tenants, suspend_tenant, tenant_stats, update_tenant, upgrade_tenant,
};

use crate::error::ApiError;
use crate::http;
use crate::http::routes::{self, Resolution};
use crate::runtime::App;

/// How long before the invocation's deadline an API request stops waiting for AWS and
/// answers 503 (a fifth of the time left when less than 5 s is): the time to log and
/// return the answer, well within Lambda's own limit.
pub const DEADLINE_MARGIN_MS: u64 = 1_000;

/// Runs `handler` on `req`, but answers 503 `service_unavailable` with `Retry-After` when
/// it has not answered [`DEADLINE_MARGIN_MS`] (or a fifth of the time left, if less)
/// before the invocation's deadline, instead of
/// letting Lambda end the invocation (API Gateway would answer a bare 500 or 504). Each AWS
/// operation has its own timeout ([`crate::runtime::aws::Timeouts`]), but a request may
/// make several in a row (authorization, a DNS lookup, a transaction and its retries):
/// this bounds their sum. A write in flight may still land; the client's retry with the
/// same client-chosen id or `If-Match` finds it, as with any 503. Without a deadline in
/// the future (a local tool), the handler runs unbounded.
pub async fn before_deadline<'a, F, Fut>(
    app: &'a App,
    req: Request,
    handler: F,
) -> Result<Response<Body>, Error>
where
    F: FnOnce(&'a App, Request) -> Fut,
    Fut: std::future::Future<Output = Result<Response<Body>, Error>>,
{
    let Some((wait, margin)) = answer_within(&req) else {
        return handler(app, req).await;
    };
    let request_id = http::request_id(&req);
    match tokio::time::timeout(wait, handler(app, req)).await {
        Ok(answer) => answer,
        Err(_) => Ok(too_late(margin, &request_id)),
    }
}

/// The 503 of a request that ran out of time `margin` ms before its deadline.
fn too_late(margin: u64, request_id: &str) -> Response<Body> {
    http::error_response(
        &ApiError::Unavailable(format!(
            "no answer {margin} ms before the invocation's deadline"
        )),
        request_id,
    )
}

/// How long a request may run before it must answer (and the margin, in ms, kept before
/// the invocation's deadline), or `None` without a deadline in the future (a local tool).
pub fn answer_within(req: &Request) -> Option<(std::time::Duration, u64)> {
    let deadline = req.lambda_context_ref().map(|ctx| ctx.deadline)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let budget = deadline.checked_sub(now).filter(|b| *b > 0)?;
    let margin = DEADLINE_MARGIN_MS.min(budget / 5);
    Some((std::time::Duration::from_millis(budget - margin), margin))
}

/// Largest page of admins or API keys.
const MAX_PAGE: usize = 100;
/// Default page of admins or API keys.
const DEFAULT_PAGE: usize = 20;

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

/// A handler's response, boxed.
type Handler<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response<Body>, Error>> + Send + 'a>>;

/// Dispatches a request to the handler its route names, with the path parameters filled
/// in, as API Gateway does, within the invocation's deadline ([`before_deadline`]). For
/// tests and local tools; deployed functions each call their own handler directly.
pub async fn dispatch(app: &App, req: Request) -> Result<Response<Body>, Error> {
    let resolution = routes::resolve(req.method().as_str(), req.uri().path());
    let Resolution::Found(route) = resolution else {
        return route_not_found(req).await;
    };
    let params = routes::path_params(route.path, req.uri().path());
    let req = req.with_path_parameters(params);
    // As `before_deadline`, without its closure: a closure over `&App` would make this
    // future `Send` only for some lifetimes, and the console runs it inside `lambda_http::run`.
    let Some((wait, margin)) = answer_within(&req) else {
        return route_to(app, req, route.function).await;
    };
    let request_id = http::request_id(&req);
    match tokio::time::timeout(wait, route_to(app, req, route.function)).await {
        Ok(answer) => answer,
        Err(_) => Ok(too_late(margin, &request_id)),
    }
}

/// The handler `function` names, on `req`.
async fn route_to(app: &App, req: Request, function: &str) -> Result<Response<Body>, Error> {
    // Boxed: one future on the heap instead of the largest handler's state inlined in
    // every caller's stack frame (deep test and tool stacks would run out before Cedar
    // finishes evaluating).
    let handler: Handler<'_> = match function {
        "create-tenant" => Box::pin(create_tenant(app, req)),
        "list-tenants" => Box::pin(list_tenants(app, req)),
        "tenant-stats" => Box::pin(tenant_stats(app, req)),
        "get-tenant-by-slug" => Box::pin(get_tenant_by_slug(app, req)),
        "get-tenant" => Box::pin(get_tenant(app, req)),
        "update-tenant" => Box::pin(update_tenant(app, req)),
        "delete-tenant" => Box::pin(delete_tenant(app, req)),
        "upgrade-tenant" => Box::pin(upgrade_tenant(app, req)),
        "downgrade-tenant" => Box::pin(downgrade_tenant(app, req)),
        "suspend-tenant" => Box::pin(suspend_tenant(app, req)),
        "activate-tenant" => Box::pin(activate_tenant(app, req)),
        "list-tenant-admins" => Box::pin(list_tenant_admins(app, req)),
        "grant-tenant-admin" => Box::pin(grant_tenant_admin(app, req)),
        "revoke-tenant-admin" => Box::pin(revoke_tenant_admin(app, req)),
        "list-tenant-events" => Box::pin(list_tenant_events(app, req)),
        "list-tenant-domains" => Box::pin(list_tenant_domains(app, req)),
        "add-tenant-domain" => Box::pin(add_tenant_domain(app, req)),
        "verify-tenant-domain" => Box::pin(verify_tenant_domain(app, req)),
        "remove-tenant-domain" => Box::pin(remove_tenant_domain(app, req)),
        "list-tenant-resources" => Box::pin(list_tenant_resources(app, req)),
        "put-tenant-resource" => Box::pin(put_tenant_resource(app, req)),
        "retry-tenant-provisioning" => Box::pin(retry_tenant_provisioning(app, req)),
        "resend-tenant-invitation" => Box::pin(resend_tenant_invitation(app, req)),
        "accept-invitation" => Box::pin(accept_invitation(app, req)),
        "discover-login" => Box::pin(discover_login(app, req)),
        "create-api-key" => Box::pin(create_api_key(app, req)),
        "list-api-keys" => Box::pin(list_api_keys(app, req)),
        "revoke-api-key" => Box::pin(revoke_api_key(app, req)),
        "get-openapi" => Box::pin(get_openapi(req)),
        "list-plans" => Box::pin(list_plans(app, req)),
        "get-tenant-entitlements" => Box::pin(get_tenant_entitlements(app, req)),
        "check-entitlement" => Box::pin(check_entitlement(app, req)),
        "report-usage" => Box::pin(report_usage(app, req)),
        _ => Box::pin(route_not_found(req)),
    };
    handler.await
}

/// Authenticates the request and checks `action` on the tenant in the path. Credentials
/// are checked before anything about the tenant is revealed, even that its id is invalid.
async fn authorize(
    app: &App,
    req: &Request,
    action: crate::auth::Action,
) -> Result<crate::auth::TenantAccess, ApiError> {
    authorize_reading(app, req, action, false).await
}

/// [`authorize`], reading the tenant's usage counters in the same round trip.
async fn authorize_with_usage(
    app: &App,
    req: &Request,
    action: crate::auth::Action,
) -> Result<crate::auth::TenantAccess, ApiError> {
    authorize_reading(app, req, action, true).await
}

async fn authorize_reading(
    app: &App,
    req: &Request,
    action: crate::auth::Action,
    usage: bool,
) -> Result<crate::auth::TenantAccess, ApiError> {
    let raw = http::path_param(req, "id");
    match crate::domain::TenantId::parse(&raw) {
        Ok(id) if usage => app.auth.tenant_with_usage(req, action, &id).await,
        Ok(id) => app.auth.tenant(req, action, &id).await,
        Err(_) => {
            // API Gateway routes `PATCH /v1/tenants/stats` here (`{id}` = "stats"); the route
            // table says that path is another resource's: answer as `route-not-found` would.
            let (method, path) = (req.method().as_str(), req.uri().path());
            if let Resolution::MethodNotAllowed(allow) = routes::resolve(method, path) {
                return Err(ApiError::MethodNotAllowed {
                    method: method.to_owned(),
                    path: path.to_owned(),
                    allow,
                });
            }
            app.auth.session(req).await?;
            Err(ApiError::tenant_not_found(&raw))
        }
    }
}

/// Accepts an empty body or an empty JSON object, for actions that take no input.
fn ensure_no_body(req: &Request) -> Result<(), ApiError> {
    match http::optional_json_object(req)? {
        Some(body) if !body.is_empty() => {
            let mut problems = crate::domain::input::Problems::default();
            problems.reject_unknown(&body, &[]);
            problems.finish(())
        }
        _ => Ok(()),
    }
}
