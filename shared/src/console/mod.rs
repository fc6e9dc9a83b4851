//! The console: server-rendered pages for platform operators (every tenant) and for a
//! tenant's own admins (their tenants), over the same rules as the API.
//!
//! One function serves `/console/...`. A person signs in with OpenID Connect
//! ([`sign_in`], [`crate::auth::oidc`]); the browser then holds only an opaque session
//! cookie ([`session`]). Every page and action is an in-process call of the API's own
//! handlers as that person ([`api`]): the same authentication, Cedar decisions, use cases
//! and errors, no second authorization path and no HTTP hop. Pages are HTML compiled from
//! Rust ([`maud`]), plain links and forms (POST, then redirect to a GET) that work
//! without JavaScript, under a strict Content-Security-Policy ([`respond`]).
//!
//! - [`settings`]: the identity provider and the console's origin and session length.
//! - [`views`]: the page frame and shared pieces; [`assets`]: the stylesheet.
//! - [`pages`]: the tenants list and each tenant's pages and actions.

// A refused page or API answer is the error side of these results, made at most once per
// request: its size costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod assets;
pub mod form;
pub mod pages;
pub mod respond;
pub mod session;
pub mod settings;
pub mod sign_in;
pub mod views;

use std::sync::OnceLock;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Error, Request, Response};

use crate::auth::oidc::Oidc;
use crate::auth::Caller;
use crate::runtime::App;
use form::Form;
use respond::Page;
pub use settings::ConsoleSettings;

/// Where the identity provider sends the browser back.
pub const CALLBACK_PATH: &str = "/console/callback";

/// The console of this execution environment: its settings, and its OpenID Connect
/// client (made on the first sign-in).
#[derive(Debug)]
pub struct Console {
    pub settings: ConsoleSettings,
    oidc: OnceLock<Oidc>,
}

impl Console {
    /// The console configured by the environment (nothing is fetched).
    pub fn from_env(app: &App) -> Result<Self, settings::SettingsError> {
        Ok(Self::new(ConsoleSettings::from_env(
            app.config.jwt.as_ref(),
        )?))
    }

    /// The console with `settings`.
    pub fn new(settings: ConsoleSettings) -> Self {
        Self {
            settings,
            oidc: OnceLock::new(),
        }
    }

    /// The OpenID Connect client, `None` when sign-in is not configured. Without a
    /// configured origin, the first request's origin names the redirect URL.
    fn oidc(&self, req: &Request) -> Option<&Oidc> {
        if let Some(oidc) = self.oidc.get() {
            return Some(oidc);
        }
        let mut settings = self.settings.oidc.clone()?;
        if settings.redirect_url.is_empty() {
            settings.redirect_url = format!("{}{CALLBACK_PATH}", session::own_origin(self, req)?);
        }
        Some(self.oidc.get_or_init(|| Oidc::new(settings)))
    }
}

/// A signed-in person's request: what every page and action works with.
pub struct Cx<'a> {
    pub app: &'a App,
    pub console: &'a Console,
    pub caller: Caller,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
    /// The invocation (its request id and deadline), passed on to the API calls.
    pub lambda: Option<lambda_http::Context>,
    /// The session's key.
    pub session_hash: String,
    /// When the session ends (Unix seconds).
    pub session_expires_at: i64,
}

impl std::fmt::Debug for Cx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The CSRF token and the session's key stay out of any log.
        f.debug_struct("Cx")
            .field("caller", &self.caller.id)
            .finish_non_exhaustive()
    }
}

impl Cx<'_> {
    /// Who is signed in, for the page header: the verified email, else the user id.
    pub fn who(&self) -> &str {
        self.caller
            .verified_email
            .as_deref()
            .unwrap_or(&self.caller.id)
    }

    /// Whether the person is a platform admin (controls only they may use are shown to
    /// them alone; the API decides either way).
    pub fn is_platform_admin(&self) -> bool {
        self.caller.is_platform_admin()
    }
}

/// Serves one console request; never fails at the Lambda level. A request still running
/// shortly before the invocation's deadline answers a 503 page (as the API answers 503).
pub fn handle<'a>(app: &'a App, console: &'a Console, req: Request) -> Answering<'a> {
    // Boxed as `Send` here, where the compiler can prove it for these lifetimes (an
    // `async fn` borrowing them trips its higher-ranked `Send` check in `lambda_http::run`).
    Box::pin(async move {
        let page = match crate::handlers::answer_within(&req) {
            None => route(app, console, &req).await,
            Some((wait, _)) => match tokio::time::timeout(wait, route(app, console, &req)).await {
                Ok(page) => page,
                Err(_) => views::message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Try again shortly",
                    "The console did not get an answer in time. A change you submitted may have \
                 been made: open the page again to see before repeating it.",
                ),
            },
        };
        Ok(page.into_response())
    })
}

/// The console's answer to one request, in progress.
pub type Answering<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response<Body>, Error>> + Send + 'a>>;

async fn route(app: &App, console: &Console, req: &Request) -> Page {
    let path = req.uri().path();
    let Some(rest) = path
        .strip_prefix("/console")
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
    else {
        return not_found();
    };
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let method = req.method().clone();
    match (&method, parts.as_slice()) {
        (&Method::GET, []) => Page::redirect(sign_in::HOME),
        (&Method::GET, ["assets", name]) if path == assets::css_path() => {
            let _ = name;
            Page::asset("text/css; charset=utf-8", assets::CSS)
        }
        (&Method::GET, ["login"]) => sign_in::start(app, console, req).await,
        (&Method::GET, ["callback"]) => sign_in::callback(app, console, req).await,
        (&Method::GET, ["signed-out"]) => views::message(
            StatusCode::OK,
            "Signed out",
            "You have signed out of the console. Sign in again to continue.",
        ),
        (&Method::GET | &Method::POST, _) => {
            let cx = match session::require(app, console, req).await {
                Ok(cx) => cx,
                Err(page) => return page,
            };
            if method == Method::POST {
                let form = match Form::from_body(req) {
                    Ok(form) => form,
                    Err(status) => {
                        return views::message(
                            status,
                            "Request refused",
                            "The console takes forms only, of at most 64 KiB.",
                        )
                    }
                };
                if let Err(page) = session::check_csrf(&cx, req, &form) {
                    return page;
                }
                if parts.as_slice() == ["logout"] {
                    return sign_in::logout(app, &cx.session_hash).await;
                }
                pages::post(&cx, &parts, &form)
                    .await
                    .unwrap_or_else(not_found)
            } else {
                let query = Form::parse(req.uri().query().unwrap_or_default().as_bytes());
                pages::get(&cx, &parts, &query)
                    .await
                    .unwrap_or_else(not_found)
            }
        }
        _ => {
            let page = views::message(
                StatusCode::METHOD_NOT_ALLOWED,
                "Not allowed",
                "The console takes GET and POST requests only.",
            );
            page.allow("GET, POST")
        }
    }
}

fn not_found() -> Page {
    views::message(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no such page in the console.",
    )
}
