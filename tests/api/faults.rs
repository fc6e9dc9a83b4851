//! AWS faults between the app and moto (tests/support/faultproxy.py): the stated client
//! timeouts turn a DynamoDB that answers too late into a 503 with `Retry-After` before the
//! Lambda limit, and a transaction whose answer was lost is neither lost nor applied twice
//! when the client retries the way the README says (the same client-chosen id), and a
//! request whose AWS calls would outlive its invocation answers 503 before the deadline.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::Credentials;
use integration_tests::{
    dynamodb_client, dynamodb_endpoint, python, spawn_app, workspace_root, TestRequest,
};
use serde_json::json;
use tenant_shared::runtime::aws::{dynamodb_client as build_client, ClientSettings, Timeouts};

/// A fault proxy in front of the first moto server, stopped when dropped.
struct FaultProxy {
    child: Child,
    address: String,
}

impl FaultProxy {
    fn start(kinds: &str, rate: f64, delay_seconds: u64) -> Self {
        let mut child = Command::new(python())
            .arg(workspace_root().join("tests/support/faultproxy.py"))
            .args(["serve", "--port", "0", "--exit-on-stdin-eof", "--upstream"])
            .arg(dynamodb_endpoint())
            .args(["--kinds", kinds, "--rate", &rate.to_string()])
            .args(["--delay", &delay_seconds.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the fault proxy");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("proxy stdout"))
            .read_line(&mut line)
            .expect("read the proxy's READY line");
        let endpoint = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("the fault proxy did not start: {line:?}"))
            .to_owned();
        Self {
            child,
            address: endpoint.trim_start_matches("http://").to_owned(),
        }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Changes the proxy's fault rate (0: every request passes).
    fn set_rate(&self, rate: f64) {
        let body = json!({ "rate": rate }).to_string();
        let mut stream = std::net::TcpStream::connect(&self.address).expect("reach the proxy");
        write!(
            stream,
            "POST /_faults/config HTTP/1.0\r\nHost: {}\r\nContent-Length: {}\r\n\r\n{body}",
            self.address,
            body.len()
        )
        .expect("configure the proxy");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read the answer");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An app whose DynamoDB calls go through `proxy`, with the deployed timeouts, over a
/// fresh table on the first moto server.
async fn app_behind(proxy: &FaultProxy) -> integration_tests::TestApp {
    let mut app = spawn_app().await;
    let table = format!("tenants-faults-{}", uuid::Uuid::now_v7());
    tenant_shared::store::table::create(&dynamodb_client(), &table)
        .await
        .expect("create the table");
    let client = build_client(&ClientSettings {
        region: "us-east-1".to_owned(),
        endpoint: Some(proxy.endpoint()),
        credentials: Some(Credentials::new("t", "t", None, None, "t")),
        native_roots: false,
        timeouts: Timeouts::default(),
    });
    let mut config = app.app.config.clone();
    config.table_name = table.clone();
    app.app = tenant_shared::App::with_client(config, client.clone()).expect("the app builds");
    app.client = dynamodb_client();
    app.table = table;
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dynamodb_that_answers_too_late_is_a_503_with_retry_after_within_the_operation_timeout() {
    // Every request waits 5 s before moto sees it: longer than an attempt may take (2 s).
    let proxy = FaultProxy::start("delay", 1.0, 5);
    let app = app_behind(&proxy).await;
    let started = Instant::now();
    let response = app.get("/v1/tenants/stats").await;
    let took = started.elapsed();
    assert_eq!(response.status, 503, "{}", response.body);
    assert_eq!(response.code(), "service_unavailable");
    assert_eq!(response.header("retry-after"), Some("1"));
    // The operation timeout (4 s) ends it, well before the API functions' Lambda timeout.
    let limit = Timeouts::default().operation + Duration::from_secs(2);
    assert!(took < limit, "answered after {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_whose_answers_were_lost_is_applied_once_when_retried_with_its_id() {
    // Every answer is lost after moto wrote: the SDK's retries find the write done (the
    // transaction's token), but their answers are lost too, so the client gets a 503.
    let proxy = FaultProxy::start("reset-after", 1.0, 0);
    let app = app_behind(&proxy).await;
    let body = json!({
        "id": format!("tenant_{}", uuid::Uuid::now_v7()),
        "name": "Lost Answers",
        "slug": format!("lost-{}", uuid::Uuid::now_v7().simple()),
    });
    let first = app.post("/v1/tenants", &body).await;
    assert_eq!(first.status, 503, "{}", first.body);
    assert!(first.header("retry-after").is_some());
    // AWS recovers; the client sends the same request again, as the README says.
    proxy.set_rate(0.0);
    let again = app.post("/v1/tenants", &body).await;
    assert!(
        again.status == 200 || again.status == 201,
        "the retry is the same create: {} {}",
        again.status,
        again.body
    );
    assert_eq!(again.body["id"], body["id"]);
    let created: Vec<_> = app
        .stored_events()
        .await
        .into_iter()
        .filter(|e| e["type"] == "tenant.created" && e["tenantId"] == body["id"])
        .collect();
    assert_eq!(created.len(), 1, "one tenant, one event: {created:?}");
    let stats = app.get("/v1/tenants/stats").await;
    assert_eq!(stats.status, 200, "{}", stats.body);
    assert_eq!(stats.body["total"], 1, "{}", stats.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_that_would_outlive_its_invocation_answers_503_before_the_deadline() {
    // Every DynamoDB call waits 5 s: its operation timeout (4 s) would end it, but the
    // invocation has only 2.5 s left, so the request must answer before that: a fifth of
    // it (0.5 s) before the deadline.
    let proxy = FaultProxy::start("delay", 1.0, 5);
    let app = app_behind(&proxy).await;
    let started = Instant::now();
    let response = app
        .send(TestRequest::new("GET", "/v1/tenants/stats").time_left_ms(2_500))
        .await;
    let took = started.elapsed();
    assert_eq!(response.status, 503, "{}", response.body);
    assert_eq!(response.code(), "service_unavailable");
    assert_eq!(response.header("retry-after"), Some("1"));
    assert!(
        took >= Duration::from_millis(1_900) && took < Duration::from_millis(2_400),
        "answered after {took:?}, not 0.5 s before the deadline"
    );
}
