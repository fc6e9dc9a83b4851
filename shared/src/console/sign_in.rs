//! Signing in and out: the redirect to the identity provider, its callback, sign-out.
//!
//! A sign-in's `state`, `nonce` and PKCE verifier stay on the server, in an attempt item
//! keyed by the `state`'s hash and tied to the browser by a short-lived `__Host-` cookie;
//! the callback takes (deletes) the attempt in the same call that reads it, so a replayed
//! or forged callback finds nothing. The session id is new at every sign-in.

use lambda_http::http::StatusCode;
use lambda_http::Request;

use super::form::Form;
use super::respond::Page;
use super::session::{self, cookie, read_cookie, SESSION_COOKIE, SIGN_IN_COOKIE};
use super::{views, Console};
use crate::domain::clock;
use crate::domain::console::{digest, random_secret, ConsoleSession, SignInAttempt};
use crate::error::ApiError;
use crate::runtime::App;
use crate::store::console::Taken;

/// How long a sign-in may take, from the redirect to the callback.
const SIGN_IN_SECONDS: i64 = 600;
/// Where a sign-in without a return path lands.
pub const HOME: &str = "/console/tenants";

/// Whether `path` is a console path to return to after sign-in: relative, under
/// `/console`, no scheme-relative `//`, backslashes or control characters.
pub fn is_return_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let route = lower.split(['?', '#']).next().unwrap_or_default();
    path.len() <= 512
        && (route == "/console" || route.starts_with("/console/"))
        && !path.contains("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        // No dot segments (`/console/../v1`), written or percent-encoded.
        && !route.contains("/.")
        && !lower.contains("%2e")
        // Nowhere sign-in would loop through.
        && !["/console/login", "/console/callback", "/console/logout"]
            .iter()
            .any(|p| route.starts_with(p))
}

fn query(req: &Request) -> Form {
    Form::parse(req.uri().query().unwrap_or_default().as_bytes())
}

/// `GET /console/login?return=/console/...`: begins a sign-in.
pub async fn start(app: &App, console: &Console, req: &Request) -> Page {
    let Some(oidc) = console.oidc(req) else {
        return not_configured();
    };
    let query = query(req);
    let return_to =
        match query.get("return") {
            "" => HOME.to_owned(),
            path if is_return_path(path) => path.to_owned(),
            _ => return views::message(
                StatusCode::BAD_REQUEST,
                "Sign-in refused",
                "The page to return to must be a path of the console, such as /console/tenants.",
            ),
        };
    let started = match oidc.start().await {
        Ok(started) => started,
        Err(e) => return views::api_error_page(&e),
    };
    let browser = match random_secret() {
        Ok(secret) => secret,
        Err(e) => return views::api_error_page(&e),
    };
    let attempt = SignInAttempt {
        nonce: started.nonce,
        pkce_verifier: started.pkce_verifier,
        return_to,
        browser_hash: digest(&browser),
        expires_at: clock::now_epoch_seconds() + SIGN_IN_SECONDS,
    };
    if let Err(e) = app
        .store
        .put_sign_in_attempt(&digest(&started.state), &attempt)
        .await
    {
        return views::api_error_page(&e);
    }
    Page::redirect(started.authorize_url).cookie(cookie(SIGN_IN_COOKIE, &browser, SIGN_IN_SECONDS))
}

