//! Authentication and authorization: who is calling, and whether the Cedar policies let
//! them. Decisions are made on facts (roles, statuses) that the store reads; nothing here
//! knows how items are stored.
//!
//! - [`credentials`]: the credential a request presents (bearer token or API key).
//! - [`jwt`]: bearer token verification (JWKS for RS256/ES256, a shared secret for HS256).
//! - [`oidc`]: console sign-in with OpenID Connect (authorization code, PKCE, nonce).
//! - [`policy`]: the Cedar policies every request is evaluated against.
//! - [`access`]: the per-request flow tying them together ([`Auth`]).

pub mod access;
pub mod credentials;
pub mod jwt;
pub mod oidc;
pub mod policy;

pub use access::{Auth, Session, TenantAccess};
pub use credentials::Caller;
pub use policy::{Action, Policies};
