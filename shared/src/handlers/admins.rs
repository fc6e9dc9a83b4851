//! A tenant's admins: list, grant, revoke.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};

use super::{authorize, ensure_no_body, DEFAULT_PAGE, MAX_PAGE};
use crate::auth::Action;
use crate::domain::admin::{Granted, Revoked};
use crate::domain::UserId;
use crate::error::ApiError;
use crate::http::{self, Reply};
use crate::runtime::App;
use crate::service::admins as service;

/// `GET /v1/tenants/{id}/admins`
pub async fn list_tenant_admins(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, list(app, &req).await))
}

/// `PUT /v1/tenants/{id}/admins/{userId}`
pub async fn grant_tenant_admin(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, grant(app, &req).await))
}

/// `DELETE /v1/tenants/{id}/admins/{userId}`
pub async fn revoke_tenant_admin(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, revoke(app, &req).await))
}

async fn list(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::ListAdmins).await?;
    let (limit, cursor) = http::page_params(req, MAX_PAGE, DEFAULT_PAGE)?;
    let page = service::list(app, &access, limit, cursor.as_deref()).await?;
    Reply::json(StatusCode::OK, &page)
}

async fn grant(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::GrantAdmin).await?;
    let user = UserId::from_path_segment(&http::path_param(req, "userId"))
        .map_err(|why| ApiError::field("userId", why))?;
    ensure_no_body(req)?;
    let location = format!("/v1/tenants/{}/admins/{user}", access.tenant.id);
    let (status, grant) = match service::grant(app, &access, user).await? {
        Granted::New(grant) => (StatusCode::CREATED, grant),
        Granted::Existing(grant) => (StatusCode::OK, grant),
    };
    Ok(Reply::json(status, &grant)?.location(location))
}

async fn revoke(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::RevokeAdmin).await?;
    let raw = http::path_param(req, "userId");
    let not_admin = || {
        ApiError::NotFound(format!(
            "'{raw}' is not an admin of tenant '{}'",
            access.tenant.id
        ))
    };
    let user = UserId::from_path_segment(&raw).map_err(|_| not_admin())?;
    match service::revoke(app, &access, &user).await? {
        Revoked::Done => Ok(Reply::no_content()),
        Revoked::NotAdmin => Err(not_admin()),
        Revoked::LastAdmin => Err(ApiError::LastAdmin(user.to_string())),
    }
}
