//! Idle connections: open and log in COUNT clients one after the other
//! (unique nicknames; or `--parallel N` at a time), stop at the first
//! failure, keep them open and idle, and measure the server's resident
//! memory per connection.
//!
//! The sockets are not given a thread each: after login each goes,
//! non-blocking, to one of a few drainer threads that sweep their sockets and
//! throw away what arrives. Reading matters: at login everyone joins the
//! lobby, so every login is announced to everyone already there, and a client
//! that never reads would fill its socket, then its server queue, and be cut
//! off as a slow reader. The drainers also answer what must be answered to
//! stay connected (IRC servers PING idle clients and drop those that don't
//! PONG).

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use clap::Args;
use crossbeam_channel::Receiver;

use crate::procstat::{self, Status, Usage};
use crate::protocol::{Conn, Protocol};
use crate::report::Json;
use crate::{Ctx, Outcome, CLIENT_STACK};

#[derive(Args, Debug, Clone)]
pub struct ConnectionsArgs {
    /// Connections to open
    #[arg(long, default_value_t = 1000)]
    pub count: usize,
    /// Seconds to keep them open (idle) once all are in, before counting
    /// how many are still held
    #[arg(long, default_value_t = 10.0)]
    pub hold: f64,
    /// Threads that read (and discard) what the idle connections receive
    #[arg(long, default_value_t = 2)]
    pub drainers: usize,
    /// Stop opening connections after this many seconds (0: no limit); the
    /// report then says the time budget stopped it
    #[arg(long, default_value_t = 900.0)]
    pub max_seconds: f64,
    /// Milliseconds between two sweeps of a drainer over its sockets
    #[arg(long, default_value_t = 250)]
    pub sweep_ms: u64,
    /// Print (and record) the server's memory every this many connections
    #[arg(long, default_value_t = 1000)]
    pub every: usize,
    /// Seconds to wait for one connection or login
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
    /// Connections opened (and logged in) at the same time: 1 opens them
    /// one after the other. Servers that finish registrations on a timer
    /// (InspIRCd: once a second) need more to get anywhere.
    #[arg(long, default_value_t = 1)]
    pub parallel: usize,
}

/// What a drainer hands back at the end.
struct Drained {
    streams: Vec<TcpStream>,
    alive: usize,
    closed: Vec<String>,
    bytes: u64,
}

