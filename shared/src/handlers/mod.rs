//! One handler per endpoint, each `fn(&App, Request) -> Result<Response<Body>, Error>` as
//! `lambda_http::run` wants: authorize, parse, call the [`crate::service`], reply. They
//! never fail at the Lambda level: every problem becomes a response in the one error
//! envelope through [`crate::http::respond`].
//!
//! - [`tenants`]: the tenant resource and its lifecycle actions.
//! - [`admins`]: a tenant's admins.
//! - [`api_keys`]: machine credentials.
//! - [`domains`]: a tenant's email domains, and login discovery.
//! - [`events`]: a tenant's audit trail, and the stream consumer publishing events.
//! - [`provisioning`]: a tenant's resources, retries, the owner's invitation, and the
//!   queue consumer that provisions tenants.
//! - [`openapi`]: the OpenAPI document, generated from the route table and the types.

pub mod admins;
pub mod api_keys;
pub mod domains;
pub mod events;
pub mod openapi;
pub mod provisioning;
pub mod tenants;

use lambda_http::{Body, Error, Request, RequestExt, Response};

pub use admins::{grant_tenant_admin, list_tenant_admins, revoke_tenant_admin};
pub use api_keys::{create_api_key, list_api_keys, revoke_api_key};
pub use domains::{
    add_tenant_domain, discover_login, list_tenant_domains, remove_tenant_domain,
    verify_tenant_domain,
};
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
        "list-tenant-events" => list_tenant_events(app, req).await,
        "list-tenant-domains" => list_tenant_domains(app, req).await,
        "add-tenant-domain" => add_tenant_domain(app, req).await,
        "verify-tenant-domain" => verify_tenant_domain(app, req).await,
        "remove-tenant-domain" => remove_tenant_domain(app, req).await,
        "list-tenant-resources" => list_tenant_resources(app, req).await,
        "put-tenant-resource" => put_tenant_resource(app, req).await,
        "retry-tenant-provisioning" => retry_tenant_provisioning(app, req).await,
        "resend-tenant-invitation" => resend_tenant_invitation(app, req).await,
        "accept-invitation" => accept_invitation(app, req).await,
        "discover-login" => discover_login(app, req).await,
        "create-api-key" => create_api_key(app, req).await,
        "list-api-keys" => list_api_keys(app, req).await,
        "revoke-api-key" => revoke_api_key(app, req).await,
        "get-openapi" => get_openapi(req).await,
        _ => route_not_found(req).await,
    }
}

/// Authenticates the request and checks `action` on the tenant in the path. Credentials
/// are checked before anything about the tenant is revealed, even that its id is invalid.
async fn authorize(
    app: &App,
    req: &Request,
    action: crate::auth::Action,
) -> Result<crate::auth::TenantAccess, ApiError> {
    let raw = http::path_param(req, "id");
    match crate::domain::TenantId::parse(&raw) {
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
