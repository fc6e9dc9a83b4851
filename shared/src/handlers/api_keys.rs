//! Machine credentials: create (the key is shown once), list, revoke. Platform admins only.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde_json::Value;

use super::{DEFAULT_PAGE, MAX_PAGE};
use crate::auth::Action;
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

async fn create(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let session = app.auth.platform(req, Action::ManageApiKeys).await?;
    let body = http::json_object(req, &[JSON])?;
    let created = service::create(app, &body, &session.origin()).await?;
    let location = format!("/v1/api-keys/{}", created.view.id);
    let mut view = serde_json::to_value(&created.view).context("encoding an API key")?;
    if let Value::Object(map) = &mut view {
        // The only time the key is ever shown.
        map.insert("key".to_owned(), Value::String(created.key));
    }
    Ok(Reply::json(StatusCode::CREATED, &view)?.location(location))
}

async fn list(app: &App, req: &Request) -> Result<Reply, ApiError> {
    app.auth.platform(req, Action::ManageApiKeys).await?;
    let (limit, cursor) = http::page_params(req, MAX_PAGE, DEFAULT_PAGE)?;
    Reply::json(
        StatusCode::OK,
        &service::list(app, limit, cursor.as_deref()).await?,
    )
}

async fn revoke(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let session = app.auth.platform(req, Action::ManageApiKeys).await?;
    let id = http::path_param(req, "keyId");
    let revoked = service::revoke(app, &id, &session.origin()).await?;
    Reply::json(StatusCode::OK, &revoked)
}
