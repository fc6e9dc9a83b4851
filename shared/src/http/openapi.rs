//! The OpenAPI 3.1 document of the API, generated from the route table ([`ROUTES`]) and
//! the types the handlers read and write (their schemas come from `utoipa` derives on the
//! domain and HTTP types). `openapi.json` at the repository root is this document,
//! committed (`make openapi` writes it); `GET /v1/openapi.json` serves it; tests fail when
//! it, the route table and `template.yaml` disagree.

use serde_json::{json, Map, Value};
use utoipa::openapi::ComponentsBuilder;
use utoipa::PartialSchema;

use super::error::ErrorBody;
use super::reply::TenantView;
use super::routes::{Route, ROUTES};
use super::{MAX_BODY_BYTES, MERGE_PATCH};
use crate::domain::api_key::ApiKeyView;
use crate::domain::entitlements::catalogue::{self, MAX_AMOUNT};
use crate::domain::plans::PlanCatalogue;
use crate::domain::stats::TenantStats;
use crate::domain::tenant::{CREATE_ONLY_FIELDS, MAX_INITIAL_ADMINS};
use crate::domain::values::BOUNDED_TEXT_PATTERN;
use crate::domain::{
    AdminGrant, ApiKeyId, ChangeEvent, EventType, Role, ScopeId, Slug, Tenant, TenantFields,
    TenantId, UserId,
};

