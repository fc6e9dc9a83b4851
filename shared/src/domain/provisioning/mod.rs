//! Provisioning: what a tenant needs once it exists (its plan's [`Blueprint`]), the state
//! of each of those [`Resource`]s, and the small state machine that sums them up in the
//! tenant's read-only [`Provisioning`] object.
//!
//! ```text
//! pending ──start──▶ in_progress ──all required ready──▶ ready
//!                        │  ▲
//!               one failed│  │retry
//!                        ▼  │
//!                       failed
//! (delete) ──▶ deprovisioning ──all deleted──▶ deprovisioned
//!                  │  ▲
//!        one failed│  │retry
//!                  ▼  │
//!                 failed
//! ```
//!
//! Every function here is pure: it takes the tenant as read and returns the tenant as it
//! must be written, or `None` when nothing changes. The service writes the result
//! conditioned on the version read, with the event [`transition`] names, so a duplicate or
//! late message finds nothing to do.

/// The built-in step that invites the tenant's owner by email.
pub const OWNER_INVITATION: &str = "owner-invitation";
/// The built-in step that checks the tenant's AWS role with `sts:AssumeRole`.
pub const AWS_INTEGRATION: &str = "aws-integration";
/// Most resources one tenant holds (they live in the tenant's item).
pub const MAX_RESOURCES: usize = 50;
/// Most bytes of one resource's `metadata`, serialized.
pub const MAX_RESOURCE_METADATA_BYTES: usize = 2048;
/// Most bytes of all of one tenant's resources together, serialized (metadata, ARNs,
/// errors and all). They live in the tenant's item, beside its failures (a subset of
/// them) and its fields, which keeps that item far below DynamoDB's 400 KB.
pub const MAX_TENANT_RESOURCE_BYTES: usize = 128 * 1024;

/// The bytes `resources` take, serialized.
pub fn resources_size(resources: &[Resource]) -> usize {
    serde_json::to_vec(resources).map_or(usize::MAX, |bytes| bytes.len())
}
/// How long a worker holds a built-in step it started before another may take it over
/// (shorter than the queue's visibility timeout, so a redelivery always finds it free).
pub const STEP_LEASE_SECONDS: i64 = 60;

mod blueprint;
mod report;
mod state;
mod steps;

pub use blueprint::*;
pub use report::*;
pub use state::*;
pub use steps::*;

#[cfg(test)]
mod tests;
