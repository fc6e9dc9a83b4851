//! What an external provisioner reports about one resource, and applying it.

use serde_json::{Map, Value};

use super::*;
use crate::domain::tenant::Tenant;
use crate::error::ApiError;

/// What an external provisioner reports about one resource (`PUT .../resources/{id}`).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceReport {
    pub kind: String,
    pub status: ResourceStatus,
    pub arn: Option<String>,
    pub external_id: Option<String>,
    pub region: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    pub error: Option<ResourceError>,
}

/// `tenant` with `report` applied to resource `id` at `now`, and the resource as it is
/// now; `None` for the tenant when the report changes nothing (a repeat).
pub fn report(
    tenant: &Tenant,
    id: &str,
    report: &ResourceReport,
    now: &str,
) -> Result<(Option<Tenant>, Resource), ApiError> {
    if Step::of(id).is_some() {
        return Err(ApiError::InvalidState(format!(
            "resource '{id}' is a built-in step that the API runs itself"
        )));
    }
    let mut next = tenant.clone();
    let state = &mut next.provisioning_state;
    if state.resource(id).is_none() {
        if state.resources.len() >= MAX_RESOURCES {
            return Err(ApiError::InvalidState(format!(
                "tenant '{}' already has {MAX_RESOURCES} resources",
                tenant.id
            )));
        }
        // Not in the blueprint: the provisioner's own, which provisioning does not wait for.
        state
            .resources
            .push(Resource::new(id, &report.kind, false, false, now));
    }
    let Some(resource) = state.resource_mut(id) else {
        return Err(ApiError::internal("reporting a resource", "it vanished"));
    };
    if resource.kind != report.kind {
        return Err(ApiError::field(
            "type",
            format!("resource '{id}' is of type '{}'", resource.kind),
        ));
    }
    let unchanged = resource.status == report.status
        && resource.arn == report.arn
        && resource.external_id == report.external_id
        && resource.region == report.region
        && resource.metadata == report.metadata
        && resource.error == report.error;
    if unchanged {
        return Ok((None, resource.clone()));
    }
    resource.status = report.status;
    resource.arn = report.arn.clone();
    resource.external_id = report.external_id.clone();
    resource.region = report.region.clone();
    resource.metadata = report.metadata.clone();
    resource.error = report.error.clone();
    resource.version += 1;
    resource.updated_at = now.to_owned();
    let resource = resource.clone();
    // A report may shrink a tenant that is over its total, never grow it past it.
    let size = resources_size(&next.provisioning_state.resources);
    if size > MAX_TENANT_RESOURCE_BYTES
        && size > resources_size(&tenant.provisioning_state.resources)
    {
        return Err(ApiError::InvalidState(format!(
            "tenant '{}' may hold at most {MAX_TENANT_RESOURCE_BYTES} bytes of resources \
             (serialized, metadata included); this report would bring them to {size}",
            tenant.id
        )));
    }
    settle(&mut next, now);
    Ok((Some(next), resource))
}
