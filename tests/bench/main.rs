//! `lambda-bench`: measures every function's release `bootstrap` the way Lambda runs it.
//!
//! For each function it starts the binary ≥ 30 times as a fresh process against a local
//! stand-in for the Lambda Runtime API (`AWS_LAMBDA_RUNTIME_API`) and a canned-response
//! stand-in for DynamoDB, both on loopback, and records:
//!
//! - init: exec → the first `GET /2018-06-01/runtime/invocation/next`;
//! - first invocation: event handed out → response posted;
//! - warm invocations: the same for the invocations after the first;
//! - peak RSS (`VmHWM`) of the process;
//! - stripped binary size and zip size;
//! - init instructions under `valgrind --tool=callgrind` (deterministic: a regression gate).
//!
//! Every invocation's response status and the DynamoDB requests it made are checked (e.g.
//! create-tenant sends exactly one TransactWriteItems), so the figures are of the real
//! code path. Writes `target/bench/lambda-bench.{md,json}`.
//!
//! Usage: `lambda-bench [--runs N] [--warm N] [--only a,b] [--bin-dir DIR] [--out DIR]
//! [--no-callgrind] [--check]`. `--check` is the quick correctness run CI uses (3 starts);
//! it never judges timings.

mod cost;
mod dynamodb;
mod http1;
mod runtime;
mod scenarios;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use runtime::{RuntimeApi, RuntimeEvent};
use scenarios::Scenario;

struct Options {
    runs: usize,
    warm: usize,
    only: Option<Vec<String>>,
    bin_dir: PathBuf,
    out_dir: PathBuf,
    callgrind: bool,
    check: bool,
}

fn parse_options() -> Result<Options, String> {
    let root = integration_tests::workspace_root();
    let mut options = Options {
        runs: 30,
        warm: 10,
        only: None,
        bin_dir: root.join("target/lambda"),
        out_dir: root.join("target/bench"),
        callgrind: true,
        check: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--runs" => options.runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--warm" => options.warm = value()?.parse().map_err(|e| format!("--warm: {e}"))?,
            "--only" => options.only = Some(value()?.split(',').map(str::to_owned).collect()),
            "--bin-dir" => options.bin_dir = value()?.into(),
            "--out" => options.out_dir = value()?.into(),
            "--no-callgrind" => options.callgrind = false,
            "--check" => {
                options.check = true;
                options.runs = 3;
                options.warm = 2;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if options.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    Ok(options)
}

/// Timings of one function, in microseconds.
#[derive(Default)]
struct Measurements {
    init_us: Vec<u64>,
    first_us: Vec<u64>,
    warm_us: Vec<u64>,
    /// CPU time of warm invocations (all threads), from the scheduler's accounting.
    warm_cpu_us: Vec<u64>,
    peak_rss_kib: Vec<u64>,
    failures: Vec<String>,
}

fn main() {
    let options = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("lambda-bench: {e}");
            std::process::exit(2);
        }
    };
    let root = integration_tests::workspace_root();
    let dynamodb = dynamodb::StandIn::start();
    let runtime = RuntimeApi::start();
    let callgrind = options.callgrind && valgrind_available();
    if options.callgrind && !callgrind {
        eprintln!("valgrind not found: init instruction counts are skipped");
    }

    let mut rows = Vec::new();
    let mut failed = false;
    for scenario in scenarios::all() {
        if let Some(only) = &options.only {
            if !only.iter().any(|o| o == scenario.function) {
                continue;
            }
        }
        let binary = options.bin_dir.join(scenario.function).join("bootstrap");
        if !binary.exists() {
            eprintln!(
                "{} not found: build first (make bench does)",
                binary.display()
            );
            std::process::exit(2);
        }
        let event = std::fs::read_to_string(
            root.join("events")
                .join(format!("{}.json", scenario.function)),
        )
        .unwrap_or_else(|e| panic!("read event for {}: {e}", scenario.function));
        dynamodb.configure(&scenario);
        eprint!("{:<20}", scenario.function);
        let mut m = Measurements::default();
        let harness = Harness {
            scenario: &scenario,
            event: &event,
            runtime: &runtime,
            dynamodb: &dynamodb,
            warm: options.warm,
        };
        for run in 0..options.runs {
            if let Err(e) = harness.cold_start(&binary, &mut m) {
                m.failures.push(format!("run {run}: {e}"));
                break;
            }
            eprint!(".");
        }
        let instructions = if callgrind {
            match init_instructions(&binary, &scenario, &runtime, &dynamodb) {
                Ok(n) => Some(n),
                Err(e) => {
                    m.failures.push(format!("callgrind: {e}"));
                    None
                }
            }
        } else {
            None
        };
        eprintln!(
            " {}",
            if m.failures.is_empty() {
                "ok"
            } else {
                "FAILED"
            }
        );
        for f in &m.failures {
            eprintln!("  {f}");
        }
        failed |= !m.failures.is_empty();
        rows.push(row(&scenario, &binary, &m, instructions));
    }

    let report = json!({
        "generatedAt": time_now(),
        "host": host_description(),
        "runs": options.runs,
        "warmInvocationsPerRun": options.warm,
        "check": options.check,
        "functions": rows,
    });
    let markdown = format!("{}\n{}", markdown_table(&rows), cost::markdown(&rows));
    println!("{markdown}");
    if let Err(e) = std::fs::create_dir_all(&options.out_dir)
        .and_then(|_| std::fs::write(options.out_dir.join("lambda-bench.md"), &markdown))
        .and_then(|_| {
            std::fs::write(
                options.out_dir.join("lambda-bench.json"),
                serde_json::to_string_pretty(&report).unwrap_or_default(),
            )
        })
    {
        eprintln!("could not write the report: {e}");
        failed = true;
    }
    if failed {
        eprintln!("lambda-bench: some checks failed");
        std::process::exit(1);
    }
    eprintln!(
        "lambda-bench: {} functions, every invocation checked",
        rows.len()
    );
}

