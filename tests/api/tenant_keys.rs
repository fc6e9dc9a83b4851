//! A tenant's own admins manage the API keys bound to their tenant: they list them
//! (`?tenantId=`), create `tenant_member` keys and revoke them; keys holding `tenant_admin`
//! (which count the tenant's usage) and platform keys stay the platform admins'. Other
//! tenants' keys do not exist for them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use integration_tests::{spawn_app, TestApp, TestRequest};
use serde_json::{json, Value};
use tenant_shared::domain::Role;

/// A tenant whose admin is `<slug>-admin` (a stored grant), and a token for that admin
/// (`ada` for `acme`, the tenant admin of these tests).
async fn tenant_with_admin(app: &TestApp, slug: &str) -> (String, String) {
    let admin = if slug == "acme" {
        "ada".to_owned()
    } else {
        format!("{slug}-admin")
    };
    let tenant = app
        .create_tenant(&json!({"name": format!("Tenant {slug}"), "slug": slug,
                               "initialAdminUserIds": [admin]}))
        .await;
    (
        tenant["id"].as_str().unwrap().to_owned(),
        app.token(&admin, &[], None),
    )
}

/// Whether a 403 cites `notice` (a caller holding only stored grants also holds no role
/// on the platform: `caller-without-roles` comes with it there).
fn cites(response: &Value, notice: &str) -> bool {
    response["notices"]
        .as_array()
        .is_some_and(|n| n.iter().any(|n| n == notice))
}

fn new_key(name: &str, roles: Value, tenant: &str) -> TestRequest {
    TestRequest::new("POST", "/v1/api-keys")
        .json(&json!({"name": name, "roles": roles, "tenantId": tenant}))
}

fn key_list(tenant: &str) -> TestRequest {
    TestRequest::new("GET", "/v1/api-keys").query("tenantId", tenant)
}

fn revoke(id: &str) -> TestRequest {
    TestRequest::new("DELETE", &format!("/v1/api-keys/{id}"))
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_tenant_admin_creates_a_member_key_for_its_own_tenant() {
    let app = spawn_app().await;
    let (id, ada) = tenant_with_admin(&app, "acme").await;
    let created = app
        .send(new_key("sync", json!(["tenant_member"]), &id).bearer(&ada))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["tenantId"], id.as_str());
    assert_eq!(created.body["roles"], json!(["tenant_member"]));
    assert_eq!(created.body["createdBy"], "ada");
    assert!(created.body["key"].as_str().unwrap().starts_with("tk_"));
    let key_path = format!("/v1/api-keys/{}", created.body["id"].as_str().unwrap());
    assert_eq!(created.header("location"), Some(key_path.as_str()));

    // The tenant's audit trail shows it, made by her.
    let events = app
        .send(
            TestRequest::new("GET", &format!("/v1/tenants/{id}/events"))
                .query("type", "api_key.created")
                .bearer(&ada),
        )
        .await;
    assert_eq!(events.status, 200, "{}", events.body);
    let event = &events.body["items"][0];
    assert_eq!(event["apiKey"]["id"], created.body["id"]);
    assert_eq!(event["actor"], json!({"kind": "user", "id": "ada"}));
    assert_eq!(event["tenantId"], id.as_str());
}

#[tokio::test]
async fn the_member_key_a_tenant_admin_creates_reads_its_tenant_and_is_refused_usage_reports() {
    let app = spawn_app().await;
    let (id, ada) = tenant_with_admin(&app, "acme").await;
    let created = app
        .send(new_key("reader", json!(["tenant_member"]), &id).bearer(&ada))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let key = created.body["key"].as_str().unwrap();

    let read = app
        .send(TestRequest::new("GET", &format!("/v1/tenants/{id}")).api_key(key))
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["currentUserRoles"], json!(["tenant_member"]));

    let report = app
        .send(
            TestRequest::new("POST", &format!("/v1/tenants/{id}/usage/maxUsers"))
                .json(&json!({"delta": -1}))
                .header("idempotency-key", "lower-my-usage")
                .api_key(key),
        )
        .await;
    assert_eq!(report.status, 403, "{}", report.body);
    assert_eq!(
        report.body["notices"],
        json!(["usage-is-reported-by-the-application"])
    );
    // Nor does it manage keys.
    let list = app.send(key_list(&id).api_key(key)).await;
    assert_eq!(list.status, 403);
    assert_eq!(list.body["notices"], json!(["tenant-member-is-read-only"]));
}

