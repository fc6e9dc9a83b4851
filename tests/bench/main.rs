//! `lambda-bench`: measures every function's release `bootstrap` the way Lambda runs it.
//!
//! For each function it starts the binary ≥ 30 times as a fresh process against a local
//! stand-in for the Lambda Runtime API (`AWS_LAMBDA_RUNTIME_API`) and a canned-response
//! stand-in for DynamoDB, both on loopback, each start right after one of the `hello-world`
//! reference (`tests/bench/hello`, the floor: a `lambda_http` function that only answers
//! 201, same release profile), and records:
//!
//! - init: exec → the first `GET /2018-06-01/runtime/invocation/next`;
//! - first invocation: event handed out → response posted;
//! - cold: init + first invocation, and its p50 as a ratio to the reference's p50 over the
//!   starts interleaved with it (`vs hello`: ratios survive a noisy machine, absolute
//!   times do not);
//! - warm invocations: the same for the invocations after the first;
//! - peak RSS (`VmHWM`) of the process;
//! - stripped binary size and zip size;
//! - instructions under `valgrind --tool=callgrind`, of init and of cold (init and the
//!   first invocation, the deterministic counterpart of `vs hello`; not in `--check`).
//!
//! Every invocation's response status and the DynamoDB requests it made are checked (e.g.
//! create-tenant sends exactly one TransactWriteItems), so the figures are of the real
//! code path. Writes `target/bench/lambda-bench.{md,json}`; a full run (every function,
//! neither `--only` nor `--check`) also writes its tables into `docs/performance.md`,
//! between the page's markers (see `page.rs`), unless `--no-docs`.
//!
//! Usage: `lambda-bench [--runs N] [--warm N] [--only a,b] [--bin-dir DIR] [--out DIR]
//! [--no-callgrind] [--keep-callgrind DIR] [--check] [--no-docs]`. `--keep-callgrind` keeps each
//! function's callgrind profiles as `DIR/callgrind.<function>.out` (init) and
//! `DIR/callgrind.<function>.cold.out` (init and the first invocation), for
//! `callgrind_annotate --inclusive=yes` (build with `CARGO_PROFILE_RELEASE_STRIP=false` to
//! see function names). `--check` is the quick correctness run CI uses (3 starts, and
//! instructions counted for the reference and the first function only); it never judges
//! timings. The reference must be built too, with the same profile:
//! `cargo lambda build --release --bin hello-world` (`make bench` and `make bench-check` do).

