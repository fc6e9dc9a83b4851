//! The published contract: `openapi.json` (committed), the document the code generates,
//! the one `GET /v1/openapi.json` serves, the route table and the API page's route table
//! (`docs/api.md`) must all agree. `make openapi` rewrites the committed file.

use std::collections::BTreeSet;

use integration_tests::{spawn_app, workspace_root, TestRequest};
use serde_json::Value;
use tenant_shared::http::openapi;
use tenant_shared::http::routes::ROUTES;

fn committed() -> String {
    std::fs::read_to_string(workspace_root().join("openapi.json")).expect("read openapi.json")
}

fn routes() -> BTreeSet<(String, String)> {
    ROUTES
        .iter()
        .map(|r| (r.method.to_ascii_lowercase(), r.path.to_owned()))
        .collect()
}

#[test]
fn the_committed_openapi_json_is_the_generated_document() {
    assert!(
        committed() == openapi::document_text(),
        "openapi.json is stale: run `make openapi` and commit it"
    );
}

#[test]
fn every_reference_in_the_document_names_a_schema_it_defines() {
    fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.push(target);
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let document = openapi::document();
    let mut found = Vec::new();
    refs(&document, &mut found);
    assert!(!found.is_empty());
    let dangling: Vec<&str> = found
        .into_iter()
        .filter(|target| document.pointer(target.trim_start_matches('#')).is_none())
        .collect();
    assert!(dangling.is_empty(), "unresolvable references: {dangling:?}");
}

#[test]
fn the_document_describes_exactly_the_route_table() {
    let document = openapi::document();
    let mut described = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            described.insert((method.clone(), path.clone()));
        }
    }
    assert_eq!(described, routes());
}

#[test]
fn every_operation_documents_its_errors_in_the_one_envelope_with_a_request_id() {
    let document = openapi::document();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let public = op.get("security") == Some(&Value::Array(Vec::new()));
            let responses = op["responses"].as_object().unwrap();
            for (status, response) in responses {
                assert!(
                    response["headers"].get("x-request-id").is_some(),
                    "{method} {path} {status} has no x-request-id"
                );
                assert!(response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()));
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/Error",
                        "{method} {path} {status}"
                    );
                }
            }
            if !public {
                for status in ["401", "403", "503"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
                assert!(responses["401"]["headers"]
                    .get("WWW-Authenticate")
                    .is_some());
                assert!(responses["503"]["headers"].get("Retry-After").is_some());
            }
        }
    }
}

#[test]
fn the_api_page_route_table_lists_every_route_and_its_function() {
    let page = std::fs::read_to_string(workspace_root().join("docs/api.md")).unwrap();
    let mut listed = BTreeSet::new();
    for line in page.lines() {
        // | `POST /v1/tenants` | `create-tenant` | what it does | who may call it |
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 5 {
            continue;
        }
        let (route, function) = (cells[1].trim_matches('`'), cells[2].trim_matches('`'));
        if let Some((method, path)) = route.split_once(' ') {
            if ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method) && path.starts_with('/')
            {
                listed.insert((method.to_owned(), path.to_owned(), function.to_owned()));
            }
        }
    }
    let expected: BTreeSet<(String, String, String)> = ROUTES
        .iter()
        .map(|r| {
            (
                r.method.to_owned(),
                r.path.to_owned(),
                r.function.to_owned(),
            )
        })
        .collect();
    assert_eq!(
        listed, expected,
        "docs/api.md's route table and the route table differ"
    );
}

#[tokio::test]
async fn the_api_serves_the_committed_document_to_anyone() {
    let app = spawn_app().await;
    let response = app
        .send(TestRequest::new("GET", "/v1/openapi.json").anonymous())
        .await;
    assert_eq!(response.status, 200);
    let committed: Value = serde_json::from_str(&committed()).unwrap();
    assert_eq!(response.body, committed);
    assert_eq!(response.body["openapi"], "3.1.0");
}

/// Cognito lets users write their own custom attributes unless the app client forbids it:
/// wherever the setup recommends `custom:tenant_id` as the tenant claim, it says to leave
/// it out of the app client's `WriteAttributes`, and the authentication page
/// (`docs/auth.md`) recommends stored grants.
#[test]
fn every_recommendation_of_custom_tenant_id_says_users_must_not_write_it() {
    let mut files = vec![
        "README.md".to_owned(),
        "samconfig.toml".to_owned(),
        "template.yaml".to_owned(),
    ];
    for entry in std::fs::read_dir(workspace_root().join("docs")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            files.push(format!("docs/{name}"));
        }
    }
    for file in files {
        let text = std::fs::read_to_string(workspace_root().join(&file)).unwrap();
        if text.contains("custom:tenant_id") {
            assert!(
                text.contains("WriteAttributes"),
                "{file} recommends custom:tenant_id without the app client's WriteAttributes rule"
            );
        }
    }
    let auth = std::fs::read_to_string(workspace_root().join("docs/auth.md")).unwrap();
    assert!(auth.contains("app client `WriteAttributes` must exclude `custom:tenant_id`"));
    assert!(auth.contains("**stored grants**"));
}
