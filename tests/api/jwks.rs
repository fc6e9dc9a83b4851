//! RS256 and ES256 tokens verified against an issuer's JWKS, served on loopback.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use integration_tests::{spawn_app_with, workspace_root, TestRequest, TEST_AUDIENCE, TEST_ISSUER};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A JWKS endpoint whose document can change, counting how often it is fetched.
struct Issuer {
    url: String,
    jwks: Arc<Mutex<Value>>,
    hits: Arc<AtomicUsize>,
}

async fn issuer(jwks: Value) -> Issuer {
    issuer_caching(jwks, None).await
}

/// [`issuer`] answering with `Cache-Control: <cache_control>` when given.
async fn issuer_caching(jwks: Value, cache_control: Option<&str>) -> Issuer {
    let cache_header = cache_control
        .map(|value| format!("cache-control: {value}\r\n"))
        .unwrap_or_default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().unwrap()
    );
    let document = Arc::new(Mutex::new(jwks));
    let hits = Arc::new(AtomicUsize::new(0));
    let (doc, count) = (document.clone(), hits.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 4096];
            let _ = socket.read(&mut buf).await;
            count.fetch_add(1, Ordering::SeqCst);
            let body = doc.lock().unwrap().to_string();
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{cache_header}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    Issuer {
        url,
        jwks: document,
        hits,
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(workspace_root().join("tests/support/keys").join(name)).unwrap()
}

fn all_keys() -> Value {
    serde_json::from_slice(&fixture("jwks.json")).unwrap()
}

fn only(kid: &str) -> Value {
    let mut set = all_keys();
    set["keys"]
        .as_array_mut()
        .unwrap()
        .retain(|k| k["kid"] == kid);
    set
}

fn sign(alg: Algorithm, kid: &str, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": TEST_ISSUER, "aud": TEST_AUDIENCE, "sub": "oidc-user",
        "exp": now + 600, "nbf": now - 10, "roles": ["platform_admin"],
    });
    jsonwebtoken::encode(&header, &claims, key).unwrap()
}

fn rsa() -> EncodingKey {
    EncodingKey::from_rsa_pem(&fixture("rsa-private.pem")).unwrap()
}

fn ec() -> EncodingKey {
    EncodingKey::from_ec_pem(&fixture("ec-private.pem")).unwrap()
}

#[tokio::test]
async fn rs256_and_es256_tokens_verify_with_one_jwks_download() {
    let issuer = issuer(all_keys()).await;
    let app = spawn_app_with(&[("JWT_JWKS_URL", &issuer.url)]).await;
    for token in [
        sign(Algorithm::RS256, "rsa-1", &rsa()),
        sign(Algorithm::ES256, "ec-1", &ec()),
    ] {
        let response = app
            .send(TestRequest::new("GET", "/v1/tenants").bearer(&token))
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
    }
    assert_eq!(issuer.hits.load(Ordering::SeqCst), 1, "the JWKS is cached");
}