/// `GET /console/callback?code=...&state=...`: completes a sign-in.
pub async fn callback(app: &App, console: &Console, req: &Request) -> Page {
    let Some(oidc) = console.oidc(req) else {
        return not_configured();
    };
    let query = query(req);
    let refused = |why: &str| {
        tracing::info!(why, "sign-in refused");
        views::sign_in_refused(why).cookie(cookie(SIGN_IN_COOKIE, "", 0))
    };
    if !query.get("error").is_empty() {
        return refused("The identity provider did not sign you in.");
    }
    let (state, code) = (query.get("state"), query.get("code"));
    if state.is_empty() || code.is_empty() || state.len() > 256 || code.len() > 2048 {
        return refused("The identity provider's answer is incomplete.");
    }
    let browser = read_cookie(req, SIGN_IN_COOKIE).unwrap_or_default();
    let taken = app
        .store
        .take_sign_in_attempt(&digest(state), &digest(&browser))
        .await;
    let attempt = match taken {
        Ok(Taken::Attempt(attempt)) => attempt,
        Ok(Taken::Unknown) => return refused("This sign-in is unknown, or was already used."),
        Ok(Taken::OtherBrowser) => return refused("This sign-in was begun in another browser."),
        Err(e) => return views::api_error_page(&e),
    };
    if attempt.expires_at <= clock::now_epoch_seconds() {
        return refused("This sign-in took too long.");
    }
    let signed_in = match oidc
        .finish(code, &attempt.pkce_verifier, &attempt.nonce)
        .await
    {
        Ok(signed_in) => signed_in,
        Err(ApiError::Unauthenticated { .. }) => {
            return refused("The identity provider's answer did not verify.")
        }
        Err(e) => return views::api_error_page(&e),
    };
    let now = clock::now_epoch_seconds();
    let expires_at = signed_in
        .expires_at
        .min(now + console.settings.session_ttl_seconds);
    if expires_at <= now {
        return refused("The identity provider's token has already expired.");
    }
    // Only the claims the console reads: the rest of the ID token (personal data) is not
    // kept.
    let names = &console.settings.claims;
    let read = [
        names.roles_claim.as_str(),
        names.tenant_claim.as_str(),
        names.email_claim.as_str(),
        names.email_verified_claim.as_str(),
    ];
    let claims: serde_json::Map<String, serde_json::Value> = ["sub", "iss", "exp"]
        .into_iter()
        .chain(read)
        .filter_map(|name| {
            let value = signed_in.claims.get(name)?;
            Some((name.to_owned(), value.clone()))
        })
        .collect();
    let claims = serde_json::Value::Object(claims).to_string();
    let (id, csrf_token) = match (random_secret(), random_secret()) {
        (Ok(id), Ok(csrf)) => (id, csrf),
        (Err(e), _) | (_, Err(e)) => return views::api_error_page(&e),
    };
    let stored = ConsoleSession {
        claims,
        csrf_token,
        created_at: clock::now_rfc3339(),
        expires_at,
    };
    // Machine identities get no session: the policies keep them out of the console.
    let caller = match session::caller_of(console, &stored) {
        Ok(caller) => caller,
        Err(page) => return page.cookie(cookie(SIGN_IN_COOKIE, "", 0)),
    };
    if let Err(page) = session::admit(app, &caller, req) {
        return page.cookie(cookie(SIGN_IN_COOKIE, "", 0));
    }
    if let Err(e) = app.store.put_console_session(&digest(&id), &stored).await {
        return views::api_error_page(&e);
    }
    // A new id at every sign-in: a session the browser held before ends here.
    if let Some(old) = read_cookie(req, SESSION_COOKIE) {
        let _ = app.store.delete_console_session(&digest(&old)).await;
    }
    Page::redirect(attempt.return_to)
        .cookie(cookie(SESSION_COOKIE, &id, expires_at - now))
        .cookie(cookie(SIGN_IN_COOKIE, "", 0))
}

/// `POST /console/logout`: ends the session (already checked for CSRF).
pub async fn logout(app: &App, session_hash: &str) -> Page {
    if let Err(e) = app.store.delete_console_session(session_hash).await {
        return views::api_error_page(&e);
    }
    Page::redirect("/console/signed-out").cookie(cookie(SESSION_COOKIE, "", 0))
}

fn not_configured() -> Page {
    views::message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sign-in is not configured",
        "This deployment has no identity provider for the console (the OidcIssuer parameter).",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_relative_console_paths_are_returned_to() {
        assert!(is_return_path("/console/tenants?status=active"));
        assert!(is_return_path("/console"));
        for bad in [
            "https://evil.example/console/",
            "//evil.example/console/",
            "/console//evil.example",
            "/console/\\evil",
            "/v1/tenants",
            "/consolex",
            "javascript:alert(1)",
            "/console/\nx",
            "/console/../v1/tenants",
            "/console/%2E%2E/v1/tenants",
            "/console/login?return=/console/tenants",
            "/console/callback?code=x",
        ] {
            assert!(!is_return_path(bad), "{bad}");
        }
    }
}
