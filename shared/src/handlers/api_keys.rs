//! Machine credentials: create (the key is shown once), list, revoke. Platform admins
//! manage every key; a tenant's admins manage the keys bound to their tenant
//! (`ManageTenantApiKeys` on it), but only platform admins make keys holding `tenant_admin`
//! (`ManageAdminKeys`): such a key counts the tenant's usage.
//!
//! A tenant's admins learn nothing about other tenants' keys: a key of a tenant the caller
//! may not see is 404, word for word what a key that does not exist gets.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use serde_json::Value;

use super::{DEFAULT_PAGE, MAX_PAGE};
use crate::auth::Action;
use crate::domain::api_key::{self, KeyFor};
use crate::domain::{NewApiKey, Role, TenantId};
use crate::error::{ApiError, Context};
use crate::http::{self, Reply, JSON};
use crate::runtime::App;
use crate::service::api_keys as service;

/// `POST /v1/api-keys`
pub async fn create_api_key(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, create(app, &req).await))
}

/// `GET /v1/api-keys`
pub async fn list_api_keys(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, list(app, &req).await))
}

/// `DELETE /v1/api-keys/{keyId}`
pub async fn revoke_api_key(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, revoke(app, &req).await))
}

/// Creates a key. The body's `tenantId` decides who may: none, platform admins
/// (`ManageApiKeys`); a tenant, its admins (`ManageTenantApiKeys` on it, 404 for a tenant
/// the caller may not see), and `ManageAdminKeys` besides for any role beyond
/// `tenant_member`. A body that names no tenant clearly is refused (400) once the caller is
/// authenticated.
async fn create(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let body = http::json_object(req, &[JSON]);
    let origin = match body.as_ref().map(KeyFor::of) {
        Ok(KeyFor::Platform) => app
            .auth
            .platform(req, Action::ManageApiKeys)
            .await?
            .origin(),
        Ok(KeyFor::Tenant(id)) => {
            let access = app
                .auth
                .tenant(req, Action::ManageTenantApiKeys, &id)
                .await?;
            if body.as_ref().is_ok_and(api_key::asks_beyond_member) {
                app.auth.check_on(&access, Action::ManageAdminKeys)?;
            }
            access.session.origin()
        }
        Ok(KeyFor::Malformed) | Err(_) => {
            app.auth.session(req).await?;
            let refused = NewApiKey::from_json(&body?).err();
            return Err(refused.unwrap_or_else(|| ApiError::field("tenantId", "names no tenant")));
        }
    };
    let created = service::create(app, &body?, &origin).await?;
    let location = format!("/v1/api-keys/{}", created.view.id);
    let mut view = serde_json::to_value(&created.view).context("encoding an API key")?;
    if let Value::Object(map) = &mut view {
        // The only time the key is ever shown.
        map.insert("key".to_owned(), Value::String(created.key));
    }
    Ok(Reply::json(StatusCode::CREATED, &view)?.location(location))
}

/// Lists keys: every key (platform admins, `ManageApiKeys`), or with `?tenantId=` the
/// keys bound to that tenant (`ManageTenantApiKeys` on it).
async fn list(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let (limit, cursor, tenant) = if http::query_values(req, "tenantId").is_empty() {
        app.auth.platform(req, Action::ManageApiKeys).await?;
        let (limit, cursor) = http::page_params(req, MAX_PAGE, DEFAULT_PAGE)?;
        (limit, cursor, None)
    } else {
        let params = http::filtered_page_params(
            req,
            MAX_PAGE,
            DEFAULT_PAGE,
            Some(("tenantId", TenantId::parse)),
        );
        match params {
            Ok((limit, cursor, Some(id))) => {
                app.auth
                    .tenant(req, Action::ManageTenantApiKeys, &id)
                    .await?;
                (limit, cursor, Some(id))
            }
            // A `tenantId` that names no tenant, or other parameters refused: the 400 for
            // an authenticated caller.
            refused => {
                app.auth.session(req).await?;
                return Err(refused
                    .err()
                    .unwrap_or_else(|| ApiError::field("tenantId", "must name one tenant")));
            }
        }
    };
    let deadline = req.lambda_context_ref().map(|ctx| ctx.deadline);
    let page = service::list(app, tenant.as_ref(), limit, cursor.as_deref(), deadline).await?;
    Reply::json(StatusCode::OK, &page)
}

/// Revokes a key. The key is read first: its tenant (which never changes) decides who may
/// revoke it. A platform key, platform admins (`ManageApiKeys`); a tenant's key, its admins
/// (`ManageTenantApiKeys`). A key that does not exist, or of a tenant the caller may not
/// see, is the same 404.
async fn revoke(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let raw = http::path_param(req, "keyId");
    let missing = || ApiError::NotFound(format!("no API key with id '{raw}'"));
    // Who asks comes first: an anonymous request costs no read and learns nothing.
    app.auth.session(req).await?;
    let Some(key) = service::find(app, &raw).await? else {
        return Err(missing());
    };
    let origin = match &key.tenant_id {
        None => app
            .auth
            .platform(req, Action::ManageApiKeys)
            .await?
            .origin(),
        Some(tenant) => match app
            .auth
            .tenant(req, Action::ManageTenantApiKeys, tenant)
            .await
        {
            Ok(access) => {
                // The application's key (tenant_admin: it counts the tenant's usage) is
                // the platform's to revoke, as it is the platform's to make.
                if key.roles().iter().any(|r| *r != Role::TenantMember) {
                    app.auth.check_on(&access, Action::ManageAdminKeys)?;
                }
                access.session.origin()
            }
            // Hidden: the tenant's id must not show either.
            Err(ApiError::NotFound(_)) => return Err(missing()),
            Err(other) => return Err(other),
        },
    };
    let revoked = service::revoke(app, key, &origin).await?;
    Reply::json(StatusCode::OK, &revoked)
}
