//! Validated newtypes for every constrained value. Each has a `parse` that returns the
//! value or a reason a person can act on; callers collect reasons per field so that a
//! `validation_error` lists every invalid field at once.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;

/// The OpenAPI schema of a text value: as strict as its `parse`, so that what the
/// contract calls valid is accepted and what it calls invalid is refused.
pub(crate) fn text_schema(
    pattern: &str,
    (min, max): (usize, usize),
    example: &str,
    description: &str,
) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .min_length(Some(min))
        .max_length(Some(max))
        .examples([example])
        .into()
}

/// [`text_schema`] that also allows `null` (an optional field written as `null`).
pub(crate) fn nullable_text_schema(
    pattern: &str,
    len: (usize, usize),
    example: &str,
    description: &str,
) -> RefOr<Schema> {
    match text_schema(pattern, len, example, description) {
        RefOr::T(Schema::Object(mut object)) => {
            object.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
            RefOr::T(Schema::Object(object))
        }
        other => other,
    }
}

/// Builds a parsed-newtype with `parse` (written beside it), `as_str`, `into_inner`,
/// `Display` and its OpenAPI schema (`pattern`, `(min, max)` length, `example`). It
/// serializes as its text. Deserializing does not validate: only storage (written from
/// validated values) is ever deserialized into these; request input always goes through
/// `parse`.
macro_rules! text_newtype {
    ($(#[doc = $doc:literal])* $name:ident, $pattern:expr, $len:expr, $example:expr) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The validated text, owned.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                text_schema($pattern, $len, $example, concat!($($doc),*).trim())
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

/// Characters a trimmed text may not start or end with: whitespace and controls. (No
/// surrogate range: JSON text never holds one, and Rust-based validators refuse it.)
macro_rules! edge {
    () => {
        r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}
/// Characters a text may not contain: controls.
macro_rules! inner {
    () => {
        r"\x00-\x1f\x7f-\x9f"
    };
}
/// A trimmed text of 1 to 200 characters without control characters (see [`bounded_text`]).
pub const BOUNDED_TEXT_PATTERN: &str =
    concat!("^[^", edge!(), "](?:[^", inner!(), "]*[^", edge!(), "])?$");
/// A DNS name: dotted labels of letters, digits and inner hyphens, an alphabetic top label.
macro_rules! host {
    () => {
        r"([A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,12}"
    };
}

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
    /// A URL-safe, globally unique, immutable tenant handle.
    Slug,
    r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
    (3, 63),
    "acme"
);
text_newtype!(
    /// A display name: trimmed, 1-200 characters, no control characters.
    DisplayName,
    BOUNDED_TEXT_PATTERN,
    (1, 200),
    "Acme Corp"
);
text_newtype!(
    /// An email address (no display name, no domain literal, dotted domain).
    Email,
    r"^[A-Za-z0-9_%+-]{1,32}(\.[A-Za-z0-9_%+-]{1,16})?@([a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?\.){1,3}[a-z]{2,12}$",
    (6, 254),
    "ops@acme.example.com"
);
text_newtype!(
    /// A BCP 47 language tag in canonical case, e.g. `en`, `fr-CA`, `zh-Hant-TW`.
    Locale,
    r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$",
    (2, 64),
    "en-GB"
);
text_newtype!(
    /// An AWS region code such as `us-east-1` or `us-gov-west-1`.
    AwsRegion,
    r"^[a-z]{2}(-(gov|iso|isob|isoe|isof))?-(east|west|north|south|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$",
    (9, 32),
    "eu-west-1"
);
text_newtype!(
    /// An absolute `https` URL, such as an IAM Identity Center start URL.
    HttpsUrl,
    concat!(r"^https://", host!(), r"(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?$"),
    (12, 2048),
    "https://d-1234567890.awsapps.com/start"
);
text_newtype!(
    /// A DNS domain name in lowercase, such as `example.com`.
    DomainName,
    concat!("^", host!(), "$"),
    (4, 253),
    "acme.example.com"
);
text_newtype!(
    /// An IAM role ARN, e.g. `arn:aws:iam::123456789012:role/path/Name`.
    IamRoleArn,
    r"^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role/([A-Za-z0-9+=,.@_-]{1,20}/){0,3}[A-Za-z0-9+=,.@_-]{1,64}$",
    (31, 200),
    "arn:aws:iam::123456789012:role/TenantAccess"
);
text_newtype!(
    /// An STS external id: 2-1224 characters of `[A-Za-z0-9+=,.@:/-]`.
    AwsExternalId,
    r"^[A-Za-z0-9+=,.@:/_-]{2,1224}$",
    (2, 1224),
    "acme-7d3f"
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

/// Decodes `%XX` escapes; `None` if an escape is broken or the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
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

impl Slug {
    /// Parses a slug: `^[a-z][a-z0-9-]*$`, 3-63 characters, no trailing hyphen, no `--`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let len = text.len();
        if !(3..=63).contains(&len) {
            return Err("must be 3-63 characters long".into());
        }
        if !text.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err("must start with a lowercase letter a-z".into());
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err("may contain only lowercase letters a-z, digits and '-'".into());
        }
        if text.ends_with('-') {
            return Err("must not end with '-'".into());
        }
        if text.contains("--") {
            return Err("must not contain '--'".into());
        }
        Ok(Self(text.to_owned()))
    }
}

impl DisplayName {
    /// Parses a name: trimmed, 1-200 characters, no control characters.
    pub fn parse(text: &str) -> Result<Self, String> {
        bounded_text(text, 1, 200).map(Self)
    }
}

/// Trims `text` and checks it has `min..=max` characters and no control characters.
pub fn bounded_text(text: &str, min: usize, max: usize) -> Result<String, String> {
    let trimmed = text.trim();
    let chars = trimmed.chars().count();
    if chars < min {
        return Err(if min == 1 {
            "must not be empty".into()
        } else {
            format!("must be at least {min} characters")
        });
    }
    if chars > max {
        return Err(format!("must be at most {max} characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_owned())
}

/// Checks an opaque identifier: 1-`max` printable ASCII characters without spaces.
pub fn identifier(text: &str, max: usize) -> Result<String, String> {
    if text.is_empty() || text.len() > max {
        return Err(format!("must be 1-{max} characters"));
    }
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be printable ASCII without spaces".into());
    }
    Ok(text.to_owned())
}

impl Email {
    /// Parses an email address such as `ops@example.com`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let options = email_address::Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
        };
        if text.len() > 254 {
            return Err("must be at most 254 characters".into());
        }
        email_address::EmailAddress::parse_with_options(text, options)
            .map(|e| Self(e.as_str().to_owned()))
            .map_err(|e| format!("is not a valid email address ({e})"))
    }
}

impl Locale {
    /// Parses a BCP 47 tag: language (2-3 letters), optional script (4 letters), optional
    /// region (2 letters or 3 digits), optional variants (5-8 alphanumerics, or a digit and
    /// 3 alphanumerics). Returned in canonical case (`zh-Hant-TW`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let reason =
            || "must be a BCP 47 language tag such as 'en', 'fr-CA' or 'zh-Hant-TW'".to_owned();
        let mut parts = text.split('-');
        let language = parts.next().ok_or_else(reason)?;
        if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return Err(reason());
        }
        let mut out = language.to_ascii_lowercase();
        // 0 = expect script, 1 = expect region, 2 = variants only.
        let mut stage = 0;
        for part in parts {
            let alpha = part.bytes().all(|b| b.is_ascii_alphabetic());
            let digits = part.bytes().all(|b| b.is_ascii_digit());
            let alnum = part.bytes().all(|b| b.is_ascii_alphanumeric());
            out.push('-');
            if stage == 0 && part.len() == 4 && alpha {
                out.push_str(&part[..1].to_ascii_uppercase());
                out.push_str(&part[1..].to_ascii_lowercase());
                stage = 1;
            } else if stage <= 1 && ((part.len() == 2 && alpha) || (part.len() == 3 && digits)) {
                out.push_str(&part.to_ascii_uppercase());
                stage = 2;
            } else if alnum
                && ((5..=8).contains(&part.len())
                    || (part.len() == 4 && part.as_bytes()[0].is_ascii_digit()))
            {
                out.push_str(&part.to_ascii_lowercase());
                stage = 2;
            } else {
                return Err(reason());
            }
        }
        Ok(Self(out))
    }
}

