//! API keys: create (shown once), list, revoke.

use serde_json::{Map, Value};

use crate::domain::api_key::{self, ApiKeyView};
use crate::domain::{
    clock, ApiKey, ApiKeyId, ChangeEvent, EventType, NewApiKey, Origin, Page, TenantId,
};
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

/// One page of API keys, newest first: every key, or only those bound to `tenant`.
/// `deadline_ms` bounds how long the tenant filter may keep reading.
pub async fn list(
    app: &App,
    tenant: Option<&TenantId>,
    limit: usize,
    cursor: Option<&str>,
    deadline_ms: Option<u64>,
) -> Result<Page<ApiKeyView>, ApiError> {
    app.store
        .list_api_keys(tenant, limit, cursor, &app.cursors, deadline_ms)
        .await
}

/// Key `id` as stored, or `None` if there is no such key (or `id` is no key id).
pub async fn find(app: &App, id: &str) -> Result<Option<ApiKey>, ApiError> {
    match ApiKeyId::parse(id) {
        Ok(id) => app.store.api_key(&id).await,
        Err(_) => Ok(None),
    }
}

/// Revokes `key` (as [`find`] read it) with its `api_key.revoked` event; revoking twice
/// changes nothing.
pub async fn revoke(app: &App, key: ApiKey, origin: &Origin) -> Result<ApiKeyView, ApiError> {
    let event = |key: &ApiKey| {
        let at = key.revoked_at.clone().unwrap_or_else(clock::now_rfc3339);
        ChangeEvent::api_key(EventType::ApiKeyRevoked, &key.view(), origin, &at)
    };
    app.store
        .revoke_api_key(key, &origin.actor.id, event)
        .await
        .map(|key| key.view())
}