/// Environment of a function process, as Lambda sets it (credentials are dummies: the
/// stand-in does not verify signatures).
fn lambda_env(
    command: &mut Command,
    scenario: &Scenario,
    runtime: &RuntimeApi,
    dynamodb: &dynamodb::StandIn,
) {
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", runtime.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", scenario.function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_LOG_LEVEL", "WARN")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "ASIABENCHMARK")
        .env("AWS_SECRET_ACCESS_KEY", "benchmark-secret")
        .env("AWS_SESSION_TOKEN", "benchmark-token")
        .env("TABLE_NAME", "tenants")
        .env("DYNAMODB_ENDPOINT", dynamodb.endpoint())
        // The events carry a platform-admin token for the local development secret.
        .env("JWT_ISSUER", "tenant-api-local")
        .env("JWT_AUDIENCE", "tenant-api")
        .env(
            "JWT_HS256_SECRET",
            "local-development-only-secret-0123456789",
        )
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
}

/// One function under test and the stand-ins it talks to.
struct Harness<'a> {
    scenario: &'a Scenario,
    event: &'a str,
    runtime: &'a RuntimeApi,
    dynamodb: &'a dynamodb::StandIn,
    /// Warm invocations after the first, per process.
    warm: usize,
}

impl Harness<'_> {
    /// Starts `binary` as a fresh process and measures it into `m`.
    fn cold_start(&self, binary: &Path, m: &mut Measurements) -> Result<(), String> {
        let mut command = Command::new(binary);
        lambda_env(&mut command, self.scenario, self.runtime, self.dynamodb);
        self.runtime.drain();
        let started = Instant::now();
        let mut child = command.spawn().map_err(|e| format!("spawn: {e}"))?;
        let outcome = self.drive(&mut child, started, m);
        let _ = child.kill();
        let _ = child.wait();
        outcome
    }

    fn drive(
        &self,
        child: &mut Child,
        started: Instant,
        m: &mut Measurements,
    ) -> Result<(), String> {
        let (scenario, event, runtime, dynamodb) =
            (self.scenario, self.event, self.runtime, self.dynamodb);
        let timeout = Duration::from_secs(20);
        for invocation in 0..=self.warm {
            let next_at = match runtime.next_event(timeout)? {
                RuntimeEvent::Next(at) => at,
                other => return Err(format!("expected GET /next, got {other:?}")),
            };
            if invocation == 0 {
                m.init_us.push(micros(next_at - started));
            }
            dynamodb.take_requests();
            let request_id = format!("bench-{invocation}");
            let cpu_before = cpu_time_ns(child.id());
            let handed_out = runtime.hand_out(&request_id, event);
            match runtime.next_event(timeout)? {
                RuntimeEvent::Response { at, id, body } => {
                    if id != request_id {
                        return Err(format!("response for {id}, expected {request_id}"));
                    }
                    let elapsed = micros(at - handed_out);
                    if invocation == 0 {
                        m.first_us.push(elapsed);
                        m.peak_rss_kib.push(peak_rss_kib(child.id()).unwrap_or(0));
                    } else {
                        m.warm_us.push(elapsed);
                        if let (Some(before), Some(after)) = (cpu_before, cpu_time_ns(child.id())) {
                            m.warm_cpu_us.push(after.saturating_sub(before) / 1000);
                        }
                    }
                    scenario.check(&body, &dynamodb.take_requests())?;
                }
                other => return Err(format!("expected a response, got {other:?}")),
            }
        }
        // Peak RSS over the whole life of the process, warm invocations included.
        if let (Some(last), Some(peak)) = (m.peak_rss_kib.last_mut(), peak_rss_kib(child.id())) {
            *last = (*last).max(peak);
        }
        Ok(())
    }
}

