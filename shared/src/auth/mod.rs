//! Authentication and authorization.
//!
//! - [`credentials`]: the credential a request presents (bearer token or API key).
//! - [`jwt`]: bearer token verification (JWKS for RS256/ES256, a shared secret for HS256).
//! - [`api_keys`]: machine credentials, stored hashed.
//! - [`grants`]: tenant admin grants, stored in both directions.
//! - [`roles`]: the roles and where they apply.
//! - [`policy`]: the Cedar policies every request is evaluated against.
//! - [`access`]: the per-request flow tying them together.

pub mod access;
pub mod api_keys;
pub mod credentials;
pub mod grants;
pub mod jwt;
pub mod policy;
pub mod roles;

pub use access::{Session, TenantAccess};
pub use credentials::Caller;
pub use policy::{Action, Policies};
pub use roles::{Role, Roles};
