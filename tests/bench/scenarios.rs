//! What each function is given and must do: its event (from `events/`), the stored
//! tenant's state, the status it must answer and the DynamoDB requests it may send.

use serde_json::Value;

use crate::dynamodb::Recorded;

/// The tenant id used by every event in `events/`.
pub const TENANT_ID: &str = "tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f";

/// One function's benchmark scenario.
pub struct Scenario {
    pub function: &'static str,
    /// Status the function must answer with.
    pub status: u16,
    /// DynamoDB operations one invocation must send, in order.
    pub expected_requests: &'static [&'static str],
    /// Items a TransactWriteItems must hold, when it sends one.
    pub transact_items: Option<usize>,
    pub tenant_plan: &'static str,
    pub tenant_status: &'static str,
}

const fn scenario(
    function: &'static str,
    status: u16,
    expected_requests: &'static [&'static str],
    transact_items: Option<usize>,
) -> Scenario {
    Scenario {
        function,
        status,
        expected_requests,
        transact_items,
        tenant_plan: "starter",
        tenant_status: "active",
    }
}

/// Every function, in the order of the README's table.
pub fn all() -> Vec<Scenario> {
    // A read-then-conditional-write that also moves a counter.
    const READ_TRANSACT: &[&str] = &["GetItem", "TransactWriteItems"];
    vec![
        // Tenant, slug reservation, scope and counters: one transaction of four items.
        scenario("create-tenant", 201, &["TransactWriteItems"], Some(4)),
        scenario("list-tenants", 200, &["Query"], None),
        scenario("get-tenant", 200, &["GetItem"], None),
        scenario("get-tenant-by-slug", 200, &["Query"], None),
        // No counter moves: a conditional put, not a transaction.
        scenario("update-tenant", 200, &["GetItem", "PutItem"], None),
        scenario("upgrade-tenant", 200, READ_TRANSACT, Some(2)),
        Scenario {
            tenant_plan: "enterprise",
            ..scenario("downgrade-tenant", 200, READ_TRANSACT, Some(2))
        },
        scenario("suspend-tenant", 200, READ_TRANSACT, Some(2)),
        Scenario {
            tenant_status: "suspended",
            ..scenario("activate-tenant", 200, READ_TRANSACT, Some(2))
        },
        scenario("delete-tenant", 200, READ_TRANSACT, Some(2)),
        scenario("tenant-stats", 200, &["Query"], None),
        scenario("route-not-found", 405, &[], None),
    ]
}

impl Scenario {
    /// Checks one invocation: the posted API Gateway response and the DynamoDB requests.
    pub fn check(&self, response: &str, requests: &[Recorded]) -> Result<(), String> {
        let response: Value =
            serde_json::from_str(response).map_err(|e| format!("response is not JSON: {e}"))?;
        let status = response["statusCode"].as_u64().unwrap_or(0);
        if status != u64::from(self.status) {
            return Err(format!(
                "status {status}, expected {}: {}",
                self.status, response["body"]
            ));
        }
        let operations: Vec<&str> = requests.iter().map(|r| r.operation.as_str()).collect();
        if operations != self.expected_requests {
            return Err(format!(
                "DynamoDB requests {operations:?}, expected {:?}",
                self.expected_requests
            ));
        }
        for request in requests {
            if request.body["TableName"].as_str() != Some("tenants")
                && request.operation != "TransactWriteItems"
            {
                return Err(format!("{} on the wrong table", request.operation));
            }
            if request.operation == "TransactWriteItems" {
                let items = request.body["TransactItems"].as_array().map_or(0, Vec::len);
                if Some(items) != self.transact_items {
                    return Err(format!(
                        "TransactWriteItems with {items} items, expected {:?}",
                        self.transact_items
                    ));
                }
            }
            if request.operation == "GetItem" && request.body["ConsistentRead"] != Value::Bool(true)
            {
                return Err("GetItem before a write must be strongly consistent".into());
            }
        }
        Ok(())
    }
}
