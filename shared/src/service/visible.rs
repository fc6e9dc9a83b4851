//! Listing tenants: platform admins page the indexes; a tenant-scoped caller sees the few
//! tenants it holds roles on, read by key and paged in memory, so nothing it may not see
//! is ever read from an index.

use crate::auth::access::{admits_by_domain, Session};
use crate::auth::Action;
use crate::domain::{ListQuery, Page, Roles, Tenant, TenantId};
use crate::error::ApiError;
use crate::runtime::App;
use crate::store::cursor::Position;

/// One page of the tenants `session` may see that match `query`, each with the caller's
/// roles on it. `deadline_ms` bounds how long a sparse index filter may keep reading.
pub async fn list(
    app: &App,
    session: &Session,
    query: &ListQuery,
    deadline_ms: Option<u64>,
) -> Result<Page<(Tenant, Roles)>, ApiError> {
    if session.caller.is_platform_admin() {
        app.auth
            .check_platform(session, Action::ListTenants, false)?;
        let page = app.store.list(query, &app.cursors, deadline_ms).await?;
        return page.try_map(|t| {
            let roles = session.roles_on(&t, false);
            Ok((t, roles))
        });
    }
    let grants = match session.caller.user_id() {
        Some(user) => app.store.user_grants(&user).await?,
        None => Vec::new(),
    };
    // The tenant the caller's verified email domain belongs to, if it admits by domain
    // (checked on the tenant itself below).
    let by_domain = match &session.caller.verified_email_domain {
        Some(domain) => app.store.domain_owner(domain).await?,
        None => None,
    };
    app.auth.check_platform(
        session,
        Action::ListTenants,
        !grants.is_empty() || by_domain.is_some(),
    )?;
    let mut ids: Vec<TenantId> = grants.clone();
    if let Some(id) = &by_domain {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    if let Some(bound) = &session.caller.bound_tenant {
        if !session.caller.bound_roles.is_empty() && !ids.contains(bound) {
            ids.push(bound.clone());
        }
    }
    let mut visible = Vec::new();
    for tenant in app.store.get_tenants(&ids).await? {
        let granted = grants.contains(&tenant.id)
            || (by_domain.as_ref() == Some(&tenant.id) && admits_by_domain(&tenant));
        if let Some(roles) = app.auth.readable(session, &tenant, granted) {
            if query.matches(&tenant) {
                visible.push((tenant, roles));
            }
        }
    }
    page_in_memory(app, query, visible)
}

/// One page of `items` (already filtered) in the query's order, after its cursor.
fn page_in_memory<T>(
    app: &App,
    query: &ListQuery,
    mut items: Vec<(Tenant, T)>,
) -> Result<Page<(Tenant, T)>, ApiError> {
    let print = query.fingerprint();
    let after = query
        .cursor
        .as_deref()
        .map(|c| app.cursors.decode(c, &print))
        .transpose()?;
    let key = |t: &Tenant| (t.created_at.clone(), t.id.to_string());
    items.sort_by_key(|(t, _)| key(t));
    if !query.ascending {
        items.reverse();
    }
    if let Some(p) = after {
        let mark = (p.created_at, p.id);
        items.retain(|(t, _)| {
            if query.ascending {
                key(t) > mark
            } else {
                key(t) < mark
            }
        });
    }
    let more = items.len() > query.limit;
    items.truncate(query.limit);
    let next_cursor = match (more, items.last()) {
        (true, Some((last, _))) => Some(app.cursors.encode(&Position::of(last), &print)),
        _ => None,
    };
    Ok(Page { items, next_cursor })
}
