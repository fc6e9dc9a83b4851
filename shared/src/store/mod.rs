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
//! - [`access`]: everything an authorization decision needs, in one `BatchGetItem`.
//! - [`cursor`]: signed pagination cursors.

pub mod access;
pub mod api_keys;
pub mod cursor;
mod dynamo;
pub mod grants;
mod item;
pub mod keys;
pub mod listing;
pub mod table;
pub mod tenants;
mod transaction;

use aws_sdk_dynamodb::Client;

pub use access::{AccessRead, AccessWanted};
pub use cursor::CursorCodec;
pub use tenants::Created;

/// The store over one DynamoDB table.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    /// A store using `client` on `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }
}
