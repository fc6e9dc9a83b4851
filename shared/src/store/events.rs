//! The outbox: change events as items, one per change, put in the same transaction as the
//! change. The table's stream (new images) carries each new event item to the publisher;
//! the items themselves are the audit trail.
//!
//! An event item lives in its tenant's event partition (`EVENTS#<tenantId>`, or
//! `EVENTS#platform` for platform API keys), sorted by `EVENT#<occurredAt>#<eventId>`, and
//! holds the event exactly as published in `event` (JSON text), plus `eventType` for
//! filtering and, with a retention, `expiresAt` (the table's TTL attribute).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde_json::Value;

use super::cursor::{CursorCodec, Position};
use super::dynamo::sdk_error;
use super::item::{text, Item};
use super::listing::near;
use super::transaction::put_new;
use super::{keys, Store};
use crate::domain::page::fingerprint;
use crate::domain::{clock, ChangeEvent, EventType, Page, TenantId};
use crate::error::{ApiError, Context};

/// Entity name of event items (the stream filter selects on it).
pub const EVENT_ENTITY: &str = "event";
/// Attribute holding the event as published (JSON text).
pub const EVENT_BODY: &str = "event";
/// Attribute holding the event's type.
pub const EVENT_TYPE: &str = "eventType";
/// The table's TTL attribute (epoch seconds), set on events when a retention is set.
pub const EXPIRES_AT: &str = "expiresAt";

/// Most items one listing request reads while a type filter skips others.
const FILTERED_READ: i32 = 200;

/// The item of `event`; `retention_days` sets its expiry.
fn event_item(event: &ChangeEvent, retention_days: Option<u32>) -> Result<Item, ApiError> {
    // Bounded, so that the bus always takes it (a too-large event is trimmed, never lost).
    let body = event.to_bounded_json().context("encoding an event")?;
    let tenant = event.tenant_id.as_ref().map(|t| t.as_str());
    let mut item = keys::key(
        keys::events_pk(tenant),
        &keys::event_sk(&event.occurred_at, &event.event_id),
    );
    let mut set = |name: &str, value: AttributeValue| {
        item.insert(name.to_owned(), value);
    };
    set(keys::ENTITY, AttributeValue::S(EVENT_ENTITY.to_owned()));
    set(
        EVENT_TYPE,
        AttributeValue::S(event.event_type.as_str().to_owned()),
    );
    set("eventId", AttributeValue::S(event.event_id.clone()));
    set("occurredAt", AttributeValue::S(event.occurred_at.clone()));
    set(EVENT_BODY, AttributeValue::S(body));
    if let Some(days) = retention_days {
        let at = time::OffsetDateTime::now_utc().unix_timestamp() + i64::from(days) * 86_400;
        set(EXPIRES_AT, AttributeValue::N(at.to_string()));
    }
    Ok(item)
}

/// The put of `event` that goes into its change's transaction.
pub(crate) fn event_put(store: &Store, event: &ChangeEvent) -> Result<TransactWriteItem, ApiError> {
    put_new(
        store.table(),
        event_item(event, store.event_retention_days)?,
        false,
    )
}

/// An event as published, from a stream record's new image: `(type, JSON text)`, or `None`
/// for an image that is not an event item (the stream filter should keep those out).
pub fn published_event(image: &Item) -> Option<(&str, &str)> {
    if text(image, keys::ENTITY) != Some(EVENT_ENTITY) {
        return None;
    }
    Some((text(image, EVENT_TYPE)?, text(image, EVENT_BODY)?))
}

impl Store {
    /// One page of tenant `tenant_id`'s events, newest first, optionally of one type.
    /// `deadline_ms` bounds how long a sparse type filter may keep reading.
    pub async fn list_events(
        &self,
        tenant_id: &TenantId,
        only: Option<EventType>,
        limit: usize,
        cursor: Option<&str>,
        codec: &CursorCodec,
        deadline_ms: Option<u64>,
    ) -> Result<Page<Value>, ApiError> {
        let print = fingerprint(&[
            "events",
            tenant_id.as_str(),
            only.map(EventType::as_str).unwrap_or(""),
        ]);
        let partition = keys::events_pk(Some(tenant_id.as_str()));
        let mut start = match cursor {
            None => None,
            Some(cursor) => {
                let p = codec.decode_any(cursor, &print)?;
                if !clock::is_canonical(&p.created_at) || !p.id.starts_with("evt_") {
                    return Err(ApiError::InvalidCursor);
                }
                Some(keys::key(
                    partition.clone(),
                    &keys::event_sk(&p.created_at, &p.id),
                ))
            }
        };
        let mut names = HashMap::from([
            ("#pk".to_owned(), keys::PK.to_owned()),
            ("#sk".to_owned(), keys::SK.to_owned()),
        ]);
        let mut values = HashMap::from([
            (":pk".to_owned(), AttributeValue::S(partition)),
            (
                ":prefix".to_owned(),
                AttributeValue::S(keys::EVENT_SK_PREFIX.to_owned()),
            ),
        ]);
        let filter = only.map(|t| {
            names.insert("#t".to_owned(), EVENT_TYPE.to_owned());
            values.insert(":t".to_owned(), AttributeValue::S(t.as_str().to_owned()));
            "#t = :t".to_owned()
        });
        let wanted = limit + 1;
        let read_size = if filter.is_some() {
            FILTERED_READ
        } else {
            wanted as i32
        };
        let mut found: Vec<(Position, Value)> = Vec::with_capacity(wanted);
        loop {
            let output = self
                .client
                .query()
                .table_name(self.table())
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .set_filter_expression(filter.clone())
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(false)
                // The audit trail shows a change the moment its request has answered.
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .limit(read_size)
                .send()
                .await
                .map_err(sdk_error("listing a tenant's events"))?;
            for item in output.items.unwrap_or_default() {
                found.push(listed(&item)?);
                if found.len() == wanted {
                    break;
                }
            }
            match output.last_evaluated_key {
                Some(key) if found.len() < wanted => {
                    if near(deadline_ms) {
                        // Out of time: hand back what we have and resume after `key`.
                        let position = position_of(&key)?;
                        return Ok(Page {
                            items: found.into_iter().map(|(_, e)| e).collect(),
                            next_cursor: Some(codec.encode(&position, &print)),
                        });
                    }
                    start = Some(key);
                }
                _ => break,
            }
        }
        let next_cursor = if found.len() > limit {
            found.truncate(limit);
            found.last().map(|(p, _)| codec.encode(p, &print))
        } else {
            None
        };
        Ok(Page {
            items: found.into_iter().map(|(_, e)| e).collect(),
            next_cursor,
        })
    }
}