impl AwsRegion {
    /// Parses an AWS region code: `<area>[-gov|-iso|-isob|-isoe|-isof]-<direction>-<n>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        const DIRECTIONS: [&str; 9] = [
            "east",
            "west",
            "north",
            "south",
            "central",
            "northeast",
            "northwest",
            "southeast",
            "southwest",
        ];
        const PARTITIONS: [&str; 5] = ["gov", "iso", "isob", "isoe", "isof"];
        let reason =
            || "must be an AWS region code such as 'us-east-1' or 'eu-central-2'".to_owned();
        let parts: Vec<&str> = text.split('-').collect();
        let (area, middle, number) = match parts.as_slice() {
            [area, direction, n] => (*area, vec![*direction], *n),
            [area, partition, direction, n] if PARTITIONS.contains(partition) => {
                (*area, vec![*direction], *n)
            }
            _ => return Err(reason()),
        };
        let area_ok = area.len() == 2 && area.bytes().all(|b| b.is_ascii_lowercase());
        let direction_ok = middle.iter().all(|d| DIRECTIONS.contains(d));
        let number_ok = (1..=2).contains(&number.len())
            && number.bytes().all(|b| b.is_ascii_digit())
            && !number.starts_with('0');
        if area_ok && direction_ok && number_ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(reason())
        }
    }
}

