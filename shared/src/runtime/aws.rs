//! The AWS clients (DynamoDB; EventBridge for the publisher), built for a fast cold start.
//!
//! On Lambda the execution role's credentials and the region are environment variables,
//! so the client reads them directly instead of running aws-config's default provider
//! chain. Its HTTPS client uses rustls with *ring* and trusts only the root CAs behind AWS
//! endpoints (`aws-roots.pem`): no system CA bundle is parsed at init and there is no
//! aws-lc jitter-entropy collection on the first TLS use. The TLS connector itself (the
//! roots parsed, the rustls configuration built) is made once, on the first request: the
//! SDK would otherwise also build one and throw it away while validating each client's
//! configuration at init ([`LazyConnector`]).
//!
//! Every client has the same stated timeouts and retries ([`Timeouts`]): a connection must
//! open within 1 s, an attempt answer within 2 s, and an operation (every attempt and the
//! back-off between them) end within 4 s; the SDK's *standard* retry mode makes up to 3
//! attempts, retrying throttling, 5xx, timeouts and connection errors with jittered
//! exponential back-off. The API functions' Lambda timeout (10 s, template.yaml) is above
//! two whole operations, so a request whose AWS calls keep failing answers 503 with
//! `Retry-After` instead of dying at the Lambda limit; API Gateway's own 30 s limit is
//! above both. docs/faults.md has the whole table.

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
use aws_sdk_dynamodb::config::{
    ConfigBag, RuntimeComponents, RuntimeComponentsBuilder, SharedHttpClient,
};
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpConnector,
};
use std::time::Duration;

/// Root certificates of Amazon Trust Services (Amazon Root CA 1-4, Starfield).
pub const AWS_ROOT_CAS: &str = include_str!("aws-roots.pem");

/// Where the client connects and as whom.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The AWS region.
    pub region: String,
    /// An endpoint override (local engines); `None` uses the regional endpoint.
    pub endpoint: Option<String>,
    /// Fixed credentials; `None` reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    /// `AWS_SESSION_TOKEN` from the environment, as Lambda provides them.
    pub credentials: Option<Credentials>,
    /// Also trust the system CA bundle (e.g. behind a TLS-inspecting proxy).
    pub native_roots: bool,
    /// Connect, attempt and operation timeouts, and how many attempts an operation makes.
    pub timeouts: Timeouts,
}

/// The timeouts and retries of every AWS client (the SDK's standard retry mode).
///
/// | variable | meaning | default |
/// |---|---|---|
/// | `AWS_CONNECT_TIMEOUT_MS` | opening a connection (TCP and TLS) | `1000` |
/// | `AWS_ATTEMPT_TIMEOUT_MS` | one attempt, from sending to the whole answer | `2000` |
/// | `AWS_OPERATION_TIMEOUT_MS` | one operation: every attempt and the back-off between them | `4000` |
/// | `AWS_MAX_ATTEMPTS` | attempts per operation (1: no retry) | `3` |
///
/// A value that is not a whole number in range (1-60000 ms, 1-10 attempts) keeps the
/// default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub attempt: Duration,
    pub operation: Duration,
    pub max_attempts: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_millis(1_000),
            attempt: Duration::from_millis(2_000),
            operation: Duration::from_millis(4_000),
            max_attempts: 3,
        }
    }
}

impl Timeouts {
    /// The timeouts from variables read through `lookup` (see the table above).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let defaults = Self::default();
        let number = |name: &str, (min, max): (u64, u64)| {
            lookup(name)
                .and_then(|text| text.trim().parse::<u64>().ok())
                .filter(|n| (min..=max).contains(n))
        };
        let ms = |name: &str, default: Duration| {
            number(name, (1, 60_000)).map_or(default, Duration::from_millis)
        };
        Self {
            connect: ms("AWS_CONNECT_TIMEOUT_MS", defaults.connect),
            attempt: ms("AWS_ATTEMPT_TIMEOUT_MS", defaults.attempt),
            operation: ms("AWS_OPERATION_TIMEOUT_MS", defaults.operation),
            max_attempts: number("AWS_MAX_ATTEMPTS", (1, 10))
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(defaults.max_attempts),
        }
    }

    /// The SDK's timeout configuration.
    pub fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }

    /// The SDK's retry configuration: standard mode, `max_attempts`.
    pub fn retry_config(&self) -> RetryConfig {
        RetryConfig::standard().with_max_attempts(self.max_attempts)
    }
}

impl ClientSettings {
    /// Settings from the environment: `AWS_REGION` (or `AWS_DEFAULT_REGION`, else
    /// `us-east-1`), the given endpoint override, environment credentials, system CAs
    /// only if `TRUST_SYSTEM_CAS=true`, and the [`Timeouts`] of the `AWS_*_TIMEOUT_MS` and
    /// `AWS_MAX_ATTEMPTS` variables.
    pub fn from_env(endpoint: Option<String>) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Self {
            region: var("AWS_REGION")
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".to_owned()),
            endpoint,
            credentials: None,
            native_roots: var("TRUST_SYSTEM_CAS").is_some_and(|v| v == "true"),
            timeouts: Timeouts::from_lookup(var),
        }
    }
}

/// What every client shares: its HTTPS client, credentials and region.
fn parts(settings: &ClientSettings) -> (SharedHttpClient, SharedCredentialsProvider, Region) {
    let credentials = match &settings.credentials {
        Some(fixed) => SharedCredentialsProvider::new(fixed.clone()),
        None => SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()),
    };
    (
        http_client(settings),
        credentials,
        Region::new(settings.region.clone()),
    )
}

