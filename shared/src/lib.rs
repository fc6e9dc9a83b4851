//! Everything the tenant API functions share: the tenant model and its validation, the
//! single-table DynamoDB store, the HTTP mapping (one error envelope for every failure) and
//! the per-endpoint handlers that each `functions/<name>` binary calls.
//!
//! A function's `main.rs` builds an [`App`] once per cold start and hands every request to
//! the one handler in [`handlers`] that serves its route.

pub mod app;
pub mod auth;
pub mod aws;
pub mod clock;
pub mod config;
pub mod cursor;
pub mod error;
pub mod handlers;
pub mod http;
pub mod keys;
pub mod listing;
pub mod logging;
pub mod model;
pub mod patch;
pub mod plans;
pub mod routes;
pub mod stats;
pub mod store;
pub mod table;
pub mod validation;

pub use app::App;
pub use config::Config;
pub use error::ApiError;
