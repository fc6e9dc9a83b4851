//! The per-request access check: who is calling (authentication), what they hold on the
//! tenant the request is about, and what the Cedar policies say (authorization).
//!
//! Everything a decision needs is read in one strongly consistent `BatchGetItem`
//! ([`Store::read_access`]): the target tenant, the caller's admin grant on it, the tenant
//! the credential is bound to and the API key. The tenant read here is the one the handler
//! then works from, so a request on a tenant costs no extra round trip for its
//! authorization.

use lambda_http::Request;

use super::credentials::{self, invalid, Caller, CallerKind, Credential, TenantHeader};
use super::jwt::JwtVerifier;
use super::policy::{Action, Decision, Facts, Policies, Resource};
use crate::domain::api_key;
use crate::domain::entitlements::usage::Usage;
use crate::domain::event::{Actor, ActorKind, Origin};
use crate::domain::roles::{self, Role, Roles};
use crate::domain::{Tenant, TenantId, TenantStatus};
use crate::error::ApiError;
use crate::store::{AccessWanted, Store};

/// Authentication and authorization, built once per cold start: the policies, the token
/// verifier and the store the facts are read from.
#[derive(Debug)]
pub struct Auth {
    store: Store,
    policies: Policies,
    jwt: Option<JwtVerifier>,
}

/// An authenticated caller, and what the credential is bound to.
#[derive(Debug, Clone)]
pub struct Session {
    pub caller: Caller,
    /// Status of the tenant the credential is bound to, or `"none"`.
    pub bound_status: &'static str,
    /// The `X-Tenant-ID` header, if sent.
    pub tenant_header: Option<TenantHeader>,
    /// The request's id, which the events of its changes carry.
    pub request_id: String,
}

impl Session {
    /// Who is making this request's changes, and in which request.
    pub fn origin(&self) -> Origin {
        Origin {
            actor: Actor {
                kind: match self.caller.kind {
                    CallerKind::User => ActorKind::User,
                    CallerKind::ApiKey => ActorKind::ApiKey,
                },
                id: self.caller.id.clone(),
            },
            request_id: self.request_id.clone(),
        }
    }

    /// Whether `X-Tenant-ID` names another tenant than the credential's (or, for a
    /// credential bound to none, than the tenant the request is about).
    fn header_mismatch(&self, target: Option<&str>) -> bool {
        match (&self.tenant_header, &self.caller.bound_tenant, target) {
            (None, _, _) => false,
            // A value that is no tenant id matches no tenant, whatever the request is about.
            (Some(TenantHeader::Malformed), _, _) => true,
            (Some(TenantHeader::Names(header)), Some(bound), _) => header != bound,
            (Some(TenantHeader::Names(header)), None, Some(target)) => header.as_str() != target,
            (Some(TenantHeader::Names(_)), None, None) => false,
        }
    }

    /// The caller's roles on `tenant`, platform roles included. A deleted tenant grants
    /// nothing to its own users.
    pub fn roles_on(&self, tenant: &Tenant, granted_admin: bool) -> Roles {
        let mut roles = self.caller.platform_roles.clone();
        if tenant.status != TenantStatus::Deleted {
            if self.caller.bound_tenant.as_ref() == Some(&tenant.id) {
                roles.extend(self.caller.bound_roles.iter().copied());
            }
            if granted_admin {
                roles.insert(Role::TenantAdmin);
            }
        }
        roles
    }
}

/// A request on one tenant that the caller may make.
#[derive(Debug, Clone)]
pub struct TenantAccess {
    pub session: Session,
    /// The tenant, as read for the decision, with its create digest.
    pub tenant: Tenant,
    pub create_hash: String,
    /// The caller's roles on the tenant (platform roles included).
    pub roles: Roles,
    /// The tenant's usage counters, when the request read them with the tenant
    /// ([`Auth::tenant_with_usage`]).
    pub usage: Option<Usage>,
}

impl Auth {
    /// The access checks over `store`.
    pub fn new(store: Store, policies: Policies, jwt: Option<JwtVerifier>) -> Self {
        Self {
            store,
            policies,
            jwt,
        }
    }

