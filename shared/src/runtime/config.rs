//! Runtime configuration, read from environment variables once per cold start.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `TABLE_NAME` | the DynamoDB table | required |
//! | `DYNAMODB_ENDPOINT` | a local DynamoDB endpoint (moto); unset in AWS | unset |
//! | `PLANS` | the plan file as JSON: features, plans lowest first, their grants ([`crate::domain::entitlements::catalogue`]) | `shared/plans.json` |
//! | `PLAN_CATALOGUE` | legacy: comma-separated plans of the plan file, lowest first (picks and orders them) | the file's plans |
//! | `DEFAULT_PLAN` | plan of tenants created without one (replaces the file's `defaultPlan`) | the file's |
//! | `CURSOR_SECRET` | key that signs pagination cursors | derived from `TABLE_NAME` |
//! | `JWT_ISSUER` | required `iss` of bearer tokens; unset accepts API keys only | unset |
//! | `JWT_AUDIENCE` | required `aud` of bearer tokens | required with `JWT_ISSUER` |
//! | `JWT_JWKS_URL` | the issuer's signing keys (RS256/ES256) | `<issuer>/.well-known/jwks.json` for an https issuer |
//! | `JWT_HS256_SECRET` | shared secret for HS256 tokens (local, tests), ≥ 32 bytes | unset: HS256 refused |
//! | `JWT_ROLES_CLAIM` | claim holding roles (`cognito:groups` for Cognito groups) | `roles` |
//! | `JWT_TENANT_CLAIM` | claim holding the tenant id | `tenant_id` |
//! | `JWT_LEEWAY_SECONDS` | clock skew tolerated on `exp`/`nbf` | `30` |
//! | `JWT_EMAIL_CLAIM` | claim holding the caller's email (email-domain admission) | `email` |
//! | `JWT_EMAIL_VERIFIED_CLAIM` | claim that must be `true` for the email to count | `email_verified` |
//! | `DNS_RESOLVER` | resolver for domain verification (`ip` or `ip:port`) | the system's |
//! | `EVENT_RETENTION_DAYS` | days change events are kept (the table's TTL removes them) | unset or `0`: forever |
//! | `PROVISIONING_BLUEPRINT` | the resources each plan needs, as JSON ([`Blueprint`]) | `shared/blueprint.json` |
//! | `PROVISIONING_MAX_RECEIVES` | deliveries of a provisioning message before its step fails (the queue's `maxReceiveCount`) | `5` |
//! | `INVITATION_SENDER` | the owner invitation's `From` (an SES-verified identity) | unset: invitations fail `InvitationsNotConfigured` |
//! | `INVITATION_ACCEPT_URL` | the platform's page the invitation links to (`#token=` is added); https, plain http only to a loopback host, no fragment | unset: as above |
//! | `INVITATION_TTL_HOURS` | how long an invitation is valid | `168` (7 days) |
//! | `INVITATION_RESEND_INTERVAL_MINUTES` | least minutes between two resends of one tenant's invitation (1-1440) | `10` |
//! | `SES_ENDPOINT`, `STS_ENDPOINT` | local SES v2 / STS endpoints (moto); unset in AWS | unset |
//! | `AWS_CONNECT_TIMEOUT_MS`, `AWS_ATTEMPT_TIMEOUT_MS`, `AWS_OPERATION_TIMEOUT_MS`, `AWS_MAX_ATTEMPTS` | every AWS client's timeouts and attempts ([`crate::runtime::aws::Timeouts`]) | `1000`, `2000`, `4000`, `3` |

use crate::auth::jwt::{JwtSettings, MIN_HS256_SECRET_BYTES};
use crate::domain::entitlements::catalogue;
use crate::domain::invitation::{DEFAULT_RESEND_INTERVAL_MINUTES, DEFAULT_TTL_HOURS};
use crate::domain::plans::{CatalogueError, PlanCatalogue};
use crate::domain::provisioning::{Blueprint, DEFAULT_BLUEPRINT};

/// How owner invitations are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationSettings {
    /// The `From` address; `None`: not configured.
    pub sender: Option<String>,
    /// The page the link opens; `None`: not configured.
    pub accept_url: Option<String>,
    pub ttl_hours: u32,
    /// Least minutes between two resends of one tenant's invitation.
    pub resend_interval_minutes: u32,
}

