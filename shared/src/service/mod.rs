//! The use cases: what the API does, given an authorized caller and validated input.
//! Handlers and `tenantctl` share them; they know the domain and the store, never HTTP.
//!
//! - [`tenants`]: create a tenant, and change one (read-modify-write with retries).
//! - [`visible`]: list the tenants a caller may see.
//! - [`admins`], [`api_keys`]: grant and revoke tenant admins; create, list and revoke keys.
//! - [`domains`]: a tenant's email domains, and login discovery.
//! - [`events`]: a tenant's audit trail; [`publish`]: the outbox onto the event bus.
//! - [`provisioning`]: the worker moving a tenant through provisioning, resource reports
//!   and retries; [`invitations`]: resending and accepting the owner's invitation.

pub mod admins;
pub mod api_keys;
pub mod domains;
pub mod entitlements;
pub mod events;
pub mod invitations;
pub mod provisioning;
pub mod publish;
pub mod tenants;
pub mod visible;
