use integration_tests::{spawn_app, TestRequest, TestResponse};
use serde_json::json;

fn assert_envelope(response: &TestResponse, status: u16, code: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(response.code(), code, "{}", response.body);
    let body = response.body.as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["code", "details", "message", "requestId"]);
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(body["details"].is_object());
    assert_eq!(response.header("x-request-id"), body["requestId"].as_str());
    assert_eq!(response.header("content-type"), Some("application/json"));
}

fn create(body: &[u8], content_type: Option<&str>) -> TestRequest {
    let request = TestRequest::new("POST", "/v1/tenants").raw(body);
    match content_type {
        Some(ct) => request.header("content-type", ct),
        None => request,
    }
}

#[tokio::test]
async fn malformed_json_is_400_malformed_json() {
    let app = spawn_app().await;
    for body in [&b"{\"name\": "[..], b"{]", b"nul", b"\xff\xfe"] {
        let response = app.send(create(body, Some("application/json"))).await;
        assert_envelope(&response, 400, "malformed_json");
    }
}

#[tokio::test]
async fn non_object_bodies_are_400_invalid_body() {
    let app = spawn_app().await;
    for body in ["[]", "\"acme\"", "42", "null", "", "   "] {
        let response = app
            .send(create(body.as_bytes(), Some("application/json")))
            .await;
        assert_envelope(&response, 400, "invalid_body");
    }
}

#[tokio::test]
async fn unknown_fields_are_listed_in_the_validation_error() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/v1/tenants",
            &json!({"name": "x", "slug": "unknown-fields", "colour": "red", "Name": "y"}),
        )
        .await;
    assert_envelope(&response, 400, "validation_error");
    let mut fields = response.invalid_fields();
    fields.sort();
    assert_eq!(fields, ["Name", "colour"]);
    assert!(response.body["details"]["fields"][0]["reason"].is_string());
}

#[tokio::test]
async fn bodies_over_64_kib_are_413() {
    let app = spawn_app().await;
    let big = json!({"name": "x", "slug": "big", "externalId": "a".repeat(70 * 1024)});
    let response = app.post("/v1/tenants", &big).await;
    assert_envelope(&response, 413, "payload_too_large");
}

#[tokio::test]
async fn wrong_or_missing_content_type_is_415() {
    let app = spawn_app().await;
    let body = br#"{"name":"x","slug":"ctype"}"#;
    for ct in [
        Some("text/plain"),
        Some("application/xml"),
        None,
        Some("application/json; charset=latin1"),
    ] {
        let response = app.send(create(body, ct)).await;
        assert_envelope(&response, 415, "unsupported_media_type");
    }
    let ok = app
        .send(create(body, Some("Application/JSON; charset=UTF-8")))
        .await;
    assert_eq!(ok.status, 201);
    // merge-patch is for PATCH only.
    let response = app
        .send(create(
            br#"{"name":"y","slug":"ctype-2"}"#,
            Some("application/merge-patch+json"),
        ))
        .await;
    assert_envelope(&response, 415, "unsupported_media_type");
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_in_the_envelope() {
    let app = spawn_app().await;
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/v2/tenants"),
        ("POST", "/v1/tenants/x/y/z"),
    ] {
        let response = app.send(TestRequest::new(method, path)).await;
        assert_envelope(&response, 404, "not_found");
    }
    let response = app
        .send(TestRequest::new("PUT", "/v1/tenants/tenant_x"))
        .await;
    assert_envelope(&response, 405, "method_not_allowed");
    assert_eq!(response.header("allow"), Some("GET, PATCH, DELETE"));
    let response = app.send(TestRequest::new("DELETE", "/v1/tenants")).await;
    assert_envelope(&response, 405, "method_not_allowed");
}

#[tokio::test]
async fn validation_errors_use_the_envelope_and_list_every_field() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/v1/tenants",
            &json!({
                "name": "", "slug": "a--b", "kind": "x", "ownerEmail": "@", "locale": "??",
                "region": "mars-1", "ssoStartUrl": "http://x.example.com", "awsRoleArn": "arn:nope",
                "awsExternalId": "x", "awsRegion": "moon", "maxUsers": -1, "maxWorkspaces": 0,
                "maxProjects": 1.5, "maxEnvironments": "3", "dataRetentionDays": 0,
                "metadata": [], "emailDomain": "nodot", "technicalContactEmail": 5,
                "billingEmail": "b@", "loginMode": "magic", "externalId": "", "ownerUserId": "a b",
                "ownerName": ""
            }),
        )
        .await;
    assert_envelope(&response, 400, "validation_error");
    assert_eq!(response.invalid_fields().len(), 23, "{}", response.body);
}

