//! One tenant: its overview (details, provisioning and resources, the owner's
//! invitation), the edit form (with `If-Match`: a concurrent change is never overwritten),
//! and its lifecycle actions (suspend, activate, plan change, delete with the slug typed,
//! provisioning retry, invitation resend).

use lambda_http::http::{Method, StatusCode};
use maud::{html, Markup};
use serde_json::{json, Map, Value};

use super::{s, tenants, text};
use crate::console::api::{Call, Refusal};
use crate::console::form::Form;
use crate::console::respond::Page;
use crate::console::views::{self, csrf, field_error, frame, refusal_notice};
use crate::console::Cx;

/// The actions posted to `/console/tenants/{id}/<action>`.
pub const ACTIONS: [&str; 7] = [
    "edit",
    "suspend",
    "activate",
    "plan",
    "delete",
    "retry",
    "invitation",
];

/// Fields anyone who may edit the tenant may change: (field, label, input type).
const EDIT_FIELDS: [(&str, &str, &str); 5] = [
    ("name", "Name", "text"),
    ("billingEmail", "Billing email", "email"),
    ("technicalContactEmail", "Technical contact email", "email"),
    ("locale", "Locale", "text"),
    ("externalId", "External id", "text"),
];
/// Fields only the platform changes (the policies say so; the form shows them to its
/// admins only).
const OWNER_FIELDS: [(&str, &str, &str); 2] = [
    ("ownerEmail", "Owner email", "email"),
    ("ownerName", "Owner name", "text"),
];

/// `GET /console/tenants/{id}`, or the overview again after a refused action.
/// `edited`: an edit the API refused for its input, shown again as typed (after a 412 the
/// current values are shown instead: the person must see what changed).
pub async fn overview(
    cx: &Cx<'_>,
    id: &str,
    query: &Form,
    refusal: Option<&Refusal>,
    edited: Option<&Form>,
) -> Page {
    let tenant = match Call::get(format!("/v1/tenants/{id}"))
        .send(cx)
        .await
        .into_result()
    {
        Ok(tenant) => tenant,
        Err(refusal) => return views::refusal_page(cx, &refusal),
    };
    let resources = Call::get(format!("/v1/tenants/{id}/resources"))
        .send(cx)
        .await;
    let plans = if cx.is_platform_admin() {
        tenants::plan_names(cx).await
    } else {
        Vec::new()
    };
    let status = refusal
        .and_then(|r| StatusCode::from_u16(r.status).ok())
        .unwrap_or(StatusCode::OK);
    let title = s(&tenant, "name").to_owned();
    // What the API says the person holds here: its members read, its admins edit (the
    // API decides either way; this only spares them controls that would be refused).
    let roles = tenant.get("currentUserRoles").map(text).unwrap_or_default();
    let edits = roles.contains("platform_admin") || roles.contains("tenant_admin");
    let markup = html! {
        p { a href="/console/tenants" { "← Tenants" } }
        h1 { (title) " " (views::status(s(&tenant, "status"))) }
        (views::tenant_tabs(id, ""))
        (views::done_notice(query.get("done")))
        @if let Some(refusal) = refusal {
            @if refusal.status == 412 {
                div.notice.warn role="alert" {
                    p { strong { "This tenant was changed by someone else since you opened the page." } }
                    p { "Your changes were not saved. " a href=(format!("/console/tenants/{id}")) { "Reload" } " to see the current values, then edit again." }
                }
            } @else { (refusal_notice(refusal)) }
        }
        div.grid2 {
            section.card aria-labelledby="details" { h2 id="details" { "Details" } (details(&tenant)) }
            section.card aria-labelledby="provisioning" {
                h2 id="provisioning" { "Provisioning" }
                (provisioning(cx, id, &tenant, resources.into_result()))
            }
        }
        section.card aria-labelledby="invitation" {
            h2 id="invitation" { "Owner's invitation" }
            @if s(&tenant, "ownerEmail").is_empty() {
                p { "This tenant has no owner email to invite." }
            } @else if !edits {
                p { "The owner, " (s(&tenant, "ownerEmail")) ", is invited by email to become the tenant's first admin." }
            } @else {
                p { "The owner, " (s(&tenant, "ownerEmail")) ", is invited by email to become the tenant's first admin." }
                form method="post" action=(format!("/console/tenants/{id}/invitation")) {
                    (csrf(cx)) button.secondary type="submit" { "Resend invitation" }
                }
            }
        }
        @if edits && s(&tenant, "status") != "deleted" {
            section.card aria-labelledby="edit" { h2 id="edit" { "Edit" } (edit_form(cx, id, &tenant, refusal, edited.filter(|_| refusal.is_none_or(|r| r.status != 412)))) }
        }
        @if cx.is_platform_admin() { (lifecycle(cx, id, &tenant, &plans)) }
    };
    Page::html(status, frame(Some(cx), &title, markup))
}

