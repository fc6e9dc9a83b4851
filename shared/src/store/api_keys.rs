//! API keys in storage: one item per key (`APIKEY#<keyId>`), listed newest first through
//! GSI2 (`APIKEYS`); a tenant's keys are that listing filtered on `tenantId`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::cursor::{page_of, CursorCodec, Position};
use super::dynamo::sdk_error;
use super::events::event_put;
use super::item::{from_item, text, to_item};
use super::listing::near;
use super::tenants::live_check;
use super::transaction::{put_new, Outcome, TransactWrite};
use super::{keys, Store};
use crate::domain::api_key::ApiKeyView;
use crate::domain::page::fingerprint;
use crate::domain::{clock, ApiKey, ApiKeyId, ChangeEvent, Page, TenantId};
use crate::error::{ApiError, Context};

/// Entity name of API key items.
pub(crate) const API_KEY_ENTITY: &str = "apikey";

/// An API key as stored: the key's record plus its keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApiKeyItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    #[serde(rename = "GSI2PK")]
    gsi2pk: String,
    #[serde(rename = "GSI2SK")]
    gsi2sk: String,
    #[serde(flatten)]
    pub(crate) key: ApiKey,
}

impl ApiKeyItem {
    fn new(key: &ApiKey) -> Self {
        let id = key.id.as_str();
        Self {
            pk: keys::api_key_pk(id),
            sk: keys::API_KEY_SK.to_owned(),
            entity: API_KEY_ENTITY.to_owned(),
            gsi2pk: keys::API_KEYS.to_owned(),
            gsi2sk: keys::created_sort_key(&key.created_at, id),
            key: key.clone(),
        }
    }
}

/// Fingerprint binding API key cursors to the key listing (with the tenant, for a
/// tenant's keys).
const LIST_FINGERPRINT: &str = "apikeys";
/// Items read per index query when the tenant filter may discard some.
const FILTERED_READ: i32 = 200;

impl Store {
    /// Stores a new key with its `api_key.created` event. A tenant key is written only if
    /// its tenant exists and is not deleted (checked in the same transaction).
    pub async fn create_api_key(&self, key: &ApiKey, event: &ChangeEvent) -> Result<(), ApiError> {
        let mut tx = TransactWrite::new();
        let live = match &key.tenant_id {
            Some(tenant_id) => Some(tx.push(live_check(self.table(), tenant_id)?)),
            None => None,
        };
        tx.push(put_new(
            self.table(),
            to_item(&ApiKeyItem::new(key))?,
            false,
        )?);
        tx.push(event_put(self, event)?);
        match tx.run(self).await? {
            Outcome::Committed => Ok(()),
            outcome if live.is_some_and(|live| outcome.refused(live)) => Err(ApiError::field(
                "tenantId",
                format!(
                    "no live tenant with id '{}'",
                    key.tenant_id
                        .as_ref()
                        .map(|t| t.as_str())
                        .unwrap_or_default()
                ),
            )),
            _ => Err(ApiError::internal(
                "writing an API key",
                "a fresh API key or event id was already taken",
            )),
        }
    }

    /// Lists API keys, newest first: every key, or (`tenant`) only the keys bound to that
    /// tenant. The tenant's keys are read from the same index with a filter, which keeps
    /// reading until the page is full, so every page but the last holds exactly `limit`
    /// keys; should the filter have to read past `deadline_ms` (Unix epoch milliseconds),
    /// the page holds what was found, with a cursor to continue from where it stopped.
    pub async fn list_api_keys(
        &self,
        tenant: Option<&TenantId>,
        limit: usize,
        cursor: Option<&str>,
        codec: &CursorCodec,
        deadline_ms: Option<u64>,
    ) -> Result<Page<ApiKeyView>, ApiError> {
        let print = match tenant {
            None => LIST_FINGERPRINT.to_owned(),
            Some(tenant) => fingerprint(&[LIST_FINGERPRINT, tenant.as_str()]),
        };
        // A tenant's listing may stop on another tenant's key (the filter reads past it):
        // its cursors are sealed, so that they name nothing the caller may not see.
        let sealing = codec.sealing();
        let codec = if tenant.is_some() { &sealing } else { codec };
        let mut start = match cursor {
            None => None,
            Some(cursor) => {
                let p = codec.decode_any(cursor, &print)?;
                if !clock::is_canonical(&p.created_at) || ApiKeyId::parse(&p.id).is_err() {
                    return Err(ApiError::InvalidCursor);
                }
                Some(index_key(&p))
            }
        };
        let mut names = HashMap::from([("#pk".to_owned(), keys::GSI2PK.to_owned())]);
        let mut values = HashMap::from([(
            ":pk".to_owned(),
            AttributeValue::S(keys::API_KEYS.to_owned()),
        )]);
        let filter = tenant.map(|tenant| {
            names.insert("#tenant".to_owned(), "tenantId".to_owned());
            values.insert(
                ":tenant".to_owned(),
                AttributeValue::S(tenant.as_str().to_owned()),
            );
            "#tenant = :tenant".to_owned()
        });
        // Read one more than the page to learn whether another page exists.
        let wanted = limit + 1;
        let read_size = if filter.is_some() {
            FILTERED_READ
        } else {
            wanted as i32
        };
        let mut found: Vec<ApiKey> = Vec::with_capacity(wanted);
        loop {
            let output = self
                .client
                .query()
                .table_name(self.table())
                .index_name(keys::GSI2)
                .key_condition_expression("#pk = :pk")
                .set_filter_expression(filter.clone())
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(false)
                .set_exclusive_start_key(start.take())
                .limit(read_size)
                .send()
                .await
                .map_err(sdk_error("listing API keys"))?;
            for item in output.items.unwrap_or_default() {
                found.push(from_item::<ApiKeyItem>(item)?.key);
                if found.len() == wanted {
                    break;
                }
            }
            match output.last_evaluated_key {
                Some(key) if found.len() < wanted => {
                    if near(deadline_ms) {
                        // Out of time: hand back what we have and resume after `key`.
                        let position = index_position(&key)?;
                        return Page {
                            items: found,
                            next_cursor: Some(codec.encode(&position, &print)),
                        }
                        .try_map(|key| Ok(key.view()));
                    }
                    start = Some(key);
                }
                _ => break,
            }
        }
        let page = page_of(codec, found, limit, &print, |k| Position {
            created_at: k.created_at.clone(),
            id: k.id.to_string(),
        });
        page.try_map(|key| Ok(key.view()))
    }

