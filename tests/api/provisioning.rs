//! Provisioning against moto: the worker's built-in steps (the owner's invitation through
//! SES v2, the tenant's role through STS, which the local server makes honour IAM trust
//! policies), external provisioners' reports, retries, duplicate deliveries, the owner's
//! invitation, and deprovisioning after a delete.

use integration_tests::{
    customer_role, invitation_token, sent_mail, spawn_app, spawn_app_with, TestApp, TestRequest,
};
use serde_json::{json, Value};

fn id(tenant: &Value) -> String {
    tenant["id"].as_str().expect("a tenant id").to_owned()
}

/// A role ARN no other test uses, in the local account.
fn role_arn(name: &str) -> String {
    format!(
        "arn:aws:iam::123456789012:role/tenant-api-{name}-{}",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    )
}

/// An email address no other test uses.
fn owner_email(name: &str) -> String {
    format!("{name}-{}@owner.example", uuid::Uuid::now_v7().simple())
}

async fn resources(app: &TestApp, tenant: &str) -> Vec<Value> {
    let r = app.get(&format!("/v1/tenants/{tenant}/resources")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"].as_array().cloned().unwrap_or_default()
}

fn resource<'a>(list: &'a [Value], id: &str) -> &'a Value {
    list.iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no resource {id} in {list:?}"))
}

async fn types_of(app: &TestApp, tenant: &str) -> Vec<String> {
    app.stored_events()
        .await
        .into_iter()
        .filter(|e| e["tenantId"] == tenant)
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn mails_to(to: &str) -> usize {
    sent_mail()
        .iter()
        .filter(|m| m["destinations"]["ToAddresses"][0] == to)
        .count()
}

/// A tenant with an owner and a role that trusts the platform with its external id.
async fn integrated_tenant(app: &TestApp, slug: &str) -> (Value, String, String) {
    let (email, arn) = (owner_email(slug), role_arn(slug));
    customer_role(&arn, Some("ext-4711"));
    let tenant = app
        .create_tenant(&json!({
            "name": "Integrated", "slug": slug, "ownerEmail": email,
            "awsRoleArn": arn, "awsExternalId": "ext-4711", "awsRegion": "eu-west-1"
        }))
        .await;
    (tenant, email, arn)
}

#[tokio::test]
async fn a_new_tenant_answers_at_once_and_becomes_ready_with_both_built_in_resources() {
    let app = spawn_app().await;
    let (tenant, email, arn) = integrated_tenant(&app, "both-steps").await;
    assert_eq!(tenant["provisioning"]["status"], "pending");
    let tenant_id = id(&tenant);

    assert!(app.deliver_provisioning(&tenant_id, 1).await.is_empty());

    let now = app.tenant(&tenant_id).await;
    let p = &now["provisioning"];
    assert_eq!(p["status"], "ready", "{p}");
    assert_eq!(p["attempts"], 1);
    assert!(p["startedAt"].is_string() && p["completedAt"].is_string());
    assert_eq!(p["failures"], json!([]));
    let list = resources(&app, &tenant_id).await;
    assert_eq!(list.len(), 2);
    let invitation = resource(&list, "owner-invitation");
    assert_eq!(invitation["status"], "ready");
    assert_eq!(invitation["builtIn"], true);
    assert_eq!(invitation["metadata"]["email"], email.as_str());
    let aws = resource(&list, "aws-integration");
    assert_eq!(aws["status"], "ready");
    let assumed = aws["arn"].as_str().unwrap();
    let role_name = arn.rsplit('/').next().unwrap();
    assert!(
        assumed.starts_with(&format!(
            "arn:aws:sts::123456789012:assumed-role/{role_name}/"
        )),
        "{assumed}"
    );
    assert_eq!(aws["externalId"], "ext-4711");
    assert_eq!(aws["region"], "eu-west-1");
    assert_eq!(mails_to(&email), 1);
    let token = invitation_token(&email).expect("the invitation carries a token");
    assert!(token.starts_with("inv_"));
    assert!(
        !serde_json::to_string(&app.stored_events().await)
            .unwrap()
            .contains(&token),
        "no event holds the token"
    );
    assert_eq!(
        types_of(&app, &tenant_id).await,
        [
            "tenant.created",
            "tenant.provisioning_started",
            "tenant.invitation_sent",
            "tenant.provisioned"
        ]
    );
}

#[tokio::test]
async fn a_refused_role_fails_with_the_sts_code_and_a_retry_after_the_fix_makes_it_ready() {
    let app = spawn_app().await;
    let arn = role_arn("fixme");
    let tenant = app
        .create_tenant(&json!({
            "name": "Wrong role", "slug": "wrong-role", "awsRoleArn": arn, "awsExternalId": "ext-1"
        }))
        .await;
    let tenant_id = id(&tenant);
    assert!(app.deliver_provisioning(&tenant_id, 1).await.is_empty());
    let failed = app.tenant(&tenant_id).await;
    assert_eq!(failed["provisioning"]["status"], "failed");
    let failure = &failed["provisioning"]["failures"][0];
    assert_eq!(failure["resourceId"], "aws-integration");
    assert_eq!(failure["error"]["code"], "AccessDenied");
    assert!(failure["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not authorized"));

    // The customer creates the role; a platform admin retries.
    customer_role(&arn, Some("ext-1"));
    let retried = app
        .post(
            &format!("/v1/tenants/{tenant_id}/provisioning/retry"),
            &json!({}),
        )
        .await;
    assert_eq!(retried.status, 202, "{}", retried.body);
    assert_eq!(retried.body["status"], "in_progress");
    assert_eq!(retried.body["attempts"], 2);
    assert!(app.deliver_provisioning(&tenant_id, 1).await.is_empty());
    let ready = app.tenant(&tenant_id).await;
    assert_eq!(
        ready["provisioning"]["status"], "ready",
        "{}",
        ready["provisioning"]
    );
    assert_eq!(ready["provisioning"]["failures"], json!([]));
    assert_eq!(
        types_of(&app, &tenant_id).await,
        [
            "tenant.created",
            "tenant.provisioning_started",
            "tenant.provisioning_failed",
            "tenant.provisioning_retried",
            "tenant.provisioned"
        ]
    );
    // Nothing left to retry.
    let again = app
        .post(
            &format!("/v1/tenants/{tenant_id}/provisioning/retry"),
            &json!({}),
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.code(), "invalid_state");
}

const EXTERNAL_BLUEPRINT: &str = r#"{"default": ["owner-invitation"],
  "plans": {"enterprise": ["owner-invitation", {"id": "dedicated-database", "type": "rds-cluster"}]}}"#;

