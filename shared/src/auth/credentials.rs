//! The credential a request presents, and the caller it proves.

use lambda_http::http::header::AUTHORIZATION;
use lambda_http::Request;

use crate::domain::api_key;
use crate::domain::roles::{Role, Roles};
use crate::domain::{ApiKeyId, TenantId, UserId};
use crate::error::ApiError;

/// Header carrying a machine credential.
pub const API_KEY_HEADER: &str = "x-api-key";
/// Optional header naming the tenant the caller acts for.
pub const TENANT_HEADER: &str = "x-tenant-id";

/// What the request presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer <JWT>`.
    Bearer(String),
    /// `X-API-Key: <key>`, split into the key's id and its secret.
    ApiKey { id: ApiKeyId, secret: String },
}

/// Who is calling, as far as the credential alone tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// A user (a JWT's `sub`) or an API key.
    pub kind: CallerKind,
    /// The user id or the API key id.
    pub id: String,
    /// Roles that apply everywhere.
    pub platform_roles: Roles,
    /// The tenant the credential is bound to (a token's tenant claim, a key's tenant).
    pub bound_tenant: Option<TenantId>,
    /// The credential's roles on [`Self::bound_tenant`].
    pub bound_roles: Roles,
}

/// The kind of principal behind a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    User,
    ApiKey,
}

impl Caller {
    /// Whether the caller is a platform admin.
    pub fn is_platform_admin(&self) -> bool {
        self.platform_roles.contains(&Role::PlatformAdmin)
    }

    /// The user behind the credential, if it is a user's (not an API key's).
    pub fn user_id(&self) -> Option<UserId> {
        match self.kind {
            CallerKind::User => UserId::parse(&self.id).ok(),
            CallerKind::ApiKey => None,
        }
    }

    /// The Cedar entity type of the principal.
    pub fn entity_type(&self) -> &'static str {
        match self.kind {
            CallerKind::User => "User",
            CallerKind::ApiKey => "ApiKey",
        }
    }
}

/// Why authentication failed. The client only ever learns "invalid credentials" (or that
/// none were given); the reason is logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// No credential at all.
    Missing,
    /// A credential was presented but is not valid; the reason is for the logs only.
    Invalid(String),
}

impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::Missing => ApiError::Unauthenticated { presented: false },
            Rejection::Invalid(reason) => {
                tracing::info!(reason, "credentials rejected");
                ApiError::Unauthenticated { presented: true }
            }
        }
    }
}

/// An invalid-credentials error, with `reason` logged.
pub fn invalid(reason: impl Into<String>) -> ApiError {
    Rejection::Invalid(reason.into()).into()
}

/// The one credential the request presents. Both kinds at once is refused: which one
/// should win would be a guess.
pub fn from_request(req: &Request) -> Result<Credential, ApiError> {
    let headers = req.headers();
    let bearer = headers.get(AUTHORIZATION);
    let key = headers.get(API_KEY_HEADER);
    match (bearer, key) {
        (None, None) => Err(Rejection::Missing.into()),
        (Some(_), Some(_)) => Err(invalid("both Authorization and X-API-Key were sent")),
        (Some(value), None) => {
            let text = value
                .to_str()
                .map_err(|_| invalid("Authorization is not ASCII"))?;
            let (scheme, token) = text
                .trim()
                .split_once(' ')
                .ok_or_else(|| invalid("Authorization has no scheme"))?;
            let token = token.trim();
            if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
                return Err(invalid("Authorization is not a bearer token"));
            }
            Ok(Credential::Bearer(token.to_owned()))
        }
        (None, Some(value)) => {
            let text = value
                .to_str()
                .map_err(|_| invalid("X-API-Key is not ASCII"))?;
            api_key::split(text.trim())
                .map(|(id, secret)| Credential::ApiKey { id, secret })
                .ok_or_else(|| invalid("X-API-Key is not in the API's key format"))
        }
    }
}

/// The `X-Tenant-ID` header, if sent: it must be a tenant id (else `validation_error` on
/// `X-Tenant-ID`), so a typo is reported rather than silently ignored.
pub fn tenant_header(req: &Request) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(TENANT_HEADER) else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    TenantId::parse(text.trim())
        .map(|id| Some(id.to_string()))
        .map_err(|why| ApiError::field("X-Tenant-ID", why))
}
