//! A tenant's admins: the list, grant and revoke.

use lambda_http::http::Method;
use maud::html;
use serde_json::{json, Value};

use super::s;
use crate::console::api::{Call, Listing, Refusal};
use crate::console::form::{encode, Form};
use crate::console::respond::Page;
use crate::console::views::{self, csrf, field_error, frame, refusal_notice};
use crate::console::Cx;
use crate::domain::UserId;

/// `GET /console/tenants/{id}/admins`, or the page again after a refused action.
pub async fn page(cx: &Cx<'_>, id: &str, query: &Form, refusal: Option<&Refusal>) -> Page {
    let call = Call::get(format!("/v1/tenants/{id}/admins"));
    let Listing {
        status,
        result,
        items,
        next,
    } = Listing::get(cx, call, "50", query.get("cursor"), refusal).await;
    let markup = html! {
        (views::tenant_head(id, "Admins", "/admins", query.get("done"), refusal))
        @if let Err(refusal) = &result { (refusal_notice(refusal)) }
        @if result.is_ok() {
            table {
                caption { "Admins of this tenant" }
                thead { tr { th scope="col" { "User" } th scope="col" { "Granted" } th scope="col" { "Granted by" } th scope="col" { "Action" } } }
                tbody {
                    @for a in &items {
                        tr {
                            td { code { (s(a, "userId")) } }
                            td { (s(a, "grantedAt")) }
                            td { (s(a, "grantedBy")) }
                            td { form.inline method="post" action=(format!("/console/tenants/{id}/admins/{}/revoke", super::encode_segment(s(a, "userId")))) {
                                (csrf(cx)) button.secondary type="submit" aria-label=(format!("Revoke {}", s(a, "userId"))) { "Revoke" } } }
                        }
                    }
                    @if items.is_empty() { tr { td colspan="4" { "No admins yet." } } }
                }
            }
            @if !next.is_empty() {
                p.pager { a rel="next" href=(format!("/console/tenants/{id}/admins?{}", encode(&[("cursor", &next)]))) { "Next page" } }
            }
            section.card aria-labelledby="grant" {
                h2 id="grant" { "Grant admin" }
                form method="post" action=(format!("/console/tenants/{id}/admins")) {
                    (csrf(cx))
                    div.field { label for="userId" { "User id" }
                        input id="userId" name="userId" type="text" required maxlength="128";
                        (field_error(refusal, "userId")) }
                    button type="submit" { "Grant admin" }
                }
            }
        }
    };
    Page::html(status, frame(Some(cx), "Admins", markup))
}

/// `POST /console/tenants/{id}/admins`
pub async fn grant(cx: &Cx<'_>, id: &str, form: &Form) -> Page {
    let user = match UserId::parse(form.get("userId")) {
        Ok(user) => user,
        Err(why) => {
            let refusal = Refusal {
                status: 400,
                code: "validation_error".to_owned(),
                message: "The user id is not valid.".to_owned(),
                fields: vec![("userId".to_owned(), why)],
                ..Refusal::default()
            };
            return page(cx, id, &Form::default(), Some(&refusal)).await;
        }
    };
    let answer = Call::new(
        Method::PUT,
        format!(
            "/v1/tenants/{id}/admins/{}",
            super::encode_segment(user.as_ref())
        ),
    )
    .body(json!({}))
    .send(cx)
    .await;
    finish(cx, id, answer.into_result(), "granted").await
}

/// `POST /console/tenants/{id}/admins/{userId}/revoke`
pub async fn revoke(cx: &Cx<'_>, id: &str, user: &str) -> Page {
    let answer = Call::new(
        Method::DELETE,
        format!("/v1/tenants/{id}/admins/{}", super::encode_segment(user)),
    )
    .send(cx)
    .await;
    finish(cx, id, answer.into_result(), "revoked").await
}

async fn finish(cx: &Cx<'_>, id: &str, result: Result<Value, Refusal>, done: &str) -> Page {
    match result {
        Ok(_) => Page::redirect(format!("/console/tenants/{id}/admins?done={done}")),
        Err(refusal) => page(cx, id, &Form::default(), Some(&refusal)).await,
    }
}
