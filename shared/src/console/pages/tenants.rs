//! The tenants: the list (search, filters, order, cursor paging, the counters) and the
//! create form.

use lambda_http::http::StatusCode;
use maud::{html, Markup};
use serde_json::{json, Map, Value};

use super::{s, text};
use crate::console::api::{Call, Refusal};
use crate::console::form::{encode, Form};
use crate::console::respond::Page;
use crate::console::views::{self, field_error, frame, refusal_notice};
use crate::console::Cx;
use crate::domain::{TenantKind, TenantStatus};

/// Tenants per page.
const PAGE_SIZE: &str = "20";

/// The names of the plans in the API's catalogue, in order.
pub async fn plan_names(cx: &Cx<'_>) -> Vec<String> {
    let answer = Call::get("/v1/plans").send(cx).await;
    answer
        .body
        .get("plans")
        .and_then(Value::as_array)
        .map(|plans| plans.iter().map(|p| s(p, "name").to_owned()).collect())
        .unwrap_or_default()
}

/// `GET /console/tenants`
pub async fn list(cx: &Cx<'_>, query: &Form) -> Page {
    let filters = ["search", "status", "plan", "order"].map(|name| (name, query.get(name)));
    let mut call = Call::get("/v1/tenants").query("limit", PAGE_SIZE);
    for (name, value) in filters {
        call = call.query(name, value);
    }
    let answer = call.query("cursor", query.get("cursor")).send(cx).await;
    let plans = plan_names(cx).await;
    let stats = if cx.is_platform_admin() {
        Call::get("/v1/tenants/stats")
            .send(cx)
            .await
            .into_result()
            .ok()
    } else {
        None
    };
    let (status, body, refusal) = match answer.into_result() {
        Ok(body) => (StatusCode::OK, body, None),
        Err(refusal) => (
            StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::BAD_REQUEST),
            Value::Null,
            Some(refusal),
        ),
    };
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let next = body.get("nextCursor").and_then(Value::as_str);
    let option = |value: &str, label: &str, current: &str| {
        html! { option value=(value) selected[value == current] { (label) } }
    };
    let markup = html! {
        h1 { "Tenants" }
        (views::done_notice(query.get("done")))
        @if let Some(stats) = &stats { (summary(stats)) }
        @if cx.is_platform_admin() { p { a.button href="/console/tenants/new" { "New tenant" } } }
        form.filters method="get" action="/console/tenants" role="search" {
            div.field { label for="search" { "Search" }
                input id="search" name="search" type="search" value=(query.get("search"))
                    placeholder="Name or slug"; }
            div.field { label for="status" { "Status" }
                select id="status" name="status" {
                    (option("", "Live (active and suspended)", query.get("status")))
                    @for st in TenantStatus::ALL { (option(st.as_str(), st.as_str(), query.get("status"))) }
                } }
            div.field { label for="plan" { "Plan" }
                select id="plan" name="plan" {
                    (option("", "Any plan", query.get("plan")))
                    @for plan in &plans { (option(plan, plan, query.get("plan"))) }
                } }
            div.field { label for="order" { "Sort" }
                select id="order" name="order" {
                    (option("desc", "Newest first", query.get("order")))
                    (option("asc", "Oldest first", query.get("order")))
                } }
            div.field { button type="submit" { "Apply filters" } }
        }
        @if let Some(refusal) = &refusal { (refusal_notice(refusal)) }
        table {
            caption { "Tenants" }
            thead { tr { th scope="col" { "Name" } th scope="col" { "Slug" } th scope="col" { "Status" }
                th scope="col" { "Plan" } th scope="col" { "Created" } } }
            tbody {
                @for t in &items {
                    tr {
                        td { a href=(format!("/console/tenants/{}", s(t, "id"))) { (s(t, "name")) } }
                        td { code { (s(t, "slug")) } }
                        td { (views::status(s(t, "status"))) }
                        td { (s(t, "plan")) }
                        td { (s(t, "createdAt")) }
                    }
                }
                @if items.is_empty() && refusal.is_none() {
                    tr { td colspan="5" { "No tenants match." } }
                }
            }
        }
        @if let Some(cursor) = next {
            p.pager { a href=(format!("/console/tenants?{}", encode(&[filters[0], filters[1], filters[2], filters[3], ("cursor", cursor)]))) rel="next" { "Next page" } }
        }
    };
    Page::html(status, frame(Some(cx), "Tenants", markup))
}

