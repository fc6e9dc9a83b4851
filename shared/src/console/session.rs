//! The browser's side of a session: one opaque random id in a `__Host-` cookie (Secure,
//! HttpOnly, SameSite=Lax, Path=/), standing for a session item on the server that holds
//! the ID token's verified claims and the session's CSRF token. Every state-changing
//! request must carry that token and come from the console's own origin.

use lambda_http::http::StatusCode;
use lambda_http::{Request, RequestExt};
use serde_json::{Map, Value};

use super::form::Form;
use super::respond::Page;
use super::{views, Console, Cx};
use crate::auth::jwt::caller_from_claims;
use crate::auth::{Action, Caller, Session};
use crate::domain::clock;
use crate::domain::console::{digest, ConsoleSession};
use crate::runtime::App;

/// The session cookie.
pub const SESSION_COOKIE: &str = "__Host-tm-session";
/// The cookie tying a sign-in's callback to the browser that began it.
pub const SIGN_IN_COOKIE: &str = "__Host-tm-signin";

/// A `Set-Cookie` value for `name` living `max_age` seconds (0 deletes it).
pub fn cookie(name: &str, value: &str, max_age: i64) -> String {
    format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age}")
}

/// The value of cookie `name` in the request, if sent.
pub fn read_cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// The console's origin: configured, else the domain API Gateway received the request on.
pub fn own_origin(console: &Console, req: &Request) -> Option<String> {
    if let Some(origin) = &console.settings.origin {
        return Some(origin.clone());
    }
    match req.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) => ctx
            .domain_name
            .as_deref()
            .map(|domain| format!("https://{}", domain.to_ascii_lowercase())),
        _ => None,
    }
}

/// The signed-in person of `req`, or the page to answer instead: a sign-in redirect for a
/// page without a (live) session, a 403 for a POST without one or for an identity the
/// policies keep out of the console.
pub async fn require<'a>(
    app: &'a App,
    console: &'a Console,
    req: &Request,
) -> Result<Cx<'a>, Page> {
    let sign_in = || {
        let back = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/console/tenants");
        let page = if req.method() == lambda_http::http::Method::GET {
            Page::redirect(format!(
                "/console/login?{}",
                super::form::encode(&[("return", back)])
            ))
        } else {
            views::message(
                StatusCode::FORBIDDEN,
                "Your session has ended",
                "Sign in again, then repeat what you were doing.",
            )
        };
        page.cookie(cookie(SESSION_COOKIE, "", 0))
    };
    let Some(id) = read_cookie(req, SESSION_COOKIE) else {
        return Err(sign_in());
    };
    let hash = digest(&id);
    let stored = match app.store.console_session(&hash).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return Err(sign_in()),
        Err(e) => return Err(views::api_error_page(&e)),
    };
    if stored.expires_at <= clock::now_epoch_seconds() {
        // The identity's token has expired: the session ends with it.
        let _ = app.store.delete_console_session(&hash).await;
        return Err(sign_in());
    }
    let caller = match caller_of(console, &stored) {
        Ok(caller) => caller,
        Err(page) => return Err(page),
    };
    admit(app, &caller, req)?;
    Ok(Cx {
        app,
        console,
        caller,
        csrf: stored.csrf_token,
        lambda: req.lambda_context_ref().cloned(),
        session_hash: hash,
        session_expires_at: stored.expires_at,
    })
}

/// The caller a session's claims name (as a bearer token with them would).
pub fn caller_of(console: &Console, stored: &ConsoleSession) -> Result<Caller, Page> {
    let claims: Map<String, Value> = serde_json::from_str(&stored.claims).unwrap_or_default();
    caller_from_claims(&claims, &console.settings.claims).map_err(|_| {
        views::message(
            StatusCode::FORBIDDEN,
            "Your identity cannot use the console",
            "The identity provider's token does not name a user the API accepts.",
        )
    })
}

/// Whether the policies let `caller` into the console (people, not machine roles).
pub fn admit(app: &App, caller: &Caller, req: &Request) -> Result<(), Page> {
    let session = Session {
        caller: caller.clone(),
        bound_status: "none",
        tenant_header: None,
        request_id: crate::http::request_id(req),
    };
    app.auth
        .check_platform(&session, Action::UseConsole, false)
        .map_err(|e| views::api_error_page(&e))
}

/// Checks a state-changing request: it must come from the console's own origin
/// (`Sec-Fetch-Site`, else `Origin`) and carry the session's CSRF token.
pub fn check_csrf(cx: &Cx<'_>, req: &Request, form: &Form) -> Result<(), Page> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase())
    };
    let forbidden = |why: &str| {
        tracing::info!(why, "console request refused as cross-site");
        views::message(
            StatusCode::FORBIDDEN,
            "Request refused",
            "This form did not come from the console itself, or its page is out of date. \
             Go back, reload the page and try again.",
        )
    };
    let own = own_origin(cx.console, req);
    match header("sec-fetch-site").as_deref() {
        Some("same-origin") => {}
        Some(other) => return Err(forbidden(&format!("Sec-Fetch-Site: {other}"))),
        // An older browser: it sends an Origin with every POST, ours or (under
        // `Referrer-Policy: no-referrer`) `null`; the token below then decides.
        None => match header("origin") {
            Some(origin) if Some(&origin) == own.as_ref() || origin == "null" => {}
            _ => return Err(forbidden("no Sec-Fetch-Site and no matching Origin")),
        },
    }
    // `Origin: null` is what a same-origin form sends under `Referrer-Policy: no-referrer`;
    // any other value must be the console's.
    if let Some(origin) = header("origin").filter(|o| o != "null") {
        if Some(&origin) != own.as_ref() {
            return Err(forbidden("foreign Origin"));
        }
    }
    if !constant_time_eq(form.get("csrf").as_bytes(), cx.csrf.as_bytes()) {
        return Err(forbidden("missing or wrong CSRF token"));
    }
    Ok(())
}

/// Compares secrets in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookies_are_host_only_secure_http_only_and_lax() {
        let c = cookie(SESSION_COOKIE, "abc", 60);
        assert_eq!(
            c,
            "__Host-tm-session=abc; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=60"
        );
    }

    #[test]
    fn secrets_compare_equal_only_when_equal() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
