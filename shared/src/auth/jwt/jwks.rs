//! The issuer's JWKS: downloading it, keeping it as long as the issuer says, refreshing
//! it for an unknown `kid`, and picking a token's key from it.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};

use crate::auth::credentials::invalid;
use crate::error::ApiError;

use super::*;

#[derive(Default)]
pub(super) struct JwksCache {
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
    /// The JWKS key for `kid`, downloading the set on first use and once more (rate
    /// limited) when `kid` is unknown.
    pub(super) async fn jwks_key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<DecodingKey, ApiError> {
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
