//! The domain: what a tenant, an admin grant and an API key are, how input becomes
//! validated values, and the rules of a tenant's life. Nothing here knows DynamoDB, HTTP
//! or Lambda; everything above builds on it.
//!
//! - [`values`]: the validated newtypes (ids, slug, email, region, URL, ARN…).
//! - [`input`]: reading JSON fields and collecting every problem.
//! - [`tenant`]: the tenant's fields, the resource, the create request and its life rules.
//! - [`patch`]: JSON merge patch of the mutable fields.
//! - [`plans`], [`stats`]: the plan catalogue and the tenant counters.
//! - [`roles`], [`admin`], [`api_key`]: who may act, and their grants and keys.
//! - [`list_query`], [`page`]: listing requests and the one page shape.
//! - [`domains`]: a tenant's email domains, their verification, and login discovery.
//! - [`event`]: the change event every state change writes with itself.
//! - [`provisioning`]: a tenant's resources, its plan's blueprint and the provisioning
//!   state machine; [`invitation`]: the owner's single-use invitation.
//! - [`console`]: the console's sign-in sessions and attempts.
//! - [`clock`]: the one timestamp format.

pub mod admin;
pub mod api_key;
pub mod clock;
pub mod console;
pub mod domains;
pub mod entitlements;
pub mod event;
pub mod input;
pub mod invitation;
pub mod list_query;
pub mod page;
pub mod patch;
pub mod plans;
pub mod provisioning;
pub mod roles;
pub mod stats;
pub mod tenant;
pub mod values;

pub use admin::AdminGrant;
pub use api_key::{ApiKey, NewApiKey};
pub use event::{ChangeEvent, EventType, Origin};
pub use list_query::ListQuery;
pub use page::Page;
pub use roles::{Role, Roles};
pub use tenant::{NewTenant, Tenant, TenantFields, TenantKind, TenantStatus};
pub use values::{ApiKeyId, ScopeId, Slug, TenantId, UserId};
