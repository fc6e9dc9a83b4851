//! API keys: create (shown once), list, revoke.

use serde_json::{Map, Value};

use crate::domain::api_key::{self, ApiKeyView};
use crate::domain::{clock, ApiKey, ApiKeyId, ChangeEvent, EventType, NewApiKey, Origin, Page};
use crate::error::ApiError;
use crate::runtime::App;

/// A key just created: its view, and the key itself (shown once).
#[derive(Debug)]
pub struct CreatedKey {
    pub view: ApiKeyView,
    pub key: String,
}

/// Validates a `POST /v1/api-keys` body and stores the key with its `api_key.created`
/// event. The API calls it for an authorized caller; `tenantctl` calls it to bootstrap the
/// first key.
pub async fn create(
    app: &App,
    body: &Map<String, Value>,
    origin: &Origin,
) -> Result<CreatedKey, ApiError> {
    let new = NewApiKey::from_json(body)?;
    let generated = api_key::generate()?;
    let now = clock::now_rfc3339();
    let key = ApiKey::create(new, &generated, &now, &origin.actor.id);
    let event = ChangeEvent::api_key(EventType::ApiKeyCreated, &key.view(), origin, &now);
    app.store.create_api_key(&key, &event).await?;
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

/// Revokes key `id` with its `api_key.revoked` event (revoking twice changes nothing);
/// `not_found` if there is no such key.
pub async fn revoke(app: &App, id: &str, origin: &Origin) -> Result<ApiKeyView, ApiError> {
    let missing = || ApiError::NotFound(format!("no API key with id '{id}'"));
    let id = ApiKeyId::parse(id).map_err(|_| missing())?;
    let event = |key: &ApiKey| {
        let at = key.revoked_at.clone().unwrap_or_else(clock::now_rfc3339);
        ChangeEvent::api_key(EventType::ApiKeyRevoked, &key.view(), origin, &at)
    };
    app.store
        .revoke_api_key(&id, &origin.actor.id, event)
        .await?
        .map(|key| key.view())
        .ok_or_else(missing)
}
