//! A tenant's email domains, and login discovery.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde_json::Value;

use super::{authorize, ensure_no_body, DEFAULT_PAGE, MAX_PAGE};
use crate::auth::jwt::email_domain;
use crate::auth::Action;
use crate::domain::domains::claimable;
use crate::domain::input::Problems;
use crate::domain::Slug;
use crate::error::ApiError;
use crate::http::{self, Reply, JSON};
use crate::runtime::App;
use crate::service::domains::{self as service, Addition, Lookup};

/// `GET /v1/tenants/{id}/domains`
pub async fn list_tenant_domains(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, list(app, &req).await))
}

/// `POST /v1/tenants/{id}/domains`
pub async fn add_tenant_domain(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, add(app, &req).await))
}

/// `POST /v1/tenants/{id}/domains/{domain}/verify`
pub async fn verify_tenant_domain(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, verify(app, &req).await))
}

/// `DELETE /v1/tenants/{id}/domains/{domain}`
pub async fn remove_tenant_domain(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, remove(app, &req).await))
}

/// `GET /v1/login/discover`
pub async fn discover_login(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, discover(app, &req).await))
}

async fn list(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::ListDomains).await?;
    let (limit, cursor) = http::page_params(req, MAX_PAGE, DEFAULT_PAGE)?;
    let page = service::list(app, &access, limit, cursor.as_deref()).await?;
    Reply::json(StatusCode::OK, &page)
}

async fn add(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::AddDomain).await?;
    let body = http::json_object(req, &[JSON])?;
    let mut problems = Problems::default();
    problems.reject_unknown(&body, &["domain", "verified"]);
    let domain = match body.get("domain") {
        Some(Value::String(text)) => match claimable(text) {
            Ok(name) => Some(name),
            Err(why) => {
                problems.add("domain", why);
                None
            }
        },
        None | Some(Value::Null) => {
            problems.add("domain", "is required");
            None
        }
        Some(_) => {
            problems.add("domain", "must be a string");
            None
        }
    };
    let verified = match body.get("verified") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Bool(true)) => true,
        Some(_) => {
            problems.add("verified", "must be a boolean");
            false
        }
    };
    let domain = problems.finish(domain)?;
    let Some(domain) = domain else {
        return Err(ApiError::field("domain", "is required"));
    };
    if verified {
        // Marking a domain verified without its record is the platform's to do.
        app.auth.check_on(&access, Action::MarkDomainVerified)?;
    }
    let location = format!("/v1/tenants/{}/domains/{domain}", access.tenant.id);
    let (status, claim) = match service::add(app, &access, domain.as_str(), verified).await? {
        Addition::New(claim) => (StatusCode::CREATED, claim),
        Addition::Existing(claim) => (StatusCode::OK, claim),
    };
    Ok(Reply::json(status, &claim)?.location(location))
}

async fn verify(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::VerifyDomain).await?;
    ensure_no_body(req)?;
    let claim = service::verify(app, &access, &http::path_param(req, "domain")).await?;
    Reply::json(StatusCode::OK, &claim)
}

async fn remove(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::RemoveDomain).await?;
    service::remove(app, &access, &http::path_param(req, "domain")).await?;
    Ok(Reply::no_content())
}

async fn discover(app: &App, req: &Request) -> Result<Reply, ApiError> {
    app.auth.platform(req, Action::DiscoverLogin).await?;
    let mut problems = Problems::default();
    for name in http::query_names(req) {
        if name != "email" && name != "slug" {
            problems.add(&name, "is not a known query parameter");
        }
    }
    let email = problems.at_most_once("email", http::query_values(req, "email"));
    let slug = problems.at_most_once("slug", http::query_values(req, "slug"));
    let lookup = match (email, slug) {
        (Some(email), None) => match email_domain(&email) {
            Some(domain) => Some(Lookup::Email(domain)),
            None => {
                problems.add(
                    "email",
                    "must be an email address such as 'ana@acme.example.com'",
                );
                None
            }
        },
        (None, Some(slug)) => match Slug::parse(&slug) {
            Ok(slug) => Some(Lookup::Slug(slug)),
            Err(why) => {
                problems.add("slug", why);
                None
            }
        },
        (Some(_), Some(_)) => {
            problems.add("email", "give email or slug, not both");
            None
        }
        (None, None) => {
            problems.add("email", "email or slug is required");
            None
        }
    };
    let lookup = problems.finish(lookup)?;
    let Some(lookup) = lookup else {
        return Err(ApiError::field("email", "email or slug is required"));
    };
    Reply::json(StatusCode::OK, &service::discover(app, &lookup).await?)
}

/// The `reverify-domains` scheduled run (an EventBridge schedule's event, whose content
/// does not matter): checks one page of verified domains' TXT records, the longest
/// unchecked first, and answers what it did. A failure of the table is the invocation's
/// error (alarmed; the next run starts over where this one stopped).
pub async fn reverify_domains(
    app: &App,
    event: lambda_runtime::LambdaEvent<Value>,
) -> Result<service::Reverified, Error> {
    let origin =
        crate::domain::event::Origin::service("reverify-domains", &event.context.request_id);
    let now = crate::domain::clock::now_rfc3339();
    let done = service::reverify(app, &now, crate::domain::domains::REVERIFY_PAGE, &origin).await?;
    tracing::info!(
        request_id = %event.context.request_id,
        checked = done.checked,
        passed = done.passed,
        failing = done.failing,
        unverified = done.unverified,
        unresolved = done.unresolved,
        skipped = done.skipped,
        "re-verified email domains"
    );
    Ok(done)
}
