//! Change events: every change writes exactly the one event that describes it, in its own
//! transaction; rejected and replayed writes write none; the audit trail pages through
//! them; the publisher puts them on a real (moto) EventBridge bus without losing any.

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::{dynamodb_endpoint, spawn_app, spawn_app_with, TestApp, TestRequest};
use serde_json::{json, Value};
use tenant_shared::domain::Role;
use tenant_shared::runtime::aws::{eventbridge_client, http_client, ClientSettings};
use tenant_shared::service::publish::{publish, StreamEvent};
use tenant_shared::store::bus::EventBridgeBus;
use tenant_shared::store::events::published_event;
use tenant_shared::store::Item;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// Sends `request`, expects `status`, and checks that exactly one new event was stored,
/// of `event_type`, carrying the request's id and actor; returns it.
async fn one_event(
    app: &TestApp,
    request: TestRequest,
    status: u16,
    event_type: &str,
    actor_id: &str,
) -> Value {
    // A change that moves the tenant's entitlements also writes its companion
    // (tenant.entitlements_changed, tenant.over_limit): entitlements.rs checks those.
    let primary = |events: Vec<Value>| -> Vec<Value> {
        events
            .into_iter()
            .filter(|e| {
                !matches!(
                    e["type"].as_str(),
                    Some("tenant.entitlements_changed" | "tenant.over_limit")
                )
            })
            .collect()
    };
    let before = primary(app.stored_events().await).len();
    let response = app.send(request).await;
    assert_eq!(response.status, status, "{}", response.body);
    let events = primary(app.stored_events().await);
    assert_eq!(
        events.len(),
        before + 1,
        "{event_type}: exactly one event, got {:?}",
        &events[before..]
    );
    let event = events.last().unwrap().clone();
    assert_eq!(event["type"], event_type);
    assert_eq!(
        event["requestId"].as_str(),
        response.header("x-request-id"),
        "the event names the request that made it"
    );
    assert_eq!(event["actor"]["id"], actor_id);
    let text = event.to_string();
    assert!(
        !text.contains("tk_") && !text.contains("secretHash"),
        "no secret in events: {text}"
    );
    event
}

/// Sends `request`, expects `status`, and checks that no event was stored.
async fn no_event(app: &TestApp, request: TestRequest, status: u16) {
    let before = app.stored_events().await.len();
    let response = app.send(request).await;
    assert_eq!(response.status, status, "{}", response.body);
    let after = app.stored_events().await;
    assert_eq!(
        after.len(),
        before,
        "no event for a write that changed nothing: {:?}",
        &after[before..]
    );
}

fn json_post(path: &str, body: Value) -> TestRequest {
    TestRequest::new("POST", path).json(&body)
}

fn patch(path: &str, body: Value) -> TestRequest {
    TestRequest::new("PATCH", path)
        .header("content-type", "application/merge-patch+json")
        .raw(body.to_string().as_bytes())
}

