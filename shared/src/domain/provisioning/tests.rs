//! Unit tests of the provisioning state machine, blueprint and reports.

use super::*;
use crate::domain::plans::PlanCatalogue;
use crate::domain::plans::{DEFAULT_CATALOGUE, DEFAULT_PLAN};
use crate::domain::tenant::Tenant;
use crate::domain::EventType;
use crate::domain::NewTenant;
use serde_json::json;
use serde_json::Value;

fn plans() -> PlanCatalogue {
    PlanCatalogue::parse(DEFAULT_CATALOGUE, DEFAULT_PLAN).unwrap()
}

fn blueprint() -> Blueprint {
    Blueprint::parse(
        r#"{"default": ["owner-invitation", "aws-integration"],
            "plans": {"enterprise": ["owner-invitation", {"id": "db", "type": "rds-cluster"}]}}"#,
        &plans(),
    )
    .unwrap()
}

fn tenant(body: Value) -> Tenant {
    let new = NewTenant::from_json(body.as_object().unwrap(), &plans()).unwrap();
    Tenant::create(&new, "2026-01-01T00:00:00.000Z")
}

fn done() -> StepResult {
    StepResult::Done {
        arn: None,
        external_id: None,
        region: None,
        metadata: None,
    }
}

#[test]
fn the_default_blueprint_parses_against_the_default_catalogue() {
    Blueprint::parse(DEFAULT_BLUEPRINT, &plans()).unwrap();
}

#[test]
fn a_blueprint_refuses_unknown_plans_steps_and_duplicates() {
    for bad in [
        r#"{"plans": {"platinum": []}}"#,
        r#"{"default": ["send-flowers"]}"#,
        r#"{"default": [{"id": "db", "type": "x"}, {"id": "db", "type": "y"}]}"#,
        r#"{"default": [{"id": "owner-invitation", "type": "x"}]}"#,
        r#"{"default": [{"id": "Db", "type": "x"}]}"#,
        r#"{"extra": []}"#,
        r#"[]"#,
    ] {
        assert!(Blueprint::parse(bad, &plans()).is_err(), "{bad}");
    }
}

#[test]
fn built_in_steps_apply_only_to_tenants_with_their_field() {
    let bare = tenant(json!({"name": "A", "slug": "acme"}));
    assert!(blueprint().resources_for(&bare, "t").is_empty());
    let full = tenant(
        json!({"name": "A", "slug": "acme", "ownerEmail": "o@a.example",
        "awsRoleArn": "arn:aws:iam::123456789012:role/Integration"}),
    );
    let ids: Vec<String> = blueprint()
        .resources_for(&full, "t")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["owner-invitation", "aws-integration"]);
    let enterprise = tenant(json!({"name": "A", "slug": "acme", "plan": "enterprise"}));
    let ids: Vec<String> = blueprint()
        .resources_for(&enterprise, "t")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["db"]);
}

#[test]
fn a_tenant_without_resources_is_ready_as_soon_as_it_starts() {
    let t = tenant(json!({"name": "A", "slug": "acme"}));
    let started = start(&t, &blueprint(), "t1").unwrap();
    assert_eq!(started.provisioning.status, ProvisioningStatus::Ready);
    assert_eq!(started.provisioning.completed_at.as_deref(), Some("t1"));
    assert_eq!(
        transition(&t.provisioning, &started.provisioning),
        Some(EventType::ProvisioningStarted)
    );
    assert!(start(&started, &blueprint(), "t2").is_none(), "starts once");
}

