//! The console calls the API in process: each page or action becomes the request the API
//! would receive, carrying the signed-in person as a [`ConsoleCaller`] extension, and goes
//! through [`handlers::dispatch`]: the same route table, authentication, Cedar decisions,
//! validation, use cases and error envelope as over HTTP, with no network hop.

use std::collections::HashMap;

use lambda_http::http::{Method, Request as HttpRequest, StatusCode};
use lambda_http::{Body, Request, RequestExt};
use serde_json::Value;

use crate::auth::credentials::ConsoleCaller;
use crate::handlers;

use super::Cx;

/// The API's answer to one call.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    /// The `ETag` (a tenant's version), if any.
    pub etag: Option<String>,
}

/// A refusal in the API's one error envelope, as a page shows it.
#[derive(Debug, Clone, Default)]
pub struct Refusal {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// `(field, reason)` of a validation error.
    pub fields: Vec<(String, String)>,
    /// The policies that decided a 403.
    pub notices: Vec<String>,
    pub request_id: String,
}

impl Answer {
    /// Whether the call succeeded (2xx).
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The answer, or the refusal it carries.
    pub fn into_result(self) -> Result<Value, Refusal> {
        if self.ok() {
            return Ok(self.body);
        }
        let text = |name: &str| {
            self.body
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let fields = self
            .body
            .pointer("/details/fields")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|f| {
                        let part = |n: &str| f.get(n).and_then(Value::as_str).unwrap_or_default();
                        (part("field").to_owned(), part("reason").to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let notices = self
            .body
            .get("notices")
            .and_then(Value::as_array)
            .map(|n| {
                n.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Err(Refusal {
            status: self.status,
            code: text("code"),
            message: text("message"),
            fields,
            notices,
            request_id: text("requestId"),
        })
    }
}

/// A page of a paged listing (`{items, nextCursor}`), as a console page shows it.
#[derive(Debug)]
pub struct Listing {
    /// What the page answers: the refusal of the action that led to it, else the
    /// listing's own status.
    pub status: StatusCode,
    /// `Err`: the listing was refused (shown in place of the table).
    pub result: Result<(), Refusal>,
    pub items: Vec<Value>,
    /// The next page's cursor ("" on the last page).
    pub next: String,
}

impl Listing {
    /// Page `cursor` (or the first) of the listing `call` asks for, `limit` items, shown
    /// after `action`'s refusal (if any).
    pub async fn get(
        cx: &Cx<'_>,
        call: Call<'_>,
        limit: &str,
        cursor: &str,
        action: Option<&Refusal>,
    ) -> Self {
        let call = call.query("limit", limit).query("cursor", cursor);
        Self::of(call.send(cx).await, action)
    }

    /// The listing `answer` holds, on a page shown after `action`'s refusal (if any).
    pub fn of(answer: Answer, action: Option<&Refusal>) -> Self {
        let status = action.map_or(answer.status, |r| r.status);
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match answer.into_result() {
            Ok(body) => Self {
                status,
                result: Ok(()),
                items: body
                    .get("items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
                next: body
                    .get("nextCursor")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            },
            Err(refusal) => Self {
                status,
                result: Err(refusal),
                items: Vec::new(),
                next: String::new(),
            },
        }
    }
}

/// One API call.
#[derive(Debug)]
pub struct Call<'q> {
    method: Method,
    path: String,
    query: Vec<(&'q str, String)>,
    body: Option<Value>,
    if_match: Option<String>,
}

impl<'q> Call<'q> {
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }
    pub fn post(path: impl Into<String>, body: Value) -> Self {
        Self::new(Method::POST, path).body(body)
    }
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            if_match: None,
        }
    }
    /// A query parameter (empty values are left out: an empty form field means "any").
    pub fn query(mut self, name: &'q str, value: impl Into<String>) -> Self {
        let value = value.into();
        if !value.is_empty() {
            self.query.push((name, value));
        }
        self
    }
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    /// `If-Match` with the version a form was rendered from.
    pub fn if_match(mut self, version: &str) -> Self {
        self.if_match = Some(format!("\"{}\"", version.trim()));
        self
    }

    /// Sends the call as the signed-in person.
    pub async fn send(self, cx: &Cx<'_>) -> Answer {
        let content_type = if self.method == Method::PATCH {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        let mut builder = HttpRequest::builder()
            .method(self.method)
            .uri(self.path.as_str());
        if self.body.is_some() {
            builder = builder.header("content-type", content_type);
        }
        if let Some(tag) = &self.if_match {
            builder = builder.header("if-match", tag.as_str());
        }
        let body = match &self.body {
            Some(value) => Body::Text(value.to_string()),
            None => Body::Empty,
        };
        let mut req: Request = match builder.body(body) {
            Ok(req) => req,
            Err(e) => return internal(&format!("building an API call: {e}")),
        };
        req.extensions_mut()
            .insert(ConsoleCaller(cx.caller.clone()));
        if let Some(ctx) = &cx.lambda {
            req = req.with_lambda_context(ctx.clone());
        }
        let mut query: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in self.query {
            query.entry(name.to_owned()).or_default().push(value);
        }
        let req = req.with_query_string_parameters(query);
        match handlers::dispatch(cx.app, req).await {
            Ok(response) => {
                let status = response.status().as_u16();
                let etag = response
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.trim_matches('"').to_owned());
                let body = match response.body() {
                    Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
                    Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap_or(Value::Null),
                    _ => Value::Null,
                };
                Answer { status, body, etag }
            }
            Err(e) => internal(&e.to_string()),
        }
    }
}

fn internal(detail: &str) -> Answer {
    tracing::error!(error = detail, "console API call failed");
    Answer {
        status: 500,
        body: serde_json::json!({
            "code": "internal_error",
            "message": "something went wrong on our side",
        }),
        etag: None,
    }
}
