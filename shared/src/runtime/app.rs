//! The per-cold-start application state: configuration, the DynamoDB store, the access
//! checks and the cursor codec, built once and shared by every invocation of a function.

use aws_sdk_dynamodb::Client;

use super::aws::{dynamodb_client, ClientSettings};
use super::config::{Config, ConfigError};
use super::dns::Dns;
use crate::auth::jwt::JwtVerifier;
use crate::auth::{Auth, Policies};
use crate::store::{CursorCodec, Store};

/// Everything a handler needs besides the request.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub store: Store,
    pub cursors: CursorCodec,
    /// Authentication and authorization (the Cedar policies, parsed once).
    pub auth: Auth,
    /// DNS lookups for domain verification (the resolver is built on first use).
    pub dns: Dns,
}

impl App {
    /// Reads the configuration from the environment and builds the DynamoDB client.
    /// Nothing here touches the network or the disk: connections open on first use (the
    /// JWKS on the first token that needs it). The policies are parsed here, in the init
    /// phase, which Lambda is observed to run on a full vCPU.
    pub fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let client = dynamodb_client(&ClientSettings::from_env(config.dynamodb_endpoint.clone()));
        Self::with_client(config, client)
    }

    /// Builds the state around an existing client (tests point it at their own table).
    pub fn with_client(config: Config, client: Client) -> Result<Self, ConfigError> {
        let store = Store::new(client, config.table_name.clone())
            .with_event_retention(config.event_retention_days);
        let cursors = CursorCodec::new(&config.cursor_secret);
        let policies = Policies::load().map_err(ConfigError::Policies)?;
        let jwt = config.jwt.clone().map(JwtVerifier::new);
        Ok(Self {
            dns: Dns::new(config.dns_resolver),
            auth: Auth::new(store.clone(), policies, jwt),
            config,
            store,
            cursors,
        })
    }
}