mod cost;
mod dynamodb;
mod http1;
mod page;
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
    keep_callgrind: Option<PathBuf>,
    check: bool,
    /// Whether a full run writes its tables into `docs/performance.md`.
    docs: bool,
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
        keep_callgrind: None,
        check: false,
        docs: true,
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
            "--keep-callgrind" => options.keep_callgrind = Some(value()?.into()),
            "--no-docs" => options.docs = false,
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
    /// Init + first invocation of each start.
    cold_us: Vec<u64>,
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

    let selected: Vec<Scenario> = scenarios::all()
        .into_iter()
        .filter(|s| {
            options
                .only
                .as_ref()
                .is_none_or(|only| only.iter().any(|o| o == s.function))
        })
        .collect();
    let hello = scenarios::hello_world();
    let hello_binary = bootstrap(&options.bin_dir, &hello);
    let hello_event = read_event(&root, &hello);
    // Every start of the reference, over all functions.
    let mut floor = Measurements::default();
    let hello_instructions = if callgrind {
        count_instructions(
            &hello_binary,
            &hello,
            &hello_event,
            &options,
            &runtime,
            &dynamodb,
            &mut floor.failures,
        )
    } else {
        Instructions::default()
    };
    let hello_harness = Harness {
        scenario: &hello,
        event: &hello_event,
        runtime: &runtime,
        dynamodb: &dynamodb,
        warm: options.warm,
    };

    let mut rows = Vec::new();
    let mut failed = false;
    for (index, scenario) in selected.iter().enumerate() {
        let binary = bootstrap(&options.bin_dir, scenario);
        let event = read_event(&root, scenario);
        eprint!("{:<20}", scenario.function);
        let mut m = Measurements::default();
        // The reference's starts interleaved with this function's.
        let mut paired = Measurements::default();
        let harness = Harness {
            scenario,
            event: &event,
            runtime: &runtime,
            dynamodb: &dynamodb,
            warm: options.warm,
        };
        for run in 0..options.runs {
            // The reference first, then the function: both see the same machine.
            dynamodb.configure(&hello);
            if let Err(e) = hello_harness.cold_start(&hello_binary, &mut paired) {
                m.failures.push(format!("run {run}: hello-world: {e}"));
                break;
            }
            dynamodb.configure(scenario);
            if let Err(e) = harness.cold_start(&binary, &mut m) {
                m.failures.push(format!("run {run}: {e}"));
                break;
            }
            eprint!(".");
        }
        // `--check` counts the first function's instructions only: enough to prove the
        // counter works, and CI's debug bootstraps run for seconds under valgrind.
        let instructions = if callgrind && (!options.check || index == 0) {
            count_instructions(
                &binary,
                scenario,
                &event,
                &options,
                &runtime,
                &dynamodb,
                &mut m.failures,
            )
        } else {
            Instructions::default()
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
        let floor_p50 = percentile(&paired.cold_us, 50.0);
        rows.push(row(
            scenario,
            &binary,
            &m,
            &instructions,
            floor_p50,
            options.check,
        ));
        floor.absorb(paired);
    }
    if !selected.is_empty() {
        for f in &floor.failures {
            eprintln!("hello-world: {f}");
        }
        failed |= !floor.failures.is_empty();
        let p50 = percentile(&floor.cold_us, 50.0);
        rows.insert(
            0,
            row(
                &hello,
                &hello_binary,
                &floor,
                &hello_instructions,
                p50,
                options.check,
            ),
        );
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
    if options.docs && !options.check && options.only.is_none() && !failed {
        let commit = git_commit(&root);
        let context = page::RunContext {
            date: report["generatedAt"].as_str().unwrap_or_default(),
            host: &host_description(),
            commit: commit.as_deref(),
            runs: options.runs,
            warm: options.warm,
        };
        match write_page(&root, &page::block(&context, &markdown)) {
            Ok(()) => eprintln!("lambda-bench: wrote the current table into {}", page::PAGE),
            Err(e) => {
                eprintln!("could not write {}: {e}", page::PAGE);
                failed = true;
            }
        }
    }
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
        "lambda-bench: {} functions and the hello-world reference, every invocation checked",
        selected.len()
    );
}

/// The release bootstrap of `scenario`'s function; exits if it has not been built.
fn bootstrap(bin_dir: &Path, scenario: &Scenario) -> PathBuf {
    let binary = bin_dir.join(scenario.function).join("bootstrap");
    if !binary.exists() {
        eprintln!(
            "{} not found: build first (make bench does; the reference: cargo lambda build --release --bin hello-world)",
            binary.display()
        );
        std::process::exit(2);
    }
    binary
}

fn read_event(root: &Path, scenario: &Scenario) -> String {
    std::fs::read_to_string(root.join("events").join(format!("{}.json", scenario.event)))
        .unwrap_or_else(|e| panic!("read event for {}: {e}", scenario.function))
}

