//! The per-cold-start application state: configuration, the DynamoDB store and the cursor
//! codec, built once and shared by every invocation of a function.

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::Client;

use crate::config::{Config, ConfigError};
use crate::cursor::CursorCodec;
use crate::store::Store;

/// Everything a handler needs besides the request.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    pub store: Store,
    pub cursors: CursorCodec,
}

impl App {
    /// Reads the configuration from the environment and builds the DynamoDB client.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(endpoint) = &config.dynamodb_endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let sdk_config = loader.load().await;
        Ok(Self::with_client(config, Client::new(&sdk_config)))
    }

    /// Builds the state around an existing client (tests point it at their own table).
    pub fn with_client(config: Config, client: Client) -> Self {
        let store = Store::new(client, config.table_name.clone());
        let cursors = CursorCodec::new(&config.cursor_secret);
        Self {
            config,
            store,
            cursors,
        }
    }
}
