//! The table and routes are declared in three places: the code, template.yaml (what SAM
//! deploys) and Cargo.toml's `cargo lambda watch` router (what runs locally). These tests
//! fail as soon as they disagree.

use std::collections::BTreeSet;
use std::process::Command;

use integration_tests::{python, workspace_root};
use serde_json::{json, Value};
use tenant_shared::http::routes::{CONSUMERS, FALLBACK_FUNCTION, ROUTES};
use tenant_shared::store::table::{INDEXES, PRIMARY_KEY, STREAM_VIEW, TTL_ATTRIBUTE};

/// The console (`shared/src/console`): one function serving every method of every path
/// under `/console`. Its pages are HTML, not API routes: they are not in [`ROUTES`] (nor
/// in the OpenAPI document), so these tests name its routes here, in each router's syntax.
const CONSOLE_FUNCTION: &str = "console";
/// template.yaml's HttpApi events of the console (API Gateway's greedy `{proxy+}`).
const CONSOLE_TEMPLATE_ROUTES: [&str; 2] = ["/console", "/console/{proxy+}"];
/// Cargo.toml's `cargo lambda watch` routes of the console (its router's `{*rest}`).
const CONSOLE_WATCH_ROUTES: [&str; 2] = ["/console", "/console/{*rest}"];

/// `(ANY, path, console)` for each of `paths`.
fn console_routes(paths: [&str; 2]) -> BTreeSet<(String, String, String)> {
    paths
        .iter()
        .map(|path| ("ANY".into(), (*path).into(), CONSOLE_FUNCTION.into()))
        .collect()
}

/// Every function template.yaml must deploy: the API's, the fallback, the consumers and
/// the console.
fn deployed_functions() -> impl Iterator<Item = &'static str> {
    ROUTES
        .iter()
        .map(|r| r.function)
        .chain([FALLBACK_FUNCTION, CONSOLE_FUNCTION])
        .chain(CONSUMERS)
}

fn describe() -> Value {
    let output = Command::new(python())
        .arg(workspace_root().join("tests/support/localdb.py"))
        .arg("describe")
        .output()
        .expect("run localdb.py describe");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("describe prints JSON")
}