fn details(t: &Value) -> Markup {
    let rows = [
        ("Id", s(t, "id").to_owned()),
        ("Slug", s(t, "slug").to_owned()),
        ("Plan", s(t, "plan").to_owned()),
        ("Kind", s(t, "kind").to_owned()),
        ("Login mode", s(t, "loginMode").to_owned()),
        (
            "Owner",
            format!("{} {}", s(t, "ownerName"), s(t, "ownerEmail"))
                .trim()
                .to_owned(),
        ),
        ("Region", s(t, "region").to_owned()),
        ("Created", s(t, "createdAt").to_owned()),
        ("Updated", s(t, "updatedAt").to_owned()),
        ("Version", t.get("version").map(text).unwrap_or_default()),
        ("Suspended because", s(t, "suspendedReason").to_owned()),
        ("Metadata", t.get("metadata").map(text).unwrap_or_default()),
    ];
    html! {
        dl.facts {
            @for (label, value) in rows {
                @if !value.is_empty() && value != "{}" { dt { (label) } dd { (value) } }
            }
        }
    }
}

fn provisioning(cx: &Cx<'_>, id: &str, t: &Value, resources: Result<Value, Refusal>) -> Markup {
    let p = t.get("provisioning").cloned().unwrap_or(Value::Null);
    let failures = p
        .get("failures")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    html! {
        dl.facts {
            dt { "Status" } dd { (views::status(s(&p, "status"))) }
            dt { "Attempts" } dd { (p.get("attempts").map(text).unwrap_or_default()) }
            @if !s(&p, "completedAt").is_empty() { dt { "Completed" } dd { (s(&p, "completedAt")) } }
        }
        @if !failures.is_empty() {
            h3 { "Failures" }
            ul { @for f in &failures { li { code { (s(f, "resourceId")) } ": " code { (f.pointer("/error/code").map(text).unwrap_or_default()) } " " (f.pointer("/error/message").map(text).unwrap_or_default()) } } }
        }
        @match resources {
            Ok(list) => {
                @let items = list.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
                table {
                    caption { "Resources" }
                    thead { tr { th scope="col" { "Resource" } th scope="col" { "Type" } th scope="col" { "Status" } th scope="col" { "Attempts" } th scope="col" { "Error" } } }
                    tbody {
                        @for r in &items { tr {
                            td { code { (s(r, "id")) } } td { (s(r, "type")) } td { (views::status(s(r, "status"))) }
                            td { (r.get("attempts").map(text).unwrap_or_default()) }
                            td { @if let Some(error) = r.get("error").filter(|e| !e.is_null()) {
                                code { (s(error, "code")) } " " (s(error, "message"))
                            } }
                        } }
                        @if items.is_empty() { tr { td colspan="5" { "No resources yet." } } }
                    }
                }
            }
            // Members do not see a tenant's resources: nothing to show them.
            Err(refusal) if refusal.status == 403 => {}
            Err(refusal) => { p.muted { "Resources: " (refusal.message) } }
        }
        @if cx.is_platform_admin() && s(&p, "status") == "failed" {
            form method="post" action=(format!("/console/tenants/{id}/retry")) {
                (csrf(cx)) button type="submit" { "Retry provisioning" }
            }
        }
    }
}

fn edit_form(
    cx: &Cx<'_>,
    id: &str,
    t: &Value,
    refusal: Option<&Refusal>,
    edited: Option<&Form>,
) -> Markup {
    let fields: Vec<_> = EDIT_FIELDS
        .iter()
        .chain(OWNER_FIELDS.iter().filter(|_| cx.is_platform_admin()))
        .collect();
    // The version the person began from: a corrected edit still may not overwrite a change
    // made meanwhile.
    let version = match edited {
        Some(form) => form.get("version").to_owned(),
        None => t.get("version").map(text).unwrap_or_default(),
    };
    let value = |name: &str| match edited {
        Some(form) => form.get(name).to_owned(),
        None => s(t, name).to_owned(),
    };
    html! {
        form method="post" action=(format!("/console/tenants/{id}/edit")) {
            (csrf(cx))
            input type="hidden" name="version" value=(version);
            @for (name, label, kind) in fields {
                div.field {
                    label for=(format!("edit-{name}")) { (label) }
                    input id=(format!("edit-{name}")) name=(name) type=(kind) value=(value(name));
                    (field_error(refusal, name))
                }
            }
            button type="submit" { "Save changes" }
        }
    }
}

