//! The schemas no type derives: the request bodies (create and patch), `overrides` as
//! the plan catalogue allows it, grant values and the entitlement bodies.

use serde_json::{json, Map, Value};

use super::schema_ref;
use crate::domain::entitlements::catalogue::MAX_AMOUNT;
use crate::domain::plans::PlanCatalogue;
use crate::domain::tenant::{CREATE_ONLY_FIELDS, MAX_INITIAL_ADMINS};
use crate::domain::values::BOUNDED_TEXT_PATTERN;

/// The schemas of the request bodies, derived from the generated ones: a create is the
/// mutable fields plus the create-only ones; a patch is the mutable fields, each optional
/// and (but `name`) removable with `null`.
pub(super) fn request_schemas(schemas: &mut Map<String, Value>, plans: &PlanCatalogue) {
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
        "description": "A platform key holds platform roles (`platform_admin`, `login_service`, `provisioner`) and no tenant; a tenant key holds `tenant_admin` and/or `tenant_member` and names a live tenant. Platform keys and keys holding `tenant_admin` are made by platform admins only; a tenant's admins make `tenant_member` keys bound to their tenant.",
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
pub(super) fn entitlement_schemas(schemas: &mut Map<String, Value>) {
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