/// An HTTP client that builds its connector only when a request needs one.
///
/// smithy's hyper client builds a complete connector in `validate_base_client_config`
/// (so that a system CA store loads at client construction rather than on the first
/// request) and discards it; the first request then builds, and caches, the one it uses.
/// Our roots are bundled and checked by a unit test, so that step only costs a second PEM
/// parse and rustls configuration at every cold start (≈ 0.3 M instructions, measured
/// with callgrind). With `TRUST_SYSTEM_CAS=true` the system store now loads on the first
/// request. Everything else is the inner client's.
#[derive(Debug)]
struct LazyConnector(SharedHttpClient);

impl HttpClient for LazyConnector {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn validate_base_client_config(
        &self,
        _: &RuntimeComponentsBuilder,
        _: &ConfigBag,
    ) -> Result<(), BoxError> {
        Ok(())
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// The HTTPS client every AWS client here uses (rustls with *ring*, the AWS roots), which
/// builds its TLS connector on the first request.
pub fn http_client(settings: &ClientSettings) -> SharedHttpClient {
    let trust = TrustStore::empty()
        .with_native_roots(settings.native_roots)
        .with_pem_certificate(AWS_ROOT_CAS.as_bytes());
    let tls = TlsContext::builder().with_trust_store(trust);
    let http =
        aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring));
    // A TLS context from a trust store and no extra server names cannot fail to build.
    let http = match tls.build() {
        Ok(context) => http.tls_context(context),
        Err(_) => http,
    };
    SharedHttpClient::new(LazyConnector(http.build_https()))
}

/// Builds a DynamoDB client for `settings`.
pub fn dynamodb_client(settings: &ClientSettings) -> Client {
    let (http, credentials, region) = parts(settings);
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .http_client(http)
        .timeout_config(settings.timeouts.timeout_config())
        .retry_config(settings.timeouts.retry_config());
    config.set_endpoint_url(settings.endpoint.clone());
    Client::from_conf(config.build())
}

/// Builds an EventBridge client for `settings` (its endpoint override is EventBridge's).
pub fn eventbridge_client(settings: &ClientSettings) -> aws_sdk_eventbridge::Client {
    let (http, credentials, region) = parts(settings);
    let mut config = aws_sdk_eventbridge::Config::builder()
        .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .http_client(http)
        .timeout_config(settings.timeouts.timeout_config())
        .retry_config(settings.timeouts.retry_config());
    config.set_endpoint_url(settings.endpoint.clone());
    aws_sdk_eventbridge::Client::from_conf(config.build())
}

/// Builds an SES v2 client for `settings` (its endpoint override is SES's).
pub fn sesv2_client(settings: &ClientSettings) -> aws_sdk_sesv2::Client {
    let (http, credentials, region) = parts(settings);
    let mut config = aws_sdk_sesv2::Config::builder()
        .behavior_version(aws_sdk_sesv2::config::BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .http_client(http)
        .timeout_config(settings.timeouts.timeout_config())
        .retry_config(settings.timeouts.retry_config());
    config.set_endpoint_url(settings.endpoint.clone());
    aws_sdk_sesv2::Client::from_conf(config.build())
}

/// Builds an STS client for `settings` (its endpoint override is STS's; without one, the
/// regional endpoint).
pub fn sts_client(settings: &ClientSettings) -> aws_sdk_sts::Client {
    let (http, credentials, region) = parts(settings);
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .http_client(http)
        .timeout_config(settings.timeouts.timeout_config())
        .retry_config(settings.timeouts.retry_config());
    config.set_endpoint_url(settings.endpoint.clone());
    aws_sdk_sts::Client::from_conf(config.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_default_to_the_stated_budget_and_read_their_variables() {
        let none = Timeouts::from_lookup(|_| None);
        assert_eq!(none, Timeouts::default());
        assert_eq!(none.connect, Duration::from_secs(1));
        assert_eq!(none.attempt, Duration::from_secs(2));
        assert_eq!(none.operation, Duration::from_secs(4));
        assert_eq!(none.max_attempts, 3);
        let set = Timeouts::from_lookup(|name| {
            match name {
                "AWS_CONNECT_TIMEOUT_MS" => Some("250"),
                "AWS_ATTEMPT_TIMEOUT_MS" => Some("700"),
                "AWS_OPERATION_TIMEOUT_MS" => Some("not a number"),
                "AWS_MAX_ATTEMPTS" => Some("11"),
                _ => None,
            }
            .map(str::to_owned)
        });
        assert_eq!(set.connect, Duration::from_millis(250));
        assert_eq!(set.attempt, Duration::from_millis(700));
        assert_eq!(
            set.operation,
            Duration::from_secs(4),
            "invalid: the default"
        );
        assert_eq!(set.max_attempts, 3, "out of range: the default");
        let config = set.timeout_config();
        assert_eq!(config.connect_timeout(), Some(Duration::from_millis(250)));
        assert_eq!(
            config.operation_attempt_timeout(),
            Some(Duration::from_millis(700))
        );
        assert_eq!(set.retry_config().max_attempts(), 3);
    }

    #[test]
    fn bundled_roots_are_the_six_amazon_trust_services_certificates() {
        assert_eq!(
            AWS_ROOT_CAS.matches("-----BEGIN CERTIFICATE-----").count(),
            6
        );
        assert_eq!(AWS_ROOT_CAS.matches("-----END CERTIFICATE-----").count(), 6);
        for name in [
            "Amazon Root CA 1",
            "Amazon Root CA 4",
            "Starfield Services Root",
        ] {
            assert!(AWS_ROOT_CAS.contains(name), "{name}");
        }
    }
}
