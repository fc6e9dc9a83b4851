//! The console's settings, from the function's environment:
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `OIDC_ISSUER` | the identity provider's issuer URL; unset: the console answers 503 | unset |
//! | `OIDC_CLIENT_ID` | the console's client id there | required with `OIDC_ISSUER` |
//! | `OIDC_CLIENT_SECRET` | its client secret (a confidential client) | required with `OIDC_ISSUER` |
//! | `OIDC_SCOPES` | scopes besides `openid` | `email profile` |
//! | `CONSOLE_URL` | the console's public origin (`https://admin.example.com`) | the API Gateway domain the request came to, over https |
//! | `CONSOLE_SESSION_TTL_SECONDS` | longest session, 300-86400 (the ID token's expiry ends it sooner) | `3600` (1 h) |
//! | `OIDC_ISSUER_MAY_DIFFER` | `true`: allow an `OIDC_ISSUER` other than `JWT_ISSUER` (local development only) | unset |
//!
//! The roles, tenant and email claims are read from the ID token by the names the API
//! uses for bearer tokens (`JWT_ROLES_CLAIM`, `JWT_TENANT_CLAIM`, `JWT_EMAIL_CLAIM`,
//! `JWT_EMAIL_VERIFIED_CLAIM`; `crate::runtime::config`). So the console's provider must be
//! the API's token issuer when the API takes bearer tokens: a person's `sub` is the user id
//! admin grants and invitations name, and two issuers' subjects are not one namespace.

use crate::auth::jwt::JwtSettings;
use crate::auth::oidc::OidcSettings;

/// Default longest session: the roles a session holds are the ID token's, so a role the
/// provider withdraws stays at most this long (stored grants are read on every request).
pub const DEFAULT_SESSION_TTL_SECONDS: i64 = 3600;

/// What the console was configured with.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// `None`: sign-in is not configured.
    pub oidc: Option<OidcSettings>,
    /// The public origin (scheme, host, port; no path), when configured.
    pub origin: Option<String>,
    pub session_ttl_seconds: i64,
    /// Claim names (the API's bearer-token settings, or their defaults).
    pub claims: JwtSettings,
}

/// Why the console's settings are unusable.
#[derive(Debug, thiserror::Error)]
#[error("{0}: {1}")]
pub struct SettingsError(pub &'static str, pub String);

impl ConsoleSettings {
    /// Reads the settings from the environment; `api_claims` are the API's bearer-token
    /// settings, whose claim names the console follows.
    pub fn from_env(api_claims: Option<&JwtSettings>) -> Result<Self, SettingsError> {
        Self::from_vars(
            |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()),
            api_claims,
        )
    }

    /// [`Self::from_env`] over any source of variables (tests).
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        api_claims: Option<&JwtSettings>,
    ) -> Result<Self, SettingsError> {
        let origin = match var("CONSOLE_URL") {
            None => None,
            Some(url) => Some(origin_of(&url).ok_or_else(|| {
                SettingsError(
                    "CONSOLE_URL",
                    "must be an http(s) origin such as https://admin.example.com".to_owned(),
                )
            })?),
        };
        let session_ttl_seconds = match var("CONSOLE_SESSION_TTL_SECONDS") {
            None => DEFAULT_SESSION_TTL_SECONDS,
            Some(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|s| (300..=86_400).contains(s))
                .ok_or_else(|| {
                    SettingsError(
                        "CONSOLE_SESSION_TTL_SECONDS",
                        "must be 300-86400".to_owned(),
                    )
                })?,
        };
        let oidc = match var("OIDC_ISSUER") {
            None => None,
            Some(issuer) => {
                let required = |name: &'static str| {
                    var(name).ok_or_else(|| {
                        SettingsError(name, "is required with OIDC_ISSUER".to_owned())
                    })
                };
                let scopes = var("OIDC_SCOPES").unwrap_or_else(|| "email profile".to_owned());
                Some(OidcSettings {
                    issuer: issuer.trim().to_owned(),
                    client_id: required("OIDC_CLIENT_ID")?,
                    client_secret: required("OIDC_CLIENT_SECRET")?,
                    // Completed per request when no origin is configured.
                    redirect_url: origin
                        .as_deref()
                        .map(|o| format!("{o}{}", super::CALLBACK_PATH))
                        .unwrap_or_default(),
                    scopes: scopes
                        .split_whitespace()
                        .filter(|s| *s != "openid")
                        .map(str::to_owned)
                        .collect(),
                })
            }
        };
        if let (Some(oidc), Some(api)) = (&oidc, api_claims) {
            let same = oidc.issuer.trim_end_matches('/') == api.issuer.trim_end_matches('/');
            if !same && var("OIDC_ISSUER_MAY_DIFFER").as_deref() != Some("true") {
                return Err(SettingsError(
                    "OIDC_ISSUER",
                    format!(
                        "must be JWT_ISSUER ({}): a person's sub names the same user on the API \
                         and in the console",
                        api.issuer
                    ),
                ));
            }
        }
        let claims = api_claims.cloned().unwrap_or_else(|| JwtSettings {
            issuer: String::new(),
            audience: String::new(),
            hs256_secret: None,
            jwks_url: None,
            roles_claim: var("JWT_ROLES_CLAIM").unwrap_or_else(|| "roles".to_owned()),
            tenant_claim: var("JWT_TENANT_CLAIM").unwrap_or_else(|| "tenant_id".to_owned()),
            leeway_seconds: 30,
            email_claim: var("JWT_EMAIL_CLAIM").unwrap_or_else(|| "email".to_owned()),
            email_verified_claim: var("JWT_EMAIL_VERIFIED_CLAIM")
                .unwrap_or_else(|| "email_verified".to_owned()),
        });
        Ok(Self {
            oidc,
            origin,
            session_ttl_seconds,
            claims,
        })
    }
}

