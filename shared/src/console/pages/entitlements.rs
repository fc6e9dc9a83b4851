//! A tenant's entitlements: what its plan and overrides grant, and its usage against them.

use lambda_http::http::StatusCode;
use maud::html;
use serde_json::Value;

use super::{s, text};
use crate::console::api::Call;
use crate::console::respond::Page;
use crate::console::views::{self, frame, refusal_notice};
use crate::console::Cx;

/// `GET /console/tenants/{id}/entitlements`
pub async fn page(cx: &Cx<'_>, id: &str) -> Page {
    let answer = Call::get(format!("/v1/tenants/{id}/entitlements"))
        .send(cx)
        .await;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let result = answer.into_result();
    let body = result.as_ref().ok().cloned().unwrap_or(Value::Null);
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let field = |e: &Value, name: &str| e.get(name).map(text).unwrap_or_default();
    let markup = html! {
        (views::tenant_head(id, "Entitlements", "/entitlements", "", None))
        @if let Err(refusal) = &result { (refusal_notice(refusal)) }
        @if result.is_ok() {
            p { "Plan " strong { (s(&body, "plan")) } ", tenant " (views::status(s(&body, "status"))) "." }
            table {
                caption { "Effective limits and usage" }
                thead { tr { th scope="col" { "Feature" } th scope="col" { "Granted" } th scope="col" { "From" }
                    th scope="col" { "Usage" } th scope="col" { "Remaining" } th scope="col" { "Resets" } } }
                tbody {
                    @for e in &items {
                        @let over = e.get("overLimit") == Some(&Value::Bool(true));
                        tr {
                            th scope="row" { code { (s(e, "feature")) } }
                            td { @match e.get("value") {
                                Some(Value::Null) | None => { @if e.get("granted") == Some(&Value::Bool(true)) { "unlimited" } @else { "no" } }
                                Some(Value::Bool(true)) => "yes",
                                Some(Value::Bool(false)) => "no",
                                Some(v) => (text(v)),
                            } }
                            td { (s(e, "source")) }
                            td {
                                (field(e, "usage"))
                                @if over { " " strong.error-text { "over limit" } }
                                @else if e.get("overSoftLimit") == Some(&Value::Bool(true)) { " " strong { "above soft limit" } }
                            }
                            td { (field(e, "remaining")) }
                            td { (field(e, "resetAt")) }
                        }
                    }
                }
            }
        }
    };
    Page::html(status, frame(Some(cx), "Entitlements", markup))
}