    /// Authenticates the request and checks `action` on the platform (no particular tenant).
    pub async fn platform(&self, req: &Request, action: Action) -> Result<Session, ApiError> {
        let (session, _) = self.authenticate(req, None, false).await?;
        self.check_platform(&session, action, false)?;
        Ok(session)
    }

    /// Checks `action` on the platform for an authenticated session. `has_grants` tells
    /// whether the caller holds admin grants (listing reads them first).
    pub fn check_platform(
        &self,
        session: &Session,
        action: Action,
        has_grants: bool,
    ) -> Result<(), ApiError> {
        let decision = self.policies.decide(
            action,
            &Facts {
                caller: &session.caller,
                resource: Resource::Platform,
                tenant_roles: &Roles::new(),
                has_tenant_roles: !session.caller.bound_roles.is_empty() || has_grants,
                credential_tenant_status: session.bound_status,
                tenant_header_mismatch: session.header_mismatch(None),
            },
        );
        conclude(session, action, decision, None)
    }

    /// Authenticates the request without deciding anything yet (listing first reads the
    /// caller's grants, then asks).
    pub async fn session(&self, req: &Request) -> Result<Session, ApiError> {
        self.authenticate(req, None, false)
            .await
            .map(|(session, _)| session)
    }

    /// Authenticates the request and checks `action` on tenant `id`, reading the tenant in
    /// the same round trip. A caller with no role on the tenant learns nothing about it: 404.
    pub async fn tenant(
        &self,
        req: &Request,
        action: Action,
        id: &TenantId,
    ) -> Result<TenantAccess, ApiError> {
        let (session, target) = self.authenticate(req, Some(id), false).await?;
        let Target {
            tenant,
            granted_admin,
            ..
        } = target.unwrap_or_default();
        self.decide_on_tenant(session, action, id, tenant, granted_admin)
    }

    /// [`Self::tenant`], reading the tenant's usage counters in the same round trip.
    pub async fn tenant_with_usage(
        &self,
        req: &Request,
        action: Action,
        id: &TenantId,
    ) -> Result<TenantAccess, ApiError> {
        let (session, target) = self.authenticate(req, Some(id), true).await?;
        let Target {
            tenant,
            granted_admin,
            usage,
        } = target.unwrap_or_default();
        let mut access = self.decide_on_tenant(session, action, id, tenant, granted_admin)?;
        access.usage = Some(usage);
        Ok(access)
    }

    /// Checks `action` on a tenant already read (found by slug) for an authenticated
    /// session, reading only the caller's grant on it.
    pub async fn prefetched_tenant(
        &self,
        session: Session,
        action: Action,
        tenant: Tenant,
    ) -> Result<TenantAccess, ApiError> {
        // A platform admin may do everything anyway: spare it the grant read.
        let granted_admin = match session.caller.user_id() {
            Some(user) if !session.caller.is_platform_admin() => {
                let domain = session.caller.verified_email_domain.as_ref();
                let admitted = match domain {
                    Some(domain) if admits_by_domain(&tenant) => {
                        self.store.domain_owner(domain).await?.as_ref() == Some(&tenant.id)
                    }
                    _ => false,
                };
                admitted || self.store.admin_grant(&tenant.id, &user).await?.is_some()
            }
            _ => false,
        };
        let id = tenant.id.clone();
        // Reads never write back, so the create digest is not needed.
        self.decide_on_tenant(
            session,
            action,
            &id,
            Some((tenant, String::new())),
            granted_admin,
        )
    }

    /// Checks a further `action` on the tenant of an access already granted (an option of
    /// the request that needs more than the request itself).
    pub fn check_on(&self, access: &TenantAccess, action: Action) -> Result<(), ApiError> {
        let tenant_roles: Roles = roles::tenant_only(&access.roles);
        let session = &access.session;
        let decision = self.policies.decide(
            action,
            &Facts {
                caller: &session.caller,
                resource: Resource::Tenant {
                    id: &access.tenant.id,
                    status: access.tenant.status.as_str(),
                },
                has_tenant_roles: !tenant_roles.is_empty()
                    || !session.caller.bound_roles.is_empty(),
                tenant_roles: &tenant_roles,
                credential_tenant_status: session.bound_status,
                tenant_header_mismatch: session.header_mismatch(Some(&access.tenant.id)),
            },
        );
        conclude(session, action, decision, None)
    }

