//! A tenant's API keys: the list, create (the key shown once, on a page never stored by
//! the browser) and revoke.

use lambda_http::http::{Method, StatusCode};
use maud::html;
use serde_json::json;

use super::{s, text};
use crate::console::api::{Call, Listing, Refusal};
use crate::console::form::{encode, Form};
use crate::console::respond::Page;
use crate::console::views::{self, csrf, field_error, frame, refusal_notice};
use crate::console::Cx;
use crate::domain::console::{digest, random_secret};

/// The roles a tenant's key may be given here: a tenant's admins make member keys only (an
/// admin key is the application's, counting the tenant's usage: the API refuses it to
/// them), so the admin role is offered to platform admins alone.
const KEY_ROLES: [(&str, &str); 2] = [
    (
        "tenant_member",
        "Member: reads the tenant and its entitlements",
    ),
    (
        "tenant_admin",
        "Admin: the application's key; manages the tenant and reports its usage",
    ),
];

/// `GET /console/tenants/{id}/keys`, or the page again after a refused action.
pub async fn page(cx: &Cx<'_>, id: &str, query: &Form, refusal: Option<&Refusal>) -> Page {
    // The create form's one-shot value (see [`create`]), fresh with every page.
    let once = match random_secret() {
        Ok(once) => once,
        Err(err) => return views::api_error_page(&err),
    };
    let call = Call::get("/v1/api-keys").query("tenantId", id);
    let Listing {
        status,
        result,
        items,
        next,
    } = Listing::get(cx, call, "50", query.get("cursor"), refusal).await;
    let markup = html! {
        (views::tenant_head(id, "API keys", "/keys", query.get("done"), refusal))
        @if let Err(refusal) = &result { (refusal_notice(refusal)) }
        @if result.is_ok() {
            table {
                caption { "Keys bound to this tenant" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Id" } th scope="col" { "Roles" } th scope="col" { "Status" } th scope="col" { "Created" } th scope="col" { "Action" } } }
                tbody {
                    @for k in &items {
                        tr {
                            td { (s(k, "name")) }
                            td { code { (s(k, "id")) } }
                            td { (k.get("roles").map(text).unwrap_or_default()) }
                            td { (views::status(s(k, "status"))) }
                            td { (s(k, "createdAt")) }
                            td { @if s(k, "status") == "active" {
                                form.inline method="post" action=(format!("/console/tenants/{id}/keys/{}/revoke", s(k, "id"))) {
                                    (csrf(cx)) button.secondary type="submit" aria-label=(format!("Revoke key {}", s(k, "name"))) { "Revoke" } } } }
                        }
                    }
                    @if items.is_empty() { tr { td colspan="6" { "No keys yet." } } }
                }
            }
            @if !next.is_empty() {
                p.pager { a rel="next" href=(format!("/console/tenants/{id}/keys?{}", encode(&[("cursor", &next)]))) { "More keys" } }
            }
        }
        section.card aria-labelledby="create-key" {
            h2 id="create-key" { "Create a key" }
            form method="post" action=(format!("/console/tenants/{id}/keys")) {
                (csrf(cx))
                input type="hidden" name="once" value=(once);
                div.field { label for="key-name" { "Key name" }
                    input id="key-name" name="name" type="text" required maxlength="100";
                    (field_error(refusal, "name")) }
                div.field { label for="key-role" { "Role" }
                    select id="key-role" name="role" {
                        @for (role, label) in KEY_ROLES {
                            @if role == "tenant_member" || cx.is_platform_admin() { option value=(role) { (label) } }
                        }
                    }
                    (field_error(refusal, "roles")) }
                button type="submit" { "Create key" }
            }
        }
    };
    Page::html(status, frame(Some(cx), "API keys", markup))
}

/// `POST /console/tenants/{id}/keys`: the new key, shown once.
///
/// The form is one-shot: sent again (the answer reloaded, the button clicked twice) it
/// creates no second key, whose secret the person would never see. Its `once` value, drawn
/// with the page, is spent by a conditional put before the key is asked for, so of two
/// sends exactly one reaches the API. A send that spent it and then failed leaves nothing
/// behind but a page to fill in again.
pub async fn create(cx: &Cx<'_>, id: &str, form: &Form) -> Page {
    let once = form.get("once");
    if !is_drawn_secret(once) {
        let refusal = Refusal {
            status: 400,
            code: "validation_error".to_owned(),
            message:
                "This form is out of date or incomplete: nothing was created. Fill it in again."
                    .to_owned(),
            ..Refusal::default()
        };
        return page(cx, id, &Form::default(), Some(&refusal)).await;
    }
    // Bound to the session: a value seen elsewhere spends nothing of this person's.
    let spent = digest(&format!("{}:{once}", cx.session_hash));
    // Kept while the session that could send the form again lasts.
    match cx
        .app
        .store
        .spend_console_form(&spent, cx.session_expires_at)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            let refusal = Refusal {
                status: 409,
                code: "form_already_sent".to_owned(),
                message: "This form was already sent once: any key it created is listed \
                          below, and a key's secret is shown only once. If the secret is lost, \
                          revoke that key and create another."
                    .to_owned(),
                ..Refusal::default()
            };
            return page(cx, id, &Form::default(), Some(&refusal)).await;
        }
        Err(err) => return views::api_error_page(&err),
    }
    let body = json!({ "name": form.get("name"), "roles": [form.get("role")], "tenantId": id });
    let created = match Call::post("/v1/api-keys", body)
        .send(cx)
        .await
        .into_result()
    {
        Ok(created) => created,
        Err(refusal) => return page(cx, id, &Form::default(), Some(&refusal)).await,
    };
    let markup = html! {
        p { a href=(format!("/console/tenants/{id}/keys")) { "← API keys" } }
        h1 { "Key created" }
        div.notice.warn role="status" {
            p { strong { "Copy this key now: it is shown only once." } " The console keeps no copy." }
        }
        section.card {
            dl.facts {
                dt { "Name" } dd { (s(&created, "name")) }
                dt { "Id" } dd { code { (s(&created, "id")) } }
                dt { "Key" } dd { p.secret id="new-key" { (s(&created, "key")) } }
            }
        }
        p { a href=(format!("/console/tenants/{id}/keys")) { "Done" } }
    };
    Page::html(StatusCode::CREATED, frame(Some(cx), "Key created", markup))
}

/// `POST /console/tenants/{id}/keys/{keyId}/revoke`
pub async fn revoke(cx: &Cx<'_>, id: &str, key: &str) -> Page {
    let answer = Call::new(Method::DELETE, format!("/v1/api-keys/{key}"))
        .send(cx)
        .await;
    match answer.into_result() {
        Ok(_) => Page::redirect(format!("/console/tenants/{id}/keys?done=key-revoked")),
        Err(refusal) => page(cx, id, &Form::default(), Some(&refusal)).await,
    }
}

/// Whether `value` has the shape of [`random_secret`]'s values (43 base64url characters).
fn is_drawn_secret(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forms_once_value_has_the_shape_of_a_drawn_secret() {
        assert!(is_drawn_secret(&random_secret().unwrap()));
        for bad in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}=", "a".repeat(42)),
        ] {
            assert!(!is_drawn_secret(bad), "{bad:?}");
        }
    }
}
