//! Plan entitlements: what the plan file says each plan grants ([`catalogue`]), what a
//! tenant gets with its overrides ([`effective`]), and its usage against the limits
//! ([`usage`]).

pub mod catalogue;
pub mod effective;
pub mod usage;
