//! The one error type of the API. Every failure a handler can meet becomes an [`ApiError`];
//! [`crate::http::error_response`] is the only place that turns it into a response.

use serde::Serialize;

/// One invalid input field and why it was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the client sent it (camelCase body field or query parameter).
    pub field: String,
    /// What is wrong, in words a person can act on.
    pub reason: String,
}

impl FieldError {
    /// A field error for `field` with `reason`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// One or more fields are invalid; every one of them is listed.
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    /// The body is not JSON at all.
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    /// The body is JSON but not the expected shape (e.g. not an object).
    #[error("{0}")]
    InvalidBody(String),
    /// A pagination cursor that this API did not issue, or issued for another query.
    #[error("the cursor is invalid or belongs to a different query")]
    InvalidCursor,
    /// No tenant with that id or slug.
    #[error("{0}")]
    NotFound(String),
    /// No route matches the request path.
    #[error("no route matches {method} {path}")]
    RouteNotFound { method: String, path: String },
    /// The path exists but not for this method.
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed {
        method: String,
        path: String,
        allow: Vec<&'static str>,
    },
    /// The slug is already taken (slugs are never reused, even after deletion).
    #[error("the slug '{0}' is already taken")]
    SlugConflict(String),
    /// A client-supplied id was replayed with a different body.
    #[error("a tenant with id '{0}' already exists with different attributes")]
    IdConflict(String),
    /// The tenant's status does not allow this operation.
    #[error("{0}")]
    InvalidState(String),
    /// The requested plan is not higher (upgrade) or lower (downgrade) than the current one.
    #[error("{0}")]
    InvalidPlanChange(String),
    /// `If-Match` names a version other than the current one.
    #[error("the tenant has changed: current version is {current}")]
    PreconditionFailed { current: i64 },
    /// The body is larger than the API accepts.
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The body's content type is not one this endpoint accepts.
    #[error("content type must be {expected}")]
    UnsupportedMediaType { expected: &'static str },
    /// No credentials, or credentials that do not verify. The client learns nothing more
    /// than whether it presented any.
    #[error("{}", if *presented { "invalid credentials" } else { "authentication is required" })]
    Unauthenticated { presented: bool },
    /// The policies deny the request; `notices` names the policies that decided.
    #[error("you are not allowed to do this")]
    Forbidden { notices: Vec<String> },
    /// The caller's tenant is suspended.
    #[error("the tenant is suspended")]
    TenantSuspended { notices: Vec<String> },
    /// `X-Tenant-ID` does not match the credential's tenant.
    #[error("X-Tenant-ID does not match the credential's tenant")]
    TenantMismatch { notices: Vec<String> },
    /// The domain is verified by another tenant.
    #[error("the domain '{0}' is verified by another tenant")]
    DomainConflict(String),
    /// The domain's verification record was not found where it must be published.
    #[error("the verification record of '{domain}' was not found: publish a TXT record at {record_name} with the value {record_value}")]
    DomainNotVerified {
        domain: String,
        record_name: String,
        record_value: String,
    },
    /// The caller is not the person the invitation was sent to: its token carries no
    /// verified email, or another one.
    #[error("this invitation was sent to another email address: sign in as the invited person, with an email address your identity provider has verified")]
    InvitationEmailMismatch { notices: Vec<String> },
    /// The invitation's token expired before it was used.
    #[error("the invitation expired at {0}: ask for a new one")]
    InvitationExpired(String),
    /// Revoking this admin would leave the tenant without one.
    #[error("'{0}' is the tenant's last admin and cannot be removed")]
    LastAdmin(String),
    /// The tenant's plan (and no override) does not grant a feature the request needs.
    #[error("{message}")]
    NotInPlan { feature: String, message: String },
    /// A usage report that the tenant's limits or status refuse: `reason` is the code
    /// (`limit_reached`, `not_in_plan`, `tenant_suspended`, `tenant_deleted`), `figures`
    /// the check's answer.
    #[error("{message}")]
    UsageRefused {
        reason: &'static str,
        message: String,
        figures: serde_json::Value,
    },
    /// An idempotency key sent again with another request.
    #[error("the Idempotency-Key '{0}' was used for a different usage report: use a new key for a new report")]
    IdempotencyKeyReused(String),
    /// Done too often: the same request is accepted again after `retry_after` seconds.
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    /// DynamoDB throttled us or kept conflicting; the client may retry.
    #[error("the service is busy, retry later")]
    Unavailable(String),
    /// Anything else: logged in full, returned only as `internal_error`.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A validation error for a single field.
    pub fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, reason)])
    }

    /// An internal error: what was being done when `err` happened, and `err`'s full
    /// description, for the logs (the client only ever sees `internal_error`).
    pub fn internal(doing: &str, err: impl std::fmt::Debug) -> Self {
        Self::Internal(format!("while {doing}: {err:?}"))
    }

    /// The one answer for a tenant that does not exist, or that the caller may not know
    /// exists: hidden and missing tenants must read word for word the same.
    pub fn tenant_not_found(id: &str) -> Self {
        Self::NotFound(format!("no tenant with id '{id}'"))
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            Self::Validation(_)
            | Self::MalformedJson(_)
            | Self::InvalidBody(_)
            | Self::InvalidCursor
            | Self::DomainNotVerified { .. } => 400,
            Self::Unauthenticated { .. } => 401,
            Self::Forbidden { .. }
            | Self::TenantSuspended { .. }
            | Self::TenantMismatch { .. }
            | Self::InvitationEmailMismatch { .. } => 403,
            Self::NotFound(_) | Self::RouteNotFound { .. } => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::SlugConflict(_)
            | Self::IdConflict(_)
            | Self::InvalidState(_)
            | Self::InvalidPlanChange(_)
            | Self::LastAdmin(_)
            | Self::NotInPlan { .. }
            | Self::UsageRefused { .. }
            | Self::IdempotencyKeyReused(_)
            | Self::DomainConflict(_) => 409,
            Self::InvitationExpired(_) => 410,
            Self::PreconditionFailed { .. } => 412,
            Self::PayloadTooLarge { .. } => 413,
            Self::UnsupportedMediaType { .. } => 415,
            Self::RateLimited { .. } => 429,
            Self::Unavailable(_) => 503,
            Self::Internal(_) => 500,
        }
    }

    /// The stable, machine-readable error code of the envelope.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_error",
            Self::MalformedJson(_) => "malformed_json",
            Self::InvalidBody(_) => "invalid_body",
            Self::InvalidCursor => "invalid_cursor",
            Self::Unauthenticated { .. } => "unauthenticated",
            Self::Forbidden { .. } => "forbidden",
            Self::TenantSuspended { .. } => "tenant_suspended",
            Self::TenantMismatch { .. } => "tenant_mismatch",
            Self::LastAdmin(_) => "last_admin",
            Self::NotInPlan { .. } => "not_in_plan",
            Self::UsageRefused { reason, .. } => reason,
            Self::IdempotencyKeyReused(_) => "idempotency_key_reused",
            Self::DomainConflict(_) => "domain_conflict",
            Self::InvitationExpired(_) => "invitation_expired",
            Self::InvitationEmailMismatch { .. } => "invitation_email_mismatch",
            Self::DomainNotVerified { .. } => "domain_not_verified",
            Self::NotFound(_) | Self::RouteNotFound { .. } => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::SlugConflict(_) => "slug_conflict",
            Self::IdConflict(_) => "id_conflict",
            Self::InvalidState(_) => "invalid_state",
            Self::InvalidPlanChange(_) => "invalid_plan_change",
            Self::PreconditionFailed { .. } => "precondition_failed",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "service_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    /// The message shown to the client. Internal details never appear here.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "an internal error occurred".to_owned(),
            Self::Unavailable(_) => "the service is busy, retry later".to_owned(),
            other => other.to_string(),
        }
    }

    /// The ids of the policies behind a 403, for the envelope's `notices`.
    pub fn notices(&self) -> Option<&[String]> {
        match self {
            Self::Forbidden { notices }
            | Self::TenantSuspended { notices }
            | Self::TenantMismatch { notices }
            | Self::InvitationEmailMismatch { notices } => Some(notices),
            _ => None,
        }
    }

    /// Structured details for the envelope's `details` object.
    pub fn details(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Self::Validation(fields) => json!({ "fields": fields }),
            Self::SlugConflict(slug) => json!({ "slug": slug }),
            Self::IdConflict(id) => json!({ "id": id }),
            Self::PreconditionFailed { current } => json!({ "currentVersion": current }),
            Self::PayloadTooLarge { limit } => json!({ "maxBytes": limit }),
            Self::UnsupportedMediaType { expected } => json!({ "expected": expected }),
            Self::MethodNotAllowed { allow, .. } => json!({ "allow": allow }),
            Self::LastAdmin(user) => json!({ "userId": user }),
            Self::NotInPlan { feature, .. } => json!({ "feature": feature }),
            Self::UsageRefused { figures, .. } => figures.clone(),
            Self::IdempotencyKeyReused(key) => json!({ "idempotencyKey": key }),
            Self::RateLimited { retry_after, .. } => json!({ "retryAfterSeconds": retry_after }),
            Self::DomainConflict(domain) => json!({ "domain": domain }),
            Self::DomainNotVerified {
                domain,
                record_name,
                record_value,
            } => json!({
                "domain": domain,
                "expected": {"type": "TXT", "name": record_name, "value": record_value},
            }),
            _ => json!({}),
        }
    }
}

/// Turns any failure into an internal error that says what was being done.
pub trait Context<T> {
    /// `Err(e)` becomes [`ApiError::internal`]`(doing, e)`.
    fn context(self, doing: &str) -> Result<T, ApiError>;
}

impl<T, E: std::fmt::Debug> Context<T> for Result<T, E> {
    fn context(self, doing: &str) -> Result<T, ApiError> {
        self.map_err(|err| ApiError::internal(doing, err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_say_what_was_being_done_but_never_to_the_client() {
        let err = Err::<(), _>("disk on fire")
            .context("writing the tenant")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "internal error: while writing the tenant: \"disk on fire\""
        );
        assert_eq!(err.public_message(), "an internal error occurred");
    }

    #[test]
    fn a_missing_tenant_reads_the_same_wherever_it_is_reported() {
        assert_eq!(
            ApiError::tenant_not_found("tenant_x").public_message(),
            "no tenant with id 'tenant_x'"
        );
    }
}
