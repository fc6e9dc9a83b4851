//! Each operation as the document writes it: its parameters, headers, error responses,
//! and the links from a create to what can follow it.

use serde_json::{json, Map, Value};
use utoipa::PartialSchema;

use super::{is_public, schema_ref, Operation};
use crate::domain::{ApiKeyId, Slug, TenantId, UserId};
use crate::http::routes::Route;
use crate::http::MAX_BODY_BYTES;

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

pub(super) fn operation_json(route: &Route, op: &Operation) -> Value {
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
pub(super) fn add_links(paths: &mut Map<String, Value>) {
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