    /// Whether `session` may read `tenant` (for listings), and its roles there.
    pub fn readable(
        &self,
        session: &Session,
        tenant: &Tenant,
        granted_admin: bool,
    ) -> Option<Roles> {
        let roles = session.roles_on(tenant, granted_admin);
        let tenant_roles: Roles = roles::tenant_only(&roles);
        let decision = self.policies.decide(
            Action::ReadTenant,
            &Facts {
                caller: &session.caller,
                resource: Resource::Tenant {
                    id: &tenant.id,
                    status: tenant.status.as_str(),
                },
                has_tenant_roles: !tenant_roles.is_empty()
                    || !session.caller.bound_roles.is_empty(),
                tenant_roles: &tenant_roles,
                credential_tenant_status: session.bound_status,
                tenant_header_mismatch: session.header_mismatch(Some(&tenant.id)),
            },
        );
        decision.allowed.then_some(roles)
    }

    /// Decides `action` on tenant `id` (`None`: no such tenant). "Hidden or missing" is
    /// decided before any other denial: a tenant that does not exist is 404 for everyone
    /// (authenticated), and a denied caller without a role on the tenant (not a platform
    /// admin) gets that same 404, never `tenant_mismatch`, `tenant_suspended` or
    /// `forbidden`, which would tell that the tenant exists.
    fn decide_on_tenant(
        &self,
        session: Session,
        action: Action,
        id: &TenantId,
        tenant: Option<(Tenant, String)>,
        granted_admin: bool,
    ) -> Result<TenantAccess, ApiError> {
        let Some((tenant, create_hash)) = tenant else {
            tracing::info!(caller = %session.caller.id, action = action.name(), "no such tenant");
            return Err(ApiError::tenant_not_found(id));
        };
        let roles = session.roles_on(&tenant, granted_admin);
        let tenant_roles: Roles = roles::tenant_only(&roles);
        let status = tenant.status.as_str();
        let decision = self.policies.decide(
            action,
            &Facts {
                caller: &session.caller,
                resource: Resource::Tenant { id, status },
                tenant_roles: &tenant_roles,
                has_tenant_roles: !tenant_roles.is_empty()
                    || !session.caller.bound_roles.is_empty(),
                credential_tenant_status: session.bound_status,
                tenant_header_mismatch: session.header_mismatch(Some(id)),
            },
        );
        let hide =
            (tenant_roles.is_empty() && !session.caller.is_platform_admin()).then_some(id.as_str());
        conclude(&session, action, decision, hide)?;
        Ok(TenantAccess {
            session,
            tenant,
            create_hash,
            roles,
            usage: None,
        })
    }
}

/// Turns a denial into its error. With `hide` (the caller may not see the tenant named),
/// the 404 a missing tenant gets, before anything else; otherwise the forbid policies that
/// matched choose the code.
fn conclude(
    session: &Session,
    action: Action,
    decision: Decision,
    hide: Option<&str>,
) -> Result<(), ApiError> {
    if decision.allowed {
        return Ok(());
    }
    tracing::info!(
        caller = %session.caller.id,
        action = action.name(),
        notices = ?decision.notices,
        "request denied by policy"
    );
    if let Some(id) = hide {
        // Word for word what a missing tenant answers.
        return Err(ApiError::tenant_not_found(id));
    }
    let cites = |id: &str| decision.notices.iter().any(|n| n == id);
    if cites("tenant-header-must-match") {
        Err(ApiError::TenantMismatch {
            notices: decision.notices,
        })
    } else if cites("suspended-tenant-credentials")
        || cites("suspended-tenant-is-closed-to-its-users")
    {
        Err(ApiError::TenantSuspended {
            notices: decision.notices,
        })
    } else {
        Err(ApiError::Forbidden {
            notices: decision.notices,
        })
    }
}

