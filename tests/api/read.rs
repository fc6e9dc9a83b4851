use integration_tests::spawn_app;

#[tokio::test]
async fn get_returns_the_tenant_with_its_version_as_etag() {
    let app = spawn_app().await;
    let t = app.create_named("readme").await;
    let response = app
        .get(&format!("/v1/tenants/{}", t["id"].as_str().unwrap()))
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("etag"), Some("\"1\""));
    assert_eq!(response.body, t);
}

#[tokio::test]
async fn unknown_or_malformed_ids_are_404_not_found() {
    let app = spawn_app().await;
    let unknown = format!("/v1/tenants/tenant_{}", uuid::Uuid::now_v7());
    for path in [unknown.as_str(), "/v1/tenants/nope", "/v1/tenants/tenant_1"] {
        let response = app.get(path).await;
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.code(), "not_found");
    }
}

#[tokio::test]
async fn get_by_slug_finds_the_tenant() {
    let app = spawn_app().await;
    let t = app.create_named("by-slug").await;
    let response = app.get("/v1/tenants/slug/by-slug").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, t);
    assert_eq!(response.header("etag"), Some("\"1\""));
}

#[tokio::test]
async fn get_by_unknown_or_invalid_slug_is_404() {
    let app = spawn_app().await;
    for slug in ["missing", "NOT-A-SLUG", "x"] {
        let response = app.get(&format!("/v1/tenants/slug/{slug}")).await;
        assert_eq!(response.status, 404, "{slug}");
        assert_eq!(response.code(), "not_found");
    }
}

#[tokio::test]
async fn deleted_tenants_are_still_returned_by_id_and_slug() {
    let app = spawn_app().await;
    let t = app.create_named("deleted-read").await;
    let id = t["id"].as_str().unwrap();
    app.delete(&format!("/v1/tenants/{id}")).await;
    let by_id = app.get(&format!("/v1/tenants/{id}")).await;
    assert_eq!(by_id.status, 200);
    assert_eq!(by_id.body["status"], "deleted");
    let by_slug = app.get("/v1/tenants/slug/deleted-read").await;
    assert_eq!(by_slug.status, 200);
    assert_eq!(by_slug.body["status"], "deleted");
}