/// What one operation is, beyond its route.
struct Operation {
    id: &'static str,
    tag: &'static str,
    summary: &'static str,
    /// Who may call it, in words.
    who: &'static str,
    /// The request body: media types and schema.
    body: Option<(&'static [&'static str], Value)>,
    /// Whether the body may be left out.
    body_optional: bool,
    /// Status and schema of the success response (`None`: no body).
    success: (u16, &'static str, Option<Value>),
    /// Error statuses it may answer besides 401/403/500/503.
    errors: &'static [u16],
    /// Query parameters.
    query: Vec<Value>,
    /// Whether it reads `If-Match`.
    if_match: bool,
    /// Whether the success response carries the tenant's `ETag`.
    etag: bool,
    /// Whether the success response carries `Location`.
    location: bool,
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn page_params(max: usize) -> Vec<Value> {
    vec![
        query_param(
            "limit",
            "Page size.",
            json!({"type": "integer", "minimum": 1, "maximum": max, "default": 20}),
        ),
        query_param(
            "cursor",
            "Where the page starts: the `nextCursor` of the previous page.",
            json!({"type": "string", "minLength": 1, "maxLength": 1024}),
        ),
    ]
}

const JSON_ONLY: &[&str] = &["application/json"];
const PATCH_TYPES: &[&str] = &[MERGE_PATCH, "application/json"];

fn operation(route: &Route, plans: &PlanCatalogue) -> Operation {
    let tenant = Some(schema_ref("TenantView"));
    let plan_body = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["plan"],
        "properties": {
            "plan": {"type": "string", "enum": plans.plans(), "description": "A plan of the catalogue (the Plans parameter; shown: the default plan file)."},
            "dryRun": {"type": "boolean", "default": false, "description": "Only say what the change would do (the tenant as it would be, and `overLimit`); write nothing."},
        },
    });
    let base = Operation {
        id: "",
        tag: "tenants",
        summary: "",
        who: "",
        body: None,
        body_optional: false,
        success: (200, "", tenant.clone()),
        errors: &[],
        query: Vec::new(),
        if_match: false,
        etag: true,
        location: false,
    };
    match route.function {
        "create-tenant" => Operation {
            id: "createTenant",
            summary: "Create a tenant (idempotent with a client-supplied id)",
            who: "platform admins",
            body: Some((JSON_ONLY, schema_ref("CreateTenant"))),
            success: (
                201,
                "The tenant was created (200: the same create was sent before).",
                tenant,
            ),
            errors: &[400, 409, 413, 415],
            location: true,
            ..base
        },
        "list-tenants" => Operation {
            id: "listTenants",
            summary: "List the tenants the caller may see, newest first",
            who: "platform admins: all; others: the tenants they hold roles on",
            success: (200, "One page of tenants.", Some(schema_ref("TenantPage"))),
            errors: &[400],
            query: {
                let mut q = page_params(100);
                q.push(query_param(
                    "status",
                    "Only tenants in this status (default: live tenants).",
                    schema_ref("TenantStatus"),
                ));
                q.push(query_param(
                    "plan",
                    "Only tenants on this plan.",
                    json!({"type": "string", "enum": plans.plans()}),
                ));
                q.push(query_param(
                    "kind",
                    "Only tenants of this kind.",
                    schema_ref("TenantKind"),
                ));
                q.push(query_param("search", "Name contains, or slug starts with, this text (case-insensitive).", json!({"type": "string", "pattern": BOUNDED_TEXT_PATTERN, "minLength": 1, "maxLength": 200})));
                q.push(query_param(
                    "order",
                    "Creation order.",
                    json!({"type": "string", "enum": ["desc", "asc"], "default": "desc"}),
                ));
                q
            },
            etag: false,
            ..base
        },
        "tenant-stats" => Operation {
            id: "getTenantStats",
            summary: "Count tenants by status, plan and kind",
            who: "platform admins",
            success: (200, "The counters.", Some(schema_ref("TenantStats"))),
            etag: false,
            ..base
        },
        "get-tenant-by-slug" => Operation {
            id: "getTenantBySlug",
            summary: "Read a tenant by its slug",
            who: "platform admins; the tenant's admins and members",
            success: (200, "The tenant.", tenant),
            errors: &[404],
            ..base
        },
        "get-tenant" => Operation {
            id: "getTenant",
            summary: "Read a tenant",
            who: "platform admins; the tenant's admins and members",
            success: (200, "The tenant.", tenant),
            errors: &[404],
            ..base
        },
        "update-tenant" => Operation {
            id: "updateTenant",
            summary: "Change a tenant's fields (JSON merge patch, RFC 7396)",
            who: "platform admins; the tenant's admins, except the owner fields (`ownerEmail`, `ownerName`, `ownerUserId`), the limits and plan-like fields (`maxUsers`, `maxWorkspaces`, `maxProjects`, `maxEnvironments`, `dataRetentionDays`, `kind`) and `awsExternalId`, which only platform admins may change (403 `forbidden`, `notices`: `owner-fields-need-platform-admin`, `limits-need-platform-admin`, `aws-external-id-is-chosen-by-the-platform`)",
            body: Some((PATCH_TYPES, schema_ref("TenantPatch"))),
            success: (200, "The tenant as changed.", tenant),
            errors: &[400, 404, 409, 412, 413, 415],
            if_match: true,
            ..base
        },
        "delete-tenant" => Operation {
            id: "deleteTenant",
            summary: "Soft-delete a tenant (kept for audit; deleting twice changes nothing)",
            who: "platform admins",
            success: (200, "The tenant, deleted.", tenant),
            errors: &[400, 404, 412],
            if_match: true,
            ..base
        },
        "upgrade-tenant" | "downgrade-tenant" => Operation {
            id: if route.function == "upgrade-tenant" {
                "upgradeTenant"
            } else {
                "downgradeTenant"
            },
            summary: if route.function == "upgrade-tenant" {
                "Move a tenant to a higher plan"
            } else {
                "Move a tenant to a lower plan"
            },
            who: "platform admins",
            body: Some((JSON_ONLY, plan_body)),
            success: (
                200,
                "The tenant on its new plan (with `dryRun`, as it would be), and the counted features its usage leaves above their new limits: a downgrade is never refused for usage, and deletes nothing.",
                Some(schema_ref("PlanChange")),
            ),
            errors: &[400, 404, 409, 413, 415],
            ..base
        },
        "list-plans" => Operation {
            id: "listPlans",
            tag: "entitlements",
            summary: "The plan catalogue: the features plans grant, and each plan (lowest first) with its grants",
            who: "any caller with a role but provisioners and login services",
            success: (200, "The catalogue.", Some(schema_ref("PlanCatalogue"))),
            errors: &[400],
            etag: false,
            ..base
        },
        "get-tenant-entitlements" => Operation {
            id: "getTenantEntitlements",
            tag: "entitlements",
            summary: "A tenant's effective entitlements: each feature's value and where it comes from (plan or override), with usage, remaining and the period for counted features",
            who: "platform admins; the tenant's admins and members",
            success: (200, "The entitlements.", Some(schema_ref("EntitlementList"))),
            errors: &[400, 404],
            query: vec![query_param(
                "feature",
                "Only these features (repeatable; shown: the shipped plan file's).",
                json!({"type": "string", "enum": plans.features().iter().map(|f| f.name.as_str()).collect::<Vec<_>>()}),
            )],
            etag: false,
            ..base
        },
        "check-entitlement" => Operation {
            id: "checkEntitlement",
            tag: "entitlements",
            summary: "Would `requested` more of a feature be allowed now? (Call before creating a user.) Read-only: one round trip.",
            who: "platform admins; the tenant's admins and members (API keys included)",
            success: (200, "The answer, with the figures (allowed or not: a refusal is `allowed: false`, not an error).", Some(schema_ref("CheckAnswer"))),
            errors: &[400, 404],
            query: vec![query_param(
                "requested",
                "How many more (default 1).",
                json!({"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT, "default": 1}),
            )],
            etag: false,
            ..base
        },
        "report-usage" => Operation {
            id: "reportUsage",
            tag: "entitlements",
            summary: "Count usage of a limit or metered feature: `delta` (an increment past the limit is refused with 409 `limit_reached` and the figures, in the same conditional write) or `set` (reconciliation, never refused for the limit); a replayed `Idempotency-Key` answers the first report and counts nothing",
            who: "the SaaS application's backend: an API key bound to the tenant with tenant_admin, or a platform admin (never a tenant's people)",
            body: Some((JSON_ONLY, schema_ref("UsageReport"))),
            success: (200, "The report, counted (or, with header `Idempotent-Replayed: true`, the first answer of its key).", Some(schema_ref("UsageRecord"))),
            errors: &[400, 404, 409, 413, 415],
            etag: false,
            ..base
        },
        "suspend-tenant" => Operation {
            id: "suspendTenant",
            summary:
                "Suspend a tenant (its own users are locked out; suspending twice changes nothing)",
            who: "platform admins",
            body: Some((JSON_ONLY, schema_ref("SuspendTenant"))),
            body_optional: true,
            success: (200, "The tenant, suspended.", tenant),
            errors: &[400, 404, 409, 413, 415],
            query: vec![query_param(
                "reason",
                "Why (when the body gives none).",
                json!({"type": "string", "pattern": BOUNDED_TEXT_PATTERN, "minLength": 1, "maxLength": 500}),
            )],
            ..base
        },
        "activate-tenant" => Operation {
            id: "activateTenant",
            summary: "Activate a suspended tenant",
            who: "platform admins",
            body: Some((
                JSON_ONLY,
                json!({"type": "object", "additionalProperties": false, "maxProperties": 0}),
            )),
            body_optional: true,
            success: (200, "The tenant, active.", tenant),
            errors: &[400, 404, 409, 413, 415],
            ..base
        },
        "list-tenant-admins" => Operation {
            id: "listTenantAdmins",
            tag: "admins",
            summary: "List a tenant's admins",
            who: "platform admins; the tenant's admins",
            success: (
                200,
                "One page of admin grants.",
                Some(schema_ref("AdminPage")),
            ),
            errors: &[400, 404],
            query: page_params(100),
            etag: false,
            ..base
        },
        "grant-tenant-admin" => Operation {
            id: "grantTenantAdmin",
            tag: "admins",
            summary: "Make a user an admin of a tenant (granting twice changes nothing)",
            who: "platform admins; the tenant's admins",
            body: Some((
                JSON_ONLY,
                json!({"type": "object", "additionalProperties": false, "maxProperties": 0}),
            )),
            body_optional: true,
            success: (
                201,
                "The user is now an admin (200: already was).",
                Some(schema_ref("AdminGrant")),
            ),
            errors: &[400, 404, 409, 413, 415],
            etag: false,
            location: true,
            ..base
        },
        "revoke-tenant-admin" => Operation {
            id: "revokeTenantAdmin",
            tag: "admins",
            summary: "Remove a user's admin grant (a tenant admin may not remove the last one)",
            who: "platform admins; the tenant's admins",
            success: (204, "The grant is gone.", None),
            errors: &[404, 409],
            etag: false,
            ..base
        },
        "list-tenant-events" => Operation {
            id: "listTenantEvents",
            tag: "events",
            summary: "A tenant's audit trail: its change events, newest first",
            who: "platform admins; the tenant's admins",
            success: (
                200,
                "One page of change events.",
                Some(schema_ref("EventPage")),
            ),
            errors: &[400, 404],
            query: {
                let mut query = page_params(100);
                let types: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                query.push(query_param(
                    "type",
                    "Only events of this type.",
                    json!({"type": "string", "enum": types}),
                ));
                query
            },
            etag: false,
            ..base
        },
        "list-tenant-domains" => Operation {
            id: "listTenantDomains",
            tag: "login",
            summary: "List a tenant's email domains and their verification status",
            who: "platform admins; the tenant's admins",
            success: (
                200,
                "One page of domain claims.",
                Some(schema_ref("DomainPage")),
            ),
            errors: &[400, 404],
            query: page_params(100),
            etag: false,
            ..base
        },
        "add-tenant-domain" => Operation {
            id: "addTenantDomain",
            tag: "login",
            summary: "Claim an email domain: answers the DNS TXT record that verifies it",
            who: "platform admins; the tenant's admins (`verified: true`: platform admins only)",
            body: Some((JSON_ONLY, schema_ref("AddDomain"))),
            success: (
                201,
                "The claim, pending (verified when marked so); 200: the tenant claimed it before.",
                Some(schema_ref("DomainClaim")),
            ),
            errors: &[400, 404, 409, 413, 415],
            etag: false,
            location: true,
            ..base
        },
        "verify-tenant-domain" => Operation {
            id: "verifyTenantDomain",
            tag: "login",
            summary: "Verify a claimed domain by its DNS TXT record (a verified domain belongs to one tenant)",
            who: "platform admins; the tenant's admins",
            body: Some((
                JSON_ONLY,
                json!({"type": "object", "additionalProperties": false, "maxProperties": 0}),
            )),
            body_optional: true,
            success: (200, "The claim, verified.", Some(schema_ref("DomainClaim"))),
            errors: &[400, 404, 409, 413, 415],
            etag: false,
            ..base
        },
        "remove-tenant-domain" => Operation {
            id: "removeTenantDomain",
            tag: "login",
            summary: "Remove a tenant's domain (a verified one becomes free)",
            who: "platform admins; the tenant's admins",
            success: (204, "The domain is gone.", None),
            errors: &[404],
            etag: false,
            ..base
        },
        "discover-login" => Operation {
            id: "discoverLogin",
            tag: "login",
            summary: "Which tenant a person signs in to, and how (by email through verified domains, or by slug)",
            who: "platform admins; `login_service` keys and tokens",
            success: (200, "Where to sign in.", Some(schema_ref("LoginTarget"))),
            errors: &[400, 404],
            query: vec![
                query_param(
                    "email",
                    "The person's email address (give email or slug).",
                    json!({"type": "string", "format": "email", "minLength": 3, "maxLength": 320}),
                ),
                query_param("slug", "The tenant's slug.", schema_ref("Slug")),
            ],
            etag: false,
            ..base
        },
        "list-tenant-resources" => Operation {
            id: "listTenantResources",
            tag: "provisioning",
            summary: "List a tenant's resources: the built-in steps' results and what external provisioners reported",
            who: "platform admins; the tenant's admins; provisioners",
            success: (200, "Every resource of the tenant (at most 50).", Some(schema_ref("ResourceList"))),
            errors: &[404],
            etag: false,
            ..base
        },
        "put-tenant-resource" => Operation {
            id: "putTenantResource",
            tag: "provisioning",
            summary: "Report a resource an external provisioner made, changed or removed (a repeat changes nothing)",
            who: "provisioners; platform admins",
            body: Some((JSON_ONLY, schema_ref("ResourceReport"))),
            success: (201, "The resource was new.", Some(schema_ref("Resource"))),
            errors: &[400, 404, 409, 412, 413, 415],
            if_match: true,
            location: true,
            ..base
        },
        "retry-tenant-provisioning" => Operation {
            id: "retryTenantProvisioning",
            tag: "provisioning",
            summary: "Run a failed provisioning (or deprovisioning) again: built-in steps rerun, external resources are announced again",
            who: "platform admins",
            body: Some((
                JSON_ONLY,
                json!({"type": "object", "additionalProperties": false, "maxProperties": 0}),
            )),
            body_optional: true,
            success: (202, "The provisioning, running again.", Some(schema_ref("Provisioning"))),
            errors: &[400, 404, 409, 413, 415],
            etag: false,
            ..base
        },
        "resend-tenant-invitation" => Operation {
            id: "resendTenantInvitation",
            tag: "provisioning",
            summary: "Mail the owner a new invitation (the previous link stops working); at most one resend per tenant every `InvitationResendIntervalMinutes` (default 10), else 429 with `Retry-After`",
            who: "platform admins; the tenant's admins",
            body: Some((
                JSON_ONLY,
                json!({"type": "object", "additionalProperties": false, "maxProperties": 0}),
            )),
            body_optional: true,
            success: (202, "The invitation was sent.", Some(schema_ref("InvitationSent"))),
            errors: &[400, 404, 409, 413, 415, 429],
            etag: false,
            ..base
        },
        "accept-invitation" => Operation {
            id: "acceptInvitation",
            tag: "provisioning",
            summary: "Accept an owner invitation: the caller becomes an admin and the owner of its tenant",
            who: "the invited person: a signed-in user whose bearer token carries the invited email (case-insensitively) with the issuer's `email_verified: true` (claim names as configured), holding the invitation's token; anyone else gets 403 `invitation_email_mismatch` and the invitation stays usable (not API keys)",
            body: Some((JSON_ONLY, schema_ref("AcceptInvitation"))),
            success: (200, "The tenant the caller now owns.", tenant),
            errors: &[400, 404, 410, 413, 415],
            location: true,
            ..base
        },
        "create-api-key" => Operation {
            id: "createApiKey",
            tag: "api-keys",
            summary: "Create an API key (the key is shown only in this response)",
            who: "platform admins",
            body: Some((JSON_ONLY, schema_ref("CreateApiKey"))),
            success: (
                201,
                "The key, with the secret `key` shown once.",
                Some(schema_ref("CreatedApiKey")),
            ),
            errors: &[400, 413, 415],
            etag: false,
            location: true,
            ..base
        },
        "list-api-keys" => Operation {
            id: "listApiKeys",
            tag: "api-keys",
            summary: "List API keys, newest first (never their secrets)",
            who: "platform admins",
            success: (200, "One page of keys.", Some(schema_ref("ApiKeyPage"))),
            errors: &[400],
            query: page_params(100),
            etag: false,
            ..base
        },
        "revoke-api-key" => Operation {
            id: "revokeApiKey",
            tag: "api-keys",
            summary: "Revoke an API key (revoking twice changes nothing)",
            who: "platform admins",
            success: (200, "The key, revoked.", Some(schema_ref("ApiKey"))),
            errors: &[404],
            etag: false,
            ..base
        },
        "get-openapi" => Operation {
            id: "getOpenApi",
            tag: "meta",
            summary: "This document",
            who: "anyone (no credential needed)",
            success: (
                200,
                "The OpenAPI document.",
                Some(json!({"type": "object"})),
            ),
            etag: false,
            ..base
        },
        // A route this table does not describe yet still appears, with its function name.
        _ => Operation {
            id: route.function,
            summary: route.function,
            ..base
        },
    }
}

/// Whether a route needs no credential.
pub fn is_public(route: &Route) -> bool {
    route.function == "get-openapi"
}

fn error_description(status: u16) -> &'static str {
    match status {
        400 => "Invalid input: every invalid field is listed in `details.fields`.",
        401 => "No credential, or one that does not verify.",
        403 => "The policies deny it (`notices` names them), the tenant is suspended, X-Tenant-ID does not match, or (accepting an invitation) the caller's verified email is not the invited one.",
        404 => "No such resource, or one the caller may not see.",
        409 => "Conflicts with the resource's state.",
        410 => "The invitation expired: ask for a new one.",
        412 => "If-Match does not name the current version.",
        413 => "The body is larger than 64 KiB.",
        415 => "The body's media type is not accepted.",
        429 => "Done too often (`rate_limited`): the same request is accepted again after `Retry-After` seconds (also in `details.retryAfterSeconds`).",
        503 => "Busy or briefly unavailable: retry after `Retry-After` seconds.",
        _ => "An internal error (logged with the request id; nothing more is said).",
    }
}

