//! `list-plans`: serves `GET /v1/plans`. Builds the app (configuration and DynamoDB client)
//! once per cold start; every invocation goes to the shared handler.

use lambda_http::{run, service_fn, Error};
use tenant_shared::{handlers, App};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tenant_shared::logging::init();
    let app = App::from_env()?;
    run(service_fn(|req| {
        handlers::before_deadline(&app, req, handlers::list_plans)
    }))
    .await
}
