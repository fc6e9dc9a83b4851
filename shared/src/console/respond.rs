//! Every response the console sends, with the security headers on all of them (error
//! pages and redirects included).

use lambda_http::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use maud::Markup;

/// The console's Content-Security-Policy: nothing inline, nothing from elsewhere; forms
/// post only to the console. Sign-in leaves by a link (a navigation, which
/// `form-action` does not govern), and sign-out ends the console's session without a
/// form posting to the provider, so no exception is needed.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The headers of every console response.
const SECURITY_HEADERS: [(&str, &str); 7] = [
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    // Not includeSubDomains: the console may live on an apex domain whose other hosts are
    // not this stack's to decide for.
    ("strict-transport-security", "max-age=63072000"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("x-frame-options", "DENY"),
];

/// A response under construction.
#[derive(Debug)]
pub struct Page {
    status: StatusCode,
    body: Body,
    content_type: &'static str,
    cache: &'static str,
    location: Option<String>,
    allow: Option<&'static str>,
    cookies: Vec<String>,
}

impl Page {
    /// An HTML page (never cached: every page is someone's).
    pub fn html(status: StatusCode, markup: Markup) -> Self {
        Self {
            status,
            body: Body::Text(markup.into_string()),
            content_type: "text/html; charset=utf-8",
            cache: "no-store",
            location: None,
            allow: None,
            cookies: Vec::new(),
        }
    }

    /// A 303 to `location` (a console path, or the provider's authorization URL).
    pub fn redirect(location: impl Into<String>) -> Self {
        Self {
            status: StatusCode::SEE_OTHER,
            body: Body::Empty,
            content_type: "text/plain; charset=utf-8",
            cache: "no-store",
            location: Some(location.into()),
            allow: None,
            cookies: Vec::new(),
        }
    }

    /// An embedded asset, cached for a year: its name holds its content's hash.
    pub fn asset(content_type: &'static str, text: &'static str) -> Self {
        Self {
            status: StatusCode::OK,
            body: Body::Text(text.to_owned()),
            content_type,
            cache: "public, max-age=31536000, immutable",
            location: None,
            allow: None,
            cookies: Vec::new(),
        }
    }

    /// Adds a `Set-Cookie`.
    pub fn cookie(mut self, cookie: String) -> Self {
        self.cookies.push(cookie);
        self
    }

    /// Adds `Allow` (a 405).
    pub fn allow(mut self, methods: &'static str) -> Self {
        self.allow = Some(methods);
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The Lambda response.
    pub fn into_response(self) -> Response<Body> {
        let mut response = Response::new(self.body);
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(self.cache));
        for (name, value) in SECURITY_HEADERS {
            headers.insert(name, HeaderValue::from_static(value));
        }
        if let Some(location) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.insert(LOCATION, location);
        }
        if let Some(allow) = self.allow {
            headers.insert("allow", HeaderValue::from_static(allow));
        }
        for cookie in self.cookies {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                headers.append(SET_COOKIE, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_answer_carries_the_security_headers() {
        let pages = [
            Page::html(
                StatusCode::INTERNAL_SERVER_ERROR,
                maud::html! { h1 { "x" } },
            ),
            Page::html(StatusCode::SERVICE_UNAVAILABLE, maud::html! { h1 { "x" } }),
            Page::redirect("/console/tenants").cookie("a=b".to_owned()),
            Page::asset("text/css", "body{}"),
        ];
        for page in pages {
            let response = page.into_response();
            for (name, value) in SECURITY_HEADERS {
                assert_eq!(response.headers()[name], value, "{name}");
            }
        }
    }

    #[test]
    fn pages_are_never_stored_but_assets_are_immutable() {
        let page = Page::html(StatusCode::OK, maud::html! {}).into_response();
        assert_eq!(page.headers()[CACHE_CONTROL], "no-store");
        let asset = Page::asset("text/css", "").into_response();
        assert_eq!(
            asset.headers()[CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
    }
}