#[tokio::test]
async fn a_tenant_admin_is_refused_an_admin_key_with_the_notice_that_says_why() {
    let app = spawn_app().await;
    let (id, ada) = tenant_with_admin(&app, "acme").await;
    let claimed = app.token("claimed", &[Role::TenantAdmin], Some(&id));
    let app_key = app
        .create_api_key(&json!({"name": "app", "roles": ["tenant_admin"], "tenantId": id}))
        .await;
    let app_key = app_key["key"].as_str().unwrap();
    for roles in [
        json!(["tenant_admin"]),
        json!(["tenant_member", "tenant_admin"]),
        json!(["platform_admin"]),
    ] {
        for (who, request) in [
            ("granted", new_key("mine", roles.clone(), &id).bearer(&ada)),
            (
                "claimed",
                new_key("mine", roles.clone(), &id).bearer(&claimed),
            ),
            (
                "app key",
                new_key("mine", roles.clone(), &id).api_key(app_key),
            ),
        ] {
            let refused = app.send(request).await;
            assert_eq!(refused.status, 403, "{who} {roles}: {}", refused.body);
            assert_eq!(refused.code(), "forbidden");
            assert_eq!(
                refused.body["notices"],
                json!(["admin-keys-need-platform-admin"]),
                "{who} {roles}"
            );
        }
    }
    // Nothing was made: the platform's key is the tenant's only one.
    let listed = app.send(key_list(&id).bearer(&ada)).await;
    assert_eq!(names(&listed.body), ["app"]);
    // A platform admin makes them.
    let admin_key = app
        .send(new_key("app 2", json!(["tenant_admin"]), &id))
        .await;
    assert_eq!(admin_key.status, 201, "{}", admin_key.body);
}

#[tokio::test]
async fn a_tenant_admin_gets_404_for_another_tenant_as_for_a_missing_one() {
    let app = spawn_app().await;
    let (_, ada) = tenant_with_admin(&app, "acme").await;
    let (other, _) = tenant_with_admin(&app, "globex").await;
    let missing = "tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f";
    for tenant in [other.as_str(), missing] {
        for request in [
            new_key("k", json!(["tenant_member"]), tenant),
            key_list(tenant),
        ] {
            let response = app.send(request.bearer(&ada)).await;
            assert_eq!(response.status, 404, "{}", response.body);
            assert_eq!(
                response.body["message"],
                format!("no tenant with id '{tenant}'")
            );
        }
    }
    // The other tenant has no key now.
    let listed = app.send(key_list(&other)).await;
    assert_eq!(names(&listed.body), Vec::<String>::new());
}

#[tokio::test]
async fn a_tenant_admin_lists_only_its_own_tenants_keys_and_is_403_without_tenant_id() {
    let app = spawn_app().await;
    let (id, ada) = tenant_with_admin(&app, "acme").await;
    let (other, _) = tenant_with_admin(&app, "globex").await;
    // Interleaved with other tenants' keys and platform keys.
    for n in 0..5 {
        app.create_api_key(
            &json!({"name": format!("acme {n}"), "roles": ["tenant_member"], "tenantId": id}),
        )
        .await;
        app.create_api_key(
            &json!({"name": format!("globex {n}"), "roles": ["tenant_member"], "tenantId": other}),
        )
        .await;
        app.create_api_key(&json!({"name": format!("ops {n}"), "roles": ["platform_admin"]}))
            .await;
    }
    let listed = app
        .all_pages(key_list(&id).query("limit", "2").bearer(&ada))
        .await;
    let listed: Vec<&str> = listed.iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(listed, ["acme 4", "acme 3", "acme 2", "acme 1", "acme 0"]);
    // Full pages: two keys, then two, then the last one.
    let first = app
        .send(key_list(&id).query("limit", "2").bearer(&ada))
        .await;
    assert_eq!(names(&first.body), ["acme 4", "acme 3"]);
    let cursor = first.body["nextCursor"].as_str().unwrap();
    // A cursor belongs to its tenant's listing.
    for request in [
        key_list(&other).query("cursor", cursor),
        TestRequest::new("GET", "/v1/api-keys").query("cursor", cursor),
    ] {
        let refused = app.send(request).await;
        assert_eq!(refused.code(), "invalid_cursor", "{}", refused.body);
    }

    let everything = app
        .send(TestRequest::new("GET", "/v1/api-keys").bearer(&ada))
        .await;
    assert_eq!(everything.status, 403, "{}", everything.body);
    assert!(
        cites(&everything.body, "platform-actions-need-platform-admin"),
        "{}",
        everything.body
    );
    // A platform admin lists any tenant's keys the same way.
    let by_admin = app.all_pages(key_list(&other)).await;
    assert_eq!(by_admin.len(), 5);
}

