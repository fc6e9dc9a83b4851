//! A canned-response DynamoDB (and EventBridge `PutEvents`) stand-in on loopback. It answers the operations the
//! functions use with fixed items (so the benchmark times our code, not an emulator) and
//! records every request, so the benchmark can check each invocation's request shape.

use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::http1::{self, write_response};
use tenant_shared::domain::{clock, console};

use crate::scenarios::{Scenario, CONSOLE_SESSION, TENANT_ID};

/// One request the function sent.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The operation, from `X-Amz-Target` (e.g. `TransactWriteItems`).
    pub operation: String,
    pub body: Value,
}

#[derive(Default)]
struct State {
    plan: String,
    status: String,
    requests: Vec<Recorded>,
}

/// The stand-in.
pub struct StandIn {
    endpoint: String,
    state: Arc<Mutex<State>>,
}

impl StandIn {
    /// Starts it on a free loopback port.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the DynamoDB stand-in");
        let endpoint = format!("http://{}", listener.local_addr().expect("local address"));
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, state));
            }
        });
        Self { endpoint, state }
    }

    /// The endpoint URL for `DYNAMODB_ENDPOINT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Sets the stored tenant's state for `scenario`.
    pub fn configure(&self, scenario: &Scenario) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.plan = scenario.tenant_plan.to_owned();
        state.status = scenario.tenant_status.to_owned();
        state.requests.clear();
    }

    /// The requests received since the last call.
    pub fn take_requests(&self) -> Vec<Recorded> {
        std::mem::take(
            &mut self
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .requests,
        )
    }
}

fn serve(stream: TcpStream, state: Arc<Mutex<State>>) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Ok(Some(request)) = http1::read_request(&mut reader) {
        let operation = request
            .header("x-amz-target")
            .and_then(|t| {
                t.strip_prefix("DynamoDB_20120810.")
                    .or_else(|| t.strip_prefix("AWSEvents."))
            })
            .unwrap_or("")
            .to_owned();
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let (plan, status) = {
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            state.requests.push(Recorded {
                operation: operation.clone(),
                body: body.clone(),
            });
            (state.plan.clone(), state.status.clone())
        };
        let (code, response) = respond(&operation, &body, &plan, &status);
        let headers = [
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amzn-requestid", "BENCHMARKREQUEST"),
        ];
        if write_response(&mut writer, code, &headers, response.to_string().as_bytes()).is_err() {
            return;
        }
    }
}

