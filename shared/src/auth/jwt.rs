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

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::credentials::{invalid, Caller, CallerKind};
use crate::domain::roles::{self, Role, Roles};
use crate::domain::values::DomainName;
use crate::domain::{TenantId, UserId};
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

#[derive(Default)]
struct JwksCache {
    keys: Option<JwkSet>,
    /// When `keys` stop being trusted and must be downloaded again.
    expires_at: Option<Instant>,
    /// When the last download was attempted.
    fetched_at: Option<Instant>,
    /// When an unknown `kid` last caused a download.
    refreshed_at: Option<Instant>,
    client: Option<HttpsClient>,
}

type HttpsClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Empty<Bytes>,
>;

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

    /// The JWKS key for `kid`, downloading the set on first use and once more (rate
    /// limited) when `kid` is unknown.
    async fn jwks_key(&self, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, ApiError> {
        let Some(url) = self.settings.jwks_url.as_deref() else {
            return Err(invalid(format!(
                "{alg:?} tokens need a JWKS, none is configured"
            )));
        };
        let mut cache = self.jwks.lock().await;
        if cache.expires_at.is_some_and(|at| Instant::now() >= at) {
            // Past its time to live: a key withdrawn since must not verify any more.
            cache.keys = None;
            cache.expires_at = None;
            cache.fetched_at = None;
        }
        let fresh = cache.keys.is_none();
        if fresh {
            // An issuer that just failed is not asked again on every request.
            if cache
                .fetched_at
                .is_some_and(|at| at.elapsed() < JWKS_RETRY_AFTER_FAILURE)
            {
                return Err(ApiError::Unavailable(format!(
                    "the JWKS at {url} failed to load a moment ago"
                )));
            }
            fetch_into(&mut cache, url).await?;
        }
        let mut jwk = cache.keys.as_ref().and_then(|set| pick(set, kid).cloned());
        let may_refresh = cache
            .refreshed_at
            .is_none_or(|at| at.elapsed() >= JWKS_REFRESH_INTERVAL);
        // A set downloaded just now is already the newest: no second download for it.
        if jwk.is_none() && may_refresh && !fresh {
            // The issuer may have rotated its keys since we loaded them.
            cache.refreshed_at = Some(Instant::now());
            fetch_into(&mut cache, url).await?;
            jwk = cache.keys.as_ref().and_then(|set| pick(set, kid).cloned());
        }
        let jwk = jwk.ok_or_else(|| invalid(format!("no JWKS key with kid {kid:?}")))?;
        if let Some(key_alg) = jwk.common.key_algorithm {
            if format!("{key_alg:?}") != format!("{alg:?}") {
                return Err(invalid(format!(
                    "key {kid:?} is for {key_alg:?}, not {alg:?}"
                )));
            }
        }
        DecodingKey::from_jwk(&jwk).map_err(|e| invalid(format!("unusable JWKS key: {e}")))
    }
}

/// The key for `kid`; a token without `kid` may use a set's only key.
fn pick<'a>(set: &'a JwkSet, kid: Option<&str>) -> Option<&'a Jwk> {
    match kid {
        Some(kid) => set.find(kid),
        None if set.keys.len() == 1 => set.keys.first(),
        None => None,
    }
}

async fn fetch_into(cache: &mut JwksCache, url: &str) -> Result<(), ApiError> {
    let started = Instant::now();
    cache.fetched_at = Some(started);
    let client = cache.client.get_or_insert_with(https_client);
    let (set, ttl) = fetch(client, url)
        .await
        .map_err(|e| ApiError::Unavailable(format!("could not load the JWKS from {url}: {e}")))?;
    cache.keys = Some(set);
    cache.expires_at = Some(started + ttl);
    Ok(())
}

/// How long a JWKS response may be trusted, from its `Cache-Control` header: `max-age`
/// clamped to [`JWKS_MIN_TTL`]..=[`JWKS_MAX_TTL`]; `no-cache`, `no-store` or `max-age=0`
/// is [`JWKS_REVALIDATE_TTL`]; no header, or no readable `max-age`, is
/// [`JWKS_DEFAULT_TTL`].
pub fn jwks_ttl(cache_control: Option<&str>) -> Duration {
    let Some(header) = cache_control else {
        return JWKS_DEFAULT_TTL;
    };
    let mut max_age = None;
    for directive in header.split(',') {
        let directive = directive.trim();
        let (name, value) = match directive.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim().trim_matches('"'))),
            None => (directive, None),
        };
        if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
            return JWKS_REVALIDATE_TTL;
        }
        if name.eq_ignore_ascii_case("max-age") {
            // RFC 9111 §1.2.2: a delta too large to represent is "infinity".
            max_age = value
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .map(|v| v.parse::<u64>().unwrap_or(u64::MAX));
        }
    }
    match max_age {
        Some(0) => JWKS_REVALIDATE_TTL,
        Some(seconds) => Duration::from_secs(seconds).clamp(JWKS_MIN_TTL, JWKS_MAX_TTL),
        None => JWKS_DEFAULT_TTL,
    }
}

