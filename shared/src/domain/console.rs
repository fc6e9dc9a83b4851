//! The console's server-side sign-in state: a session (what the browser's opaque cookie
//! stands for) and a sign-in attempt (the secrets of one authorization request). Both are
//! stored under the SHA-256 of their random id, so that a table read never yields a
//! usable cookie or `state`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A signed-in person's console session.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsoleSession {
    /// The ID token's verified claims, as JSON text (the roles and tenant claims are read
    /// from them on every request, as a bearer token's are).
    pub claims: String,
    /// The token every form of this session carries (CSRF).
    pub csrf_token: String,
    pub created_at: String,
    /// Unix seconds: the ID token's expiry, or the console's session limit if sooner.
    pub expires_at: i64,
}

impl std::fmt::Debug for ConsoleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The CSRF token is a secret of the browser's; the claims are personal data.
        f.debug_struct("ConsoleSession")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// One sign-in in flight, from the redirect to the provider to the callback.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInAttempt {
    pub nonce: String,
    pub pkce_verifier: String,
    /// The console path to return to (relative, checked when the attempt began).
    pub return_to: String,
    /// SHA-256 of the random value of the browser's sign-in cookie: the callback must come
    /// from the browser that began the sign-in.
    pub browser_hash: String,
    /// Unix seconds.
    pub expires_at: i64,
}

impl std::fmt::Debug for SignInAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The nonce and the PKCE verifier are the sign-in's secrets.
        f.debug_struct("SignInAttempt")
            .field("return_to", &self.return_to)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Hex SHA-256 of a secret, as stored.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh random secret: 32 bytes, base64url without padding (43 characters).
pub fn random_secret() -> Result<String, crate::error::ApiError> {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| crate::error::ApiError::internal("drawing a random secret", e))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_secrets_are_43_url_safe_characters_and_differ() {
        let (a, b) = (random_secret().unwrap(), random_secret().unwrap());
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
    }

    #[test]
    fn digests_are_hex_sha256() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
