//! The API's route table: which function serves which method and path. `template.yaml`,
//! the `cargo lambda watch` router in `Cargo.toml` and the catch-all function all follow
//! it, and tests check that they do.

/// One route and the function serving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// Path pattern with `{param}` segments, as API Gateway writes it.
    pub path: &'static str,
    /// The binary (and `functions/` folder) serving the route.
    pub function: &'static str,
}

const fn route(method: &'static str, path: &'static str, function: &'static str) -> Route {
    Route {
        method,
        path,
        function,
    }
}

/// Every route of the API.
pub const ROUTES: [Route; 33] = [
    route("POST", "/v1/tenants", "create-tenant"),
    route("GET", "/v1/tenants", "list-tenants"),
    route("GET", "/v1/tenants/stats", "tenant-stats"),
    route("GET", "/v1/tenants/slug/{slug}", "get-tenant-by-slug"),
    route("GET", "/v1/tenants/{id}", "get-tenant"),
    route("PATCH", "/v1/tenants/{id}", "update-tenant"),
    route("DELETE", "/v1/tenants/{id}", "delete-tenant"),
    route("POST", "/v1/tenants/{id}/upgrade", "upgrade-tenant"),
    route("POST", "/v1/tenants/{id}/downgrade", "downgrade-tenant"),
    route("POST", "/v1/tenants/{id}/suspend", "suspend-tenant"),
    route("POST", "/v1/tenants/{id}/activate", "activate-tenant"),
    route("GET", "/v1/tenants/{id}/admins", "list-tenant-admins"),
    route(
        "PUT",
        "/v1/tenants/{id}/admins/{userId}",
        "grant-tenant-admin",
    ),
    route(
        "DELETE",
        "/v1/tenants/{id}/admins/{userId}",
        "revoke-tenant-admin",
    ),
    route("GET", "/v1/tenants/{id}/events", "list-tenant-events"),
    route("GET", "/v1/tenants/{id}/domains", "list-tenant-domains"),
    route("POST", "/v1/tenants/{id}/domains", "add-tenant-domain"),
    route(
        "POST",
        "/v1/tenants/{id}/domains/{domain}/verify",
        "verify-tenant-domain",
    ),
    route(
        "DELETE",
        "/v1/tenants/{id}/domains/{domain}",
        "remove-tenant-domain",
    ),
    route("GET", "/v1/tenants/{id}/resources", "list-tenant-resources"),
    route(
        "PUT",
        "/v1/tenants/{id}/resources/{resourceId}",
        "put-tenant-resource",
    ),
    route(
        "POST",
        "/v1/tenants/{id}/provisioning/retry",
        "retry-tenant-provisioning",
    ),
    route(
        "POST",
        "/v1/tenants/{id}/invitation",
        "resend-tenant-invitation",
    ),
    route("POST", "/v1/invitations/accept", "accept-invitation"),
    route("GET", "/v1/login/discover", "discover-login"),
    route("POST", "/v1/api-keys", "create-api-key"),
    route("GET", "/v1/api-keys", "list-api-keys"),
    route("DELETE", "/v1/api-keys/{keyId}", "revoke-api-key"),
    route("GET", "/v1/openapi.json", "get-openapi"),
    route("GET", "/v1/plans", "list-plans"),
    route(
        "GET",
        "/v1/tenants/{id}/entitlements",
        "get-tenant-entitlements",
    ),
    route(
        "GET",
        "/v1/tenants/{id}/entitlements/{feature}/check",
        "check-entitlement",
    ),
    route("POST", "/v1/tenants/{id}/usage/{feature}", "report-usage"),
];

/// Functions no route reaches: consumers of the table's stream and of queues, and the
/// scheduled re-verification of email domains.
pub const CONSUMERS: [&str; 3] = ["publish-events", "provision-tenant", "reverify-domains"];

/// The function that answers every request no route matches.
pub const FALLBACK_FUNCTION: &str = "route-not-found";

/// What the route table says about a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolution {
    /// This route serves it.
    Found(Route),
    /// The path exists, but only for these methods.
    MethodNotAllowed(Vec<&'static str>),
    /// No route has this path.
    NotFound,
}