fn https_client() -> HttpsClient {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(connector)
}

/// The JWKS at `url` and how long it may be trusted.
async fn fetch(client: &HttpsClient, url: &str) -> Result<(JwkSet, Duration), String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("bad URL: {e}"))?;
    let request = hyper::Request::get(uri)
        .header("accept", "application/json")
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let response = tokio::time::timeout(JWKS_TIMEOUT, client.request(request))
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    let ttl = jwks_ttl(
        response
            .headers()
            .get(hyper::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
    );
    let body = tokio::time::timeout(
        JWKS_TIMEOUT,
        Limited::new(response.into_body(), JWKS_MAX_BYTES).collect(),
    )
    .await
    .map_err(|_| "timed out reading the body".to_owned())?
    .map_err(|e| e.to_string())?
    .to_bytes();
    let set = serde_json::from_slice(&body).map_err(|e| format!("not a JWKS: {e}"))?;
    Ok((set, ttl))
}

/// The caller a verified token's claims describe.
pub fn caller_from_claims(
    claims: &Map<String, Value>,
    settings: &JwtSettings,
) -> Result<Caller, ApiError> {
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("token has no string sub"))?;
    let user = UserId::parse(sub).map_err(|e| invalid(format!("token sub {e}")))?;
    let roles: Roles = match claims.get(&settings.roles_claim) {
        None | Some(Value::Null) => Roles::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter_map(Role::parse)
            .collect(),
        Some(Value::String(text)) => text
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter_map(Role::parse)
            .collect(),
        Some(_) => return Err(invalid("token roles claim is neither a list nor a string")),
    };
    let tenant = match claims.get(&settings.tenant_claim) {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => {
            Some(TenantId::parse(id).map_err(|e| invalid(format!("token tenant claim {e}")))?)
        }
        Some(_) => return Err(invalid("token tenant claim is not a string")),
    };
    let (platform_roles, bound_roles) = roles::split(&roles, tenant.is_some());
    // The email's domain admits its user to an email-domain tenant, but only when the
    // issuer says it verified the address; anything else about the email is ignored.
    let verified = matches!(
        claims.get(&settings.email_verified_claim),
        Some(Value::Bool(true))
    ) || matches!(claims.get(&settings.email_verified_claim), Some(Value::String(v)) if v == "true");
    let verified_email = claims
        .get(&settings.email_claim)
        .and_then(Value::as_str)
        .filter(|_| verified)
        .map(str::trim)
        .filter(|email| !email.is_empty());
    let verified_email_domain = verified_email.and_then(email_domain);
    let verified_email = verified_email.map(str::to_owned);
    Ok(Caller {
        kind: CallerKind::User,
        id: user.to_string(),
        platform_roles,
        bound_tenant: tenant,
        bound_roles,
        verified_email_domain,
        verified_email,
    })
}