/// Instructions from exec to the first `GET /next`, counted by callgrind. The stand-in
/// answers that request with an error, so the runtime exits and callgrind writes its count.
fn init_instructions(
    binary: &Path,
    scenario: &Scenario,
    runtime: &RuntimeApi,
    dynamodb: &dynamodb::StandIn,
) -> Result<u64, String> {
    let out = std::env::temp_dir().join(format!(
        "callgrind-{}-{}.out",
        scenario.function,
        std::process::id()
    ));
    let mut command = Command::new("valgrind");
    lambda_env(&mut command, scenario, runtime, dynamodb);
    command
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(binary);
    runtime.drain();
    runtime.fail_next(true);
    let status = command.status().map_err(|e| format!("valgrind: {e}"));
    runtime.fail_next(false);
    status?;
    let text = std::fs::read_to_string(&out).map_err(|e| format!("read {}: {e}", out.display()))?;
    let _ = std::fs::remove_file(&out);
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| "no instruction total in callgrind output".to_owned())
}

fn valgrind_available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// CPU time of every thread of process `pid` so far, in nanoseconds (`schedstat`).
fn cpu_time_ns(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0;
    for task in tasks.flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

fn micros(d: Duration) -> u64 {
    d.as_micros().min(u128::from(u64::MAX)) as u64
}

fn percentile(values: &[u64], p: f64) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted.get(rank).copied()
}

fn zip_size(binary: &Path) -> Option<u64> {
    // Lambda's deployment package: the bootstrap, deflated, in a zip.
    let out = std::env::temp_dir().join(format!("bench-{}.zip", std::process::id()));
    let script = "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:\n    z.write(sys.argv[1], 'bootstrap')\n";
    let ok = Command::new("python3")
        .args(["-c", script])
        .arg(binary)
        .arg(&out)
        .status()
        .is_ok_and(|s| s.success());
    let size = ok
        .then(|| std::fs::metadata(&out).ok().map(|m| m.len()))
        .flatten();
    let _ = std::fs::remove_file(&out);
    size
}

fn row(scenario: &Scenario, binary: &Path, m: &Measurements, instructions: Option<u64>) -> Value {
    let ms = |v: Option<u64>| v.map(|us| (us as f64 / 1000.0 * 100.0).round() / 100.0);
    json!({
        "function": scenario.function,
        "ok": m.failures.is_empty(),
        "failures": m.failures,
        "coldStarts": m.init_us.len(),
        "initMs": {"p50": ms(percentile(&m.init_us, 50.0)), "p90": ms(percentile(&m.init_us, 90.0)), "min": ms(m.init_us.iter().min().copied())},
        "firstInvocationMs": {"p50": ms(percentile(&m.first_us, 50.0)), "p90": ms(percentile(&m.first_us, 90.0))},
        "warmInvocationMs": {"p50": ms(percentile(&m.warm_us, 50.0)), "p90": ms(percentile(&m.warm_us, 90.0))},
        "warmCpuMs": {"p50": ms(percentile(&m.warm_cpu_us, 50.0)), "p90": ms(percentile(&m.warm_cpu_us, 90.0))},
        "peakRssMiB": m.peak_rss_kib.iter().max().map(|k| (*k as f64 / 1024.0 * 10.0).round() / 10.0),
        "initInstructions": instructions,
        "bootstrapBytes": std::fs::metadata(binary).ok().map(|md| md.len()),
        "zipBytes": zip_size(binary),
        "dynamodbRequestsPerInvocation": scenario.expected_requests,
        "cost": percentile(&m.warm_cpu_us, 50.0).map(|us| cost::estimate(scenario, us as f64 / 1000.0)),
    })
}

fn markdown_table(rows: &[Value]) -> String {
    let mut out = String::from(
        "| function | init p50 (ms) | init p90 | first invocation p50 (ms) | warm p50 (ms) | warm CPU p50 (ms) | peak RSS (MiB) | init instructions | bootstrap (MB) | zip (MB) |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let num = |v: &Value| match v {
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    };
    for r in rows {
        let mb = |v: &Value| {
            v.as_u64()
                .map_or("-".to_owned(), |b| format!("{:.2}", b as f64 / 1e6))
        };
        let instr = r["initInstructions"]
            .as_u64()
            .map_or("-".to_owned(), |n| format!("{:.2} M", n as f64 / 1e6));
        out.push_str(&format!(
            "| {}{} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r["function"].as_str().unwrap_or(""),
            if r["ok"].as_bool() == Some(true) {
                ""
            } else {
                " (FAILED)"
            },
            num(&r["initMs"]["p50"]),
            num(&r["initMs"]["p90"]),
            num(&r["firstInvocationMs"]["p50"]),
            num(&r["warmInvocationMs"]["p50"]),
            num(&r["warmCpuMs"]["p50"]),
            num(&r["peakRssMiB"]),
            instr,
            mb(&r["bootstrapBytes"]),
            mb(&r["zipBytes"]),
        ));
    }
    out
}

fn host_description() -> BTreeMap<&'static str, String> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_default();
    BTreeMap::from([
        ("cpu", cpu),
        (
            "cores",
            std::thread::available_parallelism()
                .map(|n| n.to_string())
                .unwrap_or_default(),
        ),
        ("arch", std::env::consts::ARCH.to_owned()),
    ])
}

fn time_now() -> String {
    tenant_shared::domain::clock::now_rfc3339()
}
