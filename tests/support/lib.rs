//! Test helpers: a real local DynamoDB engine and an app to send requests to.
//!
//! [`spawn_app`] starts a pool of moto servers (each single-threaded, see
//! `tests/support/localdb.py`) once per test binary, creates a fresh table for the calling
//! test from the same definition the code uses, on the pool's servers in turn, and returns
//! a [`TestApp`] that sends requests through the same route table API Gateway and
//! `cargo lambda watch` use.
//!
//! Set `MOTO_SERVERS` to choose the pool's size (default 3), `DYNAMODB_TEST_ENDPOINT` to
//! use one already running server instead, and `LOCALDB_PYTHON` to choose the Python that
//! runs moto (default: `.venv/bin/python`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::Client;
use lambda_http::http::HeaderMap;
use lambda_http::{Body, Context, RequestExt};
use serde_json::Value;
use tenant_shared::auth::jwt::{mint_hs256, DevClaims};
use tenant_shared::domain::Role;
use tenant_shared::{handlers, App, Config};

/// The HS256 secret test apps accept tokens signed with.
pub const TEST_JWT_SECRET: &str = "integration-test-secret-0123456789abcdef";
/// The issuer of test tokens.
pub const TEST_ISSUER: &str = "tenant-api-tests";
/// The audience of test tokens.
pub const TEST_AUDIENCE: &str = "tenant-api";
/// The user id of the platform admin that requests act as unless told otherwise.
pub const TEST_ADMIN: &str = "test-platform-admin";

/// The invitation sender test apps use (verified in the local SES at start).
pub const TEST_SENDER: &str = "invitations@tenant-api.test";
/// The page test invitations link to.
pub const TEST_ACCEPT_URL: &str = "https://app.example.test/accept-invitation";

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The Python interpreter that has moto installed.
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("LOCALDB_PYTHON") {
        return python.into();
    }
    let venv = workspace_root().join(".venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// The moto servers of this test binary: separate processes, so no shared state and no
/// lost writes (each is single-threaded), kept alive for the whole test binary. They exit
/// when this process does, because each watches its stdin, which only we hold.
///
/// Each [`spawn_app`] puts its table on the next server in turn, so tests running side by
/// side spread their DynamoDB work over every server. SES, STS, EventBridge and SQS are
/// always the first server's ([`dynamodb_endpoint`]): the helpers that read what they
/// received (sent mail, the local IAM) need one place to look.
static SERVERS: OnceLock<Vec<(String, Mutex<Option<Child>>)>> = OnceLock::new();

/// How many moto servers a test binary starts: `MOTO_SERVERS`, else 3 (measured on two
/// cores: moto's request handling is the integration tests' long pole, and a third
/// process keeps both cores busy while the tests themselves wait on replies).
fn pool_size() -> usize {
    std::env::var("MOTO_SERVERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(3)
}

fn servers() -> &'static [(String, Mutex<Option<Child>>)] {
    SERVERS.get_or_init(|| {
        if let Ok(endpoint) = std::env::var("DYNAMODB_TEST_ENDPOINT") {
            return vec![(endpoint, Mutex::new(None))];
        }
        let script = workspace_root().join("tests/support/localdb.py");
        // Start them all, then wait for each: their start-ups overlap.
        let mut children: Vec<Child> = (0..pool_size())
            .map(|_| {
                Command::new(python())
                    .arg(&script)
                    .args([
                        "serve",
                        "--port",
                        "0",
                        "--exit-on-stdin-eof",
                        "--mail-sender",
                        TEST_SENDER,
                    ])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("start moto (run `make setup` to create .venv)")
            })
            .collect();
        children
            .iter_mut()
            .map(|child| {
                let stdout = child.stdout.take().expect("moto stdout");
                let mut line = String::new();
                BufReader::new(stdout)
                    .read_line(&mut line)
                    .expect("read moto's READY line");
                line.trim()
                    .strip_prefix("READY ")
                    .unwrap_or_else(|| panic!("moto did not start: {line:?}"))
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .into_iter()
            .zip(children)
            .map(|(endpoint, child)| (endpoint, Mutex::new(Some(child))))
            .collect()
    })
}

/// The endpoint of the first local moto server (starting the pool on first use): where
/// SES, STS, EventBridge and SQS are, and the DynamoDB of [`dynamodb_client`].
pub fn dynamodb_endpoint() -> &'static str {
    &servers()[0].0
}

/// The endpoint of the server the next table goes to (round robin over the pool).
fn next_table_endpoint() -> &'static str {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let servers = servers();
    let i = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    &servers[i % servers.len()].0
}

/// The loopback DNS server of this test binary (`tests/support/localdns.py`): its address
/// and the folder its TXT records are read from.
static DNS: OnceLock<(String, PathBuf, Mutex<Option<Child>>)> = OnceLock::new();

fn dns() -> &'static (String, PathBuf, Mutex<Option<Child>>) {
    DNS.get_or_init(|| {
        let records = std::env::temp_dir().join(format!("tenant-api-dns-{}", uuid::Uuid::now_v7()));
        let script = workspace_root().join("tests/support/localdns.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(["serve", "--port", "0", "--exit-on-stdin-eof", "--records"])
            .arg(&records)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the loopback DNS server");
        let stdout = child.stdout.take().expect("DNS server stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the DNS server's READY line");
        let port = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("the DNS server did not start: {line:?}"))
            .to_owned();
        (
            format!("127.0.0.1:{port}"),
            records,
            Mutex::new(Some(child)),
        )
    })
}

