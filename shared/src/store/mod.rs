//! The single-table DynamoDB store: the only code that knows keys, items and
//! `AttributeValue`s. Each entity module owns its keys and items and contributes the
//! operations of the transactions that involve it; [`transaction`] assembles them into one
//! conditional `TransactWriteItems`. Everything above the store sees domain types only.
//!
//! - [`keys`], [`table`]: the key schema and indexes (the table's layout is documented in
//!   [`keys`]).
//! - [`item`]: the item codec; [`dynamo`]: retries, batch reads, error classification.
//! - [`transaction`]: multi-entity transactions.
//! - [`tenants`], [`grants`], [`api_keys`]: the entities; [`listing`]: the tenant indexes.
//! - [`domains`]: a tenant's domain claims and the verified domains' reservations.
//! - [`access`]: everything an authorization decision needs, in one `BatchGetItem`.
//! - [`events`]: the outbox of change events, also the audit trail; [`bus`]: the event
//!   bus they are published to.
//! - [`invitations`]: the owner's invitations, by token hash.
//! - [`mail`], [`sts`]: the AWS calls of the built-in provisioning steps (SES v2 for the
//!   owner's invitation, STS for the tenant's role).
//! - [`cursor`]: signed pagination cursors.

pub mod access;
pub mod api_keys;
pub mod bus;
mod calls;
pub mod console;
pub mod cursor;
pub mod domains;
mod dynamo;
pub mod events;
pub mod grants;
pub mod invitations;
mod item;
pub mod keys;
pub mod listing;
pub mod mail;
pub mod sts;
pub mod table;
pub mod tenants;
mod transaction;
pub mod usage;

use aws_sdk_dynamodb::Client;

pub use access::{AccessRead, AccessWanted};
pub use cursor::CursorCodec;
pub use item::Item;
pub use tenants::Created;

/// The store over one DynamoDB table.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
    /// How long change events are kept (`None`: forever).
    event_retention_days: Option<u32>,
}

impl Store {
    /// A store using `client` on `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            event_retention_days: None,
        }
    }

    /// The same store, keeping change events `days` days (the table's TTL removes them).
    pub fn with_event_retention(mut self, days: Option<u32>) -> Self {
        self.event_retention_days = days;
        self
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }
}
