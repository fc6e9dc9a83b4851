//! Unit tests of the tenant: create validation, serialization, the mutable field list,
//! guarded groups and the lifecycle rules.

use serde_json::{json, Value};

use super::*;
use crate::domain::plans::{PlanCatalogue, DEFAULT_CATALOGUE, DEFAULT_PLAN};
use crate::domain::values::{AwsExternalId, DisplayName, Locale};
use crate::error::ApiError;

fn plans() -> PlanCatalogue {
    PlanCatalogue::parse(DEFAULT_CATALOGUE, DEFAULT_PLAN).unwrap()
}

fn parse(body: Value) -> Result<NewTenant, ApiError> {
    NewTenant::from_json(body.as_object().unwrap(), &plans())
}

fn invalid_fields(err: ApiError) -> Vec<String> {
    match err {
        ApiError::Validation(fields) => fields.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn minimal_create_gets_defaults() {
    let t = parse(json!({"name": " Acme ", "slug": "acme"})).unwrap();
    assert_eq!(t.fields.name.as_str(), "Acme");
    assert_eq!(t.plan, "starter");
    assert_eq!(t.fields.kind, TenantKind::Standard);
    assert_eq!(t.fields.login_mode, LoginMode::Invite);
    assert!(t.id.is_none());
}

#[test]
fn every_invalid_field_is_listed_not_just_the_first() {
    let err = parse(json!({
        "name": "",
        "slug": "Bad Slug",
        "kind": "huge",
        "plan": "platinum",
        "ownerEmail": "nope",
        "maxUsers": 0,
        "locale": "english",
        "bogus": 1,
        "status": "active"
    }))
    .unwrap_err();
    let mut fields = invalid_fields(err);
    fields.sort();
    assert_eq!(
        fields,
        [
            "bogus",
            "kind",
            "locale",
            "maxUsers",
            "name",
            "ownerEmail",
            "plan",
            "slug",
            "status"
        ]
    );
}

#[test]
fn missing_required_fields_are_reported() {
    let mut fields = invalid_fields(parse(json!({})).unwrap_err());
    fields.sort();
    assert_eq!(fields, ["name", "slug"]);
}

#[test]
fn sso_login_needs_start_url_and_region() {
    let fields = invalid_fields(
        parse(json!({"name": "A", "slug": "acme", "loginMode": "sso"})).unwrap_err(),
    );
    assert_eq!(fields, ["ssoStartUrl", "ssoRegion"]);
    let ok = parse(json!({
        "name": "A", "slug": "acme", "loginMode": "sso",
        "ssoStartUrl": "https://d-1234567890.awsapps.com/start", "ssoRegion": "eu-west-1"
    }));
    assert!(ok.is_ok());
}

#[test]
fn email_domain_login_needs_a_domain() {
    let fields = invalid_fields(
        parse(json!({"name": "A", "slug": "acme", "loginMode": "email_domain"})).unwrap_err(),
    );
    assert_eq!(fields, ["emailDomain"]);
}

#[test]
fn wrong_json_types_are_reported_per_field() {
    let mut fields = invalid_fields(
        parse(json!({"name": 5, "slug": "acme", "metadata": "x", "maxProjects": "3"})).unwrap_err(),
    );
    fields.sort();
    assert_eq!(fields, ["maxProjects", "metadata", "name"]);
}

#[test]
fn tenant_serializes_in_camel_case_with_nulls_for_unset_fields() {
    let fields = parse(json!({"name": "A", "slug": "acme"})).unwrap().fields;
    let tenant = Tenant {
        fields,
        ..Tenant::create(&parse(json!({"name": "A", "slug": "acme"})).unwrap(), "t")
    };
    let v = serde_json::to_value(&tenant).unwrap();
    assert_eq!(v["scopeId"], tenant.scope_id.as_str());
    assert_eq!(v["loginMode"], "invite");
    assert!(v["ownerEmail"].is_null());
    assert_eq!(v["version"], 1);
}

#[test]
fn the_mutable_field_list_is_exactly_the_structs_fields() {
    let fields = parse(json!({"name": "A", "slug": "acme"})).unwrap().fields;
    let Value::Object(serialized) = serde_json::to_value(&fields).unwrap() else {
        panic!("fields serialize as an object")
    };
    let mut from_struct: Vec<&str> = serialized.keys().map(String::as_str).collect();
    let mut read: Vec<&str> = TenantFields::names().to_vec();
    from_struct.sort_unstable();
    read.sort_unstable();
    assert_eq!(read, from_struct);
    assert_eq!(read.len(), 24);
}

#[test]
fn guarded_groups_name_mutable_fields_and_report_only_real_changes() {
    for group in GuardedFields::ALL {
        for field in group.fields() {
            assert!(TenantFields::names().contains(field), "{field}");
        }
    }
    let fields = parse(json!({"name": "A", "slug": "acme", "maxUsers": 5}))
        .unwrap()
        .fields;
    assert!(fields.guarded_changes(&fields.clone()).is_empty());
    let mut next = fields.clone();
    next.name = DisplayName::parse("B").unwrap();
    next.locale = Some(Locale::parse("fr").unwrap());
    assert!(fields.guarded_changes(&next).is_empty(), "free fields");
    next.owner_name = Some("Eve".into());
    next.max_users = None;
    next.aws_external_id = Some(AwsExternalId::parse("chosen").unwrap());
    assert_eq!(fields.guarded_changes(&next), GuardedFields::ALL);
    let mut kind = fields.clone();
    kind.kind = TenantKind::Enterprise;
    assert_eq!(fields.guarded_changes(&kind), [GuardedFields::Limits]);
}

#[test]
fn lifecycle_rules_allow_only_real_changes() {
    let tenant = Tenant::create(&parse(json!({"name": "A", "slug": "acme"})).unwrap(), "t0");
    let suspended = tenant
        .suspended(Some("unpaid".into()), "t1")
        .unwrap()
        .unwrap();
    assert_eq!(suspended.status, TenantStatus::Suspended);
    assert!(
        suspended.suspended(None, "t2").unwrap().is_none(),
        "idempotent"
    );
    let active = suspended.activated().unwrap().unwrap();
    assert_eq!(active.suspended_reason, None);
    assert!(active.activated().unwrap().is_none());
    let deleted = active.deleted("t3").unwrap();
    assert!(deleted.deleted("t4").is_none());
    for err in [
        deleted.suspended(None, "t5").unwrap_err(),
        deleted.activated().unwrap_err(),
        deleted.with_fields(tenant.fields.clone()).unwrap_err(),
    ] {
        assert_eq!(err.code(), "invalid_state");
    }
}
