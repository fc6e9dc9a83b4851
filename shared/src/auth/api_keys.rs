//! Machine credentials: API keys.
//!
//! A key reads `tk_<32 hex>_<43 base64url>`: the hex part is the key's public id (its
//! item is `APIKEY#key_<hex>`), the rest a 256-bit random secret. Only the SHA-256 of the
//! secret is stored; the whole key is shown once, when it is created. A fast hash is
//! right here: the secret is random, so there is nothing to guess.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::roles::{Role, Roles};
use crate::clock;
use crate::cursor::{page_of, CursorCodec, Position};
use crate::error::ApiError;
use crate::keys;
use crate::model::{Problems, TenantStatus};
use crate::store::{from_item, map_sdk_error, to_item, Store};
use crate::validation::{bounded_text, TenantId};

const KEY_PREFIX: &str = "tk_";
const ID_PREFIX: &str = "key_";
/// Entity name of API key items.
pub const API_KEY_ENTITY: &str = "apikey";

/// A freshly generated key: its id and the full key text to hand out once.
#[derive(Debug)]
pub struct GeneratedKey {
    pub id: String,
    pub secret: String,
    pub key: String,
}

/// Generates a key from the operating system's CSPRNG.
pub fn generate() -> Result<GeneratedKey, ApiError> {
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    let id_hex: String = bytes[..16].iter().map(|b| format!("{b:02x}")).collect();
    let secret = URL_SAFE_NO_PAD.encode(&bytes[16..]);
    Ok(GeneratedKey {
        id: format!("{ID_PREFIX}{id_hex}"),
        key: format!("{KEY_PREFIX}{id_hex}_{secret}"),
        secret,
    })
}

/// Splits a presented key into its id (`key_<hex>`) and secret; `None` if it is not in
/// the key format.
pub fn split(key: &str) -> Option<(String, String)> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (id_hex, secret) = rest.split_once('_')?;
    let hex_ok = id_hex.len() == 32
        && id_hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let secret_ok = secret.len() == 43
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (hex_ok && secret_ok).then(|| (format!("{ID_PREFIX}{id_hex}"), secret.to_owned()))
}

/// Whether `id` is an API key id (`key_<32 hex>`).
pub fn is_key_id(id: &str) -> bool {
    id.strip_prefix(ID_PREFIX).is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The stored digest of a secret.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `secret` hashes to `stored`, compared in constant time.
pub fn secret_matches(secret: &str, stored: &str) -> bool {
    let presented = digest(secret);
    presented.len() == stored.len()
        && presented
            .bytes()
            .zip(stored.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// An API key as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    #[serde(rename = "GSI2PK")]
    pub gsi2pk: String,
    #[serde(rename = "GSI2SK")]
    pub gsi2sk: String,
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tenant_id: Option<String>,
    pub roles: Vec<String>,
    pub secret_hash: String,
    pub created_at: String,
    pub created_by: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub revoked_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub revoked_by: Option<String>,
}

impl ApiKeyItem {
    /// The key's roles (names this API does not know are dropped).
    pub fn roles(&self) -> Roles {
        self.roles.iter().filter_map(|r| Role::parse(r)).collect()
    }

    /// The API view: everything but the secret's hash.
    pub fn view(&self) -> ApiKeyView {
        ApiKeyView {
            id: self.id.clone(),
            name: self.name.clone(),
            tenant_id: self.tenant_id.clone(),
            roles: self.roles.clone(),
            status: if self.revoked_at.is_some() {
                "revoked"
            } else {
                "active"
            },
            created_at: self.created_at.clone(),
            created_by: self.created_by.clone(),
            revoked_at: self.revoked_at.clone(),
            revoked_by: self.revoked_by.clone(),
        }
    }
}

/// An API key as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub tenant_id: Option<String>,
    pub roles: Vec<String>,
    pub status: &'static str,
    pub created_at: String,
    pub created_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
}

/// A validated `POST /v1/api-keys` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub name: String,
    pub tenant_id: Option<String>,
    pub roles: Roles,
}

