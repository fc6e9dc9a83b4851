//! `get-openapi`: serves `GET /v1/openapi.json`, the committed OpenAPI document. Public:
//! needs no configuration, no credential and no AWS client.

use lambda_http::{run, service_fn, Error};
use tenant_shared::handlers;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tenant_shared::logging::init();
    run(service_fn(handlers::get_openapi)).await
}
