//! The OpenAPI 3.1 document of the API, generated from the route table ([`ROUTES`]) and
//! the types the handlers read and write (their schemas come from `utoipa` derives on the
//! domain and HTTP types). `openapi.json` at the repository root is this document,
//! committed (`make openapi` writes it); `GET /v1/openapi.json` serves it; tests fail when
//! it, the route table and `template.yaml` disagree.
//!
//! By concern: the operations (`tenant_operations`, `related_operations`), how each is
//! written out (`paths`) and the schemas no type derives (`schemas`).

mod paths;
mod related_operations;
mod schemas;
mod tenant_operations;

use serde_json::{json, Map, Value};
use utoipa::openapi::ComponentsBuilder;
use utoipa::PartialSchema;

use super::error::ErrorBody;
use super::reply::TenantView;
use super::routes::{Route, ROUTES};
use super::MERGE_PATCH;
use crate::domain::api_key::ApiKeyView;
use crate::domain::entitlements::catalogue;
use crate::domain::plans::PlanCatalogue;
use crate::domain::stats::TenantStats;
use crate::domain::{
    AdminGrant, ApiKeyId, ChangeEvent, EventType, Role, ScopeId, Slug, Tenant, TenantFields,
    TenantId, UserId,
};
use paths::{add_links, operation_json};
use related_operations::related_operation;
pub(crate) use schemas::grant_value_schema;
use schemas::{entitlement_schemas, request_schemas};
use tenant_operations::tenant_operation;

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
    let base = || Operation {
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
    tenant_operation(route, plans, tenant.clone(), base())
        .or_else(|| related_operation(route, tenant.clone(), base()))
        // A route this table does not describe yet still appears, with its function name.
        .unwrap_or_else(|| Operation {
            id: route.function,
            summary: route.function,
            ..base()
        })
}

/// Whether a route needs no credential.
pub fn is_public(route: &Route) -> bool {
    route.function == "get-openapi"
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