impl Measurements {
    /// Adds `other`'s samples to these.
    fn absorb(&mut self, other: Measurements) {
        self.init_us.extend(other.init_us);
        self.first_us.extend(other.first_us);
        self.cold_us.extend(other.cold_us);
        self.warm_us.extend(other.warm_us);
        self.warm_cpu_us.extend(other.warm_cpu_us);
        self.peak_rss_kib.extend(other.peak_rss_kib);
        self.failures.extend(other.failures);
    }
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
        // publish-events puts on the same stand-in.
        .env("EVENT_BUS_NAME", "tenant-events")
        .env("EVENTBRIDGE_ENDPOINT", dynamodb.endpoint())
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
                        let init = m.init_us.last().copied().unwrap_or(0);
                        m.cold_us.push(init + elapsed);
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

/// Callgrind's instruction counts of one function.
#[derive(Default)]
struct Instructions {
    /// Exec to the first `GET /next`.
    init: Option<u64>,
    /// Init and the first invocation (not counted by `--check`).
    cold: Option<u64>,
}

/// Counts `binary`'s init instructions and, unless this is a `--check` run, its cold ones;
/// a failure is recorded in `failures`.
fn count_instructions(
    binary: &Path,
    scenario: &Scenario,
    event: &str,
    options: &Options,
    runtime: &RuntimeApi,
    dynamodb: &dynamodb::StandIn,
    failures: &mut Vec<String>,
) -> Instructions {
    let keep = options.keep_callgrind.as_deref();
    let mut count = |event: Option<&str>| match callgrind_instructions(
        binary, scenario, event, runtime, dynamodb, keep,
    ) {
        Ok(n) => Some(n),
        Err(e) => {
            failures.push(format!("callgrind: {e}"));
            None
        }
    };
    let init = count(None);
    let cold = if options.check {
        None
    } else {
        count(Some(event))
    };
    Instructions { init, cold }
}

/// Instructions counted by callgrind from exec to the first `GET /next` (`event` `None`:
/// init) or to the second (init and the first invocation of `event`). The stand-in
/// answers the `/next` after those with an error, so the runtime exits and callgrind
/// writes its count.
fn callgrind_instructions(
    binary: &Path,
    scenario: &Scenario,
    event: Option<&str>,
    runtime: &RuntimeApi,
    dynamodb: &dynamodb::StandIn,
    keep_in: Option<&Path>,
) -> Result<u64, String> {
    let stage = if event.is_some() { "cold" } else { "init" };
    let out = match keep_in {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let name = if event.is_some() {
                format!("callgrind.{}.cold.out", scenario.function)
            } else {
                format!("callgrind.{}.out", scenario.function)
            };
            dir.join(name)
        }
        None => std::env::temp_dir().join(format!(
            "callgrind-{}-{stage}-{}.out",
            scenario.function,
            std::process::id()
        )),
    };
    let mut command = Command::new("valgrind");
    lambda_env(&mut command, scenario, runtime, dynamodb);
    command
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(binary);
    dynamodb.configure(scenario);
    runtime.drain();
    runtime.fail_after(Some(u64::from(event.is_some())));
    let outcome = command
        .spawn()
        .map_err(|e| format!("valgrind: {e}"))
        .and_then(|mut child| {
            let invoked = event.map_or(Ok(()), |event| invoke_once(runtime, event));
            if invoked.is_err() {
                let _ = child.kill();
            }
            let status = child.wait().map_err(|e| format!("valgrind: {e}"));
            invoked.and(status.map(drop))
        });
    runtime.fail_after(None);
    outcome?;
    let text = std::fs::read_to_string(&out).map_err(|e| format!("read {}: {e}", out.display()))?;
    if keep_in.is_none() {
        let _ = std::fs::remove_file(&out);
    }
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| "no instruction total in callgrind output".to_owned())
}