impl NewApiKey {
    /// Validates `{"name", "roles", "tenantId"?}`: a platform key holds `platform_admin`;
    /// a tenant key holds `tenant_admin` and/or `tenant_member`.
    pub fn from_json(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut problems = Problems::default();
        for key in body.keys() {
            if !["name", "roles", "tenantId"].contains(&key.as_str()) {
                problems.add(key, "is not a known field");
            }
        }
        let name = match body.get("name") {
            Some(Value::String(text)) => bounded_text(text, 1, 100)
                .map_err(|why| problems.add("name", why))
                .ok(),
            None | Some(Value::Null) => {
                problems.add("name", "is required");
                None
            }
            Some(_) => {
                problems.add("name", "must be a string");
                None
            }
        };
        let tenant_id = match body.get("tenantId") {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(text)) => TenantId::parse(text)
                .map(|id| Some(id.into_inner()))
                .map_err(|why| problems.add("tenantId", why))
                .ok(),
            Some(_) => {
                problems.add("tenantId", "must be a string");
                None
            }
        };
        let roles = parse_roles(body.get("roles"), &mut problems);
        if let (Some(Some(_)), Some(roles)) = (&tenant_id, &roles) {
            if roles.contains(&Role::PlatformAdmin) {
                problems.add(
                    "roles",
                    "a key bound to a tenant may only hold tenant_admin and tenant_member",
                );
            }
        }
        if let (Some(None), Some(roles)) = (&tenant_id, &roles) {
            if roles.iter().any(|r| r.is_tenant_role()) {
                problems.add(
                    "roles",
                    "tenant roles need a tenantId; a platform key holds platform_admin",
                );
            }
        }
        match (name, tenant_id, roles) {
            (Some(name), Some(tenant_id), Some(roles)) => problems.finish(Self {
                name,
                tenant_id,
                roles,
            }),
            _ => problems.require(None),
        }
    }
}

fn parse_roles(value: Option<&Value>, problems: &mut Problems) -> Option<Roles> {
    let items = match value {
        Some(Value::Array(items)) if !items.is_empty() => items,
        None | Some(Value::Null) => {
            problems.add("roles", "is required");
            return None;
        }
        _ => {
            problems.add("roles", "must be a non-empty array of role names");
            return None;
        }
    };
    let mut roles = Roles::new();
    for item in items {
        match item.as_str().and_then(Role::parse) {
            Some(role) => {
                roles.insert(role);
            }
            None => {
                problems.add(
                    "roles",
                    "each role must be one of: platform_admin, tenant_admin, tenant_member",
                );
                return None;
            }
        }
    }
    Some(roles)
}

/// One page of API keys.
#[derive(Debug)]
pub struct KeyPage {
    pub items: Vec<ApiKeyView>,
    pub next_cursor: Option<String>,
}

/// Fingerprint binding API key cursors to the key listing.
const LIST_FINGERPRINT: &str = "apikeys";