/// The address of the loopback DNS server (starting it on first use).
pub fn dns_server() -> &'static str {
    &dns().0
}

/// Publishes a TXT record `value` at `name` on the loopback DNS server (visible at once).
pub fn publish_txt(name: &str, value: &str) {
    use std::io::Write;
    let path = dns()
        .1
        .join(name.trim_end_matches('.').to_ascii_lowercase());
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("write a DNS record");
    writeln!(file, "{value}").expect("write a DNS record");
}

/// A DynamoDB client for the first local server, built as the functions build theirs.
pub fn dynamodb_client() -> Client {
    dynamodb_client_at(dynamodb_endpoint())
}

/// A DynamoDB client for the local server at `endpoint`.
fn dynamodb_client_at(endpoint: &str) -> Client {
    tenant_shared::runtime::aws::dynamodb_client(&tenant_shared::runtime::aws::ClientSettings {
        region: "us-east-1".to_owned(),
        endpoint: Some(endpoint.to_owned()),
        credentials: Some(Credentials::new("test", "test", None, None, "tests")),
        native_roots: false,
        // The tests' moto servers are shared by every test running side by side and
        // answer slowly under load: generous timeouts, so that none fires on a healthy
        // engine (tests/api/faults.rs checks the deployed ones against a slow one).
        timeouts: tenant_shared::runtime::aws::Timeouts {
            attempt: std::time::Duration::from_secs(30),
            operation: std::time::Duration::from_secs(60),
            ..Default::default()
        },
    })
}

/// An app over a fresh table of the local engine.
pub struct TestApp {
    pub app: App,
    pub client: Client,
    pub table: String,
}

/// Spawns an app with the default configuration over a fresh table.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Spawns an app over a fresh table, with extra configuration variables.
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    let client = dynamodb_client_at(next_table_endpoint());
    let table = format!("tenants-{}", uuid::Uuid::now_v7());
    tenant_shared::store::table::create(&client, &table)
        .await
        .expect("create the test table");
    let mut env: HashMap<String, String> = HashMap::from([
        ("JWT_ISSUER".to_owned(), TEST_ISSUER.to_owned()),
        ("JWT_AUDIENCE".to_owned(), TEST_AUDIENCE.to_owned()),
        ("JWT_HS256_SECRET".to_owned(), TEST_JWT_SECRET.to_owned()),
        ("DNS_RESOLVER".to_owned(), dns_server().to_owned()),
        ("SES_ENDPOINT".to_owned(), dynamodb_endpoint().to_owned()),
        ("STS_ENDPOINT".to_owned(), dynamodb_endpoint().to_owned()),
        ("INVITATION_SENDER".to_owned(), TEST_SENDER.to_owned()),
        (
            "INVITATION_ACCEPT_URL".to_owned(),
            TEST_ACCEPT_URL.to_owned(),
        ),
    ]);
    env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env.insert("TABLE_NAME".into(), table.clone());
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("valid test configuration");
    TestApp {
        app: App::with_client(config, client.clone())
            .expect("the policies load")
            .with_credentials(Credentials::new("test", "test", None, None, "tests")),
        client,
        table,
    }
}

