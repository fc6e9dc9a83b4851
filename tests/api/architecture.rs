//! The layers of `shared/src` depend one way (see `shared/src/lib.rs`). These tests read
//! the source and fail when a layer imports what it must not: a lower layer reaching up,
//! the domain or auth touching DynamoDB, anything but the functions and the console
//! reaching handlers,
//! and when a source file grows past one concern (500 lines).

use std::fs;
use std::path::{Path, PathBuf};

use integration_tests::workspace_root;

/// The layers, lowest first: each may use only the layers before it. The console sits
/// beside the functions, on top: it calls the API's handlers in process.
const LAYERS: [&str; 9] = [
    "error", "domain", "store", "auth", "runtime", "service", "http", "handlers", "console",
];

/// Outside crates each layer must not use.
const FORBIDDEN_CRATES: [(&str, &[&str]); 7] = [
    (
        "domain",
        &[
            "aws_sdk_dynamodb",
            "aws_config",
            "aws_smithy",
            "serde_dynamo",
            "lambda_http",
            "lambda_runtime",
        ],
    ),
    ("store", &["lambda_http", "lambda_runtime"]),
    ("auth", &["aws_sdk_dynamodb", "aws_smithy", "serde_dynamo"]),
    (
        "service",
        &["aws_sdk_dynamodb", "serde_dynamo", "lambda_http"],
    ),
    ("http", &["aws_sdk_dynamodb", "serde_dynamo"]),
    ("handlers", &["aws_sdk_dynamodb", "serde_dynamo"]),
    ("console", &["aws_sdk_dynamodb", "serde_dynamo"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("read {dir:?}: {e}")) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source of every file of `layer` (its folder, or its single file), without
/// comments and without `#[cfg(test)]` modules, which may reach anywhere.
fn layer_sources(layer: &str) -> Vec<(PathBuf, String)> {
    let src = workspace_root().join("shared/src");
    let mut files = Vec::new();
    if src.join(layer).is_dir() {
        rust_files(&src.join(layer), &mut files);
    } else {
        files.push(src.join(format!("{layer}.rs")));
    }
    files
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).unwrap();
            let code: String = text
                .split("#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            (path, code)
        })
        .collect()
}

/// Every `crate::<module>` a piece of code names.
fn crate_modules(code: &str) -> Vec<String> {
    code.match_indices("crate::")
        .filter(|(at, _)| {
            // `tenant_shared::crate::` does not occur; skip identifiers ending in "crate".
            !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
        })
        .map(|(at, _)| {
            code[at + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn each_layer_uses_only_the_layers_below_it() {
    let mut violations = Vec::new();
    for (rank, layer) in LAYERS.iter().enumerate() {
        for (path, code) in layer_sources(layer) {
            for module in crate_modules(&code) {
                match LAYERS.iter().position(|l| *l == module) {
                    Some(other) if other > rank => {
                        violations.push(format!("{} uses crate::{module}", path.display()))
                    }
                    Some(_) => {}
                    None => violations.push(format!(
                        "{} uses crate::{module}, which is not a layer",
                        path.display()
                    )),
                }
            }
        }
    }
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn the_domain_and_auth_know_nothing_of_dynamodb_or_lambda() {
    let mut violations = Vec::new();
    for (layer, crates) in FORBIDDEN_CRATES {
        for (path, code) in layer_sources(layer) {
            for name in crates {
                if code.contains(&format!("{name}::")) {
                    violations.push(format!("{} uses {name}", path.display()));
                }
            }
        }
    }
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn only_the_functions_and_the_console_call_handlers() {
    let mut callers = Vec::new();
    let handlers = LAYERS.iter().position(|l| *l == "handlers").unwrap();
    for layer in &LAYERS[..handlers] {
        for (path, code) in layer_sources(layer) {
            if code.contains("crate::handlers") {
                callers.push(path.display().to_string());
            }
        }
    }
    let tenantctl =
        fs::read_to_string(workspace_root().join("shared/src/bin/tenantctl.rs")).unwrap();
    if tenantctl.contains("handlers") {
        callers.push("shared/src/bin/tenantctl.rs".to_owned());
    }
    assert!(callers.is_empty(), "{callers:#?}");
}

#[test]
fn every_source_file_belongs_to_a_layer() {
    let src = workspace_root().join("shared/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let stray: Vec<_> = files
        .iter()
        .filter_map(|f| f.strip_prefix(&src).ok())
        .filter(|f| {
            let top = f.components().next().unwrap().as_os_str().to_string_lossy();
            let top = top.trim_end_matches(".rs");
            !LAYERS.contains(&top) && top != "lib" && top != "bin"
        })
        .collect();
    assert!(stray.is_empty(), "files outside the layers: {stray:?}");
}

/// Most lines a source file of `shared/src` or `functions/` may have, its unit tests
/// included: past that, a file holds more than one concern and becomes a folder of modules
/// (as `domain/provisioning/`, `auth/policy/` and `auth/jwt/` are).
const MAX_SOURCE_LINES: usize = 500;

#[test]
fn no_source_file_passes_500_lines() {
    let root = workspace_root();
    let mut files = Vec::new();
    rust_files(&root.join("shared/src"), &mut files);
    rust_files(&root.join("functions"), &mut files);
    let oversized: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(&root).unwrap().to_string_lossy();
            let lines = fs::read_to_string(path).unwrap().lines().count();
            (lines > MAX_SOURCE_LINES).then(|| format!("{relative}: {lines} lines"))
        })
        .collect();
    assert!(
        oversized.is_empty(),
        "split these by concern (at most {MAX_SOURCE_LINES} lines a file): {oversized:#?}"
    );
}
