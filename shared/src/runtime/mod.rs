//! What a function builds once per cold start: the configuration, the AWS client, the
//! logging, and the [`App`] holding them ([`publisher::Publisher`] for the stream consumer).

pub mod app;
pub mod aws;
pub mod config;
pub mod dns;
pub mod logging;
pub mod publisher;

pub use app::App;
pub use config::{Config, ConfigError};
pub use publisher::Publisher;