impl HttpsUrl {
    /// Parses an absolute `https://host[:port][/path][?query]` URL without credentials,
    /// fragments or whitespace, at most 2048 characters.
    pub fn parse(text: &str) -> Result<Self, String> {
        let reason = |why: &str| {
            format!("must be an https URL such as 'https://d-1234567890.awsapps.com/start' ({why})")
        };
        if text.len() > 2048 {
            return Err(reason("at most 2048 characters"));
        }
        let rest = text
            .strip_prefix("https://")
            .ok_or_else(|| reason("scheme must be https"))?;
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(reason(
                "no spaces or non-ASCII characters; percent-encode them",
            ));
        }
        if text.contains('#') {
            return Err(reason("no fragment"));
        }
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if authority.contains('@') {
            return Err(reason("no user info"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if let Some(port) = port {
            if port.parse::<u16>().map_or(true, |p| p == 0) {
                return Err(reason("invalid port"));
            }
        }
        DomainName::parse(host).map_err(|_| reason("invalid host name"))?;
        Ok(Self(text.to_owned()))
    }
}

impl DomainName {
    /// Parses a DNS name with at least two labels and an alphabetic top-level label.
    /// Upper case is accepted and folded to lower case.
    pub fn parse(text: &str) -> Result<Self, String> {
        let reason = || "must be a domain name such as 'example.com'".to_owned();
        let lower = text.to_ascii_lowercase();
        if lower.is_empty() || lower.len() > 253 {
            return Err(reason());
        }
        let labels: Vec<&str> = lower.split('.').collect();
        if labels.len() < 2 {
            return Err(reason());
        }
        let label_ok = |l: &&str| {
            (1..=63).contains(&l.len())
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let tld = labels[labels.len() - 1];
        if !labels.iter().all(label_ok)
            || tld.len() < 2
            || !tld.bytes().all(|b| b.is_ascii_lowercase())
        {
            return Err(reason());
        }
        Ok(Self(lower))
    }
}

impl IamRoleArn {
    /// Parses `arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let reason = || {
            "must be an IAM role ARN such as 'arn:aws:iam::123456789012:role/TenantAccess'"
                .to_owned()
        };
        let mut parts = text.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(reason());
        };
        if ![
            "aws",
            "aws-cn",
            "aws-us-gov",
            "aws-iso",
            "aws-iso-b",
            "aws-iso-e",
            "aws-iso-f",
            "aws-eusc",
        ]
        .contains(&partition)
        {
            return Err(reason());
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(reason());
        }
        let path_and_name = resource.strip_prefix("role/").ok_or_else(reason)?;
        let (path, name) = path_and_name
            .rsplit_once('/')
            .unwrap_or(("", path_and_name));
        let name_ok = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
        let path_ok = path.len() <= 510
            && !path.contains("//")
            && path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b));
        if name_ok && path_ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(reason())
        }
    }
}

