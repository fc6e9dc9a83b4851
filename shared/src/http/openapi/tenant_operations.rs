//! The operations on tenants themselves: create, list, read, change, delete, plan
//! changes, the plan catalogue, entitlements and usage, suspend and activate.

use serde_json::{json, Value};

use super::{page_params, query_param, schema_ref, Operation, JSON_ONLY, PATCH_TYPES};
use crate::domain::entitlements::catalogue::MAX_AMOUNT;
use crate::domain::plans::PlanCatalogue;
use crate::domain::values::BOUNDED_TEXT_PATTERN;
use crate::http::routes::Route;

/// The operation of `route` if it is one of these; `base` supplies what an arm leaves out.
pub(super) fn tenant_operation(
    route: &Route,
    plans: &PlanCatalogue,
    tenant: Option<Value>,
    base: Operation,
) -> Option<Operation> {
    let plan_body = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["plan"],
        "properties": {
            "plan": {"type": "string", "enum": plans.plans(), "description": "A plan of the catalogue (the Plans parameter; shown: the default plan file)."},
            "dryRun": {"type": "boolean", "default": false, "description": "Only say what the change would do (the tenant as it would be, and `overLimit`); write nothing."},
        },
    });
    Some(match route.function {
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
        _ => return None,
    })
}