fn header(description: &str, schema: Value) -> Value {
    json!({"description": description, "schema": schema})
}

/// A schema written out in full: parameters carry theirs inline, as some tools do not
/// follow `$ref` there.
fn inline<T: PartialSchema>() -> Value {
    serde_json::to_value(T::schema()).unwrap_or_default()
}

fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let (schema, description) = match name {
                "id" => (inline::<TenantId>(), "The tenant's id."),
                "slug" => (inline::<Slug>(), "The tenant's slug."),
                "userId" => (inline::<UserId>(), "The user's id (percent-encoded where needed)."),
                "domain" => (inline::<crate::domain::values::DomainName>(), "The domain."),
                "resourceId" => (
                    json!({"type": "string", "pattern": "^[a-z][a-z0-9-]{0,62}$", "minLength": 1, "maxLength": 63}),
                    "The resource's id (the blueprint's, or the provisioner's own).",
                ),
                "feature" => (
                    json!({"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9]{0,63}$", "minLength": 1, "maxLength": 64}),
                    "A feature of the plan catalogue (`GET /v1/plans`).",
                ),
                _ => (inline::<ApiKeyId>(), "The key's id."),
            };
            json!({"name": name, "in": "path", "required": true, "description": description, "schema": schema})
        })
        .collect()
}

