//! `resend-tenant-invitation`: serves `POST /v1/tenants/{id}/invitation` (mails the owner a new invitation).
//! Builds the app once per cold start; every invocation goes to the shared handler.

use lambda_http::{run, service_fn, Error};
use tenant_shared::{handlers, App};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tenant_shared::logging::init();
    let app = App::from_env()?;
    run(service_fn(|req| {
        handlers::before_deadline(&app, req, handlers::resend_tenant_invitation)
    }))
    .await
}