pub fn run(ctx: &Ctx, args: &ConnectionsArgs) -> Result<Outcome, String> {
    let proto = &*ctx.proto;
    let timeout = Duration::from_secs_f64(args.timeout);
    // One descriptor per connection, plus a few.
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    let mut human = String::new();
    let _ = writeln!(
        human,
        "connections ({}) at {}: up to {} idle clients (open files limit {limit})",
        proto.name(),
        ctx.addr,
        args.count
    );
    print!("{human}");
    human.clear();

    let pid = ctx.server_pid;
    let baseline = pid.and_then(procstat::status);
    let before = procstat::sample(pid, false);
    let stop = Arc::new(AtomicBool::new(false));
    let mut queues = Vec::new();
    let mut drainers: Vec<JoinHandle<Drained>> = Vec::new();
    for d in 0..args.drainers.max(1) {
        let (tx, rx) = crossbeam_channel::unbounded::<TcpStream>();
        let stop = Arc::clone(&stop);
        let proto = Arc::clone(&ctx.proto);
        let sweep_every = Duration::from_millis(args.sweep_ms);
        let handle = thread::Builder::new()
            .name(format!("drain{d}"))
            .spawn(move || drain(&rx, &stop, sweep_every, &*proto))
            .map_err(|e| format!("can't start a drainer thread: {e}"))?;
        queues.push(tx);
        drainers.push(handle);
    }

    let started = Instant::now();
    let opened = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let stop_opening = AtomicBool::new(false);
    let out_of_time = AtomicBool::new(false);
    let first_failure: Mutex<Option<String>> = Mutex::new(None);
    let fail = |why: String| {
        first_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(why);
        stop_opening.store(true, Ordering::SeqCst);
    };
    let mut checkpoints = Vec::new();
    // The last (connections, server status) seen, in case the server dies.
    let mut last_status: Option<(usize, Status)> = None;
    thread::scope(|scope| {
        // Openers: each opens and logs in one connection after the other.
        let mut openers = Vec::new();
        for t in 0..args.parallel.max(1) {
            let opener = || loop {
                if stop_opening.load(Ordering::SeqCst) {
                    break;
                }
                if args.max_seconds > 0.0 && started.elapsed().as_secs_f64() > args.max_seconds {
                    out_of_time.store(true, Ordering::SeqCst);
                    stop_opening.store(true, Ordering::SeqCst);
                    break;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= args.count {
                    break;
                }
                match open(ctx, i, timeout) {
                    Ok(stream) => {
                        let _ = queues[i % queues.len()].send(stream);
                        opened.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) => {
                        fail(e);
                        break;
                    }
                }
            };
            let spawned = thread::Builder::new()
                .name(format!("open{t}"))
                .stack_size(CLIENT_STACK)
                .spawn_scoped(scope, opener);
            match spawned {
                Ok(handle) => openers.push(handle),
                Err(e) => {
                    fail(format!("can't start opener thread {t}: {e}"));
                    break;
                }
            }
        }
        // Meanwhile: the server's memory every `every` connections.
        let every = args.every.max(1);
        let (mut mark, mut last_held, mut last_mark) = (every, 0, Instant::now());
        loop {
            let done = openers.iter().all(|h| h.is_finished());
            let held = opened.load(Ordering::SeqCst);
            if held >= mark {
                let status = pid.and_then(procstat::status);
                if let Some(status) = status {
                    last_status = Some((held, status));
                }
                let rate = (held - last_held) as f64 / last_mark.elapsed().as_secs_f64();
                (last_held, last_mark) = (held, Instant::now());
                let line = checkpoint_line(held, started, rate, baseline, status);
                println!("{line}");
                checkpoints.push((rate, checkpoint_json(held, started, rate, status)));
                while mark <= held {
                    mark += every;
                }
            }
            if done {
                break;
            }
            thread::sleep(Duration::from_millis(2));
        }
    });
    let held = opened.load(Ordering::SeqCst);
    let mut failure = first_failure
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    if failure.is_none() && out_of_time.load(Ordering::SeqCst) {
        failure = Some(format!(
            "the time budget (--max-seconds {}) ran out after {held} connections; \
             logins had slowed to {:.1}/s",
            args.max_seconds,
            checkpoints_rate(&checkpoints)
        ));
    }
    let open_seconds = started.elapsed().as_secs_f64();
    // A failure may be the server going down (a process with thousands of
    // threads takes a moment to disappear): say so.
    let server_gone = match (pid, &failure) {
        (Some(pid), Some(_)) => (0..30).any(|_| {
            let gone = procstat::status(pid).is_none();
            if !gone {
                thread::sleep(Duration::from_millis(100));
            }
            gone
        }),
        (Some(pid), None) => procstat::status(pid).is_none(),
        (None, _) => false,
    };
    if let (true, Some(f)) = (server_gone, failure.as_mut()) {
        f.push_str("; the server process is gone (see its log)");
    }
    let after_open = pid.and_then(procstat::status);
    if let Some(e) = &failure {
        println!("  stopped: {e}");
    }
    println!(
        "  {held} logged in in {open_seconds:.1} s; holding them idle for {} s",
        args.hold
    );
    thread::sleep(Duration::from_secs_f64(args.hold));
    let after_hold = pid.and_then(procstat::status);
    let after = procstat::sample(pid, false);
    let usage = Usage::between(&before, &after);

    // Count who is still there, then close everything.
    stop.store(true, Ordering::SeqCst);
    drop(queues);
    let mut alive = 0;
    let mut closed = Vec::new();
    let mut streams = Vec::new();
    let mut bytes = 0;
    for d in drainers {
        let drained = d.join().map_err(|_| "a drainer thread panicked")?;
        alive += drained.alive;
        bytes += drained.bytes;
        closed.extend(drained.closed);
        streams.extend(drained.streams);
    }
    let closing = Instant::now();
    drop(streams);
    // The server announces every departure to the lobby: wait for it to
    // settle, so the next scenario does not run against the clean-up.
    let mut teardown_seconds = None;
    if let (Some(pid), Some(base), false) = (pid, baseline, server_gone) {
        while closing.elapsed() < Duration::from_secs(300) {
            match procstat::status(pid) {
                Some(s) if s.threads > base.threads + 8 => {
                    thread::sleep(Duration::from_millis(100))
                }
                _ => {
                    teardown_seconds = Some(closing.elapsed().as_secs_f64());
                    break;
                }
            }
        }
    }

    let per_conn = |s: Option<Status>| match (baseline, s) {
        (Some(b), Some(s)) if held > 0 => Some((s.rss_kib as f64 - b.rss_kib as f64) / held as f64),
        _ => None,
    };
    let _ = writeln!(
        human,
        "  held        {alive} of {held} still open after {} s idle ({} closed by the server)",
        args.hold,
        held - alive
    );
    for why in closed.iter().take(3) {
        let _ = writeln!(human, "    closed: {why}");
    }
    let _ = writeln!(
        human,
        "  stopped at  {}",
        failure
            .as_deref()
            .unwrap_or("the count asked for (no failure)")
    );
    if let (Some(b), Some(a)) = (baseline, after_hold) {
        let _ = writeln!(
            human,
            "  server RSS  {} KiB before, {} KiB after opening, {} KiB after holding: \
             {:.1} KiB per connection; threads {} -> {}",
            b.rss_kib,
            after_open.map_or(0, |s| s.rss_kib),
            a.rss_kib,
            per_conn(after_hold).unwrap_or(0.0),
            b.threads,
            a.threads
        );
    } else if let (Some(b), Some((n, s))) = (baseline, last_status) {
        let _ = writeln!(
            human,
            "  server RSS  {} KiB before, {} KiB at {n} connections (the last sample): \
             {:.1} KiB per connection; threads {} -> {}",
            b.rss_kib,
            s.rss_kib,
            (s.rss_kib as f64 - b.rss_kib as f64) / n as f64,
            b.threads,
            s.threads
        );
    } else {
        let _ = writeln!(human, "  server RSS  (give --server-pid to measure)");
    }
    let _ = writeln!(
        human,
        "  drained     {:.1} MiB of notices (lobby joins) while holding",
        bytes as f64 / 1048576.0
    );
    if let Some(t) = teardown_seconds {
        let _ = writeln!(
            human,
            "  teardown    the server was back to its threads in {t:.1} s"
        );
    }
    let _ = writeln!(human, "  (usage over opening and holding)");
    human += &usage.describe();

    let params = Json::obj(vec![
        ("count", Json::U(args.count as u64)),
        ("hold", Json::F(args.hold)),
        ("drainers", Json::U(args.drainers as u64)),
        ("sweep_ms", Json::U(args.sweep_ms)),
        ("max_seconds", Json::F(args.max_seconds)),
        ("parallel", Json::U(args.parallel as u64)),
        ("open_files_limit", Json::U(limit)),
    ]);
    let opt_u = |v: Option<u64>| v.map_or(Json::Null, Json::U);
    let opt_f = |v: Option<f64>| v.map_or(Json::Null, Json::F);
    let results = Json::obj(vec![
        ("held", Json::U(held as u64)),
        ("alive_after_hold", Json::U(alive as u64)),
        ("failure", Json::opt_str(failure.as_deref())),
        ("open_seconds", Json::F(open_seconds)),
        ("logins_per_sec", Json::F(held as f64 / open_seconds)),
        ("rss_kib_before", opt_u(baseline.map(|s| s.rss_kib))),
        ("rss_kib_after_open", opt_u(after_open.map(|s| s.rss_kib))),
        ("rss_kib_after_hold", opt_u(after_hold.map(|s| s.rss_kib))),
        ("rss_kib_per_connection", opt_f(per_conn(after_hold))),
        (
            "rss_kib_per_connection_after_open",
            opt_f(per_conn(after_open)),
        ),
        ("server_alive", Json::B(!server_gone)),
        (
            "last_sample",
            match (baseline, last_status) {
                (Some(b), Some((n, s))) => Json::obj(vec![
                    ("connections", Json::U(n as u64)),
                    ("rss_kib", Json::U(s.rss_kib)),
                    ("threads", Json::U(s.threads)),
                    (
                        "rss_kib_per_connection",
                        Json::F((s.rss_kib as f64 - b.rss_kib as f64) / n as f64),
                    ),
                ]),
                _ => Json::Null,
            },
        ),
        ("threads_before", opt_u(baseline.map(|s| s.threads))),
        ("threads_after_hold", opt_u(after_hold.map(|s| s.threads))),
        ("drained_bytes", Json::U(bytes)),
        ("teardown_seconds", opt_f(teardown_seconds)),
        (
            "checkpoints",
            Json::Arr(checkpoints.into_iter().map(|(_, j)| j).collect()),
        ),
        ("usage", usage.json()),
    ]);
    Ok(Outcome {
        human,
        params,
        results,
    })
}

/// Opens connection number `i` and logs it in; the socket, non-blocking.
fn open(ctx: &Ctx, i: usize, timeout: Duration) -> Result<TcpStream, String> {
    let nick = ctx.nick(i);
    let mut conn = Conn::connect(ctx.addr, timeout)
        .map_err(|e| format!("connection {}: connect: {e}", i + 1))?;
    conn.stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    ctx.proto
        .login(&mut conn, &nick)
        .map_err(|e| format!("connection {}: log in as {nick}: {e}", i + 1))?;
    let stream = conn.into_stream();
    stream
        .set_nonblocking(true)
        .map_err(|e| format!("set_nonblocking: {e}"))?;
    Ok(stream)
}

/// The login rate at the last checkpoint.
fn checkpoints_rate(checkpoints: &[(f64, Json)]) -> f64 {
    checkpoints.last().map_or(0.0, |(rate, _)| *rate)
}

fn checkpoint_line(
    held: usize,
    started: Instant,
    rate: f64,
    baseline: Option<Status>,
    status: Option<Status>,
) -> String {
    let mut line = format!(
        "  {held:>6} held at {:>6.1} s ({rate:.0} logins/s)",
        started.elapsed().as_secs_f64()
    );
    if let (Some(b), Some(s)) = (baseline, status) {
        let _ = write!(
            line,
            "  server RSS {:.1} MiB ({:.1} KiB/conn), {} threads",
            s.rss_kib as f64 / 1024.0,
            (s.rss_kib as f64 - b.rss_kib as f64) / held as f64,
            s.threads
        );
    }
    line
}

fn checkpoint_json(held: usize, started: Instant, rate: f64, status: Option<Status>) -> Json {
    let mut fields = vec![
        ("held", Json::U(held as u64)),
        ("seconds", Json::F(started.elapsed().as_secs_f64())),
        ("logins_per_sec", Json::F(rate)),
    ];
    if let Some(s) = status {
        fields.push(("rss_kib", Json::U(s.rss_kib)));
        fields.push(("threads", Json::U(s.threads)));
    }
    Json::obj(fields)
}

/// An idle connection, the end of what it last received, and the start of
/// a line not yet complete.
struct Held {
    stream: TcpStream,
    tail: Vec<u8>,
    partial: Vec<u8>,
}

/// Sweeps its sockets, reading and discarding, until told to stop; then one
/// last sweep counts those still open.
fn drain(
    incoming: &Receiver<TcpStream>,
    stop: &AtomicBool,
    every: Duration,
    proto: &dyn Protocol,
) -> Drained {
    let mut held: Vec<Held> = Vec::new();
    let mut closed = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut bytes = 0u64;
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        while let Ok(stream) = incoming.try_recv() {
            held.push(Held {
                stream,
                tail: Vec::new(),
                partial: Vec::new(),
            });
        }
        let mut i = 0;
        while i < held.len() {
            match sweep(&mut held[i], &mut buf, &mut bytes, proto) {
                Ok(()) => i += 1,
                Err(why) => {
                    if closed.len() < 100 {
                        closed.push(why);
                    }
                    held.swap_remove(i);
                }
            }
        }
        if stopping {
            let alive = held.len();
            return Drained {
                streams: held.into_iter().map(|h| h.stream).collect(),
                alive,
                closed,
                bytes,
            };
        }
        thread::sleep(every);
    }
}