#[tokio::test]
async fn an_unknown_kid_refreshes_the_jwks_once_then_waits() {
    let issuer = issuer(only("rsa-1")).await;
    let app = spawn_app_with(&[("JWT_JWKS_URL", &issuer.url)]).await;
    let get = |token: String| TestRequest::new("GET", "/v1/tenants").bearer(&token);
    assert_eq!(
        app.send(get(sign(Algorithm::RS256, "rsa-1", &rsa())))
            .await
            .status,
        200
    );

    // The issuer rotates in a new key: the first token signed with it triggers a refresh.
    *issuer.jwks.lock().unwrap() = all_keys();
    assert_eq!(
        app.send(get(sign(Algorithm::ES256, "ec-1", &ec())))
            .await
            .status,
        200
    );
    assert_eq!(issuer.hits.load(Ordering::SeqCst), 2);

    // Made-up kids do not make us download again and again.
    for _ in 0..3 {
        let response = app
            .send(get(sign(Algorithm::ES256, "made-up", &ec())))
            .await;
        assert_eq!(response.status, 401);
    }
    assert_eq!(issuer.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_key_used_for_the_wrong_algorithm_or_a_forged_signature_is_refused() {
    let issuer = issuer(all_keys()).await;
    let app = spawn_app_with(&[("JWT_JWKS_URL", &issuer.url)]).await;
    // ES256 signature presented under the RSA key's kid.
    let mismatched = sign(Algorithm::ES256, "rsa-1", &ec());
    // HS256 under an RSA kid: HS256 is only ever checked with the shared secret.
    let confused = sign(
        Algorithm::HS256,
        "rsa-1",
        &EncodingKey::from_secret(b"guessed-secret-guessed-secret-123"),
    );
    for token in [mismatched, confused] {
        let response = app
            .send(TestRequest::new("GET", "/v1/tenants").bearer(&token))
            .await;
        assert_eq!(response.status, 401, "{}", response.body);
    }
}

#[tokio::test]
async fn an_unreachable_jwks_is_a_503_not_a_401() {
    let app = spawn_app_with(&[("JWT_JWKS_URL", "http://127.0.0.1:9/jwks.json")]).await;
    let token = sign(Algorithm::RS256, "rsa-1", &rsa());
    let response = app
        .send(TestRequest::new("GET", "/v1/tenants").bearer(&token))
        .await;
    assert_eq!(response.status, 503, "{}", response.body);
    assert_eq!(response.code(), "service_unavailable");
}

#[tokio::test]
async fn a_key_the_issuer_withdrew_stops_verifying_once_the_jwks_max_age_has_passed() {
    let issuer = issuer_caching(all_keys(), Some("public, max-age=1")).await;
    let app = spawn_app_with(&[("JWT_JWKS_URL", &issuer.url)]).await;
    let get = |token: String| TestRequest::new("GET", "/v1/tenants").bearer(&token);
    let rsa_token = || sign(Algorithm::RS256, "rsa-1", &rsa());
    assert_eq!(app.send(get(rsa_token())).await.status, 200);

    // The issuer withdraws the RSA key. Within the max-age the cached set still holds it.
    *issuer.jwks.lock().unwrap() = only("ec-1");
    assert_eq!(app.send(get(rsa_token())).await.status, 200);
    assert_eq!(issuer.hits.load(Ordering::SeqCst), 1);

    // Once the max-age has passed, the set is downloaded again and the key is gone.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let withdrawn = app.send(get(rsa_token())).await;
    assert_eq!(withdrawn.status, 401, "{}", withdrawn.body);
    assert_eq!(withdrawn.code(), "unauthenticated");
    assert_eq!(issuer.hits.load(Ordering::SeqCst), 2);
    // The key that remains still verifies, from the fresh set.
    let kept = app.send(get(sign(Algorithm::ES256, "ec-1", &ec()))).await;
    assert_eq!(kept.status, 200, "{}", kept.body);
    assert_eq!(issuer.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_expired_jwks_that_cannot_be_downloaded_again_is_not_trusted_503() {
    let issuer = issuer_caching(all_keys(), Some("max-age=1")).await;
    let app = spawn_app_with(&[("JWT_JWKS_URL", &issuer.url)]).await;
    let get =
        || TestRequest::new("GET", "/v1/tenants").bearer(&sign(Algorithm::RS256, "rsa-1", &rsa()));
    assert_eq!(app.send(get()).await.status, 200);
    // The issuer breaks (its document is no JWKS): the cached set serves its max-age out.
    *issuer.jwks.lock().unwrap() = Value::Null;
    assert_eq!(app.send(get()).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // Then it is not trusted any more: the keys cannot be confirmed, so 503, not 200.
    let response = app.send(get()).await;
    assert_eq!(response.status, 503, "{}", response.body);
    assert_eq!(response.code(), "service_unavailable");
}