#[test]
fn template_table_matches_the_code() {
    let table = &describe()["table"];
    let key = |pk: &str, sk: Option<&str>| {
        let mut schema = vec![json!({"AttributeName": pk, "KeyType": "HASH"})];
        if let Some(sk) = sk {
            schema.push(json!({"AttributeName": sk, "KeyType": "RANGE"}));
        }
        Value::Array(schema)
    };
    assert_eq!(table["KeySchema"], key(PRIMARY_KEY.0, Some(PRIMARY_KEY.1)));
    let expected: Vec<Value> = INDEXES
        .iter()
        .map(|i| {
            json!({
                "IndexName": i.name,
                "KeySchema": key(i.partition_key, i.sort_key),
                "Projection": {"ProjectionType": "ALL"}
            })
        })
        .collect();
    assert_eq!(table["GlobalSecondaryIndexes"], Value::Array(expected));
    let mut attributes: BTreeSet<String> = [PRIMARY_KEY.0, PRIMARY_KEY.1].map(String::from).into();
    for i in INDEXES {
        attributes.insert(i.partition_key.to_owned());
        attributes.extend(i.sort_key.map(String::from));
    }
    let declared: BTreeSet<String> = table["AttributeDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["AttributeType"], "S");
            d["AttributeName"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(declared, attributes);
    assert_eq!(
        table["StreamSpecification"],
        json!({"StreamEnabled": true, "StreamViewType": STREAM_VIEW}),
        "the outbox needs the stream the code expects"
    );
    assert_eq!(table["TimeToLiveAttribute"], TTL_ATTRIBUTE);
}

fn code_routes() -> BTreeSet<(String, String, String)> {
    ROUTES
        .iter()
        .map(|r| {
            (
                r.method.to_owned(),
                r.path.to_owned(),
                r.function.to_owned(),
            )
        })
        .collect()
}

fn routes_of(value: &Value) -> BTreeSet<(String, String, String)> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_owned(),
                r["path"].as_str().unwrap().to_owned(),
                r["function"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn template_routes_match_the_code() {
    let mut expected = code_routes();
    expected.insert(("ANY".into(), "$default".into(), FALLBACK_FUNCTION.into()));
    expected.extend(console_routes(CONSOLE_TEMPLATE_ROUTES));
    assert_eq!(routes_of(&describe()["routes"]), expected);
}

#[test]
fn watch_router_matches_the_code() {
    let watch = routes_of(&describe()["watchRoutes"]);
    let served: BTreeSet<_> = watch
        .iter()
        .filter(|(_, _, f)| f != FALLBACK_FUNCTION)
        .cloned()
        .collect();
    let mut expected = code_routes();
    expected.extend(console_routes(CONSOLE_WATCH_ROUTES));
    assert_eq!(served, expected);
    assert!(watch.contains(&("ANY".into(), "/{*rest}".into(), FALLBACK_FUNCTION.into())));
}

#[test]
fn every_function_has_its_crate() {
    for function in deployed_functions() {
        let main = workspace_root()
            .join("functions")
            .join(function)
            .join("src/main.rs");
        assert!(main.exists(), "{} is missing", main.display());
    }
}

#[test]
fn every_function_has_its_log_group_and_alarms() {
    let described = describe();
    let functions = described["functions"].as_array().unwrap();
    let binaries: BTreeSet<&str> = functions
        .iter()
        .map(|f| f["binary"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = deployed_functions().collect();
    assert_eq!(binaries, expected);
    for function in functions {
        let id = function["logicalId"].as_str().unwrap();
        let stem = id
            .strip_suffix("Function")
            .expect("logical ids end in Function");
        assert_eq!(
            function["logGroup"],
            json!(format!("{stem}LogGroup")),
            "{id}: LoggingConfig.LogGroup must be its own log group (template.yaml, FunctionMonitoring)"
        );
        // A stream consumer also watches how far behind its stream it is (a queue
        // consumer's backlog is watched on its dead-letter queue).
        let alarms = if function["binary"] == "publish-events" {
            json!(["Errors", "IteratorAge", "Throttles"])
        } else {
            json!(["Errors", "Throttles"])
        };
        assert_eq!(
            function["alarms"], alarms,
            "{id}: its alarms (template.yaml, FunctionMonitoring)"
        );
    }
}

/// `(action, resource, condition)` of each statement of `binary`'s policies.
fn permissions_of(functions: &[Value], binary: &str) -> BTreeSet<(String, String, String)> {
    let function = functions
        .iter()
        .find(|f| f["binary"] == binary)
        .unwrap_or_else(|| panic!("template.yaml has no function {binary}"));
    function["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let field = |name: &str| p[name].as_str().unwrap().to_owned();
            (field("action"), field("resource"), field("condition"))
        })
        .collect()
}

/// The console calls every API handler in process as the signed-in person: its role may do
/// exactly what the API functions' roles may, together (its own session items are in the
/// same table, under the same actions), and nothing the consumers alone may.
#[test]
fn the_console_may_do_what_the_api_functions_may_and_no_more() {
    let described = describe();
    let functions = described["functions"].as_array().unwrap();
    let api: BTreeSet<_> = ROUTES
        .iter()
        .flat_map(|r| permissions_of(functions, r.function))
        .collect();
    let console = permissions_of(functions, CONSOLE_FUNCTION);
    assert_eq!(
        console, api,
        "template.yaml, ConsoleFunction's Policies: the union of the API functions' statements"
    );
    for action in [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
    ] {
        assert!(
            console
                .iter()
                .any(|(a, r, _)| a == action && r.contains("TenantTable.Arn\"")),
            "its sessions need {action} on the table"
        );
    }
}
