//! The owner's invitation: a single-use, expiring random token, mailed to `ownerEmail` and
//! stored only as its SHA-256. Accepting it makes the caller an admin and the owner of the
//! tenant.

use base64::Engine;

use super::input::hex_sha256;
use super::values::{Email, TenantId};
use crate::error::ApiError;

/// Every invitation token starts with this, so that a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "inv_";
/// Characters of a token after its prefix (32 random bytes, base64url without padding).
const TOKEN_BODY_CHARS: usize = 43;
/// Default lifetime of an invitation.
pub const DEFAULT_TTL_HOURS: u32 = 168;
/// Default least time between two resends of one tenant's invitation.
pub const DEFAULT_RESEND_INTERVAL_MINUTES: u32 = 10;

/// A freshly drawn token: the text to mail, once, and the hash to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub hash: String,
}

impl Token {
    /// 256 random bits.
    pub fn generate() -> Result<Self, ApiError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| ApiError::internal("drawing a token", e))?;
        let text = format!(
            "{TOKEN_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        Ok(Self {
            hash: hash(&text),
            text,
        })
    }
}

/// The stored form of token `text`.
pub fn hash(text: &str) -> String {
    hex_sha256(text)
}

/// Checks the shape of a token a client sent (not whether it was issued).
pub fn parse_token(text: &str) -> Result<&str, String> {
    let body = text.strip_prefix(TOKEN_PREFIX).unwrap_or_default();
    let ok = body.len() == TOKEN_BODY_CHARS
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(text)
    } else {
        Err(format!(
            "must be an invitation token: '{TOKEN_PREFIX}' and {TOKEN_BODY_CHARS} base64url characters"
        ))
    }
}

/// An issued invitation, as stored (by its token's hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub token_hash: String,
    pub tenant_id: TenantId,
    pub email: Email,
    pub created_at: String,
    /// Stored as `validUntil`: `expiresAt` is the table's TTL attribute (epoch seconds).
    #[serde(rename = "validUntil")]
    pub expires_at: String,
}

impl Invitation {
    /// Whether it has expired at `now`.
    pub fn expired(&self, now: &str) -> bool {
        self.expires_at.as_str() <= now
    }
}

/// What a write does to the tenant's invitation items, besides the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum InvitationChange {
    #[default]
    None,
    /// Writes `new`, deleting the invitation hashed `revoke` if there was one.
    Issue {
        new: Invitation,
        revoke: Option<String>,
    },
    /// Deletes the invitation hashed so.
    Revoke(String),
}

/// The email's subject: fixed text, never anything a tenant wrote.
pub const EMAIL_SUBJECT: &str = "Your invitation to activate an administrator account";

/// The email inviting the owner at `invited`: subject and plain text (SES's Simple
/// content). The tenant's name is a tenant's own text: it is quoted in the body, as what
/// it is, and kept out of the subject, which mail clients show as if the platform said it.
pub fn email(tenant_name: &str, invited: &str, link: &str, expires_at: &str) -> (String, String) {
    (
        EMAIL_SUBJECT.to_owned(),
        format!(
            "You have been made the owner of the tenant named \"{tenant_name}\".\n\n\
             Accept the invitation to activate your account, signed in as {invited}:\n{link}\n\n\
             The link works once and expires at {expires_at}.\n\
             If you did not expect this email, ignore it.\n"
        ),
    )
}

/// The accept link: `base` with the token in its fragment, `#token=...`. A fragment never
/// leaves the browser: no request line, server log or `Referer` carries it. The accept
/// page reads it from `location.hash` and posts it (the configuration refuses a base that
/// has a fragment of its own).
pub fn link(base: &str, token: &str) -> String {
    format!("{base}#token={token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_well_formed_and_stored_only_as_a_hash() {
        let (a, b) = (Token::generate().unwrap(), Token::generate().unwrap());
        assert_ne!(a.text, b.text);
        assert!(parse_token(&a.text).is_ok());
        assert_eq!(a.hash, hash(&a.text));
        assert!(!a.hash.contains(&a.text[4..]));
        for bad in [
            "",
            "inv_",
            "inv_short",
            &a.text[1..],
            &format!("{}!", &a.text[..46]),
        ] {
            assert!(parse_token(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_tenant_name_is_quoted_in_the_body_and_never_in_the_subject() {
        let name = "FREE PRIZES: click http://evil.example";
        let (subject, body) = email(name, "ada@acme.example", "https://l", "2026-01-01");
        assert_eq!(subject, EMAIL_SUBJECT);
        assert!(!subject.contains("FREE"));
        assert!(body.contains(&format!("\"{name}\"")), "{body}");
        assert!(body.contains("ada@acme.example"));
    }

    #[test]
    fn the_link_carries_the_token_in_its_fragment_never_its_query() {
        assert_eq!(
            link("https://app.example/accept", "inv_x"),
            "https://app.example/accept#token=inv_x"
        );
        assert_eq!(
            link("https://app.example/a?x=1", "inv_x"),
            "https://app.example/a?x=1#token=inv_x"
        );
    }
}
