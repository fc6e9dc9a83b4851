//! Unit tests of token verification, the JWKS cache's time to live and the claims.

use super::*;
use serde_json::json;

use crate::domain::roles::{Role, Roles};

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
        &claims(
            json!({"sub": "c", "cognito:groups": ["tenant_member"], "custom:tenant_id": TENANT}),
        ),
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
