//! Logging setup shared by every function.

/// Installs the tracing subscriber once per cold start. It follows the function's Lambda
/// logging configuration (`AWS_LAMBDA_LOG_FORMAT=JSON`, `AWS_LAMBDA_LOG_LEVEL`), and every
/// line logged while serving a request carries that request's id.
pub fn init() {
    lambda_http::tracing::init_default_subscriber();
}
