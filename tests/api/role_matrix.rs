//! The role matrix: every endpoint × every kind of caller × its own or another tenant,
//! each with the exact status the policies must give. Every case starts from fresh
//! tenants, so allowed changes in one case cannot decide another.

use integration_tests::{spawn_app, TestApp, TestRequest};
use serde_json::{json, Value};
use tenant_shared::domain::Role;
use tenant_shared::http::routes::ROUTES;

/// Who is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    /// A valid token with no roles at all.
    NoRoles,
    PlatformAdmin,
    /// A token whose tenant claim is the own tenant, with `tenant_admin`.
    TokenTenantAdmin,
    /// A token whose tenant claim is the own tenant, with `tenant_member`.
    TokenTenantMember,
    /// A token without tenant claim whose user holds a stored admin grant on the own tenant.
    GrantedAdmin,
    /// An API key bound to the own tenant with `tenant_admin`.
    TenantAdminKey,
    /// A platform API key holding only `login_service`.
    LoginServiceKey,
    /// A platform API key holding only `provisioner`.
    ProvisionerKey,
    /// A token whose tenant claim is the own tenant, with `tenant_admin`, after the own
    /// tenant was suspended.
    SuspendedTenantAdmin,
    /// A token whose tenant claim is the own tenant, with `tenant_admin`, sending an
    /// `X-Tenant-ID` that names the other tenant.
    MismatchedHeaderAdmin,
}

const CALLERS: [Caller; 11] = [
    Caller::Anonymous,
    Caller::NoRoles,
    Caller::PlatformAdmin,
    Caller::TokenTenantAdmin,
    Caller::TokenTenantMember,
    Caller::GrantedAdmin,
    Caller::TenantAdminKey,
    Caller::LoginServiceKey,
    Caller::ProvisionerKey,
    Caller::SuspendedTenantAdmin,
    Caller::MismatchedHeaderAdmin,
];

/// Which tenant a tenant-scoped request targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Own,
    Other,
    /// Requests not about one tenant.
    Platform,
}

/// Each endpoint: its route function, a name, and the status a caller allowed to use it
/// gets.
const ENDPOINTS: [(&str, u16); 33] = [
    ("create-tenant", 201),
    ("list-tenants", 200),
    ("tenant-stats", 200),
    ("get-tenant-by-slug", 200),
    ("get-tenant", 200),
    ("update-tenant", 200),
    ("delete-tenant", 200),
    ("upgrade-tenant", 200),
    ("downgrade-tenant", 200),
    ("suspend-tenant", 200),
    ("activate-tenant", 200),
    ("list-tenant-admins", 200),
    ("grant-tenant-admin", 201),
    ("revoke-tenant-admin", 204),
    ("list-tenant-events", 200),
    ("list-tenant-domains", 200),
    ("add-tenant-domain", 201),
    ("verify-tenant-domain", 200),
    ("remove-tenant-domain", 204),
    ("list-tenant-resources", 200),
    ("put-tenant-resource", 201),
    // The fresh tenant's provisioning has not failed: nothing to retry.
    ("retry-tenant-provisioning", 409),
    ("resend-tenant-invitation", 202),
    // A well-formed token that was never issued.
    ("accept-invitation", 404),
    ("discover-login", 200),
    ("create-api-key", 201),
    ("list-api-keys", 200),
    ("revoke-api-key", 200),
    ("get-openapi", 200),
    ("list-plans", 200),
    ("get-tenant-entitlements", 200),
    ("check-entitlement", 200),
    ("report-usage", 200),
];

/// Requests of a route that are about one tenant although its path names none (the
/// tenant is in the body, the query or the key the path names): the own tenant's and the
/// other tenant's, like the tenant endpoints'. Each: a name, the route's function, and the
/// status a caller allowed to make it gets.
const TENANT_VARIANTS: [(&str, &str, u16); 3] = [
    // A `tenant_member` key bound to the tenant.
    ("create-tenant-api-key", "create-api-key", 201),
    // `?tenantId=`
    ("list-tenant-api-keys", "list-api-keys", 200),
    // A `tenant_member` key bound to the tenant.
    ("revoke-tenant-api-key", "revoke-api-key", 200),
];