#[tokio::test]
async fn a_tenant_id_that_names_no_tenant_is_400_once_the_caller_is_known() {
    let app = spawn_app().await;
    let (_, ada) = tenant_with_admin(&app, "acme").await;
    for request in [
        key_list("acme"),
        key_list("acme").query("tenantId", "acme-too"),
        new_key("k", json!(["tenant_member"]), "acme"),
        TestRequest::new("POST", "/v1/api-keys")
            .json(&json!({"name": "k", "roles": ["tenant_member"], "tenantId": 7})),
    ] {
        let refused = app.send(request.clone().bearer(&ada)).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert_eq!(refused.invalid_fields(), ["tenantId"]);
        let anonymous = app.send(request.anonymous()).await;
        assert_eq!(anonymous.status, 401);
    }
}

#[tokio::test]
async fn a_tenant_admin_revokes_its_own_tenants_key() {
    let app = spawn_app().await;
    let (id, ada) = tenant_with_admin(&app, "acme").await;
    let member = app
        .create_api_key(&json!({"name": "ci", "roles": ["tenant_member"], "tenantId": id}))
        .await;
    let key = member["key"].as_str().unwrap();
    let key_id = member["id"].as_str().unwrap();
    let revoked = app.send(revoke(key_id).bearer(&ada)).await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.body["status"], "revoked");
    assert_eq!(revoked.body["revokedBy"], "ada");
    let again = app.send(revoke(key_id).bearer(&ada)).await;
    assert_eq!(again.status, 200, "revoking twice changes nothing");
    let refused = app
        .send(TestRequest::new("GET", &format!("/v1/tenants/{id}")).api_key(key))
        .await;
    assert_eq!(refused.status, 401);

    // Not the application's key: it counts her tenant's usage, and is the platform's.
    let app_key = app
        .create_api_key(&json!({"name": "app", "roles": ["tenant_admin"], "tenantId": id}))
        .await;
    let app_key_id = app_key["id"].as_str().unwrap();
    let refused = app.send(revoke(app_key_id).bearer(&ada)).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(cites(&refused.body, "admin-keys-need-platform-admin"));
    let still = app
        .send(
            TestRequest::new("GET", &format!("/v1/tenants/{id}"))
                .api_key(app_key["key"].as_str().unwrap()),
        )
        .await;
    assert_eq!(still.status, 200, "the application's key still works");
    let revoked = app.send(revoke(app_key_id)).await;
    assert_eq!(
        revoked.status, 200,
        "a platform admin revokes it: {}",
        revoked.body
    );

    let events = app
        .send(
            TestRequest::new("GET", &format!("/v1/tenants/{id}/events"))
                .query("type", "api_key.revoked")
                .bearer(&ada),
        )
        .await;
    let revocations: Vec<&Value> = events.body["items"].as_array().unwrap().iter().collect();
    assert_eq!(revocations.len(), 2, "{}", events.body);
    assert_eq!(revocations[1]["apiKey"]["id"], key_id);
    assert_eq!(revocations[1]["actor"]["id"], "ada");
    assert_eq!(revocations[0]["apiKey"]["id"], app_key_id);
}

