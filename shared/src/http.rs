//! HTTP mapping: reading bodies, headers and parameters out of API Gateway requests, and
//! building responses. [`error_response`] is the one place an [`ApiError`] becomes a
//! response: always the same envelope, internals logged and never returned.

use lambda_http::http::header::{HeaderValue, CONTENT_TYPE, ETAG, LOCATION};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::auth::roles::{self, Roles};
use crate::error::ApiError;
use crate::model::Tenant;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Header carrying the request id on every response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Media type of JSON bodies.
pub const JSON: &str = "application/json";
/// Media type of JSON merge patches (RFC 7396).
pub const MERGE_PATCH: &str = "application/merge-patch+json";

/// A successful response before the request id is attached.
#[derive(Debug)]
pub struct Reply {
    status: StatusCode,
    body: Value,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A JSON reply with `status`.
    pub fn json(status: StatusCode, body: &impl Serialize) -> Result<Self, ApiError> {
        Ok(Self {
            status,
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
            headers: Vec::new(),
        })
    }

    /// A reply carrying `tenant` as `roles` see it, with its version as the `ETag`.
    pub fn tenant(status: StatusCode, tenant: &Tenant, roles: &Roles) -> Result<Self, ApiError> {
        Ok(Self {
            status,
            body: tenant_json(tenant, roles)?,
            headers: Vec::new(),
        }
        .header(ETAG.as_str(), etag(tenant.version)))
    }

    /// `204 No Content`.
    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: Value::Null,
            headers: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Adds `Location: /v1/tenants/<id>`.
    pub fn located_at(self, tenant: &Tenant) -> Self {
        self.header(LOCATION.as_str(), format!("/v1/tenants/{}", tenant.id))
    }

    /// Adds `Location: <path>`.
    pub fn location(self, path: String) -> Self {
        self.header(LOCATION.as_str(), path)
    }
}

/// A tenant's JSON with `currentUserRoles`: the caller's roles on it.
pub fn tenant_json(tenant: &Tenant, roles: &Roles) -> Result<Value, ApiError> {
    let mut body = serde_json::to_value(tenant).map_err(ApiError::internal)?;
    if let Value::Object(map) = &mut body {
        map.insert("currentUserRoles".to_owned(), json!(roles::names(roles)));
    }
    Ok(body)
}

/// The strong entity tag of a tenant version: `"<version>"`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The request id: the Lambda invocation's id (also in every log line of the request),
/// else API Gateway's, else a fresh one.
pub fn request_id(req: &Request) -> String {
    if let Some(ctx) = req.lambda_context_ref() {
        if !ctx.request_id.is_empty() {
            return ctx.request_id.clone();
        }
    }
    if let Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref()
    {
        if let Some(id) = &ctx.request_id {
            return id.clone();
        }
    }
    uuid::Uuid::now_v7().to_string()
}

/// Turns a handler's outcome into the response, logging failures with the request id.
pub fn respond(req: &Request, outcome: Result<Reply, ApiError>) -> Response<Body> {
    let request_id = request_id(req);
    match outcome {
        Ok(reply) => {
            let mut response = if reply.status == StatusCode::NO_CONTENT {
                let mut empty = Response::new(Body::Empty);
                *empty.status_mut() = StatusCode::NO_CONTENT;
                if let Ok(value) = HeaderValue::from_str(&request_id) {
                    empty.headers_mut().insert(REQUEST_ID_HEADER, value);
                }
                empty
            } else {
                json_response(reply.status, &reply.body, &request_id)
            };
            for (name, value) in reply.headers {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
        Err(err) => error_response(&err, &request_id),
    }
}

/// The error envelope `{code, message, details, requestId}` for `err`.
pub fn error_response(err: &ApiError, request_id: &str) -> Response<Body> {
    match err {
        ApiError::Internal(detail) => {
            tracing::error!(request_id, error = %detail, "internal error");
        }
        ApiError::Unavailable(detail) => {
            tracing::warn!(request_id, error = %detail, "service unavailable");
        }
        other => tracing::info!(request_id, code = other.code(), "request rejected"),
    }
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = json!({
        "code": err.code(),
        "message": err.public_message(),
        "details": err.details(),
        "requestId": request_id,
    });
    if let (Some(notices), Value::Object(map)) = (err.notices(), &mut body) {
        map.insert("notices".to_owned(), json!(notices));
    }
    let mut response = json_response(status, &body, request_id);
    let headers = response.headers_mut();
    if let ApiError::Unauthenticated { presented } = err {
        let challenge = if *presented {
            "Bearer realm=\"tenant-api\", error=\"invalid_token\""
        } else {
            "Bearer realm=\"tenant-api\""
        };
        headers.insert("www-authenticate", HeaderValue::from_static(challenge));
    }
    if let ApiError::MethodNotAllowed { allow, .. } = err {
        if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
            headers.insert("allow", value);
        }
    }
    if let ApiError::Unavailable(_) = err {
        headers.insert("retry-after", HeaderValue::from_static("1"));
    }
    response
}

fn json_response(status: StatusCode, body: &Value, request_id: &str) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}

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
    let mut problems = crate::model::Problems::default();
    for name in query_names(req) {
        if name != "limit" && name != "cursor" {
            problems.add(&name, "is not a known query parameter");
        }
    }
    let mut one = |name: &str| match query_values(req, name).as_slice() {
        [] => None,
        [value] => Some(value.clone()),
        _ => {
            problems.add(name, "must be given at most once");
            None
        }
    };
    let limit_raw = one("limit");
    let cursor = one("cursor");
    let limit = match limit_raw {
        None => default,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                problems.add("limit", format!("must be a whole number from 1 to {max}"));
                default
            }
        },
    };
    problems.finish((limit, cursor))
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

/// What `If-Match` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// No header, or `*`: any current version.
    Any,
    /// One of these versions.
    Versions(Vec<i64>),
}

impl IfMatch {
    /// Whether `version` satisfies the precondition.
    pub fn allows(&self, version: i64) -> bool {
        match self {
            Self::Any => true,
            Self::Versions(versions) => versions.contains(&version),
        }
    }
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

/// Serializes `value` with object keys sorted at every level, so equal JSON documents
/// give equal text whatever their key order.
pub fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let ordered: std::collections::BTreeMap<&String, Value> =
                    map.iter().map(|(k, v)| (k, sorted(v))).collect();
                Value::Object(ordered.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}
