//! Checking a tenant's AWS role: `sts:AssumeRole` with the tenant's external id. The
//! assumed role's credentials are discarded; what counts is that the customer's trust
//! policy lets the platform in.

use super::calls::step_error;
use crate::domain::provisioning::StepError;

/// STS as the role checker.
#[derive(Debug, Clone)]
pub struct StsRoles {
    client: aws_sdk_sts::Client,
}

impl StsRoles {
    /// The checker over `client`.
    pub fn new(client: aws_sdk_sts::Client) -> Self {
        Self { client }
    }

    /// Assumes `role_arn` (with `external_id`) as session `session`; the assumed role's ARN.
    pub async fn assume(
        &self,
        role_arn: &str,
        external_id: Option<&str>,
        session: &str,
    ) -> Result<String, StepError> {
        let output = self
            .client
            .assume_role()
            .role_arn(role_arn)
            .set_external_id(external_id.map(str::to_owned))
            .role_session_name(session)
            // The shortest session STS grants: the credentials are never used.
            .duration_seconds(900)
            .send()
            .await
            .map_err(|e| step_error("assuming the tenant's role", e))?;
        Ok(output
            .assumed_role_user()
            .map(|u| u.arn().to_owned())
            .unwrap_or_else(|| role_arn.to_owned()))
    }
}