/// What the provisioning worker needs to know.
#[derive(Debug, Clone)]
pub struct ProvisioningSettings {
    pub blueprint: Blueprint,
    /// Deliveries of one message before a transient failure fails its step.
    pub max_receives: u32,
    pub invitations: InvitationSettings,
    pub ses_endpoint: Option<String>,
    pub sts_endpoint: Option<String>,
}

/// The API's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The single DynamoDB table holding every item.
    pub table_name: String,
    /// A DynamoDB endpoint override for local runs and tests.
    pub dynamodb_endpoint: Option<String>,
    /// The ordered plan catalogue and default plan.
    pub plans: PlanCatalogue,
    /// Key used to sign pagination cursors so forged ones are rejected.
    pub cursor_secret: Vec<u8>,
    /// How bearer tokens are verified; `None` when no issuer is configured.
    pub jwt: Option<JwtSettings>,
    /// How long change events are kept; `None`: forever.
    pub event_retention_days: Option<u32>,
    /// The DNS resolver domain verification asks; `None`: the system's.
    pub dns_resolver: Option<std::net::SocketAddr>,
    /// The blueprint, the invitations and the worker's retry budget.
    pub provisioning: ProvisioningSettings,
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("invalid plan configuration: {0}")]
    Plans(#[from] CatalogueError),
    #[error("environment variable {0} {1}")]
    Invalid(&'static str, String),
    #[error("the authorization policies do not load: {0}")]
    Policies(String),
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let non_empty = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let table_name = non_empty("TABLE_NAME").ok_or(ConfigError::Missing("TABLE_NAME"))?;
        let plans = catalogue::parse(
            non_empty("PLANS")
                .as_deref()
                .unwrap_or(catalogue::DEFAULT_PLANS),
            non_empty("PLAN_CATALOGUE").as_deref(),
            non_empty("DEFAULT_PLAN").as_deref(),
        )?;
        let cursor_secret = non_empty("CURSOR_SECRET")
            .unwrap_or_else(|| format!("tenant-api-cursor:{table_name}"))
            .into_bytes();
        let event_retention_days = match non_empty("EVENT_RETENTION_DAYS") {
            None => None,
            Some(text) => match text.trim().parse::<u32>() {
                Ok(0) => None,
                Ok(days) if days <= 36_500 => Some(days),
                _ => {
                    return Err(ConfigError::Invalid(
                        "EVENT_RETENTION_DAYS",
                        "must be a whole number of days from 0 (forever) to 36500".to_owned(),
                    ))
                }
            },
        };
        let dns_resolver = match non_empty("DNS_RESOLVER") {
            None => None,
            Some(text) => Some(
                text.trim()
                    .parse::<std::net::SocketAddr>()
                    .or_else(|_| {
                        text.trim()
                            .parse::<std::net::IpAddr>()
                            .map(|ip| std::net::SocketAddr::new(ip, 53))
                    })
                    .map_err(|_| {
                        ConfigError::Invalid(
                            "DNS_RESOLVER",
                            "must be an IP address, optionally with :port".to_owned(),
                        )
                    })?,
            ),
        };
        let provisioning = provisioning_settings(&non_empty, &plans)?;
        Ok(Self {
            event_retention_days,
            dns_resolver,
            provisioning,
            dynamodb_endpoint: non_empty("DYNAMODB_ENDPOINT"),
            jwt: jwt_settings(&non_empty)?,
            table_name,
            plans,
            cursor_secret,
        })
    }
}

/// A whole number from `min` to `max` in variable `name`, or `default` when unset.
fn number(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    (min, max, default): (u32, u32, u32),
) -> Result<u32, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(text) => match text.trim().parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ConfigError::Invalid(
                name,
                format!("must be a whole number from {min} to {max}"),
            )),
        },
    }
}