fn operation_json(route: &Route, op: &Operation) -> Value {
    let request_id = header(
        "The request id (also in every log line of the request).",
        json!({"type": "string"}),
    );
    let mut success_headers = Map::new();
    success_headers.insert("x-request-id".into(), request_id.clone());
    if op.etag {
        success_headers.insert(
            "ETag".into(),
            header(
                "The version of what was read or written (the tenant's; a resource's for resource reports) as a strong entity tag, e.g. `\"3\"`.",
                json!({"type": "string", "pattern": "^\"[0-9]+\"$"}),
            ),
        );
    }
    if op.location {
        success_headers.insert(
            "Location".into(),
            header(
                "Where the created resource lives.",
                json!({"type": "string"}),
            ),
        );
    }
    let mut success = json!({"description": op.success.1, "headers": success_headers});
    if let Some(schema) = &op.success.2 {
        success["content"] = json!({"application/json": {"schema": schema}});
    }
    let mut responses = Map::new();
    responses.insert(op.success.0.to_string(), success);
    if op.success.0 == 201 {
        let mut replay = responses[&op.success.0.to_string()].clone();
        replay["description"] = json!("The same request was made before: what it made.");
        responses.insert("200".into(), replay);
    }
    let public = is_public(route);
    let mut statuses: Vec<u16> = op.errors.to_vec();
    if !public {
        statuses.extend([401, 403, 500, 503]);
    }
    statuses.sort_unstable();
    statuses.dedup();
    for status in statuses {
        let mut headers = Map::new();
        headers.insert("x-request-id".into(), request_id.clone());
        if status == 401 {
            headers.insert(
                "WWW-Authenticate".into(),
                header("The Bearer challenge.", json!({"type": "string"})),
            );
        }
        if status == 503 || status == 429 {
            headers.insert(
                "Retry-After".into(),
                header(
                    "Seconds to wait before retrying.",
                    json!({"type": "integer"}),
                ),
            );
        }
        responses.insert(
            status.to_string(),
            json!({
                "description": error_description(status),
                "headers": headers,
                "content": {"application/json": {"schema": schema_ref("Error")}},
            }),
        );
    }
    let mut parameters = path_parameters(route.path);
    parameters.extend(op.query.iter().cloned());
    if route.function == "report-usage" {
        parameters.push(json!({"name": "Idempotency-Key", "in": "header", "required": true,
            "description": "A unique key per report: 1-255 visible ASCII characters (`!` to `~`; anything else is 400 naming the header). A retry sends the same key and counts nothing. Keys are remembered for 24 hours.",
            // The character rule is in words, not a pattern: a local stand-in cannot carry
            // the non-ASCII header values a pattern's negative tests send (see the hooks).
            "schema": {"type": "string", "minLength": 1, "maxLength": 255}}));
        if let Some(ok) = responses.get_mut("200") {
            ok["headers"]["Idempotent-Replayed"] = header(
                "`true` when the key was used before: the body is the first answer, nothing was counted.",
                json!({"type": "string", "enum": ["true", "false"]}),
            );
        }
    }
    if op.if_match {
        parameters.push(json!({"name": "If-Match", "in": "header", "required": false,
            "description": "Apply only to this version (`\"3\"`, a list, or `*`); else 412.",
            "schema": {"type": "string", "pattern": "^(\\*|\"[0-9]{1,15}\"(, *\"[0-9]{1,15}\")*)$"}}));
    }
    if !public {
        parameters.push(json!({"name": "X-Tenant-ID", "in": "header", "required": false,
            "description": "The tenant the caller acts for: it must be the credential's tenant, or for a credential bound to none the tenant the request is about (else 403 `tenant_mismatch`; a value that is no tenant id matches none). A tenant the caller may not see is 404 before that.",
            "schema": inline::<TenantId>()}));
    }
    let mut operation = json!({
        "operationId": op.id,
        "tags": [op.tag],
        "summary": op.summary,
        "description": format!("Who may call it: {}.", op.who),
        "parameters": parameters,
        "responses": responses,
    });
    if public {
        operation["security"] = json!([]);
    }
    if let Some((types, schema)) = &op.body {
        let content: Map<String, Value> = types
            .iter()
            .map(|t| (t.to_string(), json!({"schema": schema})))
            .collect();
        operation["requestBody"] = json!({"required": !op.body_optional, "content": content,
            "description": format!("At most {MAX_BODY_BYTES} bytes.")});
    }
    operation
}

