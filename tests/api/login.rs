//! Login discovery against moto and a loopback DNS server the tests control: domains are
//! claimed, proven by a real TXT lookup, belong to one tenant once verified, route
//! discovery, and admit an email-domain tenant's verified users as its admins.

use integration_tests::{publish_txt, spawn_app, TestApp, TestRequest};
use serde_json::{json, Value};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// A unique domain for this test run (tests share the DNS server).
fn unique(label: &str) -> String {
    format!(
        "{label}-{}.example.com",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    )
}

async fn sso_tenant(app: &TestApp, slug: &str) -> Value {
    app.create_tenant(&json!({
        "name": format!("SSO {slug}"), "slug": slug, "plan": "pro", "loginMode": "sso",
        "ssoStartUrl": "https://d-1234567890.awsapps.com/start", "ssoRegion": "eu-west-1",
    }))
    .await
}

/// Claims `domain` for `tenant`, returning the claim.
async fn claim(app: &TestApp, tenant: &Value, domain: &str) -> Value {
    let r = app
        .post(
            &format!("/v1/tenants/{}/domains", id(tenant)),
            &json!({ "domain": domain }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

async fn verify(app: &TestApp, tenant: &Value, domain: &str) -> integration_tests::TestResponse {
    app.send(TestRequest::new(
        "POST",
        &format!("/v1/tenants/{}/domains/{domain}/verify", id(tenant)),
    ))
    .await
}

fn publish(claim: &Value) {
    publish_txt(
        claim["verification"]["name"].as_str().unwrap(),
        claim["verification"]["value"].as_str().unwrap(),
    );
}

async fn discover_email(app: &TestApp, email: &str) -> integration_tests::TestResponse {
    app.send(TestRequest::new("GET", "/v1/login/discover").query("email", email))
        .await
}

#[tokio::test]
async fn a_published_txt_record_verifies_the_domain_and_discovery_sends_its_people_to_sso() {
    let app = spawn_app().await;
    let tenant = sso_tenant(&app, "acme-sso").await;
    let domain = unique("acme");
    let claimed = claim(&app, &tenant, &domain.to_uppercase()).await;
    assert_eq!(
        claimed["domain"],
        domain.as_str(),
        "normalised to lower case"
    );
    assert_eq!(claimed["status"], "pending");
    assert_eq!(claimed["verification"]["type"], "TXT");
    assert_eq!(
        claimed["verification"]["name"],
        format!("_tenant-api-verification.{domain}")
    );

    // Not published yet: 400 with what was expected, and discovery knows nothing.
    let early = verify(&app, &tenant, &domain).await;
    assert_eq!(early.status, 400, "{}", early.body);
    assert_eq!(early.code(), "domain_not_verified");
    assert_eq!(early.body["details"]["expected"], claimed["verification"]);
    assert_eq!(
        discover_email(&app, &format!("ana@{domain}")).await.status,
        404
    );

    // A wrong value is not enough either.
    publish_txt(
        claimed["verification"]["name"].as_str().unwrap(),
        "tenant-api-verification=not-the-token",
    );
    assert_eq!(
        verify(&app, &tenant, &domain).await.code(),
        "domain_not_verified"
    );

    publish(&claimed);
    let verified = verify(&app, &tenant, &domain).await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(verified.body["status"], "verified");
    // Verifying again changes nothing.
    assert_eq!(verify(&app, &tenant, &domain).await.status, 200);

    let found = discover_email(&app, &format!("Ana.Lopez@{}", domain.to_uppercase())).await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(
        found.body,
        json!({
            "tenantId": id(&tenant), "slug": "acme-sso", "name": "SSO acme-sso",
            "status": "active", "loginMode": "sso",
            "ssoStartUrl": "https://d-1234567890.awsapps.com/start", "ssoRegion": "eu-west-1",
        })
    );
    let by_slug = app
        .send(TestRequest::new("GET", "/v1/login/discover").query("slug", "acme-sso"))
        .await;
    assert_eq!(by_slug.body, found.body);

    let listed = app
        .get(&format!("/v1/tenants/{}/domains", id(&tenant)))
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["items"][0]["status"], "verified");

    let events: Vec<String> = app
        .stored_events()
        .await
        .iter()
        .filter_map(|e| e["type"].as_str().map(str::to_owned))
        .filter(|t| t.starts_with("tenant.domain"))
        .collect();
    assert_eq!(events, ["tenant.domain_added", "tenant.domain_verified"]);
}

#[tokio::test]
async fn a_verified_domain_belongs_to_one_tenant_until_it_is_removed_or_its_tenant_deleted() {
    let app = spawn_app().await;
    let first = sso_tenant(&app, "first-owner").await;
    let second = sso_tenant(&app, "second-owner").await;
    let third = sso_tenant(&app, "third-owner").await;
    let domain = unique("contested");
    // Unverified claims by several tenants coexist.
    let a = claim(&app, &first, &domain).await;
    let b = claim(&app, &second, &domain).await;
    let c = claim(&app, &third, &domain).await;
    publish(&a);
    publish(&b);
    publish(&c);
    assert_eq!(verify(&app, &first, &domain).await.status, 200);
    let lost = verify(&app, &second, &domain).await;
    assert_eq!(lost.status, 409, "{}", lost.body);
    assert_eq!(lost.code(), "domain_conflict");
    let who = discover_email(&app, &format!("x@{domain}")).await;
    assert_eq!(who.body["slug"], "first-owner");

    // Removing it frees it: the second verifies now.
    let removed = app
        .delete(&format!("/v1/tenants/{}/domains/{domain}", id(&first)))
        .await;
    assert_eq!(removed.status, 204);
    assert_eq!(
        discover_email(&app, &format!("x@{domain}")).await.status,
        404
    );
    assert_eq!(verify(&app, &second, &domain).await.status, 200);
    assert_eq!(
        discover_email(&app, &format!("x@{domain}")).await.body["slug"],
        "second-owner"
    );

    // Deleting the owner frees it too: nobody is sent to a deleted tenant, and the third
    // may verify it.
    assert_eq!(
        app.delete(&format!("/v1/tenants/{}", id(&second)))
            .await
            .status,
        200
    );
    assert_eq!(
        discover_email(&app, &format!("x@{domain}")).await.status,
        404
    );
    assert_eq!(verify(&app, &third, &domain).await.status, 200);
    assert_eq!(
        discover_email(&app, &format!("x@{domain}")).await.body["slug"],
        "third-owner"
    );
    let gone = app
        .delete(&format!("/v1/tenants/{}/domains/{domain}", id(&first)))
        .await;
    assert_eq!(gone.status, 404, "removed already");
}

#[tokio::test]
async fn an_email_domain_tenants_verified_users_are_its_admins_and_nobody_else_is() {
    let app = spawn_app().await;
    let domain = unique("mail");
    let tenant = app
        .create_tenant(&json!({"name": "Mail Co", "slug": "mail-co", "loginMode": "email_domain", "emailDomain": domain}))
        .await;
    let other = app.create_named("not-mail").await;
    // Its emailDomain is its first domain, claimed with it and pending.
    let domains = app
        .get(&format!("/v1/tenants/{}/domains", id(&tenant)))
        .await;
    let first = &domains.body["items"][0];
    assert_eq!(first["domain"], domain.as_str());
    assert_eq!(first["status"], "pending");

    let ana = app.email_token("ana", &format!("ana@{domain}"), true);
    let unverified_email = app.email_token("eve", &format!("eve@{domain}"), false);
    let path = format!("/v1/tenants/{}", id(&tenant));
    // Before the domain is verified it admits nobody.
    let r = app.send(TestRequest::new("GET", &path).bearer(&ana)).await;
    assert_eq!(r.status, 404, "{}", r.body);

    publish(first);
    assert_eq!(verify(&app, &tenant, &domain).await.status, 200);

    let r = app.send(TestRequest::new("GET", &path).bearer(&ana)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["currentUserRoles"], json!(["tenant_admin"]));
    let listed = app
        .send(TestRequest::new("GET", "/v1/tenants").bearer(&ana))
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id(&tenant).as_str()], "exactly that tenant");
    assert_eq!(
        listed.body["items"][0]["currentUserRoles"],
        json!(["tenant_admin"])
    );
    // An admin may change the tenant's own fields (not its owner: platform admins' only).
    let patched = app
        .send(
            TestRequest::new("PATCH", &path)
                .header("content-type", "application/merge-patch+json")
                .raw(br#"{"locale": "pt-BR"}"#)
                .bearer(&ana),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    // Not another tenant.
    let r = app
        .send(TestRequest::new("GET", &format!("/v1/tenants/{}", id(&other))).bearer(&ana))
        .await;
    assert_eq!(r.status, 404);

    // An email the issuer did not verify admits nobody.
    let r = app
        .send(TestRequest::new("GET", &path).bearer(&unverified_email))
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .send(TestRequest::new("GET", "/v1/tenants").bearer(&unverified_email))
        .await;
    assert_eq!(r.status, 403, "no role anywhere: {}", r.body);

    // A verified domain of an SSO tenant admits nobody: only email-domain tenants admit.
    let sso = sso_tenant(&app, "sso-not-admitting").await;
    let sso_domain = unique("sso");
    let c = claim(&app, &sso, &sso_domain).await;
    publish(&c);
    assert_eq!(verify(&app, &sso, &sso_domain).await.status, 200);
    let bob = app.email_token("bob", &format!("bob@{sso_domain}"), true);
    let r = app
        .send(TestRequest::new("GET", &format!("/v1/tenants/{}", id(&sso))).bearer(&bob))
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn discovery_says_a_suspended_tenant_is_suspended_and_a_deleted_one_is_unknown() {
    let app = spawn_app().await;
    let tenant = sso_tenant(&app, "paused-sso").await;
    let domain = unique("paused");
    let c = claim(&app, &tenant, &domain).await;
    publish(&c);
    assert_eq!(verify(&app, &tenant, &domain).await.status, 200);
    app.post(&format!("/v1/tenants/{}/suspend", id(&tenant)), &json!({}))
        .await;
    let r = discover_email(&app, &format!("z@{domain}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "suspended");
    app.delete(&format!("/v1/tenants/{}", id(&tenant))).await;
    assert_eq!(
        discover_email(&app, &format!("z@{domain}")).await.status,
        404
    );
    let by_slug = app
        .send(TestRequest::new("GET", "/v1/login/discover").query("slug", "paused-sso"))
        .await;
    assert_eq!(by_slug.status, 404);
}

#[tokio::test]
async fn a_login_service_key_discovers_and_does_nothing_else() {
    let app = spawn_app().await;
    let tenant = sso_tenant(&app, "for-login-page").await;
    let key = app
        .create_api_key(&json!({"name": "login page", "roles": ["login_service"]}))
        .await;
    let key = key["key"].as_str().unwrap();
    let r = app
        .send(
            TestRequest::new("GET", "/v1/login/discover")
                .query("slug", "for-login-page")
                .api_key(key),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["tenantId"], id(&tenant).as_str());
    let listing = app
        .send(TestRequest::new("GET", "/v1/tenants").api_key(key))
        .await;
    assert_eq!(listing.status, 403);
    assert!(listing.body["notices"]
        .as_array()
        .unwrap()
        .contains(&json!("login-service-only-discovers")));
    let read = app
        .send(TestRequest::new("GET", &format!("/v1/tenants/{}", id(&tenant))).api_key(key))
        .await;
    assert_eq!(read.status, 404);
    // A tenant key may not hold it: it is a platform role.
    let bound = app
        .post(
            "/v1/api-keys",
            &json!({"name": "x", "roles": ["login_service"], "tenantId": id(&tenant)}),
        )
        .await;
    assert_eq!(bound.status, 400);
}

#[tokio::test]
async fn marking_a_domain_verified_without_dns_is_for_platform_admins() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant(
            &json!({"name": "Managed", "slug": "managed", "initialAdminUserIds": ["tam"]}),
        )
        .await;
    let tam = app.token("tam", &[], None);
    let domains = format!("/v1/tenants/{}/domains", id(&tenant));
    let refused = app
        .send(
            TestRequest::new("POST", &domains)
                .json(&json!({"domain": unique("managed"), "verified": true}))
                .bearer(&tam),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let domain = unique("managed");
    let marked = app
        .post(&domains, &json!({"domain": domain, "verified": true}))
        .await;
    assert_eq!(marked.status, 201, "{}", marked.body);
    assert_eq!(marked.body["status"], "verified");
    assert_eq!(
        discover_email(&app, &format!("a@{domain}")).await.body["slug"],
        "managed"
    );
    // A tenant admin claims (pending) like anyone.
    let pending = app
        .send(
            TestRequest::new("POST", &domains)
                .json(&json!({"domain": unique("pending")}))
                .bearer(&tam),
        )
        .await;
    assert_eq!(pending.status, 201);
    assert_eq!(pending.body["status"], "pending");
}

#[tokio::test]
async fn hostile_domains_and_lookups_get_400_never_500() {
    let app = spawn_app().await;
    let tenant = app.create_named("hostile-domains").await;
    let domains = format!("/v1/tenants/{}/domains", id(&tenant));
    let long = format!("{}.com", "a".repeat(300));
    for hostile in [
        json!("com"),
        json!("co.uk"),
        json!("xn--zz.com"),
        json!("xn--.example.com"),
        json!(long),
        json!("127.0.0.1"),
        json!("[::1]"),
        json!("::1"),
        json!("-bad-.com"),
        json!("a..b.com"),
        json!("acme.com/../etc"),
        json!(""),
        json!(42),
        json!(null),
    ] {
        let r = app.post(&domains, &json!({ "domain": hostile })).await;
        assert_eq!(r.status, 400, "{hostile}: {}", r.body);
        assert_eq!(r.invalid_fields(), ["domain"], "{hostile}");
    }
    let r = app
        .post(&domains, &json!({"domain": "fine.example.com", "extra": 1}))
        .await;
    assert_eq!(r.status, 400);
    for (name, value) in [
        ("email", "not-an-email"),
        ("email", "@example.com"),
        ("email", "a@com"),
        ("email", &format!("a@{long}")),
        ("email", "a@xn--zz.com"),
        ("slug", "Not A Slug"),
        ("other", "x"),
    ] {
        let r = app
            .send(TestRequest::new("GET", "/v1/login/discover").query(name, value))
            .await;
        assert_eq!(r.status, 400, "{name}={value}: {}", r.body);
    }
    let both = app
        .send(
            TestRequest::new("GET", "/v1/login/discover")
                .query("email", "a@b.example.com")
                .query("slug", "x"),
        )
        .await;
    assert_eq!(both.status, 400);
    let neither = app.get("/v1/login/discover").await;
    assert_eq!(neither.status, 400);
    // Verify and remove of anything not claimed: 404, whatever its spelling.
    for raw in ["unclaimed.example.com", "xn--zz.com", "%00", "a%2Fb"] {
        let r = verify(&app, &tenant, raw).await;
        assert_eq!(r.status, 404, "{raw}: {}", r.body);
        let r = app.delete(&format!("{domains}/{raw}")).await;
        assert_eq!(r.status, 404, "{raw}");
    }
}

/// The counts of a run's summary, by name.
fn counts(run: &Value, names: &[&str]) -> Vec<i64> {
    names
        .iter()
        .map(|n| run[*n].as_i64().unwrap_or(-1))
        .collect()
}

/// Runs `reverify-domains` as its schedule does (through the Lambda handler, now).
async fn scheduled_run(app: &TestApp) -> Value {
    let mut context = lambda_http::Context::default();
    context.request_id = uuid::Uuid::now_v7().to_string();
    let event = json!({"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {}});
    let done = tenant_shared::handlers::reverify_domains(
        &app.app,
        lambda_http::LambdaEvent::new(event, context),
    )
    .await
    .expect("a run of reverify-domains");
    serde_json::to_value(done).unwrap()
}

/// A run of the re-verification `hours` from now (the grace period without the wait).
async fn run_later(app: &TestApp, hours: i64, page: usize) -> Value {
    let origin = tenant_shared::domain::event::Origin::service("reverify-domains", "later");
    let now = tenant_shared::domain::clock::in_seconds(hours * 3600);
    let done = tenant_shared::service::domains::reverify(&app.app, &now, page, &origin)
        .await
        .expect("a later run");
    serde_json::to_value(done).unwrap()
}

#[tokio::test]
async fn a_verified_domain_whose_record_stays_gone_for_72_hours_is_unverified_and_admits_no_one() {
    let app = spawn_app().await;
    let domain = unique("lapsed");
    let tenant = app
        .create_tenant(&json!({"name": "Lapsed", "slug": "lapsed", "loginMode": "email_domain", "emailDomain": domain}))
        .await;
    let domains_path = format!("/v1/tenants/{}/domains", id(&tenant));
    let claim = app.get(&domains_path).await.body["items"][0].clone();
    publish(&claim);
    assert_eq!(verify(&app, &tenant, &domain).await.status, 200);
    let ana = app.email_token("ana", &format!("ana@{domain}"), true);
    let path = format!("/v1/tenants/{}", id(&tenant));
    let admitted = || async {
        app.send(TestRequest::new("GET", &path).bearer(&ana))
            .await
            .status
    };
    assert_eq!(admitted().await, 200);

    // A scheduled run finds the record: nothing changes.
    let run = scheduled_run(&app).await;
    assert_eq!(counts(&run, &["checked", "passed"]), [1, 1], "{run}");

    // The record is withdrawn: the next runs find it gone, within the grace period.
    integration_tests::withdraw_txt(claim["verification"]["name"].as_str().unwrap());
    let run = scheduled_run(&app).await;
    assert_eq!(run["failing"], 1, "{run}");
    let run = run_later(&app, 71, 100).await;
    assert_eq!(counts(&run, &["failing", "unverified"]), [1, 0], "{run}");
    assert_eq!(
        admitted().await,
        200,
        "still verified within the grace period"
    );
    assert_eq!(
        discover_email(&app, &format!("x@{domain}")).await.status,
        200
    );

    // 72 hours after the first failed check: unverified, with its event, and admission
    // and discovery stop.
    let run = run_later(&app, 72, 100).await;
    assert_eq!(run["unverified"], 1, "{run}");
    assert_eq!(admitted().await, 404);
    assert_eq!(
        discover_email(&app, &format!("x@{domain}")).await.status,
        404
    );
    let listed = app.get(&domains_path).await.body["items"][0].clone();
    assert_eq!(listed["status"], "unverified", "{listed}");
    assert!(listed["failingSince"].is_string());
    let last = app.stored_events().await.pop().unwrap();
    assert_eq!(last["type"], "tenant.domain_unverified");
    assert_eq!(
        last["domain"],
        json!({"domain": domain, "status": "unverified"})
    );
    assert_eq!(last["actor"]["kind"], "service");
    // Nothing is left to check, and a later run changes nothing.
    assert_eq!(run_later(&app, 100, 100).await["checked"], 0);

    // Publishing the record again and verifying restores it.
    publish(&claim);
    assert_eq!(verify(&app, &tenant, &domain).await.status, 200);
    assert_eq!(admitted().await, 200);
}

#[tokio::test]
async fn each_run_checks_a_bounded_page_the_longest_unchecked_first() {
    let app = spawn_app().await;
    let tenant = sso_tenant(&app, "paged-sso").await;
    let mut claims = Vec::new();
    for label in ["first", "second", "third"] {
        let domain = unique(label);
        let c = claim(&app, &tenant, &domain).await;
        publish(&c);
        assert_eq!(verify(&app, &tenant, &domain).await.status, 200);
        claims.push(c);
    }
    // The third domain's record goes; a page of two checks the two verified first.
    integration_tests::withdraw_txt(claims[2]["verification"]["name"].as_str().unwrap());
    let run = run_later(&app, 1, 2).await;
    assert_eq!(
        counts(&run, &["checked", "passed", "failing"]),
        [2, 2, 0],
        "{run}"
    );
    // The next run continues with the third (now the longest unchecked), then the first.
    let run = run_later(&app, 2, 2).await;
    assert_eq!(
        counts(&run, &["checked", "passed", "failing"]),
        [2, 1, 1],
        "{run}"
    );
}

#[tokio::test]
async fn domains_verified_before_rechecks_existed_are_enrolled_once_and_then_checked() {
    let app = spawn_app().await;
    let tenant = sso_tenant(&app, "legacy-sso").await;
    let domain = unique("legacy");
    let c = claim(&app, &tenant, &domain).await;
    publish(&c);
    assert_eq!(verify(&app, &tenant, &domain).await.status, 200);
    // A reservation as written before: no place in the re-verification queue.
    app.client
        .update_item()
        .table_name(&app.table)
        .key(
            "PK",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("DOMAIN#{domain}")),
        )
        .key(
            "SK",
            aws_sdk_dynamodb::types::AttributeValue::S("DOMAIN".into()),
        )
        .update_expression("REMOVE GSI2PK, GSI2SK, checkedAt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        run_later(&app, 1, 100).await["checked"],
        0,
        "not in the queue"
    );

    let enrol = tenant_shared::service::domains::enrol_unscheduled;
    assert_eq!(enrol(&app.app).await.unwrap(), 1);
    assert_eq!(enrol(&app.app).await.unwrap(), 0, "once");
    let run = run_later(&app, 1, 100).await;
    assert_eq!(counts(&run, &["checked", "passed"]), [1, 1], "{run}");
}

#[tokio::test]
async fn a_domain_a_platform_admin_marked_verified_is_never_rechecked_nor_enrolled() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant(&json!({"name": "Managed Co", "slug": "managed-co"}))
        .await;
    let domain = unique("platform-managed");
    let marked = app
        .post(
            &format!("/v1/tenants/{}/domains", id(&tenant)),
            &json!({"domain": domain, "verified": true}),
        )
        .await;
    assert_eq!(marked.status, 201, "{}", marked.body);
    // No TXT record exists for it, and none is expected: well past the grace period,
    // the scheduled checks neither see nor unverify it, and enrolment leaves it out.
    assert_eq!(run_later(&app, 100, 100).await["checked"], 0);
    assert_eq!(app.app.store.enrol_unscheduled_domains().await.unwrap(), 0);
    assert_eq!(run_later(&app, 200, 100).await["checked"], 0);
    assert_eq!(
        discover_email(&app, &format!("a@{domain}")).await.body["slug"],
        "managed-co"
    );
}