/// A listed event item: its position and the event.
fn listed(item: &Item) -> Result<(Position, Value), ApiError> {
    let body = text(item, EVENT_BODY)
        .ok_or_else(|| ApiError::internal("reading an event", "an event item without its body"))?;
    let event = serde_json::from_str(body).context("decoding an event")?;
    Ok((position_of(item)?, event))
}

/// The cursor position of an event key (`EVENT#<occurredAt>#<eventId>`).
fn position_of(key: &Item) -> Result<Position, ApiError> {
    text(key, keys::SK)
        .and_then(|sk| sk.strip_prefix(keys::EVENT_SK_PREFIX))
        .and_then(|rest| rest.split_once('#'))
        .map(|(at, id)| Position {
            created_at: at.to_owned(),
            id: id.to_owned(),
        })
        .ok_or_else(|| ApiError::internal("reading an event", "unexpected event sort key"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Actor, ActorKind, Origin};
    use crate::domain::plans::{PlanCatalogue, DEFAULT_CATALOGUE, DEFAULT_PLAN};
    use crate::domain::{NewTenant, Tenant};
    use serde_json::json;

    fn event() -> ChangeEvent {
        let plans = PlanCatalogue::parse(DEFAULT_CATALOGUE, DEFAULT_PLAN).unwrap();
        let body = json!({"name": "Acme", "slug": "acme"});
        let new = NewTenant::from_json(body.as_object().unwrap(), &plans).unwrap();
        let tenant = Tenant::create(&new, "2026-01-01T00:00:00.000Z");
        let origin = Origin {
            actor: Actor {
                kind: ActorKind::ApiKey,
                id: "key_1".to_owned(),
            },
            request_id: "r".to_owned(),
        };
        ChangeEvent::created(&tenant, &origin)
    }

    #[test]
    fn an_event_item_is_keyed_by_tenant_and_time_and_holds_the_event_as_published() {
        let e = event();
        let item = event_item(&e, None).unwrap();
        let tenant = e.tenant_id.as_ref().unwrap();
        assert_eq!(
            text(&item, keys::PK),
            Some(format!("EVENTS#{tenant}").as_str())
        );
        assert!(text(&item, keys::SK)
            .unwrap()
            .starts_with("EVENT#2026-01-01T00:00:00.000Z#evt_"));
        assert!(!item.contains_key(EXPIRES_AT), "kept forever by default");
        let (kind, body) = published_event(&item).unwrap();
        assert_eq!(kind, "tenant.created");
        assert_eq!(
            serde_json::from_str::<Value>(body).unwrap(),
            serde_json::to_value(&e).unwrap()
        );
        let (position, _) = listed(&item).unwrap();
        assert_eq!(position.id, e.event_id);
    }

    #[test]
    fn a_retention_sets_the_ttl_attribute_that_many_days_ahead() {
        let item = event_item(&event(), Some(30)).unwrap();
        let Some(AttributeValue::N(at)) = item.get(EXPIRES_AT) else {
            panic!("no expiry")
        };
        let ahead = at.parse::<i64>().unwrap() - time::OffsetDateTime::now_utc().unix_timestamp();
        assert!((30 * 86_400 - 5..=30 * 86_400).contains(&ahead), "{ahead}");
    }

    #[test]
    fn an_event_too_large_for_the_bus_is_written_trimmed_with_a_reference_to_the_full_state() {
        let mut e = event();
        if let Some(tenant) = e.tenant.as_mut() {
            let big: serde_json::Map<String, Value> = (0..40)
                .map(|i| (format!("k{i}"), json!("x".repeat(8000))))
                .collect();
            tenant.fields.metadata = Some(big);
        }
        assert!(serde_json::to_string(&e).unwrap().len() > 256 * 1024);
        let item = event_item(&e, None).unwrap();
        let (_, body) = published_event(&item).unwrap();
        assert!(body.len() <= crate::domain::event::MAX_EVENT_BYTES);
        let body: Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["truncated"], true);
        assert_eq!(body["omitted"], json!(["tenant"]));
        assert_eq!(body["eventId"], e.event_id.as_str());
        let id = e.tenant_id.as_ref().unwrap();
        assert_eq!(body["fullState"]["tenant"], format!("/v1/tenants/{id}"));
    }

    #[test]
    fn images_that_are_not_events_are_not_published() {
        let mut item = event_item(&event(), None).unwrap();
        item.insert(keys::ENTITY.to_owned(), AttributeValue::S("tenant".into()));
        assert!(published_event(&item).is_none());
    }
}