/// OpenAPI links from a create to what can follow it, so stateful testing and readers
/// follow real flows.
fn add_links(paths: &mut Map<String, Value>) {
    let tenant_links = json!({
        "GetTenant": {"operationId": "getTenant", "parameters": {"id": "$response.body#/id"}},
        "GetTenantBySlug": {"operationId": "getTenantBySlug", "parameters": {"slug": "$response.body#/slug"}},
        "UpdateTenant": {"operationId": "updateTenant", "parameters": {"id": "$response.body#/id"}},
        "SuspendTenant": {"operationId": "suspendTenant", "parameters": {"id": "$response.body#/id"}},
        "ActivateTenant": {"operationId": "activateTenant", "parameters": {"id": "$response.body#/id"}},
        "UpgradeTenant": {"operationId": "upgradeTenant", "parameters": {"id": "$response.body#/id"}},
        "DowngradeTenant": {"operationId": "downgradeTenant", "parameters": {"id": "$response.body#/id"}},
        "ListTenantAdmins": {"operationId": "listTenantAdmins", "parameters": {"id": "$response.body#/id"}},
        "ListTenantEvents": {"operationId": "listTenantEvents", "parameters": {"id": "$response.body#/id"}},
        "ListTenantDomains": {"operationId": "listTenantDomains", "parameters": {"id": "$response.body#/id"}},
        "ListTenantResources": {"operationId": "listTenantResources", "parameters": {"id": "$response.body#/id"}},
        "GrantTenantAdmin": {"operationId": "grantTenantAdmin", "parameters": {"id": "$response.body#/id"}},
        "DeleteTenant": {"operationId": "deleteTenant", "parameters": {"id": "$response.body#/id"}},
    });
    let grant_links = json!({
        "RevokeTenantAdmin": {"operationId": "revokeTenantAdmin",
            "parameters": {"id": "$response.body#/tenantId", "userId": "$response.body#/userId"}},
        "ListTenantAdmins": {"operationId": "listTenantAdmins", "parameters": {"id": "$response.body#/tenantId"}},
    });
    let key_links = json!({
        "RevokeApiKey": {"operationId": "revokeApiKey", "parameters": {"keyId": "$response.body#/id"}},
    });
    for (path, method, links) in [
        ("/v1/tenants", "post", tenant_links),
        ("/v1/tenants/{id}/admins/{userId}", "put", grant_links),
        ("/v1/api-keys", "post", key_links),
    ] {
        if let Some(responses) = paths
            .get_mut(path)
            .and_then(|p| p.get_mut(method))
            .and_then(|o| o.get_mut("responses"))
            .and_then(Value::as_object_mut)
        {
            for (status, response) in responses.iter_mut() {
                if status == "200" || status == "201" {
                    response["links"] = links.clone();
                }
            }
        }
    }
}

