use integration_tests::spawn_app;
use serde_json::json;

#[tokio::test]
async fn stats_follow_every_change_without_a_scan() {
    let app = spawn_app().await;
    let empty = app.get("/v1/tenants/stats").await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.body["total"], 0);
    assert_eq!(empty.body["byStatus"]["active"], 0);
    assert_eq!(empty.body["byPlan"]["enterprise"], 0);

    let a = app
        .create_tenant(&json!({"name": "A", "slug": "stats-a", "plan": "pro", "kind": "trial"}))
        .await;
    let b = app.create_named("stats-b").await;
    let c = app.create_named("stats-c").await;
    let id = |t: &serde_json::Value| t["id"].as_str().unwrap().to_owned();
    app.post(&format!("/v1/tenants/{}/suspend", id(&b)), &json!({}))
        .await;
    app.post(
        &format!("/v1/tenants/{}/upgrade", id(&a)),
        &json!({"plan": "enterprise"}),
    )
    .await;
    app.patch(
        &format!("/v1/tenants/{}", id(&c)),
        &json!({"kind": "enterprise"}),
    )
    .await;
    app.delete(&format!("/v1/tenants/{}", id(&c))).await;
    // Idempotent repeats change nothing.
    app.post(&format!("/v1/tenants/{}/suspend", id(&b)), &json!({}))
        .await;
    app.delete(&format!("/v1/tenants/{}", id(&c))).await;

    let stats = app.get("/v1/tenants/stats").await.body;
    assert_eq!(stats["total"], 3);
    assert_eq!(
        stats["byStatus"],
        json!({"active": 1, "suspended": 1, "deleted": 1})
    );
    assert_eq!(
        stats["byPlan"],
        json!({"free": 0, "starter": 2, "pro": 0, "business": 0, "enterprise": 1})
    );
    assert_eq!(
        stats["byKind"],
        json!({"standard": 1, "enterprise": 1, "trial": 1})
    );
}
