//! Sign-in to the console with OpenID Connect: the authorization code flow with PKCE,
//! `state` and `nonce`, as a confidential client of the platform's identity provider
//! (Cognito or any OIDC issuer), with the `openidconnect` crate.
//!
//! The provider's metadata and signing keys are discovered on the first sign-in of an
//! execution environment, never at cold start (a page view of a signed-in person needs
//! neither). A sign-in's ID token is verified here (signature, `iss`, `aud`, `exp`,
//! `nonce`); its claims then name the [`Caller`] through the same mapping bearer tokens
//! use ([`super::jwt::caller_from_claims`]), so a person has the same roles in the console
//! as their token would give them on the API.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreProviderMetadata,
};
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use crate::error::ApiError;

/// Longest wait for one request to the identity provider.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest answer accepted from the identity provider.
const PROVIDER_MAX_BYTES: usize = 512 * 1024;
/// How long discovered metadata and keys are kept before the next sign-in fetches them
/// again (a provider's rotated keys are picked up within the hour).
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// The console's client registration at the identity provider.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcSettings {
    /// The provider's issuer URL (`<issuer>/.well-known/openid-configuration` is read).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Where the provider sends the browser back: `<console origin>/console/callback`.
    pub redirect_url: String,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<set>")
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// A sign-in begun: where to send the browser, and the secrets that must come back with
/// it (kept on the server, never in the browser).
pub struct Started {
    pub authorize_url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Started").finish_non_exhaustive()
    }
}

/// A sign-in completed: the ID token's verified claims and when it expires.
#[derive(Debug)]
pub struct SignedIn {
    pub claims: Map<String, Value>,
    /// Unix seconds.
    pub expires_at: i64,
}

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

type HttpsClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

/// The console's OpenID Connect client; holds the discovered provider of this execution
/// environment.
pub struct Oidc {
    settings: OidcSettings,
    http: HttpsClient,
    provider: Mutex<Option<(Arc<Client>, std::time::Instant)>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Why talking to the identity provider failed (logged; the person sees a 503 page).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProviderFailure(String);

impl Oidc {
    /// A client for `settings`. Nothing is fetched until the first sign-in.
    pub fn new(settings: OidcSettings) -> Self {
        // Plain http only for a provider on this machine (local development): elsewhere
        // the client secret and the codes must never travel in the clear, whatever the
        // discovery document says the endpoints are.
        let builder = hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots();
        let builder = if is_loopback_http(&settings.issuer) {
            builder.https_or_http()
        } else {
            builder.https_only()
        };
        let connector = builder.enable_http1().build();
        let http =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(connector);
        Self {
            settings,
            http,
            provider: Mutex::new(None),
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &OidcSettings {
        &self.settings
    }

    /// The provider's client, discovering it when not yet known (or known for an hour), or
    /// again when `refresh` (its keys may have rotated).
    async fn client(&self, refresh: bool) -> Result<Arc<Client>, ApiError> {
        let mut cached = self.provider.lock().await;
        if let Some((client, at)) = cached.as_ref() {
            if at.elapsed() < METADATA_TTL && !refresh {
                return Ok(client.clone());
            }
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| unavailable(format!("issuer URL: {e}")))?;
        let metadata =
            CoreProviderMetadata::discover_async(issuer, &ProviderHttp(self.http.clone()))
                .await
                .map_err(|e| unavailable(format!("discovery: {}", chain(&e))))?;
        // Basic authentication unless the provider says it only takes the secret in the
        // body.
        let auth_type = match metadata.token_endpoint_auth_methods_supported() {
            Some(methods)
                if !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                    && methods.contains(&CoreClientAuthMethod::ClientSecretPost) =>
            {
                AuthType::RequestBody
            }
            _ => AuthType::BasicAuth,
        };
        let redirect = RedirectUrl::new(self.settings.redirect_url.clone())
            .map_err(|e| ApiError::internal("the console's redirect URL", e))?;
        let client = Client::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.clone())),
        )
        .set_redirect_uri(redirect)
        .set_auth_type(auth_type);
        let client = Arc::new(client);
        *cached = Some((client.clone(), std::time::Instant::now()));
        Ok(client)
    }