/// The schemas of the request bodies, derived from the generated ones: a create is the
/// mutable fields plus the create-only ones; a patch is the mutable fields, each optional
/// and (but `name`) removable with `null`.
fn request_schemas(schemas: &mut Map<String, Value>, plans: &PlanCatalogue) {
    if let Some(fields) = schemas.get_mut("TenantFields") {
        fields["properties"]["overrides"] = overrides_schema(plans);
    }
    let fields = schemas.get("TenantFields").cloned().unwrap_or_default();
    let properties = fields["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();

    let mut create_properties = properties.clone();
    create_properties.insert("id".into(), json!({"allOf": [schema_ref("TenantId")], "description": "A client-chosen id: makes the create idempotent."}));
    create_properties.insert("slug".into(), schema_ref("Slug"));
    create_properties.insert(
        "plan".into(),
        json!({"type": "string", "enum": plans.plans(), "default": plans.default_plan()}),
    );
    create_properties.insert("initialAdminUserIds".into(), json!({"type": "array", "items": schema_ref("UserId"),
        "maxItems": MAX_INITIAL_ADMINS, "uniqueItems": true, "description": "Users made admins in the same transaction."}));
    debug_assert_eq!(CREATE_ONLY_FIELDS.len(), 4);
    let login_rules = json!([
        {"if": {"required": ["loginMode"], "properties": {"loginMode": {"const": "sso"}}},
         "then": {"required": ["ssoStartUrl", "ssoRegion"], "properties": {"ssoStartUrl": schema_ref("HttpsUrl"), "ssoRegion": schema_ref("AwsRegion")}}},
        {"if": {"required": ["loginMode"], "properties": {"loginMode": {"const": "email_domain"}}},
         "then": {"required": ["emailDomain"], "properties": {"emailDomain": schema_ref("DomainName")}}},
    ]);
    schemas.insert("CreateTenant".into(), json!({
        "type": "object",
        "description": "A new tenant: its fields, a slug, and optionally an id, a plan and initial admins.",
        "required": ["name", "slug"],
        "additionalProperties": false,
        "properties": create_properties,
        "allOf": login_rules,
        "examples": [{"name": "Acme Corp", "slug": "acme", "kind": "enterprise", "ownerEmail": "owner@acme.example.com",
            "loginMode": "sso", "ssoStartUrl": "https://d-1234567890.awsapps.com/start", "ssoRegion": "eu-west-1"}],
    }));

    let mut patch_properties = properties;
    for (name, schema) in patch_properties.iter_mut() {
        if name != "name" && schema.get("$ref").is_some() {
            *schema = json!({"oneOf": [schema.clone(), {"type": "null"}]});
        }
    }
    schemas.insert("TenantPatch".into(), json!({
        "type": "object",
        "description": "A JSON merge patch (RFC 7396) of the mutable fields: a member replaces, `null` removes (`kind` and `loginMode` return to their defaults). Read-only and create-only fields may be sent back unchanged. `loginMode` rules apply to the patched result. Only platform admins may change the owner fields, the limits and plan-like fields and `awsExternalId` (sent back unchanged, they are fine from anyone who may patch).",
        "additionalProperties": false,
        "properties": patch_properties,
        "examples": [{"ownerName": "Grace Owner", "maxUsers": 100, "metadata": {"crm": null}}],
    }));

    schemas.insert("SuspendTenant".into(), json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {"reason": {"type": ["string", "null"], "pattern": BOUNDED_TEXT_PATTERN, "minLength": 1, "maxLength": 500}},
        "examples": [{"reason": "invoice 42 unpaid"}],
    }));

    schemas.insert("CreateApiKey".into(), json!({
        "type": "object",
        "required": ["name", "roles"],
        "additionalProperties": false,
        "properties": {
            "name": {"type": "string", "pattern": BOUNDED_TEXT_PATTERN, "minLength": 1, "maxLength": 100},
            "roles": {"type": "array", "minItems": 1, "items": schema_ref("Role")},
            "tenantId": {"oneOf": [schema_ref("TenantId"), {"type": "null"}], "description": "The live tenant a tenant key is bound to."},
        },
        "description": "A platform key holds platform roles (`platform_admin`, `login_service`, `provisioner`) and no tenant; a tenant key holds `tenant_admin` and/or `tenant_member` and names a live tenant.",
        "oneOf": [
            {"properties": {"roles": {"items": {"enum": ["platform_admin", "login_service", "provisioner"]}}, "tenantId": {"type": "null"}}},
            {"required": ["tenantId"], "properties": {"roles": {"items": {"enum": ["tenant_admin", "tenant_member"]}}, "tenantId": schema_ref("TenantId")}},
        ],
        "examples": [{"name": "billing-sync", "roles": ["platform_admin"]}],
    }));
    schemas.insert("AddDomain".into(), json!({
        "type": "object",
        "required": ["domain"],
        "additionalProperties": false,
        "properties": {
            "domain": {"type": "string", "minLength": 1, "maxLength": 253, "description": "A domain below a public suffix; IDNA is normalised to ASCII, case folded, a trailing dot dropped."},
            "verified": {"type": "boolean", "default": false, "description": "Verify at once without a DNS record (platform admins only: for domains the platform manages)."},
        },
        "examples": [{"domain": "acme.example.com"}],
    }));
    schemas.insert("ResourceReport".into(), json!({
        "type": "object",
        "required": ["type", "status"],
        "additionalProperties": false,
        "properties": {
            "type": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,62}$", "minLength": 1, "maxLength": 63, "description": "The resource's type (the blueprint's, for a resource it names)."},
            "status": schema_ref("ResourceStatus"),
            "arn": {"type": ["string", "null"], "pattern": "^arn:[!-~]{1,2044}$", "maxLength": 2048},
            "externalId": {"type": ["string", "null"], "pattern": "^[!-~]{1,256}$", "maxLength": 256},
            "region": {"oneOf": [schema_ref("AwsRegion"), {"type": "null"}]},
            "metadata": {"type": ["object", "null"], "maxProperties": 50, "propertyNames": {"minLength": 1, "maxLength": 128}, "description": "Free-form JSON object, at most 2 KiB serialized."},
            "error": {"oneOf": [schema_ref("ResourceError"), {"type": "null"}], "description": "Required when status is `failed`; allowed only then."},
        },
        "if": {"required": ["status"], "properties": {"status": {"const": "failed"}}},
        "then": {"required": ["error"], "properties": {"error": schema_ref("ResourceError")}},
        "else": {"properties": {"error": {"type": "null"}}},
        "examples": [{"type": "rds-cluster", "status": "ready", "arn": "arn:aws:rds:eu-west-1:123456789012:cluster:acme", "region": "eu-west-1"}],
    }));
    schemas.insert("AcceptInvitation".into(), json!({
        "type": "object",
        "required": ["token"],
        "additionalProperties": false,
        "properties": {"token": {"type": "string", "pattern": "^inv_[A-Za-z0-9_-]{43}$", "description": "The token of the invitation link: its fragment's `token` (`#token=...`), which the accept page reads from `location.hash`."}},
    }));
    schemas.insert("ResourceList".into(), json!({
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": schema_ref("Resource"), "maxItems": 50}},
    }));
    schemas.insert("CreatedApiKey".into(), json!({
        "allOf": [schema_ref("ApiKey"), {"type": "object", "required": ["key"],
            "properties": {"key": {"type": "string", "pattern": "^tk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$", "description": "The key: shown only now, stored only as a hash."}}}],
    }));
    for (page, item) in [
        ("TenantPage", "TenantView"),
        ("AdminPage", "AdminGrant"),
        ("ApiKeyPage", "ApiKey"),
        ("EventPage", "ChangeEvent"),
        ("DomainPage", "DomainClaim"),
    ] {
        schemas.insert(page.into(), json!({
            "type": "object",
            "required": ["items", "nextCursor"],
            "properties": {
                "items": {"type": "array", "items": schema_ref(item)},
                "nextCursor": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page; `null` on the last."},
            },
        }));
    }
}