fn provisioning_settings(
    var: &impl Fn(&str) -> Option<String>,
    plans: &PlanCatalogue,
) -> Result<ProvisioningSettings, ConfigError> {
    let text = var("PROVISIONING_BLUEPRINT").unwrap_or_else(|| DEFAULT_BLUEPRINT.to_owned());
    let blueprint = Blueprint::parse(&text, plans)
        .map_err(|why| ConfigError::Invalid("PROVISIONING_BLUEPRINT", why))?;
    let accept_url = var("INVITATION_ACCEPT_URL");
    if let Some(url) = &accept_url {
        check_accept_url(url).map_err(|why| ConfigError::Invalid("INVITATION_ACCEPT_URL", why))?;
    }
    Ok(ProvisioningSettings {
        blueprint,
        max_receives: number(var, "PROVISIONING_MAX_RECEIVES", (1, 100, 5))?,
        invitations: InvitationSettings {
            sender: var("INVITATION_SENDER"),
            accept_url,
            ttl_hours: number(var, "INVITATION_TTL_HOURS", (1, 24 * 90, DEFAULT_TTL_HOURS))?,
            resend_interval_minutes: number(
                var,
                "INVITATION_RESEND_INTERVAL_MINUTES",
                (1, 24 * 60, DEFAULT_RESEND_INTERVAL_MINUTES),
            )?,
        },
        ses_endpoint: var("SES_ENDPOINT"),
        sts_endpoint: var("STS_ENDPOINT"),
    })
}

/// The invitation link carries a token that makes its holder's account the tenant's owner
/// (with the invited email): it travels over https only, except to this machine.
fn check_accept_url(url: &str) -> Result<(), String> {
    if url.contains('#') {
        return Err(format!(
            "must have no fragment ('#'): the invitation token is put there ({url})"
        ));
    }
    let lower = url.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("https://") {
        return match rest.split(['/', '?']).next() {
            Some(host) if !host.is_empty() && !host.contains('@') => Ok(()),
            _ => Err(format!("must be an https URL with a host, not {url}")),
        };
    }
    let plain = lower
        .strip_prefix("http://")
        .and_then(|rest| rest.split(['/', '?']).next())
        .filter(|authority| !authority.contains('@'))
        .map(|authority| match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default().to_owned(),
            None => authority.split(':').next().unwrap_or_default().to_owned(),
        });
    let loopback = |host: &str| {
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    match plain {
        Some(host) if loopback(&host) => Ok(()),
        Some(_) => Err(format!(
            "must be an https URL: plain http is allowed only to a loopback host (localhost, 127.0.0.1, [::1]), not {url}, since the link carries the invitation token"
        )),
        None => Err(format!("must be an https URL, not {url}")),
    }
}