#[tokio::test]
async fn every_change_writes_exactly_one_event_that_describes_it() {
    let app = spawn_app().await;
    let admin = "test-platform-admin";
    let created = one_event(
        &app,
        json_post(
            "/v1/tenants",
            json!({"name": "Acme", "slug": "acme-events", "ownerEmail": "ada@acme.example"}),
        ),
        201,
        "tenant.created",
        admin,
    )
    .await;
    assert_eq!(created["version"], 1);
    assert_eq!(created["actor"]["kind"], "user");
    assert_eq!(created["tenant"]["slug"], "acme-events");
    assert_eq!(created["tenant"]["ownerEmail"], "ada@acme.example");
    let tenant = created["tenantId"].as_str().unwrap().to_owned();
    assert!(created["eventId"].as_str().unwrap().starts_with("evt_"));
    let path = format!("/v1/tenants/{tenant}");

    let updated = one_event(
        &app,
        patch(&path, json!({"ownerName": "Ada", "ownerEmail": null})),
        200,
        "tenant.updated",
        admin,
    )
    .await;
    assert_eq!(updated["version"], 2);
    assert_eq!(
        updated["changes"],
        json!({"ownerName": {"from": null, "to": "Ada"},
               "ownerEmail": {"from": "ada@acme.example", "to": null}})
    );

    let upgraded = one_event(
        &app,
        json_post(&format!("{path}/upgrade"), json!({"plan": "pro"})),
        200,
        "tenant.plan_changed",
        admin,
    )
    .await;
    assert_eq!(upgraded["version"], 3);
    assert_eq!(
        upgraded["changes"],
        json!({"plan": {"from": "starter", "to": "pro"}})
    );
    let downgraded = one_event(
        &app,
        json_post(&format!("{path}/downgrade"), json!({"plan": "free"})),
        200,
        "tenant.plan_changed",
        admin,
    )
    .await;
    assert_eq!(
        downgraded["changes"]["plan"],
        json!({"from": "pro", "to": "free"})
    );

    let suspended = one_event(
        &app,
        json_post(&format!("{path}/suspend"), json!({"reason": "unpaid"})),
        200,
        "tenant.suspended",
        admin,
    )
    .await;
    assert_eq!(suspended["version"], 5);
    assert_eq!(
        suspended["changes"]["status"],
        json!({"from": "active", "to": "suspended"})
    );
    assert_eq!(
        suspended["changes"]["suspendedReason"],
        json!({"from": null, "to": "unpaid"})
    );
    let activated = one_event(
        &app,
        TestRequest::new("POST", &format!("{path}/activate")),
        200,
        "tenant.activated",
        admin,
    )
    .await;
    assert_eq!(
        activated["changes"]["status"],
        json!({"from": "suspended", "to": "active"})
    );

    let granted = one_event(
        &app,
        TestRequest::new("PUT", &format!("{path}/admins/grace")),
        201,
        "tenant.admin_granted",
        admin,
    )
    .await;
    assert_eq!(granted["admin"], json!({"userId": "grace"}));
    assert_eq!(granted["version"], 6, "made against the tenant's version");
    // A tenant admin acts too: the event names them.
    let grace = app.token("grace", &[], None);
    let by_grace = one_event(
        &app,
        TestRequest::new("PUT", &format!("{path}/admins/linus")).bearer(&grace),
        201,
        "tenant.admin_granted",
        "grace",
    )
    .await;
    assert_eq!(by_grace["tenantId"], tenant.as_str());
    one_event(
        &app,
        TestRequest::new("DELETE", &format!("{path}/admins/linus")),
        204,
        "tenant.admin_revoked",
        admin,
    )
    .await;

    let key_created = one_event(
        &app,
        json_post(
            "/v1/api-keys",
            json!({"name": "sync", "roles": ["tenant_admin"], "tenantId": tenant}),
        ),
        201,
        "api_key.created",
        admin,
    )
    .await;
    assert_eq!(key_created["tenantId"], tenant.as_str());
    assert_eq!(key_created["apiKey"]["name"], "sync");
    assert_eq!(key_created["version"], Value::Null);
    let key_id = key_created["apiKey"]["id"].as_str().unwrap().to_owned();
    let key_revoked = one_event(
        &app,
        TestRequest::new("DELETE", &format!("/v1/api-keys/{key_id}")),
        200,
        "api_key.revoked",
        admin,
    )
    .await;
    assert_eq!(key_revoked["apiKey"]["status"], "revoked");

    let deleted = one_event(
        &app,
        TestRequest::new("DELETE", &path),
        200,
        "tenant.deleted",
        admin,
    )
    .await;
    assert_eq!(deleted["version"], 7);
    assert_eq!(
        deleted["changes"]["status"],
        json!({"from": "active", "to": "deleted"})
    );

    // A platform key's events have no tenant: they are not in any tenant's trail.
    let platform_key = one_event(
        &app,
        json_post(
            "/v1/api-keys",
            json!({"name": "ops", "roles": ["platform_admin"]}),
        ),
        201,
        "api_key.created",
        admin,
    )
    .await;
    assert_eq!(platform_key["tenantId"], Value::Null);

    // An API key as actor.
    let key = app
        .create_api_key(&json!({"name": "robot", "roles": ["platform_admin"]}))
        .await;
    let robot = one_event(
        &app,
        json_post(
            "/v1/tenants",
            json!({"name": "Robots", "slug": "robots-inc"}),
        )
        .api_key(key["key"].as_str().unwrap()),
        201,
        "tenant.created",
        key["id"].as_str().unwrap(),
    )
    .await;
    assert_eq!(robot["actor"]["kind"], "api_key");
}

