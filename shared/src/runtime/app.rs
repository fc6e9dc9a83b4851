//! The per-cold-start application state: configuration, the DynamoDB store, the access
//! checks and the cursor codec, built once and shared by every invocation of a function.

use std::sync::OnceLock;

use aws_sdk_dynamodb::Client;

use super::aws::{dynamodb_client, sesv2_client, sts_client, ClientSettings};
use super::config::{Config, ConfigError};
use super::dns::Dns;
use crate::auth::jwt::JwtVerifier;
use crate::auth::{Auth, Policies};
use crate::store::mail::SesMailer;
use crate::store::sts::StsRoles;
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
    /// The invitation mailer and the role checker of provisioning, built on first use
    /// (most functions never send mail or assume a role).
    mailer: OnceLock<SesMailer>,
    roles: OnceLock<StsRoles>,
    /// Credentials of the clients built on first use (`None`: the environment's).
    credentials: Option<aws_sdk_dynamodb::config::Credentials>,
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
            mailer: OnceLock::new(),
            roles: OnceLock::new(),
            credentials: None,
            dns: Dns::new(config.dns_resolver),
            auth: Auth::new(store.clone(), policies, jwt),
            config,
            store,
            cursors,
        })
    }

    /// The same app, building its SES and STS clients with `credentials` (tests).
    pub fn with_credentials(mut self, credentials: aws_sdk_dynamodb::config::Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    fn settings(&self, endpoint: &Option<String>) -> ClientSettings {
        let mut settings = ClientSettings::from_env(endpoint.clone());
        settings.credentials = self.credentials.clone();
        settings
    }

    /// The invitation mailer (SES v2), built on first use.
    pub fn mailer(&self) -> &SesMailer {
        self.mailer.get_or_init(|| {
            let endpoint = &self.config.provisioning.ses_endpoint;
            SesMailer::new(sesv2_client(&self.settings(endpoint)))
        })
    }

    /// The role checker (STS), built on first use.
    pub fn roles(&self) -> &StsRoles {
        self.roles.get_or_init(|| {
            let endpoint = &self.config.provisioning.sts_endpoint;
            StsRoles::new(sts_client(&self.settings(endpoint)))
        })
    }
}
