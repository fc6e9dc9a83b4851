//! Change events: what every state change says about itself. Each change writes exactly one
//! [`ChangeEvent`] in the same transaction as the change (the outbox); the stream publishes
//! it to the event bus, and `GET /v1/tenants/{id}/events` reads it back as the audit trail.
//!
//! An event never carries a secret: no API key, no key hash, no token.
//!
//! By concern: `types` (the event and its parts), `constructors` (one per change),
//! `bounded` (keeping it within the bus's size).

mod bounded;
mod constructors;
#[cfg(test)]
mod tests;
mod types;

pub use bounded::{bounded_event_json, MAX_EVENT_BYTES};
pub use constructors::field_changes;
pub use types::{
    Actor, ActorKind, AdminChange, ChangeEvent, DomainChange, EventType, FieldChange, FullStateRef,
    Origin, UsageThreshold,
};