#[tokio::test]
async fn another_tenants_key_is_404_for_a_tenant_admin_as_a_missing_key_is() {
    let app = spawn_app().await;
    let (_, ada) = tenant_with_admin(&app, "acme").await;
    let (other, _) = tenant_with_admin(&app, "globex").await;
    let theirs = app
        .create_api_key(&json!({"name": "theirs", "roles": ["tenant_member"], "tenantId": other}))
        .await;
    let theirs = theirs["id"].as_str().unwrap();
    let missing = "key_0123456789abcdef0123456789abcdef";
    for key_id in [theirs, missing, "not-a-key-id"] {
        let response = app.send(revoke(key_id).bearer(&ada)).await;
        assert_eq!(response.status, 404, "{}", response.body);
        assert_eq!(
            response.body["message"],
            format!("no API key with id '{key_id}'")
        );
    }
    // With a header naming the other tenant, too.
    let header = app
        .send(revoke(theirs).bearer(&ada).header("x-tenant-id", &other))
        .await;
    assert_eq!(header.status, 404);
    let listed = app.send(key_list(&other)).await;
    assert_eq!(listed.body["items"][0]["status"], "active");
    // A caller that is not signed in learns nothing either.
    let anonymous = app.send(revoke(missing).anonymous()).await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn a_tenant_member_is_403_on_its_tenants_keys() {
    let app = spawn_app().await;
    let (id, _) = tenant_with_admin(&app, "acme").await;
    let member = app.token("mo", &[Role::TenantMember], Some(&id));
    let existing = app
        .create_api_key(&json!({"name": "ci", "roles": ["tenant_member"], "tenantId": id}))
        .await;
    for request in [
        new_key("k", json!(["tenant_member"]), &id),
        key_list(&id),
        revoke(existing["id"].as_str().unwrap()),
    ] {
        let refused = app.send(request.bearer(&member)).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(
            refused.body["notices"],
            json!(["tenant-member-is-read-only"])
        );
    }
}

#[tokio::test]
async fn platform_keys_stay_the_platform_admins() {
    let app = spawn_app().await;
    let (_, ada) = tenant_with_admin(&app, "acme").await;
    let platform = app
        .create_api_key(&json!({"name": "ops", "roles": ["login_service"]}))
        .await;
    for request in [
        TestRequest::new("POST", "/v1/api-keys")
            .json(&json!({"name": "mine", "roles": ["login_service"]})),
        revoke(platform["id"].as_str().unwrap()),
    ] {
        let refused = app.send(request.bearer(&ada)).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(
            cites(&refused.body, "platform-actions-need-platform-admin"),
            "{}",
            refused.body
        );
    }
}

#[tokio::test]
async fn a_suspended_tenants_admin_manages_no_keys() {
    let app = spawn_app().await;
    let (id, ada) = tenant_with_admin(&app, "acme").await;
    let existing = app
        .create_api_key(&json!({"name": "ci", "roles": ["tenant_member"], "tenantId": id}))
        .await;
    let suspended = app
        .send(TestRequest::new(
            "POST",
            &format!("/v1/tenants/{id}/suspend"),
        ))
        .await;
    assert_eq!(suspended.status, 200, "{}", suspended.body);
    for request in [
        new_key("k", json!(["tenant_member"]), &id),
        key_list(&id),
        revoke(existing["id"].as_str().unwrap()),
    ] {
        let refused = app.send(request.bearer(&ada)).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(refused.code(), "tenant_suspended");
    }
}

#[tokio::test]
async fn a_tenants_keys_among_many_others_are_listed_whole_when_time_runs_short() {
    let app = spawn_app().await;
    let (id, ada) = tenant_with_admin(&app, "acme").await;
    // More keys than one filtered index read (200) holds, with the tenant's at both ends.
    let member = |name: &str| json!({"name": name, "roles": ["tenant_member"], "tenantId": id});
    app.create_api_key(&member("oldest")).await;
    for n in 0..204 {
        app.create_api_key(&json!({"name": format!("ops {n}"), "roles": ["provisioner"]}))
            .await;
    }
    app.create_api_key(&member("newest")).await;
    // With time nearly out, the listing stops after each index read instead of filling up.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = key_list(&id)
            .query("limit", "2")
            .time_left_ms(500)
            .bearer(&ada);
        if let Some(c) = &cursor {
            request = request.query("cursor", c);
        }
        let page = app.send(request).await;
        assert_eq!(page.status, 200, "{}", page.body);
        pages += 1;
        seen.extend(names(&page.body));
        match page.body["nextCursor"].as_str() {
            Some(next) => {
                // It may stop on another tenant's key: the cursor is sealed, naming none.
                let bytes = URL_SAFE_NO_PAD.decode(next).unwrap();
                assert!(!String::from_utf8_lossy(&bytes).contains("key_"), "{next}");
                cursor = Some(next.to_owned())
            }
            None => break,
        }
        assert!(pages < 10, "did not finish");
    }
    assert_eq!(
        seen,
        ["newest", "oldest"],
        "every key exactly once, in order"
    );
    assert!(pages > 1, "stopped early at least once");
}
