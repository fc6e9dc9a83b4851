//! End-to-end tests of every endpoint against moto's DynamoDB server.

mod admins;
mod api_keys;
mod architecture;
mod auth;
mod concurrency;
mod console;
mod contract;
mod create;
mod docs;
mod drift;
mod entitlements;
mod errors;
mod events;
mod faults;
mod jwks;
mod lifecycle;
mod listing;
mod login;
mod provisioning;
mod read;
mod role_matrix;
mod stats;
mod tenant_keys;
mod update;
