//! `hello-world`: the floor `lambda-bench` measures every function against. The smallest
//! `lambda_http` function: it answers every request with 201 and a fixed JSON body, no
//! configuration, no AWS client, no authorization. Same release profile and the same
//! runtime setup (current-thread tokio) as the functions.

use lambda_http::{run, service_fn, Body, Error, Request, Response};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(|_req: Request| async {
        Response::builder()
            .status(201)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"hello":"world"}"#))
            .map_err(Error::from)
    }))
    .await
}
