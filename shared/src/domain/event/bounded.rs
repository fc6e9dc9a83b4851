//! Keeping an event within EventBridge's size: trimming a too-large event's JSON.

use serde_json::Value;

/// Most bytes of an event's JSON, as stored and published. EventBridge takes entries of
/// at most 256 KiB, counting `source`, `detail-type` and `detail` together; the rest of
/// the 256 KiB is left for those and for margin. (An event item, at most this plus its
/// keys, is far below DynamoDB's 400 KB item limit.)
pub const MAX_EVENT_BYTES: usize = 240 * 1024;

/// The fields a too-large event loses, in this order, until it fits. `resources` goes
/// last: it is what provisioners act on (and is bounded per tenant, so it fits alone),
/// where `changes` and `tenant` can be read again.
const TRIMMABLE: [&str; 3] = ["changes", "tenant", "resources"];
/// The fields a too-large event keeps if even that is not enough.
const ESSENTIAL: [&str; 12] = [
    "eventId",
    "type",
    "tenantId",
    "version",
    "occurredAt",
    "actor",
    "requestId",
    "admin",
    "domain",
    "apiKey",
    "usage",
    "overLimit",
];

/// `json` (an event's JSON) as it may be stored and published: unchanged when it has at
/// most [`MAX_EVENT_BYTES`], else trimmed: `changes`, then `tenant`, then `resources` left
/// out until it fits, with `truncated: true`, `omitted` and `fullState` (the tenant's and
/// its resources' paths) added. Text that is not a JSON object is returned as it is.
pub fn bounded_event_json(json: &str) -> std::borrow::Cow<'_, str> {
    if json.len() <= MAX_EVENT_BYTES {
        return json.into();
    }
    let Ok(Value::Object(mut event)) = serde_json::from_str::<Value>(json) else {
        return json.into();
    };
    let full_state = event.get("tenantId").and_then(Value::as_str).map(|id| {
        serde_json::json!({
            "tenant": format!("/v1/tenants/{id}"),
            "resources": format!("/v1/tenants/{id}/resources"),
        })
    });
    let mut omitted = Vec::new();
    for field in TRIMMABLE {
        if event.remove(field).is_some() {
            omitted.push(Value::String(field.to_owned()));
        }
        event.insert("truncated".to_owned(), Value::Bool(true));
        event.insert("omitted".to_owned(), Value::Array(omitted.clone()));
        if let Some(refs) = &full_state {
            event.insert("fullState".to_owned(), refs.clone());
        }
        let text = Value::Object(event.clone()).to_string();
        if text.len() <= MAX_EVENT_BYTES {
            return text.into();
        }
    }
    // Something else is large: keep only what identifies the event.
    event.retain(|name, _| {
        ESSENTIAL.contains(&name.as_str())
            || matches!(name.as_str(), "truncated" | "omitted" | "fullState")
    });
    Value::Object(event).to_string().into()
}