#[test]
fn one_failed_step_fails_provisioning_and_a_retry_runs_it_again() {
    let t = tenant(
        json!({"name": "A", "slug": "acme", "ownerEmail": "o@a.example",
        "awsRoleArn": "arn:aws:iam::123456789012:role/Integration"}),
    );
    let t = start(&t, &blueprint(), "t1").unwrap();
    assert_eq!(
        next_step(&t, "t1"),
        NextStep::Run {
            id: OWNER_INVITATION.into(),
            step: Step::OwnerInvitation,
            undo: false
        }
    );
    let taken = take_step(&t, OWNER_INVITATION, "w1", "t1", "t9").unwrap();
    assert!(
        take_step(&taken, OWNER_INVITATION, "w2", "t2", "t9").is_none(),
        "leased"
    );
    assert!(record_step(&taken, OWNER_INVITATION, Some("w2"), false, done(), "t2").is_none());
    let t = record_step(&taken, OWNER_INVITATION, Some("w1"), false, done(), "t2").unwrap();
    assert_eq!(t.provisioning.status, ProvisioningStatus::InProgress);
    let error = ResourceError {
        code: "AccessDenied".into(),
        message: "no".into(),
    };
    let failed = record_step(
        &t,
        AWS_INTEGRATION,
        None,
        false,
        StepResult::Failed(error),
        "t3",
    )
    .unwrap();
    assert_eq!(failed.provisioning.status, ProvisioningStatus::Failed);
    assert_eq!(failed.provisioning.failures[0].error.code, "AccessDenied");
    assert_eq!(
        transition(&t.provisioning, &failed.provisioning),
        Some(EventType::ProvisioningFailed)
    );
    assert_eq!(next_step(&failed, "t3"), NextStep::Wait);
    let retried = retry(&failed, "t4").unwrap();
    assert_eq!(retried.provisioning.attempts, 2);
    assert_eq!(
        transition(&failed.provisioning, &retried.provisioning),
        Some(EventType::ProvisioningRetried)
    );
    let ready = record_step(&retried, AWS_INTEGRATION, None, false, done(), "t5").unwrap();
    assert_eq!(ready.provisioning.status, ProvisioningStatus::Ready);
    assert!(ready.provisioning.failures.is_empty());
    assert_eq!(retry(&ready, "t6").unwrap_err().code(), "invalid_state");
}

#[test]
fn an_external_resource_keeps_provisioning_in_progress_until_reported_ready() {
    let t = tenant(json!({"name": "A", "slug": "acme", "plan": "enterprise"}));
    let t = start(&t, &blueprint(), "t1").unwrap();
    assert_eq!(t.provisioning.status, ProvisioningStatus::InProgress);
    let mut ready = ResourceReport {
        kind: "rds-cluster".into(),
        status: ResourceStatus::Ready,
        arn: Some("arn:aws:rds:eu-west-1:123456789012:cluster:db".into()),
        external_id: None,
        region: None,
        metadata: None,
        error: None,
    };
    let (next, resource) = report(&t, "db", &ready, "t2").unwrap();
    let next = next.unwrap();
    assert_eq!(resource.version, 2);
    assert_eq!(next.provisioning.status, ProvisioningStatus::Ready);
    assert!(
        report(&next, "db", &ready, "t3").unwrap().0.is_none(),
        "a repeat"
    );
    ready.kind = "s3-bucket".into();
    assert_eq!(
        report(&next, "db", &ready, "t3").unwrap_err().code(),
        "validation_error"
    );
    assert_eq!(
        report(&next, OWNER_INVITATION, &ready, "t3")
            .unwrap_err()
            .code(),
        "invalid_state"
    );
}

#[test]
fn deleting_announces_every_resource_and_ends_deprovisioned() {
    let t = tenant(json!({"name": "A", "slug": "acme", "plan": "enterprise",
        "ownerEmail": "o@a.example"}));
    let t = start(&t, &blueprint(), "t1").unwrap();
    let t = record_step(&t, OWNER_INVITATION, None, false, done(), "t2").unwrap();
    let deleted = t.deleted("t3").unwrap();
    let t = start_deprovisioning(&deleted, "t3").unwrap();
    assert_eq!(t.provisioning.status, ProvisioningStatus::Deprovisioning);
    assert_eq!(
        next_step(&t, "t3"),
        NextStep::Run {
            id: OWNER_INVITATION.into(),
            step: Step::OwnerInvitation,
            undo: true
        }
    );
    let t = record_step(&t, OWNER_INVITATION, None, true, done(), "t4").unwrap();
    assert_eq!(t.provisioning.status, ProvisioningStatus::Deprovisioning);
    let gone = ResourceReport {
        kind: "rds-cluster".into(),
        status: ResourceStatus::Deleted,
        arn: None,
        external_id: None,
        region: None,
        metadata: None,
        error: None,
    };
    let t = report(&t, "db", &gone, "t5").unwrap().0.unwrap();
    assert_eq!(t.provisioning.status, ProvisioningStatus::Deprovisioned);
    assert!(start_deprovisioning(&t, "t6").is_none());
}

#[test]
fn a_resource_error_holds_only_a_code_and_a_message_in_its_schema_too() {
    use utoipa::PartialSchema;
    let schema = serde_json::to_value(ResourceError::schema()).unwrap();
    assert_eq!(schema["additionalProperties"], json!(false));
    assert_eq!(schema["required"], json!(["code", "message"]));
    let extra = json!({"code": "AccessDenied", "message": "no", "retry": true});
    assert!(serde_json::from_value::<ResourceError>(extra).is_err());
}
