//! Numbers and free-form data: positive limits and tenant metadata.

use serde_json::{Map, Value};

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
