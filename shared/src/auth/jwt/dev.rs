//! Minting HS256 tokens for local development, tests and `tenantctl`.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Map;

use crate::domain::roles::Role;

use super::*;

/// Claims for a token minted by [`mint_hs256`].
#[derive(Debug, Clone)]
pub struct DevClaims<'a> {
    pub sub: &'a str,
    pub roles: &'a [Role],
    pub tenant_id: Option<&'a str>,
    /// Seconds from now until the token expires (negative for an expired token).
    pub expires_in: i64,
    /// An email claim, and whether it is marked verified.
    pub email: Option<(&'a str, bool)>,
}

/// Mints an HS256 token for `settings` (local development, tests and `tenantctl`).
pub fn mint_hs256(settings: &JwtSettings, claims: &DevClaims<'_>) -> Result<String, String> {
    let secret = settings
        .hs256_secret
        .as_deref()
        .ok_or("no HS256 secret is configured")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut body = Map::new();
    body.insert("iss".into(), settings.issuer.clone().into());
    body.insert("aud".into(), settings.audience.clone().into());
    body.insert("sub".into(), claims.sub.into());
    body.insert("iat".into(), now.into());
    body.insert("exp".into(), (now + claims.expires_in).into());
    body.insert(
        settings.roles_claim.clone(),
        claims
            .roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .into(),
    );
    if let Some(tenant) = claims.tenant_id {
        body.insert(settings.tenant_claim.clone(), tenant.into());
    }
    if let Some((email, verified)) = claims.email {
        body.insert(settings.email_claim.clone(), email.into());
        body.insert(settings.email_verified_claim.clone(), verified.into());
    }
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &body,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|e| e.to_string())
}
