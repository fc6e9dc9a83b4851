//! Runtime configuration, read from environment variables once per cold start.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `TABLE_NAME` | the DynamoDB table | required |
//! | `DYNAMODB_ENDPOINT` | a local DynamoDB endpoint (moto); unset in AWS | unset |
//! | `PLAN_CATALOGUE` | comma-separated plans, lowest first | `free,starter,pro,business,enterprise` |
//! | `DEFAULT_PLAN` | plan of tenants created without one | `starter` |
//! | `CURSOR_SECRET` | key that signs pagination cursors | derived from `TABLE_NAME` |

use crate::plans::{CatalogueError, PlanCatalogue, DEFAULT_CATALOGUE, DEFAULT_PLAN};

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
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("invalid plan configuration: {0}")]
    Plans(#[from] CatalogueError),
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
        let plans = PlanCatalogue::parse(
            &non_empty("PLAN_CATALOGUE").unwrap_or_else(|| DEFAULT_CATALOGUE.to_owned()),
            &non_empty("DEFAULT_PLAN").unwrap_or_else(|| DEFAULT_PLAN.to_owned()),
        )?;
        let cursor_secret = non_empty("CURSOR_SECRET")
            .unwrap_or_else(|| format!("tenant-api-cursor:{table_name}"))
            .into_bytes();
        Ok(Self {
            dynamodb_endpoint: non_empty("DYNAMODB_ENDPOINT"),
            table_name,
            plans,
            cursor_secret,
        })
    }
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
