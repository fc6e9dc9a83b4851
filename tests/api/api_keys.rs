//! API keys: shown once, stored hashed, revocable. What a tenant's own admins may do with
//! their tenant's keys is in tenant_keys.rs.

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::{spawn_app, TestRequest};
use serde_json::json;

#[tokio::test]
async fn a_key_is_shown_once_and_works_until_revoked() {
    let app = spawn_app().await;
    let created = app
        .create_api_key(&json!({"name": "ci", "roles": ["platform_admin"]}))
        .await;
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("tk_"));
    assert_eq!(created["status"], "active");
    assert_eq!(created["createdBy"], integration_tests::TEST_ADMIN);

    let with_key = app
        .send(TestRequest::new("GET", "/v1/tenants").api_key(&key))
        .await;
    assert_eq!(with_key.status, 200);

    // Listed without the key or its hash; stored only as a hash.
    let listed = app.get("/v1/api-keys").await;
    let text = listed.body.to_string();
    assert!(
        !text.contains(&key[20..]),
        "the secret must never be listed"
    );
    assert!(!text.contains("secretHash"));
    let stored = app
        .client
        .get_item()
        .table_name(&app.table)
        .key("PK", AttributeValue::S(format!("APIKEY#{id}")))
        .key("SK", AttributeValue::S("APIKEY".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let stored_text = format!("{stored:?}");
    assert!(
        !stored_text.contains(&key[36..]),
        "the secret is never stored"
    );

    let revoked = app.delete(&format!("/v1/api-keys/{id}")).await;
    assert_eq!(revoked.status, 200);
    assert_eq!(revoked.body["status"], "revoked");
    let again = app.delete(&format!("/v1/api-keys/{id}")).await;
    assert_eq!(again.status, 200, "revoking twice changes nothing");

    let refused = app
        .send(TestRequest::new("GET", "/v1/tenants").api_key(&key))
        .await;
    assert_eq!(refused.status, 401);
}

#[tokio::test]
async fn a_key_with_a_wrong_secret_or_unknown_id_is_401() {
    let app = spawn_app().await;
    let created = app
        .create_api_key(&json!({"name": "ci", "roles": ["platform_admin"]}))
        .await;
    let key = created["key"].as_str().unwrap();
    let mut wrong = key.to_owned();
    wrong.replace_range(key.len() - 4.., "AAAA");
    let unknown = format!("tk_{}_{}", "0".repeat(32), &key[36..]);
    for bad in [wrong.as_str(), unknown.as_str(), "tk_short", "not-a-key"] {
        let response = app
            .send(TestRequest::new("GET", "/v1/tenants").api_key(bad))
            .await;
        assert_eq!(response.status, 401, "{bad}");
        assert_eq!(response.body["message"], "invalid credentials");
    }
}

#[tokio::test]
async fn tenant_keys_need_a_live_tenant_and_tenant_roles() {
    let app = spawn_app().await;
    let tenant = app.create_named("acme").await;
    let id = tenant["id"].as_str().unwrap();
    // A tenant that does not exist is 404, as on every request naming a tenant; a deleted
    // one is no live tenant.
    let missing = app
        .post(
            "/v1/api-keys",
            &json!({"name": "k", "roles": ["tenant_admin"], "tenantId": "tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f"}),
        )
        .await;
    assert_eq!(missing.status, 404, "{}", missing.body);
    let gone = app.create_named("gone").await;
    let gone = gone["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/v1/tenants/{gone}")).await.status, 200);
    let deleted = app
        .post(
            "/v1/api-keys",
            &json!({"name": "k", "roles": ["tenant_admin"], "tenantId": gone}),
        )
        .await;
    assert_eq!(deleted.status, 400, "{}", deleted.body);
    assert_eq!(deleted.invalid_fields(), ["tenantId"]);
    let wrong_roles = app
        .post(
            "/v1/api-keys",
            &json!({"name": "k", "roles": ["platform_admin"], "tenantId": id}),
        )
        .await;
    assert_eq!(wrong_roles.invalid_fields(), ["roles"]);

    let member_key = app
        .post(
            "/v1/api-keys",
            &json!({"name": "k", "roles": ["tenant_member"], "tenantId": id}),
        )
        .await;
    assert_eq!(member_key.status, 201);
    let location = format!("/v1/api-keys/{}", member_key.body["id"].as_str().unwrap());
    assert_eq!(member_key.header("location"), Some(location.as_str()));
    let key = member_key.body["key"].as_str().unwrap();
    let read = app
        .send(TestRequest::new("GET", &format!("/v1/tenants/{id}")).api_key(key))
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["currentUserRoles"], json!(["tenant_member"]));
    let listed = app
        .send(TestRequest::new("GET", "/v1/tenants").api_key(key))
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    // Every key is listed to platform admins only (a tenant's admins list their tenant's:
    // tenant_keys.rs).
    let manage = app
        .send(TestRequest::new("GET", "/v1/api-keys").api_key(key))
        .await;
    assert_eq!(manage.status, 403);
    assert_eq!(
        manage.body["notices"],
        json!(["platform-actions-need-platform-admin"])
    );
}

#[tokio::test]
async fn keys_are_listed_newest_first_in_pages() {
    let app = spawn_app().await;
    for n in 0..5 {
        app.post(
            "/v1/api-keys",
            &json!({"name": format!("key {n}"), "roles": ["platform_admin"]}),
        )
        .await;
    }
    let names: Vec<String> = app
        .all_pages(TestRequest::new("GET", "/v1/api-keys").query("limit", "2"))
        .await
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["key 4", "key 3", "key 2", "key 1", "key 0"]);
    let bad = app
        .send(TestRequest::new("GET", "/v1/api-keys").query("cursor", "forged"))
        .await;
    assert_eq!(bad.code(), "invalid_cursor");
}
