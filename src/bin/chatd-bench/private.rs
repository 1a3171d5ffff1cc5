//! Private ping-pong: P pairs; in each, one client sends a private message
//! carrying its send time, the other sends the same text straight back, and
//! the first records the round trip and sends the next. One message on the
//! way per pair.

use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use clap::Args;
use crossbeam_channel::RecvTimeoutError;

use crate::hist::Histogram;
use crate::procstat::{self, Usage};
use crate::protocol::{is_timeout, Conn, Line, Protocol};
use crate::report::{latency_json, latency_line, Json};
use crate::{ns_since, Ctx, Latch, Outcome, CLIENT_STACK, SETUP_TIMEOUT};

#[derive(Args, Debug, Clone)]
pub struct PrivateArgs {
    /// Pairs of clients
    #[arg(long, default_value_t = 10)]
    pub pairs: usize,
    /// How long to exchange messages
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Pad each message's text to this many bytes
    #[arg(long, default_value_t = 0)]
    pub size: usize,
}

struct Shared {
    start: Instant,
    proto: Arc<dyn Protocol>,
    args: PrivateArgs,
    go: Latch,
    end_ns: AtomicU64,
    /// Set once every initiator has stopped: the responders may go.
    stop: AtomicBool,
}

#[derive(Default)]
struct PairStats {
    rtt: Histogram,
    in_window: u64,
    error: Option<String>,
}

