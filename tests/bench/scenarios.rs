//! What each function is given and must do: its event (from `events/`), the stored
//! tenant's state, the status it must answer and the DynamoDB requests it may send.

use serde_json::Value;

use crate::dynamodb::Recorded;

/// The tenant id used by every event in `events/`.
pub const TENANT_ID: &str = "tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f";

/// The console session cookie's value in `events/console.json`: the stand-in holds a
/// signed-in platform admin's session under its hash (a cookie it does not know gets the
/// sign-in redirect, 303, and fails the console's row).
pub const CONSOLE_SESSION: &str = "local-console-session-not-a-real-one-0123456789";

/// One function's benchmark scenario.
pub struct Scenario {
    pub function: &'static str,
    /// The event file it is given (`events/<event>.json`).
    pub event: &'static str,
    /// Status the function must answer with.
    pub status: u16,
    /// DynamoDB operations one invocation must send, in order.
    pub expected_requests: &'static [&'static str],
    /// Items a TransactWriteItems must hold, when it sends one.
    pub transact_items: Option<usize>,
    pub tenant_plan: &'static str,
    pub tenant_status: &'static str,
    /// A stream consumer: it answers a partial batch response, not an HTTP one.
    pub stream: bool,
    /// An HTML page (the console) that must show this text, with the console's
    /// Content-Security-Policy; `None`: an API answer.
    pub page_shows: Option<&'static str>,
    /// DynamoDB capacity one invocation consumes (on-demand request units), for the
    /// cost estimate: see [`crate::cost`].
    pub capacity: Capacity,
}

/// Read and write request units of one invocation, index writes included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capacity {
    pub read_units: f64,
    pub write_units: f64,
}

const fn units(read_units: f64, write_units: f64) -> Capacity {
    Capacity {
        read_units,
        write_units,
    }
}

const fn scenario(
    function: &'static str,
    status: u16,
    expected_requests: &'static [&'static str],
    transact_items: Option<usize>,
    capacity: Capacity,
) -> Scenario {
    Scenario {
        function,
        event: function,
        status,
        expected_requests,
        transact_items,
        tenant_plan: "starter",
        tenant_status: "active",
        stream: false,
        page_shows: None,
        capacity,
    }
}

/// The floor every function is compared with: the `hello-world` reference
/// (`tests/bench/hello`), a `lambda_http` function that answers 201 without touching
/// anything, given create-tenant's event.
pub fn hello_world() -> Scenario {
    Scenario {
        event: "create-tenant",
        ..scenario("hello-world", 201, &[], None, units(0.0, 0.0))
    }
}

