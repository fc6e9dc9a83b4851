//! The console's server side against moto: sessions, the sign-in redirect, CSRF, the
//! policies' gate, escaping and the security headers. (The browser's view, sign-in
//! through a real OpenID provider included, is tests/console/, `make console-test`.)

use lambda_http::http::Request as HttpRequest;
use lambda_http::{Body, Context, RequestExt};
use serde_json::json;
use tenant_shared::console::{self, Console, ConsoleSettings};
use tenant_shared::domain::clock;
use tenant_shared::domain::console::{digest, ConsoleSession};

use integration_tests::{spawn_app, TestApp};

const ORIGIN: &str = "http://127.0.0.1:9000";

fn console() -> Console {
    let vars = [("CONSOLE_URL", ORIGIN)];
    let settings = ConsoleSettings::from_vars(
        |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        },
        None,
    )
    .unwrap();
    Console::new(settings)
}

/// A session for `claims`, stored; returns its cookie value and CSRF token.
async fn signed_in(t: &TestApp, claims: serde_json::Value, expires_in: i64) -> (String, String) {
    let id = format!("session-{}", uuid::Uuid::now_v7());
    let csrf = format!("csrf-{}", uuid::Uuid::now_v7());
    let session = ConsoleSession {
        claims: claims.to_string(),
        csrf_token: csrf.clone(),
        created_at: clock::now_rfc3339(),
        expires_at: clock::now_epoch_seconds() + expires_in,
    };
    t.app
        .store
        .put_console_session(&digest(&id), &session)
        .await
        .unwrap();
    (id, csrf)
}

struct Page {
    status: u16,
    headers: lambda_http::http::HeaderMap,
    body: String,
}

async fn send(
    t: &TestApp,
    console: &Console,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    form: Option<&str>,
) -> Page {
    let mut builder = HttpRequest::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    if form.is_some() {
        builder = builder.header("content-type", "application/x-www-form-urlencoded");
    }
    let body = form
        .map(|f| Body::Text(f.to_owned()))
        .unwrap_or(Body::Empty);
    let mut context = Context::default();
    context.request_id = uuid::Uuid::now_v7().to_string();
    let req = builder.body(body).unwrap().with_lambda_context(context);
    let response = console::handle(&t.app, console, req).await.unwrap();
    Page {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: match response.body() {
            Body::Text(text) => text.clone(),
            _ => String::new(),
        },
    }
}

fn header<'a>(page: &'a Page, name: &str) -> &'a str {
    page.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn assert_secure_headers(page: &Page) {
    assert_eq!(
        header(page, "content-security-policy"),
        console::respond::CSP
    );
    assert_eq!(header(page, "x-content-type-options"), "nosniff");
    assert_eq!(header(page, "referrer-policy"), "no-referrer");
    assert_eq!(header(page, "cross-origin-opener-policy"), "same-origin");
    assert!(header(page, "strict-transport-security").starts_with("max-age="));
}

/// A value of the shape the key form's `once` field carries (43 base64url characters).
fn once_value() -> String {
    format!("{}{}", uuid::Uuid::now_v7().simple(), "x".repeat(11))
}

/// The value of the hidden field `name` in a page's HTML.
fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .map(|i| i + marker.len())
        .unwrap_or_else(|| {
            panic!("no hidden {name} in {body}");
        });
    body[start..].split('"').next().unwrap_or("").to_owned()
}

fn admin_claims() -> serde_json::Value {
    json!({"sub": "console-admin", "roles": ["platform_admin"], "email": "ops@example.com", "email_verified": true})
}

#[tokio::test]
async fn a_page_without_a_session_sends_the_browser_to_sign_in_and_back() {
    let t = spawn_app().await;
    let page = send(
        &t,
        &console(),
        "GET",
        "/console/tenants?status=active",
        &[],
        None,
    )
    .await;
    assert_eq!(page.status, 303);
    assert_eq!(
        header(&page, "location"),
        "/console/login?return=%2Fconsole%2Ftenants%3Fstatus%3Dactive"
    );
    assert_secure_headers(&page);
}

