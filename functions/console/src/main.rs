//! `console`: serves the console's pages and actions under `/console/...` (one web app,
//! one function). Builds the app and the console's settings once per cold start; every
//! invocation goes to the shared console, which answers within the invocation's deadline.

use lambda_http::{run, service_fn, Error};
use tenant_shared::console::{self, Console};
use tenant_shared::App;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tenant_shared::logging::init();
    let app = App::from_env()?;
    let console = Console::from_env(&app)?;
    run(service_fn(|req| console::handle(&app, &console, req))).await
}