impl Store {
    /// Stores a new key. A tenant key is written only if its tenant exists and is not
    /// deleted (checked in the same transaction).
    pub async fn create_api_key(&self, item: &ApiKeyItem) -> Result<(), ApiError> {
        let record = to_item(item)?;
        let Some(tenant_id) = &item.tenant_id else {
            let put_result = self
                .client()
                .put_item()
                .table_name(self.table())
                .set_item(Some(record))
                .condition_expression("attribute_not_exists(PK)")
                .send()
                .await;
            return put_result.map(|_| ()).map_err(map_sdk_error);
        };
        let put = Put::builder()
            .table_name(self.table())
            .set_item(Some(record))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(ApiError::internal)?;
        let check = ConditionCheck::builder()
            .table_name(self.table())
            .set_key(Some(keys::tenant_key(tenant_id)))
            .condition_expression("attribute_exists(PK) AND #s <> :deleted")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(
                ":deleted",
                AttributeValue::S(TenantStatus::Deleted.as_str().to_owned()),
            )
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::None)
            .build()
            .map_err(ApiError::internal)?;
        let items = vec![
            TransactWriteItem::builder().condition_check(check).build(),
            TransactWriteItem::builder().put(put).build(),
        ];
        match self.transact_items(items).await? {
            None => Ok(()),
            Some(failed) if failed.contains(&0) => Err(ApiError::field(
                "tenantId",
                format!("no live tenant with id '{tenant_id}'"),
            )),
            Some(_) => Err(ApiError::internal("a fresh API key id was already taken")),
        }
    }

    /// Lists API keys, newest first.
    pub async fn list_api_keys(
        &self,
        limit: usize,
        cursor: Option<&str>,
        codec: &CursorCodec,
    ) -> Result<KeyPage, ApiError> {
        let start = match cursor {
            None => None,
            Some(cursor) => {
                let p = codec.decode_any(cursor, LIST_FINGERPRINT)?;
                if !clock::is_canonical(&p.created_at) || !is_key_id(&p.id) {
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
            .client()
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
            .map_err(map_sdk_error)?;
        let items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item::<ApiKeyItem>)
            .collect::<Result<Vec<_>, _>>()?;
        let (items, next_cursor) = page_of(codec, items, limit, LIST_FINGERPRINT, |k| Position {
            created_at: k.created_at.clone(),
            id: k.id.clone(),
        });
        Ok(KeyPage {
            items: items.iter().map(ApiKeyItem::view).collect(),
            next_cursor,
        })
    }

    /// Revokes key `id`; revoking a revoked key changes nothing. `None` if there is no
    /// such key.
    pub async fn revoke_api_key(
        &self,
        id: &str,
        revoked_by: &str,
    ) -> Result<Option<ApiKeyItem>, ApiError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(keys::key(keys::api_key_pk(id), keys::API_KEY_SK)))
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
        match result {
            Ok(output) => output.attributes.map(from_item).transpose(),
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
                    Some(Some(item)) => from_item(item).map(Some),
                    // The condition failed on a missing item.
                    Some(None) => Ok(None),
                    None => Err(map_sdk_error(err)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn generated_keys_split_back_into_their_id_and_secret() {
        let key = generate().unwrap();
        let (id, secret) = split(&key.key).unwrap();
        assert_eq!(id, key.id);
        assert_eq!(secret, key.secret);
        assert!(is_key_id(&id));
        assert!(secret_matches(&secret, &digest(&key.secret)));
        assert!(!secret_matches("x", &digest(&key.secret)));
        assert_ne!(generate().unwrap().key, key.key);
    }

    #[test]
    fn malformed_keys_do_not_split() {
        for bad in [
            "",
            "tk_",
            "tk_abc_def",
            "xx_0123456789abcdef0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert!(split(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn platform_keys_hold_platform_admin_and_tenant_keys_tenant_roles() {
        let ok = json!({"name": "ci", "roles": ["platform_admin"]});
        assert!(NewApiKey::from_json(ok.as_object().unwrap()).is_ok());
        let tenant = json!({"name": "ci", "roles": ["tenant_admin"], "tenantId": "tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f"});
        assert!(NewApiKey::from_json(tenant.as_object().unwrap()).is_ok());
        for bad in [
            json!({"name": "ci", "roles": ["tenant_admin"]}),
            json!({"name": "ci", "roles": ["platform_admin"], "tenantId": "tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f"}),
            json!({"name": "ci", "roles": []}),
            json!({"name": "ci", "roles": ["root"]}),
            json!({"roles": ["platform_admin"]}),
            json!({"name": "ci", "roles": ["platform_admin"], "extra": 1}),
        ] {
            assert!(
                matches!(
                    NewApiKey::from_json(bad.as_object().unwrap()),
                    Err(ApiError::Validation(_))
                ),
                "{bad}"
            );
        }
    }
}
