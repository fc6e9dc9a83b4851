//! Validated newtypes for every constrained value. Each has a `parse` that returns the
//! value or a reason a person can act on; callers collect reasons per field so that a
//! `validation_error` lists every invalid field at once.

//!
//! By concern: `ids` (tenant, scope, API key and user ids), `text` (slug, display
//! name, locale and bounded text), `net` (email, domain name, https URL), `aws`
//! (region, role ARN, external id) and `limits` (limits and metadata).

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
        #[derive(
            Debug,
            Clone,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            serde::Serialize,
            serde::Deserialize,
        )]
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
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::domain::values::text_schema($pattern, $len, $example, concat!($($doc),*).trim())
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

mod aws;
mod ids;
mod limits;
mod net;
mod text;

pub use aws::{AwsExternalId, AwsRegion, IamRoleArn, GENERATED_EXTERNAL_ID_PREFIX};
pub use ids::{percent_decode, ApiKeyId, ScopeId, TenantId, UserId};
pub use limits::{
    metadata, positive_limit, MAX_LIMIT_VALUE, METADATA_MAX_BYTES, METADATA_MAX_KEYS,
    METADATA_MAX_KEY_CHARS,
};
pub use net::{DomainName, Email, HttpsUrl};
pub use text::{bounded_text, identifier, DisplayName, Locale, Slug};

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