/// Every function, in the order of the route table (docs/api.md).
pub fn all() -> Vec<Scenario> {
    // Authorization's read (tenant + the caller's admin grant, strongly consistent), then
    // a conditional write that also moves a counter.
    const READ_TRANSACT: &[&str] = &["BatchGetItem", "TransactWriteItems"];
    // Capacity, for items under 1 KB (4 KB for reads): each key of a strongly consistent
    // BatchGetItem is 1 RRU (a missing item too), an eventually consistent query 0.5 RRU
    // per 4 KB; a transaction costs 2 WRU per item and KB (condition checks too); each
    // index an item is written to costs 1 WRU more, 2 when its key changes. Every change
    // also puts its event item (the outbox): 2 WRU, 4 for tenant.created (it holds the
    // tenant, 1-2 KB).
    vec![
        // Tenant, slug reservation, scope, counters and event: 4 x 2 + 4, plus GSI1-3
        // puts. The caller is a platform admin by token: no read.
        scenario(
            "create-tenant",
            201,
            &["TransactWriteItems"],
            Some(5),
            units(0.0, 15.0),
        ),
        // The event's page of 10 reads 11 items of ~1 KB from GSI1, eventually consistent.
        scenario("list-tenants", 200, &["Query"], None, units(1.5, 0.0)),
        scenario("get-tenant", 200, &["BatchGetItem"], None, units(2.0, 0.0)),
        scenario("get-tenant-by-slug", 200, &["Query"], None, units(0.5, 0.0)),
        // The usage counters come with authorization's read (1 RRU). No counter moves: the
        // tenant put, the usage item's limits version, its event and (the patch moves
        // maxUsers) tenant.entitlements_changed (4 x 2) plus three index updates.
        scenario(
            "update-tenant",
            200,
            READ_TRANSACT,
            Some(4),
            units(3.0, 11.0),
        ),
        // The usage counters come with authorization's read (1 RRU more, missing or not).
        // Tenant put, the usage item's limits version, counter update, tenant.plan_changed
        // and tenant.entitlements_changed (5 x 2) plus three index updates.
        scenario(
            "upgrade-tenant",
            200,
            READ_TRANSACT,
            Some(5),
            units(3.0, 13.0),
        ),
        Scenario {
            tenant_plan: "enterprise",
            ..scenario(
                "downgrade-tenant",
                200,
                READ_TRANSACT,
                Some(5),
                units(3.0, 13.0),
            )
        },
        // The tenant put, the usage item's limits version (a status change stops reports
        // decided before it), counter update and event (4 x 2), the status index key moves
        // (delete + put); the usage counters come with authorization's read.
        scenario(
            "suspend-tenant",
            200,
            READ_TRANSACT,
            Some(4),
            units(3.0, 12.0),
        ),
        Scenario {
            tenant_status: "suspended",
            ..scenario(
                "activate-tenant",
                200,
                READ_TRANSACT,
                Some(4),
                units(3.0, 12.0),
            )
        },
        // As suspend; leaves GSI1 (1), moves in GSI2 (2), updates GSI3 (1).
        scenario(
            "delete-tenant",
            200,
            READ_TRANSACT,
            Some(4),
            units(3.0, 12.0),
        ),
        // Eight counter shards, ~1.2 KB, strongly consistent.
        scenario("tenant-stats", 200, &["Query"], None, units(1.0, 0.0)),
        // The authorization batch, then one consistent query of the admin items.
        scenario(
            "list-tenant-admins",
            200,
            &["BatchGetItem", "Query"],
            None,
            units(3.0, 0.0),
        ),
        // Tenant version check, both grant items, the admin count and the event: 5 x 2.
        scenario(
            "grant-tenant-admin",
            201,
            READ_TRANSACT,
            Some(5),
            units(2.0, 10.0),
        ),
        // Tenant version check, both grant deletes, the admin count and the event: 5 x 2.
        scenario(
            "revoke-tenant-admin",
            204,
            READ_TRANSACT,
            Some(5),
            units(2.0, 10.0),
        ),
        // The authorization batch, then one consistent query of the tenant's events
        // (none stored in the stand-in; a page of 20 ~1 KB events is 2.5 RRU).
        scenario(
            "list-tenant-events",
            200,
            &["BatchGetItem", "Query"],
            None,
            units(4.5, 0.0),
        ),
        // Domains: the authorization batch, then one consistent query of the claims.
        scenario(
            "list-tenant-domains",
            200,
            &["BatchGetItem", "Query"],
            None,
            units(3.0, 0.0),
        ),
        // Tenant version check, the claim and its event: 3 x 2.
        scenario(
            "add-tenant-domain",
            201,
            READ_TRANSACT,
            Some(3),
            units(2.0, 6.0),
        ),
        // The event's domain is not claimed in the stand-in: the claim read answers 404
        // before any DNS lookup (a real verification adds the TXT lookup and a transaction
        // of the tenant check, claim, reservation and event: 4 x 2 WRU).
        scenario(
            "verify-tenant-domain",
            404,
            &["BatchGetItem", "GetItem"],
            None,
            units(3.0, 0.0),
        ),
        // As verify: no claim, 404 (a real removal: check, two deletes, event: 4 x 2 WRU).
        scenario(
            "remove-tenant-domain",
            404,
            &["BatchGetItem", "GetItem"],
            None,
            units(3.0, 0.0),
        ),
        // Provisioning. The resources live in the tenant's item: authorization's read is
        // the whole listing.
        scenario(
            "list-tenant-resources",
            200,
            &["BatchGetItem"],
            None,
            units(2.0, 0.0),
        ),
        // A resource the blueprint does not name: the tenant put (version condition) and
        // its tenant.resource_reported event (2 x 2, the tenant ~2 KB: +2), plus three
        // index updates.
        scenario(
            "put-tenant-resource",
            201,
            READ_TRANSACT,
            Some(2),
            units(2.0, 9.0),
        ),
        // The stored tenant is ready: nothing to retry (409) after authorization's read.
        scenario(
            "retry-tenant-provisioning",
            409,
            &["BatchGetItem"],
            None,
            units(2.0, 0.0),
        ),
        // The benchmark configures no invitation sender: 409 after authorization's read (a
        // real resend writes the token and the tenant, mails, and records it: 2 transactions).
        scenario(
            "resend-tenant-invitation",
            409,
            &["BatchGetItem"],
            None,
            units(2.0, 0.0),
        ),
        // A token never issued: one consistent read of its hash, 404 (a real acceptance
        // adds one transaction: the token delete, tenant put, two grants, count, event).
        scenario(
            "accept-invitation",
            404,
            &["GetItem"],
            None,
            units(1.0, 0.0),
        ),
        // A delivery of tenant.created for a tenant provisioned already: one consistent read,
        // nothing to do (a real first run adds a transaction per step).
        Scenario {
            stream: true,
            ..scenario("provision-tenant", 200, &["GetItem"], None, units(1.0, 0.0))
        },
        // By slug: the slug reservation, then the tenant, both by key (no index).
        scenario(
            "discover-login",
            200,
            &["GetItem", "GetItem"],
            None,
            units(2.0, 0.0),
        ),
        // A tenant-bound key: authorization's read of its tenant (tenant + the caller's
        // grant), then tenant check, key put and event (3 x 2), plus its GSI2 entry.
        scenario(
            "create-api-key",
            201,
            READ_TRANSACT,
            Some(3),
            units(2.0, 7.0),
        ),
        // One page of keys from GSI2, eventually consistent.
        scenario("list-api-keys", 200, &["Query"], None, units(0.5, 0.0)),
        // The event names a key that does not exist: one consistent read, answered 404 (a
        // real revocation adds the update and its event, 2 x 2 + 1 WRU).
        scenario("revoke-api-key", 404, &["GetItem"], None, units(1.0, 0.0)),
        // A stream batch of one event item: one PutEvents, no DynamoDB (the records carry
        // the events; the stream's reads are free for Lambda triggers).
        Scenario {
            stream: true,
            ..scenario("publish-events", 200, &["PutEvents"], None, units(0.0, 0.0))
        },
        scenario("route-not-found", 405, &[], None, units(0.0, 0.0)),
        // The committed contract, compiled in: no credential, no DynamoDB.
        scenario("get-openapi", 200, &[], None, units(0.0, 0.0)),
        // The plan file, parsed at cold start: a token's caller needs no read at all.
        scenario("list-plans", 200, &[], None, units(0.0, 0.0)),
        // Authorization's read holds the tenant and its usage counters: the whole answer.
        scenario(
            "get-tenant-entitlements",
            200,
            &["BatchGetItem"],
            None,
            units(3.0, 0.0),
        ),
        // The hot path's check: one round trip, the same read.
        scenario(
            "check-entitlement",
            200,
            &["BatchGetItem"],
            None,
            units(3.0, 0.0),
        ),
        // The hot path's count: the same read, then one conditional write holding the
        // limit: the idempotency record and the counter update (2 x 2 WRU; a report that
        // crosses 80 % or 100 % adds its event, 2 WRU).
        scenario("report-usage", 200, READ_TRANSACT, Some(2), units(3.0, 4.0)),
        // The console, not an API route: a signed-in platform admin's view of the tenant
        // (GET /console/tenants/{id}). The session item by its cookie's hash (consistent,
        // 1 RRU), then the page's in-process API calls: GET the tenant and its resources,
        // each authorization's read (2 RRU each, as get-tenant and list-tenant-resources);
        // the plan names come from the plan file, no read.
        Scenario {
            page_shows: Some("Acme Corp"),
            ..scenario(
                "console",
                200,
                &["GetItem", "BatchGetItem", "BatchGetItem"],
                None,
                units(5.0, 0.0),
            )
        },
    ]
}

