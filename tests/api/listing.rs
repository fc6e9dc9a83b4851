use std::collections::HashSet;

use integration_tests::{spawn_app, TestApp, TestRequest};
use serde_json::{json, Value};

async fn list(app: &TestApp, params: &[(&str, &str)]) -> integration_tests::TestResponse {
    let mut request = TestRequest::new("GET", "/v1/tenants");
    for (k, v) in params {
        request = request.query(k, v);
    }
    app.send(request).await
}

/// Follows `nextCursor` to the end, checking page sizes; returns every id in order.
async fn walk(app: &TestApp, params: &[(&str, &str)], limit: usize) -> Vec<String> {
    let limit_text = limit.to_string();
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut p: Vec<(&str, &str)> = params.to_vec();
        p.push(("limit", &limit_text));
        if let Some(c) = &cursor {
            p.push(("cursor", c));
        }
        let page = list(app, &p).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let items = page.body["items"].as_array().unwrap().clone();
        ids.extend(items.iter().map(|t| t["id"].as_str().unwrap().to_owned()));
        match &page.body["nextCursor"] {
            Value::String(next) => {
                assert_eq!(items.len(), limit, "a page before the last must be full");
                cursor = Some(next.clone());
            }
            Value::Null => return ids,
            other => panic!("bad nextCursor {other}"),
        }
    }
    panic!("pagination did not end");
}

#[tokio::test]
async fn pagination_visits_every_tenant_exactly_once_newest_first() {
    let app = spawn_app().await;
    let mut created = Vec::new();
    for i in 0..23 {
        created.push(
            app.create_named(&format!("page-{i:02}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let ids = walk(&app, &[], 5).await;
    let expected: Vec<String> = created.iter().rev().cloned().collect();
    assert_eq!(ids, expected);

    let ascending = walk(&app, &[("order", "asc")], 7).await;
    assert_eq!(ascending, created);
}

#[tokio::test]
async fn exact_multiple_of_the_limit_ends_with_a_null_cursor() {
    let app = spawn_app().await;
    for i in 0..4 {
        app.create_named(&format!("exact-{i}")).await;
    }
    let first = list(&app, &[("limit", "4")]).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 4);
    assert!(first.body["nextCursor"].is_null());
}

#[tokio::test]
async fn default_listing_hides_deleted_tenants_and_status_filter_shows_them() {
    let app = spawn_app().await;
    let keep = app.create_named("keep").await;
    let gone = app.create_named("gone-list").await;
    app.delete(&format!("/v1/tenants/{}", gone["id"].as_str().unwrap()))
        .await;
    let all = list(&app, &[]).await;
    let ids: Vec<&str> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [keep["id"].as_str().unwrap()]);
    let deleted = list(&app, &[("status", "deleted")]).await;
    assert_eq!(deleted.body["items"][0]["id"], gone["id"]);
    assert_eq!(deleted.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn filtered_pages_are_full_until_the_last() {
    let app = spawn_app().await;
    let mut pro = HashSet::new();
    for i in 0..30 {
        let plan = if i % 3 == 0 { "pro" } else { "free" };
        let t = app
            .create_tenant(
                &json!({"name": format!("F {i}"), "slug": format!("filter-{i:02}"), "plan": plan}),
            )
            .await;
        if plan == "pro" {
            pro.insert(t["id"].as_str().unwrap().to_owned());
        }
    }
    let ids = walk(&app, &[("plan", "pro")], 3).await;
    assert_eq!(ids.len(), pro.len());
    assert_eq!(ids.into_iter().collect::<HashSet<_>>(), pro);
}

#[tokio::test]
async fn a_sparse_filter_near_the_deadline_returns_a_partial_page_that_resumes() {
    let app = spawn_app().await;
    let mut pro = Vec::new();
    // More tenants than one filtered index read (200) holds, with matches at both ends.
    for i in 0..205 {
        let plan = if i == 0 || i == 204 { "pro" } else { "free" };
        let t = app
            .create_tenant(
                &json!({"name": format!("D {i}"), "slug": format!("deadline-{i}"), "plan": plan}),
            )
            .await;
        if plan == "pro" {
            pro.push(t["id"].as_str().unwrap().to_owned());
        }
    }
    // With time nearly out, the listing stops after each index read instead of filling up.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = TestRequest::new("GET", "/v1/tenants")
            .query("plan", "pro")
            .query("limit", "2")
            .time_left_ms(500);
        if let Some(c) = &cursor {
            request = request.query("cursor", c);
        }
        let page = app.send(request).await;
        assert_eq!(page.status, 200, "{}", page.body);
        pages += 1;
        seen.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned()),
        );
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 20, "did not finish");
    }
    pro.reverse();
    assert_eq!(seen, pro, "every match exactly once, in order");
    assert!(pages > 1, "stopped early at least once");
}

