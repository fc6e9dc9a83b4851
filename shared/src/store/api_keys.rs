//! API keys in storage: one item per key (`APIKEY#<keyId>`), listed newest first through
//! GSI2 (`APIKEYS`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use serde::{Deserialize, Serialize};

use super::cursor::{page_of, CursorCodec, Position};
use super::dynamo::sdk_error;
use super::item::{from_item, to_item};
use super::tenants::live_check;
use super::transaction::{put_new, Outcome, TransactWrite, CREATES};
use super::{keys, Store};
use crate::domain::api_key::ApiKeyView;
use crate::domain::{clock, ApiKey, ApiKeyId, Page};
use crate::error::ApiError;

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
    /// Stores a new key. A tenant key is written only if its tenant exists and is not
    /// deleted (checked in the same transaction).
    pub async fn create_api_key(&self, key: &ApiKey) -> Result<(), ApiError> {
        let record = to_item(&ApiKeyItem::new(key))?;
        let Some(tenant_id) = &key.tenant_id else {
            let put_result = self
                .client
                .put_item()
                .table_name(self.table())
                .set_item(Some(record))
                .condition_expression(CREATES)
                .send()
                .await;
            return put_result
                .map(|_| ())
                .map_err(sdk_error("writing a platform API key"));
        };
        let mut tx = TransactWrite::new();
        let live = tx.push(live_check(self.table(), tenant_id)?);
        tx.push(put_new(self.table(), record, false)?);
        match tx.run(self).await? {
            Outcome::Committed => Ok(()),
            outcome if outcome.refused(live) => Err(ApiError::field(
                "tenantId",
                format!("no live tenant with id '{tenant_id}'"),
            )),
            _ => Err(ApiError::internal(
                "writing a tenant API key",
                "a fresh API key id was already taken",
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

    /// Revokes key `id`; revoking a revoked key changes nothing. `None` if there is no
    /// such key.
    pub async fn revoke_api_key(
        &self,
        id: &ApiKeyId,
        revoked_by: &str,
    ) -> Result<Option<ApiKey>, ApiError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table())
            .set_key(Some(keys::key(
                keys::api_key_pk(id.as_str()),
                keys::API_KEY_SK,
            )))
            .update_expression("SET revokedAt = :at, revokedBy = :by")
            .condition_expression("attribute_exists(PK) AND attribute_not_exists(revokedAt)")
            .set_expression_attribute_values(Some(HashMap::from([
                (":at".to_owned(), AttributeValue::S(clock::now_rfc3339())),
                (":by".to_owned(), AttributeValue::S(revoked_by.to_owned())),
            ])))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let decode = |item| from_item::<ApiKeyItem>(item).map(|i| i.key);
        match result {
            Ok(output) => output.attributes.map(decode).transpose(),
            Err(err) => {
                let old = err
                    .as_service_error()
                    .filter(|e| e.is_conditional_check_failed_exception())
                    .map(|e| match e {
                        aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c) => c.item().cloned(),
                        _ => None,
                    });
                match old {
                    // Already revoked: idempotent.
                    Some(Some(item)) => decode(item).map(Some),
                    // The condition failed on a missing item.
                    Some(None) => Ok(None),
                    None => Err(sdk_error("revoking an API key")(err)),
                }
            }
        }
    }
}
