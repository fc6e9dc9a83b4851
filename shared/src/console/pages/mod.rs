//! The console's pages (GET) and actions (POST, answered with a redirect to a page, or
//! with the form again and the API's refusal beside its fields).
//!
//! - [`tenants`]: the list and the create form.
//! - [`tenant`]: one tenant's overview, edit, lifecycle actions, provisioning and
//!   invitation.
//! - [`events`]: its audit trail; [`admins`]: its admins; [`keys`]: its API keys;
//!   [`domains`]: its domains; [`entitlements`]: its limits and usage.

pub mod admins;
pub mod domains;
pub mod entitlements;
pub mod events;
pub mod keys;
pub mod tenant;
pub mod tenants;

use serde_json::Value;

use crate::domain::values::percent_decode;
use crate::domain::TenantId;

use super::form::Form;
use super::respond::Page;
use super::Cx;

/// The path's segments, each percent-decoded once (browsers encode `|` in a user id), if
/// every one may name an id and a tenant's pages name a tenant id.
fn segments(parts: &[&str]) -> Option<Vec<String>> {
    let decoded: Vec<String> = parts
        .iter()
        .map(|p| percent_decode(p))
        .collect::<Option<_>>()?;
    if !decoded.iter().all(|p| is_segment(p)) {
        return None;
    }
    if let [first, id, ..] = decoded.as_slice() {
        if first == "tenants" && id != "new" && TenantId::parse(id).is_err() {
            return None;
        }
    }
    Some(decoded)
}

/// An id as one path segment of a console link or form action: what [`segments`] decodes.
pub fn encode_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The page a GET names (`None`: no such page).
pub async fn get(cx: &Cx<'_>, parts: &[&str], query: &Form) -> Option<Page> {
    let parts = segments(parts)?;
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    Some(match parts.as_slice() {
        ["tenants"] => tenants::list(cx, query).await,
        ["tenants", "new"] => tenants::new_form(cx, &Form::default(), None).await,
        ["tenants", id] => tenant::overview(cx, id, query, None, None).await,
        ["tenants", id, "events"] => events::page(cx, id, query).await,
        ["tenants", id, "admins"] => admins::page(cx, id, query, None).await,
        ["tenants", id, "keys"] => keys::page(cx, id, query, None).await,
        ["tenants", id, "domains"] => domains::page(cx, id, query, None).await,
        ["tenants", id, "entitlements"] => entitlements::page(cx, id).await,
        _ => return None,
    })
}

/// The action a POST names (`None`: no such action).
pub async fn post(cx: &Cx<'_>, parts: &[&str], form: &Form) -> Option<Page> {
    let parts = segments(parts)?;
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    Some(match parts.as_slice() {
        ["tenants"] => tenants::create(cx, form).await,
        ["tenants", id, action] if tenant::ACTIONS.contains(action) => {
            tenant::act(cx, id, action, form).await
        }
        ["tenants", id, "admins"] => admins::grant(cx, id, form).await,
        ["tenants", id, "admins", user, "revoke"] => admins::revoke(cx, id, user).await,
        ["tenants", id, "keys"] => keys::create(cx, id, form).await,
        ["tenants", id, "keys", key, "revoke"] => keys::revoke(cx, id, key).await,
        ["tenants", id, "domains"] => domains::add(cx, id, form).await,
        ["tenants", id, "domains", domain, action @ ("verify" | "remove")] => {
            domains::act(cx, id, domain, action).await
        }
        _ => return None,
    })
}

/// Whether a path segment may name a tenant, user, key or domain: the characters those
/// ids use, nothing that could change the API path it goes into.
fn is_segment(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= 256
        && part != "."
        && part != ".."
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@:|+=".contains(&b))
}

/// A string field of a JSON object ("" when absent or not a string).
pub fn s<'v>(value: &'v Value, name: &str) -> &'v str {
    value.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// Any JSON value as text for a page ("" for null).
pub fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_survive_a_round_trip_through_a_link() {
        for id in ["auth0|ada", "ada+ops@example.com", "a=b:c", "tenant_x"] {
            let link = encode_segment(id);
            assert!(link
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-%".contains(&b)));
            assert_eq!(percent_decode(&link).as_deref(), Some(id));
        }
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(segments(&["tenants", "stats"]), None, "not a tenant id");
        assert_eq!(
            segments(&["tenants", "a%2Fb"]),
            None,
            "decoded once, then checked"
        );
    }

    #[test]
    fn path_segments_cannot_escape_the_api_path() {
        assert!(is_segment("tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f"));
        assert!(is_segment("example.com"));
        assert!(is_segment("auth0|ada"));
        for bad in ["..", ".", "", "a%2Fb", "a?b", "a#b", "a b", "<x>"] {
            assert!(!is_segment(bad), "{bad}");
        }
    }
}