/// Hands `event` to a function running under valgrind and waits for its response.
fn invoke_once(runtime: &RuntimeApi, event: &str) -> Result<(), String> {
    // Valgrind runs the function some fifty times slower.
    let timeout = Duration::from_secs(120);
    match runtime.next_event(timeout)? {
        RuntimeEvent::Next(_) => {}
        other => return Err(format!("expected GET /next, got {other:?}")),
    }
    runtime.hand_out("bench-callgrind", event);
    match runtime.next_event(timeout)? {
        RuntimeEvent::Response { .. } => Ok(()),
        other => Err(format!("expected a response, got {other:?}")),
    }
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

/// One function's results. `floor_p50` is the reference's cold p50 (µs) over the starts
/// interleaved with this function's. A `check` run leaves out the zip size (deflating a
/// debug bootstrap takes seconds and checks nothing).
fn row(
    scenario: &Scenario,
    binary: &Path,
    m: &Measurements,
    instructions: &Instructions,
    floor_p50: Option<u64>,
    check: bool,
) -> Value {
    let ms = |v: Option<u64>| v.map(|us| (us as f64 / 1000.0 * 100.0).round() / 100.0);
    let cold_p50 = percentile(&m.cold_us, 50.0);
    let vs_hello = match (cold_p50, floor_p50) {
        (Some(cold), Some(floor)) if floor > 0 => {
            Some((cold as f64 / floor as f64 * 100.0).round() / 100.0)
        }
        _ => None,
    };
    let reference = scenario.function == scenarios::hello_world().function;
    json!({
        "function": scenario.function,
        "reference": reference,
        "ok": m.failures.is_empty(),
        "failures": m.failures,
        "coldStarts": m.init_us.len(),
        "coldMs": {"p50": ms(cold_p50), "p90": ms(percentile(&m.cold_us, 90.0))},
        "helloColdMsP50": ms(floor_p50),
        "vsHello": vs_hello,
        "initMs": {"p50": ms(percentile(&m.init_us, 50.0)), "p90": ms(percentile(&m.init_us, 90.0)), "min": ms(m.init_us.iter().min().copied())},
        "firstInvocationMs": {"p50": ms(percentile(&m.first_us, 50.0)), "p90": ms(percentile(&m.first_us, 90.0))},
        "warmInvocationMs": {"p50": ms(percentile(&m.warm_us, 50.0)), "p90": ms(percentile(&m.warm_us, 90.0))},
        "warmCpuMs": {"p50": ms(percentile(&m.warm_cpu_us, 50.0)), "p90": ms(percentile(&m.warm_cpu_us, 90.0))},
        "peakRssMiB": m.peak_rss_kib.iter().max().map(|k| (*k as f64 / 1024.0 * 10.0).round() / 10.0),
        "initInstructions": instructions.init,
        "coldInstructions": instructions.cold,
        "bootstrapBytes": std::fs::metadata(binary).ok().map(|md| md.len()),
        "zipBytes": if check { None } else { zip_size(binary) },
        "dynamodbRequestsPerInvocation": scenario.expected_requests,
        "cost": if reference { None } else { percentile(&m.warm_cpu_us, 50.0).map(|us| cost::estimate(scenario, us as f64 / 1000.0)) },
    })
}

fn markdown_table(rows: &[Value]) -> String {
    let mut out = String::from(
        "| function | cold p50 (ms) | vs hello | init p50 (ms) | init p90 | first invocation p50 (ms) | warm p50 (ms) | warm CPU p50 (ms) | peak RSS (MiB) | init instructions | cold instructions | bootstrap (MB) | zip (MB) |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
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
        let instr = |v: &Value| {
            v.as_u64()
                .map_or("-".to_owned(), |n| format!("{:.2} M", n as f64 / 1e6))
        };
        out.push_str(&format!(
            "| {}{}{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r["function"].as_str().unwrap_or(""),
            if r["reference"].as_bool() == Some(true) {
                " (floor)"
            } else {
                ""
            },
            if r["ok"].as_bool() == Some(true) {
                ""
            } else {
                " (FAILED)"
            },
            num(&r["coldMs"]["p50"]),
            r["vsHello"]
                .as_f64()
                .map_or("-".to_owned(), |v| format!("{v:.2}")),
            num(&r["initMs"]["p50"]),
            num(&r["initMs"]["p90"]),
            num(&r["firstInvocationMs"]["p50"]),
            num(&r["warmInvocationMs"]["p50"]),
            num(&r["warmCpuMs"]["p50"]),
            num(&r["peakRssMiB"]),
            instr(&r["initInstructions"]),
            instr(&r["coldInstructions"]),
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

/// Replaces the generated block of `docs/performance.md` with `block`.
fn write_page(root: &Path, block: &str) -> Result<(), String> {
    let path = root.join(page::PAGE);
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let text = page::replace_block(&text, block)?;
    std::fs::write(&path, text).map_err(|e| e.to_string())
}

/// The measured commit (`git rev-parse --short HEAD`, marked `-dirty` when the work tree
/// has changes), if git can say.
fn git_commit(root: &Path) -> Option<String> {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short", "HEAD"])?;
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|status| !status.is_empty());
    Some(if dirty {
        format!("{commit}-dirty")
    } else {
        commit
    })
}

fn time_now() -> String {
    tenant_shared::domain::clock::now_rfc3339()
}
