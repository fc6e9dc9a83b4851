use integration_tests::{spawn_app, TestRequest};
use serde_json::json;

async fn action(
    app: &integration_tests::TestApp,
    id: &str,
    verb: &str,
    body: serde_json::Value,
) -> integration_tests::TestResponse {
    app.post(&format!("/v1/tenants/{id}/{verb}"), &body).await
}

#[tokio::test]
async fn upgrade_moves_up_the_catalogue_and_downgrade_down() {
    let app = spawn_app().await;
    let t = app.create_named("plans").await;
    let id = t["id"].as_str().unwrap();
    let up = action(&app, id, "upgrade", json!({"plan": "business"})).await;
    assert_eq!(up.status, 200, "{}", up.body);
    assert_eq!(up.body["plan"], "business");
    assert_eq!(up.body["version"], 2);
    let down = action(&app, id, "downgrade", json!({"plan": "free"})).await;
    assert_eq!(down.status, 200);
    assert_eq!(down.body["plan"], "free");
    assert_eq!(down.body["version"], 3);
}

#[tokio::test]
async fn plan_changes_in_the_wrong_direction_are_409_invalid_plan_change() {
    let app = spawn_app().await;
    let t = app.create_named("wrong-way").await;
    let id = t["id"].as_str().unwrap();
    for (verb, plan) in [
        ("upgrade", "free"),
        ("upgrade", "starter"),
        ("downgrade", "pro"),
        ("downgrade", "starter"),
    ] {
        let response = action(&app, id, verb, json!({"plan": plan})).await;
        assert_eq!(response.status, 409, "{verb} to {plan}");
        assert_eq!(response.code(), "invalid_plan_change");
    }
}

#[tokio::test]
async fn unknown_or_missing_plan_is_400() {
    let app = spawn_app().await;
    let t = app.create_named("unknown-plan").await;
    let id = t["id"].as_str().unwrap();
    for body in [
        json!({"plan": "platinum"}),
        json!({}),
        json!({"plan": 3}),
        json!({"plan": "pro", "extra": 1}),
    ] {
        let response = action(&app, id, "upgrade", body.clone()).await;
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.code(), "validation_error");
    }
}

#[tokio::test]
async fn suspend_records_reason_and_time_and_is_idempotent() {
    let app = spawn_app().await;
    let t = app.create_named("suspend-me").await;
    let id = t["id"].as_str().unwrap();
    let s = action(&app, id, "suspend", json!({"reason": "unpaid invoice"})).await;
    assert_eq!(s.status, 200);
    assert_eq!(s.body["status"], "suspended");
    assert_eq!(s.body["suspendedReason"], "unpaid invoice");
    assert!(s.body["suspendedAt"].is_string());
    assert_eq!(s.body["version"], 2);
    let again = action(&app, id, "suspend", json!({"reason": "other"})).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, s.body, "already suspended: unchanged");
}

#[tokio::test]
async fn suspend_reason_may_come_from_the_query_string_with_no_body() {
    let app = spawn_app().await;
    let t = app.create_named("query-reason").await;
    let response = app
        .send(
            TestRequest::new(
                "POST",
                &format!("/v1/tenants/{}/suspend", t["id"].as_str().unwrap()),
            )
            .query("reason", "abuse report"),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.body["suspendedReason"], "abuse report");
}

#[tokio::test]
async fn activate_clears_the_suspension_and_is_idempotent() {
    let app = spawn_app().await;
    let t = app.create_named("activate-me").await;
    let id = t["id"].as_str().unwrap();
    let unchanged = app
        .send(TestRequest::new(
            "POST",
            &format!("/v1/tenants/{id}/activate"),
        ))
        .await;
    assert_eq!(unchanged.status, 200);
    assert_eq!(unchanged.body["version"], 1);
    action(&app, id, "suspend", json!({"reason": "r"})).await;
    let active = app
        .send(TestRequest::new(
            "POST",
            &format!("/v1/tenants/{id}/activate"),
        ))
        .await;
    assert_eq!(active.status, 200);
    assert_eq!(active.body["status"], "active");
    assert!(active.body["suspendedReason"].is_null());
    assert!(active.body["suspendedAt"].is_null());
    assert_eq!(active.body["version"], 3);
}

#[tokio::test]
async fn delete_is_soft_and_repeatable() {
    let app = spawn_app().await;
    let t = app.create_named("delete-me").await;
    let path = format!("/v1/tenants/{}", t["id"].as_str().unwrap());
    let deleted = app.delete(&path).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body["status"], "deleted");
    assert!(deleted.body["deletedAt"].is_string());
    let again = app.delete(&path).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, deleted.body);
}

#[tokio::test]
async fn deleted_tenants_cannot_be_suspended_activated_or_replanned() {
    let app = spawn_app().await;
    let t = app.create_named("dead").await;
    let id = t["id"].as_str().unwrap();
    app.delete(&format!("/v1/tenants/{id}")).await;
    for (verb, body) in [
        ("suspend", json!({"reason": "x"})),
        ("activate", json!({})),
        ("upgrade", json!({"plan": "pro"})),
        ("downgrade", json!({"plan": "free"})),
    ] {
        let response = action(&app, id, verb, body).await;
        assert_eq!(response.status, 409, "{verb}");
        assert_eq!(response.code(), "invalid_state", "{verb}");
    }
}

#[tokio::test]
async fn actions_on_unknown_tenants_are_404() {
    let app = spawn_app().await;
    let id = format!("tenant_{}", uuid::Uuid::now_v7());
    for (verb, body) in [
        ("suspend", json!({})),
        ("activate", json!({})),
        ("upgrade", json!({"plan": "pro"})),
    ] {
        assert_eq!(action(&app, &id, verb, body).await.status, 404, "{verb}");
    }
    assert_eq!(app.delete(&format!("/v1/tenants/{id}")).await.status, 404);
}