/// Whether `tenant` makes every verified user of its verified domains an admin: an
/// email-domain tenant does (its domain is its admin grant).
pub fn admits_by_domain(tenant: &Tenant) -> bool {
    tenant.fields.login_mode == crate::domain::tenant::LoginMode::EmailDomain
}

/// What was read about the target tenant.
#[derive(Debug, Default)]
struct Target {
    tenant: Option<(Tenant, String)>,
    granted_admin: bool,
    usage: Usage,
}

impl Auth {
    /// Verifies the credential and reads, in one batch, everything the decision needs.
    async fn authenticate(
        &self,
        req: &Request,
        target: Option<&TenantId>,
        usage: bool,
    ) -> Result<(Session, Option<Target>), ApiError> {
        let credential = credentials::from_request(req)?;
        let verified = match &credential {
            Credential::Bearer(token) => {
                let jwt = self
                    .jwt
                    .as_ref()
                    .ok_or_else(|| invalid("bearer tokens are not configured"))?;
                Some(jwt.verify(token).await?)
            }
            Credential::SignedIn(caller) => Some(caller.clone()),
            Credential::ApiKey { .. } => None,
        };
        let user = verified.as_ref().and_then(Caller::user_id);
        let mut read = self
            .store
            .read_access(AccessWanted {
                target,
                grant_of: user.as_ref(),
                bound: verified.as_ref().and_then(|c| c.bound_tenant.as_ref()),
                api_key: match &credential {
                    Credential::ApiKey { id, .. } => Some(id),
                    Credential::Bearer(_) | Credential::SignedIn(_) => None,
                },
                email_domain: verified
                    .as_ref()
                    .and_then(|c| c.verified_email_domain.as_ref()),
                usage,
            })
            .await?;

        let caller = match (verified, &credential) {
            (Some(caller), _) => caller,
            (None, Credential::ApiKey { secret, .. }) => {
                let key = read.api_key.ok_or_else(|| invalid("unknown API key"))?;
                if !api_key::secret_matches(secret, &key.secret_hash) {
                    return Err(invalid("API key secret does not match"));
                }
                if key.revoked_at.is_some() {
                    return Err(invalid("API key is revoked"));
                }
                let (platform_roles, bound_roles) =
                    roles::split(&key.roles(), key.tenant_id.is_some());
                Caller {
                    kind: CallerKind::ApiKey,
                    id: key.id.to_string(),
                    platform_roles,
                    bound_roles,
                    bound_tenant: key.tenant_id,
                    verified_email_domain: None,
                    verified_email: None,
                }
            }
            (None, Credential::Bearer(_) | Credential::SignedIn(_)) => {
                return Err(invalid("token was not verified"))
            }
        };

        let target_read = target.map(|id| {
            let admitted = read.domain_owner.as_ref() == Some(id)
                && read
                    .target
                    .as_ref()
                    .is_some_and(|(t, _)| admits_by_domain(t));
            Target {
                tenant: read.target,
                granted_admin: caller.kind == CallerKind::User && (read.granted_admin || admitted),
                usage: std::mem::take(&mut read.usage),
            }
        });

        // A credential bound to a tenant is only as alive as that tenant.
        let bound_status = match caller.bound_tenant.as_ref() {
            None => "none",
            Some(bound) => {
                let status = if Some(bound) == target {
                    target_read
                        .as_ref()
                        .and_then(|t| t.tenant.as_ref())
                        .map(|(t, _)| t.status)
                } else {
                    match read.bound {
                        Some(tenant) => Some(tenant.status),
                        // An API key's tenant is known only after the key is read.
                        None => self.store.get(bound).await?.map(|t| t.status),
                    }
                };
                match status {
                    Some(TenantStatus::Active) => "active",
                    Some(TenantStatus::Suspended) => "suspended",
                    Some(TenantStatus::Deleted) => {
                        return Err(invalid("the credential's tenant is deleted"))
                    }
                    None => return Err(invalid("the credential's tenant does not exist")),
                }
            }
        };
        let session = Session {
            caller,
            bound_status,
            tenant_header: credentials::tenant_header(req),
            request_id: credentials::request_id(req),
        };
        Ok((session, target_read))
    }
}