#[tokio::test]
async fn an_external_resource_keeps_the_tenant_in_progress_until_a_provisioner_reports_it() {
    let app = spawn_app_with(&[("PROVISIONING_BLUEPRINT", EXTERNAL_BLUEPRINT)]).await;
    let email = owner_email("external");
    let tenant = app
        .create_tenant(
            &json!({"name": "Big", "slug": "big-co", "plan": "enterprise", "ownerEmail": email}),
        )
        .await;
    let tenant_id = id(&tenant);
    app.deliver_provisioning(&tenant_id, 1).await;
    assert_eq!(
        app.tenant(&tenant_id).await["provisioning"]["status"],
        "in_progress"
    );
    let started = app
        .stored_events()
        .await
        .into_iter()
        .find(|e| e["type"] == "tenant.provisioning_started")
        .expect("provisioning started");
    assert_eq!(
        started["resources"],
        json!([resource(
            &resources(&app, &tenant_id).await,
            "dedicated-database"
        )]),
        "the start announces the external resource to provisioners"
    );

    let key = app
        .create_api_key(&json!({"name": "rds provisioner", "roles": ["provisioner"]}))
        .await;
    let key = key["key"].as_str().unwrap().to_owned();
    let path = format!("/v1/tenants/{tenant_id}/resources/dedicated-database");
    let report = json!({"type": "rds-cluster", "status": "in_progress"});
    let put = |body: Value| TestRequest::new("PUT", &path).json(&body).api_key(&key);
    let first = app.send(put(report.clone())).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.header("etag"), Some("\"2\""));
    // The same report again changes nothing.
    let repeat = app.send(put(report)).await;
    assert_eq!(repeat.status, 200);
    assert_eq!(repeat.body["version"], 2);
    assert_eq!(
        app.tenant(&tenant_id).await["provisioning"]["status"],
        "in_progress"
    );
    // A stale If-Match is refused; the current one applies.
    let ready = json!({"type": "rds-cluster", "status": "ready",
        "arn": "arn:aws:rds:eu-west-1:123456789012:cluster:big-co", "region": "eu-west-1",
        "metadata": {"engine": "aurora-postgresql"}});
    let stale = app
        .send(put(ready.clone()).header("if-match", "\"1\""))
        .await;
    assert_eq!(stale.status, 412);
    let done = app.send(put(ready).header("if-match", "\"2\"")).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        done.body["arn"],
        "arn:aws:rds:eu-west-1:123456789012:cluster:big-co"
    );
    assert_eq!(
        app.tenant(&tenant_id).await["provisioning"]["status"],
        "ready"
    );

    // The provisioner reads tenants and reports resources, and nothing else.
    let read = app
        .send(TestRequest::new("GET", &format!("/v1/tenants/{tenant_id}")).api_key(&key))
        .await;
    assert_eq!(read.status, 200);
    let patch = app
        .send(TestRequest::new("DELETE", &format!("/v1/tenants/{tenant_id}")).api_key(&key))
        .await;
    assert_eq!(patch.status, 404);
    let create = app
        .send(
            TestRequest::new("POST", "/v1/tenants")
                .json(&json!({"name": "x", "slug": "x-by-provisioner"}))
                .api_key(&key),
        )
        .await;
    assert_eq!(create.status, 403);
    assert!(create.body["notices"]
        .as_array()
        .unwrap()
        .contains(&json!("provisioner-only-reads-and-reports")));
}