fn is_tenant_endpoint(function: &str) -> bool {
    TENANT_VARIANTS.iter().any(|(name, _, _)| *name == function)
        || ROUTES
            .iter()
            .find(|r| r.function == function)
            .is_some_and(|r| r.path.contains("{id}") || r.path.contains("{slug}"))
}

/// The status the rules in the issue demand.
fn expected(function: &str, caller: Caller, target: Target, allowed: u16) -> u16 {
    let tenant_admin = matches!(
        caller,
        Caller::TokenTenantAdmin | Caller::GrantedAdmin | Caller::TenantAdminKey
    );
    match caller {
        // The contract is public: everyone, credential or not, may read it.
        _ if function == "get-openapi" => allowed,
        Caller::Anonymous => 401,
        Caller::PlatformAdmin => allowed,
        // "Hidden or missing" is decided first: another tenant is 404 whatever else is
        // wrong with the request.
        Caller::SuspendedTenantAdmin | Caller::MismatchedHeaderAdmin if target == Target::Other => {
            404
        }
        // Then its own tenant, and everything else: 403 `tenant_suspended` /
        // `tenant_mismatch`.
        Caller::SuspendedTenantAdmin | Caller::MismatchedHeaderAdmin => 403,
        // A login page's key discovers logins and nothing else; tenants stay hidden.
        Caller::LoginServiceKey if function == "discover-login" => allowed,
        Caller::LoginServiceKey if target == Target::Platform => 403,
        Caller::LoginServiceKey => 404,
        // A provisioner reads tenants and reports resources, on every tenant; tenants stay
        // hidden from it otherwise.
        Caller::ProvisionerKey => match function {
            "get-tenant"
            | "get-tenant-by-slug"
            | "list-tenant-resources"
            | "put-tenant-resource" => allowed,
            _ if target == Target::Platform => 403,
            _ => 404,
        },
        // Any signed-in user may spend a token; API keys may not.
        _ if function == "accept-invitation" => match caller {
            Caller::TenantAdminKey => 403,
            _ => allowed,
        },
        // The plan catalogue is no secret to any signed-in caller.
        _ if function == "list-plans" => allowed,
        // Holds no role anywhere: refused outright, and tenants stay hidden.
        Caller::NoRoles if target == Target::Platform => 403,
        Caller::NoRoles => 404,
        // Tenant-scoped callers: other tenants do not exist for them.
        _ if target == Target::Other => 404,
        _ if target == Target::Platform => match function {
            "list-tenants" => 200,
            _ => 403,
        },
        _ => match function {
            "get-tenant" | "get-tenant-by-slug" => 200,
            // Members and admins read entitlements and check them.
            "get-tenant-entitlements" | "check-entitlement" => allowed,
            // Only the application counts usage: a key bound to the tenant, never people.
            "report-usage" if caller == Caller::TenantAdminKey => allowed,
            "update-tenant"
            | "list-tenant-admins"
            | "grant-tenant-admin"
            | "revoke-tenant-admin"
            | "list-tenant-events"
            | "list-tenant-domains"
            | "add-tenant-domain"
            | "verify-tenant-domain"
            | "remove-tenant-domain"
            | "list-tenant-resources"
            | "resend-tenant-invitation"
            // Their tenant's keys (`tenant_member` ones, for a create).
            | "create-tenant-api-key"
            | "list-tenant-api-keys"
            | "revoke-tenant-api-key"
                if tenant_admin =>
            {
                allowed
            }
            _ => 403,
        },
    }
}

/// A fresh world for one case: the own tenant, with admins `seed-admin` and
/// `granted-user` (so the granted caller holds a stored grant on it, and revoking one admin
/// never hits the last-admin rule), the other tenant with two other admins, and the API keys the
/// case needs: one bound to the own tenant, one platform key to revoke.
struct World {
    own: Value,
    other: Value,
    tenant_key: String,
    login_key: String,
    provisioner_key: String,
    revocable_key_id: String,
    /// A `tenant_member` key of each tenant (own, other), for `revoke-tenant-api-key`.
    tenant_key_ids: (String, String),
}