/// Whether `pattern` matches `path` segment by segment; `Some(static segments)` if so,
/// used to prefer the most specific pattern as API Gateway does.
fn specificity(pattern: &str, path: &str) -> Option<usize> {
    let pattern: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let path: Vec<&str> = path
        .trim_end_matches('/')
        .trim_start_matches('/')
        .split('/')
        .collect();
    if pattern.len() != path.len() {
        return None;
    }
    let mut statics = 0;
    for (p, s) in pattern.iter().zip(&path) {
        if p.starts_with('{') {
            if s.is_empty() {
                return None;
            }
        } else if p == s {
            statics += 1;
        } else {
            return None;
        }
    }
    Some(statics)
}

/// The `{param}` values of `path` under `pattern` (which must match it).
pub fn path_params(pattern: &str, path: &str) -> std::collections::HashMap<String, String> {
    pattern
        .trim_matches('/')
        .split('/')
        .zip(path.trim_matches('/').split('/'))
        .filter_map(|(p, s)| {
            let name = p.strip_prefix('{')?.strip_suffix('}')?;
            Some((name.to_owned(), s.to_owned()))
        })
        .collect()
}

/// Resolves `method` and `path` against [`ROUTES`]. The most specific pattern that matches
/// the path owns it: `/v1/tenants/stats` is the stats resource for every method (PATCH
/// there is 405, not an update of a tenant called "stats").
pub fn resolve(method: &str, path: &str) -> Resolution {
    let matching: Vec<(usize, Route)> = ROUTES
        .into_iter()
        .filter_map(|route| specificity(route.path, path).map(|score| (score, route)))
        .collect();
    let Some(top) = matching.iter().map(|(score, _)| *score).max() else {
        return Resolution::NotFound;
    };
    let owners = matching.into_iter().filter(|(score, _)| *score == top);
    let mut allowed: Vec<&'static str> = Vec::new();
    for (_, route) in owners {
        if route.method.eq_ignore_ascii_case(method) {
            return Resolution::Found(route);
        }
        if !allowed.contains(&route.method) {
            allowed.push(route.method);
        }
    }
    Resolution::MethodNotAllowed(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_segments_win_over_parameters() {
        assert_eq!(
            resolve("GET", "/v1/tenants/stats"),
            Resolution::Found(ROUTES[2])
        );
        assert_eq!(
            resolve("GET", "/v1/tenants/tenant_1").found_function(),
            Some("get-tenant")
        );
        assert_eq!(
            resolve("GET", "/v1/tenants/slug/acme").found_function(),
            Some("get-tenant-by-slug")
        );
    }

    #[test]
    fn known_paths_with_other_methods_are_not_allowed() {
        let Resolution::MethodNotAllowed(allow) = resolve("PUT", "/v1/tenants/tenant_1") else {
            panic!("expected 405")
        };
        assert_eq!(allow, ["GET", "PATCH", "DELETE"]);
        assert!(matches!(
            resolve("DELETE", "/v1/tenants"),
            Resolution::MethodNotAllowed(_)
        ));
    }

    #[test]
    fn a_static_path_owns_every_method_on_it() {
        assert_eq!(
            resolve("PATCH", "/v1/tenants/stats"),
            Resolution::MethodNotAllowed(vec!["GET"])
        );
        assert_eq!(
            resolve("DELETE", "/v1/openapi.json"),
            Resolution::MethodNotAllowed(vec!["GET"])
        );
    }

    #[test]
    fn unknown_paths_are_not_found() {
        assert_eq!(resolve("GET", "/v2/tenants"), Resolution::NotFound);
        assert_eq!(resolve("GET", "/v1/tenants/a/b/c"), Resolution::NotFound);
        assert_eq!(resolve("GET", "/"), Resolution::NotFound);
    }

    impl Resolution {
        fn found_function(&self) -> Option<&'static str> {
            match self {
                Resolution::Found(r) => Some(r.function),
                _ => None,
            }
        }
    }
}