fn summary(stats: &Value) -> Markup {
    let count = |group: &str, key: &str| {
        stats
            .pointer(&format!("/{group}/{key}"))
            .map(text)
            .unwrap_or_default()
    };
    html! {
        section aria-label="Summary" {
            dl.stats {
                div { dt { "Total" } dd { (stats.get("total").map(text).unwrap_or_default()) } }
                @for st in TenantStatus::ALL { div { dt { (st.as_str()) } dd { (count("byStatus", st.as_str())) } } }
                @if let Some(Value::Object(plans)) = stats.get("byPlan") {
                    @for (plan, n) in plans { div { dt { "On " (plan) } dd { (text(n)) } } }
                }
            }
        }
    }
}

/// The create form's fields: (name, label, input type, hint).
const CREATE_FIELDS: [(&str, &str, &str); 6] = [
    ("name", "Name", "text"),
    ("slug", "Slug", "text"),
    ("ownerEmail", "Owner email", "email"),
    ("ownerName", "Owner name", "text"),
    ("billingEmail", "Billing email", "email"),
    ("externalId", "External id", "text"),
];

/// `GET /console/tenants/new`, or the form again with the API's refusal beside its fields.
pub async fn new_form(cx: &Cx<'_>, form: &Form, refusal: Option<&Refusal>) -> Page {
    let plans = plan_names(cx).await;
    let status = refusal
        .and_then(|r| StatusCode::from_u16(r.status).ok())
        .unwrap_or(StatusCode::OK);
    let markup = html! {
        p { a href="/console/tenants" { "← Tenants" } }
        h1 { "New tenant" }
        @if let Some(refusal) = refusal { (refusal_notice(refusal)) }
        section.card {
            form method="post" action="/console/tenants" {
                (views::csrf(cx))
                @for (name, label, kind) in CREATE_FIELDS {
                    div.field {
                        label for=(name) { (label) }
                        input id=(name) name=(name) type=(kind) value=(form.get(name))
                            required[name == "name" || name == "slug"]
                            aria-describedby=[refusal.filter(|r| r.fields.iter().any(|(f, _)| f == name)).map(|_| format!("{name}-error"))];
                        (field_error(refusal, name))
                    }
                }
                div.field { label for="plan" { "Plan" }
                    select id="plan" name="plan" {
                        option value="" { "The default plan" }
                        @for plan in &plans { option value=(plan) selected[form.get("plan") == plan] { (plan) } }
                    }
                    (field_error(refusal, "plan")) }
                div.field { label for="kind" { "Kind" }
                    select id="kind" name="kind" {
                        @for kind in TenantKind::ALL { option value=(kind.as_str()) selected[form.get("kind") == kind.as_str()] { (kind.as_str()) } }
                    }
                    (field_error(refusal, "kind")) }
                button type="submit" { "Create tenant" }
            }
        }
    };
    Page::html(status, frame(Some(cx), "New tenant", markup))
}

/// `POST /console/tenants`
pub async fn create(cx: &Cx<'_>, form: &Form) -> Page {
    let mut body = Map::new();
    for (name, _, _) in CREATE_FIELDS {
        if !form.get(name).is_empty() {
            body.insert(name.to_owned(), json!(form.get(name)));
        }
    }
    for name in ["plan", "kind"] {
        if !form.get(name).is_empty() {
            body.insert(name.to_owned(), json!(form.get(name)));
        }
    }
    match Call::post("/v1/tenants", Value::Object(body))
        .send(cx)
        .await
        .into_result()
    {
        Ok(tenant) => Page::redirect(format!(
            "/console/tenants/{}?done=created",
            s(&tenant, "id")
        )),
        Err(refusal) => new_form(cx, form, Some(&refusal)).await,
    }
}
