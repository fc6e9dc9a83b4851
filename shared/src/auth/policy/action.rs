//! What the API asks permission for ([`Action`]), about what ([`Resource`]), knowing what
//! ([`Facts`]), and the answer ([`Decision`]).

use super::Caller;
use crate::domain::roles::Roles;

/// Everything the API asks permission for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    CreateTenant,
    ListTenants,
    ReadTenant,
    UpdateTenant,
    ChangePlan,
    SuspendTenant,
    ActivateTenant,
    DeleteTenant,
    ReadStats,
    ListAdmins,
    GrantAdmin,
    RevokeAdmin,
    /// Listing, creating and revoking API keys: every key, and platform keys (platform
    /// admins).
    ManageApiKeys,
    /// Listing, creating and revoking the API keys bound to one tenant (its admins).
    ManageTenantApiKeys,
    /// Creating or revoking a key bound to a tenant that holds `tenant_admin` (or a platform
    /// role): asked besides [`Action::ManageTenantApiKeys`], as such a key counts the
    /// tenant's usage.
    ManageAdminKeys,
    ListEvents,
    ListDomains,
    AddDomain,
    VerifyDomain,
    RemoveDomain,
    /// Marking a domain verified without its DNS record (platform admins).
    MarkDomainVerified,
    DiscoverLogin,
    /// A tenant's resources (platform admins, its admins, provisioners).
    ListResources,
    /// An external provisioner's report on a resource.
    ReportResource,
    RetryProvisioning,
    ResendInvitation,
    /// Spending an invitation token (any authenticated user).
    AcceptInvitation,
    /// Changing a tenant's owner fields (`ownerEmail`, `ownerName`, `ownerUserId`) with
    /// PATCH: asked besides [`Action::UpdateTenant`].
    ChangeOwner,
    /// Changing a tenant's limits and plan-like fields (`maxUsers`, ..., `kind`) with PATCH.
    ChangeLimits,
    /// Setting a tenant's STS external id (`awsExternalId`) with PATCH.
    SetAwsExternalId,
    /// Reading the plan catalogue (`GET /v1/plans`).
    ReadPlans,
    /// Reading a tenant's entitlements and checking one.
    ReadEntitlements,
    /// Reporting a tenant's usage (the SaaS application's backend).
    ReportUsage,
    /// Opening the console (people; not the machine roles).
    UseConsole,
}

impl Action {
    /// The action's id in the policy file (`Action::"<name>"`).
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateTenant => "CreateTenant",
            Self::ListTenants => "ListTenants",
            Self::ReadTenant => "ReadTenant",
            Self::UpdateTenant => "UpdateTenant",
            Self::ChangePlan => "ChangePlan",
            Self::SuspendTenant => "SuspendTenant",
            Self::ActivateTenant => "ActivateTenant",
            Self::DeleteTenant => "DeleteTenant",
            Self::ReadStats => "ReadStats",
            Self::ListAdmins => "ListAdmins",
            Self::GrantAdmin => "GrantAdmin",
            Self::RevokeAdmin => "RevokeAdmin",
            Self::ManageApiKeys => "ManageApiKeys",
            Self::ManageTenantApiKeys => "ManageTenantApiKeys",
            Self::ManageAdminKeys => "ManageAdminKeys",
            Self::ListEvents => "ListEvents",
            Self::ListDomains => "ListDomains",
            Self::AddDomain => "AddDomain",
            Self::VerifyDomain => "VerifyDomain",
            Self::RemoveDomain => "RemoveDomain",
            Self::MarkDomainVerified => "MarkDomainVerified",
            Self::DiscoverLogin => "DiscoverLogin",
            Self::ListResources => "ListResources",
            Self::ReportResource => "ReportResource",
            Self::RetryProvisioning => "RetryProvisioning",
            Self::ResendInvitation => "ResendInvitation",
            Self::AcceptInvitation => "AcceptInvitation",
            Self::ChangeOwner => "ChangeOwner",
            Self::ChangeLimits => "ChangeLimits",
            Self::SetAwsExternalId => "SetAwsExternalId",
            Self::ReadPlans => "ReadPlans",
            Self::ReadEntitlements => "ReadEntitlements",
            Self::ReportUsage => "ReportUsage",
            Self::UseConsole => "UseConsole",
        }
    }
}

/// What a request is about.
#[derive(Debug, Clone, Copy)]
pub enum Resource<'a> {
    /// The tenant collection or the API itself (create, list, stats, API keys).
    Platform,
    /// One tenant, with its status (`"missing"` if there is no such tenant).
    Tenant { id: &'a str, status: &'a str },
}

/// What is known about the caller and the resource when a request is evaluated.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub caller: &'a Caller,
    pub resource: Resource<'a>,
    /// The caller's roles on the resource tenant (empty for [`Resource::Platform`]).
    pub tenant_roles: &'a Roles,
    /// Whether the caller holds any tenant role on any tenant.
    pub has_tenant_roles: bool,
    /// Status of the tenant the credential is bound to, or `"none"`.
    pub credential_tenant_status: &'a str,
    /// `X-Tenant-ID` names a tenant other than the credential's.
    pub tenant_header_mismatch: bool,
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The `@id`s of the policies that determined the decision.
    pub notices: Vec<String>,
}