pub fn run(ctx: &Ctx, args: &PrivateArgs) -> Result<Outcome, String> {
    let p = args.pairs;
    if p == 0 {
        return Err("--pairs must be at least 1".into());
    }
    let shared = Arc::new(Shared {
        start: Instant::now(),
        proto: Arc::clone(&ctx.proto),
        args: args.clone(),
        go: Latch::default(),
        end_ns: AtomicU64::new(u64::MAX),
        stop: AtomicBool::new(false),
    });
    let (ready_tx, ready_rx) = crossbeam_channel::unbounded::<Result<(), String>>();
    let mut initiators: Vec<JoinHandle<PairStats>> = Vec::new();
    let mut responders: Vec<JoinHandle<PairStats>> = Vec::new();
    let setup_started = Instant::now();
    for pair in 0..p {
        for initiator in [true, false] {
            let (me, partner) = if initiator {
                (ctx.nick(2 * pair), ctx.nick(2 * pair + 1))
            } else {
                (ctx.nick(2 * pair + 1), ctx.nick(2 * pair))
            };
            let (shared, ready, addr) = (Arc::clone(&shared), ready_tx.clone(), ctx.addr);
            let handle = thread::Builder::new()
                .name(format!("pair{pair}-{}", if initiator { "a" } else { "b" }))
                .stack_size(CLIENT_STACK)
                .spawn(move || client(&shared, addr, &me, &partner, initiator, &ready))
                .map_err(|e| format!("can't start a client thread: {e}"))?;
            if initiator {
                initiators.push(handle);
            } else {
                responders.push(handle);
            }
        }
    }
    drop(ready_tx);
    let mut setup_error = None;
    for _ in 0..2 * p {
        match ready_rx.recv_timeout(SETUP_TIMEOUT * 2) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                setup_error = Some(e);
                break;
            }
            Err(RecvTimeoutError::Timeout) => {
                setup_error = Some("timed out setting up clients".to_string());
                break;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    if let Some(error) = setup_error {
        shared.go.set(false);
        shared.stop.store(true, Ordering::SeqCst);
        for h in initiators.into_iter().chain(responders) {
            let _ = h.join();
        }
        return Err(format!("setting up: {error}"));
    }
    let setup_seconds = setup_started.elapsed().as_secs_f64();

    let before = procstat::sample(ctx.server_pid, true);
    let end_ns = ns_since(shared.start) + (args.seconds * 1e9) as u64;
    shared.end_ns.store(end_ns, Ordering::SeqCst);
    shared.go.set(true);
    thread::sleep(Duration::from_nanos(
        end_ns.saturating_sub(ns_since(shared.start)),
    ));
    let after = procstat::sample(ctx.server_pid, true);
    let usage = Usage::between(&before, &after);

    let mut rtt = Histogram::default();
    let mut round_trips = 0;
    let mut errors = Vec::new();
    for h in initiators {
        let st = h.join().map_err(|_| "a client thread panicked")?;
        rtt.merge(&st.rtt);
        round_trips += st.in_window;
        errors.extend(st.error);
    }
    shared.stop.store(true, Ordering::SeqCst);
    for h in responders {
        let st = h.join().map_err(|_| "a client thread panicked")?;
        errors.extend(st.error);
    }

    let per_sec = round_trips as f64 / args.seconds;
    let mut human = String::new();
    let _ = writeln!(
        human,
        "private ({}) at {}: {p} pairs ping-pong, {} s",
        ctx.proto.name(),
        ctx.addr,
        args.seconds
    );
    let _ = writeln!(human, "  set up (log in) in {setup_seconds:.2} s");
    let _ = writeln!(
        human,
        "  round trips {round_trips} ({per_sec:.0}/s, {:.0}/s per pair)",
        per_sec / p as f64
    );
    let _ = writeln!(human, "  round trip  {}", latency_line(&rtt));
    for e in errors.iter().take(5) {
        let _ = writeln!(human, "  error: {e}");
    }
    human += &usage.describe();
    let params = Json::obj(vec![
        ("pairs", Json::U(p as u64)),
        ("seconds", Json::F(args.seconds)),
        ("size", Json::U(args.size as u64)),
    ]);
    let results = Json::obj(vec![
        ("round_trips_per_sec", Json::F(per_sec)),
        ("round_trips", Json::U(round_trips)),
        ("round_trip_latency", latency_json(&rtt)),
        (
            "errors",
            Json::Arr(errors.into_iter().take(5).map(Json::S).collect()),
        ),
        ("setup_seconds", Json::F(setup_seconds)),
        ("usage", usage.json()),
    ]);
    Ok(Outcome {
        human,
        params,
        results,
    })
}

fn client(
    shared: &Shared,
    addr: SocketAddr,
    me: &str,
    partner: &str,
    initiator: bool,
    ready: &crossbeam_channel::Sender<Result<(), String>>,
) -> PairStats {
    let proto = &*shared.proto;
    let set_up = || -> Result<Conn, String> {
        let mut conn = Conn::connect(addr, SETUP_TIMEOUT).map_err(|e| format!("connect: {e}"))?;
        conn.stream
            .set_read_timeout(Some(SETUP_TIMEOUT))
            .map_err(|e| e.to_string())?;
        proto
            .login(&mut conn, me)
            .map_err(|e| format!("log in as {me}: {e}"))?;
        conn.stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .map_err(|e| e.to_string())?;
        Ok(conn)
    };
    let mut conn = match set_up() {
        Ok(conn) => conn,
        Err(e) => {
            let _ = ready.send(Err(e.clone()));
            return PairStats {
                error: Some(e),
                ..PairStats::default()
            };
        }
    };
    let _ = ready.send(Ok(()));
    let mut st = PairStats::default();
    if shared.go.wait() {
        let result = if initiator {
            ping(shared, &mut conn, partner, &mut st)
        } else {
            pong(shared, &mut conn, partner)
        };
        if let Err(e) = result {
            st.error = Some(format!("{me}: {e}"));
        }
    }
    // Stay until the measurement's last sample is taken, so the server's
    // threads for this connection are still there to be counted.
    let linger = shared
        .end_ns
        .load(Ordering::SeqCst)
        .saturating_add(300_000_000);
    let now = ns_since(shared.start);
    if linger > now && linger != u64::MAX {
        thread::sleep(Duration::from_nanos(linger - now));
    }
    let mut bye = Vec::new();
    proto.quit(&mut bye);
    let _ = conn.send(&bye);
    st
}

/// Sends, waits for the echo, records, again; until the end of the window.
fn ping(shared: &Shared, conn: &mut Conn, partner: &str, st: &mut PairStats) -> Result<(), String> {
    let proto = &*shared.proto;
    let end_ns = shared.end_ns.load(Ordering::SeqCst);
    let mut out = Vec::new();
    let mut text = String::new();
    let mut seq = 0u64;
    loop {
        let sent_ns = ns_since(shared.start);
        if sent_ns >= end_ns {
            return Ok(());
        }
        text.clear();
        let _ = write!(text, "{seq} {sent_ns}");
        if text.len() < shared.args.size {
            text.push(' ');
            while text.len() < shared.args.size {
                text.push('x');
            }
        }
        out.clear();
        proto.private(partner, &text, &mut out);
        conn.send(&out)?;
        // Wait for this one to come back.
        'answer: loop {
            let read = conn.fill();
            let now = ns_since(shared.start);
            match read {
                Ok(0) => return Err("connection closed by the server".into()),
                Ok(_) => {}
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {
                    if now > end_ns + 5_000_000_000 {
                        return Err(format!("no answer to message {seq} for 5 s"));
                    }
                    continue;
                }
                Err(e) => return Err(format!("read: {e}")),
            }
            let mut answered = false;
            let mut answers = Vec::new();
            while let Some(line) = conn.next_line() {
                match proto.classify(line) {
                    Line::Private { from, text } if from == partner.as_bytes() => {
                        let mut fields = text.split(|&b| b == b' ');
                        let q = fields.next().and_then(number);
                        let t = fields.next().and_then(number);
                        if let (Some(q), Some(t)) = (q, t) {
                            if q == seq {
                                st.rtt.record(now.saturating_sub(t));
                                if now <= end_ns {
                                    st.in_window += 1;
                                }
                                answered = true;
                            }
                        }
                    }
                    Line::ServerError(e) => return Err(String::from_utf8_lossy(e).into_owned()),
                    _ => proto.answer(line, &mut answers),
                }
            }
            if !answers.is_empty() {
                conn.send(&answers)?;
            }
            if answered {
                break 'answer;
            }
        }
        seq += 1;
    }
}

/// Sends back whatever the partner sends, until told to stop.
fn pong(shared: &Shared, conn: &mut Conn, partner: &str) -> Result<(), String> {
    let proto = &*shared.proto;
    let mut out = Vec::new();
    loop {
        match conn.fill() {
            Ok(0) => return Err("connection closed by the server".into()),
            Ok(_) => {}
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("read: {e}")),
        }
        out.clear();
        while let Some(line) = conn.next_line() {
            match proto.classify(line) {
                Line::Private { from, text } if from == partner.as_bytes() => {
                    proto.private(partner, &String::from_utf8_lossy(text), &mut out);
                }
                Line::ServerError(e) => return Err(String::from_utf8_lossy(e).into_owned()),
                _ => proto.answer(line, &mut out),
            }
        }
        if !out.is_empty() {
            conn.send(&out)?;
        }
        if shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
    }
}

fn number(field: &[u8]) -> Option<u64> {
    if field.is_empty() || field.len() > 19 {
        return None;
    }
    field.iter().try_fold(0u64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + (b - b'0') as u64)
    })
}
