//! Authentication: who gets in, and what a refused caller learns (nothing beyond
//! "invalid credentials").

use integration_tests::{spawn_app, TestRequest};
use serde_json::json;
use tenant_shared::domain::Role;
use tenant_shared::http::openapi::is_public;
use tenant_shared::http::routes::ROUTES;

const SOME_TENANT: &str = "tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f";

#[tokio::test]
async fn every_route_rejects_anonymous_calls_with_401_and_a_challenge() {
    let app = spawn_app().await;
    // All but the published contract, which is public.
    for route in ROUTES.iter().filter(|r| !is_public(r)) {
        let path = route
            .path
            .replace("{id}", SOME_TENANT)
            .replace("{slug}", "acme")
            .replace("{userId}", "alice")
            .replace("{keyId}", "key_0123456789abcdef0123456789abcdef");
        let response = app
            .send(TestRequest::new(route.method, &path).anonymous())
            .await;
        assert_eq!(
            response.status, 401,
            "{} {path}: {}",
            route.method, response.body
        );
        assert_eq!(response.code(), "unauthenticated");
        assert_eq!(
            response.header("www-authenticate"),
            Some("Bearer realm=\"tenant-api\"")
        );
    }
}

#[tokio::test]
async fn bad_tokens_get_401_invalid_credentials_without_saying_why() {
    let app = spawn_app().await;
    let expired = app.token_expiring("alice", &[Role::PlatformAdmin], None, -120);
    let good = app.admin_token();
    let mut tampered = good.clone();
    tampered.pop();
    tampered.push(if good.ends_with('A') { 'B' } else { 'A' });
    let cases = [
        ("expired", format!("Bearer {expired}")),
        ("tampered", format!("Bearer {tampered}")),
        ("garbage", "Bearer not-a-jwt".to_owned()),
        ("wrong scheme", format!("Basic {good}")),
        ("empty bearer", "Bearer ".to_owned()),
    ];
    let mut messages = std::collections::BTreeSet::new();
    for (name, header) in cases {
        let response = app
            .send(TestRequest::new("GET", "/v1/tenants").header("authorization", &header))
            .await;
        assert_eq!(response.status, 401, "{name}: {}", response.body);
        assert_eq!(response.code(), "unauthenticated", "{name}");
        assert!(response
            .header("www-authenticate")
            .is_some_and(|h| h.contains("invalid_token")));
        messages.insert(response.body["message"].as_str().unwrap().to_owned());
    }
    // One message for every failure: nothing tells a caller which part was wrong.
    assert_eq!(
        messages.into_iter().collect::<Vec<_>>(),
        ["invalid credentials"]
    );
}

#[tokio::test]
async fn tokens_for_another_issuer_or_audience_or_secret_are_refused() {
    let app = spawn_app().await;
    for (var, value) in [
        ("JWT_ISSUER", "https://someone-else.example"),
        ("JWT_AUDIENCE", "another-api"),
        (
            "JWT_HS256_SECRET",
            "a-different-secret-of-at-least-32-bytes",
        ),
    ] {
        let other = integration_tests::spawn_app_with(&[(var, value)]).await;
        let foreign = other.admin_token();
        let response = app
            .send(TestRequest::new("GET", "/v1/tenants").bearer(&foreign))
            .await;
        assert_eq!(response.status, 401, "{var}");
    }
}

#[tokio::test]
async fn a_token_and_an_api_key_together_are_refused() {
    let app = spawn_app().await;
    let key = app
        .post(
            "/v1/api-keys",
            &json!({"name": "k", "roles": ["platform_admin"]}),
        )
        .await;
    let response = app
        .send(
            TestRequest::new("GET", "/v1/tenants")
                .bearer(&app.admin_token())
                .api_key(key.body["key"].as_str().unwrap()),
        )
        .await;
    assert_eq!(response.status, 401);
}