/// What every external id the platform draws starts with.
pub const GENERATED_EXTERNAL_ID_PREFIX: &str = "ext_";

impl AwsExternalId {
    /// A fresh external id for one tenant: [`GENERATED_EXTERNAL_ID_PREFIX`] and 256 random
    /// bits as 64 lowercase hex digits. Nobody chooses it, so no customer can name
    /// another's, and it is unique per tenant (a collision of 256 random bits does not
    /// happen).
    pub fn generate() -> Result<Self, String> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| format!("drawing an external id: {e}"))?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self(format!("{GENERATED_EXTERNAL_ID_PREFIX}{hex}")))
    }

    /// Parses an STS external id (2-1224 characters of `[A-Za-z0-9+=,.@:/_-]`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let ok = (2..=1224).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/_-".contains(&b));
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err("must be 2-1224 characters of letters, digits and +=,.@:/_-".into())
        }
    }
}

/// Largest value accepted for a limit field.
pub const MAX_LIMIT_VALUE: u64 = 1_000_000_000;

/// Parses a positive integer limit (1..=1,000,000,000) from JSON.
pub fn positive_limit(value: &Value) -> Result<u32, String> {
    // JSON Schema's `integer` includes `50.0`: a whole number however it is written.
    let whole = value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && (1.0..=MAX_LIMIT_VALUE as f64).contains(f))
            .map(|f| f as u64)
    });
    match whole {
        Some(n) if (1..=MAX_LIMIT_VALUE).contains(&n) => Ok(n as u32),
        _ => Err(format!(
            "must be a whole number from 1 to {MAX_LIMIT_VALUE}"
        )),
    }
}

/// Largest serialized size of `metadata`, in bytes.
pub const METADATA_MAX_BYTES: usize = 8 * 1024;
/// Most keys `metadata` may hold.
pub const METADATA_MAX_KEYS: usize = 50;
/// Longest key of `metadata`, in characters.
pub const METADATA_MAX_KEY_CHARS: usize = 128;

