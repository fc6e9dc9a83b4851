//! The tenant: its fields (one struct, read from JSON in one place), the resource the API
//! shows, the validated create request, and the rules of its life (suspend, activate,
//! delete, plan changes).
//!
//! By concern: `fields` (the mutable fields), `lifecycle` (the tenant and its life
//! rules) and `new` (the create request); the kind and status enums live here.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod fields;
mod lifecycle;
mod new;
#[cfg(test)]
mod tests;

pub use fields::{
    GuardedFields, TenantFields, CREATE_ONLY_FIELDS, MAX_INITIAL_ADMINS, READ_ONLY_FIELDS,
};
pub use lifecycle::{IfMatch, Tenant};
pub use new::NewTenant;

/// What sort of customer a tenant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantKind {
    #[default]
    Standard,
    Enterprise,
    Trial,
}

impl TenantKind {
    /// Every kind, for stats and error messages.
    pub const ALL: [Self; 3] = [Self::Standard, Self::Enterprise, Self::Trial];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Enterprise => "enterprise",
            Self::Trial => "trial",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| "must be one of: standard, enterprise, trial".to_owned())
    }
}

/// Where a tenant is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    Suspended,
    Deleted,
}

impl TenantStatus {
    /// Every status, for stats and error messages.
    pub const ALL: [Self; 3] = [Self::Active, Self::Suspended, Self::Deleted];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Deleted => "deleted",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| "must be one of: active, suspended, deleted".to_owned())
    }
}

/// How a tenant's users sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoginMode {
    #[default]
    Invite,
    Sso,
    EmailDomain,
}

impl LoginMode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invite => "invite",
            Self::Sso => "sso",
            Self::EmailDomain => "email_domain",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Result<Self, String> {
        [Self::Invite, Self::Sso, Self::EmailDomain]
            .into_iter()
            .find(|m| m.as_str() == text)
            .ok_or_else(|| "must be one of: invite, sso, email_domain".to_owned())
    }
}
