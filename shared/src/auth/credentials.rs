//! The credential a request presents, and the caller it proves.

use lambda_http::http::header::AUTHORIZATION;
use lambda_http::{Request, RequestExt};

use crate::domain::api_key;
use crate::domain::roles::{Role, Roles};
use crate::domain::values::DomainName;
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
    /// A person signed in to the console, whose ID token the console verified at sign-in.
    SignedIn(Caller),
}

/// The person a console request acts for, carried as a request extension by the
/// console's in-process calls (`crate::console`): never read from a header, so nothing a
/// client sends can produce it. The console verified the person's ID token at sign-in and
/// keeps its claims in the session; [`crate::auth::jwt::caller_from_claims`] made this
/// caller from them, as it does for a bearer token.
#[derive(Debug, Clone)]
pub struct ConsoleCaller(pub Caller);

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
    /// The domain of the caller's email, when its token says the issuer verified it.
    pub verified_email_domain: Option<DomainName>,
    /// The caller's email address as its token gives it (trimmed), only when the token
    /// says the issuer verified it: invitations are accepted by the address they went to.
    pub verified_email: Option<String>,
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

    /// Whether the caller's verified email is `email`, ASCII letters compared without
    /// case. Unicode case folding would make other mailboxes equal (the Kelvin sign `K`
    /// folds to `k`).
    pub fn has_verified_email(&self, email: &str) -> bool {
        self.verified_email
            .as_deref()
            .is_some_and(|own| own.eq_ignore_ascii_case(email.trim()))
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
    if let Some(ConsoleCaller(caller)) = req.extensions().get::<ConsoleCaller>() {
        if headers.contains_key(AUTHORIZATION) || headers.contains_key(API_KEY_HEADER) {
            return Err(invalid("a console request carried a credential header"));
        }
        return Ok(Credential::SignedIn(caller.clone()));
    }
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

/// What `X-Tenant-ID` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantHeader {
    /// A tenant id.
    Names(TenantId),
    /// Something that is not a tenant id: it matches no tenant, so it is never ignored.
    Malformed,
}

/// The `X-Tenant-ID` header, if sent.
pub fn tenant_header(req: &Request) -> Option<TenantHeader> {
    let value = req.headers().get(TENANT_HEADER)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    Some(match TenantId::parse(text.trim()) {
        Ok(id) => TenantHeader::Names(id),
        Err(_) => TenantHeader::Malformed,
    })
}

/// The request id: the Lambda invocation's id (also in every log line of the request),
/// else API Gateway's, else a fresh one.
pub fn request_id(req: &Request) -> String {
    if let Some(ctx) = req.lambda_context_ref() {
        if !ctx.request_id.is_empty() {
            return ctx.request_id.clone();
        }
    }
    if let Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref()
    {
        if let Some(id) = &ctx.request_id {
            return id.clone();
        }
    }
    uuid::Uuid::now_v7().to_string()
}
