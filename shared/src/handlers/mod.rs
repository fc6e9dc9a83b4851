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
/// in, as API Gateway does. For tests and local tools; deployed functions each call their
/// own handler directly.
pub async fn dispatch(app: &App, req: Request) -> Result<Response<Body>, Error> {
    let resolution = routes::resolve(req.method().as_str(), req.uri().path());
    let Resolution::Found(route) = resolution else {
        return route_not_found(req).await;
    };
    let params = routes::path_params(route.path, req.uri().path());
    let req = req.with_path_parameters(params);
    // Boxed: one future on the heap instead of the largest handler's state inlined in
    // every caller's stack frame (deep test and tool stacks would run out before Cedar
    // finishes evaluating).
    let handler: Handler<'_> = match route.function {
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