#[tokio::test]
async fn base64_encoded_bodies_are_read_like_text() {
    let app = spawn_app().await;
    // Not UTF-8 text: the helper sends it as a binary body, as lambda_http decodes it.
    let response = app
        .send(create(
            b"{\"name\":\"x\",\"slug\":\"bin\xff\"}",
            Some("application/json"),
        ))
        .await;
    assert_envelope(&response, 400, "malformed_json");
}

#[tokio::test]
async fn a_storage_failure_is_a_500_that_leaks_nothing() {
    let mut app = spawn_app().await;
    // Point the app at a table that does not exist: DynamoDB answers ResourceNotFound.
    let mut config = app.app.config.clone();
    config.table_name = "no-such-table".to_owned();
    app.app = tenant_shared::App::with_client(config, app.client.clone()).unwrap();
    let response = app
        .get(&format!("/v1/tenants/tenant_{}", uuid::Uuid::now_v7()))
        .await;
    assert_envelope(&response, 500, "internal_error");
    let text = response.body.to_string();
    for leak in ["ResourceNotFound", "no-such-table", "dynamodb", "DynamoDB"] {
        assert!(!text.contains(leak), "response leaks {leak}: {text}");
    }
}

#[tokio::test]
async fn an_unreachable_dynamodb_is_a_503_with_retry_after() {
    let mut app = spawn_app().await;
    // Nothing listens on port 9 of loopback: every connection is refused.
    let client = tenant_shared::runtime::aws::dynamodb_client(
        &tenant_shared::runtime::aws::ClientSettings {
            region: "us-east-1".to_owned(),
            endpoint: Some("http://127.0.0.1:9".to_owned()),
            credentials: Some(aws_sdk_dynamodb::config::Credentials::new(
                "t", "t", None, None, "t",
            )),
            native_roots: false,
            timeouts: Default::default(),
        },
    );
    app.app = tenant_shared::App::with_client(app.app.config.clone(), client).unwrap();
    let response = app.get("/v1/tenants/stats").await;
    assert_envelope(&response, 503, "service_unavailable");
    assert_eq!(response.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn the_body_limit_is_exactly_64_kib() {
    let app = spawn_app().await;
    let body_of = |size: usize| {
        let head = r#"{"name":"x","slug":"limit","externalId":""#;
        let tail = r#""}"#;
        let pad = "a".repeat(size - head.len() - tail.len());
        format!("{head}{pad}{tail}")
    };
    let at_limit = app
        .send(create(
            body_of(64 * 1024).as_bytes(),
            Some("application/json"),
        ))
        .await;
    // Read and validated (the id is too long), not refused for size.
    assert_envelope(&at_limit, 400, "validation_error");
    assert_eq!(at_limit.invalid_fields(), ["externalId"]);
    let over = app
        .send(create(
            body_of(64 * 1024 + 1).as_bytes(),
            Some("application/json"),
        ))
        .await;
    assert_envelope(&over, 413, "payload_too_large");
}

#[tokio::test]
async fn an_x_tenant_id_that_is_not_a_tenant_id_matches_no_tenant_and_is_never_ignored() {
    let app = spawn_app().await;
    for path in ["/v1/tenants/stats", "/v1/api-keys", "/v1/tenants"] {
        let response = app
            .send(TestRequest::new("GET", path).header("x-tenant-id", "acme"))
            .await;
        assert_eq!(response.status, 403, "{path}: {}", response.body);
        assert_eq!(response.code(), "tenant_mismatch");
        assert_eq!(response.body["notices"][0], "tenant-header-must-match");
    }
}

#[tokio::test]
async fn a_suspension_reason_is_never_empty_and_the_body_wins_over_the_query() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant(&json!({"name": "Acme", "slug": "acme-reason"}))
        .await;
    let path = format!("/v1/tenants/{}/suspend", tenant["id"].as_str().unwrap());
    let empty = app
        .send(TestRequest::new("POST", &path).query("reason", ""))
        .await;
    assert_envelope(&empty, 400, "validation_error");
    let both = app
        .send(
            TestRequest::new("POST", &path)
                .query("reason", "late")
                .json(&json!({"reason": "unpaid"})),
        )
        .await;
    assert_eq!(both.status, 200, "{}", both.body);
    assert_eq!(both.body["suspendedReason"], "unpaid");
}
