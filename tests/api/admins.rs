//! Tenant admins: initial admins on create, grants and revokes, both directions stored
//! together, and the last admin kept.

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::{spawn_app, TestApp, TestRequest};
use serde_json::json;
use tenant_shared::domain::Role;

async fn item_exists(app: &TestApp, pk: &str, sk: &str) -> bool {
    app.client
        .get_item()
        .table_name(&app.table)
        .key("PK", AttributeValue::S(pk.to_owned()))
        .key("SK", AttributeValue::S(sk.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .is_some()
}

async fn admins_of(app: &TestApp, id: &str) -> Vec<String> {
    let response = app.get(&format!("/v1/tenants/{id}/admins")).await;
    assert_eq!(response.status, 200, "{}", response.body);
    response.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["userId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn initial_admins_are_written_with_the_tenant_in_both_directions() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant(&json!({
            "name": "Acme", "slug": "acme",
            "initialAdminUserIds": ["alice", "bob@example.com"]
        }))
        .await;
    let id = tenant["id"].as_str().unwrap();
    assert_eq!(admins_of(&app, id).await, ["alice", "bob@example.com"]);
    assert!(item_exists(&app, &format!("TENANT#{id}"), "ADMIN#alice").await);
    assert!(item_exists(&app, "USER#alice", &format!("TENANT#{id}")).await);

    // alice now sees acme with a plain token.
    let token = app.token("alice", &[], None);
    let listed = app
        .send(TestRequest::new("GET", "/v1/tenants").bearer(&token))
        .await;
    assert_eq!(listed.body["items"][0]["id"], id);
}

#[tokio::test]
async fn initial_admins_are_validated() {
    let app = spawn_app().await;
    let too_many: Vec<String> = (0..21).map(|n| format!("user{n}")).collect();
    for bad in [
        json!(too_many),
        json!(["alice", "alice"]),
        json!(["has space"]),
        json!("alice"),
        json!([1]),
    ] {
        let response = app
            .post(
                "/v1/tenants",
                &json!({"name": "Acme", "slug": "acme", "initialAdminUserIds": bad}),
            )
            .await;
        assert_eq!(response.status, 400, "{bad}");
        assert_eq!(response.invalid_fields(), ["initialAdminUserIds"], "{bad}");
    }
    // Nothing was half-written.
    assert!(!item_exists(&app, "SLUG#acme", "SLUG").await);
}

#[tokio::test]
async fn granting_is_idempotent_and_revoking_removes_both_directions() {
    let app = spawn_app().await;
    let tenant = app.create_named("acme").await;
    let id = tenant["id"].as_str().unwrap();
    let path = format!("/v1/tenants/{id}/admins/carol");
    let first = app.send(TestRequest::new("PUT", &path)).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["userId"], "carol");
    assert_eq!(first.body["grantedBy"], integration_tests::TEST_ADMIN);
    let second = app.send(TestRequest::new("PUT", &path)).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.body["grantedAt"], first.body["grantedAt"]);
    assert_eq!(admins_of(&app, id).await, ["carol"]);

    let revoked = app.delete(&path).await;
    assert_eq!(revoked.status, 204);
    assert!(!item_exists(&app, &format!("TENANT#{id}"), "ADMIN#carol").await);
    assert!(!item_exists(&app, "USER#carol", &format!("TENANT#{id}")).await);
    let again = app.delete(&path).await;
    assert_eq!(again.status, 404);
}

#[tokio::test]
async fn a_tenant_admin_cannot_remove_the_last_admin_but_a_platform_admin_can() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant(
            &json!({"name": "Acme", "slug": "acme", "initialAdminUserIds": ["alice", "bob"]}),
        )
        .await;
    let id = tenant["id"].as_str().unwrap();
    let alice = app.token("alice", &[], None);
    let remove =
        |user: &str| TestRequest::new("DELETE", &format!("/v1/tenants/{id}/admins/{user}"));

    assert_eq!(app.send(remove("bob").bearer(&alice)).await.status, 204);
    let last = app.send(remove("alice").bearer(&alice)).await;
    assert_eq!(last.status, 409);
    assert_eq!(last.code(), "last_admin");
    assert_eq!(admins_of(&app, id).await, ["alice"]);

    assert_eq!(app.send(remove("alice")).await.status, 204);
    assert!(admins_of(&app, id).await.is_empty());
}

