//! `GET /v1/openapi.json`: the OpenAPI document ([`crate::http::openapi`]), as committed
//! in `openapi.json` at the repository root (a test checks that it is current).

use lambda_http::http::header::{HeaderValue, CONTENT_TYPE};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};

use crate::http::{request_id, REQUEST_ID_HEADER};

/// The committed document, served as it is (generating it costs nothing at run time).
pub const OPENAPI_JSON: &str = include_str!("../../../openapi.json");

/// `GET /v1/openapi.json` (public).
pub async fn get_openapi(req: Request) -> Result<Response<Body>, Error> {
    let mut response = Response::new(Body::Text(OPENAPI_JSON.to_owned()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(id) = HeaderValue::from_str(&request_id(&req)) {
        headers.insert(REQUEST_ID_HEADER, id);
    }
    Ok(response)
}
