//! Reading JSON input: typed fields out of a request body, every problem recorded so that
//! one `validation_error` lists every invalid field at once.

use serde_json::{Map, Value};

use crate::error::{ApiError, FieldError};

/// Collects the invalid fields of one request.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    /// Records that `field` is invalid because of `reason`.
    pub fn add(&mut self, field: &str, reason: impl Into<String>) {
        self.0.push(FieldError::new(field, reason));
    }

    /// `Ok(value)` if nothing was recorded, else a validation error listing every field.
    pub fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::Validation(self.0))
        }
    }

    /// `Ok(value)` if nothing was recorded and the value was built, else a validation
    /// error listing every field. (A missing value with no problem recorded is a bug.)
    pub fn require<T>(self, value: Option<T>) -> Result<T, ApiError> {
        match value {
            Some(value) if self.0.is_empty() => Ok(value),
            _ if self.0.is_empty() => Err(ApiError::internal(
                "validating input",
                "validation failed without a reason",
            )),
            _ => Err(ApiError::Validation(self.0)),
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many problems were recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The value of parameter `name` (given `values`), which may be given at most once.
    pub fn at_most_once(&mut self, name: &str, values: Vec<String>) -> Option<String> {
        let mut values = values.into_iter();
        match (values.next(), values.next()) {
            (one, None) => one,
            (Some(_), Some(_)) | (None, Some(_)) => {
                self.add(name, "must be given at most once");
                None
            }
        }
    }

    /// The page size in `limit` (raw text): `default` when absent, else 1 to `max`.
    pub fn page_size(&mut self, limit: Option<String>, max: usize, default: usize) -> usize {
        match limit.map(|raw| raw.parse::<usize>()) {
            None => default,
            Some(Ok(n)) if (1..=max).contains(&n) => n,
            Some(_) => {
                self.add("limit", format!("must be a whole number from 1 to {max}"));
                default
            }
        }
    }

    /// Records every key of `body` outside `allowed` as unknown.
    pub fn reject_unknown(&mut self, body: &Map<String, Value>, allowed: &[&str]) {
        for key in body.keys() {
            if !allowed.contains(&key.as_str()) {
                self.add(key, "is not a known field");
            }
        }
    }
}

/// Reads optional, typed fields out of a JSON object, recording every problem, and
/// remembering which fields it was asked for (so a struct's reader is also its field list).
pub struct Reader<'a> {
    body: &'a Map<String, Value>,
    /// Where problems go.
    pub problems: &'a mut Problems,
    read: Vec<&'static str>,
}

impl<'a> Reader<'a> {
    /// A reader of `body` recording into `problems`.
    pub fn new(body: &'a Map<String, Value>, problems: &'a mut Problems) -> Self {
        Self {
            body,
            problems,
            read: Vec::new(),
        }
    }

    /// A string field parsed by `parse`; absent or `null` is `None`.
    pub fn text<T>(
        &mut self,
        field: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        self.read.push(field);
        match self.body.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => match parse(s) {
                Ok(v) => Some(v),
                Err(reason) => {
                    self.problems.add(field, reason);
                    None
                }
            },
            Some(_) => {
                self.problems.add(field, "must be a string");
                None
            }
        }
    }

    /// A value field parsed by `parse`; absent or `null` is `None`.
    pub fn value<T>(
        &mut self,
        field: &'static str,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<T> {
        self.read.push(field);
        match self.body.get(field) {
            None | Some(Value::Null) => None,
            Some(v) => match parse(v) {
                Ok(v) => Some(v),
                Err(reason) => {
                    self.problems.add(field, reason);
                    None
                }
            },
        }
    }

    /// Whether `field` is present and not `null`.
    pub fn present(&self, field: &str) -> bool {
        !matches!(self.body.get(field), None | Some(Value::Null))
    }

    /// Records "is required" for `field` unless it is present.
    pub fn require(&mut self, field: &str) {
        if !self.present(field) {
            self.problems.add(field, "is required");
        }
    }

    /// The fields read so far, in order.
    pub fn into_fields_read(self) -> Vec<&'static str> {
        self.read
    }
}

/// Serializes `value` with object keys sorted at every level, so equal JSON documents
/// give equal text whatever their key order.
pub fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let ordered: std::collections::BTreeMap<&String, Value> =
                    map.iter().map(|(k, v)| (k, sorted(v))).collect();
                Value::Object(ordered.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// Lower-case hex SHA-256 of `text`.
pub fn hex_sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
