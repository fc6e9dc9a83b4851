//! Bearer tokens: JWT verification.
//!
//! RS256 and ES256 tokens are checked against the issuer's JWKS, downloaded on the first
//! token that needs it and kept for as long as the issuer's `Cache-Control: max-age` says
//! (10 minutes without one, at least 1 second, at most an hour): the first token after
//! that downloads it again, so a key the issuer withdrew stops verifying within the hour
//! at the latest (and a JWKS that cannot be downloaded then is a 503: expired keys are
//! not trusted). A token whose `kid` is not in the cached set also triggers a refresh
//! (at most one a minute, so random `kid`s cannot make us hammer the issuer). HS256
//! tokens are checked with a shared secret,
//! meant for local development and tests. Every token must carry a valid signature, `exp`,
//! `iss`, `aud` and `sub`; `nbf` is honoured when present.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::credentials::{invalid, Caller};
use crate::error::ApiError;

/// Shortest HS256 secret accepted, in bytes (RFC 7518 §3.2: at least the hash size).
pub const MIN_HS256_SECRET_BYTES: usize = 32;
/// Least time between two JWKS downloads triggered by unknown `kid`s.
const JWKS_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// Least time before a JWKS that failed to load is asked for again.
const JWKS_RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);
/// Longest wait for the JWKS.
const JWKS_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest JWKS document accepted.
const JWKS_MAX_BYTES: usize = 256 * 1024;
/// How long a JWKS is trusted when its response has no `Cache-Control: max-age`.
pub const JWKS_DEFAULT_TTL: Duration = Duration::from_secs(600);
/// The longest a JWKS is trusted, whatever its `max-age` says.
pub const JWKS_MAX_TTL: Duration = Duration::from_secs(3600);
/// The shortest a JWKS is kept when its `max-age` says so: at most one download a second
/// per execution environment.
pub const JWKS_MIN_TTL: Duration = Duration::from_secs(1);
/// How long a JWKS served with `no-cache`, `no-store` or `max-age=0` is kept. Some
/// issuers send these on their key sets by default (Keycloak's `no-cache`); honoured
/// literally, every token would wait on a download, and an issuer's brief outage would
/// fail every token at once. Once a minute per execution environment revalidates often.
pub const JWKS_REVALIDATE_TTL: Duration = Duration::from_secs(60);

/// How bearer tokens are checked.
#[derive(Clone, PartialEq, Eq)]
pub struct JwtSettings {
    /// Required `iss`.
    pub issuer: String,
    /// Required `aud` (one of the token's audiences).
    pub audience: String,
    /// Secret for HS256 tokens; `None` refuses HS256.
    pub hs256_secret: Option<Vec<u8>>,
    /// Where the issuer publishes its signing keys; `None` refuses RS256/ES256.
    pub jwks_url: Option<String>,
    /// Claim holding the caller's roles (an array, or a space- or comma-separated string).
    pub roles_claim: String,
    /// Claim holding the caller's tenant id.
    pub tenant_claim: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
    /// Claim holding the caller's email address.
    pub email_claim: String,
    /// Claim saying whether the issuer verified that address (`true` or `"true"`).
    pub email_verified_claim: String,
}

impl std::fmt::Debug for JwtSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSettings")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("hs256_secret", &self.hs256_secret.as_ref().map(|_| "<set>"))
            .field("jwks_url", &self.jwks_url)
            .field("roles_claim", &self.roles_claim)
            .field("tenant_claim", &self.tenant_claim)
            .field("leeway_seconds", &self.leeway_seconds)
            .field("email_claim", &self.email_claim)
            .field("email_verified_claim", &self.email_verified_claim)
            .finish()
    }
}

/// Verifies bearer tokens; holds the JWKS cache of this execution environment.
pub struct JwtVerifier {
    settings: JwtSettings,
    hs256_key: Option<DecodingKey>,
    jwks: Mutex<JwksCache>,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// A verifier for `settings`. Nothing is downloaded until a token needs the JWKS.
    pub fn new(settings: JwtSettings) -> Self {
        let hs256_key = settings
            .hs256_secret
            .as_deref()
            .map(DecodingKey::from_secret);
        Self {
            settings,
            hs256_key,
            jwks: Mutex::new(JwksCache::default()),
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &JwtSettings {
        &self.settings
    }

    /// Verifies `token` and returns the caller it names.
    pub async fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| invalid(format!("unreadable token header: {e}")))?;
        let key = match header.alg {
            Algorithm::HS256 => self
                .hs256_key
                .clone()
                .ok_or_else(|| invalid("HS256 tokens are not accepted"))?,
            Algorithm::RS256 | Algorithm::ES256 => {
                self.jwks_key(header.kid.as_deref(), header.alg).await?
            }
            other => return Err(invalid(format!("algorithm {other:?} is not accepted"))),
        };
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.settings.leeway_seconds;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| invalid(format!("token rejected: {e}")))?;
        caller_from_claims(&data.claims, &self.settings)
    }
}

mod claims;
mod dev;
mod jwks;

pub use claims::{caller_from_claims, email_domain};
pub use dev::{mint_hs256, DevClaims};
pub use jwks::jwks_ttl;
use jwks::JwksCache;

#[cfg(test)]
mod tests;