/// Checks `metadata`: a JSON object of at most 50 keys of 1-128 characters, and 8 KiB
/// serialized.
pub fn metadata(value: &Value) -> Result<Map<String, Value>, String> {
    let Value::Object(map) = value else {
        return Err("must be a JSON object".into());
    };
    if map.len() > METADATA_MAX_KEYS {
        return Err(format!("must have at most {METADATA_MAX_KEYS} keys"));
    }
    // Characters, as JSON Schema's maxLength counts them (the contract says the same).
    if map
        .keys()
        .any(|k| k.is_empty() || k.chars().count() > METADATA_MAX_KEY_CHARS)
    {
        return Err(format!(
            "keys must be 1-{METADATA_MAX_KEY_CHARS} characters"
        ));
    }
    let size = serde_json::to_vec(map)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > METADATA_MAX_BYTES {
        return Err(format!(
            "must be at most {METADATA_MAX_BYTES} bytes serialized (is {size})"
        ));
    }
    Ok(map.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slug_accepts_lowercase_words_joined_by_single_hyphens() {
        for ok in ["acme", "acme-corp", "a1b", "abc-123-x"] {
            assert!(Slug::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn slug_rejects_each_broken_rule_with_its_reason() {
        let cases = [
            ("ab", "3-63"),
            (&"a".repeat(64), "3-63"),
            ("1abc", "start with"),
            ("-abc", "start with"),
            ("Acme", "start with"),
            ("ac_me", "only lowercase"),
            ("acme-", "end with"),
            ("ac--me", "'--'"),
            ("acmé", "only lowercase"),
        ];
        for (input, expected) in cases {
            let err = Slug::parse(input).unwrap_err();
            assert!(err.contains(expected), "{input}: {err}");
        }
    }

    #[test]
    fn tenant_id_must_be_canonical_uuid_v7() {
        let id = TenantId::generate();
        assert!(TenantId::parse(id.as_str()).is_ok());
        assert!(TenantId::parse(&id.as_str().to_uppercase()).is_err());
        assert!(
            TenantId::parse("tenant_6f1c1b5e-9a7d-4c43-8f5e-2a1b3c4d5e6f").is_err(),
            "v4"
        );
        assert!(TenantId::parse(&id.as_str().replace("tenant_", "scope_")).is_err());
        assert!(TenantId::parse("tenant_").is_err());
    }

    #[test]
    fn display_name_is_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Acme  ").unwrap().as_str(), "Acme");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"é".repeat(200)).is_ok());
        assert!(DisplayName::parse(&"é".repeat(201)).is_err());
        assert!(DisplayName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn email_requires_a_plain_address_with_a_dotted_domain() {
        assert!(Email::parse("ops@example.com").is_ok());
        for bad in [
            "ops",
            "ops@",
            "@example.com",
            "ops@localhost",
            "Ops <ops@example.com>",
            "a b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn locale_is_canonicalised() {
        assert_eq!(Locale::parse("en").unwrap().as_str(), "en");
        assert_eq!(Locale::parse("fr-ca").unwrap().as_str(), "fr-CA");
        assert_eq!(Locale::parse("ZH-hant-tw").unwrap().as_str(), "zh-Hant-TW");
        assert_eq!(Locale::parse("es-419").unwrap().as_str(), "es-419");
        assert_eq!(Locale::parse("de-DE-1996").unwrap().as_str(), "de-DE-1996");
        for bad in ["", "e", "english", "en-", "en_US", "en-US-x", "fr-CA-CA"] {
            assert!(Locale::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn aws_region_codes() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "ap-southeast-4",
            "us-gov-west-1",
            "il-central-1",
        ] {
            assert!(AwsRegion::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "us-east",
            "US-EAST-1",
            "us-east-01",
            "useast1",
            "us-up-1",
            "us-east-1a",
        ] {
            assert!(AwsRegion::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_external_ids_are_valid_random_and_256_bits_long() {
        let (a, b) = (
            AwsExternalId::generate().unwrap(),
            AwsExternalId::generate().unwrap(),
        );
        assert_ne!(a, b);
        assert_eq!(AwsExternalId::parse(a.as_str()), Ok(a.clone()));
        let hex = a
            .as_str()
            .strip_prefix(GENERATED_EXTERNAL_ID_PREFIX)
            .unwrap();
        assert_eq!(hex.len(), 64);
        assert!(hex.bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn https_urls_only() {
        assert!(HttpsUrl::parse("https://d-1234567890.awsapps.com/start").is_ok());
        assert!(HttpsUrl::parse("https://sso.example.com:8443/start?x=1").is_ok());
        for bad in [
            "http://d-1234567890.awsapps.com/start",
            "https://",
            "https://user:pw@example.com/",
            "https://exa mple.com",
            "https://example.com/#frag",
            "https://localhost/start",
            "https://example.com:0/",
            "ftp://example.com",
        ] {
            assert!(HttpsUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn domain_names_are_lowercased() {
        assert_eq!(
            DomainName::parse("Example.COM").unwrap().as_str(),
            "example.com"
        );
        for bad in [
            "example",
            "-a.com",
            "a..com",
            "a.c",
            "a.123",
            "exa_mple.com",
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn iam_role_arns() {
        for ok in [
            "arn:aws:iam::123456789012:role/TenantAccess",
            "arn:aws:iam::123456789012:role/service-role/path/My.Role@x",
            "arn:aws-us-gov:iam::123456789012:role/r",
        ] {
            assert!(IamRoleArn::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "arn:aws:iam::12345678901:role/x",
            "arn:aws:iam::123456789012:user/x",
            "arn:aws:s3:::bucket",
            "arn:aws:iam:us-east-1:123456789012:role/x",
            "arn:aws:iam::123456789012:role/",
            "arn:other:iam::123456789012:role/x",
        ] {
            assert!(IamRoleArn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_must_be_positive_whole_numbers() {
        assert_eq!(positive_limit(&json!(5)), Ok(5));
        // JSON Schema counts 649600.0 as an integer (schemathesis sends such values).
        assert_eq!(positive_limit(&json!(649600.0)), Ok(649_600));
        for bad in [
            json!(0),
            json!(0.0),
            json!(-1),
            json!(1.5),
            json!(2e9),
            json!("5"),
            json!(null),
            json!(2_000_000_000u64),
        ] {
            assert!(positive_limit(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metadata_is_bounded_in_keys_and_size() {
        assert!(metadata(&json!({"tier": "gold"})).is_ok());
        assert!(metadata(&json!([1])).is_err());
        let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(metadata(&Value::Object(many)).is_err());
        assert!(metadata(&json!({"big": "x".repeat(8200)})).is_err());
    }
}

/// Property tests: every generated valid value parses and round-trips (parsing its own
/// text gives it back); arbitrary text never panics a parser, and a refusal always says why.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A parser of this module, as text → its validated text or a reason.
    type Parser = fn(&str) -> Result<String, String>;

    /// Every parser of this module, by name.
    fn parsers() -> Vec<(&'static str, Parser)> {
        fn text<T: std::ops::Deref<Target = str>>(r: Result<T, String>) -> Result<String, String> {
            r.map(|v| v.to_string())
        }
        vec![
            ("TenantId", |s| text(TenantId::parse(s))),
            ("ScopeId", |s| text(ScopeId::parse(s))),
            ("ApiKeyId", |s| text(ApiKeyId::parse(s))),
            ("UserId", |s| text(UserId::parse(s))),
            ("Slug", |s| text(Slug::parse(s))),
            ("DisplayName", |s| text(DisplayName::parse(s))),
            ("Email", |s| text(Email::parse(s))),
            ("Locale", |s| text(Locale::parse(s))),
            ("AwsRegion", |s| text(AwsRegion::parse(s))),
            ("HttpsUrl", |s| text(HttpsUrl::parse(s))),
            ("DomainName", |s| text(DomainName::parse(s))),
            ("IamRoleArn", |s| text(IamRoleArn::parse(s))),
            ("AwsExternalId", |s| text(AwsExternalId::parse(s))),
        ]
    }

    fn domain() -> impl Strategy<Value = String> {
        (
            proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?", 1..4),
            "[a-z]{2,8}",
        )
            .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
    }

    proptest! {
        #[test]
        fn valid_slugs_round_trip(slug in "[a-z]([a-z0-9]{1,8}-?){1,5}[a-z0-9]") {
            prop_assume!(!slug.contains("--") && slug.len() <= 63);
            prop_assert_eq!(Slug::parse(&slug).unwrap().to_string(), slug.clone());
        }

        #[test]
        fn valid_user_ids_round_trip(user in "[A-Za-z0-9._@:|+=-]{1,128}") {
            prop_assert_eq!(UserId::parse(&user).unwrap().to_string(), user.clone());
        }

        #[test]
        fn percent_encoded_user_ids_decode_only_from_a_path(
            user in "[A-Za-z0-9]{1,20}[|@][A-Za-z0-9]{1,20}"
        ) {
            let encoded = user.replace('|', "%7C").replace('@', "%40");
            prop_assert_eq!(UserId::from_path_segment(&encoded).unwrap().to_string(), user.clone());
            prop_assert_eq!(UserId::from_path_segment(&user).unwrap().to_string(), user.clone());
            prop_assert!(UserId::parse(&encoded).is_err(), "{} taken literally", encoded);
        }

        #[test]
        fn valid_display_names_are_trimmed(name in "[A-Za-z0-9 éü-]{0,50}[A-Za-z0-9é]") {
            let parsed = DisplayName::parse(&format!("  {name}  ")).unwrap();
            prop_assert_eq!(parsed.as_str(), name.trim());
            prop_assert_eq!(DisplayName::parse(parsed.as_str()).unwrap(), parsed);
        }

        #[test]
        fn valid_emails_round_trip(local in "[a-z0-9]{1,20}", domain in domain()) {
            let email = format!("{local}@{domain}");
            prop_assert_eq!(Email::parse(&email).unwrap().to_string(), email.clone());
        }

        #[test]
        fn valid_domains_round_trip_in_lower_case(domain in domain()) {
            prop_assert_eq!(DomainName::parse(&domain).unwrap().to_string(), domain.clone());
            prop_assert_eq!(
                DomainName::parse(&domain.to_uppercase()).unwrap().to_string(),
                domain.clone()
            );
        }

        #[test]
        fn valid_https_urls_round_trip(domain in domain(), path in "(/[a-z0-9._-]{1,10}){0,3}") {
            let url = format!("https://{domain}{path}");
            prop_assert_eq!(HttpsUrl::parse(&url).unwrap().to_string(), url.clone());
        }

        #[test]
        fn valid_regions_round_trip(
            area in "(us|eu|ap|sa|ca|me|af|il|mx)",
            direction in "(east|west|north|south|central|northeast|southeast)",
            n in 1u8..=20,
        ) {
            let region = format!("{area}-{direction}-{n}");
            prop_assert_eq!(AwsRegion::parse(&region).unwrap().to_string(), region.clone());
        }

        #[test]
        fn canonical_locales_round_trip(tag in "[a-z]{2,3}(-[A-Z]{2})?") {
            prop_assert_eq!(Locale::parse(&tag).unwrap().to_string(), tag.clone());
            prop_assert_eq!(Locale::parse(&tag.to_lowercase()).unwrap().to_string(), tag.clone());
        }

        #[test]
        fn valid_role_arns_round_trip(account in "[0-9]{12}", name in "[A-Za-z0-9+=,.@_-]{1,64}") {
            let arn = format!("arn:aws:iam::{account}:role/{name}");
            prop_assert_eq!(IamRoleArn::parse(&arn).unwrap().to_string(), arn.clone());
        }

        #[test]
        fn valid_external_ids_round_trip(id in "[A-Za-z0-9+=,.@:/_-]{2,100}") {
            prop_assert_eq!(AwsExternalId::parse(&id).unwrap().to_string(), id.clone());
        }

        #[test]
        fn arbitrary_text_never_panics_and_every_refusal_has_a_reason(text in "\\PC{0,80}") {
            for (name, parse) in parsers() {
                if let Err(reason) = parse(&text) {
                    prop_assert!(!reason.trim().is_empty(), "{} refused {:?} without a reason", name, text);
                }
            }
        }

        #[test]
        fn near_misses_never_panic(text in "(tenant_|scope_|key_|https://|arn:aws:iam::)?[a-zA-Z0-9:/._%@-]{0,300}") {
            for (name, parse) in parsers() {
                if let Err(reason) = parse(&text) {
                    prop_assert!(!reason.trim().is_empty(), "{} refused {:?} without a reason", name, text);
                }
            }
        }

        #[test]
        fn generated_ids_round_trip(_seed in 0u8..8) {
            let tenant = TenantId::generate();
            prop_assert_eq!(TenantId::parse(tenant.as_str()).unwrap(), tenant);
            let scope = ScopeId::generate();
            prop_assert_eq!(ScopeId::parse(scope.as_str()).unwrap(), scope);
        }
    }
}
