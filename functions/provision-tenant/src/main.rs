//! `provision-tenant`: consumes the provisioning queue (the bus's tenant.created,
//! tenant.deleted and tenant.provisioning_retried events) and moves each tenant through
//! provisioning. Builds the app once per cold start (its SES and STS clients on first
//! use); every batch goes to the shared handler.

use lambda_runtime::{run, service_fn, Error};
use tenant_shared::{handlers, App};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tenant_shared::logging::init();
    let app = App::from_env()?;
    run(service_fn(|batch| handlers::provision_tenant(&app, batch))).await
}
