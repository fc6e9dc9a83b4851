use integration_tests::{spawn_app, TestRequest};
use serde_json::json;

#[tokio::test]
async fn merge_patch_changes_fields_clears_nulls_and_bumps_the_version() {
    let app = spawn_app().await;
    let t = app
        .create_tenant(&json!({
            "name": "Patch Me", "slug": "patch-me", "ownerEmail": "a@example.com",
            "metadata": {"keep": 1, "drop": 2, "nested": {"a": 1, "b": 2}}
        }))
        .await;
    let path = format!("/v1/tenants/{}", t["id"].as_str().unwrap());
    let response = app
        .patch(
            &path,
            &json!({
                "name": "Patched", "ownerEmail": null, "maxUsers": 10,
                "metadata": {"drop": null, "new": true, "nested": {"b": null}}
            }),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    let p = &response.body;
    assert_eq!(p["name"], "Patched");
    assert!(p["ownerEmail"].is_null());
    assert_eq!(p["maxUsers"], 10);
    assert_eq!(
        p["metadata"],
        json!({"keep": 1, "new": true, "nested": {"a": 1}})
    );
    assert_eq!(p["version"], 2);
    assert_eq!(response.header("etag"), Some("\"2\""));
    assert_ne!(p["updatedAt"], t["updatedAt"]);
    assert_eq!(p["createdAt"], t["createdAt"]);
    assert_eq!(app.get(&path).await.body, *p);
}

#[tokio::test]
async fn plain_json_content_type_is_accepted_for_patch() {
    let app = spawn_app().await;
    let t = app.create_named("json-patch").await;
    let response = app
        .send(
            TestRequest::new(
                "PATCH",
                &format!("/v1/tenants/{}", t["id"].as_str().unwrap()),
            )
            .json(&json!({"kind": "trial"})),
        )
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body["kind"], "trial");
}

#[tokio::test]
async fn a_patch_that_changes_nothing_keeps_the_version() {
    let app = spawn_app().await;
    let t = app.create_named("no-op").await;
    let path = format!("/v1/tenants/{}", t["id"].as_str().unwrap());
    let response = app.patch(&path, &json!({"name": t["name"]})).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body["version"], 1);
}

#[tokio::test]
async fn immutable_fields_are_rejected_naming_each_field() {
    let app = spawn_app().await;
    let t = app.create_named("immutable").await;
    let path = format!("/v1/tenants/{}", t["id"].as_str().unwrap());
    let response = app
        .patch(
            &path,
            &json!({
                "id": "tenant_other", "slug": "other", "scopeId": "scope_x", "status": "suspended",
                "plan": "pro", "version": 9, "createdAt": "2020-01-01T00:00:00.000Z"
            }),
        )
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.code(), "validation_error");
    let mut fields = response.invalid_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "createdAt",
            "id",
            "plan",
            "scopeId",
            "slug",
            "status",
            "version"
        ]
    );
    // Nothing was written.
    assert_eq!(app.get(&path).await.body["version"], 1);
}

#[tokio::test]
async fn sending_back_unchanged_read_only_fields_is_fine() {
    let app = spawn_app().await;
    let mut t = app.create_named("round-trip").await;
    let path = format!("/v1/tenants/{}", t["id"].as_str().unwrap());
    t["name"] = json!("Round Trip");
    let response = app.patch(&path, &t).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.body["name"], "Round Trip");
}

#[tokio::test]
async fn invalid_patch_values_are_all_reported() {
    let app = spawn_app().await;
    let t = app.create_named("bad-patch").await;
    let path = format!("/v1/tenants/{}", t["id"].as_str().unwrap());
    let response = app
        .patch(
            &path,
            &json!({"name": null, "billingEmail": "x", "loginMode": "sso", "unknown": 1}),
        )
        .await;
    assert_eq!(response.status, 400);
    let mut fields = response.invalid_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "billingEmail",
            "name",
            "ssoRegion",
            "ssoStartUrl",
            "unknown"
        ]
    );
}

#[tokio::test]
async fn if_match_with_the_current_version_succeeds_and_a_stale_one_is_412() {
    let app = spawn_app().await;
    let t = app.create_named("if-match").await;
    let path = format!("/v1/tenants/{}", t["id"].as_str().unwrap());
    let ok = app
        .send(
            TestRequest::new("PATCH", &path)
                .header("if-match", "\"1\"")
                .json(&json!({"name": "v2"})),
        )
        .await;
    assert_eq!(ok.status, 200);
    let stale = app
        .send(
            TestRequest::new("PATCH", &path)
                .header("if-match", "\"1\"")
                .json(&json!({"name": "v3"})),
        )
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(stale.code(), "precondition_failed");
    assert_eq!(stale.body["details"]["currentVersion"], 2);
    assert_eq!(app.get(&path).await.body["name"], "v2");
}

#[tokio::test]
async fn weak_etags_never_satisfy_if_match() {
    let app = spawn_app().await;
    let t = app.create_named("weak-etag").await;
    let response = app
        .send(
            TestRequest::new(
                "PATCH",
                &format!("/v1/tenants/{}", t["id"].as_str().unwrap()),
            )
            .header("if-match", "W/\"1\"")
            .json(&json!({"name": "x"})),
        )
        .await;
    assert_eq!(response.status, 412);
}

#[tokio::test]
async fn garbled_if_match_is_a_400_naming_the_header() {
    let app = spawn_app().await;
    let t = app.create_named("garbled").await;
    let response = app
        .send(
            TestRequest::new(
                "PATCH",
                &format!("/v1/tenants/{}", t["id"].as_str().unwrap()),
            )
            .header("if-match", "version one")
            .json(&json!({"name": "x"})),
        )
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.invalid_fields(), ["If-Match"]);
}