fn respond(operation: &str, body: &Value, plan: &str, status: &str) -> (u16, Value) {
    match operation {
        // The tenant exists; nothing else (an API key to revoke, say) does.
        "GetItem" if body["Key"]["SK"]["S"] == "TENANT" => {
            (200, json!({ "Item": tenant_item(plan, status) }))
        }
        // A slug reservation (discovery by slug): the tenant's.
        "GetItem" if body["Key"]["SK"]["S"] == "SLUG" => (
            200,
            json!({ "Item": {
                "PK": { "S": "SLUG#acme" }, "SK": { "S": "SLUG" }, "entity": { "S": "slug" },
                "slug": { "S": "acme" }, "tenantId": { "S": TENANT_ID },
                "createdAt": { "S": "2026-11-01T10:00:00.000Z" }
            } }),
        ),
        // The console's session: a signed-in platform admin's, under the hash of the
        // cookie of events/console.json (any other cookie has none).
        "GetItem"
            if body["Key"]["SK"]["S"] == "CONSOLESESSION"
                && body["Key"]["PK"]["S"]
                    == format!("CONSOLESESSION#{}", console::digest(CONSOLE_SESSION)) =>
        {
            (200, json!({ "Item": console_session_item() }))
        }
        "GetItem" => (200, json!({})),
        // EventBridge (publish-events): every entry accepted.
        "PutEvents" => {
            let entries = body["Entries"].as_array().map_or(0, Vec::len);
            let ids: Vec<Value> = (0..entries)
                .map(|i| json!({ "EventId": format!("bench-{i}") }))
                .collect();
            (200, json!({ "FailedEntryCount": 0, "Entries": ids }))
        }
        // Authorization's batch: the tenant exists, no admin grant or other item does.
        "BatchGetItem" => {
            let keys = body["RequestItems"]["tenants"]["Keys"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let found: Vec<Value> = keys
                .iter()
                .filter(|k| k["SK"]["S"] == "TENANT")
                .map(|_| tenant_item(plan, status))
                .collect();
            (
                200,
                json!({ "Responses": { "tenants": found }, "UnprocessedKeys": {} }),
            )
        }
        // A tenant's admins (base table) and the API keys (GSI2): none stored.
        "Query"
            if body["KeyConditionExpression"]
                .as_str()
                .is_some_and(|k| k.contains("begins_with"))
                || body["ExpressionAttributeValues"][":pk"]["S"] == "APIKEYS" =>
        {
            (200, json!({ "Items": [], "Count": 0, "ScannedCount": 0 }))
        }
        // By slug: the one tenant.
        "Query" if body["IndexName"] == "GSI3" => (
            200,
            json!({ "Items": [tenant_item(plan, status)], "Count": 1, "ScannedCount": 1 }),
        ),
        // A listing: as many tenants as it asked for, as a full table would return.
        "Query" if body["IndexName"].is_string() => {
            let limit = body["Limit"].as_u64().unwrap_or(1).clamp(1, 200) as usize;
            let items: Vec<Value> = (0..limit)
                .map(|i| {
                    let mut item = tenant_item(plan, status);
                    let id = format!("{}{:04x}", &TENANT_ID[..TENANT_ID.len() - 4], i);
                    item["id"] = json!({ "S": id });
                    item["PK"] = json!({ "S": format!("TENANT#{id}") });
                    item
                })
                .collect();
            (
                200,
                json!({ "Count": items.len(), "ScannedCount": items.len(), "Items": items }),
            )
        }
        "Query" => (
            200,
            json!({ "Items": [stats_shard()], "Count": 1, "ScannedCount": 1 }),
        ),
        "TransactWriteItems" | "PutItem" | "UpdateItem" => (200, json!({})),
        other => (
            400,
            json!({
                "__type": "com.amazon.coral.validate#ValidationException",
                "message": format!("the benchmark stand-in does not serve {other}")
            }),
        ),
    }
}

/// The stored tenant, as DynamoDB JSON.
fn tenant_item(plan: &str, status: &str) -> Value {
    let s = |v: &str| json!({ "S": v });
    let created = "2026-11-01T10:00:00.000Z";
    let mut item = json!({
        "PK": s(&format!("TENANT#{TENANT_ID}")),
        "SK": s("TENANT"),
        "entity": s("tenant"),
        "GSI2PK": s(&format!("STATUS#{status}")),
        "GSI2SK": s(&format!("{created}#{TENANT_ID}")),
        "GSI3PK": s("SLUG#acme"),
        "nameLower": s("acme corp"),
        "createHash": s("0000"),
        "id": s(TENANT_ID),
        "slug": s("acme"),
        "plan": s(plan),
        "status": s(status),
        "scopeId": s("scope_019ab0f0-5e1d-7c3a-9b2e-000000000001"),
        "name": s("Acme Corp"),
        "kind": s("enterprise"),
        "ownerEmail": s("owner@acme.example.com"),
        "loginMode": s("sso"),
        "ssoStartUrl": s("https://d-1234567890.awsapps.com/start"),
        "ssoRegion": s("eu-west-1"),
        "maxUsers": json!({ "N": "50" }),
        "metadata": s(r#"{"crm":"hubspot"}"#),
        // Provisioned long ago: a queue delivery for it finds nothing to do.
        "provisioning": json!({ "M": {
            "status": s("ready"), "startedAt": s(created), "completedAt": s(created),
            "attempts": json!({ "N": "1" }), "failures": json!({ "L": [] })
        } }),
        "version": json!({ "N": "3" }),
        "createdAt": s(created),
        "updatedAt": s(created),
    });
    if status != "deleted" {
        item["GSI1PK"] = s("TENANTS");
        item["GSI1SK"] = s(&format!("{created}#{TENANT_ID}"));
    }
    if status == "suspended" {
        item["suspendedReason"] = s("benchmark");
        item["suspendedAt"] = s(created);
    }
    item
}

/// A console session item (shared/src/store/console.rs), live for another hour.
fn console_session_item() -> Value {
    let s = |v: &str| json!({ "S": v });
    let hash = console::digest(CONSOLE_SESSION);
    json!({
        "PK": s(&format!("CONSOLESESSION#{hash}")),
        "SK": s("CONSOLESESSION"),
        "entity": s("consoleSession"),
        "claims": s(r#"{"sub":"bench-admin","roles":["platform_admin"]}"#),
        "csrfToken": s("bench-csrf-token"),
        "createdAt": s("2026-11-01T10:00:00.000Z"),
        "expiresAt": { "N": (clock::now_epoch_seconds() + 3600).to_string() },
    })
}

fn stats_shard() -> Value {
    let n = |v: &str| json!({ "N": v });
    json!({
        "PK": { "S": "STATS" },
        "SK": { "S": "SHARD#00" },
        "entity": { "S": "stats" },
        "total": n("3"),
        "status_active": n("2"),
        "status_suspended": n("1"),
        "plan_starter": n("3"),
        "kind_standard": n("3"),
    })
}