impl Scenario {
    /// Checks one invocation: the posted API Gateway response and the DynamoDB requests.
    pub fn check(&self, response: &str, requests: &[Recorded]) -> Result<(), String> {
        let response: Value =
            serde_json::from_str(response).map_err(|e| format!("response is not JSON: {e}"))?;
        if self.stream {
            if response["batchItemFailures"] != Value::Array(Vec::new()) {
                return Err(format!("partial batch failure: {response}"));
            }
        } else if response["statusCode"].as_u64().unwrap_or(0) != u64::from(self.status) {
            let status = response["statusCode"].as_u64().unwrap_or(0);
            return Err(format!(
                "status {status}, expected {}: {}",
                self.status, response["body"]
            ));
        }
        if let Some(text) = self.page_shows {
            let header = |name: &str| response["headers"][name].as_str().unwrap_or_default();
            let body = response["body"].as_str().unwrap_or_default();
            if !header("content-type").starts_with("text/html") {
                return Err(format!("not an HTML page: {}", header("content-type")));
            }
            if !header("content-security-policy").starts_with("default-src 'none'") {
                return Err("the page has no Content-Security-Policy".into());
            }
            if !body.starts_with("<!DOCTYPE html>") || !body.contains(text) {
                return Err(format!("the page does not show {text:?}: {body}"));
            }
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
                && !matches!(
                    request.operation.as_str(),
                    "TransactWriteItems" | "BatchGetItem" | "PutEvents"
                )
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
            if request.operation == "BatchGetItem"
                && request.body["RequestItems"]["tenants"]["ConsistentRead"] != Value::Bool(true)
            {
                return Err("authorization must read strongly consistently".into());
            }
        }
        Ok(())
    }
}
