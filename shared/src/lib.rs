//! Everything the tenant API functions share, in layers whose folders are the
//! architecture (each depends only on those listed before it; `tests/api/architecture.rs`
//! checks it):
//!
//! - [`error`]: the one error type.
//! - [`domain`]: what a tenant, an admin and an API key are, and their rules. No AWS.
//! - [`store`]: the only code that knows DynamoDB keys and items; assembles transactions.
//! - [`auth`]: who is calling and what the Cedar policies allow; decides on facts.
//! - [`runtime`]: configuration, the AWS client, logging, and the per-cold-start [`App`].
//! - [`service`]: the use cases, shared by the handlers and `tenantctl`.
//! - [`http`]: reading requests, replies, the one error mapping, the route table.
//! - [`handlers`]: thin per-endpoint entry points that each `functions/<name>` calls.
//! - [`console`]: the operator console and tenant self-serve portal (HTML), which calls
//!   the handlers in process as the signed-in person.

pub mod auth;
pub mod console;
pub mod domain;
pub mod error;
pub mod handlers;
pub mod http;
pub mod runtime;
pub mod service;
pub mod store;

pub use error::ApiError;
pub use runtime::{logging, App, Config, Publisher};