#[tokio::test]
async fn patching_a_deleted_tenant_is_409_invalid_state() {
    let app = spawn_app().await;
    let t = app.create_named("deleted-patch").await;
    let path = format!("/v1/tenants/{}", t["id"].as_str().unwrap());
    app.delete(&path).await;
    let response = app.patch(&path, &json!({"name": "zombie"})).await;
    assert_eq!(response.status, 409);
    assert_eq!(response.code(), "invalid_state");
}

#[tokio::test]
async fn patching_an_unknown_tenant_is_404() {
    let app = spawn_app().await;
    let response = app
        .patch(
            &format!("/v1/tenants/tenant_{}", uuid::Uuid::now_v7()),
            &json!({"name": "x"}),
        )
        .await;
    assert_eq!(response.status, 404);
}

/// `PATCH path` with `body` as a tenant admin of `tenant` (a token claiming it).
fn patch_as_tenant_admin(
    app: &integration_tests::TestApp,
    tenant: &str,
    body: &serde_json::Value,
) -> TestRequest {
    TestRequest::new("PATCH", &format!("/v1/tenants/{tenant}"))
        .header("content-type", "application/merge-patch+json")
        .raw(body.to_string().as_bytes())
        .bearer(&app.token(
            "tenant-boss",
            &[tenant_shared::domain::Role::TenantAdmin],
            Some(tenant),
        ))
}

#[tokio::test]
async fn a_tenant_admin_may_not_change_the_owner_fields_and_is_told_why() {
    let app = spawn_app().await;
    let t = app
        .create_tenant(&json!({
            "name": "Owned", "slug": "owned", "ownerEmail": "owner@owned.example",
            "ownerName": "Ada Owner", "ownerUserId": "ada"
        }))
        .await;
    let id = t["id"].as_str().unwrap();
    for change in [
        json!({"ownerEmail": "attacker@evil.example"}),
        json!({"ownerEmail": null}),
        json!({"ownerName": "Eve"}),
        json!({"ownerUserId": "eve"}),
        json!({"name": "Renamed", "ownerEmail": "victim@elsewhere.example"}),
    ] {
        let r = app.send(patch_as_tenant_admin(&app, id, &change)).await;
        assert_eq!(r.status, 403, "{change}: {}", r.body);
        assert_eq!(r.code(), "forbidden");
        assert_eq!(
            r.body["notices"],
            json!(["owner-fields-need-platform-admin"]),
            "{change}"
        );
    }
    assert_eq!(app.tenant(id).await["version"], 1, "nothing was written");
    // Sent back unchanged, the owner fields ask nothing; the tenant's own fields are its
    // admins' to change.
    let unchanged = app
        .send(patch_as_tenant_admin(
            &app,
            id,
            &json!({"ownerEmail": "owner@owned.example", "name": "Renamed", "locale": "fr"}),
        ))
        .await;
    assert_eq!(unchanged.status, 200, "{}", unchanged.body);
    assert_eq!(unchanged.body["name"], "Renamed");
    // A platform admin may change the owner.
    let by_platform = app
        .patch(
            &format!("/v1/tenants/{id}"),
            &json!({"ownerEmail": "new-owner@owned.example", "ownerName": "Bea"}),
        )
        .await;
    assert_eq!(by_platform.status, 200, "{}", by_platform.body);
    assert_eq!(by_platform.body["ownerEmail"], "new-owner@owned.example");
}

#[tokio::test]
async fn a_tenant_admin_may_not_raise_its_limits_or_change_its_kind() {
    let app = spawn_app().await;
    let t = app
        .create_tenant(&json!({"name": "Limited", "slug": "limited", "maxUsers": 5}))
        .await;
    let id = t["id"].as_str().unwrap();
    for change in [
        json!({"maxUsers": 1_000_000}),
        json!({"maxUsers": null}),
        json!({"maxWorkspaces": 100}),
        json!({"maxProjects": 100}),
        json!({"maxEnvironments": 100}),
        json!({"dataRetentionDays": 3650}),
        json!({"kind": "enterprise"}),
    ] {
        let r = app.send(patch_as_tenant_admin(&app, id, &change)).await;
        assert_eq!(r.status, 403, "{change}: {}", r.body);
        assert_eq!(
            r.body["notices"],
            json!(["limits-need-platform-admin"]),
            "{change}"
        );
    }
    // A key bound to the tenant is refused the same way.
    let key = app
        .create_api_key(&json!({"name": "k", "roles": ["tenant_admin"], "tenantId": id}))
        .await;
    let by_key = app
        .send(
            TestRequest::new("PATCH", &format!("/v1/tenants/{id}"))
                .json(&json!({"maxUsers": 6}))
                .api_key(key["key"].as_str().unwrap()),
        )
        .await;
    assert_eq!(by_key.status, 403, "{}", by_key.body);
    assert_eq!(
        by_key.body["notices"],
        json!(["limits-need-platform-admin"])
    );
    let now = app.tenant(id).await;
    assert_eq!(
        (now["version"].clone(), now["maxUsers"].clone()),
        (json!(1), json!(5))
    );
    // Unchanged limits ask nothing; a platform admin sets them.
    let same = app
        .send(patch_as_tenant_admin(
            &app,
            id,
            &json!({"maxUsers": 5, "kind": "standard"}),
        ))
        .await;
    assert_eq!(same.status, 200, "{}", same.body);
    let by_platform = app
        .patch(
            &format!("/v1/tenants/{id}"),
            &json!({"maxUsers": 50, "kind": "enterprise"}),
        )
        .await;
    assert_eq!(by_platform.status, 200, "{}", by_platform.body);
    assert_eq!(by_platform.body["maxUsers"], 50);
}
