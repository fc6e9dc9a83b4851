//! Plan entitlements against the real engine: the catalogue, effective entitlements with
//! overrides, the check, usage reports (concurrency, idempotency, limits, downgrades,
//! periods) and the events they write.

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::{spawn_app, TestApp, TestRequest, TestResponse};
use serde_json::{json, Value};
use tenant_shared::domain::Role;

fn id(tenant: &Value) -> &str {
    tenant["id"].as_str().unwrap()
}

fn key() -> String {
    format!("report-{}", uuid::Uuid::now_v7().simple())
}

/// `POST .../usage/{feature}` with `body` and idempotency key `key`.
async fn report(
    app: &TestApp,
    tenant: &str,
    feature: &str,
    body: Value,
    key: &str,
) -> TestResponse {
    app.send(
        TestRequest::new("POST", &format!("/v1/tenants/{tenant}/usage/{feature}"))
            .json(&body)
            .header("idempotency-key", key),
    )
    .await
}

/// One feature of `GET .../entitlements`.
async fn entitlement(app: &TestApp, tenant: &str, feature: &str) -> Value {
    let r = app
        .send(
            TestRequest::new("GET", &format!("/v1/tenants/{tenant}/entitlements"))
                .query("feature", feature),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    r.body["items"][0].clone()
}

async fn check(app: &TestApp, tenant: &str, feature: &str, requested: u64) -> Value {
    let r = app
        .send(
            TestRequest::new(
                "GET",
                &format!("/v1/tenants/{tenant}/entitlements/{feature}/check"),
            )
            .query("requested", &requested.to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

async fn events_of(app: &TestApp, kind: &str) -> Vec<Value> {
    app.stored_events()
        .await
        .into_iter()
        .filter(|e| e["type"] == kind)
        .collect()
}

#[tokio::test]
async fn the_catalogue_lists_every_feature_and_each_plans_grants_lowest_first() {
    let app = spawn_app().await;
    let r = app.get("/v1/plans").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let plans: Vec<&str> = r.body["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(plans, ["free", "starter", "pro", "business", "enterprise"]);
    assert_eq!(r.body["plans"][1]["default"], true);
    assert_eq!(
        r.body["plans"][1]["grants"]["maxUsers"],
        json!({"limit": 10, "softLimit": 8})
    );
    assert_eq!(r.body["plans"][1]["grants"]["sso"], false);
    assert_eq!(
        r.body["plans"][4]["grants"]["apiCalls"],
        json!({"limit": null})
    );
    let sso = r.body["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "sso")
        .unwrap();
    assert_eq!(sso["type"], "boolean");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_increments_against_a_limit_of_ten_count_exactly_ten() {
    let app = Arc::new(spawn_app().await);
    let tenant = app.create_named("racers").await; // starter: maxUsers 10
    let tenant_id = id(&tenant).to_owned();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let app = Arc::clone(&app);
            let tenant_id = tenant_id.clone();
            tokio::spawn(async move {
                report(&app, &tenant_id, "maxUsers", json!({"delta": 1}), &key()).await
            })
        })
        .collect();
    let (mut counted, mut refused) = (0, 0);
    for task in tasks {
        let r = task.await.unwrap();
        match r.status {
            200 => counted += 1,
            409 => {
                assert_eq!(r.code(), "limit_reached", "{}", r.body);
                assert_eq!(r.body["details"]["limit"], 10);
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert_eq!((counted, refused), (10, 40));
    let e = entitlement(&app, &tenant_id, "maxUsers").await;
    assert_eq!(
        (e["usage"].clone(), e["remaining"].clone()),
        (json!(10), json!(0))
    );
    // Each threshold was announced once, whoever crossed it.
    let crossed: Vec<u64> = events_of(&app, "tenant.usage_threshold_reached")
        .await
        .iter()
        .map(|e| e["usage"]["threshold"].as_u64().unwrap())
        .collect();
    assert_eq!(crossed, [80, 100]);
}

#[tokio::test]
async fn twenty_replays_of_one_idempotency_key_count_once_and_answer_the_first_report() {
    let app = spawn_app().await;
    let tenant = app.create_named("replays").await;
    let same = key();
    let first = report(&app, id(&tenant), "maxProjects", json!({"delta": 3}), &same).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.header("idempotent-replayed"), Some("false"));
    assert_eq!(first.body["usage"], 3);
    for _ in 0..20 {
        let again = report(&app, id(&tenant), "maxProjects", json!({"delta": 3}), &same).await;
        assert_eq!(again.status, 200);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.body, first.body, "the first answer, word for word");
    }
    assert_eq!(
        entitlement(&app, id(&tenant), "maxProjects").await["usage"],
        3
    );
    let other_body = report(&app, id(&tenant), "maxProjects", json!({"delta": 4}), &same).await;
    assert_eq!(other_body.status, 409);
    assert_eq!(other_body.code(), "idempotency_key_reused");
    assert_eq!(
        entitlement(&app, id(&tenant), "maxProjects").await["usage"],
        3
    );
}

#[tokio::test]
async fn a_downgrade_below_usage_keeps_everything_refuses_increments_and_allows_decrements() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant(&json!({"name": "Big", "slug": "big", "plan": "pro"}))
        .await;
    let t = id(&tenant);
    let set = report(&app, t, "maxUsers", json!({"set": 20}), &key()).await;
    assert_eq!(set.status, 200, "{}", set.body);

    // A dry run says what would happen and writes nothing.
    let dry = app
        .post(
            &format!("/v1/tenants/{t}/downgrade"),
            &json!({"plan": "starter", "dryRun": true}),
        )
        .await;
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert_eq!(dry.body["dryRun"], true);
    assert_eq!(
        dry.body["overLimit"],
        json!([{"feature": "maxUsers", "usage": 20, "limit": 10}])
    );
    assert_eq!(
        app.get(&format!("/v1/tenants/{t}")).await.body["plan"],
        "pro"
    );

    let down = app
        .post(
            &format!("/v1/tenants/{t}/downgrade"),
            &json!({"plan": "starter"}),
        )
        .await;
    assert_eq!(down.status, 200, "{}", down.body);
    assert_eq!(down.body["plan"], "starter");
    assert_eq!(
        down.body["overLimit"],
        json!([{"feature": "maxUsers", "usage": 20, "limit": 10}])
    );
    let over = events_of(&app, "tenant.over_limit").await;
    assert_eq!(over.len(), 1);
    assert_eq!(over[0]["overLimit"][0]["feature"], "maxUsers");
    let changed = events_of(&app, "tenant.entitlements_changed").await;
    assert_eq!(changed.last().unwrap()["entitlements"]["maxUsers"], 10);

    let e = entitlement(&app, t, "maxUsers").await;
    assert_eq!(
        (e["usage"].clone(), e["overLimit"].clone()),
        (json!(20), json!(true))
    );
    let more = report(&app, t, "maxUsers", json!({"delta": 1}), &key()).await;
    assert_eq!((more.status, more.code()), (409, "limit_reached"));
    let fewer = report(&app, t, "maxUsers", json!({"delta": -1}), &key()).await;
    assert_eq!(fewer.status, 200, "{}", fewer.body);
    assert_eq!(fewer.body["usage"], 19);

    // An upgrade lifts the refusal at once.
    let up = app
        .post(
            &format!("/v1/tenants/{t}/upgrade"),
            &json!({"plan": "business"}),
        )
        .await;
    assert_eq!(up.status, 200, "{}", up.body);
    assert_eq!(up.body["overLimit"], json!([]));
    let allowed = report(&app, t, "maxUsers", json!({"delta": 1}), &key()).await;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(allowed.body["limit"], 250);
}

#[tokio::test]
async fn overrides_survive_upgrades_and_downgrades_and_only_platform_admins_set_them() {
    let app = spawn_app().await;
    let tenant = app.create_named("overridden").await;
    let t = id(&tenant);
    let path = format!("/v1/tenants/{t}");
    let set = app
        .patch(
            &path,
            &json!({"maxUsers": 500, "overrides": {"sso": true, "apiCalls": "unlimited"}}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    for (direction, plan) in [("upgrade", "business"), ("downgrade", "free")] {
        let r = app
            .post(&format!("{path}/{direction}"), &json!({"plan": plan}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let users = entitlement(&app, t, "maxUsers").await;
        assert_eq!(
            (users["value"].clone(), users["source"].clone()),
            (json!(500), json!("override"))
        );
        let sso = entitlement(&app, t, "sso").await;
        assert_eq!(
            (sso["value"].clone(), sso["source"].clone()),
            (json!(true), json!("override"))
        );
        let calls = entitlement(&app, t, "apiCalls").await;
        assert_eq!(calls["value"], Value::Null, "unlimited");
    }
    // null clears an override: the plan's grant again.
    let cleared = app.patch(&path, &json!({"overrides": {"sso": null}})).await;
    assert_eq!(cleared.status, 200, "{}", cleared.body);
    let sso = entitlement(&app, t, "sso").await;
    assert_eq!(
        (sso["value"].clone(), sso["source"].clone()),
        (json!(false), json!("plan"))
    );

    // A tenant's own admin changes neither its limits nor its overrides.
    let admin = app.token("own-admin", &[Role::TenantAdmin], Some(t));
    let denied = app
        .send(
            TestRequest::new("PATCH", &path)
                .bearer(&admin)
                .header("content-type", "application/merge-patch+json")
                .raw(br#"{"overrides": {"sso": true}}"#),
        )
        .await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert_eq!(
        denied.body["notices"],
        json!(["limits-need-platform-admin"])
    );

    // Overrides name features of the catalogue, with values of their type.
    let bad = app
        .patch(
            &path,
            &json!({"overrides": {"sso": 3, "nope": true, "maxUsers": 2}}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let mut fields = bad.invalid_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["overrides.maxUsers", "overrides.nope", "overrides.sso"]
    );
}

#[tokio::test]
async fn sso_needs_a_plan_or_override_granting_it() {
    let app = spawn_app().await;
    let sso = json!({"loginMode": "sso", "ssoStartUrl": "https://d-1.awsapps.com/start", "ssoRegion": "eu-west-1"});
    let mut body = json!({"name": "S", "slug": "sso-starter"});
    body.as_object_mut()
        .unwrap()
        .extend(sso.as_object().unwrap().clone());
    let refused = app.post("/v1/tenants", &body).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.code(), "not_in_plan");
    body["overrides"] = json!({"sso": true});
    let created = app.post("/v1/tenants", &body).await;
    assert_eq!(created.status, 201, "{}", created.body);

    // Switching an existing tenant to SSO is checked the same way.
    let plain = app.create_named("plain").await;
    let path = format!("/v1/tenants/{}", id(&plain));
    let switch = app.patch(&path, &sso).await;
    assert_eq!((switch.status, switch.code()), (409, "not_in_plan"));
}

#[tokio::test]
async fn a_tenant_written_before_entitlements_keeps_its_limits_and_its_sso_as_an_override() {
    let app = spawn_app().await;
    let tenant = app.create_named("legacy").await;
    let t = id(&tenant);
    // The item as the code before entitlements wrote it: no overrides, SSO on starter,
    // a limit field set.
    let key = std::collections::HashMap::from([
        ("PK".to_owned(), AttributeValue::S(format!("TENANT#{t}"))),
        ("SK".to_owned(), AttributeValue::S("TENANT".to_owned())),
    ]);
    let mut item = app
        .client
        .get_item()
        .table_name(&app.table)
        .set_key(Some(key))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    item.remove("overrides");
    item.insert("loginMode".into(), AttributeValue::S("sso".into()));
    item.insert(
        "ssoStartUrl".into(),
        AttributeValue::S("https://d-1.awsapps.com/start".into()),
    );
    item.insert("ssoRegion".into(), AttributeValue::S("eu-west-1".into()));
    item.insert("maxUsers".into(), AttributeValue::N("42".into()));
    app.client
        .put_item()
        .table_name(&app.table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();

    let users = entitlement(&app, t, "maxUsers").await;
    assert_eq!(
        (users["value"].clone(), users["source"].clone()),
        (json!(42), json!("override"))
    );
    let sso = entitlement(&app, t, "sso").await;
    assert_eq!(
        (sso["value"].clone(), sso["source"].clone()),
        (json!(true), json!("override"))
    );
    assert_eq!(sso["planValue"], false);
    // Any later write records it.
    let touched = app
        .patch(&format!("/v1/tenants/{t}"), &json!({"externalId": "crm-1"}))
        .await;
    assert_eq!(touched.status, 200, "{}", touched.body);
    assert_eq!(touched.body["overrides"], json!({"sso": true}));
}

#[tokio::test]
async fn a_suspended_tenant_is_refused_increments_with_its_reason_but_may_decrement() {
    let app = spawn_app().await;
    let tenant = app.create_named("paused").await;
    let t = id(&tenant);
    assert_eq!(
        report(&app, t, "maxUsers", json!({"delta": 2}), &key())
            .await
            .status,
        200
    );
    let suspended = app
        .post(&format!("/v1/tenants/{t}/suspend"), &json!({}))
        .await;
    assert_eq!(suspended.status, 200);
    let answer = check(&app, t, "maxUsers", 1).await;
    assert_eq!(answer["allowed"], false);
    assert_eq!(answer["reason"], "tenant_suspended");
    let flag = check(&app, t, "auditLogExport", 1).await;
    assert_eq!(flag["reason"], "tenant_suspended");
    let more = report(&app, t, "maxUsers", json!({"delta": 1}), &key()).await;
    assert_eq!((more.status, more.code()), (409, "tenant_suspended"));
    let fewer = report(&app, t, "maxUsers", json!({"delta": -1}), &key()).await;
    assert_eq!(fewer.status, 200, "{}", fewer.body);
}

#[tokio::test]
async fn the_check_answers_with_the_figures_and_never_writes() {
    let app = spawn_app().await;
    let tenant = app.create_named("checked").await;
    let t = id(&tenant);
    report(&app, t, "maxWorkspaces", json!({"delta": 2}), &key()).await; // limit 3
    let yes = check(&app, t, "maxWorkspaces", 1).await;
    assert_eq!(
        (
            yes["allowed"].clone(),
            yes["usage"].clone(),
            yes["remaining"].clone()
        ),
        (json!(true), json!(2), json!(1))
    );
    let no = check(&app, t, "maxWorkspaces", 2).await;
    assert_eq!(
        (no["allowed"].clone(), no["reason"].clone()),
        (json!(false), json!("limit_reached"))
    );
    let off = check(&app, t, "sso", 1).await;
    assert_eq!(
        (off["allowed"].clone(), off["reason"].clone()),
        (json!(false), json!("not_in_plan"))
    );
    assert_eq!(entitlement(&app, t, "maxWorkspaces").await["usage"], 2);
}

#[tokio::test]
async fn metered_usage_counts_per_period_so_a_new_period_starts_at_zero_without_a_job() {
    let app = spawn_app().await;
    let tenant = app.create_named("metered").await; // starter: apiCalls 100000 a month
    let t = id(&tenant);
    // Last period's counter, at the limit.
    let last_month = {
        let now = tenant_shared::domain::clock::now_rfc3339();
        let (y, m): (i32, u8) = (now[..4].parse().unwrap(), now[5..7].parse().unwrap());
        let (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
        format!("{y:04}-{m:02}")
    };
    app.client
        .update_item()
        .table_name(&app.table)
        .key("PK", AttributeValue::S(format!("TENANT#{t}")))
        .key("SK", AttributeValue::S("USAGE".into()))
        .update_expression("SET #c = :n, entity = :e")
        .expression_attribute_names("#c", format!("U#apiCalls#{last_month}"))
        .expression_attribute_values(":n", AttributeValue::N("100000".into()))
        .expression_attribute_values(":e", AttributeValue::S("usage".into()))
        .send()
        .await
        .unwrap();
    let e = entitlement(&app, t, "apiCalls").await;
    assert_eq!(e["usage"], 0);
    assert!(e["resetAt"].as_str().unwrap().ends_with("-01T00:00:00Z"));
    let counted = report(&app, t, "apiCalls", json!({"delta": 500}), &key()).await;
    assert_eq!(counted.status, 200, "{}", counted.body);
    assert_eq!(counted.body["usage"], 500);
    assert_eq!(counted.body["period"], e["period"]);
    assert_ne!(counted.body["period"], json!(last_month));
}

#[tokio::test]
async fn thresholds_fire_once_per_crossing_not_on_every_report() {
    let app = spawn_app().await;
    let tenant = app.create_named("thresholds").await; // starter: maxUsers 10
    let t = id(&tenant);
    let mut crossed = Vec::new();
    for delta in [7, 1, 1, 1, -3, 1, 1] {
        let r = report(&app, t, "maxUsers", json!({ "delta": delta }), &key()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        crossed.push(r.body["thresholdsCrossed"].clone());
    }
    // 7 → 8 crosses 80 %; 10 reaches 100 %; down to 7 and back to 8 crosses 80 % again.
    assert_eq!(
        crossed,
        [
            json!([]),
            json!([80]),
            json!([]),
            json!([100]),
            json!([]),
            json!([80]),
            json!([])
        ]
    );
    let events = events_of(&app, "tenant.usage_threshold_reached").await;
    let seen: Vec<(u64, u64)> = events
        .iter()
        .map(|e| {
            (
                e["usage"]["threshold"].as_u64().unwrap(),
                e["usage"]["usage"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen, [(80, 8), (100, 10), (80, 8)]);
    // Reports below a threshold write no event at all.
    let all = app.stored_events().await;
    assert_eq!(all.len(), 1 + 3, "tenant.created and the three crossings");
}

#[tokio::test]
async fn bad_usage_reports_are_4xx_naming_the_field_and_count_nothing() {
    let app = spawn_app().await;
    let tenant = app.create_named("strict").await;
    let t = id(&tenant);
    assert_eq!(
        report(&app, t, "maxUsers", json!({"delta": 1}), &key())
            .await
            .status,
        200
    );
    let unknown = report(&app, t, "seats", json!({"delta": 1}), &key()).await;
    assert_eq!((unknown.status, unknown.code()), (404, "not_found"));
    for (feature, body, field) in [
        ("sso", json!({"set": 1}), "feature"),
        ("dataRetentionDays", json!({"delta": 1}), "feature"),
        ("maxUsers", json!({"delta": 1.5}), "delta"),
        ("maxUsers", json!({"delta": -2}), "delta"),
        (
            "maxUsers",
            json!({"delta": 12345678901234567890u64}),
            "delta",
        ),
        ("maxUsers", json!({"delta": 0}), "delta"),
        ("maxUsers", json!({"set": -1}), "set"),
        ("maxUsers", json!({"delta": 1, "set": 2}), "set"),
        ("maxUsers", json!({"increment": 1}), "increment"),
    ] {
        let r = report(&app, t, feature, body.clone(), &key()).await;
        assert_eq!(r.status, 400, "{feature} {body}: {}", r.body);
        assert!(
            r.invalid_fields().contains(&field.to_owned()),
            "{feature} {body}: {}",
            r.body
        );
    }
    for bad_key in [
        None,
        Some("k".repeat(300)),
        Some("has space".to_owned()),
        Some("clé".to_owned()),
    ] {
        let mut req = TestRequest::new("POST", &format!("/v1/tenants/{t}/usage/maxUsers"))
            .json(&json!({"delta": 1}));
        if let Some(k) = &bad_key {
            req = req.header("idempotency-key", k);
        }
        let r = app.send(req).await;
        assert_eq!(r.status, 400, "{bad_key:?}: {}", r.body);
        assert_eq!(r.invalid_fields(), ["Idempotency-Key"]);
    }
    let bad_check = app
        .send(
            TestRequest::new(
                "GET",
                &format!("/v1/tenants/{t}/entitlements/maxUsers/check"),
            )
            .query("requested", "-1"),
        )
        .await;
    assert_eq!(bad_check.status, 400);
    assert_eq!(entitlement(&app, t, "maxUsers").await["usage"], 1);
}

#[tokio::test]
async fn a_tenant_scoped_application_key_reports_its_own_tenants_usage_only() {
    let app = spawn_app().await;
    let own = app.create_named("own-app").await;
    let other = app.create_named("other-app").await;
    let created = app
        .create_api_key(&json!({"name": "app", "roles": ["tenant_admin"], "tenantId": id(&own)}))
        .await;
    let api_key = created["key"].as_str().unwrap();
    let send = |tenant: &str| {
        TestRequest::new("POST", &format!("/v1/tenants/{tenant}/usage/maxUsers"))
            .json(&json!({"delta": 1}))
            .header("idempotency-key", &key())
            .api_key(api_key)
    };
    assert_eq!(app.send(send(id(&own))).await.status, 200);
    assert_eq!(app.send(send(id(&other))).await.status, 404);
    // The tenant's own admin, a person, may read but not count.
    let person = app.token("own-admin", &[Role::TenantAdmin], Some(id(&own)));
    let r = app
        .send(
            TestRequest::new("POST", &format!("/v1/tenants/{}/usage/maxUsers", id(&own)))
                .json(&json!({"delta": 1}))
                .header("idempotency-key", &key())
                .bearer(&person),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        r.body["notices"],
        json!(["usage-is-reported-by-the-application"])
    );
}

#[tokio::test]
async fn a_retried_report_gets_its_first_answer_even_when_the_count_it_made_would_now_refuse_it() {
    let app = spawn_app().await;
    let tenant = app.create_named("near-limit").await; // starter: maxUsers 10
    let t = id(&tenant);
    assert_eq!(
        report(&app, t, "maxUsers", json!({"set": 9}), &key())
            .await
            .status,
        200
    );
    let last_seat = key();
    let first = report(&app, t, "maxUsers", json!({"delta": 1}), &last_seat).await;
    assert_eq!(first.status, 200, "{}", first.body);
    // The answer was lost; the retry finds the tenant at its limit, counted by itself.
    let retry = report(&app, t, "maxUsers", json!({"delta": 1}), &last_seat).await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body, first.body);
    // The same key with another report is a reuse, whatever the limit says.
    let reused = report(&app, t, "maxUsers", json!({"delta": 2}), &last_seat).await;
    assert_eq!(
        (reused.status, reused.code()),
        (409, "idempotency_key_reused")
    );
    // A decrement to 0, retried, is not a decrement below 0.
    let zero = key();
    assert_eq!(
        report(&app, t, "maxUsers", json!({"set": 1}), &key())
            .await
            .status,
        200
    );
    assert_eq!(
        report(&app, t, "maxUsers", json!({"delta": -1}), &zero)
            .await
            .status,
        200
    );
    let again = report(&app, t, "maxUsers", json!({"delta": -1}), &zero).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(entitlement(&app, t, "maxUsers").await["usage"], 0);
}

#[tokio::test]
async fn a_report_decided_before_a_plan_change_is_not_written_after_it() {
    use tenant_shared::domain::entitlements::usage::{ReportWrite, UsageRecord};
    use tenant_shared::domain::TenantId;
    use tenant_shared::store::usage::{IdempotencyRecord, Reported};

    let app = spawn_app().await;
    let tenant = app.create_named("raced").await; // starter: maxUsers 10
    let t = id(&tenant);
    assert_eq!(
        report(&app, t, "maxUsers", json!({"set": 3}), &key())
            .await
            .status,
        200
    );
    let read_version = app.get(&format!("/v1/tenants/{t}")).await.body["version"]
        .as_i64()
        .unwrap();
    // A report decides against starter's limit (3 + 1 <= 10)...
    let write = ReportWrite::Add {
        n: 1,
        max_before: Some(9),
        low: 0,
        high: Some(7),
        crossed: vec![],
    };
    // ...and a downgrade to free (maxUsers 3) commits before the report's write.
    let down = app
        .post(
            &format!("/v1/tenants/{t}/downgrade"),
            &json!({"plan": "free"}),
        )
        .await;
    assert_eq!(down.status, 200, "{}", down.body);
    assert_eq!(
        down.body["overLimit"],
        json!([]),
        "3 of 3 is at the limit, not over"
    );
    let answer = UsageRecord {
        feature: "maxUsers".into(),
        delta: Some(1),
        set: None,
        usage: 4,
        limit: Some(10),
        remaining: Some(6),
        over_limit: false,
        period: None,
        reset_at: None,
        thresholds_crossed: vec![],
        recorded_at: "2026-12-04T00:00:00Z".into(),
    };
    let now = tenant_shared::domain::clock::now_epoch_seconds();
    let idem = key();
    let record = IdempotencyRecord {
        key: &idem,
        digest: "d".into(),
        answer: &answer,
        expires_at: now + 60,
    };
    let outcome = app
        .app
        .store
        .report_usage(
            &TenantId::parse(t).unwrap(),
            read_version,
            "maxUsers",
            None,
            &write,
            &record,
            &[],
            now,
        )
        .await
        .unwrap();
    assert!(matches!(outcome, Reported::Moved), "{outcome:?}");
    // Decided again through the API, it meets the new limit.
    let more = report(&app, t, "maxUsers", json!({"delta": 1}), &key()).await;
    assert_eq!((more.status, more.code()), (409, "limit_reached"));
    assert_eq!(entitlement(&app, t, "maxUsers").await["usage"], 3);
}

#[tokio::test]
async fn a_suspended_tenants_application_key_still_reads_and_counts_down_but_not_up() {
    let app = spawn_app().await;
    let tenant = app.create_named("suspended-app").await;
    let t = id(&tenant);
    let created = app
        .create_api_key(&json!({"name": "app", "roles": ["tenant_admin"], "tenantId": t}))
        .await;
    let api_key = created["key"].as_str().unwrap().to_owned();
    assert_eq!(
        report(&app, t, "maxUsers", json!({"delta": 4}), &key())
            .await
            .status,
        200
    );
    assert_eq!(
        app.post(&format!("/v1/tenants/{t}/suspend"), &json!({}))
            .await
            .status,
        200
    );
    let as_app = |req: TestRequest| req.api_key(&api_key);
    let checked = app
        .send(as_app(TestRequest::new(
            "GET",
            &format!("/v1/tenants/{t}/entitlements/maxUsers/check"),
        )))
        .await;
    assert_eq!(checked.status, 200, "{}", checked.body);
    assert_eq!(checked.body["reason"], "tenant_suspended");
    let count = |body: Value| {
        as_app(
            TestRequest::new("POST", &format!("/v1/tenants/{t}/usage/maxUsers"))
                .json(&body)
                .header("idempotency-key", &key()),
        )
    };
    let down = app.send(count(json!({"delta": -1}))).await;
    assert_eq!(down.status, 200, "{}", down.body);
    let up = app.send(count(json!({"delta": 1}))).await;
    assert_eq!((up.status, up.code()), (409, "tenant_suspended"));
    let set_up = app.send(count(json!({"set": 9}))).await;
    assert_eq!((set_up.status, set_up.code()), (409, "tenant_suspended"));
    // Anything else stays closed to the suspended tenant's key.
    let read = app
        .send(as_app(TestRequest::new("GET", &format!("/v1/tenants/{t}"))))
        .await;
    assert_eq!((read.status, read.code()), (403, "tenant_suspended"));
}
