//! `reverify-domains`: run hourly by an EventBridge schedule; checks a page of verified
//! email domains' TXT records, the longest unchecked first, and marks `unverified` those
//! whose record stayed gone for the grace period. Builds the app once per cold start (its
//! DNS resolver on first use); every run goes to the shared handler.

use lambda_runtime::{run, service_fn, Error};
use tenant_shared::{handlers, App};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tenant_shared::logging::init();
    let app = App::from_env()?;
    run(service_fn(|event| handlers::reverify_domains(&app, event))).await
}
