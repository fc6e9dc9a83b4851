//! The one place an [`ApiError`] becomes a response: always the same envelope, with the
//! request id; internals logged and never returned. Successful replies get the request id
//! here too.

use lambda_http::http::header::{HeaderValue, CONTENT_TYPE};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::reply::Reply;
use super::{JSON, REQUEST_ID_HEADER};
use crate::error::ApiError;

pub use crate::auth::credentials::request_id;

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

/// The one error envelope of every failure.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Stable, machine-readable code, e.g. `validation_error`, `not_found`.
    #[schema(value_type = String, example = "validation_error")]
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// Structured details: `fields` for validation errors, `currentVersion` for 412…
    #[schema(value_type = Object)]
    pub details: Value,
    /// The request id, also in the `x-request-id` header and in every log line.
    pub request_id: String,
    /// On 403: the `@id`s of the policies that decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notices: Option<Vec<String>>,
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
    let body = ErrorBody {
        code: err.code(),
        message: err.public_message(),
        details: err.details(),
        request_id: request_id.to_owned(),
        notices: err.notices().map(<[String]>::to_vec),
    };
    let body = serde_json::to_value(body).unwrap_or(Value::Null);
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
    if let ApiError::RateLimited { retry_after, .. } = err {
        if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
            headers.insert("retry-after", value);
        }
    }
    response
}

pub(crate) fn json_response(status: StatusCode, body: &Value, request_id: &str) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}
