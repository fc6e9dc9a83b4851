//! A tenant's email domains: add (then the TXT record to publish), verify, remove.

use lambda_http::http::Method;
use maud::html;
use serde_json::{json, Value};

use super::s;
use crate::console::api::{Call, Listing, Refusal};
use crate::console::form::{encode, Form};
use crate::console::respond::Page;
use crate::console::views::{self, csrf, field_error, frame, refusal_notice};
use crate::console::Cx;

/// `GET /console/tenants/{id}/domains`, or the page again after a refused action.
pub async fn page(cx: &Cx<'_>, id: &str, query: &Form, refusal: Option<&Refusal>) -> Page {
    let call = Call::get(format!("/v1/tenants/{id}/domains"));
    let Listing {
        status,
        result,
        items,
        next,
    } = Listing::get(cx, call, "50", query.get("cursor"), refusal).await;
    let markup = html! {
        (views::tenant_head(id, "Domains", "/domains", query.get("done"), refusal))
        @if let Err(refusal) = &result { (refusal_notice(refusal)) }
        @if result.is_ok() {
            table {
                caption { "Email domains of this tenant" }
                thead { tr { th scope="col" { "Domain" } th scope="col" { "Status" } th scope="col" { "TXT record to publish" } th scope="col" { "Actions" } } }
                tbody {
                    @for d in &items {
                        @let domain = s(d, "domain");
                        tr {
                            td { code { (domain) } }
                            td { (views::status(s(d, "status"))) }
                            td { "Name " code { (d.pointer("/verification/name").and_then(Value::as_str).unwrap_or_default()) }
                                br; "Value " code { (d.pointer("/verification/value").and_then(Value::as_str).unwrap_or_default()) } }
                            td {
                                @if s(d, "status") != "verified" {
                                    form.inline method="post" action=(format!("/console/tenants/{id}/domains/{domain}/verify")) {
                                        (csrf(cx)) button type="submit" aria-label=(format!("Verify {domain}")) { "Verify" } }
                                }
                                " "
                                form.inline method="post" action=(format!("/console/tenants/{id}/domains/{domain}/remove")) {
                                    (csrf(cx)) button.secondary type="submit" aria-label=(format!("Remove {domain}")) { "Remove" } }
                            }
                        }
                    }
                    @if items.is_empty() { tr { td colspan="4" { "No domains yet." } } }
                }
            }
            @if !next.is_empty() {
                p.pager { a rel="next" href=(format!("/console/tenants/{id}/domains?{}", encode(&[("cursor", &next)]))) { "Next page" } }
            }
            section.card aria-labelledby="add-domain" {
                h2 id="add-domain" { "Add a domain" }
                p { "After adding it, publish its TXT record in the domain's DNS, then verify." }
                form method="post" action=(format!("/console/tenants/{id}/domains")) {
                    (csrf(cx))
                    div.field { label for="domain" { "Domain" }
                        input id="domain" name="domain" type="text" required maxlength="253" placeholder="example.com";
                        (field_error(refusal, "domain")) }
                    button type="submit" { "Add domain" }
                }
            }
        }
    };
    Page::html(status, frame(Some(cx), "Domains", markup))
}

/// `POST /console/tenants/{id}/domains`
pub async fn add(cx: &Cx<'_>, id: &str, form: &Form) -> Page {
    let answer = Call::post(
        format!("/v1/tenants/{id}/domains"),
        json!({ "domain": form.get("domain") }),
    )
    .send(cx)
    .await;
    finish(cx, id, answer.into_result(), "domain-added").await
}

/// `POST /console/tenants/{id}/domains/{domain}/verify|remove`
pub async fn act(cx: &Cx<'_>, id: &str, domain: &str, action: &str) -> Page {
    let path = format!("/v1/tenants/{id}/domains/{domain}");
    let answer = if action == "verify" {
        Call::post(format!("{path}/verify"), json!({}))
            .send(cx)
            .await
    } else {
        Call::new(Method::DELETE, path).send(cx).await
    };
    let done = if action == "verify" {
        "verified"
    } else {
        "removed"
    };
    finish(cx, id, answer.into_result(), done).await
}

async fn finish(cx: &Cx<'_>, id: &str, result: Result<Value, Refusal>, done: &str) -> Page {
    match result {
        Ok(_) => Page::redirect(format!(
            "/console/tenants/{id}/domains?{}",
            encode(&[("done", done)])
        )),
        Err(refusal) => page(cx, id, &Form::default(), Some(&refusal)).await,
    }
}
