//! Reading `application/x-www-form-urlencoded` bodies and query strings.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request};

/// Largest form accepted, in bytes.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// A submitted form's fields, in order.
#[derive(Debug, Clone, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    /// The form in a request body, or the status refusing it: 413 too large, 415 not a
    /// form.
    pub fn from_body(req: &Request) -> Result<Self, StatusCode> {
        let bytes: &[u8] = match req.body() {
            Body::Text(text) => text.as_bytes(),
            Body::Binary(bytes) => bytes,
            _ => &[],
        };
        let content_type = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/x-www-form-urlencoded");
        let media = content_type.split(';').next().unwrap_or("").trim();
        if bytes.len() > MAX_FORM_BYTES {
            return Err(StatusCode::PAYLOAD_TOO_LARGE);
        }
        if !media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        }
        Ok(Self::parse(bytes))
    }

    /// The pairs of an urlencoded string.
    pub fn parse(bytes: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, trimmed ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// `application/x-www-form-urlencoded` encoding of `pairs` (empty values left out).
pub fn encode(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.append_pair(k, v);
    }
    out.finish()
}