#[tokio::test]
async fn two_admins_removing_each_other_at_once_leave_one() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant(
            &json!({"name": "Acme", "slug": "acme", "initialAdminUserIds": ["alice", "bob"]}),
        )
        .await;
    let id = tenant["id"].as_str().unwrap().to_owned();
    let alice = app.token("alice", &[], None);
    let bob = app.token("bob", &[], None);
    let (a, b) = tokio::join!(
        app.send(
            TestRequest::new("DELETE", &format!("/v1/tenants/{id}/admins/bob")).bearer(&alice)
        ),
        app.send(
            TestRequest::new("DELETE", &format!("/v1/tenants/{id}/admins/alice")).bearer(&bob)
        ),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    // One wins; the other either finds itself the last admin or no longer an admin.
    assert_eq!(statuses[0], 204, "{} / {}", a.body, b.body);
    assert!(matches!(statuses[1], 404 | 409), "{statuses:?}");
    assert_eq!(admins_of(&app, &id).await.len(), 1);
}

#[tokio::test]
async fn admins_are_listed_in_pages() {
    let app = spawn_app().await;
    let users: Vec<String> = (0..5).map(|n| format!("user{n}")).collect();
    let tenant = app
        .create_tenant(&json!({"name": "Acme", "slug": "acme", "initialAdminUserIds": users}))
        .await;
    let id = tenant["id"].as_str().unwrap();
    let first = TestRequest::new("GET", &format!("/v1/tenants/{id}/admins")).query("limit", "2");
    let seen: Vec<String> = app
        .all_pages(first.clone())
        .await
        .iter()
        .map(|g| g["userId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, users);
    let cursor = app.send(first).await.body["nextCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.create_named("globex").await;
    let foreign = app
        .send(
            TestRequest::new(
                "GET",
                &format!("/v1/tenants/{}/admins", other["id"].as_str().unwrap()),
            )
            .query("cursor", &cursor),
        )
        .await;
    assert_eq!(foreign.status, 400, "a cursor is bound to its tenant");
}

#[tokio::test]
async fn grants_are_refused_on_deleted_tenants_and_need_a_valid_user_id() {
    let app = spawn_app().await;
    let tenant = app.create_named("acme").await;
    let id = tenant["id"].as_str().unwrap();
    let bad = app
        .send(TestRequest::new(
            "PUT",
            &format!("/v1/tenants/{id}/admins/a%20b"),
        ))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.invalid_fields(), ["userId"]);
    let encoded = app
        .send(TestRequest::new(
            "PUT",
            &format!("/v1/tenants/{id}/admins/auth0%7C123"),
        ))
        .await;
    assert_eq!(encoded.status, 201);
    assert_eq!(encoded.body["userId"], "auth0|123");

    app.delete(&format!("/v1/tenants/{id}")).await;
    let deleted = app
        .send(TestRequest::new(
            "PUT",
            &format!("/v1/tenants/{id}/admins/dave"),
        ))
        .await;
    assert_eq!(deleted.status, 409);
    assert_eq!(deleted.code(), "invalid_state");
}

#[tokio::test]
async fn a_tenant_member_cannot_manage_admins() {
    let app = spawn_app().await;
    let tenant = app.create_named("acme").await;
    let id = tenant["id"].as_str().unwrap();
    let member = app.token("mia", &[Role::TenantMember], Some(id));
    let response = app
        .send(TestRequest::new("PUT", &format!("/v1/tenants/{id}/admins/mia")).bearer(&member))
        .await;
    assert_eq!(response.status, 403);
    assert_eq!(response.code(), "forbidden");
    assert_eq!(
        response.body["notices"],
        json!(["tenant-member-is-read-only"])
    );
}
