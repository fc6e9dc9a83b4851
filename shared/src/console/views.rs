//! The page frame and the pieces every page shares: headings, tabs, notices, the API's
//! refusals shown to people, and the error pages.

use lambda_http::http::StatusCode;
use maud::{html, Markup, DOCTYPE};

use super::api::Refusal;
use super::assets;
use super::respond::Page;
use super::Cx;
use crate::error::ApiError;

/// A whole page: `title`, the signed-in person's bar (when there is one), `body`.
pub fn frame(cx: Option<&Cx<'_>>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Tenant console" }
                link rel="stylesheet" href=(assets::css_path());
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a href="/console/tenants" { "Tenant console" }
                    @if let Some(cx) = cx {
                        div {
                            span.who { "Signed in as " (cx.who()) }
                            form.inline method="post" action="/console/logout" {
                                (csrf(cx))
                                button.secondary type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main id="main" { (body) }
            }
        }
    }
}

/// The hidden CSRF field of a form.
pub fn csrf(cx: &Cx<'_>) -> Markup {
    html! { input type="hidden" name="csrf" value=(cx.csrf); }
}

/// A page saying one thing (errors, sign-in problems), outside any session.
pub fn message(status: StatusCode, title: &str, text: &str) -> Page {
    Page::html(
        status,
        frame(
            None,
            title,
            html! {
                h1 { (title) }
                p { (text) }
                p { a href="/console/tenants" { "Go to the console" } }
            },
        ),
    )
}

/// The page for a sign-in that was refused, with a way to start again.
pub fn sign_in_refused(why: &str) -> Page {
    Page::html(
        StatusCode::BAD_REQUEST,
        frame(
            None,
            "Sign-in refused",
            html! {
                h1 { "Sign-in refused" }
                p { (why) }
                p { a href="/console/login" { "Sign in again" } }
            },
        ),
    )
}

/// The page for an error met outside the API's handlers (the session store, the
/// identity provider).
pub fn api_error_page(err: &ApiError) -> Page {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match err {
        ApiError::Internal(detail) => tracing::error!(error = %detail, "console error"),
        ApiError::Unavailable(detail) => tracing::warn!(error = %detail, "console unavailable"),
        _ => {}
    }
    let refusal = Refusal {
        status: status.as_u16(),
        code: err.code().to_owned(),
        message: err.public_message(),
        notices: err.notices().map(<[String]>::to_vec).unwrap_or_default(),
        ..Refusal::default()
    };
    let title = title_of(status);
    Page::html(
        status,
        frame(
            None,
            title,
            html! { h1 { (title) } (refusal_notice(&refusal)) },
        ),
    )
}

/// A whole page for an API refusal (what the person asked for is not theirs to see, or
/// does not exist).
pub fn refusal_page(cx: &Cx<'_>, refusal: &Refusal) -> Page {
    let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let title = title_of(status);
    Page::html(
        status,
        frame(
            Some(cx),
            title,
            html! {
                h1 { (title) }
                (refusal_notice(refusal))
                p { a href="/console/tenants" { "Back to tenants" } }
            },
        ),
    )
}

fn title_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "Not signed in",
        403 => "Not allowed",
        404 => "Not found",
        409 | 412 => "Conflict",
        429 | 503 => "Try again shortly",
        400..=499 => "Request refused",
        _ => "Something went wrong",
    }
}

/// An API refusal as a notice: its message, the policies that decided, the request id.
pub fn refusal_notice(refusal: &Refusal) -> Markup {
    html! {
        div.notice.error role="alert" {
            p { strong { (refusal.message) } }
            @if !refusal.fields.is_empty() {
                ul { @for (field, reason) in &refusal.fields { li { code { (field) } ": " (reason) } } }
            }
            @if !refusal.notices.is_empty() {
                p { "Decided by policy: "
                    @for (i, notice) in refusal.notices.iter().enumerate() {
                        @if i > 0 { ", " } code { (notice) }
                    }
                }
            }
            @if !refusal.request_id.is_empty() {
                p.muted { "Request id: " code { (refusal.request_id) } }
            }
        }
    }
}

/// The reason the API gave for `field`, shown beside it.
pub fn field_error(refusal: Option<&Refusal>, field: &str) -> Markup {
    let reasons: Vec<&str> = refusal
        .map(|r| {
            r.fields
                .iter()
                .filter(|(f, _)| f == field)
                .map(|(_, reason)| reason.as_str())
                .collect()
        })
        .unwrap_or_default();
    html! {
        @for reason in reasons {
            span.error-text id=(format!("{field}-error")) { (field) " " (reason) }
        }
    }
}

/// A success notice, by a fixed key (never text from the URL).
pub fn done_notice(key: &str) -> Markup {
    let text = match key {
        "created" => "Tenant created.",
        "updated" => "Changes saved.",
        "suspended" => "Tenant suspended.",
        "activated" => "Tenant activated.",
        "plan" => "Plan changed.",
        "deleted" => "Tenant deleted.",
        "retried" => "Provisioning retried.",
        "invited" => "Invitation sent again.",
        "granted" => "Admin granted.",
        "revoked" => "Admin revoked.",
        "key-revoked" => "API key revoked.",
        "domain-added" => "Domain added: publish the TXT record below, then verify.",
        "verified" => "Domain verified.",
        "removed" => "Domain removed.",
        _ => return html! {},
    };
    html! { div.notice.ok role="status" { (text) } }
}

/// A status word, styled by its value.
pub fn status(value: &str) -> Markup {
    html! { span class=(format!("status status-{value}")) { (value) } }
}

/// The head of one of a tenant's pages: the way back, the title, the tabs (`tab` current),
/// the notice of what was just done, and the refusal of what was just tried.
pub fn tenant_head(
    id: &str,
    title: &str,
    tab: &str,
    done: &str,
    refusal: Option<&Refusal>,
) -> Markup {
    html! {
        p { a href=(format!("/console/tenants/{id}")) { "← Tenant" } }
        h1 { (title) }
        (tenant_tabs(id, tab))
        (done_notice(done))
        @if let Some(refusal) = refusal { (refusal_notice(refusal)) }
    }
}

/// The tabs of a tenant's pages.
pub fn tenant_tabs(id: &str, current: &str) -> Markup {
    const TABS: [(&str, &str); 6] = [
        ("", "Overview"),
        ("/events", "Audit trail"),
        ("/admins", "Admins"),
        ("/keys", "API keys"),
        ("/domains", "Domains"),
        ("/entitlements", "Entitlements"),
    ];
    html! {
        nav.tabs aria-label="Tenant" {
            ul {
                @for (suffix, label) in TABS {
                    li {
                        @if suffix == current {
                            a href=(format!("/console/tenants/{id}{suffix}")) aria-current="page" { (label) }
                        } @else {
                            a href=(format!("/console/tenants/{id}{suffix}")) { (label) }
                        }
                    }
                }
            }
        }
    }
}