#[tokio::test]
async fn status_kind_and_search_filters_combine() {
    let app = spawn_app().await;
    let a = app
        .create_tenant(&json!({"name": "Globex Holdings", "slug": "globex", "kind": "trial"}))
        .await;
    app.create_tenant(&json!({"name": "Initech", "slug": "initech", "kind": "trial"}))
        .await;
    let c = app
        .create_tenant(&json!({"name": "Umbrella", "slug": "globe-umbrella"}))
        .await;
    app.post(
        &format!("/v1/tenants/{}/suspend", c["id"].as_str().unwrap()),
        &json!({}),
    )
    .await;

    let ids = |r: &integration_tests::TestResponse| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // Name match is case-insensitive; slug matches by prefix.
    let search = list(&app, &[("search", "GLOB")]).await;
    assert_eq!(ids(&search).len(), 2);
    let holdings = list(&app, &[("search", "holdings")]).await;
    assert_eq!(ids(&holdings), [a["id"].as_str().unwrap()]);
    let trial = list(&app, &[("kind", "trial"), ("search", "glo")]).await;
    assert_eq!(ids(&trial), [a["id"].as_str().unwrap()]);
    let suspended = list(&app, &[("status", "suspended")]).await;
    assert_eq!(ids(&suspended), [c["id"].as_str().unwrap()]);
    let active_trials = list(&app, &[("status", "active"), ("kind", "trial")]).await;
    assert_eq!(ids(&active_trials).len(), 2);
}

#[tokio::test]
async fn forged_garbled_or_foreign_cursors_are_400_invalid_cursor() {
    let app = spawn_app().await;
    for i in 0..3 {
        app.create_named(&format!("cursor-{i}")).await;
    }
    let first = list(&app, &[("limit", "1")]).await;
    let cursor = first.body["nextCursor"].as_str().unwrap().to_owned();
    assert_eq!(
        list(&app, &[("limit", "1"), ("cursor", &cursor)])
            .await
            .status,
        200
    );

    let mut tampered = cursor.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in ["garbage", "", "eyJhIjoxfQ", tampered.as_str()] {
        let response = list(&app, &[("cursor", bad)]).await;
        assert_eq!(response.status, 400, "{bad}");
        assert_eq!(response.code(), "invalid_cursor");
    }
    // A cursor from one query is not valid for another.
    let other = list(&app, &[("cursor", &cursor), ("plan", "pro")]).await;
    assert_eq!(other.code(), "invalid_cursor");
}

#[tokio::test]
async fn bad_listing_parameters_are_400_listing_each() {
    let app = spawn_app().await;
    let response = list(
        &app,
        &[
            ("limit", "500"),
            ("order", "sideways"),
            ("status", "x"),
            ("nope", "1"),
        ],
    )
    .await;
    assert_eq!(response.status, 400);
    let mut fields = response.invalid_fields();
    fields.sort();
    assert_eq!(fields, ["limit", "nope", "order", "status"]);
}
