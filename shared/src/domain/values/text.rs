//! Human text: the slug, the display name, the locale, and bounded text and identifiers.

use super::BOUNDED_TEXT_PATTERN;

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
    /// A BCP 47 language tag in canonical case, e.g. `en`, `fr-CA`, `zh-Hant-TW`.
    Locale,
    r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$",
    (2, 64),
    "en-GB"
);

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