/// A request under construction.
#[derive(Debug, Clone)]
pub struct TestRequest {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    /// Milliseconds from now to the invocation deadline.
    time_left_ms: u64,
    /// Whether to add the test platform admin's token when no credential header is set.
    default_credential: bool,
}

impl TestRequest {
    /// A request without body.
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            time_left_ms: 10_000,
            default_credential: true,
        }
    }

    /// Sends no credential at all.
    pub fn anonymous(mut self) -> Self {
        self.default_credential = false;
        self
    }

    /// Sends `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Sends `X-API-Key: <key>`.
    pub fn api_key(self, key: &str) -> Self {
        self.header("x-api-key", key)
    }

    /// Sets how long the invocation has left, as Lambda's deadline does.
    pub fn time_left_ms(mut self, ms: u64) -> Self {
        self.time_left_ms = ms;
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets a JSON body with `Content-Type: application/json`.
    pub fn json(self, body: &Value) -> Self {
        self.header("content-type", "application/json")
            .raw(body.to_string().as_bytes())
    }

    /// Sets a body as given (no content type added).
    pub fn raw(mut self, body: &[u8]) -> Self {
        self.body = Some(body.to_vec());
        self
    }
}

/// A response, with its body parsed as JSON.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestResponse {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The error envelope's `code`.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// The fields named in a validation error.
    pub fn invalid_fields(&self) -> Vec<String> {
        self.body["details"]["fields"]
            .as_array()
            .map(|fields| {
                fields
                    .iter()
                    .filter_map(|f| f["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    /// A bearer token for user `sub` with `roles` (tenant roles apply to `tenant`),
    /// valid for an hour.
    pub fn token(&self, sub: &str, roles: &[Role], tenant: Option<&str>) -> String {
        self.token_expiring(sub, roles, tenant, 3600)
    }

    /// A bearer token for user `sub` without roles, with an `email` claim marked
    /// `email_verified: verified`.
    pub fn email_token(&self, sub: &str, email: &str, verified: bool) -> String {
        let settings = self
            .app
            .config
            .jwt
            .clone()
            .expect("test apps verify tokens");
        mint_hs256(
            &settings,
            &DevClaims {
                sub,
                roles: &[],
                tenant_id: None,
                expires_in: 3600,
                email: Some((email, verified)),
            },
        )
        .expect("mint a test token")
    }

    /// A bearer token expiring `expires_in` seconds from now (negative: already expired).
    pub fn token_expiring(
        &self,
        sub: &str,
        roles: &[Role],
        tenant: Option<&str>,
        expires_in: i64,
    ) -> String {
        let settings = self
            .app
            .config
            .jwt
            .as_ref()
            .expect("test apps accept tokens");
        mint_hs256(
            settings,
            &DevClaims {
                sub,
                roles,
                tenant_id: tenant,
                expires_in,
                email: None,
            },
        )
        .expect("mint a test token")
    }

    /// The platform admin token requests carry by default.
    pub fn admin_token(&self) -> String {
        self.token(TEST_ADMIN, &[Role::PlatformAdmin], None)
    }

    /// Sends a request through the route table to its handler.
    pub async fn send(&self, request: TestRequest) -> TestResponse {
        let has_credential = request.headers.iter().any(|(name, _)| {
            name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("x-api-key")
        });
        let request = if request.default_credential && !has_credential {
            let token = self.admin_token();
            request.bearer(&token)
        } else {
            request
        };
        let mut builder = lambda_http::http::Request::builder()
            .method(request.method.as_str())
            .uri(request.path.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = match request.body {
            Some(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Body::Text(text),
                Err(e) => Body::Binary(e.into_bytes()),
            },
            None => Body::Empty,
        };
        let mut query: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in request.query {
            query.entry(name).or_default().push(value);
        }
        let mut context = Context::default();
        context.request_id = uuid::Uuid::now_v7().to_string();
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        context.deadline = now_ms + request.time_left_ms;
        let req = builder
            .body(body)
            .expect("valid test request")
            .with_query_string_parameters(query)
            .with_lambda_context(context);
        let response = handlers::dispatch(&self.app, req)
            .await
            .expect("handlers never fail at the Lambda level");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match response.body() {
            Body::Text(text) => serde_json::from_str(text).expect("JSON response body"),
            Body::Empty => Value::Null,
            other => panic!("unexpected response body {other:?}"),
        };
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// Follows `nextCursor` from `first` to the last page and returns every item, in order.
    pub async fn all_pages(&self, first: TestRequest) -> Vec<Value> {
        let mut items = Vec::new();
        let mut request = first.clone();
        loop {
            let page = self.send(request).await;
            assert_eq!(page.status, 200, "{}", page.body);
            items.extend(page.body["items"].as_array().cloned().unwrap_or_default());
            match page.body["nextCursor"].as_str() {
                Some(next) => request = first.clone().query("cursor", next),
                None => return items,
            }
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(TestRequest::new("GET", path)).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> TestResponse {
        self.send(TestRequest::new("POST", path).json(body)).await
    }

    /// `PATCH path` with a merge-patch body.
    pub async fn patch(&self, path: &str, body: &Value) -> TestResponse {
        self.send(
            TestRequest::new("PATCH", path)
                .header("content-type", "application/merge-patch+json")
                .raw(body.to_string().as_bytes()),
        )
        .await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> TestResponse {
        self.send(TestRequest::new("DELETE", path)).await
    }

    /// Creates a tenant and returns it, failing the test unless the API answers 201.
    pub async fn create_tenant(&self, body: &Value) -> Value {
        let response = self.post("/v1/tenants", body).await;
        assert_eq!(response.status, 201, "create failed: {}", response.body);
        response.body
    }

    /// Creates an API key and returns the response body (with the key), failing the test
    /// unless the API answers 201.
    pub async fn create_api_key(&self, body: &Value) -> Value {
        let response = self.post("/v1/api-keys", body).await;
        assert_eq!(
            response.status, 201,
            "key creation failed: {}",
            response.body
        );
        response.body
    }

    /// Creates a minimal tenant with `slug`.
    pub async fn create_named(&self, slug: &str) -> Value {
        self.create_tenant(&serde_json::json!({ "name": format!("Tenant {slug}"), "slug": slug }))
            .await
    }

    /// Every change event stored in the table (the outbox), oldest first, as published.
    pub async fn stored_events(&self) -> Vec<Value> {
        use aws_sdk_dynamodb::types::AttributeValue;
        let mut events = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("entity = :e")
                .expression_attribute_values(":e", AttributeValue::S("event".into()))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .expect("scan the test table");
            for item in page.items.unwrap_or_default() {
                let body = item["event"].as_s().expect("an event item holds its event");
                events.push(serde_json::from_str::<Value>(body).expect("event JSON"));
            }
            match page.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        events.sort_by_key(|e| {
            (
                e["occurredAt"].as_str().unwrap_or_default().to_owned(),
                e["eventId"].as_str().unwrap_or_default().to_owned(),
            )
        });
        events
    }

    /// Delivers the outbox's provisioning events (those template.yaml's ProvisioningRule
    /// routes to the queue) of tenant `id` to `provision-tenant`, as the queue would: one
    /// SQS message per event in an EventBridge envelope, each `receives` times delivered
    /// so far. Returns the ids of the messages it reported as failed.
    pub async fn deliver_provisioning(&self, id: &str, receives: u32) -> Vec<String> {
        let events: Vec<Value> = self
            .stored_events()
            .await
            .into_iter()
            .filter(|e| {
                e["tenantId"] == id
                    && PROVISIONING_TRIGGERS.contains(&e["type"].as_str().unwrap_or(""))
            })
            .collect();
        self.deliver_messages(&events, receives).await
    }

    /// Delivers `events` to `provision-tenant` as one SQS batch (see
    /// [`Self::deliver_provisioning`]).
    pub async fn deliver_messages(&self, events: &[Value], receives: u32) -> Vec<String> {
        let records: Vec<Value> = events
            .iter()
            .enumerate()
            .map(|(i, event)| {
                let envelope = serde_json::json!({
                    "version": "0", "id": uuid::Uuid::now_v7().to_string(),
                    "detail-type": event["type"], "source": "tenant-api",
                    "account": "123456789012", "time": "2026-01-01T00:00:00Z",
                    "region": "us-east-1", "resources": [], "detail": event,
                });
                serde_json::json!({
                    "messageId": format!("message-{i}"),
                    "receiptHandle": "handle",
                    "body": envelope.to_string(),
                    "attributes": {"ApproximateReceiveCount": receives.to_string()},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "awsRegion": "us-east-1",
                })
            })
            .collect();
        self.provision(serde_json::json!({ "Records": records }))
            .await
    }

    /// Invokes `provision-tenant` with an SQS batch; the ids of the failed messages.
    pub async fn provision(&self, batch: Value) -> Vec<String> {
        let payload = serde_json::from_value(batch).expect("an SQS event");
        let mut context = Context::default();
        context.request_id = uuid::Uuid::now_v7().to_string();
        let response =
            handlers::provision_tenant(&self.app, lambda_http::LambdaEvent::new(payload, context))
                .await
                .expect("the consumer never fails at the Lambda level");
        response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect()
    }

    /// The tenant `id` as a platform admin reads it.
    pub async fn tenant(&self, id: &str) -> Value {
        let response = self.get(&format!("/v1/tenants/{id}")).await;
        assert_eq!(response.status, 200, "{}", response.body);
        response.body
    }
}

/// The event types template.yaml's ProvisioningRule sends to the provisioning queue.
pub const PROVISIONING_TRIGGERS: [&str; 3] = [
    "tenant.created",
    "tenant.deleted",
    "tenant.provisioning_retried",
];

/// Every email the local SES accepted, oldest first: `{source, destinations, subject,
/// body}` (`GET /_local/ses/sent` of tests/support/localdb.py).
pub fn sent_mail() -> Vec<Value> {
    use std::io::{Read, Write};
    let endpoint = dynamodb_endpoint();
    let address = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("reach moto");
    write!(
        stream,
        "GET /_local/ses/sent HTTP/1.0\r\nHost: {address}\r\n\r\n"
    )
    .expect("ask moto for its data");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read moto's data");
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    let messages: Value = serde_json::from_str(body).expect("the sent mail as JSON");
    messages.as_array().cloned().unwrap_or_default()
}

/// The invitation token in the newest email to `to`, if any.
pub fn invitation_token(to: &str) -> Option<String> {
    sent_mail()
        .into_iter()
        .rev()
        .find(|m| {
            m["destinations"]["ToAddresses"]
                .as_array()
                .is_some_and(|a| a.iter().any(|d| d == to))
        })
        .and_then(|m| {
            let body = m["body"].as_str()?.to_owned();
            let start = body.find("token=")? + "token=".len();
            Some(
                body[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect(),
            )
        })
}

/// Creates (or, with `external_id` changed, updates) the customer role `arn` in the local
/// IAM, trusting the platform with `external_id`; with `None`, deletes it.
pub fn customer_role(arn: &str, external_id: Option<&str>) {
    let mut command = Command::new(python());
    command
        .arg(workspace_root().join("tests/support/localdb.py"))
        .args(["role", "--endpoint", dynamodb_endpoint(), "--arn", arn]);
    match external_id {
        Some(id) => command.args(["--external-id", id]),
        None => command.arg("--delete"),
    };
    let status = command.status().expect("run localdb.py role");
    assert!(status.success(), "localdb.py role failed");
}

/// Withdraws every TXT record at `name` on the loopback DNS server (gone at once: the
/// name answers NXDOMAIN).
pub fn withdraw_txt(name: &str) {
    let path = dns()
        .1
        .join(name.trim_end_matches('.').to_ascii_lowercase());
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("withdraw a DNS record: {e}"),
    }
}