    /// Begins a sign-in: a fresh `state`, `nonce` and PKCE verifier, and the provider's
    /// authorization URL that carries the first two and the verifier's S256 challenge.
    pub async fn start(&self) -> Result<Started, ApiError> {
        let client = self.client(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in &self.settings.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(Started {
            authorize_url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Completes a sign-in: exchanges `code` with the PKCE verifier and verifies the ID
    /// token (signature, issuer, audience, expiry and `nonce`). A code the provider refuses
    /// (replayed, expired, for another client) or a token that does not verify is
    /// `Unauthenticated`; a provider that cannot be reached is `Unavailable`.
    pub async fn finish(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<SignedIn, ApiError> {
        let client = self.client(false).await?;
        let http = ProviderHttp(self.http.clone());
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| unavailable(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(refusal) => {
                    // A replayed or expired code, or a misconfigured client
                    // (`invalid_client`): worth an operator's look.
                    tracing::warn!(refusal = ?refusal, "the identity provider refused a code");
                    super::credentials::invalid("the provider refused the code")
                }
                other => unavailable(format!("token request: {}", chain(&other))),
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| super::credentials::invalid("the provider sent no ID token"))?;
        let nonce = Nonce::new(nonce.to_owned());
        let expires_at = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(verified) => verified.expiration().timestamp(),
            // Signed with a key this environment has not seen: the provider may have
            // rotated its keys since discovery; verify once more with a fresh key set.
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {
                let fresh = self.client(true).await?;
                let verifier = fresh.id_token_verifier();
                id_token
                    .claims(&verifier, &nonce)
                    .map_err(|e| super::credentials::invalid(format!("ID token rejected: {e}")))?
                    .expiration()
                    .timestamp()
            }
            Err(e) => {
                return Err(super::credentials::invalid(format!(
                    "ID token rejected: {e}"
                )))
            }
        };
        // The signature over these bytes was just verified: read every claim from them,
        // the roles and tenant claims included (openidconnect types the standard ones only).
        let claims = payload(&id_token.to_string())
            .ok_or_else(|| super::credentials::invalid("unreadable ID token payload"))?;
        Ok(SignedIn { claims, expires_at })
    }
}

/// Whether `issuer` is plain http on this machine (`127.0.0.1`, `[::1]`, `localhost`).
fn is_loopback_http(issuer: &str) -> bool {
    let Some(rest) = issuer.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "127.0.0.1" | "[::1]" | "localhost")
}

/// The JSON claims of a compact JWS.
fn payload(jwt: &str) -> Option<Map<String, Value>> {
    let body = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn unavailable(detail: String) -> ApiError {
    ApiError::Unavailable(format!("identity provider: {detail}"))
}

/// An error and its sources, in one line.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// The HTTP client `openidconnect` sends the provider's requests with: a handle on the
/// console's hyper client, whose answers are `Send` futures owning what they use.
struct ProviderHttp(HttpsClient);

type Sending = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<HttpResponse, ProviderFailure>> + Send>,
>;

impl<'c> openidconnect::AsyncHttpClient<'c> for ProviderHttp {
    type Error = ProviderFailure;
    type Future = Sending;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        let client = self.0.clone();
        Box::pin(async move { send(&client, request).await })
    }
}

/// Sends one request to the identity provider, bounded in time and size.
async fn send(client: &HttpsClient, request: HttpRequest) -> Result<HttpResponse, ProviderFailure> {
    let (parts, body) = request.into_parts();
    let request = hyper::Request::from_parts(parts, Full::new(Bytes::from(body)));
    let response = tokio::time::timeout(PROVIDER_TIMEOUT, client.request(request))
        .await
        .map_err(|_| ProviderFailure("timed out".to_owned()))?
        .map_err(|e| ProviderFailure(e.to_string()))?;
    let (parts, body) = response.into_parts();
    let bytes = tokio::time::timeout(
        PROVIDER_TIMEOUT,
        Limited::new(body, PROVIDER_MAX_BYTES).collect(),
    )
    .await
    .map_err(|_| ProviderFailure("timed out reading the answer".to_owned()))?
    .map_err(|e| ProviderFailure(e.to_string()))?
    .to_bytes();
    Ok(HttpResponse::from_parts(parts, bytes.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_of_a_compact_jws_is_its_middle_part() {
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":"ada","roles":["platform_admin"]}"#);
        let map = payload(&format!("e30.{claims}.c2ln")).unwrap();
        assert_eq!(map["sub"], "ada");
        assert!(payload("e30").is_none());
        assert!(payload("e30.bm90IGpzb24.x").is_none());
    }

    #[test]
    fn plain_http_is_for_providers_on_this_machine_only() {
        assert!(is_loopback_http("http://127.0.0.1:9400"));
        assert!(is_loopback_http("http://localhost/realms/x"));
        assert!(is_loopback_http("http://[::1]:8080"));
        assert!(!is_loopback_http("https://127.0.0.1"));
        assert!(!is_loopback_http("http://idp.example.com"));
        assert!(!is_loopback_http("http://127.0.0.1.evil.example"));
        assert!(!is_loopback_http("http://localhost@evil.example"));
    }

    #[test]
    fn the_client_secret_never_reaches_debug_output() {
        let settings = OidcSettings {
            issuer: "https://idp".to_owned(),
            client_id: "console".to_owned(),
            client_secret: "s3cr3t-value".to_owned(),
            redirect_url: "https://app/console/callback".to_owned(),
            scopes: vec![],
        };
        assert!(!format!("{:?}", Oidc::new(settings)).contains("s3cr3t"));
    }
}
