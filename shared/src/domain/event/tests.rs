//! Unit tests of change events: wire names, field diffs, size bounds and creates.

use serde_json::{json, Map, Value};

use super::*;
use crate::domain::plans::{PlanCatalogue, DEFAULT_CATALOGUE, DEFAULT_PLAN};
use crate::domain::provisioning::Resource;
use crate::domain::tenant::Tenant;
use crate::domain::NewTenant;

fn origin() -> Origin {
    Origin {
        actor: Actor {
            kind: ActorKind::User,
            id: "ada".to_owned(),
        },
        request_id: "req-1".to_owned(),
    }
}

fn tenant() -> Tenant {
    let plans = PlanCatalogue::parse(DEFAULT_CATALOGUE, DEFAULT_PLAN).unwrap();
    let body = json!({"name": "Acme", "slug": "acme", "ownerEmail": "ada@acme.example"});
    let new = NewTenant::from_json(body.as_object().unwrap(), &plans).unwrap();
    Tenant::create(&new, "2026-01-01T00:00:00.000Z")
}

#[test]
fn every_type_round_trips_through_its_wire_name() {
    for t in EventType::ALL {
        assert_eq!(EventType::parse(t.as_str()), Ok(t));
        assert_eq!(serde_json::to_value(t).unwrap(), json!(t.as_str()));
    }
    assert!(EventType::parse("tenant.exploded")
        .unwrap_err()
        .contains("tenant.created"));
}

#[test]
fn an_update_lists_exactly_the_changed_fields_with_unset_as_null() {
    let before = tenant();
    let mut after = before.clone();
    after.fields.owner_email = None;
    after.fields.owner_name = Some("Ada".to_owned());
    after.version = 2;
    after.updated_at = "2026-01-02T00:00:00.000Z".to_owned();
    let event = ChangeEvent::changed(EventType::TenantUpdated, &before, &after, &origin());
    let body = serde_json::to_value(&event).unwrap();
    assert_eq!(
        body["changes"],
        json!({
            "ownerEmail": {"from": "ada@acme.example", "to": null},
            "ownerName": {"from": null, "to": "Ada"},
        })
    );
    assert_eq!(body["version"], 2);
    assert_eq!(body["occurredAt"], "2026-01-02T00:00:00.000Z");
    assert_eq!(body["actor"], json!({"kind": "user", "id": "ada"}));
    assert!(body.get("tenant").is_none());
}

/// A `tenant.deprovisioning_started` of a tenant with `count` resources, each with
/// 2 KiB of metadata, whose failures (long messages) were cleared.
fn deprovisioning(count: usize) -> ChangeEvent {
    use crate::domain::provisioning::{ResourceError, ResourceFailure};
    let before = {
        let mut t = tenant();
        t.provisioning.failures = (0..count)
            .map(|i| ResourceFailure {
                resource_id: format!("resource-{i}"),
                kind: "rds-cluster".to_owned(),
                error: ResourceError {
                    code: "Throttled".to_owned(),
                    message: "€".repeat(1000),
                },
            })
            .collect();
        t
    };
    let mut after = before.clone();
    after.provisioning.failures.clear();
    after.version = 2;
    let metadata: Map<String, Value> =
        serde_json::from_value(json!({"notes": "m".repeat(2000)})).unwrap();
    let resources = (0..count)
        .map(|i| {
            let mut r: Resource = serde_json::from_value(json!({
                "id": format!("resource-{i}"), "type": "rds-cluster", "builtIn": false,
                "required": false, "status": "deleting", "attempts": 0, "version": 3,
                "updatedAt": "2026-01-02T00:00:00.000Z",
                "arn": format!("arn:aws:rds:eu-west-1:123456789012:cluster:{}", "c".repeat(1900)),
            }))
            .unwrap();
            r.metadata = Some(metadata.clone());
            r
        })
        .collect();
    ChangeEvent::provisioning(
        EventType::DeprovisioningStarted,
        &before,
        &after,
        &origin(),
        Some(resources),
    )
}

#[test]
fn an_event_that_fits_is_stored_and_published_whole_and_unmarked() {
    let event = deprovisioning(3);
    let whole = serde_json::to_string(&event).unwrap();
    assert_eq!(event.to_bounded_json().unwrap(), whole);
    assert!(!whole.contains("truncated"));
}

#[test]
fn an_event_too_large_for_eventbridge_is_trimmed_and_points_to_the_full_state() {
    let event = deprovisioning(50);
    let whole = serde_json::to_string(&event).unwrap();
    assert!(
        whole.len() > 256 * 1024,
        "the case is large: {}",
        whole.len()
    );
    let bounded = event.to_bounded_json().unwrap();
    assert!(bounded.len() <= MAX_EVENT_BYTES, "{}", bounded.len());
    let body: Value = serde_json::from_str(&bounded).unwrap();
    let id = event.tenant_id.as_ref().unwrap().as_str();
    assert_eq!(body["truncated"], true);
    assert_eq!(
        body["fullState"],
        json!({"tenant": format!("/v1/tenants/{id}"),
               "resources": format!("/v1/tenants/{id}/resources")})
    );
    // Its identity and order survive; the bulk goes, largest-first, until it fits.
    for field in [
        "eventId",
        "type",
        "tenantId",
        "version",
        "occurredAt",
        "actor",
    ] {
        assert_eq!(body[field], serde_json::to_value(&event).unwrap()[field]);
    }
    // The diff goes first; the resources, what a provisioner acts on, stay.
    assert_eq!(body["omitted"], json!(["changes"]));
    assert!(body.get("changes").is_none());
    assert_eq!(body["resources"].as_array().map(Vec::len), Some(50));
    // Trimming again changes nothing.
    assert_eq!(bounded_event_json(&bounded), bounded.as_str());
}

#[test]
fn a_too_large_event_without_resources_loses_its_diff_first() {
    let mut event = deprovisioning(120);
    event.resources = None;
    let bounded = event.to_bounded_json().unwrap();
    assert!(bounded.len() <= MAX_EVENT_BYTES);
    let body: Value = serde_json::from_str(&bounded).unwrap();
    assert_eq!(body["omitted"], json!(["changes"]));
    assert_eq!(body["type"], "tenant.deprovisioning_started");
}

#[test]
fn a_create_carries_the_tenant_and_a_fresh_unique_id() {
    let t = tenant();
    let (a, b) = (
        ChangeEvent::created(&t, &origin()),
        ChangeEvent::created(&t, &origin()),
    );
    assert_ne!(a.event_id, b.event_id);
    assert!(a.event_id.starts_with("evt_"));
    let body = serde_json::to_value(&a).unwrap();
    assert_eq!(body["type"], "tenant.created");
    assert_eq!(body["tenant"]["slug"], "acme");
    assert_eq!(body["version"], 1);
    assert!(body.get("changes").is_none());
}
