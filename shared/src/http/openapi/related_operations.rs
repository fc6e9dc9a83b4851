//! The operations on what hangs off a tenant (admins, events, domains and login
//! discovery, resources and provisioning, the owner's invitation), on API keys, and on
//! this document.

use serde_json::{json, Value};

use super::{page_params, query_param, schema_ref, Operation, JSON_ONLY};
use crate::domain::EventType;
use crate::http::routes::Route;

/// The operation of `route` if it is one of these; `base` supplies what an arm leaves out.
pub(super) fn related_operation(
    route: &Route,
    tenant: Option<Value>,
    base: Operation,
) -> Option<Operation> {
    Some(match route.function {
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
            who: "platform admins; for a key bound to their tenant (`tenantId`), the tenant's admins, and then only keys holding `tenant_member` (a key holding `tenant_admin` counts the tenant's usage: 403 `admin-keys-need-platform-admin`); a tenant the caller may not see is 404",
            body: Some((JSON_ONLY, schema_ref("CreateApiKey"))),
            success: (
                201,
                "The key, with the secret `key` shown once.",
                Some(schema_ref("CreatedApiKey")),
            ),
            errors: &[400, 404, 413, 415],
            etag: false,
            location: true,
            ..base
        },
        "list-api-keys" => Operation {
            id: "listApiKeys",
            tag: "api-keys",
            summary: "List API keys, newest first (never their secrets): all of them, or those bound to one tenant",
            who: "platform admins; with `tenantId`, the tenant's admins (a tenant the caller may not see is 404)",
            success: (200, "One page of keys.", Some(schema_ref("ApiKeyPage"))),
            errors: &[400, 404],
            query: {
                let mut query = page_params(100);
                query.push(query_param(
                    "tenantId",
                    "Only the keys bound to this tenant.",
                    schema_ref("TenantId"),
                ));
                query
            },
            etag: false,
            ..base
        },
        "revoke-api-key" => Operation {
            id: "revokeApiKey",
            tag: "api-keys",
            summary: "Revoke an API key (revoking twice changes nothing)",
            who: "platform admins; for a `tenant_member` key bound to their tenant, the tenant's admins (a key holding `tenant_admin` is the platform's: 403; another tenant's key is 404, as a key that does not exist)",
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
        _ => return None,
    })
}
