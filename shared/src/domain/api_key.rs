//! Machine credentials: API keys.
//!
//! A key reads `tk_<32 hex>_<43 base64url>`: the hex part is the key's public id
//! (`key_<hex>`), the rest a 256-bit random secret. Only the SHA-256 of the secret is kept;
//! the whole key is shown once, when it is created. A fast hash is right here: the secret
//! is random, so there is nothing to guess.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::input::{hex_sha256, Problems};
use super::roles::{Role, Roles};
use super::values::{bounded_text, ApiKeyId, TenantId};
use crate::error::{ApiError, Context};

const KEY_PREFIX: &str = "tk_";
const ID_PREFIX: &str = "key_";

/// A freshly generated key: its id and the full key text to hand out once.
#[derive(Debug)]
pub struct GeneratedKey {
    pub id: ApiKeyId,
    pub secret: String,
    pub key: String,
}

/// Generates a key from the operating system's CSPRNG.
pub fn generate() -> Result<GeneratedKey, ApiError> {
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes).context("drawing random bytes for an API key")?;
    let id_hex: String = bytes[..16].iter().map(|b| format!("{b:02x}")).collect();
    let secret = URL_SAFE_NO_PAD.encode(&bytes[16..]);
    Ok(GeneratedKey {
        id: ApiKeyId::parse(&format!("{ID_PREFIX}{id_hex}")).context("forming an API key id")?,
        key: format!("{KEY_PREFIX}{id_hex}_{secret}"),
        secret,
    })
}

/// Splits a presented key into its id (`key_<hex>`) and secret; `None` if it is not in
/// the key format.
pub fn split(key: &str) -> Option<(ApiKeyId, String)> {
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
    if !(hex_ok && secret_ok) {
        return None;
    }
    let id = ApiKeyId::parse(&format!("{ID_PREFIX}{id_hex}")).ok()?;
    Some((id, secret.to_owned()))
}

/// The stored digest of a secret.
pub fn digest(secret: &str) -> String {
    hex_sha256(secret)
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

/// An API key as it is kept: everything but the key itself (only its secret's digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tenant_id: Option<TenantId>,
    pub roles: Vec<String>,
    pub secret_hash: String,
    pub created_at: String,
    pub created_by: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub revoked_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub revoked_by: Option<String>,
}

impl ApiKey {
    /// A new key named by `new`, with the digest of `generated`'s secret.
    pub fn create(new: NewApiKey, generated: &GeneratedKey, now: &str, created_by: &str) -> Self {
        Self {
            id: generated.id.clone(),
            name: new.name,
            tenant_id: new.tenant_id,
            roles: new.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            secret_hash: digest(&generated.secret),
            created_at: now.to_owned(),
            created_by: created_by.to_owned(),
            revoked_at: None,
            revoked_by: None,
        }
    }

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
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub name: String,
    pub tenant_id: Option<TenantId>,
    #[schema(value_type = Vec<Role>)]
    pub roles: Vec<String>,
    /// `active`, or `revoked` once revoked.
    #[schema(value_type = String, pattern = "^(active|revoked)$")]
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
    pub tenant_id: Option<TenantId>,
    pub roles: Roles,
}

impl NewApiKey {
    /// Validates `{"name", "roles", "tenantId"?}`: a platform key holds `platform_admin`;
    /// a tenant key holds `tenant_admin` and/or `tenant_member`.
    pub fn from_json(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut problems = Problems::default();
        problems.reject_unknown(body, &["name", "roles", "tenantId"]);
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
                .map(Some)
                .map_err(|why| problems.add("tenantId", why))
                .ok(),
            Some(_) => {
                problems.add("tenantId", "must be a string");
                None
            }
        };
        let roles = parse_roles(body.get("roles"), &mut problems);
        if let (Some(Some(_)), Some(roles)) = (&tenant_id, &roles) {
            if roles.iter().any(|r| !r.is_tenant_role()) {
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
                    "tenant roles need a tenantId; a platform key holds platform roles (platform_admin, login_service, provisioner)",
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

/// Whom a `POST /v1/api-keys` body asks a key for, read before the body is validated: the
/// tenant named decides who may create the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFor {
    /// No `tenantId` (or `null`): a platform key.
    Platform,
    /// A key bound to this tenant.
    Tenant(TenantId),
    /// A `tenantId` that names no tenant: the body is refused (400).
    Malformed,
}

impl KeyFor {
    /// Whom `body` asks a key for.
    pub fn of(body: &Map<String, Value>) -> Self {
        match body.get("tenantId") {
            None | Some(Value::Null) => Self::Platform,
            Some(Value::String(text)) => TenantId::parse(text)
                .map(Self::Tenant)
                .unwrap_or(Self::Malformed),
            Some(_) => Self::Malformed,
        }
    }
}

/// Whether `body` asks for a role beyond `tenant_member`: `tenant_admin`, which counts the
/// tenant's usage, or a platform role. A name this API does not know asks for nothing
/// (validation refuses it).
pub fn asks_beyond_member(body: &Map<String, Value>) -> bool {
    match body.get("roles") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_str().and_then(Role::parse))
            .any(|role| role != Role::TenantMember),
        _ => false,
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
                    "each role must be one of: platform_admin, tenant_admin, tenant_member, login_service, provisioner",
                );
                return None;
            }
        }
    }
    Some(roles)
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
        assert!(ApiKeyId::parse(id.as_str()).is_ok());
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
    fn a_body_names_its_keys_tenant_and_whether_it_asks_beyond_member() {
        let tenant = "tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f";
        let of = |body: Value| KeyFor::of(body.as_object().unwrap());
        assert_eq!(of(json!({})), KeyFor::Platform);
        assert_eq!(of(json!({"tenantId": null})), KeyFor::Platform);
        assert_eq!(
            of(json!({"tenantId": tenant})),
            KeyFor::Tenant(TenantId::parse(tenant).unwrap())
        );
        assert_eq!(of(json!({"tenantId": "acme"})), KeyFor::Malformed);
        assert_eq!(of(json!({"tenantId": 7})), KeyFor::Malformed);
        let asks = |roles: Value| asks_beyond_member(json!({"roles": roles}).as_object().unwrap());
        assert!(!asks(json!(["tenant_member"])));
        assert!(!asks(json!(["tenant_member", "root", 3])));
        assert!(!asks(json!("tenant_admin")));
        assert!(asks(json!(["tenant_member", "tenant_admin"])));
        assert!(asks(json!(["platform_admin"])));
        assert!(asks(json!(["provisioner"])));
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
