use integration_tests::{spawn_app, TestRequest};
use serde_json::json;

fn full_tenant() -> serde_json::Value {
    json!({
        "name": "Acme Corp",
        "slug": "acme",
        "kind": "enterprise",
        "plan": "pro",
        "ownerEmail": "owner@acme.example.com",
        "ownerName": "Ada Owner",
        "ownerUserId": "user-123",
        "billingEmail": "billing@acme.example.com",
        "technicalContactEmail": "tech@acme.example.com",
        "externalId": "cus_123",
        "locale": "fr-ca",
        "region": "eu-west-1",
        "loginMode": "sso",
        "ssoStartUrl": "https://d-1234567890.awsapps.com/start",
        "ssoRegion": "eu-west-1",
        "awsRoleArn": "arn:aws:iam::123456789012:role/TenantAccess",
        "awsExternalId": "ext-123",
        "awsRegion": "us-east-1",
        "maxUsers": 50,
        "maxWorkspaces": 5,
        "maxProjects": 20,
        "maxEnvironments": 3,
        "dataRetentionDays": 90,
        "metadata": {"crm": {"id": 7}, "tags": ["a", "b"]}
    })
}

#[tokio::test]
async fn create_returns_201_with_location_etag_and_every_field() {
    let app = spawn_app().await;
    let response = app.post("/v1/tenants", &full_tenant()).await;
    assert_eq!(response.status, 201, "{}", response.body);
    let t = &response.body;
    let id = t["id"].as_str().unwrap();
    assert!(id.starts_with("tenant_"));
    assert!(t["scopeId"].as_str().unwrap().starts_with("scope_"));
    assert_eq!(
        response.header("location"),
        Some(format!("/v1/tenants/{id}").as_str())
    );
    assert_eq!(response.header("etag"), Some("\"1\""));
    assert!(response.header("x-request-id").is_some());
    assert_eq!(t["status"], "active");
    assert_eq!(t["version"], 1);
    assert_eq!(t["plan"], "pro");
    assert_eq!(t["kind"], "enterprise");
    assert_eq!(t["locale"], "fr-CA", "locale is canonicalised");
    assert_eq!(t["metadata"]["crm"]["id"], 7);
    assert_eq!(t["maxUsers"], 50);
    assert_eq!(t["createdAt"], t["updatedAt"]);

    // And it reads back identically.
    let read = app.get(&format!("/v1/tenants/{id}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, *t);
}

#[tokio::test]
async fn create_applies_defaults() {
    let app = spawn_app().await;
    let t = app.create_named("defaults").await;
    assert_eq!(t["plan"], "starter");
    assert_eq!(t["kind"], "standard");
    assert_eq!(t["loginMode"], "invite");
    assert!(t["ownerEmail"].is_null());
}

#[tokio::test]
async fn default_plan_and_catalogue_come_from_configuration() {
    let plans = json!({
        "defaultPlan": "premium",
        "features": {"seats": {"type": "limit"}},
        "plans": [
            {"name": "basic", "grants": {"seats": {"limit": 2}}},
            {"name": "premium", "grants": {"seats": {"limit": null}}},
        ],
    })
    .to_string();
    let app = integration_tests::spawn_app_with(&[
        ("PLANS", plans.as_str()),
        // The legacy variable still picks the default.
        ("DEFAULT_PLAN", "basic"),
    ])
    .await;
    let t = app.create_named("configured").await;
    assert_eq!(t["plan"], "basic");
    let bad = app
        .post(
            "/v1/tenants",
            &json!({"name": "x", "slug": "other", "plan": "pro"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.invalid_fields(), ["plan"]);
}

#[tokio::test]
async fn taken_slug_is_a_409_slug_conflict() {
    let app = spawn_app().await;
    app.create_named("taken").await;
    let response = app
        .post("/v1/tenants", &json!({"name": "Other", "slug": "taken"}))
        .await;
    assert_eq!(response.status, 409);
    assert_eq!(response.code(), "slug_conflict");
}

#[tokio::test]
async fn slug_of_a_deleted_tenant_is_never_reused() {
    let app = spawn_app().await;
    let t = app.create_named("gone").await;
    let id = t["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/v1/tenants/{id}")).await.status, 200);
    let again = app
        .post("/v1/tenants", &json!({"name": "New", "slug": "gone"}))
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.code(), "slug_conflict");
}

#[tokio::test]
async fn replaying_a_client_supplied_id_with_the_same_body_returns_the_tenant_with_200() {
    let app = spawn_app().await;
    let id = format!("tenant_{}", uuid::Uuid::now_v7());
    let body = json!({"id": id, "name": "Replay", "slug": "replay"});
    let first = app.post("/v1/tenants", &body).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.body["id"], id.as_str());
    // Same JSON, other key order.
    let replay = app
        .send(
            TestRequest::new("POST", "/v1/tenants")
                .header("content-type", "application/json")
                .raw(format!(r#"{{"slug":"replay","name":"Replay","id":"{id}"}}"#).as_bytes()),
        )
        .await;
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(replay.body, first.body);
}

#[tokio::test]
async fn replaying_a_client_supplied_id_with_a_different_body_is_an_id_conflict() {
    let app = spawn_app().await;
    let id = format!("tenant_{}", uuid::Uuid::now_v7());
    app.create_tenant(&json!({"id": id, "name": "One", "slug": "one"}))
        .await;
    let other = app
        .post(
            "/v1/tenants",
            &json!({"id": id, "name": "Two", "slug": "two"}),
        )
        .await;
    assert_eq!(other.status, 409);
    assert_eq!(other.code(), "id_conflict");
    // The failed attempt reserved nothing: slug "two" is still free.
    app.create_named("two").await;
}

#[tokio::test]
async fn client_supplied_id_must_be_a_tenant_uuid_v7() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/v1/tenants",
            &json!({"id": "tenant_123", "name": "x", "slug": "bad-id"}),
        )
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.invalid_fields(), ["id"]);
}

#[tokio::test]
async fn create_writes_tenant_slug_and_scope_items_together() {
    let app = spawn_app().await;
    let t = app.create_named("atomic").await;
    let scan = app
        .client
        .scan()
        .table_name(&app.table)
        .send()
        .await
        .unwrap();
    let entities: Vec<String> = scan
        .items()
        .iter()
        .filter_map(|i| i.get("entity").and_then(|e| e.as_s().ok()).cloned())
        .collect();
    for entity in ["tenant", "slug", "scope", "stats"] {
        assert!(
            entities.contains(&entity.to_owned()),
            "missing {entity}: {entities:?}"
        );
    }
    let scope_id = t["scopeId"].as_str().unwrap();
    assert!(scan
        .items()
        .iter()
        .any(|i| i.get("PK").and_then(|v| v.as_s().ok()) == Some(&format!("SCOPE#{scope_id}"))));
}
