//! Unit tests of the tenant item: round trips, keys and the live index.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};

use super::*;
use crate::domain::plans::{PlanCatalogue, DEFAULT_CATALOGUE, DEFAULT_PLAN};
use crate::domain::{NewTenant, Tenant};
use crate::store::keys;

fn tenant(body: Value) -> Tenant {
    let plans = PlanCatalogue::parse(DEFAULT_CATALOGUE, DEFAULT_PLAN).unwrap();
    let new = NewTenant::from_json(body.as_object().unwrap(), &plans).unwrap();
    Tenant::create(&new, "2026-01-01T00:00:00.000Z")
}

#[test]
fn a_tenant_item_round_trips_with_its_keys_and_metadata_as_text() {
    let mut t = tenant(json!({
        "name": "Acme", "slug": "acme", "maxUsers": 5,
        "metadata": {"tier": {"level": 2, "tags": ["a", null]}}
    }));
    t.provisioning_state.invitation_resent_at = Some(1_767_225_600);
    let item = tenant_item(&t, "digest").unwrap();
    assert!(
        matches!(&item[INVITATION_RESENT_AT], AttributeValue::N(n) if n == "1767225600"),
        "a number of its own, for the resend's condition"
    );
    assert!(matches!(&item["metadata"], AttributeValue::S(text) if text.starts_with('{')));
    assert!(matches!(&item["maxUsers"], AttributeValue::N(n) if n == "5"));
    assert!(matches!(&item["GSI1PK"], AttributeValue::S(pk) if pk == keys::LIVE_TENANTS));
    assert!(
        !item.contains_key("ownerEmail"),
        "unset fields are not stored"
    );
    let (back, hash) = tenant_from_item(item).unwrap().unwrap();
    assert_eq!(back, t);
    assert_eq!(hash, "digest");
}

#[test]
fn a_deleted_tenant_leaves_the_live_index() {
    let t = tenant(json!({"name": "Acme", "slug": "acme"}));
    let item = tenant_item(&t.deleted("2026-01-02T00:00:00.000Z").unwrap(), "d").unwrap();
    assert!(!item.contains_key(keys::GSI1PK));
    assert!(matches!(&item[keys::GSI2PK], AttributeValue::S(pk) if pk == "STATUS#deleted"));
}
