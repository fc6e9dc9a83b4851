//! API keys: create (shown once), list, revoke.

use serde_json::{Map, Value};

use crate::domain::api_key::{self, ApiKeyView};
use crate::domain::{clock, ApiKey, ApiKeyId, NewApiKey, Page};
use crate::error::ApiError;
use crate::runtime::App;

/// A key just created: its view, and the key itself (shown once).
#[derive(Debug)]
pub struct CreatedKey {
    pub view: ApiKeyView,
    pub key: String,
}

/// Validates a `POST /v1/api-keys` body and stores the key. The API calls it for an
/// authorized caller; `tenantctl` calls it to bootstrap the first key.
pub async fn create(
    app: &App,
    body: &Map<String, Value>,
    created_by: &str,
) -> Result<CreatedKey, ApiError> {
    let new = NewApiKey::from_json(body)?;
    let generated = api_key::generate()?;
    let key = ApiKey::create(new, &generated, &clock::now_rfc3339(), created_by);
    app.store.create_api_key(&key).await?;
    Ok(CreatedKey {
        view: key.view(),
        key: generated.key,
    })
}

/// One page of API keys, newest first.
pub async fn list(
    app: &App,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<ApiKeyView>, ApiError> {
    app.store.list_api_keys(limit, cursor, &app.cursors).await
}

/// Revokes key `id` (revoking twice changes nothing); `not_found` if there is no such key.
pub async fn revoke(app: &App, id: &str, revoked_by: &str) -> Result<ApiKeyView, ApiError> {
    let missing = || ApiError::NotFound(format!("no API key with id '{id}'"));
    let id = ApiKeyId::parse(id).map_err(|_| missing())?;
    app.store
        .revoke_api_key(&id, revoked_by)
        .await?
        .map(|key| key.view())
        .ok_or_else(missing)
}