/// `overrides` as the catalogue (the shipped plan file) allows it: one member per feature
/// that is not a limit field, of its type.
fn overrides_schema(plans: &PlanCatalogue) -> Value {
    use crate::domain::entitlements::catalogue::FeatureKind;
    use crate::domain::entitlements::effective::FIELD_OVERRIDES;
    let amount = json!({"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT});
    let properties: Map<String, Value> = plans
        .features()
        .iter()
        .filter(|f| !FIELD_OVERRIDES.contains(&f.name.as_str()))
        .map(|f| {
            let schema = match f.kind {
                FeatureKind::Boolean => json!({"type": ["boolean", "null"]}),
                FeatureKind::Value => json!({"oneOf": [amount, {"type": "null"}]}),
                FeatureKind::Limit | FeatureKind::Metered(_) => {
                    json!({"oneOf": [amount, {"const": "unlimited"}, {"type": "null"}]})
                }
            };
            (f.name.clone(), schema)
        })
        .collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
        "description": "The tenant's own grants of plan features (GET /v1/plans lists them; shown: the shipped plan file's), replacing its plan's and surviving plan changes: true/false, a whole number, or \"unlimited\"; null removes one. The limit fields (maxUsers, ...) are the overrides of the features of their names. Only platform admins change them.",
        "examples": [{"sso": true, "apiCalls": "unlimited"}],
    })
}

/// Any value a grant shows: a whole number, `null` (unlimited), `true`/`false`.
pub(crate) fn grant_value_schema() -> Value {
    json!({"type": ["integer", "boolean", "null"]})
}

