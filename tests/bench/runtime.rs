//! A stand-in for the Lambda Runtime API on loopback. The benchmark drives it: each
//! `GET .../invocation/next` and each posted response reaches the benchmark as a
//! [`RuntimeEvent`] stamped with the moment it arrived, and the benchmark decides when to
//! hand out the next event.
//!
//! Every connection belongs to the generation in force when it was accepted, and
//! [`RuntimeApi::drain`] starts a new one before each process: whatever a killed process's
//! connection still delivers (a late-read `/next`, on a loaded machine) is ignored instead
//! of being taken for the next process's moves.

use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::http1::{self, write_response};

/// What the function under test did.
#[derive(Debug)]
pub enum RuntimeEvent {
    /// It asked for the next event.
    Next(Instant),
    /// It posted the response to invocation `id`.
    Response {
        at: Instant,
        id: String,
        body: String,
    },
    /// It reported an error.
    Error { path: String, body: String },
}

/// Where the connection waiting on `/next` takes its `(request id, event)` from, with the
/// generation of that connection.
type PendingEvent = Arc<Mutex<Option<(u64, Sender<(String, String)>)>>>;

/// The runtime API stand-in.
pub struct RuntimeApi {
    address: String,
    events: Mutex<Receiver<(u64, RuntimeEvent)>>,
    /// Where the connection waiting on `/next` takes its event from.
    pending: PendingEvent,
    /// How many more `/next` requests get an event before the rest get HTTP 500 (and the
    /// runtime exits); negative: all of them.
    allowance: Arc<AtomicI64>,
    /// The current generation of connections (see the module documentation).
    generation: Arc<AtomicU64>,
}

impl RuntimeApi {
    /// Starts the stand-in on a free loopback port.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the runtime API stand-in");
        let address = listener.local_addr().expect("local address").to_string();
        let (events_tx, events_rx) = mpsc::channel();
        let pending: PendingEvent = Arc::new(Mutex::new(None));
        let allowance = Arc::new(AtomicI64::new(-1));
        let generation = Arc::new(AtomicU64::new(0));
        let (p, f, g) = (
            Arc::clone(&pending),
            Arc::clone(&allowance),
            Arc::clone(&generation),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let connection = Connection {
                    generation: g.load(Ordering::SeqCst),
                    current: Arc::clone(&g),
                    events: events_tx.clone(),
                    pending: Arc::clone(&p),
                    allowance: Arc::clone(&f),
                };
                std::thread::spawn(move || serve(stream, connection));
            }
        });
        Self {
            address,
            events: Mutex::new(events_rx),
            pending,
            allowance,
            generation,
        }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Hands events to the next `served` `/next` requests only, and answers the ones after
    /// them with HTTP 500 (so the runtime exits); `None`: to all of them.
    pub fn fail_after(&self, served: Option<u64>) {
        let allowance = served.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        self.allowance.store(allowance, Ordering::SeqCst);
    }

    /// Forgets events left over from a previous process, and ignores from now on whatever
    /// its connections still deliver.
    pub fn drain(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        *self.pending.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        while events.try_recv().is_ok() {}
    }

    /// Waits for the function's next move.
    pub fn next_event(&self, timeout: Duration) -> Result<RuntimeEvent, String> {
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match events.recv_timeout(left) {
                Ok((generation, _)) if generation != self.generation.load(Ordering::SeqCst) => {
                    continue
                }
                Ok((_, RuntimeEvent::Error { path, body })) => {
                    return Err(format!("function reported an error on {path}: {body}"))
                }
                Ok((_, event)) => return Ok(event),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!("no request from the function within {timeout:?}"))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err("runtime API stand-in stopped".into())
                }
            }
        }
    }

    /// Hands `event` to the waiting `/next` request as invocation `id`; returns the moment.
    pub fn hand_out(&self, id: &str, event: &str) -> Instant {
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let at = Instant::now();
        if let Some((generation, sender)) = pending {
            if generation == self.generation.load(Ordering::SeqCst) {
                let _ = sender.send((id.to_owned(), event.to_owned()));
            }
        }
        at
    }
}

/// One accepted connection and what it reports to.
struct Connection {
    generation: u64,
    /// The generation in force now.
    current: Arc<AtomicU64>,
    events: Sender<(u64, RuntimeEvent)>,
    pending: PendingEvent,
    allowance: Arc<AtomicI64>,
}

fn serve(stream: TcpStream, connection: Connection) {
    let Connection {
        generation,
        current,
        events,
        pending,
        allowance,
    } = connection;
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Ok(Some(request)) = http1::read_request(&mut reader) {
        let arrived = Instant::now();
        let path = request.path.clone();
        if request.method == "GET" && path.ends_with("/runtime/invocation/next") {
            // Take one from a positive allowance; zero fails, negative is unlimited.
            let left = allowance
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                    (n > 0).then(|| n - 1)
                })
                .unwrap_or_else(|n| n);
            if left == 0 {
                let _ = write_response(
                    &mut writer,
                    500,
                    &[("content-type", "application/json")],
                    b"{\"errorMessage\":\"benchmark: stop\"}",
                );
                continue;
            }
            if generation != current.load(Ordering::SeqCst) {
                // A previous process's connection: it must not take the next event.
                return;
            }
            let (tx, rx) = mpsc::channel();
            *pending.lock().unwrap_or_else(|e| e.into_inner()) = Some((generation, tx));
            if events
                .send((generation, RuntimeEvent::Next(arrived)))
                .is_err()
            {
                return;
            }
            // Blocks until the benchmark hands out an event (or drops the sender to end).
            let Ok((id, event)) = rx.recv() else { return };
            let deadline = (std::time::SystemTime::now() + Duration::from_secs(30))
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis().to_string())
                .unwrap_or_default();
            let headers = [
                ("content-type", "application/json"),
                ("lambda-runtime-aws-request-id", id.as_str()),
                ("lambda-runtime-deadline-ms", deadline.as_str()),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:bench",
                ),
                (
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",
                ),
            ];
            if write_response(&mut writer, 200, &headers, event.as_bytes()).is_err() {
                return;
            }
        } else if request.method == "POST" && path.ends_with("/response") {
            let id = path
                .trim_end_matches("/response")
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            let body = String::from_utf8_lossy(&request.body).into_owned();
            // Report before acknowledging, so this precedes the function's next `/next`.
            let _ = events.send((
                generation,
                RuntimeEvent::Response {
                    at: arrived,
                    id,
                    body,
                },
            ));
            let _ = write_response(&mut writer, 202, &[], b"");
        } else if request.method == "POST" && path.ends_with("/error") {
            let body = String::from_utf8_lossy(&request.body).into_owned();
            let _ = events.send((generation, RuntimeEvent::Error { path, body }));
            let _ = write_response(&mut writer, 202, &[], b"");
        } else {
            let _ = write_response(&mut writer, 404, &[], b"");
        }
    }
}
