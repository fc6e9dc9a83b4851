//! API keys in storage: one item per key (`APIKEY#<keyId>`), listed newest first through
//! GSI2 (`APIKEYS`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::cursor::{page_of, CursorCodec, Position};
use super::dynamo::sdk_error;
use super::events::event_put;
use super::item::{from_item, to_item};
use super::tenants::live_check;
use super::transaction::{put_new, Outcome, TransactWrite};
use super::{keys, Store};
use crate::domain::api_key::ApiKeyView;
use crate::domain::{clock, ApiKey, ApiKeyId, ChangeEvent, Page};
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

/// Fingerprint binding API key cursors to the key listing.
const LIST_FINGERPRINT: &str = "apikeys";

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

    /// Lists API keys, newest first.
    pub async fn list_api_keys(
        &self,
        limit: usize,
        cursor: Option<&str>,
        codec: &CursorCodec,
    ) -> Result<Page<ApiKeyView>, ApiError> {
        let start = match cursor {
            None => None,
            Some(cursor) => {
                let p = codec.decode_any(cursor, LIST_FINGERPRINT)?;
                if !clock::is_canonical(&p.created_at) || ApiKeyId::parse(&p.id).is_err() {
                    return Err(ApiError::InvalidCursor);
                }
                let mut key = keys::key(keys::api_key_pk(&p.id), keys::API_KEY_SK);
                key.insert(
                    keys::GSI2PK.to_owned(),
                    AttributeValue::S(keys::API_KEYS.to_owned()),
                );
                key.insert(
                    keys::GSI2SK.to_owned(),
                    AttributeValue::S(keys::created_sort_key(&p.created_at, &p.id)),
                );
                Some(key)
            }
        };
        let output = self
            .client
            .query()
            .table_name(self.table())
            .index_name(keys::GSI2)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", keys::GSI2PK)
            .expression_attribute_values(":pk", AttributeValue::S(keys::API_KEYS.to_owned()))
            .scan_index_forward(false)
            .set_exclusive_start_key(start)
            .limit(limit as i32 + 1)
            .send()
            .await
            .map_err(sdk_error("listing API keys"))?;
        let items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<ApiKeyItem>(item).map(|i| i.key))
            .collect::<Result<Vec<_>, _>>()?;
        let page = page_of(codec, items, limit, LIST_FINGERPRINT, |k| Position {
            created_at: k.created_at.clone(),
            id: k.id.to_string(),
        });
        page.try_map(|key| Ok(key.view()))
    }

    /// Revokes key `id` with the event `event` makes of the revoked key; revoking a
    /// revoked key changes nothing and writes no event. `None` if there is no such key.
    pub async fn revoke_api_key(
        &self,
        id: &ApiKeyId,
        revoked_by: &str,
        event: impl Fn(&ApiKey) -> ChangeEvent,
    ) -> Result<Option<ApiKey>, ApiError> {
        let key = keys::key(keys::api_key_pk(id.as_str()), keys::API_KEY_SK);
        // The key's tenant decides where its event goes, so it is read first.
        let Some(current) = self.api_key(key.clone()).await? else {
            return Ok(None);
        };
        if current.revoked_at.is_some() {
            return Ok(Some(current));
        }
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
            Outcome::Committed => Ok(Some(revoked)),
            // Revoked concurrently: that revocation and its event stand.
            outcome if outcome.refused(revoke) => self.api_key(key).await,
            _ => Err(ApiError::internal(
                "revoking an API key",
                "a fresh event id was already taken",
            )),
        }
    }

    /// The API key at `key` (strongly consistent).
    async fn api_key(
        &self,
        key: HashMap<String, AttributeValue>,
    ) -> Result<Option<ApiKey>, ApiError> {
        self.get_one(key, "reading an API key")
            .await?
            .map(|item| from_item::<ApiKeyItem>(item).map(|i| i.key))
            .transpose()
    }
}