/// The schemas of the entitlement bodies that no type derives.
fn entitlement_schemas(schemas: &mut Map<String, Value>) {
    let amount = json!({"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT});
    let limit_grant = json!({"type": "object", "additionalProperties": false, "required": ["limit"],
        "properties": {"limit": {"type": ["integer", "null"], "minimum": 0, "description": "`null`: unlimited; 0: not granted."},
            "softLimit": amount}});
    let grant = json!({"oneOf": [
        limit_grant,
        {"type": "object", "additionalProperties": false, "required": ["value"], "properties": {"value": {"type": ["integer", "null"], "minimum": 0}}},
        {"type": "boolean"},
    ]});
    schemas.insert("PlanCatalogue".into(), json!({
        "type": "object",
        "required": ["features", "plans"],
        "properties": {
            "features": {"type": "array", "items": {"type": "object", "required": ["name", "type"], "properties": {
                "name": {"type": "string"},
                "type": {"type": "string", "enum": ["limit", "value", "boolean", "metered"]},
                "period": {"type": "string", "enum": ["month", "day"], "description": "Metered features: when the counter starts again (UTC)."},
                "description": {"type": "string"},
            }}},
            "plans": {"type": "array", "description": "Lowest first.", "items": {"type": "object", "required": ["name", "rank", "default", "grants"], "properties": {
                "name": {"type": "string"},
                "rank": {"type": "integer", "minimum": 0},
                "default": {"type": "boolean", "description": "The plan of tenants created without one."},
                "grants": {"type": "object", "additionalProperties": grant},
            }}},
        },
    }));
    schemas.insert(
        "EntitlementList".into(),
        json!({
            "type": "object",
            "required": ["tenantId", "plan", "status", "items"],
            "properties": {
                "tenantId": schema_ref("TenantId"),
                "plan": {"type": "string"},
                "status": schema_ref("TenantStatus"),
                "items": {"type": "array", "items": schema_ref("Entitlement")},
            },
        }),
    );
    schemas.insert("UsageReport".into(), json!({
        "type": "object",
        "additionalProperties": false,
        "minProperties": 1,
        "maxProperties": 1,
        "description": "Exactly one of `delta` and `set`.",
        "properties": {
            "delta": {"type": "integer", "minimum": -(MAX_AMOUNT as i64), "maximum": MAX_AMOUNT, "not": {"const": 0}, "description": "A change: up (refused past the limit) or down (never below 0)."},
            "set": {"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT, "description": "The usage as the application counts it (reconciliation): never refused for the limit."},
        },
    }));
    schemas.insert("PlanChange".into(), json!({
        "allOf": [schema_ref("TenantView"), {
            "type": "object",
            "required": ["overLimit"],
            "properties": {
                "overLimit": {"type": "array", "items": schema_ref("OverLimit"), "description": "Counted features whose usage is above their limit after the change: increments are refused until usage falls; decrements are allowed."},
                "dryRun": {"type": "boolean", "description": "Present (`true`) for a dry run: nothing was written."},
            },
        }],
    }));
}

/// The OpenAPI document, as JSON.
pub fn document() -> Value {
    let components = ComponentsBuilder::new()
        .schema_from::<TenantFields>()
        .schema_from::<Tenant>()
        .schema_from::<crate::domain::TenantKind>()
        .schema_from::<crate::domain::TenantStatus>()
        .schema_from::<crate::domain::tenant::LoginMode>()
        .schema_from::<Role>()
        .schema_from::<AdminGrant>()
        .schema_from::<ChangeEvent>()
        .schema_from::<EventType>()
        .schema_from::<crate::domain::event::Actor>()
        .schema_from::<crate::domain::event::ActorKind>()
        .schema_from::<crate::domain::event::FieldChange>()
        .schema_from::<crate::domain::event::AdminChange>()
        .schema_from::<crate::domain::event::DomainChange>()
        .schema_from::<crate::domain::event::FullStateRef>()
        .schema_from::<crate::domain::domains::DomainClaim>()
        .schema_from::<crate::domain::domains::DomainStatus>()
        .schema_from::<crate::domain::domains::VerificationRecord>()
        .schema_from::<crate::domain::domains::LoginTarget>()
        .schema_from::<TenantStats>()
        .schema_from::<crate::domain::provisioning::Provisioning>()
        .schema_from::<crate::domain::provisioning::ProvisioningStatus>()
        .schema_from::<crate::domain::provisioning::Resource>()
        .schema_from::<crate::domain::provisioning::ResourceStatus>()
        .schema_from::<crate::domain::provisioning::ResourceError>()
        .schema_from::<crate::domain::provisioning::ResourceFailure>()
        .schema_from::<crate::service::invitations::InvitationSent>()
        .schema_from::<crate::domain::entitlements::effective::Entitlement>()
        .schema_from::<crate::domain::entitlements::effective::Source>()
        .schema_from::<crate::domain::entitlements::effective::OverLimit>()
        .schema_from::<crate::domain::entitlements::usage::CheckAnswer>()
        .schema_from::<crate::domain::entitlements::usage::Reason>()
        .schema_from::<crate::domain::entitlements::usage::UsageRecord>()
        .schema_from::<crate::domain::event::UsageThreshold>()
        .schema("ApiKey", ApiKeyView::schema())
        .schema("Error", ErrorBody::schema())
        .schema("TenantView", TenantView::schema())
        .schema_from::<TenantId>()
        .schema_from::<ScopeId>()
        .schema_from::<Slug>()
        .schema_from::<UserId>()
        .schema_from::<ApiKeyId>()
        .schema_from::<crate::domain::values::DisplayName>()
        .schema_from::<crate::domain::values::Email>()
        .schema_from::<crate::domain::values::Locale>()
        .schema_from::<crate::domain::values::AwsRegion>()
        .schema_from::<crate::domain::values::HttpsUrl>()
        .schema_from::<crate::domain::values::DomainName>()
        .schema_from::<crate::domain::values::IamRoleArn>()
        .schema_from::<crate::domain::values::AwsExternalId>()
        .build();
    let mut components = serde_json::to_value(components).unwrap_or_default();
    let plans = match catalogue::parse(catalogue::DEFAULT_PLANS, None, None) {
        Ok(plans) => plans,
        Err(_) => return Value::Null,
    };
    if let Some(schemas) = components["schemas"].as_object_mut() {
        request_schemas(schemas, &plans);
        entitlement_schemas(schemas);
        // Grant values are numbers, null or booleans: no derive says that.
        for (schema, field) in [
            ("Entitlement", "value"),
            ("Entitlement", "planValue"),
            ("Entitlement", "overrideValue"),
            ("CheckAnswer", "value"),
        ] {
            if let Some(property) = schemas
                .get_mut(schema)
                .and_then(|s| s["properties"].get_mut(field))
            {
                let description = property["description"].clone();
                *property = grant_value_schema();
                property["description"] = description;
            }
        }
    }
    components["securitySchemes"] = json!({
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "A JWT from the configured issuer (RS256/ES256 via JWKS, or HS256); roles and tenant come from its claims."},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
            "description": "A key made with POST /v1/api-keys or `tenantctl create-api-key` (`tk_<id>_<secret>`)."},
    });

    let mut paths = Map::new();
    for route in ROUTES {
        let op = operation(&route, &plans);
        let item = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        item[route.method.to_ascii_lowercase()] = operation_json(&route, &op);
    }
    add_links(&mut paths);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Tenant API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Tenant management for multi-tenant SaaS platforms: tenants, plans, lifecycle, admins, API keys and their change events. Every error is the one envelope `Error`; every response carries `x-request-id`.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "tags": [
            {"name": "tenants", "description": "Tenants and their lifecycle."},
            {"name": "admins", "description": "A tenant's admins."},
            {"name": "api-keys", "description": "Machine credentials."},
            {"name": "login", "description": "Login discovery: a tenant's verified email domains, and where a person signs in."},
            {"name": "events", "description": "Change events: the audit trail (also published on the event bus)."},
            {"name": "entitlements", "description": "What plans grant, a tenant's entitlements and usage against its limits: the check a SaaS application makes before it creates a user, and its usage reports."},
            {"name": "provisioning", "description": "What happens after a create: a tenant's resources, external provisioners' reports, retries and the owner's invitation."},
            {"name": "meta", "description": "This document."},
        ],
        "security": [{"bearerAuth": []}, {"apiKey": []}],
        "paths": paths,
        "components": components,
    })
}

/// The document as the committed `openapi.json` holds it.
pub fn document_text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}
