//! Publishing the outbox: the stream's new event items, in stream order, onto the bus.
//!
//! A batch of stream records is put in order, up to ten entries a call. An entry the bus
//! refuses is retried in place a few times; if it is still refused, or a call fails as a
//! whole, publishing stops there and the record's sequence number is reported as the
//! batch's failure, so Lambda redelivers the batch from that record on (partial batch
//! response) and nothing after it is skipped. Delivery is therefore at least once: a
//! redelivered batch puts again what was already put, and consumers deduplicate on
//! `eventId`.

use std::time::Duration;

use crate::domain::event::bounded_event_json;
use crate::error::ApiError;
use crate::store::bus::{BusEntry, EventSink, MAX_BATCH_BYTES, MAX_ENTRIES};

/// How often a refused entry is put again within one invocation.
const ENTRY_RETRIES: u32 = 2;

/// One stream record: its sequence number and, for an event item, the event as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEvent<'a> {
    pub sequence_number: &'a str,
    /// `(type, JSON)`; `None` for a record that is not a well-formed event item.
    pub event: Option<(&'a str, &'a str)>,
}

/// What publishing a batch did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Published {
    /// Events put on the bus.
    pub put: usize,
    /// The sequence number to resume from, if publishing stopped short.
    pub failed_at: Option<String>,
}

