//! Ids: tenant and scope ids (prefixed UUIDv7s), API key ids and user ids.

text_newtype!(
    /// A tenant id: `tenant_` followed by a lowercase hyphenated UUIDv7.
    TenantId,
    r"^tenant_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$",
    (43, 43),
    "tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f"
);
text_newtype!(
    /// A scope id: `scope_` followed by a lowercase hyphenated UUIDv7.
    ScopeId,
    r"^scope_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$",
    (42, 42),
    "scope_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f"
);

text_newtype!(
    /// An API key's public id: `key_` followed by 32 lowercase hex digits.
    ApiKeyId,
    r"^key_[0-9a-f]{32}$",
    (36, 36),
    "key_0123456789abcdef0123456789abcdef"
);

impl ApiKeyId {
    /// Parses `key_<32 hex>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let ok = text.strip_prefix("key_").is_some_and(|hex| {
            hex.len() == 32
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err("must be 'key_' followed by 32 lowercase hex digits".into())
        }
    }
}

text_newtype!(
    /// A user id, as a JWT's `sub` carries it: 1-128 characters of
    /// `[A-Za-z0-9._@:|+=-]` (Cognito UUIDs, `auth0|...`, email addresses).
    UserId,
    r"^[A-Za-z0-9._@:|+=-]{1,128}$",
    (1, 128),
    "auth0|5f7c8ec7c33c6c004bbafe82"
);

impl UserId {
    /// Parses a user id exactly as written: a token's `sub`, a request body's ids, stored
    /// ids. Nothing is decoded, so `alice%7Cx` is refused (`%` is not allowed), never read
    /// as `alice|x`: one user has one spelling.
    pub fn parse(text: &str) -> Result<Self, String> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "._@:|+=-".contains(c);
        if text.is_empty() || text.chars().count() > 128 {
            return Err("must be 1-128 characters".into());
        }
        if !text.chars().all(allowed) {
            return Err("may only contain letters, digits and . _ @ : | + = -".into());
        }
        Ok(Self(text.to_owned()))
    }

    /// Parses a user id from a URL path segment (`/admins/{userId}`): its `%XX` escapes are
    /// decoded once, then the result must be a user id as [`Self::parse`] takes it. Only
    /// path parameters are decoded; a credential's subject never is.
    pub fn from_path_segment(text: &str) -> Result<Self, String> {
        let decoded =
            percent_decode(text).ok_or_else(|| "is not valid percent-encoded UTF-8".to_owned())?;
        Self::parse(&decoded)
    }
}

/// Decodes `%XX` escapes once; `None` if an escape is broken or the result is not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            // Two hex digits exactly (`from_str_radix` would take a sign: `%+A`).
            let hex = text.get(i + 1..i + 3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

const ID_PREFIX: &str = "tenant_";
const SCOPE_PREFIX: &str = "scope_";

impl TenantId {
    /// A new, time-ordered tenant id.
    pub fn generate() -> Self {
        Self(format!("{ID_PREFIX}{}", uuid::Uuid::now_v7()))
    }

    /// Parses `tenant_<uuidv7>` (lowercase, hyphenated).
    pub fn parse(text: &str) -> Result<Self, String> {
        parse_prefixed_uuid_v7(text, ID_PREFIX).map(Self)
    }
}

impl ScopeId {
    /// A new, time-ordered scope id.
    pub fn generate() -> Self {
        Self(format!("{SCOPE_PREFIX}{}", uuid::Uuid::now_v7()))
    }

    /// Parses `scope_<uuidv7>` (lowercase, hyphenated).
    pub fn parse(text: &str) -> Result<Self, String> {
        parse_prefixed_uuid_v7(text, SCOPE_PREFIX).map(Self)
    }
}

fn parse_prefixed_uuid_v7(text: &str, prefix: &str) -> Result<String, String> {
    let reason = || format!("must be '{prefix}' followed by a lowercase hyphenated UUIDv7");
    let rest = text.strip_prefix(prefix).ok_or_else(reason)?;
    let uuid = uuid::Uuid::try_parse(rest).map_err(|_| reason())?;
    // Only the canonical spelling, so one tenant has exactly one id string.
    if uuid.get_version_num() != 7 || uuid.hyphenated().to_string() != rest {
        return Err(reason());
    }
    Ok(text.to_owned())
}