/// The origin (`scheme://host[:port]`) of an http(s) URL, lower-cased, without a path.
pub fn origin_of(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<ConsoleSettings, SettingsError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ConsoleSettings::from_vars(
            |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            None,
        )
    }

    #[test]
    fn an_issuer_needs_its_client_id_and_secret() {
        assert!(settings(&[("OIDC_ISSUER", "https://idp")]).is_err());
        let ok = settings(&[
            ("OIDC_ISSUER", "https://idp"),
            ("OIDC_CLIENT_ID", "console"),
            ("OIDC_CLIENT_SECRET", "s"),
            ("CONSOLE_URL", "https://Admin.Example.com/console/"),
        ])
        .unwrap();
        let oidc = ok.oidc.unwrap();
        assert_eq!(
            oidc.redirect_url,
            "https://admin.example.com/console/callback"
        );
        assert_eq!(oidc.scopes, ["email", "profile"]);
        assert_eq!(ok.session_ttl_seconds, DEFAULT_SESSION_TTL_SECONDS);
    }

    #[test]
    fn the_console_signs_in_with_the_apis_token_issuer() {
        let api = JwtSettings {
            issuer: "https://idp/".to_owned(),
            audience: "api".to_owned(),
            hs256_secret: None,
            jwks_url: None,
            roles_claim: "roles".to_owned(),
            tenant_claim: "tenant_id".to_owned(),
            leeway_seconds: 30,
            email_claim: "email".to_owned(),
            email_verified_claim: "email_verified".to_owned(),
        };
        let vars = |issuer: &'static str, differ: Option<&'static str>| {
            move |name: &str| match name {
                "OIDC_ISSUER" => Some(issuer.to_owned()),
                "OIDC_CLIENT_ID" | "OIDC_CLIENT_SECRET" => Some("x".to_owned()),
                "OIDC_ISSUER_MAY_DIFFER" => differ.map(str::to_owned),
                _ => None,
            }
        };
        assert!(ConsoleSettings::from_vars(vars("https://idp", None), Some(&api)).is_ok());
        assert!(ConsoleSettings::from_vars(vars("https://other", None), Some(&api)).is_err());
        let allowed = vars("https://other", Some("true"));
        assert!(ConsoleSettings::from_vars(allowed, Some(&api)).is_ok());
    }

    #[test]
    fn origins_are_http_or_https_without_credentials() {
        assert_eq!(
            origin_of("http://127.0.0.1:9000").as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert!(origin_of("ftp://x").is_none());
        assert!(origin_of("https://user@host").is_none());
        assert!(settings(&[("CONSOLE_SESSION_TTL_SECONDS", "10")]).is_err());
    }
}