fn lifecycle(cx: &Cx<'_>, id: &str, t: &Value, plans: &[String]) -> Markup {
    let status = s(t, "status");
    html! {
        section.card aria-labelledby="lifecycle" {
            h2 id="lifecycle" { "Plan and lifecycle" }
            @if status != "deleted" {
                form method="post" action=(format!("/console/tenants/{id}/plan")) {
                    (csrf(cx))
                    input type="hidden" name="current" value=(s(t, "plan"));
                    div.field { label for="plan-select" { "Plan" }
                        select id="plan-select" name="plan" {
                            @for plan in plans { option value=(plan) selected[plan == s(t, "plan")] { (plan) } }
                        } }
                    button type="submit" { "Change plan" }
                }
            }
            @if status == "active" {
                form method="post" action=(format!("/console/tenants/{id}/suspend")) {
                    (csrf(cx))
                    div.field { label for="suspend-reason" { "Reason for suspending" }
                        input id="suspend-reason" name="reason" type="text" maxlength="500"; }
                    button.danger type="submit" { "Suspend tenant" }
                }
            }
            @if status == "suspended" {
                form method="post" action=(format!("/console/tenants/{id}/activate")) {
                    (csrf(cx)) button type="submit" { "Activate tenant" }
                }
            }
            @if status != "deleted" {
                form method="post" action=(format!("/console/tenants/{id}/delete")) {
                    (csrf(cx))
                    input type="hidden" name="version" value=(t.get("version").map(text).unwrap_or_default());
                    div.field { label for="confirm-slug" { "Type the slug " code { (s(t, "slug")) } " to delete this tenant" }
                        input id="confirm-slug" name="confirm" type="text" autocomplete="off" required; }
                    button.danger type="submit" { "Delete tenant" }
                }
            }
        }
    }
}

/// `POST /console/tenants/{id}/<action>`
pub async fn act(cx: &Cx<'_>, id: &str, action: &str, form: &Form) -> Page {
    let base = format!("/v1/tenants/{id}");
    let answer = match action {
        "edit" => {
            let mut patch = Map::new();
            let owner = OWNER_FIELDS.iter().filter(|_| cx.is_platform_admin());
            for (name, _, _) in EDIT_FIELDS.iter().chain(owner) {
                let value = form.get(name);
                // An emptied field is cleared (merge patch: null).
                patch.insert(
                    (*name).to_owned(),
                    if value.is_empty() {
                        Value::Null
                    } else {
                        json!(value)
                    },
                );
            }
            Call::new(Method::PATCH, base)
                .body(Value::Object(patch))
                .if_match(form.get("version"))
                .send(cx)
                .await
        }
        "suspend" => {
            let body = match form.get("reason") {
                "" => json!({}),
                reason => json!({ "reason": reason }),
            };
            Call::post(format!("{base}/suspend"), body).send(cx).await
        }
        "activate" => {
            Call::post(format!("{base}/activate"), json!({}))
                .send(cx)
                .await
        }
        "plan" => return change_plan(cx, id, form.get("current"), form.get("plan")).await,
        "delete" => {
            // The slug typed must be the tenant's. It is read here rather than taken from
            // the page: a caller who may not delete must get the policy's refusal, not a
            // complaint about the form (fails closed: a tenant that cannot be read is not
            // deleted). The delete carries the version the page showed (`If-Match`).
            let current = match Call::get(base.clone()).send(cx).await.into_result() {
                Ok(current) => current,
                Err(refusal) => return views::refusal_page(cx, &refusal),
            };
            if s(&current, "slug") != form.get("confirm") {
                let refusal = Refusal {
                    status: 400,
                    code: "validation_error".to_owned(),
                    message: "The slug typed does not match this tenant's: nothing was deleted."
                        .to_owned(),
                    fields: vec![("confirm".to_owned(), "must be the tenant's slug".to_owned())],
                    ..Refusal::default()
                };
                return overview(cx, id, &Form::default(), Some(&refusal), None).await;
            }
            Call::new(Method::DELETE, base)
                .if_match(form.get("version"))
                .send(cx)
                .await
        }
        "retry" => {
            Call::post(format!("{base}/provisioning/retry"), json!({}))
                .send(cx)
                .await
        }
        _ => {
            Call::post(format!("{base}/invitation"), json!({}))
                .send(cx)
                .await
        }
    };
    let done = match action {
        "edit" => "updated",
        "suspend" => "suspended",
        "activate" => "activated",
        "delete" => "deleted",
        "retry" => "retried",
        _ => "invited",
    };
    match answer.into_result() {
        Ok(_) => Page::redirect(format!("/console/tenants/{id}?done={done}")),
        Err(refusal) => {
            let edited = (action == "edit").then_some(form);
            overview(cx, id, &Form::default(), Some(&refusal), edited).await
        }
    }
}

/// A plan change from `current` (the plan the page showed) to `plan`: an upgrade or a
/// downgrade by the catalogue's order. The API checks the direction against the tenant as
/// it is, so a page gone stale gets its refusal, never a wrong change.
async fn change_plan(cx: &Cx<'_>, id: &str, current: &str, plan: &str) -> Page {
    let plans = tenants::plan_names(cx).await;
    let rank = |name: &str| plans.iter().position(|p| p == name);
    // A plan the catalogue lacks goes to the API as an upgrade, which refuses it by name.
    let direction = match (rank(current), rank(plan)) {
        (Some(from), Some(to)) if to < from => "downgrade",
        _ => "upgrade",
    };
    let answer = Call::post(
        format!("/v1/tenants/{id}/{direction}"),
        json!({ "plan": plan }),
    )
    .send(cx)
    .await;
    match answer.into_result() {
        Ok(_) => Page::redirect(format!("/console/tenants/{id}?done=plan")),
        Err(refusal) => overview(cx, id, &Form::default(), Some(&refusal), None).await,
    }
}
