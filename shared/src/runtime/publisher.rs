//! The per-cold-start state of the `publish-events` stream consumer: only the event bus
//! (it reads nothing from the table: the stream records carry the events).

use super::aws::{eventbridge_client, ClientSettings};
use super::config::ConfigError;
use crate::store::bus::EventBridgeBus;

/// What `publish-events` needs besides the stream records.
#[derive(Debug)]
pub struct Publisher {
    pub bus: EventBridgeBus,
}

impl Publisher {
    /// Reads `EVENT_BUS_NAME` (required) and `EVENTBRIDGE_ENDPOINT` (a local EventBridge,
    /// unset in AWS) and builds the EventBridge client. Nothing touches the network here.
    pub fn from_env() -> Result<Self, ConfigError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let bus_name = var("EVENT_BUS_NAME").ok_or(ConfigError::Missing("EVENT_BUS_NAME"))?;
        let client = eventbridge_client(&ClientSettings::from_env(var("EVENTBRIDGE_ENDPOINT")));
        Ok(Self {
            bus: EventBridgeBus::new(client, bus_name),
        })
    }
}