#[tokio::test]
async fn rejected_rolled_back_and_replayed_writes_write_no_event() {
    let app = spawn_app().await;
    let body = json!({"id": "tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e99", "name": "Acme",
                      "slug": "acme-quiet", "initialAdminUserIds": ["ada"]});
    let tenant = app.create_tenant(&body).await;
    let path = format!("/v1/tenants/{}", id(&tenant));
    // Replays and conflicts.
    no_event(&app, json_post("/v1/tenants", body.clone()), 200).await;
    no_event(
        &app,
        json_post(
            "/v1/tenants",
            json!({"name": "Other", "slug": "acme-quiet"}),
        ),
        409,
    )
    .await;
    // Invalid input, failed preconditions, impossible plan changes.
    no_event(
        &app,
        patch(&path, json!({"ownerEmail": "not-an-email"})),
        400,
    )
    .await;
    no_event(&app, patch(&path, json!({"name": "Acme"})), 200).await;
    no_event(
        &app,
        patch(&path, json!({"name": "Beta"})).header("if-match", "\"7\""),
        412,
    )
    .await;
    no_event(
        &app,
        json_post(&format!("{path}/downgrade"), json!({"plan": "enterprise"})),
        409,
    )
    .await;
    // Idempotent lifecycle actions.
    no_event(
        &app,
        TestRequest::new("POST", &format!("{path}/activate")),
        200,
    )
    .await;
    app.post(&format!("{path}/suspend"), &json!({})).await;
    no_event(
        &app,
        TestRequest::new("POST", &format!("{path}/suspend")),
        200,
    )
    .await;
    // Admins: granting twice, revoking a non-admin, removing the last admin.
    no_event(
        &app,
        TestRequest::new("PUT", &format!("{path}/admins/ada")),
        200,
    )
    .await;
    no_event(
        &app,
        TestRequest::new("DELETE", &format!("{path}/admins/nobody")),
        404,
    )
    .await;
    app.post(&format!("{path}/activate"), &json!({})).await;
    let ada = app.token("ada", &[], None);
    no_event(
        &app,
        TestRequest::new("DELETE", &format!("{path}/admins/ada")).bearer(&ada),
        409,
    )
    .await;
    // A member may not change anything.
    let member = app.token("m", &[Role::TenantMember], Some(&id(&tenant)));
    no_event(
        &app,
        patch(&path, json!({"ownerName": "Mallory"})).bearer(&member),
        403,
    )
    .await;
    // Keys: a key for no tenant, an admin key asked by a tenant admin, revoking twice.
    no_event(
        &app,
        json_post(
            "/v1/api-keys",
            json!({"name": "k", "roles": ["tenant_admin"], "tenantId": "tenant_019ab0f0-5e1d-7c3a-9b2e-000000000000"}),
        ),
        404,
    )
    .await;
    no_event(
        &app,
        json_post(
            "/v1/api-keys",
            json!({"name": "k", "roles": ["tenant_admin"], "tenantId": id(&tenant)}),
        )
        .bearer(&ada),
        403,
    )
    .await;
    let key = app
        .create_api_key(&json!({"name": "k", "roles": ["platform_admin"]}))
        .await;
    let key_path = format!("/v1/api-keys/{}", id(&key));
    app.delete(&key_path).await;
    no_event(&app, TestRequest::new("DELETE", &key_path), 200).await;
    // Deleting twice.
    app.delete(&path).await;
    no_event(&app, TestRequest::new("DELETE", &path), 200).await;
    no_event(&app, patch(&path, json!({"name": "Ghost"})), 409).await;
    // A key for a tenant no longer live: refused in the key's own transaction.
    no_event(
        &app,
        json_post(
            "/v1/api-keys",
            json!({"name": "k", "roles": ["tenant_member"], "tenantId": id(&tenant)}),
        ),
        400,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_creates_of_one_slug_write_exactly_one_created_event() {
    let app = Arc::new(spawn_app().await);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let app = Arc::clone(&app);
            tokio::spawn(async move {
                app.post(
                    "/v1/tenants",
                    &json!({"name": format!("Racer {i}"), "slug": "contested-events"}),
                )
                .await
                .status
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        if task.await.unwrap() == 201 {
            winners.push(());
        }
    }
    assert_eq!(winners.len(), 1);
    let events = app.stored_events().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "tenant.created");
    assert_eq!(events[0]["tenant"]["slug"], "contested-events");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_concurrent_patches_write_eight_events_with_versions_two_to_nine() {
    let app = Arc::new(spawn_app().await);
    let tenant = app.create_named("patched-events").await;
    let path = format!("/v1/tenants/{}", id(&tenant));
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let app = Arc::clone(&app);
            let path = path.clone();
            tokio::spawn(async move {
                app.patch(&path, &json!({"ownerName": format!("Owner {i}")}))
                    .await
                    .status
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let updates: Vec<Value> = app
        .stored_events()
        .await
        .into_iter()
        .filter(|e| e["type"] == "tenant.updated")
        .collect();
    let mut versions: Vec<i64> = updates
        .iter()
        .map(|e| e["version"].as_i64().unwrap())
        .collect();
    versions.sort_unstable();
    assert_eq!(
        versions,
        (2..=9).collect::<Vec<_>>(),
        "no gap, no duplicate"
    );
    // Each event's `from` is the value the previous version wrote: a chain, in version order.
    let mut by_version = updates.clone();
    by_version.sort_by_key(|e| e["version"].as_i64());
    for pair in by_version.windows(2) {
        assert_eq!(
            pair[1]["changes"]["ownerName"]["from"],
            pair[0]["changes"]["ownerName"]["to"]
        );
    }
    let last = app.get(&path).await;
    assert_eq!(last.body["version"], 9);
    assert_eq!(
        last.body["ownerName"],
        by_version[7]["changes"]["ownerName"]["to"]
    );
}

#[tokio::test]
async fn the_audit_trail_pages_through_fifty_events_exactly_once_newest_first() {
    let app = spawn_app().await;
    let tenant = app.create_named("fifty-events").await;
    let path = format!("/v1/tenants/{}", id(&tenant));
    for i in 0..49 {
        let r = app
            .patch(&path, &json!({"externalId": format!("crm-{i}")}))
            .await;
        assert_eq!(r.status, 200);
    }
    let trail = app
        .all_pages(TestRequest::new("GET", &format!("{path}/events")).query("limit", "7"))
        .await;
    assert_eq!(trail.len(), 50);
    let versions: Vec<i64> = trail
        .iter()
        .map(|e| e["version"].as_i64().unwrap())
        .collect();
    assert_eq!(
        versions,
        (1..=50).rev().collect::<Vec<_>>(),
        "newest first, each once"
    );
    assert_eq!(trail.last().unwrap()["type"], "tenant.created");

    let only_created = app
        .all_pages(
            TestRequest::new("GET", &format!("{path}/events"))
                .query("type", "tenant.created")
                .query("limit", "3"),
        )
        .await;
    assert_eq!(only_created.len(), 1);
    let updates = app
        .all_pages(
            TestRequest::new("GET", &format!("{path}/events"))
                .query("type", "tenant.updated")
                .query("limit", "20"),
        )
        .await;
    assert_eq!(updates.len(), 49);

    // A cursor of one filter does not continue another.
    let first = app
        .send(
            TestRequest::new("GET", &format!("{path}/events"))
                .query("type", "tenant.updated")
                .query("limit", "2"),
        )
        .await;
    let cursor = first.body["nextCursor"].as_str().unwrap();
    let foreign = app
        .send(TestRequest::new("GET", &format!("{path}/events")).query("cursor", cursor))
        .await;
    assert_eq!(foreign.status, 400);
    assert_eq!(foreign.code(), "invalid_cursor");
}

#[tokio::test]
async fn the_audit_trail_refuses_bad_queries_with_400() {
    let app = spawn_app().await;
    let tenant = app.create_named("trail-queries").await;
    let events = format!("/v1/tenants/{}/events", id(&tenant));
    for (name, value) in [
        ("type", "tenant.exploded"),
        ("limit", "0"),
        ("limit", "101"),
        ("cursor", "garbage"),
        ("sort", "asc"),
    ] {
        let r = app
            .send(TestRequest::new("GET", &events).query(name, value))
            .await;
        assert_eq!(r.status, 400, "{name}={value}: {}", r.body);
    }
    let twice = app
        .send(
            TestRequest::new("GET", &events)
                .query("type", "tenant.created")
                .query("type", "tenant.updated"),
        )
        .await;
    assert_eq!(twice.status, 400);
}

#[tokio::test]
async fn the_audit_trail_is_for_platform_and_tenant_admins_only() {
    let app = spawn_app().await;
    let own = app
        .create_tenant(&json!({"name": "Own", "slug": "own-trail", "initialAdminUserIds": ["ada"]}))
        .await;
    let other = app.create_named("other-trail").await;
    let trail = |t: &Value| format!("/v1/tenants/{}/events", id(t));
    let ada = app.token("ada", &[], None);
    let member = app.token("m", &[Role::TenantMember], Some(&id(&own)));
    let r = app
        .send(TestRequest::new("GET", &trail(&own)).bearer(&ada))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["items"][0]["type"], "tenant.created");
    let r = app
        .send(TestRequest::new("GET", &trail(&own)).bearer(&member))
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body["notices"]
        .as_array()
        .unwrap()
        .contains(&json!("tenant-member-is-read-only")));
    let r = app
        .send(TestRequest::new("GET", &trail(&other)).bearer(&ada))
        .await;
    assert_eq!(r.status, 404, "other tenants do not exist for ada");
    let r = app
        .send(TestRequest::new("GET", &trail(&own)).anonymous())
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn a_retention_gives_each_event_its_expiry_and_none_keeps_them_forever() {
    let kept = spawn_app_with(&[("EVENT_RETENTION_DAYS", "90")]).await;
    kept.create_named("expiring").await;
    let forever = spawn_app().await;
    forever.create_named("forever").await;
    for (app, expiring) in [(&kept, true), (&forever, false)] {
        let items = event_items(app).await;
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].contains_key("expiresAt"), expiring);
    }
}

/// The raw event items of the table, oldest first.
async fn event_items(app: &TestApp) -> Vec<Item> {
    let mut items = app
        .client
        .scan()
        .table_name(&app.table)
        .filter_expression("entity = :e")
        .expression_attribute_values(":e", AttributeValue::S("event".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    items.sort_by_key(|i| i["SK"].as_s().unwrap().clone());
    items
}

fn local_settings() -> ClientSettings {
    ClientSettings {
        region: "us-east-1".to_owned(),
        endpoint: Some(dynamodb_endpoint().to_owned()),
        credentials: Some(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "tests",
        )),
        native_roots: false,
        timeouts: Default::default(),
    }
}

/// A bus named `bus` with a rule copying every tenant-api event to a fresh queue; the
/// queue's URL.
async fn bus_with_queue(bus: &str) -> (aws_sdk_sqs::Client, String) {
    let events = eventbridge_client(&local_settings());
    events.create_event_bus().name(bus).send().await.unwrap();
    let settings = local_settings();
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .http_client(http_client(&settings))
            .endpoint_url(dynamodb_endpoint())
            .build(),
    );
    let url = sqs
        .create_queue()
        .queue_name(format!("{bus}-queue"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    events
        .put_rule()
        .name("all-tenant-events")
        .event_bus_name(bus)
        .event_pattern(r#"{"source": ["tenant-api"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("all-tenant-events")
        .event_bus_name(bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    (sqs, url)
}

/// Every message on the queue: (detail-type, detail), in arrival order.
async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<(String, Value)> {
    let mut got = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return got;
        }
        for m in messages {
            let body: Value = serde_json::from_str(m.body().unwrap()).unwrap();
            assert_eq!(body["source"], "tenant-api");
            got.push((
                body["detail-type"].as_str().unwrap().to_owned(),
                body["detail"].clone(),
            ));
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn the_publisher_puts_every_event_on_the_bus_and_a_failed_put_loses_nothing() {
    let app = spawn_app().await;
    let tenant = app.create_named("published").await;
    let path = format!("/v1/tenants/{}", id(&tenant));
    for i in 0..11 {
        app.patch(&path, &json!({"externalId": format!("crm-{i}")}))
            .await;
    }
    app.post(&format!("{path}/suspend"), &json!({})).await;
    let items = event_items(&app).await;
    assert_eq!(items.len(), 13);
    let sequence: Vec<String> = (0..items.len()).map(|i| format!("{:021}", i + 1)).collect();
    let records: Vec<StreamEvent<'_>> = items
        .iter()
        .zip(&sequence)
        .map(|(item, seq)| StreamEvent {
            sequence_number: seq,
            event: published_event(item),
        })
        .collect();

    // The bus does not exist yet: PutEvents fails, the batch resumes at its first record.
    let bus_name = format!("bus-{}", uuid::Uuid::now_v7().simple());
    let bus = EventBridgeBus::new(eventbridge_client(&local_settings()), &bus_name);
    let first = publish(&bus, &records).await;
    assert_eq!(first.failed_at.as_deref(), Some(sequence[0].as_str()));
    assert_eq!(first.put, 0);

    // The bus exists now; Lambda redelivers the batch from the reported record.
    let (sqs, url) = bus_with_queue(&bus_name).await;
    let again = publish(&bus, &records).await;
    assert_eq!(again.failed_at, None);
    assert_eq!(again.put, 13);
    let delivered = drain(&sqs, &url).await;
    let stored = app.stored_events().await;
    let ids = |events: Vec<&Value>| -> Vec<String> {
        events
            .iter()
            .map(|e| e["eventId"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(delivered.iter().map(|(_, d)| d).collect()),
        ids(stored.iter().collect()),
        "every event exactly once, in order"
    );
    assert_eq!(delivered[0].0, "tenant.created");
    assert_eq!(delivered[12].0, "tenant.suspended");
    assert_eq!(
        delivered[12].1, stored[12],
        "the detail is the event as stored"
    );

    // PutEvents refuses one entry (a malformed detail) and takes the rest of its call:
    // the batch resumes at the refused record, so nothing after it is skipped (the
    // redelivery puts the later ones again: at least once).
    let broken = "{not json";
    let mut with_refusal = records.clone();
    with_refusal[4].event = Some(("tenant.updated", broken));
    let third = publish(&bus, &with_refusal).await;
    assert_eq!(third.failed_at.as_deref(), Some(sequence[4].as_str()));
    assert_eq!(third.put, 4);
    let delivered = drain(&sqs, &url).await;
    let same_call: Vec<&Value> = stored[..4].iter().chain(&stored[5..10]).collect();
    assert_eq!(
        ids(delivered.iter().map(|(_, d)| d).collect()),
        ids(same_call)
    );
}

#[tokio::test]
async fn an_event_stored_too_large_for_the_bus_is_published_trimmed_never_refused() {
    let app = spawn_app().await;
    let tenant = app.create_named("huge").await;
    let mut items = event_items(&app).await;
    assert_eq!(items.len(), 1);
    // An event item as written before events were bounded: far over EventBridge's 256 KiB.
    let mut stored: Value = serde_json::from_str(items[0]["event"].as_s().unwrap()).unwrap();
    stored["resources"] = json!((0..50)
        .map(
            |i| json!({"id": format!("resource-{i}"), "type": "rds-cluster",
                        "metadata": {"notes": "m".repeat(6000)}})
        )
        .collect::<Vec<_>>());
    let oversized = stored.to_string();
    assert!(oversized.len() > 256 * 1024);
    items[0].insert("event".into(), AttributeValue::S(oversized));
    let records = [StreamEvent {
        sequence_number: "000000000000000000001",
        event: published_event(&items[0]),
    }];

    let bus_name = format!("bus-{}", uuid::Uuid::now_v7().simple());
    let (sqs, url) = bus_with_queue(&bus_name).await;
    let bus = EventBridgeBus::new(eventbridge_client(&local_settings()), &bus_name);
    let published = publish(&bus, &records).await;
    assert_eq!(published.failed_at, None);
    assert_eq!(published.put, 1);
    let delivered = drain(&sqs, &url).await;
    assert_eq!(delivered.len(), 1, "delivered, not dead-lettered");
    let (kind, detail) = &delivered[0];
    assert_eq!(kind, "tenant.created");
    let id = id(&tenant);
    assert_eq!(detail["eventId"], stored["eventId"]);
    assert_eq!(detail["truncated"], true);
    // Resources over today's per-tenant bound do not fit even alone: the tenant goes
    // first, then they do; the identity stays.
    assert_eq!(detail["omitted"], json!(["tenant", "resources"]));
    assert_eq!(
        detail["fullState"],
        json!({"tenant": format!("/v1/tenants/{id}"),
               "resources": format!("/v1/tenants/{id}/resources")})
    );
    assert_eq!(detail["tenantId"], id.as_str());
    assert_eq!(detail["type"], "tenant.created");
}

#[tokio::test]
async fn a_resource_report_past_the_tenants_total_is_refused_with_409_and_shrinking_is_not() {
    let app = spawn_app().await;
    let tenant = app.create_named("bulky").await;
    let base = format!("/v1/tenants/{}/resources", id(&tenant));
    // Each report is within every per-resource bound, and about 7 KB serialized.
    let report = |notes: &str| {
        json!({
            "type": "rds-cluster", "status": "failed",
            "arn": format!("arn:aws:rds:eu-west-1:123456789012:cluster:{}", "c".repeat(1900)),
            "metadata": {"notes": notes},
            "error": {"code": "Throttled", "message": "€".repeat(1000)},
        })
    };
    let big = "m".repeat(2000);
    let mut accepted = 0;
    let refused = loop {
        let put = TestRequest::new("PUT", &format!("{base}/db-{accepted}")).json(&report(&big));
        let response = app.send(put).await;
        if response.status != 201 {
            break response;
        }
        accepted += 1;
        assert!(accepted < 50, "the total never refused a report");
    };
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.code(), "invalid_state");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("at most 131072 bytes of resources"),
        "{}",
        refused.body
    );
    assert!(accepted >= 10, "only {accepted} accepted");
    // The tenant's item and its events stay within their limits: it reads and lists.
    assert_eq!(app.get(&base).await.status, 200);
    assert_eq!(app.tenant(&id(&tenant)).await["slug"], "bulky");
    // A report that makes the tenant's resources smaller is taken.
    let shrink = TestRequest::new("PUT", &format!("{base}/db-0")).json(&report("small"));
    assert_eq!(app.send(shrink).await.status, 200);
    for event in app.stored_events().await {
        assert!(event.to_string().len() <= 240 * 1024);
    }
}