fn jwt_settings(var: &impl Fn(&str) -> Option<String>) -> Result<Option<JwtSettings>, ConfigError> {
    let Some(issuer) = var("JWT_ISSUER") else {
        return Ok(None);
    };
    let audience = var("JWT_AUDIENCE").ok_or(ConfigError::Missing("JWT_AUDIENCE"))?;
    let hs256_secret = match var("JWT_HS256_SECRET") {
        Some(secret) if secret.len() < MIN_HS256_SECRET_BYTES => {
            return Err(ConfigError::Invalid(
                "JWT_HS256_SECRET",
                format!("must be at least {MIN_HS256_SECRET_BYTES} bytes"),
            ))
        }
        other => other.map(String::into_bytes),
    };
    let jwks_url = match var("JWT_JWKS_URL") {
        Some(url) => Some(url),
        None if issuer.starts_with("https://") => Some(format!(
            "{}/.well-known/jwks.json",
            issuer.trim_end_matches('/')
        )),
        None => None,
    };
    if let Some(url) = &jwks_url {
        let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
        if !url.starts_with("https://") && !loopback.iter().any(|p| url.starts_with(p)) {
            return Err(ConfigError::Invalid(
                "JWT_JWKS_URL",
                "must be an https URL (plain http only on loopback)".to_owned(),
            ));
        }
    }
    if hs256_secret.is_none() && jwks_url.is_none() {
        return Err(ConfigError::Invalid(
            "JWT_ISSUER",
            "needs JWT_JWKS_URL (or an https issuer) or JWT_HS256_SECRET to verify tokens"
                .to_owned(),
        ));
    }
    let leeway_seconds = match var("JWT_LEEWAY_SECONDS") {
        None => 30,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|s| *s <= 300)
            .ok_or_else(|| {
                ConfigError::Invalid("JWT_LEEWAY_SECONDS", "must be 0-300".to_owned())
            })?,
    };
    Ok(Some(JwtSettings {
        issuer,
        audience,
        hs256_secret,
        jwks_url,
        roles_claim: var("JWT_ROLES_CLAIM").unwrap_or_else(|| "roles".to_owned()),
        tenant_claim: var("JWT_TENANT_CLAIM").unwrap_or_else(|| "tenant_id".to_owned()),
        leeway_seconds,
        email_claim: var("JWT_EMAIL_CLAIM").unwrap_or_else(|| "email".to_owned()),
        email_verified_claim: var("JWT_EMAIL_VERIFIED_CLAIM")
            .unwrap_or_else(|| "email_verified".to_owned()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_apply_when_only_the_table_is_set() {
        let config = Config::from_lookup(lookup(&[("TABLE_NAME", "t")])).unwrap();
        assert_eq!(config.plans.default_plan(), "starter");
        assert_eq!(config.plans.plans().len(), 5);
        assert!(config.dynamodb_endpoint.is_none());
    }

    #[test]
    fn jwt_settings_follow_the_issuer() {
        let config = Config::from_lookup(lookup(&[
            ("TABLE_NAME", "t"),
            (
                "JWT_ISSUER",
                "https://cognito-idp.eu-west-1.amazonaws.com/pool/",
            ),
            ("JWT_AUDIENCE", "client"),
            ("JWT_ROLES_CLAIM", "cognito:groups"),
        ]))
        .unwrap();
        let jwt = config.jwt.unwrap();
        assert_eq!(
            jwt.jwks_url.as_deref(),
            Some("https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json")
        );
        assert_eq!(jwt.roles_claim, "cognito:groups");
        assert!(jwt.hs256_secret.is_none());
    }

    #[test]
    fn weak_or_unusable_jwt_settings_are_refused() {
        for vars in [
            vec![
                ("JWT_ISSUER", "https://i"),
                ("JWT_AUDIENCE", "a"),
                ("JWT_HS256_SECRET", "short"),
            ],
            vec![("JWT_ISSUER", "local"), ("JWT_AUDIENCE", "a")],
            vec![("JWT_ISSUER", "https://i")],
            vec![
                ("JWT_ISSUER", "https://i"),
                ("JWT_AUDIENCE", "a"),
                ("JWT_JWKS_URL", "http://example.com/jwks"),
            ],
        ] {
            let mut all = vec![("TABLE_NAME", "t")];
            all.extend(vars.iter().copied());
            assert!(Config::from_lookup(lookup(&all)).is_err(), "{vars:?}");
        }
    }

    #[test]
    fn the_invitation_accept_url_is_https_except_on_loopback_and_has_no_fragment() {
        let check = |url: &str| {
            Config::from_lookup(lookup(&[
                ("TABLE_NAME", "t"),
                ("INVITATION_ACCEPT_URL", url),
            ]))
            .map(|c| c.provisioning.invitations.accept_url)
        };
        for ok in [
            "https://app.example.com/accept-invitation",
            "HTTPS://app.example.com/a?x=1",
            "http://localhost:3000/accept-invitation",
            "http://localhost/accept",
            "http://127.0.0.1:8080/accept",
            "http://[::1]:3000/accept",
        ] {
            assert_eq!(check(ok).unwrap().as_deref(), Some(ok), "{ok}");
        }
        for bad in [
            "http://app.example.com/accept-invitation",
            "http://localhost.evil.example/accept",
            "http://localhost@evil.example/accept",
            "http://10.0.0.1/accept",
            "https://app.example.com/accept#frag",
            "ftp://app.example.com/accept",
            "https:///accept",
            "app.example.com/accept",
        ] {
            let err = check(bad).unwrap_err().to_string();
            assert!(err.contains("INVITATION_ACCEPT_URL"), "{bad}: {err}");
        }
        let err = check("http://app.example.com/accept")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("must be an https URL") && err.contains("loopback"),
            "{err}"
        );
    }

    #[test]
    fn missing_table_name_is_an_error() {
        assert!(matches!(
            Config::from_lookup(lookup(&[])),
            Err(ConfigError::Missing("TABLE_NAME"))
        ));
    }

    #[test]
    fn custom_catalogue_must_contain_the_default_plan() {
        let err = Config::from_lookup(lookup(&[
            ("TABLE_NAME", "t"),
            ("PLAN_CATALOGUE", "basic,premium"),
        ]))
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Plans(CatalogueError::UnknownDefault(_))
        ));
    }
}
