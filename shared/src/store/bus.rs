//! The event bus the outbox is published to: EventBridge `PutEvents`, behind [`EventSink`]
//! so that the publishing rules ([`crate::service::publish`]) can be tested against a bus
//! that fails on demand as well as against a real one.

use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use crate::error::{ApiError, Context};

/// The `source` of every event the API puts on its bus.
pub const EVENT_SOURCE: &str = "tenant-api";

/// Most entries one `PutEvents` call takes.
pub const MAX_ENTRIES: usize = 10;
/// Most bytes of entries one `PutEvents` call takes (EventBridge's limit is 256 KiB,
/// counted over source, detail-type and detail).
pub const MAX_BATCH_BYTES: usize = 256 * 1024;

/// One event to put: its detail-type (the event's type) and detail (the event's JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusEntry<'a> {
    pub detail_type: &'a str,
    pub detail: &'a str,
}

impl BusEntry<'_> {
    /// The bytes the entry counts for against [`MAX_BATCH_BYTES`].
    pub fn size(&self) -> usize {
        EVENT_SOURCE.len() + self.detail_type.len() + self.detail.len()
    }
}

/// Somewhere events can be put, a batch at a time.
#[allow(async_fn_in_trait)]
pub trait EventSink {
    /// Puts `entries` (at most [`MAX_ENTRIES`]): for each, `None` if it was accepted or the
    /// error code it was refused with. `Err` if the call as a whole failed.
    async fn put(&self, entries: &[BusEntry<'_>]) -> Result<Vec<Option<String>>, ApiError>;
}

/// An EventBridge bus.
#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: aws_sdk_eventbridge::Client,
    bus_name: String,
}

impl EventBridgeBus {
    /// The bus `bus_name` (a name or an ARN) through `client`.
    pub fn new(client: aws_sdk_eventbridge::Client, bus_name: impl Into<String>) -> Self {
        Self {
            client,
            bus_name: bus_name.into(),
        }
    }
}

impl EventSink for EventBridgeBus {
    async fn put(&self, entries: &[BusEntry<'_>]) -> Result<Vec<Option<String>>, ApiError> {
        let entries_sent: Vec<PutEventsRequestEntry> = entries
            .iter()
            .map(|e| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus_name)
                    .source(EVENT_SOURCE)
                    .detail_type(e.detail_type)
                    .detail(e.detail)
                    .build()
            })
            .collect();
        let output = self
            .client
            .put_events()
            .set_entries(Some(entries_sent))
            .send()
            .await
            .context("putting events on the bus")?;
        let answered = output.entries();
        // EventBridge answers one result per entry, in order; a short answer leaves the
        // rest unconfirmed, which counts as refused.
        Ok((0..entries.len())
            .map(|i| match answered.get(i) {
                Some(result) if result.error_code().is_none() => None,
                Some(result) => Some(result.error_code().unwrap_or("unknown").to_owned()),
                None => Some("unanswered".to_owned()),
            })
            .collect())
    }
}
