//! `remove-tenant-domain`: serves `DELETE /v1/tenants/{id}/domains/{domain}` (removes a tenant's domain).
//! Builds the app once per cold start; every invocation goes to the shared handler.

use lambda_http::{run, service_fn, Error};
use tenant_shared::{handlers, App};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tenant_shared::logging::init();
    let app = App::from_env()?;
    run(service_fn(|req| {
        handlers::before_deadline(&app, req, handlers::remove_tenant_domain)
    }))
    .await
}
