//! Successful responses: [`Reply`] (status, JSON body, headers), and the tenant's JSON.

use lambda_http::http::header::{ETAG, LOCATION};
use lambda_http::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::roles::{Role, Roles};
use crate::domain::{Page, Tenant};
use crate::error::{ApiError, Context};

/// A successful response before the request id is attached.
#[derive(Debug)]
pub struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A JSON reply with `status`.
    pub fn json(status: StatusCode, body: &impl Serialize) -> Result<Self, ApiError> {
        Ok(Self {
            status,
            body: serde_json::to_value(body).context("encoding a response")?,
            headers: Vec::new(),
        })
    }

    /// A reply carrying `tenant` as `roles` see it, with its version as the `ETag`.
    pub fn tenant(status: StatusCode, tenant: &Tenant, roles: &Roles) -> Result<Self, ApiError> {
        Ok(Self {
            status,
            body: tenant_json(tenant, roles)?,
            headers: Vec::new(),
        }
        .header(ETAG.as_str(), etag(tenant.version)))
    }

    /// `204 No Content`.
    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: Value::Null,
            headers: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Adds `Location: /v1/tenants/<id>`.
    pub fn located_at(self, tenant: &Tenant) -> Self {
        self.header(LOCATION.as_str(), format!("/v1/tenants/{}", tenant.id))
    }

    /// A page of tenants, each as `roles` see it.
    pub fn tenants(page: Page<(Tenant, Roles)>) -> Result<Self, ApiError> {
        let page = page.try_map(|(tenant, roles)| tenant_json(&tenant, &roles))?;
        Self::json(StatusCode::OK, &page)
    }

    /// Adds `Location: <path>`.
    pub fn location(self, path: String) -> Self {
        self.header(LOCATION.as_str(), path)
    }
}

/// A tenant as one caller sees it: the body of every tenant response.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantView<'a> {
    #[serde(flatten)]
    pub tenant: &'a Tenant,
    /// The caller's roles on this tenant (platform roles included).
    pub current_user_roles: Vec<Role>,
}

/// A tenant's JSON with `currentUserRoles`: the caller's roles on it.
pub fn tenant_json(tenant: &Tenant, roles: &Roles) -> Result<Value, ApiError> {
    let view = TenantView {
        tenant,
        current_user_roles: roles.iter().copied().collect(),
    };
    serde_json::to_value(view).context("encoding a tenant")
}

/// The strong entity tag of a tenant version: `"<version>"`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}
