//! Idle connections: open and log in COUNT clients one after the other
//! (unique nicknames), stop at the first failure, keep them open and idle,
//! and measure the server's resident memory per connection.
//!
//! The sockets are not given a thread each: after login each goes,
//! non-blocking, to one of a few drainer threads that sweep their sockets and
//! throw away what arrives. Reading matters: at login everyone joins the
//! lobby, so every login is announced to everyone already there, and a client
//! that never reads would fill its socket, then its server queue, and be cut
//! off as a slow reader.

use std::fmt::Write as _;
use std::io::{self, Read};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use clap::Args;
use crossbeam_channel::Receiver;

use crate::procstat::{self, Status, Usage};
use crate::protocol::Conn;
use crate::report::Json;
use crate::{Ctx, Outcome};

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
        let sweep_every = Duration::from_millis(args.sweep_ms);
        let handle = thread::Builder::new()
            .name(format!("drain{d}"))
            .spawn(move || drain(&rx, &stop, sweep_every))
            .map_err(|e| format!("can't start a drainer thread: {e}"))?;
        queues.push(tx);
        drainers.push(handle);
    }

    let started = Instant::now();
    let mut held = 0usize;
    let mut failure: Option<String> = None;
    let mut checkpoints = Vec::new();
    let mut last_mark = Instant::now();
    // The last (connections, server status) seen, in case the server dies.
    let mut last_status: Option<(usize, Status)> = None;
    for i in 0..args.count {
        if args.max_seconds > 0.0 && started.elapsed().as_secs_f64() > args.max_seconds {
            failure = Some(format!(
                "the time budget (--max-seconds {}) ran out after {held} connections; \
                 logins had slowed to {:.1}/s",
                args.max_seconds,
                checkpoints_rate(&checkpoints)
            ));
            break;
        }
        let nick = ctx.nick(i);
        let opened = Conn::connect(ctx.addr, timeout)
            .map_err(|e| format!("connection {}: connect: {e}", i + 1))
            .and_then(|mut conn| {
                conn.stream
                    .set_read_timeout(Some(timeout))
                    .map_err(|e| e.to_string())?;
                proto
                    .login(&mut conn, &nick)
                    .map_err(|e| format!("connection {}: log in as {nick}: {e}", i + 1))?;
                Ok(conn.into_stream())
            })
            .and_then(|stream| {
                stream
                    .set_nonblocking(true)
                    .map_err(|e| format!("set_nonblocking: {e}"))?;
                Ok(stream)
            });
        match opened {
            Ok(stream) => {
                let _ = queues[i % queues.len()].send(stream);
                held += 1;
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        if held.is_multiple_of(args.every.max(1)) {
            let status = pid.and_then(procstat::status);
            if let Some(status) = status {
                last_status = Some((held, status));
            }
            let rate = args.every as f64 / last_mark.elapsed().as_secs_f64();
            last_mark = Instant::now();
            let line = checkpoint_line(held, started, rate, baseline, status);
            println!("{line}");
            checkpoints.push((rate, checkpoint_json(held, started, rate, status)));
        }
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

/// An idle connection and the end of what it last received.
struct Held {
    stream: TcpStream,
    tail: Vec<u8>,
}

/// Sweeps its sockets, reading and discarding, until told to stop; then one
/// last sweep counts those still open.
fn drain(incoming: &Receiver<TcpStream>, stop: &AtomicBool, every: Duration) -> Drained {
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
            });
        }
        let mut i = 0;
        while i < held.len() {
            match sweep(&mut held[i], &mut buf, &mut bytes) {
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

/// Reads all that is waiting; `Err` once the server has closed the socket,
/// with its last line when that was a "** … **" notice.
fn sweep(held: &mut Held, buf: &mut [u8], bytes: &mut u64) -> Result<(), String> {
    const TAIL: usize = 200;
    loop {
        match held.stream.read(buf) {
            Ok(0) => {
                let tail = String::from_utf8_lossy(&held.tail);
                return Err(match tail.rfind("** ") {
                    Some(at) => tail[at..].trim().to_string(),
                    None => "closed by the server".into(),
                });
            }
            Ok(n) => {
                *bytes += n as u64;
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