    /// Key `id`, as stored (strongly consistent); `None` if there is no such key.
    pub async fn api_key(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, ApiError> {
        self.api_key_at(keys::key(keys::api_key_pk(id.as_str()), keys::API_KEY_SK))
            .await
    }

    /// Revokes `current` (the key as read: its tenant, which never changes, decides who may
    /// revoke it and where its event goes) with the event `event` makes of the revoked key;
    /// revoking a revoked key changes nothing and writes no event.
    pub async fn revoke_api_key(
        &self,
        current: ApiKey,
        revoked_by: &str,
        event: impl Fn(&ApiKey) -> ChangeEvent,
    ) -> Result<ApiKey, ApiError> {
        if current.revoked_at.is_some() {
            return Ok(current);
        }
        let key = keys::key(keys::api_key_pk(current.id.as_str()), keys::API_KEY_SK);
        let now = clock::now_rfc3339();
        let revoked = ApiKey {
            revoked_at: Some(now.clone()),
            revoked_by: Some(revoked_by.to_owned()),
            ..current
        };
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(key.clone()))
            .update_expression("SET revokedAt = :at, revokedBy = :by")
            .condition_expression("attribute_exists(PK) AND attribute_not_exists(revokedAt)")
            .set_expression_attribute_values(Some(HashMap::from([
                (":at".to_owned(), AttributeValue::S(now)),
                (":by".to_owned(), AttributeValue::S(revoked_by.to_owned())),
            ])))
            .build()
            .context("building an API key revocation")?;
        let mut tx = TransactWrite::new();
        let revoke = tx.push(TransactWriteItem::builder().update(update).build());
        tx.push(event_put(self, &event(&revoked))?);
        match tx.run(self).await? {
            Outcome::Committed => Ok(revoked),
            // Revoked concurrently: that revocation and its event stand.
            outcome if outcome.refused(revoke) => self
                .api_key_at(key)
                .await?
                .ok_or_else(|| ApiError::internal("revoking an API key", "the key is gone")),
            _ => Err(ApiError::internal(
                "revoking an API key",
                "a fresh event id was already taken",
            )),
        }
    }

    /// The API key at `key` (strongly consistent).
    async fn api_key_at(
        &self,
        key: HashMap<String, AttributeValue>,
    ) -> Result<Option<ApiKey>, ApiError> {
        self.get_one(key, "reading an API key")
            .await?
            .map(|item| from_item::<ApiKeyItem>(item).map(|i| i.key))
            .transpose()
    }
}

/// The index key of the key at `position` (where a listing resumes).
fn index_key(position: &Position) -> HashMap<String, AttributeValue> {
    let mut key = keys::key(keys::api_key_pk(&position.id), keys::API_KEY_SK);
    key.insert(
        keys::GSI2PK.to_owned(),
        AttributeValue::S(keys::API_KEYS.to_owned()),
    );
    key.insert(
        keys::GSI2SK.to_owned(),
        AttributeValue::S(keys::created_sort_key(&position.created_at, &position.id)),
    );
    key
}

/// The listing position of an index key (`<createdAt>#<keyId>` in GSI2SK).
fn index_position(key: &HashMap<String, AttributeValue>) -> Result<Position, ApiError> {
    text(key, keys::GSI2SK)
        .and_then(|sort| sort.split_once('#'))
        .map(|(created_at, id)| Position {
            created_at: created_at.to_owned(),
            id: id.to_owned(),
        })
        .ok_or_else(|| ApiError::internal("listing API keys", "unexpected index sort key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_resumes_at_the_index_key_of_its_position() {
        let position = Position {
            created_at: "2026-01-01T00:00:00.000Z".to_owned(),
            id: "key_0123456789abcdef0123456789abcdef".to_owned(),
        };
        let key = index_key(&position);
        assert_eq!(
            text(&key, keys::PK),
            Some("APIKEY#key_0123456789abcdef0123456789abcdef")
        );
        assert_eq!(index_position(&key).unwrap(), position);
    }
}
