//! End-to-end tests of every endpoint against moto's DynamoDB server.

mod concurrency;
mod create;
mod drift;
mod errors;
mod lifecycle;
mod listing;
mod read;
mod stats;
mod update;
