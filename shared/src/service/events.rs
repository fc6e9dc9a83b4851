//! A tenant's audit trail: its change events, newest first.

use serde_json::Value;

use crate::auth::access::TenantAccess;
use crate::domain::{EventType, Page};
use crate::error::ApiError;
use crate::runtime::App;

/// One page of the tenant's events, of type `only` if given. `deadline_ms` bounds how long
/// a sparse type filter may keep reading.
pub async fn list(
    app: &App,
    access: &TenantAccess,
    only: Option<EventType>,
    limit: usize,
    cursor: Option<&str>,
    deadline_ms: Option<u64>,
) -> Result<Page<Value>, ApiError> {
    app.store
        .list_events(
            &access.tenant.id,
            only,
            limit,
            cursor,
            &app.cursors,
            deadline_ms,
        )
        .await
}