/// Reads all that is waiting, answering what needs an answer; `Err` once
/// the server has closed the socket, with its last line when that was a
/// "** … **" notice or an IRC `ERROR`.
fn sweep(
    held: &mut Held,
    buf: &mut [u8],
    bytes: &mut u64,
    proto: &dyn Protocol,
) -> Result<(), String> {
    const TAIL: usize = 200;
    loop {
        match held.stream.read(buf) {
            Ok(0) => {
                let tail = String::from_utf8_lossy(&held.tail);
                return Err(match tail.rfind("** ").or_else(|| tail.rfind("ERROR ")) {
                    Some(at) => tail[at..].trim().to_string(),
                    None => "closed by the server".into(),
                });
            }
            Ok(n) => {
                *bytes += n as u64;
                answer(held, &buf[..n], proto);
                let keep = &buf[n.saturating_sub(TAIL)..n];
                held.tail.clear();
                held.tail.extend_from_slice(keep);
                if n < buf.len() {
                    // Most likely all there was; the next sweep reads on.
                    return Ok(());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}

/// Answers the complete lines in `chunk` that need it (IRC PINGs); keeps an
/// unfinished last line for the next read.
fn answer(held: &mut Held, chunk: &[u8], proto: &dyn Protocol) {
    /// Longer unfinished lines are nothing to answer: dropped.
    const LONGEST: usize = 4096;
    let mut out = Vec::new();
    let mut rest = chunk;
    while let Some(at) = rest.iter().position(|&b| b == b'\n') {
        let piece = &rest[..at];
        rest = &rest[at + 1..];
        let whole;
        let line = if held.partial.is_empty() {
            piece
        } else {
            held.partial.extend_from_slice(piece);
            whole = std::mem::take(&mut held.partial);
            &whole[..]
        };
        proto.answer(line.strip_suffix(b"\r").unwrap_or(line), &mut out);
    }
    if held.partial.len() + rest.len() <= LONGEST {
        held.partial.extend_from_slice(rest);
    } else {
        held.partial.clear();
    }
    if !out.is_empty() {
        // A few bytes on an idle socket: the send buffer has room.
        let _ = held.stream.write_all(&out);
    }
}