#[tokio::test]
async fn a_signed_in_operator_sees_tenant_names_as_text_never_as_markup() {
    let t = spawn_app().await;
    let tenant = t
        .create_tenant(&json!({"name": "\"><img src=x onerror=alert(1)>", "slug": "xss-corp"}))
        .await;
    let (cookie, _) = signed_in(&t, admin_claims(), 600).await;
    let c = console();
    let cookie = format!("__Host-tm-session={cookie}");
    let page = send(
        &t,
        &c,
        "GET",
        "/console/tenants",
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(header(&page, "cache-control"), "no-store");
    assert_secure_headers(&page);
    assert!(page
        .body
        .contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!page.body.contains("<img"));
    let path = format!("/console/tenants/{}", tenant["id"].as_str().unwrap());
    let page = send(&t, &c, "GET", &path, &[("cookie", &cookie)], None).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<img"));
}

#[tokio::test]
async fn a_post_without_the_csrf_token_or_from_another_site_changes_nothing() {
    let t = spawn_app().await;
    let tenant = t.create_named("csrf-target").await;
    let id = tenant["id"].as_str().unwrap();
    let (cookie, csrf) = signed_in(&t, admin_claims(), 600).await;
    let c = console();
    let cookie = format!("__Host-tm-session={cookie}");
    let path = format!("/console/tenants/{id}/suspend");
    let good = format!("csrf={csrf}&reason=spam");
    let attempts: [(&[(&str, &str)], String); 4] = [
        (
            &[("sec-fetch-site", "same-origin")],
            "reason=spam".to_owned(),
        ),
        (
            &[("sec-fetch-site", "same-origin")],
            "csrf=wrong&reason=spam".to_owned(),
        ),
        (&[("sec-fetch-site", "cross-site")], good.clone()),
        (
            &[
                ("sec-fetch-site", "same-origin"),
                ("origin", "https://evil.example"),
            ],
            good.clone(),
        ),
    ];
    for (headers, form) in attempts {
        let mut headers = headers.to_vec();
        headers.push(("cookie", &cookie));
        let page = send(&t, &c, "POST", &path, &headers, Some(&form)).await;
        assert_eq!(page.status, 403, "{headers:?} {form}");
        assert_secure_headers(&page);
        assert_eq!(t.tenant(id).await["status"], "active");
    }
    let headers = [
        ("sec-fetch-site", "same-origin"),
        ("origin", ORIGIN),
        ("cookie", &cookie),
    ];
    let page = send(&t, &c, "POST", &path, &headers, Some(&good)).await;
    assert_eq!(page.status, 303);
    assert_eq!(
        header(&page, "location"),
        format!("/console/tenants/{id}?done=suspended")
    );
    let after = t.tenant(id).await;
    assert_eq!(after["status"], "suspended");
    assert_eq!(after["suspendedReason"], "spam");
}

#[tokio::test]
async fn an_expired_session_ends_and_its_item_is_deleted() {
    let t = spawn_app().await;
    let (cookie, _) = signed_in(&t, admin_claims(), -1).await;
    let header_value = format!("__Host-tm-session={cookie}");
    let page = send(
        &t,
        &console(),
        "GET",
        "/console/tenants",
        &[("cookie", &header_value)],
        None,
    )
    .await;
    assert_eq!(page.status, 303);
    assert!(header(&page, "set-cookie").contains("Max-Age=0"));
    assert!(t
        .app
        .store
        .console_session(&digest(&cookie))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn machine_identities_get_a_forbidden_page_citing_the_policy() {
    let t = spawn_app().await;
    for (role, notice) in [
        ("provisioner", "provisioner-only-reads-and-reports"),
        ("login_service", "login-service-only-discovers"),
    ] {
        let (cookie, _) = signed_in(&t, json!({"sub": "robot", "roles": [role]}), 600).await;
        let cookie = format!("__Host-tm-session={cookie}");
        let page = send(
            &t,
            &console(),
            "GET",
            "/console/tenants",
            &[("cookie", &cookie)],
            None,
        )
        .await;
        assert_eq!(page.status, 403, "{role}");
        assert!(page.body.contains(notice), "{role}: {}", page.body);
        assert_secure_headers(&page);
    }
}

#[tokio::test]
async fn a_tenant_admin_sees_only_their_tenant_and_not_the_platform_controls() {
    let t = spawn_app().await;
    let own = t.create_named("own-tenant").await;
    t.create_named("other-tenant").await;
    let claims = json!({"sub": "tadmin", "roles": ["tenant_admin"], "tenant_id": own["id"]});
    let (cookie, _) = signed_in(&t, claims, 600).await;
    let cookie = format!("__Host-tm-session={cookie}");
    let page = send(
        &t,
        &console(),
        "GET",
        "/console/tenants",
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("own-tenant"));
    assert!(!page.body.contains("other-tenant"));
    assert!(!page.body.contains("New tenant"));
}

#[tokio::test]
async fn unknown_pages_and_methods_answer_html_with_the_security_headers() {
    let t = spawn_app().await;
    let c = console();
    let (cookie, _) = signed_in(&t, admin_claims(), 600).await;
    let cookie = format!("__Host-tm-session={cookie}");
    let page = send(&t, &c, "GET", "/console/nope", &[("cookie", &cookie)], None).await;
    assert_eq!(page.status, 404);
    assert_secure_headers(&page);
    let page = send(&t, &c, "PUT", "/console/tenants", &[], None).await;
    assert_eq!(page.status, 405);
    assert_eq!(header(&page, "allow"), "GET, POST");
    assert_secure_headers(&page);
    let page = send(
        &t,
        &c,
        "GET",
        "/console/login?return=https://evil.example/",
        &[],
        None,
    )
    .await;
    assert_eq!(page.status, 503, "sign-in is not configured in this test");
    assert_secure_headers(&page);
}

#[tokio::test]
async fn the_stylesheet_is_served_under_its_content_hash_and_cached_for_a_year() {
    let t = spawn_app().await;
    let path = console::assets::css_path();
    let page = send(&t, &console(), "GET", path, &[], None).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        header(&page, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(page.body.contains(":root"));
    let stale = send(
        &t,
        &console(),
        "GET",
        "/console/assets/console-0000000000000000.css",
        &[],
        None,
    )
    .await;
    assert_eq!(
        stale.status, 303,
        "an unknown asset is a page like any other"
    );
}

#[tokio::test]
async fn a_member_reads_the_tenant_but_gets_no_edit_form_and_cannot_edit() {
    let t = spawn_app().await;
    let tenant = t.create_named("member-tenant").await;
    let id = tenant["id"].as_str().unwrap();
    let claims = json!({"sub": "reader", "roles": ["tenant_member"], "tenant_id": id});
    let (cookie, csrf) = signed_in(&t, claims, 600).await;
    let c = console();
    let cookie = format!("__Host-tm-session={cookie}");
    let path = format!("/console/tenants/{id}");
    let page = send(&t, &c, "GET", &path, &[("cookie", &cookie)], None).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Save changes"));
    assert!(!page.body.contains("Resend invitation"));
    let headers = [
        ("sec-fetch-site", "same-origin"),
        ("cookie", cookie.as_str()),
    ];
    let form = format!("csrf={csrf}&version=1&name=Renamed");
    let page = send(
        &t,
        &c,
        "POST",
        &format!("{path}/edit"),
        &headers,
        Some(&form),
    )
    .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("tenant-member-is-read-only"));
    assert_eq!(t.tenant(id).await["name"], tenant["name"]);
}

/// A tenant with its own admin signed in: (tenant id, cookie header, CSRF token).
async fn tenant_admin_session(t: &TestApp, slug: &str) -> (String, String, String) {
    let tenant = t.create_named(slug).await;
    let id = tenant["id"].as_str().unwrap().to_owned();
    let claims =
        json!({"sub": format!("{slug}-admin"), "roles": ["tenant_admin"], "tenant_id": id});
    let (cookie, csrf) = signed_in(t, claims, 600).await;
    (id, format!("__Host-tm-session={cookie}"), csrf)
}

#[tokio::test]
async fn a_tenant_admin_reaching_for_another_tenant_finds_nothing_and_changes_nothing() {
    let t = spawn_app().await;
    let (_, cookie, csrf) = tenant_admin_session(&t, "mine").await;
    let other = t.create_named("theirs").await;
    let other_id = other["id"].as_str().unwrap();
    let c = console();
    let page = send(
        &t,
        &c,
        "GET",
        &format!("/console/tenants/{other_id}"),
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(
        page.status, 404,
        "hidden exactly as a missing tenant: {}",
        page.body
    );
    let headers = [
        ("sec-fetch-site", "same-origin"),
        ("cookie", cookie.as_str()),
    ];
    for (action, form) in [
        ("edit", format!("csrf={csrf}&version=1&name=Taken")),
        ("admins", format!("csrf={csrf}&userId=intruder")),
        ("domains", format!("csrf={csrf}&domain=intruder.example")),
        (
            "keys",
            format!(
                "csrf={csrf}&once={}&name=k&role=tenant_member",
                once_value()
            ),
        ),
    ] {
        let path = format!("/console/tenants/{other_id}/{action}");
        let page = send(&t, &c, "POST", &path, &headers, Some(&form)).await;
        assert_eq!(page.status, 404, "{action}: {}", page.body);
    }
    let after = t.tenant(other_id).await;
    assert_eq!(after["name"], other["name"]);
    assert_eq!(after["version"], other["version"]);
}

#[tokio::test]
async fn a_tenant_admins_forged_edit_cannot_reach_the_platforms_fields() {
    let t = spawn_app().await;
    let (id, cookie, csrf) = tenant_admin_session(&t, "forger").await;
    let before = t.tenant(&id).await;
    let headers = [
        ("sec-fetch-site", "same-origin"),
        ("cookie", cookie.as_str()),
    ];
    let form = format!(
        "csrf={csrf}&version=1&name=Renamed&ownerEmail=evil%40example.com&maxUsers=100000&plan=enterprise"
    );
    let page = send(
        &t,
        &console(),
        "POST",
        &format!("/console/tenants/{id}/edit"),
        &headers,
        Some(&form),
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let after = t.tenant(&id).await;
    assert_eq!(after["name"], "Renamed", "the tenant's own fields change");
    assert_eq!(after["ownerEmail"], before["ownerEmail"]);
    assert_eq!(after["maxUsers"], before["maxUsers"]);
    assert_eq!(after["plan"], before["plan"]);
    let page = send(
        &t,
        &console(),
        "POST",
        &format!("/console/tenants/{id}/plan"),
        &headers,
        Some(&format!("csrf={csrf}&current=starter&plan=enterprise")),
    )
    .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert_eq!(t.tenant(&id).await["plan"], before["plan"]);
}

#[tokio::test]
async fn another_sessions_csrf_token_and_an_oversized_form_are_refused() {
    let t = spawn_app().await;
    let (id, cookie, _) = tenant_admin_session(&t, "guarded").await;
    let (_, _, foreign_csrf) = tenant_admin_session(&t, "elsewhere").await;
    let headers = [
        ("sec-fetch-site", "same-origin"),
        ("cookie", cookie.as_str()),
    ];
    let path = format!("/console/tenants/{id}/edit");
    let form = format!("csrf={foreign_csrf}&version=1&name=Hijacked");
    let page = send(&t, &console(), "POST", &path, &headers, Some(&form)).await;
    assert_eq!(page.status, 403);
    let huge = format!("csrf=x&name={}", "a".repeat(70 * 1024));
    let page = send(&t, &console(), "POST", &path, &headers, Some(&huge)).await;
    assert_eq!(page.status, 413);
    assert_secure_headers(&page);
    assert_ne!(t.tenant(&id).await["name"], "Hijacked");
}

#[tokio::test]
async fn a_delete_needs_the_slug_typed_and_the_version_shown() {
    let t = spawn_app().await;
    let tenant = t.create_named("doomed").await;
    let id = tenant["id"].as_str().unwrap();
    let (cookie, csrf) = signed_in(&t, admin_claims(), 600).await;
    let cookie = format!("__Host-tm-session={cookie}");
    let headers = [
        ("sec-fetch-site", "same-origin"),
        ("cookie", cookie.as_str()),
    ];
    let path = format!("/console/tenants/{id}/delete");
    let wrong = format!("csrf={csrf}&version=1&slug=doomed&confirm=doome");
    let page = send(&t, &console(), "POST", &path, &headers, Some(&wrong)).await;
    assert_eq!(page.status, 400);
    t.patch(
        &format!("/v1/tenants/{id}"),
        &json!({"name": "Changed meanwhile"}),
    )
    .await;
    let stale = format!("csrf={csrf}&version=1&slug=doomed&confirm=doomed");
    let page = send(&t, &console(), "POST", &path, &headers, Some(&stale)).await;
    assert_eq!(page.status, 412, "{}", page.body);
    assert_eq!(t.tenant(id).await["status"], "active");
    let fresh = format!("csrf={csrf}&version=2&slug=doomed&confirm=doomed");
    let page = send(&t, &console(), "POST", &path, &headers, Some(&fresh)).await;
    assert_eq!(page.status, 303);
    assert_eq!(t.tenant(id).await["status"], "deleted");
}

#[tokio::test]
async fn a_key_form_sent_twice_creates_one_key_and_says_why_the_second_made_none() {
    let t = spawn_app().await;
    let tenant = t.create_named("once").await;
    let id = tenant["id"].as_str().unwrap();
    let (cookie, csrf) = signed_in(&t, admin_claims(), 600).await;
    let cookie = format!("__Host-tm-session={cookie}");
    let c = console();
    let keys = format!("/console/tenants/{id}/keys");
    let page = send(&t, &c, "GET", &keys, &[("cookie", &cookie)], None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let once = hidden(&page.body, "once");
    let again = send(&t, &c, "GET", &keys, &[("cookie", &cookie)], None).await;
    assert_ne!(
        hidden(&again.body, "once"),
        once,
        "every page draws its own"
    );

    let headers = [
        ("sec-fetch-site", "same-origin"),
        ("cookie", cookie.as_str()),
    ];
    let form = format!("csrf={csrf}&once={once}&name=Sent+twice&role=tenant_member");
    let first = send(&t, &c, "POST", &keys, &headers, Some(&form)).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(first.body.contains("id=\"new-key\""));
    let second = send(&t, &c, "POST", &keys, &headers, Some(&form)).await;
    assert_eq!(second.status, 409, "{}", second.body);
    assert!(second.body.contains("already sent"), "{}", second.body);
    assert!(!second.body.contains("id=\"new-key\""));
    assert_secure_headers(&second);

    for stale in ["", "not-a-drawn-value"] {
        let form = format!("csrf={csrf}&once={stale}&name=Stale&role=tenant_member");
        let page = send(&t, &c, "POST", &keys, &headers, Some(&form)).await;
        assert_eq!(page.status, 400, "{stale:?}: {}", page.body);
    }
    let listed = t
        .all_pages(integration_tests::TestRequest::new("GET", "/v1/api-keys").query("tenantId", id))
        .await;
    let names: Vec<&str> = listed.iter().filter_map(|k| k["name"].as_str()).collect();
    assert_eq!(names, ["Sent twice"], "one key, and none from a stale form");
}

#[tokio::test]
async fn two_key_forms_sent_at_once_create_exactly_one_key() {
    let t = spawn_app().await;
    let tenant = t.create_named("once-race").await;
    let id = tenant["id"].as_str().unwrap();
    let (cookie, csrf) = signed_in(&t, admin_claims(), 600).await;
    let cookie = format!("__Host-tm-session={cookie}");
    let c = console();
    let keys = format!("/console/tenants/{id}/keys");
    let page = send(&t, &c, "GET", &keys, &[("cookie", &cookie)], None).await;
    let form = format!(
        "csrf={csrf}&once={}&name=Double+click&role=tenant_member",
        hidden(&page.body, "once")
    );
    let headers = [
        ("sec-fetch-site", "same-origin"),
        ("cookie", cookie.as_str()),
    ];
    let (a, b) = tokio::join!(
        send(&t, &c, "POST", &keys, &headers, Some(&form)),
        send(&t, &c, "POST", &keys, &headers, Some(&form)),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    let listed = t
        .all_pages(integration_tests::TestRequest::new("GET", "/v1/api-keys").query("tenantId", id))
        .await;
    assert_eq!(listed.len(), 1, "{listed:?}");
}
