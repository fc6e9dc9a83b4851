//! `publish-events`: consumes the table's DynamoDB stream (event items only, by the event
//! source mapping's filter) and puts each change event on the EventBridge bus. Builds the
//! EventBridge client once per cold start; every batch goes to the shared handler.

use lambda_runtime::{run, service_fn, Error};
use tenant_shared::{handlers, Publisher};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tenant_shared::logging::init();
    let publisher = Publisher::from_env()?;
    run(service_fn(|batch| {
        handlers::publish_events(&publisher, batch)
    }))
    .await
}
