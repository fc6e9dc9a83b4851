//! HTTP: reading bodies, headers and parameters out of API Gateway requests ([`self`]),
//! building replies ([`reply`]), the one error mapping ([`error`]), the route table
//! ([`routes`]) and the OpenAPI document generated from them ([`openapi`]).

pub mod error;
pub mod openapi;
pub mod reply;
pub mod routes;

use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::{Body, Request, RequestExt};
use serde_json::{Map, Value};

pub use error::{error_response, request_id, respond};
pub use reply::{etag, tenant_json, Reply};

use crate::domain::input::Problems;
use crate::domain::tenant::IfMatch;
use crate::error::ApiError;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Header carrying the request id on every response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Media type of JSON bodies.
pub const JSON: &str = "application/json";
/// Media type of JSON merge patches (RFC 7396).
pub const MERGE_PATCH: &str = "application/merge-patch+json";

fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        // Body is non-exhaustive in newer lambda_http; treat anything new as empty.
        #[allow(unreachable_patterns)]
        _ => &[],
    }
}

/// Checks the `Content-Type` against `accepted` media types (parameters other than a
/// UTF-8 charset are refused).
fn check_content_type(req: &Request, accepted: &'static [&'static str]) -> Result<(), ApiError> {
    let expected = if accepted.len() == 1 {
        accepted[0]
    } else {
        "application/merge-patch+json or application/json"
    };
    let unsupported = || ApiError::UnsupportedMediaType { expected };
    let header = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unsupported)?;
    let mut parts = header.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    if !accepted.contains(&media.as_str()) {
        return Err(unsupported());
    }
    for param in parts {
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        let value = value.trim().trim_matches('"').to_ascii_lowercase();
        if !(name.trim().eq_ignore_ascii_case("charset") && (value == "utf-8" || value == "utf8")) {
            return Err(unsupported());
        }
    }
    Ok(())
}

/// Reads a required JSON object body of an accepted media type.
pub fn json_object(
    req: &Request,
    accepted: &'static [&'static str],
) -> Result<Map<String, Value>, ApiError> {
    let bytes = body_bytes(req);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    check_content_type(req, accepted)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidBody(
            "the body must be a JSON object".to_owned(),
        ));
    }
    parse_object(bytes)
}

/// Reads an optional JSON object body: an empty body is `None`.
pub fn optional_json_object(req: &Request) -> Result<Option<Map<String, Value>>, ApiError> {
    let bytes = body_bytes(req);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    check_content_type(req, &[JSON])?;
    parse_object(bytes).map(Some)
}

fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::InvalidBody(
            "the body must be a JSON object".to_owned(),
        )),
        Err(e) => Err(ApiError::MalformedJson(format!(
            "line {} column {}: {}",
            e.line(),
            e.column(),
            match e.classify() {
                serde_json::error::Category::Eof => "unexpected end of input",
                serde_json::error::Category::Syntax => "syntax error",
                serde_json::error::Category::Data => "invalid data",
                serde_json::error::Category::Io => "unreadable input",
            }
        ))),
    }
}

/// A path parameter (API Gateway's `pathParameters`; `cargo lambda watch` fills them too).
pub fn path_param(req: &Request, name: &str) -> String {
    req.path_parameters()
        .first(name)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// All values of query parameter `name`.
pub fn query_values(req: &Request, name: &str) -> Vec<String> {
    req.query_string_parameters()
        .all(name)
        .map(|values| values.into_iter().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// `limit` and `cursor` of a simple paginated listing (any other parameter is refused).
pub fn page_params(
    req: &Request,
    max: usize,
    default: usize,
) -> Result<(usize, Option<String>), ApiError> {
    let (limit, cursor, _) = filtered_page_params::<()>(req, max, default, None)?;
    Ok((limit, cursor))
}

/// A query parameter's parser: its value, or why it is refused.
pub type Parser<T> = fn(&str) -> Result<T, String>;

/// `limit`, `cursor` and the one filter parameter `filter` (given at most once, checked
/// by `parse`) of a paginated listing; any other parameter is refused.
pub fn filtered_page_params<T>(
    req: &Request,
    max: usize,
    default: usize,
    filter: Option<(&str, Parser<T>)>,
) -> Result<(usize, Option<String>, Option<T>), ApiError> {
    let mut problems = Problems::default();
    let filter_name = filter.map(|(name, _)| name);
    for name in query_names(req) {
        if name != "limit" && name != "cursor" && Some(name.as_str()) != filter_name {
            problems.add(&name, "is not a known query parameter");
        }
    }
    let limit_raw = problems.at_most_once("limit", query_values(req, "limit"));
    let cursor = problems.at_most_once("cursor", query_values(req, "cursor"));
    let limit = problems.page_size(limit_raw, max, default);
    let mut value = None;
    if let Some((name, parse)) = filter {
        if let Some(raw) = problems.at_most_once(name, query_values(req, name)) {
            match parse(&raw) {
                Ok(v) => value = Some(v),
                Err(why) => problems.add(name, why),
            }
        }
    }
    problems.finish((limit, cursor, value))
}

/// Names of all query parameters present.
pub fn query_names(req: &Request) -> Vec<String> {
    req.query_string_parameters()
        .iter()
        .map(|(k, _)| k.to_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Parses `If-Match` (`"3"`, a comma-separated list, or `*`). If-Match compares strongly,
/// so a weak tag (`W/"3"`) is understood but never matches.
pub fn if_match(req: &Request) -> Result<IfMatch, ApiError> {
    let Some(header) = req.headers().get("if-match") else {
        return Ok(IfMatch::Any);
    };
    let invalid = || {
        ApiError::field(
            "If-Match",
            "must be an entity tag such as \"3\" (the tenant's version), or *",
        )
    };
    let text = header.to_str().map_err(|_| invalid())?.trim();
    if text == "*" {
        return Ok(IfMatch::Any);
    }
    let mut versions = Vec::new();
    for tag in text.split(',') {
        let tag = tag.trim();
        let (weak, tag) = match tag.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, tag),
        };
        let inner = tag
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(tag);
        let version = inner.parse::<i64>().map_err(|_| invalid())?;
        if !weak {
            versions.push(version);
        }
    }
    Ok(IfMatch::Versions(versions))
}