/// Puts the events of `records` on `sink`, in order (see the module's rules). An event
/// stored larger than [`crate::domain::event::MAX_EVENT_BYTES`] (written before events were bounded) is put
/// trimmed as [`bounded_event_json`] trims it, never refused for its size.
pub async fn publish(sink: &impl EventSink, records: &[StreamEvent<'_>]) -> Published {
    let details: Vec<Option<(&str, std::borrow::Cow<'_, str>)>> = records
        .iter()
        .map(|r| r.event.map(|(kind, json)| (kind, bounded_event_json(json))))
        .collect();
    let mut published = Published::default();
    let mut start = 0;
    while start < records.len() {
        // The next run of records that fits one call.
        let mut end = start;
        let mut bytes = 0;
        let mut entries = Vec::new();
        while end < records.len() && entries.len() < MAX_ENTRIES {
            let Some((detail_type, detail)) = &details[end] else {
                break;
            };
            let entry = BusEntry {
                detail_type,
                detail,
            };
            if !entries.is_empty() && bytes + entry.size() > MAX_BATCH_BYTES {
                break;
            }
            bytes += entry.size();
            entries.push(entry);
            end += 1;
        }
        if entries.is_empty() {
            // A record the filter let through that holds no event: it cannot be
            // published, and skipping it could lose an event, so the batch stops here
            // (after its retries Lambda sends it to the dead-letter queue).
            tracing::error!(
                sequence_number = records[start].sequence_number,
                "stream record is not a well-formed event item"
            );
            published.failed_at = Some(records[start].sequence_number.to_owned());
            return published;
        }
        match put_with_retries(sink, &entries).await {
            Ok(()) => published.put += entries.len(),
            Err((first_failed, why)) => {
                let record = &records[start + first_failed];
                tracing::warn!(
                    sequence_number = record.sequence_number,
                    error = %why,
                    "events not published; the batch resumes from this record"
                );
                published.put += first_failed;
                published.failed_at = Some(record.sequence_number.to_owned());
                return published;
            }
        }
        start = end;
    }
    published
}

/// Puts `entries`, putting refused ones again up to [`ENTRY_RETRIES`] times. On failure,
/// the index of the first entry still not put, and why.
async fn put_with_retries(
    sink: &impl EventSink,
    entries: &[BusEntry<'_>],
) -> Result<(), (usize, String)> {
    // Indexes (into `entries`) still to put.
    let mut pending: Vec<usize> = (0..entries.len()).collect();
    let mut attempt = 0;
    loop {
        let batch: Vec<BusEntry<'_>> = pending.iter().map(|&i| entries[i]).collect();
        let outcome: Result<Vec<Option<String>>, ApiError> = sink.put(&batch).await;
        let (still, why) = match outcome {
            Ok(results) => {
                let mut codes = Vec::new();
                let still: Vec<usize> = pending
                    .iter()
                    .zip(results.iter().chain(std::iter::repeat(&None)))
                    .filter_map(|(&i, code)| {
                        code.as_ref().map(|c| {
                            codes.push(c.clone());
                            i
                        })
                    })
                    .collect();
                (still, codes.join(", "))
            }
            Err(e) => (pending.clone(), e.to_string()),
        };
        if still.is_empty() {
            return Ok(());
        }
        if attempt == ENTRY_RETRIES {
            return Err((still[0], why));
        }
        attempt += 1;
        pending = still;
        tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// A bus that refuses chosen details a given number of times, or fails whole calls.
    #[derive(Default)]
    struct FlakyBus {
        refusals: RefCell<HashMap<String, u32>>,
        down: RefCell<u32>,
        accepted: RefCell<Vec<String>>,
        calls: RefCell<Vec<usize>>,
    }

    impl EventSink for FlakyBus {
        async fn put(&self, entries: &[BusEntry<'_>]) -> Result<Vec<Option<String>>, ApiError> {
            self.calls.borrow_mut().push(entries.len());
            if *self.down.borrow() > 0 {
                *self.down.borrow_mut() -= 1;
                return Err(ApiError::internal("putting events", "bus not found"));
            }
            Ok(entries
                .iter()
                .map(|e| {
                    let mut refusals = self.refusals.borrow_mut();
                    match refusals.get_mut(e.detail) {
                        Some(left) if *left > 0 => {
                            *left -= 1;
                            Some("ThrottlingException".to_owned())
                        }
                        _ => {
                            self.accepted.borrow_mut().push(e.detail.to_owned());
                            None
                        }
                    }
                })
                .collect())
        }
    }

    fn records(details: &[String]) -> Vec<StreamEvent<'_>> {
        details
            .iter()
            .map(|d| StreamEvent {
                sequence_number: d.as_str(),
                event: Some(("tenant.updated", d.as_str())),
            })
            .collect()
    }

    fn details(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{i:03}")).collect()
    }

    #[tokio::test]
    async fn every_event_is_put_in_order_ten_at_a_time() {
        let bus = FlakyBus::default();
        let all = details(25);
        let done = publish(&bus, &records(&all)).await;
        assert_eq!(
            done,
            Published {
                put: 25,
                failed_at: None
            }
        );
        assert_eq!(*bus.accepted.borrow(), all);
        assert_eq!(*bus.calls.borrow(), [10, 10, 5]);
    }

    #[tokio::test]
    async fn a_refused_entry_is_put_again_and_nothing_is_lost() {
        let bus = FlakyBus::default();
        bus.refusals.borrow_mut().insert("003".into(), 2);
        let all = details(12);
        let done = publish(&bus, &records(&all)).await;
        assert_eq!(
            done,
            Published {
                put: 12,
                failed_at: None
            }
        );
        let mut accepted = bus.accepted.borrow().clone();
        accepted.sort();
        assert_eq!(accepted, all, "each event exactly once");
    }

    #[tokio::test]
    async fn an_entry_refused_past_its_retries_stops_the_batch_at_its_record() {
        let bus = FlakyBus::default();
        bus.refusals.borrow_mut().insert("013".into(), 99);
        let all = details(30);
        let done = publish(&bus, &records(&all)).await;
        assert_eq!(done.failed_at.as_deref(), Some("013"));
        assert_eq!(done.put, 13, "only the events before the refused one count");
        let accepted = bus.accepted.borrow();
        assert!(
            accepted.iter().all(|d| d.as_str() < "020"),
            "nothing after the failed call's batch was put: {accepted:?}"
        );
    }

    #[tokio::test]
    async fn a_missing_bus_fails_the_batch_at_its_first_record_and_a_redelivery_publishes_all() {
        let bus = FlakyBus::default();
        *bus.down.borrow_mut() = 3;
        let all = details(4);
        let first = publish(&bus, &records(&all)).await;
        assert_eq!(first.failed_at.as_deref(), Some("000"));
        assert!(bus.accepted.borrow().is_empty());
        // Lambda redelivers from the reported record; the bus is back.
        let again = publish(&bus, &records(&all)).await;
        assert_eq!(
            again,
            Published {
                put: 4,
                failed_at: None
            }
        );
        assert_eq!(*bus.accepted.borrow(), all);
    }

    #[tokio::test]
    async fn a_record_without_an_event_is_reported_not_skipped() {
        let bus = FlakyBus::default();
        let all = details(3);
        let mut batch = records(&all);
        batch[1].event = None;
        let done = publish(&bus, &batch).await;
        assert_eq!(done.failed_at.as_deref(), Some("001"));
        assert_eq!(*bus.accepted.borrow(), ["000"]);
    }

    #[tokio::test]
    async fn calls_stay_under_the_size_limit() {
        let bus = FlakyBus::default();
        let big: Vec<String> = (0..4)
            .map(|i| format!("{i}{}", "x".repeat(100 * 1024)))
            .collect();
        let done = publish(&bus, &records(&big)).await;
        assert_eq!(done.put, 4);
        assert_eq!(*bus.calls.borrow(), [2, 2]);
    }
}
