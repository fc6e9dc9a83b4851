//! A tenant's audit trail: its change events, newest first, paged, filtered by type, each
//! change shown as from → to.

use maud::{html, Markup};
use serde_json::Value;

use super::{s, text};
use crate::console::api::{Call, Listing};
use crate::console::form::{encode, Form};
use crate::console::respond::Page;
use crate::console::views::{self, frame, refusal_notice};
use crate::console::Cx;
use crate::domain::EventType;

/// `GET /console/tenants/{id}/events?type=...&cursor=...`
pub async fn page(cx: &Cx<'_>, id: &str, query: &Form) -> Page {
    let kind = query.get("type");
    let call = Call::get(format!("/v1/tenants/{id}/events")).query("type", kind);
    let Listing {
        status,
        result,
        items,
        next,
    } = Listing::get(cx, call, "25", query.get("cursor"), None).await;
    let markup = html! {
        (views::tenant_head(id, "Audit trail", "/events", "", None))
        form.filters method="get" action=(format!("/console/tenants/{id}/events")) {
            div.field { label for="type" { "Event type" }
                select id="type" name="type" {
                    option value="" { "All types" }
                    @for t in EventType::ALL { option value=(t.as_str()) selected[t.as_str() == kind] { (t.as_str()) } }
                } }
            div.field { button type="submit" { "Filter" } }
        }
        @if let Err(refusal) = &result { (refusal_notice(refusal)) }
        table {
            caption { "Change events, newest first" }
            thead { tr { th scope="col" { "When" } th scope="col" { "Event" } th scope="col" { "By" } th scope="col" { "What changed" } } }
            tbody {
                @for e in &items {
                    tr {
                        td { (s(e, "occurredAt")) }
                        td { code { (s(e, "type")) } }
                        td { (e.pointer("/actor/id").map(text).unwrap_or_default()) " (" (e.pointer("/actor/kind").map(text).unwrap_or_default()) ")" }
                        td { (changes(e)) }
                    }
                }
                @if items.is_empty() && result.is_ok() { tr { td colspan="4" { "No events." } } }
            }
        }
        @if !next.is_empty() {
            p.pager { a rel="next" href=(format!("/console/tenants/{id}/events?{}", encode(&[("type", kind), ("cursor", &next)]))) { "Older events" } }
        }
    };
    Page::html(status, frame(Some(cx), "Audit trail", markup))
}

/// What an event changed: each field as from → to, or its subject.
fn changes(e: &Value) -> Markup {
    html! {
        @if let Some(Value::Object(changes)) = e.get("changes") {
            ul {
                @for (field, change) in changes {
                    li { code { (field) } ": " (shown(change.get("from"))) " → " (shown(change.get("to"))) }
                }
            }
        } @else if let Some(admin) = e.get("admin") {
            "Admin " code { (s(admin, "userId")) }
        } @else if let Some(domain) = e.get("domain") {
            "Domain " code { (s(domain, "domain")) } " " (s(domain, "status"))
        } @else if let Some(key) = e.get("apiKey") {
            "API key " code { (s(key, "id")) }
        }
    }
}

fn shown(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "(none)".to_owned(),
        Some(v) => text(v),
    }
}