async fn world(app: &TestApp, caller: Caller, function: &str) -> World {
    let mut tenants = Vec::new();
    for second_admin in ["granted-user", "someone-else"] {
        let slug = format!("t{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
        tenants.push(
            app.create_tenant(&json!({
                "name": format!("Tenant {slug}"),
                "slug": slug,
                "plan": "starter",
                "ownerEmail": format!("owner@{slug}.example.com"),
                "initialAdminUserIds": ["seed-admin", second_admin],
            }))
            .await,
        );
    }
    let own_id = tenants[0]["id"].as_str().unwrap().to_owned();
    let new_key = |body: Value| async move {
        let key = app.post("/v1/api-keys", &body).await;
        assert_eq!(key.status, 201, "{}", key.body);
        key.body
    };
    let tenant_key = match caller {
        Caller::TenantAdminKey => {
            new_key(json!({"name": "tenant", "roles": ["tenant_admin"], "tenantId": own_id})).await
                ["key"]
                .as_str()
                .unwrap()
                .to_owned()
        }
        _ => String::new(),
    };
    let login_key = match caller {
        Caller::LoginServiceKey => new_key(json!({"name": "login", "roles": ["login_service"]}))
            .await["key"]
            .as_str()
            .unwrap()
            .to_owned(),
        _ => String::new(),
    };
    let provisioner_key = match caller {
        Caller::ProvisionerKey => new_key(json!({"name": "provisioner", "roles": ["provisioner"]}))
            .await["key"]
            .as_str()
            .unwrap()
            .to_owned(),
        _ => String::new(),
    };
    // Each tenant claims `<slug>.example.com`, with its TXT record published, for the
    // endpoints that verify or remove a domain.
    if matches!(function, "verify-tenant-domain" | "remove-tenant-domain") {
        for tenant in &tenants {
            let path = format!("/v1/tenants/{}/domains", tenant["id"].as_str().unwrap());
            let domain = format!("{}.example.com", tenant["slug"].as_str().unwrap());
            let claim = app.post(&path, &json!({"domain": domain})).await;
            assert_eq!(claim.status, 201, "{}", claim.body);
            let record = &claim.body["verification"];
            integration_tests::publish_txt(
                record["name"].as_str().unwrap(),
                record["value"].as_str().unwrap(),
            );
        }
    }
    let revocable_key_id = match function {
        "revoke-api-key" => new_key(json!({"name": "spare", "roles": ["platform_admin"]})).await
            ["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        _ => String::new(),
    };
    let mut tenant_key_ids = (String::new(), String::new());
    if function == "revoke-tenant-api-key" {
        let mut ids = Vec::new();
        for tenant in &tenants {
            let key = new_key(json!({"name": "member", "roles": ["tenant_member"],
                                     "tenantId": tenant["id"]}))
            .await;
            ids.push(key["id"].as_str().unwrap().to_owned());
        }
        tenant_key_ids = (ids.remove(0), ids.remove(0));
    }
    if caller == Caller::SuspendedTenantAdmin {
        let path = format!("/v1/tenants/{}/suspend", tenants[0]["id"].as_str().unwrap());
        let suspended = app.send(TestRequest::new("POST", &path)).await;
        assert_eq!(suspended.status, 200, "{}", suspended.body);
    }
    let other = tenants.pop().unwrap();
    let own = tenants.pop().unwrap();
    World {
        own,
        other,
        tenant_key,
        login_key,
        provisioner_key,
        revocable_key_id,
        tenant_key_ids,
    }
}

fn request(function: &str, tenant: &Value, world: &World) -> TestRequest {
    let id = tenant["id"].as_str().unwrap();
    let slug = tenant["slug"].as_str().unwrap();
    let json_post = |path: String, body: Value| TestRequest::new("POST", &path).json(&body);
    match function {
        "create-tenant" => {
            let slug = format!("n{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
            json_post("/v1/tenants".into(), json!({"name": "New", "slug": slug}))
        }
        "list-tenants" => TestRequest::new("GET", "/v1/tenants"),
        "tenant-stats" => TestRequest::new("GET", "/v1/tenants/stats"),
        "get-tenant-by-slug" => TestRequest::new("GET", &format!("/v1/tenants/slug/{slug}")),
        "get-tenant" => TestRequest::new("GET", &format!("/v1/tenants/{id}")),
        "update-tenant" => TestRequest::new("PATCH", &format!("/v1/tenants/{id}"))
            .header("content-type", "application/merge-patch+json")
            .raw(br#"{"locale": "fr", "billingEmail": "billing@changed.example"}"#),
        "delete-tenant" => TestRequest::new("DELETE", &format!("/v1/tenants/{id}")),
        "upgrade-tenant" => json_post(format!("/v1/tenants/{id}/upgrade"), json!({"plan": "pro"})),
        "downgrade-tenant" => json_post(
            format!("/v1/tenants/{id}/downgrade"),
            json!({"plan": "free"}),
        ),
        "suspend-tenant" => TestRequest::new("POST", &format!("/v1/tenants/{id}/suspend")),
        "activate-tenant" => TestRequest::new("POST", &format!("/v1/tenants/{id}/activate")),
        "list-tenant-admins" => TestRequest::new("GET", &format!("/v1/tenants/{id}/admins")),
        "grant-tenant-admin" => {
            TestRequest::new("PUT", &format!("/v1/tenants/{id}/admins/new-user"))
        }
        "revoke-tenant-admin" => {
            TestRequest::new("DELETE", &format!("/v1/tenants/{id}/admins/seed-admin"))
        }
        "list-tenant-events" => TestRequest::new("GET", &format!("/v1/tenants/{id}/events")),
        "list-tenant-domains" => TestRequest::new("GET", &format!("/v1/tenants/{id}/domains")),
        "add-tenant-domain" => json_post(
            format!("/v1/tenants/{id}/domains"),
            json!({"domain": format!("new-{slug}.example.com")}),
        ),
        "verify-tenant-domain" => TestRequest::new(
            "POST",
            &format!("/v1/tenants/{id}/domains/{slug}.example.com/verify"),
        ),
        "remove-tenant-domain" => TestRequest::new(
            "DELETE",
            &format!("/v1/tenants/{id}/domains/{slug}.example.com"),
        ),
        "list-tenant-resources" => TestRequest::new("GET", &format!("/v1/tenants/{id}/resources")),
        "put-tenant-resource" => TestRequest::new(
            "PUT",
            &format!("/v1/tenants/{id}/resources/dedicated-database"),
        )
        .json(&json!({"type": "rds-cluster", "status": "ready"})),
        "retry-tenant-provisioning" => {
            TestRequest::new("POST", &format!("/v1/tenants/{id}/provisioning/retry"))
        }
        "resend-tenant-invitation" => {
            TestRequest::new("POST", &format!("/v1/tenants/{id}/invitation"))
        }
        "accept-invitation" => json_post(
            "/v1/invitations/accept".into(),
            json!({"token": format!("inv_{}", "A".repeat(43))}),
        ),
        "discover-login" => TestRequest::new("GET", "/v1/login/discover").query("slug", slug),
        "create-api-key" => json_post(
            "/v1/api-keys".into(),
            json!({"name": "k", "roles": ["platform_admin"]}),
        ),
        "list-api-keys" => TestRequest::new("GET", "/v1/api-keys"),
        "revoke-api-key" => TestRequest::new(
            "DELETE",
            &format!("/v1/api-keys/{}", world.revocable_key_id),
        ),
        "create-tenant-api-key" => json_post(
            "/v1/api-keys".into(),
            json!({"name": "k", "roles": ["tenant_member"], "tenantId": id}),
        ),
        "list-tenant-api-keys" => TestRequest::new("GET", "/v1/api-keys").query("tenantId", id),
        "revoke-tenant-api-key" => {
            let key = if tenant["id"] == world.own["id"] {
                &world.tenant_key_ids.0
            } else {
                &world.tenant_key_ids.1
            };
            TestRequest::new("DELETE", &format!("/v1/api-keys/{key}"))
        }
        "get-openapi" => TestRequest::new("GET", "/v1/openapi.json"),
        "list-plans" => TestRequest::new("GET", "/v1/plans"),
        "get-tenant-entitlements" => {
            TestRequest::new("GET", &format!("/v1/tenants/{id}/entitlements"))
        }
        "check-entitlement" => TestRequest::new(
            "GET",
            &format!("/v1/tenants/{id}/entitlements/maxUsers/check"),
        ),
        "report-usage" => json_post(
            format!("/v1/tenants/{id}/usage/maxUsers"),
            json!({"delta": 1}),
        )
        .header(
            "idempotency-key",
            &uuid::Uuid::now_v7().simple().to_string(),
        ),
        other => panic!("no request for {other}"),
    }
}

fn with_credential(
    app: &TestApp,
    request: TestRequest,
    caller: Caller,
    world: &World,
) -> TestRequest {
    let own = world.own["id"].as_str().unwrap();
    match caller {
        Caller::Anonymous => request.anonymous(),
        Caller::NoRoles => request.bearer(&app.token("nobody", &[], None)),
        Caller::PlatformAdmin => request.bearer(&app.admin_token()),
        Caller::TokenTenantAdmin => {
            request.bearer(&app.token("claimed-admin", &[Role::TenantAdmin], Some(own)))
        }
        Caller::TokenTenantMember => {
            request.bearer(&app.token("claimed-member", &[Role::TenantMember], Some(own)))
        }
        Caller::GrantedAdmin => request.bearer(&app.token("granted-user", &[], None)),
        Caller::TenantAdminKey => request.api_key(&world.tenant_key),
        Caller::LoginServiceKey => request.api_key(&world.login_key),
        Caller::ProvisionerKey => request.api_key(&world.provisioner_key),
        Caller::SuspendedTenantAdmin => {
            request.bearer(&app.token("claimed-admin", &[Role::TenantAdmin], Some(own)))
        }
        Caller::MismatchedHeaderAdmin => request
            .bearer(&app.token("claimed-admin", &[Role::TenantAdmin], Some(own)))
            .header("x-tenant-id", world.other["id"].as_str().unwrap()),
    }
}

/// Every case of one endpoint, on a table of its own (which keeps the local engine's
/// tables small and fast): how many cases ran, and the wrong ones.
async fn endpoint_cases(function: &'static str, allowed: u16) -> (usize, Vec<String>) {
    let app = spawn_app().await;
    let mut mismatches = Vec::new();
    let mut cases = 0;
    let targets: &[Target] = if is_tenant_endpoint(function) {
        &[Target::Own, Target::Other]
    } else {
        &[Target::Platform]
    };
    for &target in targets {
        for caller in CALLERS {
            cases += 1;
            let world = world(&app, caller, function).await;
            let tenant = match target {
                Target::Other => &world.other,
                _ => &world.own,
            };
            let req = with_credential(&app, request(function, tenant, &world), caller, &world);
            let response = app.send(req).await;
            let want = expected(function, caller, target, allowed);
            if response.status != want {
                mismatches.push(format!(
                    "{function} as {caller:?} on {target:?}: want {want}, got {} {}",
                    response.status, response.body
                ));
            }
            let code = response.code();
            let denial = match caller {
                Caller::SuspendedTenantAdmin => "tenant_suspended",
                Caller::MismatchedHeaderAdmin => "tenant_mismatch",
                _ => code,
            };
            if response.status == 403 && code != denial {
                mismatches.push(format!(
                    "{function} as {caller:?} on {target:?}: want {denial}, got {code}"
                ));
            }
            if response.status == 403 {
                let notices = response.body["notices"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if notices.is_empty() {
                    mismatches.push(format!("{function} as {caller:?}: 403 without notices"));
                }
            }
            if response.status == 401 && response.header("www-authenticate").is_none() {
                mismatches.push(format!("{function} as {caller:?}: 401 without challenge"));
            }
        }
    }
    (cases, mismatches)
}

/// How many endpoints the matrix checks at once: their tables land on the test moto
/// servers in turn, so a few at a time keep every server busy.
const ENDPOINTS_AT_ONCE: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_gives_every_caller_exactly_the_status_the_rules_demand() {
    assert_eq!(
        ENDPOINTS.len(),
        ROUTES.len(),
        "every route is in the matrix"
    );
    let mut mismatches = Vec::new();
    let mut cases = 0;
    let mut running = tokio::task::JoinSet::new();
    let mut settle = |result: Result<(usize, Vec<String>), tokio::task::JoinError>| {
        let (ran, wrong) = result.expect("an endpoint's cases ran to the end");
        cases += ran;
        mismatches.extend(wrong);
    };
    let variants = TENANT_VARIANTS.map(|(name, _, allowed)| (name, allowed));
    for (function, allowed) in ENDPOINTS.into_iter().chain(variants) {
        if running.len() == ENDPOINTS_AT_ONCE {
            settle(running.join_next().await.expect("a running endpoint"));
        }
        running.spawn(endpoint_cases(function, allowed));
    }
    while let Some(result) = running.join_next().await {
        settle(result);
    }
    assert!(cases >= 682, "only {cases} cases ran");
    mismatches.sort();
    assert!(
        mismatches.is_empty(),
        "{} of {cases} cases wrong:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn every_tenant_variant_is_of_a_route_that_names_no_tenant() {
    for (name, function, _) in TENANT_VARIANTS {
        let route = ROUTES.iter().find(|r| r.function == function);
        assert!(route.is_some_and(|r| !r.path.contains("{id}")), "{name}");
    }
}

#[tokio::test]
async fn keys_holding_tenant_admin_are_made_by_platform_admins_only() {
    let app = spawn_app().await;
    let mut mismatches = Vec::new();
    for roles in [
        json!(["tenant_admin"]),
        json!(["tenant_member", "tenant_admin"]),
    ] {
        for caller in CALLERS {
            let world = world(&app, caller, "create-tenant-api-key").await;
            let req = TestRequest::new("POST", "/v1/api-keys")
                .json(&json!({"name": "k", "roles": roles, "tenantId": world.own["id"]}));
            let response = app.send(with_credential(&app, req, caller, &world)).await;
            let tenant_admin = matches!(
                caller,
                Caller::TokenTenantAdmin | Caller::GrantedAdmin | Caller::TenantAdminKey
            );
            let (want, notices) = if tenant_admin {
                (403, json!(["admin-keys-need-platform-admin"]))
            } else {
                let want = expected("create-tenant-api-key", caller, Target::Own, 201);
                (want, response.body["notices"].clone())
            };
            if response.status != want || response.body["notices"] != notices {
                mismatches.push(format!(
                    "{roles} as {caller:?}: want {want} {notices}, got {} {}",
                    response.status, response.body
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// PATCH bodies that change a guarded field, and the notice a tenant admin's 403 cites.
const GUARDED_PATCHES: [(&str, &str); 4] = [
    (
        r#"{"ownerEmail": "someone@else.example"}"#,
        "owner-fields-need-platform-admin",
    ),
    (r#"{"maxUsers": 1000000}"#, "limits-need-platform-admin"),
    (r#"{"kind": "enterprise"}"#, "limits-need-platform-admin"),
    (
        r#"{"awsExternalId": "chosen-by-the-customer"}"#,
        "aws-external-id-is-chosen-by-the-platform",
    ),
];

#[tokio::test]
async fn owner_limit_and_external_id_fields_are_changed_by_platform_admins_only() {
    let app = spawn_app().await;
    let mut mismatches = Vec::new();
    for (body, notice) in GUARDED_PATCHES {
        for caller in CALLERS {
            let world = world(&app, caller, "update-tenant").await;
            let id = world.own["id"].as_str().unwrap();
            let req = TestRequest::new("PATCH", &format!("/v1/tenants/{id}"))
                .header("content-type", "application/merge-patch+json")
                .raw(body.as_bytes());
            let response = app.send(with_credential(&app, req, caller, &world)).await;
            let tenant_admin = matches!(
                caller,
                Caller::TokenTenantAdmin | Caller::GrantedAdmin | Caller::TenantAdminKey
            );
            let (want, notices) = if tenant_admin {
                (403, json!([notice]))
            } else {
                let want = expected("update-tenant", caller, Target::Own, 200);
                (want, response.body["notices"].clone())
            };
            if response.status != want || response.body["notices"] != notices {
                mismatches.push(format!(
                    "{body} as {caller:?}: want {want} {notices}, got {} {}",
                    response.status, response.body
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
