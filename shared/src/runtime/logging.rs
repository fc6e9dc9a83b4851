//! Logging setup shared by every function.

use tracing::Level;

/// Installs the tracing subscriber once per cold start. It follows the function's Lambda
/// logging configuration: JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON`, the level from
/// `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, else INFO). Every line logged while serving a
/// request carries that request's id: lambda_runtime wraps each invocation in a span with
/// a `requestId` field.
pub fn init() {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let level = var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|| var("RUST_LOG"))
        .and_then(|v| parse_level(&v))
        .unwrap_or(Level::INFO);
    let json = var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_ansi(false)
        .without_time();
    // Another subscriber already installed (tests) is fine: keep it.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Parses a level name (`error`, `WARN`, `fatal`…); Lambda's FATAL maps to ERROR.
fn parse_level(text: &str) -> Option<Level> {
    match text.trim().to_ascii_lowercase().as_str() {
        "trace" => Some(Level::TRACE),
        "debug" => Some(Level::DEBUG),
        "info" => Some(Level::INFO),
        "warn" | "warning" => Some(Level::WARN),
        "error" | "fatal" => Some(Level::ERROR),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_level_names_are_understood() {
        assert_eq!(parse_level("FATAL"), Some(Level::ERROR));
        assert_eq!(parse_level("Warn"), Some(Level::WARN));
        assert_eq!(parse_level("debug"), Some(Level::DEBUG));
        assert_eq!(parse_level("info,hyper=warn"), None);
    }
}