#[tokio::test]
async fn a_tenant_header_that_does_not_match_the_credential_is_403_tenant_mismatch() {
    let app = spawn_app().await;
    let tenant = app.create_named("acme").await;
    let other = app.create_named("globex").await;
    let id = tenant["id"].as_str().unwrap();
    let token = app.token("alice", &[Role::TenantAdmin], Some(id));
    let path = format!("/v1/tenants/{id}");

    let matching = app
        .send(
            TestRequest::new("GET", &path)
                .bearer(&token)
                .header("x-tenant-id", id),
        )
        .await;
    assert_eq!(matching.status, 200);

    let mismatched = app
        .send(
            TestRequest::new("GET", &path)
                .bearer(&token)
                .header("x-tenant-id", other["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(mismatched.status, 403);
    assert_eq!(mismatched.code(), "tenant_mismatch");
    assert_eq!(
        mismatched.body["notices"],
        json!(["tenant-header-must-match"])
    );

    // A platform credential has no tenant: the header must name the tenant it acts on.
    let admin = app
        .send(TestRequest::new("GET", &path).header("x-tenant-id", other["id"].as_str().unwrap()))
        .await;
    assert_eq!(admin.code(), "tenant_mismatch");
}

#[tokio::test]
async fn a_suspended_tenants_credentials_get_403_tenant_suspended_on_everything() {
    let app = spawn_app().await;
    let tenant = app.create_named("acme").await;
    let id = tenant["id"].as_str().unwrap();
    let token = app.token("alice", &[Role::TenantAdmin], Some(id));
    let suspended = app
        .send(TestRequest::new(
            "POST",
            &format!("/v1/tenants/{id}/suspend"),
        ))
        .await;
    assert_eq!(suspended.status, 200);

    for request in [
        TestRequest::new("GET", &format!("/v1/tenants/{id}")),
        TestRequest::new("GET", "/v1/tenants"),
        TestRequest::new("GET", "/v1/tenants/stats"),
        TestRequest::new("GET", &format!("/v1/tenants/{id}/admins")),
    ] {
        let response = app.send(request.bearer(&token)).await;
        assert_eq!(response.status, 403, "{}", response.body);
        assert_eq!(response.code(), "tenant_suspended");
        assert!(response.body["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().starts_with("suspended-tenant")));
    }
    // The platform still sees it, and once active again its users are back.
    assert_eq!(app.get(&format!("/v1/tenants/{id}")).await.status, 200);
    app.send(TestRequest::new(
        "POST",
        &format!("/v1/tenants/{id}/activate"),
    ))
    .await;
    let back = app
        .send(TestRequest::new("GET", &format!("/v1/tenants/{id}")).bearer(&token))
        .await;
    assert_eq!(back.status, 200);
}

#[tokio::test]
async fn a_deleted_tenants_credentials_get_401() {
    let app = spawn_app().await;
    let tenant = app.create_named("acme").await;
    let id = tenant["id"].as_str().unwrap();
    let token = app.token("alice", &[Role::TenantMember], Some(id));
    let key = app
        .post(
            "/v1/api-keys",
            &json!({"name": "k", "roles": ["tenant_member"], "tenantId": id}),
        )
        .await;
    let key = key.body["key"].as_str().unwrap().to_owned();
    assert_eq!(app.delete(&format!("/v1/tenants/{id}")).await.status, 200);

    for request in [
        TestRequest::new("GET", &format!("/v1/tenants/{id}")).bearer(&token),
        TestRequest::new("GET", "/v1/tenants").bearer(&token),
        TestRequest::new("GET", "/v1/tenants").api_key(&key),
    ] {
        let response = app.send(request).await;
        assert_eq!(response.status, 401, "{}", response.body);
        assert_eq!(response.code(), "unauthenticated");
    }
}

#[tokio::test]
async fn a_token_naming_a_tenant_that_does_not_exist_is_401() {
    let app = spawn_app().await;
    let token = app.token("alice", &[Role::TenantAdmin], Some(SOME_TENANT));
    let response = app
        .send(TestRequest::new("GET", "/v1/tenants").bearer(&token))
        .await;
    assert_eq!(response.status, 401);
}

#[tokio::test]
async fn get_and_list_show_the_callers_roles_on_each_tenant() {
    let app = spawn_app().await;
    let tenant = app.create_named("acme").await;
    let id = tenant["id"].as_str().unwrap();
    assert_eq!(tenant["currentUserRoles"], json!(["platform_admin"]));

    let member = app.token("alice", &[Role::TenantMember], Some(id));
    let got = app
        .send(TestRequest::new("GET", &format!("/v1/tenants/{id}")).bearer(&member))
        .await;
    assert_eq!(got.body["currentUserRoles"], json!(["tenant_member"]));

    // alice is also granted admin: the union of both sources.
    app.send(TestRequest::new(
        "PUT",
        &format!("/v1/tenants/{id}/admins/alice"),
    ))
    .await;
    let listed = app
        .send(TestRequest::new("GET", "/v1/tenants").bearer(&member))
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(
        listed.body["items"][0]["currentUserRoles"],
        json!(["tenant_admin", "tenant_member"])
    );
}

#[tokio::test]
async fn a_user_granted_admin_of_several_tenants_lists_exactly_those() {
    let app = spawn_app().await;
    let mut granted = Vec::new();
    for slug in ["alpha", "bravo", "charlie", "delta"] {
        let tenant = app.create_named(slug).await;
        if slug != "charlie" {
            let id = tenant["id"].as_str().unwrap().to_owned();
            let response = app
                .send(TestRequest::new(
                    "PUT",
                    &format!("/v1/tenants/{id}/admins/bob"),
                ))
                .await;
            assert_eq!(response.status, 201);
            granted.push(id);
        }
    }
    let token = app.token("bob", &[], None);
    let pages = TestRequest::new("GET", "/v1/tenants")
        .query("limit", "2")
        .bearer(&token);
    let mut seen = Vec::new();
    for item in app.all_pages(pages).await {
        assert_eq!(item["currentUserRoles"], json!(["tenant_admin"]));
        seen.push(item["id"].as_str().unwrap().to_owned());
    }
    // Newest first, each exactly once, and nothing else.
    granted.reverse();
    assert_eq!(seen, granted);

    let filtered = app
        .send(
            TestRequest::new("GET", "/v1/tenants")
                .query("search", "brav")
                .bearer(&token),
        )
        .await;
    assert_eq!(filtered.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn hidden_and_missing_tenants_answer_identically() {
    let app = spawn_app().await;
    let mine = app.create_named("mine").await;
    let theirs = app.create_named("theirs").await;
    let token = app.token(
        "alice",
        &[Role::TenantAdmin],
        Some(mine["id"].as_str().unwrap()),
    );
    let hidden = app
        .send(
            TestRequest::new(
                "GET",
                &format!("/v1/tenants/{}", theirs["id"].as_str().unwrap()),
            )
            .bearer(&token),
        )
        .await;
    let missing = app
        .send(TestRequest::new("GET", &format!("/v1/tenants/{SOME_TENANT}")).bearer(&token))
        .await;
    assert_eq!((hidden.status, missing.status), (404, 404));
    let message = |r: &integration_tests::TestResponse, id: &str| {
        r.body["message"].as_str().unwrap().replace(id, "<id>")
    };
    assert_eq!(
        message(&hidden, theirs["id"].as_str().unwrap()),
        message(&missing, SOME_TENANT)
    );
    let by_slug = app
        .send(TestRequest::new("GET", "/v1/tenants/slug/theirs").bearer(&token))
        .await;
    let no_slug = app
        .send(TestRequest::new("GET", "/v1/tenants/slug/nobody").bearer(&token))
        .await;
    assert_eq!((by_slug.status, no_slug.status), (404, 404));
}

#[tokio::test]
async fn a_token_subject_is_taken_literally_so_an_encoded_spelling_is_not_the_same_user() {
    let app = spawn_app().await;
    let tenant = app.create_named("acme").await;
    let id = tenant["id"].as_str().unwrap();
    // The path names the user percent-encoded, as a URL must: the grant is for `alice|x`.
    let granted = app
        .send(TestRequest::new(
            "PUT",
            &format!("/v1/tenants/{id}/admins/alice%7Cx"),
        ))
        .await;
    assert_eq!(granted.status, 201, "{}", granted.body);
    assert_eq!(granted.body["userId"], "alice|x");

    let literal = app.token("alice|x", &[], None);
    let got = app
        .send(TestRequest::new("GET", &format!("/v1/tenants/{id}")).bearer(&literal))
        .await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.body["currentUserRoles"], json!(["tenant_admin"]));

    // A token whose subject is the encoded spelling is someone else (and `%` is no
    // character of a user id): it holds none of alice|x's grants.
    let encoded = app.token("alice%7Cx", &[], None);
    for path in [format!("/v1/tenants/{id}"), "/v1/tenants".to_owned()] {
        let response = app
            .send(TestRequest::new("GET", &path).bearer(&encoded))
            .await;
        assert_eq!(response.status, 401, "{path}: {}", response.body);
        assert_eq!(response.code(), "unauthenticated");
    }
}

/// A caller: its credential and the `X-Tenant-ID` it sends, if any.
struct Who {
    name: &'static str,
    token: Option<String>,
    api_key: Option<String>,
    tenant_header: Option<String>,
}

impl Who {
    fn on(&self, mut request: TestRequest) -> TestRequest {
        if let Some(token) = &self.token {
            request = request.bearer(token);
        }
        if let Some(key) = &self.api_key {
            request = request.api_key(key);
        }
        if let Some(tenant) = &self.tenant_header {
            request = request.header("x-tenant-id", tenant);
        }
        request
    }
}

/// Callers without a role on any tenant but `mine` (or a suspended one of their own),
/// each with a reason that used to be answered before "hidden": its own tenant suspended,
/// or an `X-Tenant-ID` naming another tenant than the one asked about.
async fn callers_who_may_not_see_others(
    app: &integration_tests::TestApp,
    mine: &str,
    third: &str,
) -> Vec<Who> {
    let frozen = app.create_named("frozen").await;
    let frozen = frozen["id"].as_str().unwrap();
    let suspend = app
        .send(TestRequest::new(
            "POST",
            &format!("/v1/tenants/{frozen}/suspend"),
        ))
        .await;
    assert_eq!(suspend.status, 200, "{}", suspend.body);
    let provisioner = app
        .create_api_key(&json!({"name": "p", "roles": ["provisioner"]}))
        .await["key"]
        .as_str()
        .map(str::to_owned);
    let granted = app
        .send(TestRequest::new(
            "PUT",
            &format!("/v1/tenants/{mine}/admins/gina"),
        ))
        .await;
    assert_eq!(granted.status, 201, "{}", granted.body);
    let admin_of = |tenant: &str| Some(app.token("alice", &[Role::TenantAdmin], Some(tenant)));
    vec![
        Who {
            name: "tenant admin",
            token: admin_of(mine),
            api_key: None,
            tenant_header: None,
        },
        Who {
            name: "suspended tenant's admin",
            token: admin_of(frozen),
            api_key: None,
            tenant_header: None,
        },
        Who {
            name: "tenant admin naming a third tenant in X-Tenant-ID",
            token: admin_of(mine),
            api_key: None,
            tenant_header: Some(third.to_owned()),
        },
        Who {
            name: "granted admin naming its own tenant in X-Tenant-ID",
            token: Some(app.token("gina", &[], None)),
            api_key: None,
            tenant_header: Some(mine.to_owned()),
        },
        Who {
            name: "provisioner naming a third tenant in X-Tenant-ID",
            token: None,
            api_key: provisioner,
            tenant_header: Some(third.to_owned()),
        },
    ]
}

#[tokio::test]
async fn every_tenant_route_answers_a_hidden_tenant_as_a_missing_one_whatever_else_is_wrong() {
    let app = spawn_app().await;
    let mine = app.create_named("mine").await;
    let theirs = app.create_named("theirs").await;
    let third = app.create_named("third").await;
    let (mine, theirs, third) = (
        mine["id"].as_str().unwrap(),
        theirs["id"].as_str().unwrap(),
        third["id"].as_str().unwrap(),
    );
    let callers = callers_who_may_not_see_others(&app, mine, third).await;
    let tenant_routes: Vec<_> = ROUTES
        .iter()
        .filter(|r| r.path.contains("{id}") || r.path.contains("{slug}"))
        .collect();
    assert!(tenant_routes.len() >= 20, "every tenant route");
    for route in tenant_routes {
        for who in &callers {
            let mut answers = Vec::new();
            for (id, slug) in [(theirs, "theirs"), (SOME_TENANT, "nobody")] {
                let path = route
                    .path
                    .replace("{id}", id)
                    .replace("{slug}", slug)
                    .replace("{userId}", "seed-admin")
                    .replace("{domain}", "theirs.example.com")
                    .replace("{resourceId}", "db");
                let mut request = who.on(TestRequest::new(route.method, &path));
                if matches!(route.method, "POST" | "PUT" | "PATCH") {
                    request = request.json(&json!({}));
                }
                let response = app.send(request).await;
                let message = response.body["message"]
                    .as_str()
                    .unwrap_or_default()
                    .replace(id, "<tenant>")
                    .replace(slug, "<tenant>");
                answers.push((response.status, response.code().to_owned(), message));
            }
            let name = who.name;
            assert_eq!(
                answers[0].0, 404,
                "{} {} as {name}: {:?}",
                route.method, route.path, answers[0]
            );
            assert_eq!(
                answers[0], answers[1],
                "{} {} as {name}: a hidden tenant answers unlike a missing one",
                route.method, route.path
            );
        }
    }
}
