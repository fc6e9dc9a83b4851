//! The tenant as the API shows it and the rules of its life (create, suspend, activate,
//! delete, plan changes), and what `If-Match` asks for.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::plans::{PlanCatalogue, PlanDirection};
use crate::domain::provisioning::{Provisioning, ProvisioningState};
use crate::domain::values::{ScopeId, Slug, TenantId};
use crate::error::ApiError;

use super::{NewTenant, TenantFields, TenantStatus};

/// A tenant as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: TenantId,
    pub slug: Slug,
    pub plan: String,
    pub status: TenantStatus,
    pub scope_id: ScopeId,
    #[serde(flatten)]
    pub fields: TenantFields,
    pub suspended_reason: Option<String>,
    pub suspended_at: Option<String>,
    pub deleted_at: Option<String>,
    /// What happens after the create: the blueprint's resources being made (or removed,
    /// after a delete). Read-only.
    #[serde(default)]
    pub provisioning: Provisioning,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// The resources, the owner's invitation and the running steps: stored with the
    /// tenant, never shown with it (`GET .../resources` lists the resources).
    #[serde(skip)]
    pub provisioning_state: ProvisioningState,
}

impl Tenant {
    /// The tenant a validated create request makes at `now`: active, version 1, with a
    /// fresh scope (and a fresh id unless the request names one).
    pub fn create(new: &NewTenant, now: &str) -> Self {
        Self {
            id: new.id.clone().unwrap_or_else(TenantId::generate),
            slug: new.slug.clone(),
            plan: new.plan.clone(),
            status: TenantStatus::Active,
            scope_id: ScopeId::generate(),
            fields: new.fields.clone(),
            suspended_reason: None,
            suspended_at: None,
            deleted_at: None,
            provisioning: Provisioning::default(),
            version: 1,
            created_at: now.to_owned(),
            updated_at: now.to_owned(),
            provisioning_state: ProvisioningState::default(),
        }
    }

    /// `invalid_state` if the tenant is deleted: deleted tenants cannot be `done`.
    pub fn ensure_not_deleted(&self, done: &str) -> Result<(), ApiError> {
        if self.status == TenantStatus::Deleted {
            Err(ApiError::InvalidState(format!(
                "tenant '{}' is deleted and cannot be {done}",
                self.id
            )))
        } else {
            Ok(())
        }
    }

    /// The tenant with `fields`, or `None` if they are what it has.
    pub fn with_fields(&self, fields: TenantFields) -> Result<Option<Self>, ApiError> {
        self.ensure_not_deleted("updated")?;
        Ok((fields != self.fields).then(|| Self {
            fields,
            ..self.clone()
        }))
    }

    /// The tenant moved to `plan`, which must lie in `direction` from its current plan.
    pub fn with_plan(
        &self,
        plans: &PlanCatalogue,
        direction: PlanDirection,
        plan: &str,
    ) -> Result<Option<Self>, ApiError> {
        self.ensure_not_deleted(&format!("{direction}d"))?;
        plans
            .check_change(direction, &self.plan, plan)
            .map_err(ApiError::InvalidPlanChange)?;
        Ok(Some(Self {
            plan: plan.to_owned(),
            ..self.clone()
        }))
    }

    /// The tenant suspended at `now` for `reason`; suspending a suspended tenant changes
    /// nothing.
    pub fn suspended(&self, reason: Option<String>, now: &str) -> Result<Option<Self>, ApiError> {
        match self.status {
            TenantStatus::Deleted => self.ensure_not_deleted("suspended").map(|_| None),
            TenantStatus::Suspended => Ok(None),
            TenantStatus::Active => Ok(Some(Self {
                status: TenantStatus::Suspended,
                suspended_reason: reason,
                suspended_at: Some(now.to_owned()),
                ..self.clone()
            })),
        }
    }

    /// The tenant active again; activating an active tenant changes nothing.
    pub fn activated(&self) -> Result<Option<Self>, ApiError> {
        match self.status {
            TenantStatus::Deleted => self.ensure_not_deleted("activated").map(|_| None),
            TenantStatus::Active => Ok(None),
            TenantStatus::Suspended => Ok(Some(Self {
                status: TenantStatus::Active,
                suspended_reason: None,
                suspended_at: None,
                ..self.clone()
            })),
        }
    }

    /// The tenant soft-deleted at `now`; deleting a deleted tenant changes nothing.
    pub fn deleted(&self, now: &str) -> Option<Self> {
        (self.status != TenantStatus::Deleted).then(|| Self {
            status: TenantStatus::Deleted,
            deleted_at: Some(now.to_owned()),
            ..self.clone()
        })
    }
}

/// What `If-Match` asks for: the versions a change may apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// No header, or `*`: any current version.
    Any,
    /// One of these versions.
    Versions(Vec<i64>),
}

impl IfMatch {
    /// Whether `version` satisfies the precondition.
    pub fn allows(&self, version: i64) -> bool {
        match self {
            Self::Any => true,
            Self::Versions(versions) => versions.contains(&version),
        }
    }
}
