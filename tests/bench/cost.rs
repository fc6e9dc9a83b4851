//! Cost per million requests on Lambda at 128 MB, from measured durations and the
//! DynamoDB capacity each operation consumes. An estimate: the model and prices are here.

use serde_json::{json, Value};

use crate::scenarios::Scenario;

/// Which prices these are: AWS public price pages, us-east-1.
pub const PRICES_AS_OF: &str =
    "us-east-1 list prices as of Nov 2024 (DynamoDB on-demand after its Nov 2024 cut), not re-checked since";
/// Lambda compute, x86_64, per GB-second.
pub const LAMBDA_X86_GB_SECOND: f64 = 0.000_016_666_7;
/// Lambda compute, arm64, per GB-second.
pub const LAMBDA_ARM_GB_SECOND: f64 = 0.000_013_333_4;
/// Lambda requests, per million.
pub const LAMBDA_PER_MILLION_REQUESTS: f64 = 0.20;
/// DynamoDB on-demand, per million write request units.
pub const DYNAMODB_PER_MILLION_WRU: f64 = 0.625;
/// DynamoDB on-demand, per million read request units.
pub const DYNAMODB_PER_MILLION_RRU: f64 = 0.125;
/// API Gateway HTTP API, per million requests (first 300 million a month).
pub const HTTP_API_PER_MILLION: f64 = 1.00;

/// Memory size of every function.
pub const MEMORY_MB: f64 = 128.0;
/// Lambda gives a function CPU in proportion to memory: a full vCPU at 1,769 MB.
pub const FULL_VCPU_MB: f64 = 1769.0;
/// Assumed latency of one DynamoDB round trip in-region (not measurable here).
pub const DYNAMODB_ROUND_TRIP_MS: f64 = 4.0;

/// The estimate for one function, given the CPU time of a warm invocation measured here
/// (on a full core): at 128 MB the same work takes ~13.8x as long, and each DynamoDB
/// round trip adds its network latency.
pub fn estimate(scenario: &Scenario, warm_cpu_ms: f64) -> Value {
    let cpu_ms = warm_cpu_ms * FULL_VCPU_MB / MEMORY_MB;
    let round_trips = scenario.expected_requests.len() as f64;
    // Lambda bills whole milliseconds.
    let billed_ms = (cpu_ms + round_trips * DYNAMODB_ROUND_TRIP_MS)
        .ceil()
        .max(1.0);
    let gb_seconds = MEMORY_MB / 1024.0 * billed_ms / 1000.0 * 1e6;
    let lambda_x86 = gb_seconds * LAMBDA_X86_GB_SECOND + LAMBDA_PER_MILLION_REQUESTS;
    let lambda_arm = gb_seconds * LAMBDA_ARM_GB_SECOND + LAMBDA_PER_MILLION_REQUESTS;
    let dynamodb = scenario.capacity.read_units * DYNAMODB_PER_MILLION_RRU
        + scenario.capacity.write_units * DYNAMODB_PER_MILLION_WRU;
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    json!({
        "estimatedBilledMs": billed_ms,
        "readUnits": scenario.capacity.read_units,
        "writeUnits": scenario.capacity.write_units,
        "lambdaX86PerMillion": round(lambda_x86),
        "lambdaArm64PerMillion": round(lambda_arm),
        "dynamodbPerMillion": round(dynamodb),
        "httpApiPerMillion": HTTP_API_PER_MILLION,
        "totalX86PerMillion": round(lambda_x86 + dynamodb + HTTP_API_PER_MILLION),
        "totalArm64PerMillion": round(lambda_arm + dynamodb + HTTP_API_PER_MILLION),
    })
}

/// The cost table in markdown.
pub fn markdown(rows: &[Value]) -> String {
    let mut out = format!(
        "Estimated USD per million requests at 128 MB (prices {PRICES_AS_OF}; billed time = measured warm CPU time (all threads) x {:.1} for a 128 MB CPU share + {DYNAMODB_ROUND_TRIP_MS} ms per DynamoDB round trip)\n\n| function | billed ms | RRU | WRU | Lambda x86_64 | Lambda arm64 | DynamoDB | HTTP API | total x86_64 | total arm64 |\n|---|---|---|---|---|---|---|---|---|---|\n",
        FULL_VCPU_MB / MEMORY_MB
    );
    for r in rows {
        let c = &r["cost"];
        if c.is_null() {
            continue;
        }
        out.push_str(&format!(
            "| {} | {} | {} | {} | ${} | ${} | ${} | ${} | ${} | ${} |\n",
            r["function"].as_str().unwrap_or(""),
            c["estimatedBilledMs"],
            c["readUnits"],
            c["writeUnits"],
            c["lambdaX86PerMillion"],
            c["lambdaArm64PerMillion"],
            c["dynamodbPerMillion"],
            c["httpApiPerMillion"],
            c["totalX86PerMillion"],
            c["totalArm64PerMillion"],
        ));
    }
    out
}
