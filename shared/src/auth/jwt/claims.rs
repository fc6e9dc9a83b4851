//! From a verified token's claims to the [`Caller`] it names.

use serde_json::{Map, Value};

use crate::auth::credentials::{invalid, Caller, CallerKind};
use crate::domain::roles::{self, Role, Roles};
use crate::domain::values::DomainName;
use crate::domain::{TenantId, UserId};
use crate::error::ApiError;

use super::*;

/// The caller a verified token's claims describe.
pub fn caller_from_claims(
    claims: &Map<String, Value>,
    settings: &JwtSettings,
) -> Result<Caller, ApiError> {
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("token has no string sub"))?;
    let user = UserId::parse(sub).map_err(|e| invalid(format!("token sub {e}")))?;
    let roles: Roles = match claims.get(&settings.roles_claim) {
        None | Some(Value::Null) => Roles::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter_map(Role::parse)
            .collect(),
        Some(Value::String(text)) => text
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter_map(Role::parse)
            .collect(),
        Some(_) => return Err(invalid("token roles claim is neither a list nor a string")),
    };
    let tenant = match claims.get(&settings.tenant_claim) {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => {
            Some(TenantId::parse(id).map_err(|e| invalid(format!("token tenant claim {e}")))?)
        }
        Some(_) => return Err(invalid("token tenant claim is not a string")),
    };
    let (platform_roles, bound_roles) = roles::split(&roles, tenant.is_some());
    // The email's domain admits its user to an email-domain tenant, but only when the
    // issuer says it verified the address; anything else about the email is ignored.
    let verified = matches!(
        claims.get(&settings.email_verified_claim),
        Some(Value::Bool(true))
    ) || matches!(claims.get(&settings.email_verified_claim), Some(Value::String(v)) if v == "true");
    let verified_email = claims
        .get(&settings.email_claim)
        .and_then(Value::as_str)
        .filter(|_| verified)
        .map(str::trim)
        .filter(|email| !email.is_empty());
    let verified_email_domain = verified_email.and_then(email_domain);
    let verified_email = verified_email.map(str::to_owned);
    Ok(Caller {
        kind: CallerKind::User,
        id: user.to_string(),
        platform_roles,
        bound_tenant: tenant,
        bound_roles,
        verified_email_domain,
        verified_email,
    })
}

/// The domain of an email address, normalised as domains are (IDNA, lower case).
pub fn email_domain(email: &str) -> Option<DomainName> {
    let (local, domain) = email.trim().rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    let ascii = idna::domain_to_ascii_strict(domain.trim_end_matches('.')).ok()?;
    DomainName::parse(&ascii).ok()
}