#[tokio::test]
async fn bad_resource_reports_get_a_clear_400_and_built_in_steps_cannot_be_reported() {
    let app = spawn_app().await;
    let tenant = app.create_named("reports").await;
    let base = format!("/v1/tenants/{}/resources", id(&tenant));
    for (path, body, fields) in [
        ("db", json!({"status": "ready"}), vec!["type"]),
        ("db", json!({"type": "x", "status": "done"}), vec!["status"]),
        (
            "db",
            json!({"type": "x", "status": "failed"}),
            vec!["error"],
        ),
        (
            "db",
            json!({"type": "x", "status": "ready", "error": {"code": "E", "message": "m"}}),
            vec!["error"],
        ),
        (
            "db",
            json!({"type": "x", "status": "ready", "arn": "not-an-arn", "region": "mars-1"}),
            vec!["arn", "region"],
        ),
        (
            "db",
            json!({"type": "x", "status": "ready", "bogus": 1}),
            vec!["bogus"],
        ),
        (
            "Bad_Id",
            json!({"type": "x", "status": "ready"}),
            vec!["resourceId"],
        ),
    ] {
        let r = app
            .send(TestRequest::new("PUT", &format!("{base}/{path}")).json(&body))
            .await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        let mut got = r.invalid_fields();
        got.sort();
        assert_eq!(got, fields, "{body}");
    }
    let built_in = app
        .send(
            TestRequest::new("PUT", &format!("{base}/owner-invitation"))
                .json(&json!({"type": "owner-invitation", "status": "ready"})),
        )
        .await;
    assert_eq!(built_in.status, 409);
    let created = app
        .send(
            TestRequest::new("PUT", &format!("{base}/cdn"))
                .json(&json!({"type": "cloudfront", "status": "ready"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["required"], false, "not in the blueprint");
    let wrong_type = app
        .send(
            TestRequest::new("PUT", &format!("{base}/cdn"))
                .json(&json!({"type": "s3-bucket", "status": "ready"})),
        )
        .await;
    assert_eq!(wrong_type.status, 400);
}

#[tokio::test]
async fn duplicate_and_concurrent_deliveries_change_nothing() {
    let app = spawn_app().await;
    let (tenant, email, _) = integrated_tenant(&app, "dupes").await;
    let tenant_id = id(&tenant);
    let created: Vec<Value> = app
        .stored_events()
        .await
        .into_iter()
        .filter(|e| e["type"] == "tenant.created")
        .collect();
    // Five copies of the same message in one batch, then the batch again.
    let copies = vec![created[0].clone(); 5];
    assert!(app.deliver_messages(&copies, 1).await.is_empty());
    let after_first = app.tenant(&tenant_id).await;
    let events_first = types_of(&app, &tenant_id).await;
    assert!(app.deliver_messages(&copies, 2).await.is_empty());
    let after_second = app.tenant(&tenant_id).await;
    assert_eq!(after_first["version"], after_second["version"]);
    assert_eq!(events_first, types_of(&app, &tenant_id).await);
    assert_eq!(after_second["provisioning"]["status"], "ready");
    assert_eq!(mails_to(&email), 1, "one invitation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_creates_make_one_tenant_and_one_provisioning_run() {
    let app = std::sync::Arc::new(spawn_app().await);
    let email = owner_email("race");
    let tenant_id = format!("tenant_{}", uuid::Uuid::now_v7());
    let body = json!({"id": tenant_id, "name": "Race", "slug": "race-once", "ownerEmail": email});
    let creates: Vec<_> = (0..20)
        .map(|_| {
            let (app, body) = (app.clone(), body.clone());
            tokio::spawn(async move { app.post("/v1/tenants", &body).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for create in creates {
        statuses.push(create.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "replays: {statuses:?}"
    );
    // The outbox holds one tenant.created: deliver it 20 times at once.
    let deliveries: Vec<_> = (0..20)
        .map(|_| {
            let (app, tenant_id) = (app.clone(), tenant_id.clone());
            tokio::spawn(async move { app.deliver_provisioning(&tenant_id, 1).await })
        })
        .collect();
    for delivery in deliveries {
        delivery.await.unwrap();
    }
    // A delivery that lost every race asks for another; one more settles everything.
    app.deliver_provisioning(&tenant_id, 1).await;
    let types = types_of(&app, &tenant_id).await;
    let count = |t: &str| types.iter().filter(|x| *x == t).count();
    assert_eq!(count("tenant.created"), 1, "{types:?}");
    assert_eq!(count("tenant.provisioning_started"), 1, "{types:?}");
    assert_eq!(count("tenant.provisioned"), 1, "{types:?}");
    assert_eq!(mails_to(&email), 1);
    assert_eq!(
        app.tenant(&tenant_id).await["provisioning"]["status"],
        "ready"
    );
}

#[tokio::test]
async fn a_step_that_keeps_failing_transiently_fails_on_the_last_delivery_never_stuck() {
    // Nothing listens on port 9: every STS call fails to connect.
    let app = spawn_app_with(&[("STS_ENDPOINT", "http://127.0.0.1:9")]).await;
    let tenant = app
        .create_tenant(&json!({"name": "Unreachable", "slug": "unreachable",
            "awsRoleArn": role_arn("unreachable")}))
        .await;
    let tenant_id = id(&tenant);
    let failed = app.deliver_provisioning(&tenant_id, 1).await;
    assert_eq!(
        failed.len(),
        1,
        "a transient failure asks for another delivery"
    );
    let list = resources(&app, &tenant_id).await;
    assert_eq!(resource(&list, "aws-integration")["status"], "pending");
    assert_eq!(
        app.tenant(&tenant_id).await["provisioning"]["status"],
        "in_progress"
    );
    // The queue's fifth delivery is the last (PROVISIONING_MAX_RECEIVES).
    assert!(app.deliver_provisioning(&tenant_id, 5).await.is_empty());
    let now = app.tenant(&tenant_id).await;
    assert_eq!(now["provisioning"]["status"], "failed");
    assert_eq!(
        now["provisioning"]["failures"][0]["error"]["code"],
        "RetriesExhausted"
    );
}

#[tokio::test]
async fn an_unreachable_mail_service_hands_the_invitation_step_back_for_the_next_delivery() {
    let app = spawn_app_with(&[("SES_ENDPOINT", "http://127.0.0.1:9")]).await;
    let tenant = app
        .create_tenant(
            &json!({"name": "No mail", "slug": "no-mail", "ownerEmail": owner_email("nomail")}),
        )
        .await;
    let tenant_id = id(&tenant);
    assert_eq!(app.deliver_provisioning(&tenant_id, 1).await.len(), 1);
    let list = resources(&app, &tenant_id).await;
    let step = resource(&list, "owner-invitation");
    assert_eq!(
        step["status"], "pending",
        "not left in progress under a lease"
    );
    assert_eq!(step["attempts"], 1);
    assert!(app.deliver_provisioning(&tenant_id, 5).await.is_empty());
    let list = resources(&app, &tenant_id).await;
    assert_eq!(resource(&list, "owner-invitation")["status"], "failed");
}

async fn ready_owner_invitation(app: &TestApp, slug: &str) -> (String, String, String) {
    let email = owner_email(slug);
    let tenant = app
        .create_tenant(&json!({"name": "Invited", "slug": slug, "ownerEmail": email}))
        .await;
    let tenant_id = id(&tenant);
    assert!(app.deliver_provisioning(&tenant_id, 1).await.is_empty());
    let token = invitation_token(&email).expect("an invitation was mailed");
    (tenant_id, email, token)
}

/// `POST /v1/invitations/accept` of `token` by user `user` whose token carries `email`,
/// verified.
fn accept(app: &TestApp, user: &str, email: &str, token: &str) -> TestRequest {
    TestRequest::new("POST", "/v1/invitations/accept")
        .json(&json!({ "token": token }))
        .bearer(&app.email_token(user, email, true))
}

#[tokio::test]
async fn an_invitation_is_accepted_once_making_the_caller_admin_and_owner() {
    let app = spawn_app().await;
    let (tenant_id, email, token) = ready_owner_invitation(&app, "accept-once").await;
    let accepted = app.send(accept(&app, "ada", &email, &token)).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(accepted.body["id"], tenant_id.as_str());
    assert_eq!(accepted.body["ownerUserId"], "ada");
    assert_eq!(accepted.body["currentUserRoles"], json!(["tenant_admin"]));
    // Ada is now an admin: she may update her tenant's own fields.
    let patch = app
        .send(
            TestRequest::new("PATCH", &format!("/v1/tenants/{tenant_id}"))
                .header("content-type", "application/merge-patch+json")
                .raw(br#"{"locale": "en-GB"}"#)
                .bearer(&app.token("ada", &[], None)),
        )
        .await;
    assert_eq!(patch.status, 200, "{}", patch.body);
    let admins = app.get(&format!("/v1/tenants/{tenant_id}/admins")).await;
    assert_eq!(admins.body["items"][0]["userId"], "ada");
    let event = app
        .stored_events()
        .await
        .into_iter()
        .find(|e| e["type"] == "tenant.owner_activated")
        .expect("an owner_activated event");
    assert_eq!(event["admin"]["userId"], "ada");
    assert_eq!(
        event["changes"]["ownerUserId"],
        json!({"from": null, "to": "ada"})
    );

    let second = app.send(accept(&app, "eve", &email, &token)).await;
    assert_eq!(second.status, 404);
    assert_eq!(second.code(), "not_found");
    // Resending after acceptance is refused: the owner is active.
    let resend = app
        .post(&format!("/v1/tenants/{tenant_id}/invitation"), &json!({}))
        .await;
    assert_eq!(resend.status, 409);
}

#[tokio::test]
async fn an_expired_invitation_answers_410_and_bad_tokens_400_or_404() {
    let app = spawn_app().await;
    let (_, email, token) = ready_owner_invitation(&app, "expired").await;
    // Age the stored invitation past its expiry.
    let hash = tenant_shared::domain::invitation::hash(&token);
    app.client
        .update_item()
        .table_name(&app.table)
        .key(
            "PK",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("INVITATION#{hash}")),
        )
        .key(
            "SK",
            aws_sdk_dynamodb::types::AttributeValue::S("INVITATION".into()),
        )
        .update_expression("SET validUntil = :past")
        .expression_attribute_values(
            ":past",
            aws_sdk_dynamodb::types::AttributeValue::S("2020-01-01T00:00:00.000Z".into()),
        )
        .send()
        .await
        .unwrap();
    let expired = app.send(accept(&app, "ada", &email, &token)).await;
    assert_eq!(expired.status, 410, "{}", expired.body);
    assert_eq!(expired.code(), "invitation_expired");

    let unknown = app
        .send(accept(
            &app,
            "ada",
            &email,
            &format!("inv_{}", "A".repeat(43)),
        ))
        .await;
    assert_eq!(unknown.status, 404);
    for bad in [
        json!({"token": "nope"}),
        json!({}),
        json!({"token": 5}),
        json!({"token": token, "x": 1}),
    ] {
        let r = app
            .send(
                TestRequest::new("POST", "/v1/invitations/accept")
                    .json(&bad)
                    .bearer(&app.token("ada", &[], None)),
            )
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }
    let anonymous = app
        .send(
            TestRequest::new("POST", "/v1/invitations/accept")
                .json(&json!({"token": token}))
                .anonymous(),
        )
        .await;
    assert_eq!(anonymous.status, 401);
    let key = app
        .create_api_key(&json!({"name": "k", "roles": ["platform_admin"]}))
        .await;
    let by_key = app
        .send(
            TestRequest::new("POST", "/v1/invitations/accept")
                .json(&json!({"token": token}))
                .api_key(key["key"].as_str().unwrap()),
        )
        .await;
    assert_eq!(by_key.status, 403, "API keys accept nothing");
}

#[tokio::test]
async fn resending_an_invitation_invalidates_the_old_link() {
    let app = spawn_app().await;
    let (tenant_id, email, old) = ready_owner_invitation(&app, "resend").await;
    let admin = app.token(
        "tenant-boss",
        &[tenant_shared::domain::Role::TenantAdmin],
        Some(&tenant_id),
    );
    let resent = app
        .send(
            TestRequest::new("POST", &format!("/v1/tenants/{tenant_id}/invitation")).bearer(&admin),
        )
        .await;
    assert_eq!(resent.status, 202, "{}", resent.body);
    assert_eq!(resent.body["email"], email.as_str());
    assert_eq!(mails_to(&email), 2);
    let new = invitation_token(&email).unwrap();
    assert_ne!(new, old);
    assert_eq!(
        app.send(accept(&app, "ada", &email, &old)).await.status,
        404
    );
    assert_eq!(
        app.send(accept(&app, "ada", &email, &new)).await.status,
        200
    );
    assert!(
        types_of(&app, &tenant_id)
            .await
            .iter()
            .filter(|t| *t == "tenant.invitation_sent")
            .count()
            == 2
    );
}

#[tokio::test]
async fn deleting_a_tenant_deprovisions_it_and_revokes_the_pending_invitation() {
    let app = spawn_app_with(&[("PROVISIONING_BLUEPRINT", EXTERNAL_BLUEPRINT)]).await;
    let email = owner_email("deleted");
    let tenant = app
        .create_tenant(&json!({"name": "Leaving", "slug": "leaving", "plan": "enterprise", "ownerEmail": email}))
        .await;
    let tenant_id = id(&tenant);
    app.deliver_provisioning(&tenant_id, 1).await;
    let token = invitation_token(&email).unwrap();
    let path = format!("/v1/tenants/{tenant_id}/resources/dedicated-database");
    let ready = app
        .send(
            TestRequest::new("PUT", &path).json(&json!({"type": "rds-cluster", "status": "ready"})),
        )
        .await;
    assert_eq!(ready.status, 200);
    assert_eq!(
        app.delete(&format!("/v1/tenants/{tenant_id}")).await.status,
        200
    );
    app.deliver_provisioning(&tenant_id, 1).await;

    let now = app.tenant(&tenant_id).await;
    assert_eq!(now["status"], "deleted");
    assert_eq!(now["provisioning"]["status"], "deprovisioning");
    let list = resources(&app, &tenant_id).await;
    assert_eq!(resource(&list, "owner-invitation")["status"], "deleted");
    assert_eq!(resource(&list, "dedicated-database")["status"], "deleting");
    assert_eq!(
        app.send(accept(&app, "ada", &email, &token)).await.status,
        404,
        "revoked"
    );
    let announced = app
        .stored_events()
        .await
        .into_iter()
        .find(|e| e["type"] == "tenant.deprovisioning_started")
        .unwrap();
    assert_eq!(announced["resources"][0]["id"], "dedicated-database");

    let gone = app
        .send(
            TestRequest::new("PUT", &path)
                .json(&json!({"type": "rds-cluster", "status": "deleted"})),
        )
        .await;
    assert_eq!(gone.status, 200, "{}", gone.body);
    let now = app.tenant(&tenant_id).await;
    assert_eq!(now["provisioning"]["status"], "deprovisioned");
    assert!(types_of(&app, &tenant_id)
        .await
        .contains(&"tenant.deprovisioned".to_owned()));
    // A late duplicate of the delete finds nothing to do.
    let version = now["version"].clone();
    app.deliver_provisioning(&tenant_id, 1).await;
    assert_eq!(app.tenant(&tenant_id).await["version"], version);
}

fn is_drawn_external_id(value: &Value) -> bool {
    value.as_str().is_some_and(|id| {
        id.strip_prefix("ext_")
            .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

#[tokio::test]
async fn the_platform_draws_each_tenants_external_id_and_assumes_its_role_with_it() {
    let app = spawn_app().await;
    let arn = role_arn("drawn");
    let tenant = app
        .create_tenant(&json!({"name": "Drawn", "slug": "drawn-id", "awsRoleArn": arn}))
        .await;
    let other = app.create_named("drawn-other").await;
    let drawn = tenant["awsExternalId"].clone();
    assert!(is_drawn_external_id(&drawn), "{drawn}");
    assert!(is_drawn_external_id(&other["awsExternalId"]));
    assert_ne!(drawn, other["awsExternalId"], "one per tenant");
    // The customer puts the id it was given in its role's trust policy.
    customer_role(&arn, drawn.as_str());
    let tenant_id = id(&tenant);
    assert!(app.deliver_provisioning(&tenant_id, 1).await.is_empty());
    let aws = resource(&resources(&app, &tenant_id).await, "aws-integration").clone();
    assert_eq!(aws["status"], "ready", "{aws}");
    assert_eq!(aws["externalId"], drawn);
}

#[tokio::test]
async fn only_a_platform_admin_imports_or_rotates_an_external_id() {
    let app = spawn_app().await;
    let tenant = app.create_named("rotated").await;
    let tenant_id = id(&tenant);
    let path = format!("/v1/tenants/{tenant_id}");
    let admin = app.token(
        "tenant-boss",
        &[tenant_shared::domain::Role::TenantAdmin],
        Some(&tenant_id),
    );
    let patch = |body: Value| {
        TestRequest::new("PATCH", &path)
            .header("content-type", "application/merge-patch+json")
            .raw(body.to_string().as_bytes())
    };
    for body in [
        json!({"awsExternalId": "chosen-by-the-customer"}),
        json!({"awsExternalId": null}),
    ] {
        let refused = app.send(patch(body.clone()).bearer(&admin)).await;
        assert_eq!(refused.status, 403, "{body}: {}", refused.body);
        assert_eq!(
            refused.body["notices"],
            json!(["aws-external-id-is-chosen-by-the-platform"])
        );
    }
    let unchanged = app
        .send(
            patch(json!({"awsExternalId": tenant["awsExternalId"], "locale": "de"})).bearer(&admin),
        )
        .await;
    assert_eq!(
        unchanged.status, 200,
        "sent back as read: {}",
        unchanged.body
    );
    assert_eq!(unchanged.body["awsExternalId"], tenant["awsExternalId"]);

    let imported = app
        .send(patch(json!({"awsExternalId": "imported-4711"})))
        .await;
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert_eq!(imported.body["awsExternalId"], "imported-4711");
    let rotated = app.send(patch(json!({"awsExternalId": null}))).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    assert!(is_drawn_external_id(&rotated.body["awsExternalId"]));
    assert_ne!(rotated.body["awsExternalId"], tenant["awsExternalId"]);
}

#[tokio::test]
async fn a_tenant_stored_without_an_external_id_reads_and_gets_one_at_its_first_role_check() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let app = spawn_app().await;
    let arn = role_arn("legacy");
    let tenant = app
        .create_tenant(&json!({"name": "Legacy", "slug": "legacy-ext", "awsRoleArn": arn}))
        .await;
    let tenant_id = id(&tenant);
    // As the code before generated external ids wrote it: without one.
    app.client
        .update_item()
        .table_name(&app.table)
        .key("PK", AttributeValue::S(format!("TENANT#{tenant_id}")))
        .key("SK", AttributeValue::S("TENANT".into()))
        .update_expression("REMOVE awsExternalId")
        .send()
        .await
        .unwrap();
    let read = app.tenant(&tenant_id).await;
    assert!(read["awsExternalId"].is_null(), "{read}");
    let admin = app.token(
        "tenant-boss",
        &[tenant_shared::domain::Role::TenantAdmin],
        Some(&tenant_id),
    );
    let patched = app
        .send(
            TestRequest::new("PATCH", &format!("/v1/tenants/{tenant_id}"))
                .json(&json!({"locale": "it"}))
                .bearer(&admin),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert!(patched.body["awsExternalId"].is_null());

    // Its role trusted the platform without the id it is about to get.
    customer_role(&arn, Some("old-unchecked"));
    assert!(app.deliver_provisioning(&tenant_id, 1).await.is_empty());
    let now = app.tenant(&tenant_id).await;
    let drawn = now["awsExternalId"].clone();
    assert!(is_drawn_external_id(&drawn), "{now}");
    assert_eq!(
        now["provisioning"]["failures"][0]["error"]["code"],
        "AccessDenied"
    );
    let updated = app
        .stored_events()
        .await
        .into_iter()
        .find(|e| e["type"] == "tenant.updated" && e["actor"]["id"] == "provision-tenant")
        .expect("the drawn id is an event of the worker's");
    assert_eq!(updated["changes"]["awsExternalId"]["to"], drawn);

    // The customer trusts the drawn id; a retry assumes the role with it.
    customer_role(&arn, drawn.as_str());
    let retried = app
        .post(
            &format!("/v1/tenants/{tenant_id}/provisioning/retry"),
            &json!({}),
        )
        .await;
    assert_eq!(retried.status, 202, "{}", retried.body);
    assert!(app.deliver_provisioning(&tenant_id, 1).await.is_empty());
    let aws = resource(&resources(&app, &tenant_id).await, "aws-integration").clone();
    assert_eq!(aws["status"], "ready", "{aws}");
    assert_eq!(aws["externalId"], drawn);
}

fn resend_as_tenant_admin(app: &TestApp, tenant_id: &str) -> TestRequest {
    let admin = app.token(
        "tenant-boss",
        &[tenant_shared::domain::Role::TenantAdmin],
        Some(tenant_id),
    );
    TestRequest::new("POST", &format!("/v1/tenants/{tenant_id}/invitation")).bearer(&admin)
}

#[tokio::test]
async fn a_resend_within_the_interval_is_429_with_retry_after_and_sends_and_changes_nothing() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let app = spawn_app_with(&[("INVITATION_RESEND_INTERVAL_MINUTES", "15")]).await;
    let (tenant_id, email, _) = ready_owner_invitation(&app, "resend-limit").await;
    let started = std::time::Instant::now();
    let first = app.send(resend_as_tenant_admin(&app, &tenant_id)).await;
    assert_eq!(first.status, 202, "{}", first.body);
    let token = invitation_token(&email).unwrap();
    let (version, mails, events) = (
        app.tenant(&tenant_id).await["version"].clone(),
        mails_to(&email),
        types_of(&app, &tenant_id).await.len(),
    );
    for request in [
        resend_as_tenant_admin(&app, &tenant_id),
        // The limit is the tenant's: a platform admin waits too.
        TestRequest::new("POST", &format!("/v1/tenants/{tenant_id}/invitation")),
    ] {
        let again = app.send(request).await;
        assert_eq!(again.status, 429, "{}", again.body);
        assert_eq!(again.code(), "rate_limited");
        let wait: u64 = again
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .unwrap();
        assert!((1..=15 * 60).contains(&wait), "{wait}");
        // Counted from the last resend: what is left of its 15 minutes.
        let elapsed = started.elapsed().as_secs();
        assert!(wait + elapsed + 1 >= 15 * 60, "{wait} s after {elapsed} s");
        assert_eq!(again.body["details"]["retryAfterSeconds"], wait);
        assert!(again.body["requestId"].is_string());
    }
    assert_eq!(
        app.tenant(&tenant_id).await["version"],
        version,
        "nothing written"
    );
    assert_eq!(mails_to(&email), mails, "nothing sent");
    assert_eq!(types_of(&app, &tenant_id).await.len(), events, "no event");
    assert_eq!(
        invitation_token(&email).unwrap(),
        token,
        "the link still works"
    );

    // Once the interval has passed since the last resend, the next one goes out.
    let long_ago = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 15 * 60
        - 1)
    .to_string();
    app.client
        .update_item()
        .table_name(&app.table)
        .key("PK", AttributeValue::S(format!("TENANT#{tenant_id}")))
        .key("SK", AttributeValue::S("TENANT".into()))
        .update_expression("SET invitationResentAt = :t")
        .expression_attribute_values(":t", AttributeValue::N(long_ago))
        .send()
        .await
        .unwrap();
    let later = app.send(resend_as_tenant_admin(&app, &tenant_id)).await;
    assert_eq!(later.status, 202, "{}", later.body);
    assert_eq!(mails_to(&email), mails + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_resends_send_exactly_one_mail() {
    let app = std::sync::Arc::new(spawn_app().await);
    let (tenant_id, email, _) = ready_owner_invitation(&app, "resend-race").await;
    let mails = mails_to(&email);
    let resends: Vec<_> = (0..8)
        .map(|_| {
            let (app, tenant_id) = (app.clone(), tenant_id.clone());
            tokio::spawn(async move {
                app.send(resend_as_tenant_admin(&app, &tenant_id))
                    .await
                    .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for resend in resends {
        statuses.push(resend.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [202, 429, 429, 429, 429, 429, 429, 429]);
    assert_eq!(mails_to(&email), mails + 1);
}

#[tokio::test]
async fn the_invitation_mail_quotes_the_tenant_name_in_its_body_never_in_its_subject() {
    let app = spawn_app().await;
    let email = owner_email("subject");
    let name = "URGENT: verify your bank account at evil.example";
    let tenant = app
        .create_tenant(&json!({"name": name, "slug": "subject-line", "ownerEmail": email}))
        .await;
    assert!(app.deliver_provisioning(&id(&tenant), 1).await.is_empty());
    let resent = app.send(resend_as_tenant_admin(&app, &id(&tenant))).await;
    assert_eq!(resent.status, 202, "{}", resent.body);
    let mails: Vec<Value> = sent_mail()
        .into_iter()
        .filter(|m| m["destinations"]["ToAddresses"][0] == email.as_str())
        .collect();
    assert_eq!(mails.len(), 2, "the worker's and the resend's");
    for mail in mails {
        let subject = mail["subject"].as_str().unwrap();
        assert!(
            !subject.contains("URGENT") && !subject.contains("evil"),
            "{subject}"
        );
        let body = mail["body"].as_str().unwrap();
        assert!(body.contains(&format!("\"{name}\"")), "{body}");
    }
}

#[tokio::test]
async fn only_the_invited_verified_email_accepts_and_a_refusal_spends_nothing() {
    let app = spawn_app().await;
    let (tenant_id, email, token) = ready_owner_invitation(&app, "whose-link").await;
    let version = app.tenant(&tenant_id).await["version"].clone();
    let events = types_of(&app, &tenant_id).await.len();
    let post = |bearer: String| {
        TestRequest::new("POST", "/v1/invitations/accept")
            .json(&json!({ "token": token }))
            .bearer(&bearer)
    };
    for (why, bearer) in [
        (
            "another address",
            app.email_token("eve", "eve@elsewhere.example", true),
        ),
        (
            "the invited address, unverified",
            app.email_token("eve", &email, false),
        ),
        ("no email at all", app.token("eve", &[], None)),
        ("a platform admin without the address", app.admin_token()),
    ] {
        let refused = app.send(post(bearer)).await;
        assert_eq!(refused.status, 403, "{why}: {}", refused.body);
        assert_eq!(refused.code(), "invitation_email_mismatch", "{why}");
        assert_eq!(
            refused.body["notices"],
            json!(["invitations-are-accepted-by-the-invited-email"])
        );
        assert!(
            !refused.body.to_string().contains(&email),
            "the invited address is not disclosed"
        );
    }
    assert_eq!(app.tenant(&tenant_id).await["version"], version);
    assert_eq!(types_of(&app, &tenant_id).await.len(), events);
    assert!(app
        .get(&format!("/v1/tenants/{tenant_id}/admins"))
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .is_empty());

    // The invited person, whatever the case of the address, still accepts.
    let accepted = app
        .send(post(app.email_token("ada", &email.to_uppercase(), true)))
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(accepted.body["ownerUserId"], "ada");
}

#[tokio::test]
async fn the_mailed_link_carries_the_token_in_its_fragment_not_its_query() {
    let app = spawn_app().await;
    let (_, email, token) = ready_owner_invitation(&app, "fragment").await;
    let mail = sent_mail()
        .into_iter()
        .rev()
        .find(|m| m["destinations"]["ToAddresses"][0] == email.as_str())
        .unwrap();
    let body = mail["body"].as_str().unwrap();
    let link = format!("{}#token={token}", integration_tests::TEST_ACCEPT_URL);
    assert!(body.contains(&link), "{body}");
    assert!(!body.contains("?token="), "{body}");
}

#[tokio::test]
async fn an_invitation_sent_before_the_owner_email_changed_makes_no_one_owner() {
    let app = spawn_app().await;
    let (tenant_id, email, token) = ready_owner_invitation(&app, "owner-moved").await;
    let moved = app
        .patch(
            &format!("/v1/tenants/{tenant_id}"),
            &json!({"ownerEmail": "new-owner@owner-moved.example"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let before = app.tenant(&tenant_id).await;

    // The earlier invitee, verified at the address the link went to, is refused as if
    // the invitation did not exist, and nothing changes.
    let refused = app
        .send(
            TestRequest::new("POST", "/v1/invitations/accept")
                .json(&json!({ "token": token }))
                .bearer(&app.email_token("former", &email, true)),
        )
        .await;
    assert_eq!(refused.status, 404, "{}", refused.body);
    let after = app.tenant(&tenant_id).await;
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["ownerUserId"], before["ownerUserId"]);
    assert!(app
        .get(&format!("/v1/tenants/{tenant_id}/admins"))
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .is_empty());
}
