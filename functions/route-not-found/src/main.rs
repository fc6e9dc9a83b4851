//! `route-not-found`: API Gateway's `$default` route. Answers requests that match no
//! route with the API's error envelope: 405 with `Allow` for a known path, else 404.
//! Needs no configuration and no AWS client.

use lambda_http::{run, service_fn, Error};
use tenant_shared::handlers;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tenant_shared::logging::init();
    run(service_fn(handlers::route_not_found)).await
}