/// The domain of an email address, normalised as domains are (IDNA, lower case).
pub fn email_domain(email: &str) -> Option<DomainName> {
    let (local, domain) = email.trim().rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    let ascii = idna::domain_to_ascii_strict(domain.trim_end_matches('.')).ok()?;
    DomainName::parse(&ascii).ok()
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings() -> JwtSettings {
        JwtSettings {
            issuer: "https://issuer.test".into(),
            audience: "tenant-api".into(),
            hs256_secret: Some(vec![7; 32]),
            jwks_url: None,
            roles_claim: "roles".into(),
            tenant_claim: "tenant_id".into(),
            leeway_seconds: 0,
            email_claim: "email".into(),
            email_verified_claim: "email_verified".into(),
        }
    }

    const TENANT: &str = "tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f";

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn tenant_roles_bind_to_the_tenant_claim() {
        let caller = caller_from_claims(
            &claims(json!({"sub": "alice", "roles": ["tenant_admin", "x"], "tenant_id": TENANT})),
            &settings(),
        )
        .unwrap();
        assert_eq!(caller.bound_tenant.as_deref(), Some(TENANT));
        assert_eq!(caller.bound_roles, Roles::from([Role::TenantAdmin]));
        assert!(caller.platform_roles.is_empty());
    }

    #[test]
    fn tenant_roles_without_a_tenant_are_ignored() {
        let caller = caller_from_claims(
            &claims(json!({"sub": "bob", "roles": "tenant_admin platform_admin"})),
            &settings(),
        )
        .unwrap();
        assert!(caller.bound_roles.is_empty());
        assert!(caller.is_platform_admin());
    }

    #[test]
    fn cognito_groups_can_be_the_roles_claim() {
        let mut s = settings();
        s.roles_claim = "cognito:groups".into();
        s.tenant_claim = "custom:tenant_id".into();
        let caller = caller_from_claims(
            &claims(json!({"sub": "c", "cognito:groups": ["tenant_member"], "custom:tenant_id": TENANT})),
            &s,
        )
        .unwrap();
        assert_eq!(caller.bound_roles, Roles::from([Role::TenantMember]));
    }

    #[test]
    fn the_email_counts_only_when_the_configured_verified_claim_says_true() {
        let mut s = settings();
        s.email_claim = "mail".into();
        s.email_verified_claim = "mail_ok".into();
        let caller = |value: Value| caller_from_claims(&claims(value), &s).unwrap();
        let verified = caller(json!({"sub": "a", "mail": " Ada@Acme.Example ", "mail_ok": true}));
        assert_eq!(verified.verified_email.as_deref(), Some("Ada@Acme.Example"));
        assert!(verified.has_verified_email("ada@acme.example"));
        assert!(!verified.has_verified_email("eve@acme.example"));
        let as_text = caller(json!({"sub": "a", "mail": "ada@acme.example", "mail_ok": "true"}));
        assert!(as_text.has_verified_email("ada@acme.example"));
        for unverified in [
            json!({"sub": "a", "mail": "ada@acme.example", "mail_ok": false}),
            json!({"sub": "a", "mail": "ada@acme.example"}),
            json!({"sub": "a", "email": "ada@acme.example", "email_verified": true}),
        ] {
            let c = caller(unverified.clone());
            assert_eq!(c.verified_email, None, "{unverified}");
            assert!(!c.has_verified_email("ada@acme.example"));
        }
    }

    #[test]
    fn malformed_claims_are_invalid_credentials() {
        for bad in [
            json!({"roles": ["platform_admin"]}),
            json!({"sub": "has space"}),
            json!({"sub": "a", "tenant_id": "acme"}),
            json!({"sub": "a", "roles": 3}),
        ] {
            assert!(matches!(
                caller_from_claims(&claims(bad), &settings()),
                Err(ApiError::Unauthenticated { presented: true })
            ));
        }
    }

    #[tokio::test]
    async fn minted_tokens_verify_and_tampered_or_expired_ones_do_not() {
        let verifier = JwtVerifier::new(settings());
        let dev = DevClaims {
            sub: "alice",
            roles: &[Role::PlatformAdmin],
            tenant_id: None,
            expires_in: 60,
            email: None,
        };
        let token = mint_hs256(&settings(), &dev).unwrap();
        assert!(verifier.verify(&token).await.unwrap().is_platform_admin());

        let expired = mint_hs256(
            &settings(),
            &DevClaims {
                expires_in: -60,
                ..dev.clone()
            },
        )
        .unwrap();
        assert!(verifier.verify(&expired).await.is_err());

        let mut other = settings();
        other.hs256_secret = Some(vec![8; 32]);
        let forged = mint_hs256(&other, &dev).unwrap();
        assert!(verifier.verify(&forged).await.is_err());

        other = settings();
        other.audience = "someone-else".into();
        let wrong_audience = mint_hs256(&other, &dev).unwrap();
        assert!(verifier.verify(&wrong_audience).await.is_err());

        other = settings();
        other.issuer = "https://evil.test".into();
        let wrong_issuer = mint_hs256(&other, &dev).unwrap();
        assert!(verifier.verify(&wrong_issuer).await.is_err());
    }

    #[test]
    fn the_jwks_is_trusted_for_its_max_age_within_one_second_and_one_hour_and_a_minute_when_told_not_to_cache(
    ) {
        let secs = |header| jwks_ttl(header).as_secs();
        assert_eq!(secs(None), 600, "no header: the default");
        assert_eq!(secs(Some("public, max-age=300")), 300);
        assert_eq!(secs(Some("max-age=\"120\", must-revalidate")), 120);
        assert_eq!(secs(Some("MAX-AGE=86400")), 3600, "at most an hour");
        assert_eq!(secs(Some("max-age=99999999999999999999999")), 3600);
        assert_eq!(secs(Some("max-age=1")), 1, "at least a second");
        assert_eq!(secs(Some("max-age=0")), 60, "revalidate: once a minute");
        assert_eq!(secs(Some("no-store")), 60);
        assert_eq!(secs(Some("max-age=3600, no-cache")), 60);
        assert_eq!(secs(Some("public")), 600, "no max-age: the default");
        assert_eq!(secs(Some("max-age=-5")), 600, "unreadable: the default");
        assert_eq!(secs(Some("max-age=")), 600);
    }

    #[tokio::test]
    async fn unsigned_tokens_are_refused() {
        // {"alg":"none"} . {"sub":"a"} . (no signature)
        let token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.";
        assert!(JwtVerifier::new(settings()).verify(token).await.is_err());
    }
}
