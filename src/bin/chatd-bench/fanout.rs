//! Fan-out: C receivers and S senders in one channel. Every line a sender
//! says carries its sender number, a sequence number and its send time (ns
//! since the run's start); every member (senders too, when the protocol
//! echoes) parses what it gets and records the latency.
//!
//! "As fast as the server takes them": each sender keeps at most `window`
//! lines on the way to the *slowest* member — said, but not yet read by
//! every member of the channel. A pacer thread computes that from every
//! member's progress about every millisecond and wakes the senders. So the
//! load follows the server's pace, and no member falls more than
//! `senders × window` lines behind: with the defaults (10 × 32 = 320) that
//! stays under chatd's `outbound_queue` (512), and a receiver is never cut
//! off as a slow reader just because the bench outran it. With `--window 0`
//! the senders write as fast as TCP accepts (open loop): chatd's readers put
//! every line in the hub's unbounded queue, so that measures overload (the
//! hub cuts off the receivers that fall behind).
//!
//! Over IRC a sender does not get its own lines back (no server echoes them
//! without the IRCv3 `echo-message` capability): each line is then expected
//! at every member but its sender, and the pacer reads a sender's progress
//! from the other members only. Other IRC servers have their own output
//! limits (ngIRCd's write buffer, InspIRCd's `sendq`): bench/compare-irc.sh
//! raises them.

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use clap::Args;
use crossbeam_channel::RecvTimeoutError;

use crate::hist::Histogram;
use crate::procstat::{self, Usage};
use crate::protocol::{is_timeout, Conn, Line, Protocol};
use crate::report::{latency_json, latency_line, Json};
use crate::{ns_since, Ctx, Latch, Outcome, Permits, CLIENT_STACK, SETUP_TIMEOUT};

#[derive(Args, Debug, Clone)]
pub struct FanoutArgs {
    /// Clients that only listen
    #[arg(long, default_value_t = 100)]
    pub receivers: usize,
    /// Clients that send (and listen)
    #[arg(long, default_value_t = 10)]
    pub senders: usize,
    /// How long the senders send
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// The channel (it must exist on the server)
    #[arg(long, default_value = "Weather")]
    pub channel: String,
    /// Lines each sender may have on the way to the slowest member (said,
    /// not yet read by every member); 0: no limit, write as fast as TCP
    /// takes them
    #[arg(long, default_value_t = 32)]
    pub window: u64,
    /// Lines per second per sender; 0: as fast as the window allows
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Pad each line's text to this many bytes
    #[arg(long, default_value_t = 0)]
    pub size: usize,
    /// Once the senders stop, wait at most this many seconds for the rest
    #[arg(long, default_value_t = 5.0)]
    pub drain: f64,
    /// Clients connecting and logging in at the same time during set-up
    /// (0: all at once). ngIRCd listens with a backlog of 10: 510 connects
    /// at once can leave one unregistered for longer than the set-up timeout
    #[arg(long, default_value_t = 50)]
    pub setup_parallel: usize,
    /// chatd's SQLite database (its `--db`): count the channel history
    /// lines it wrote (`max(id)` of table `history`) when sending starts,
    /// when it ends and after the drain
    #[arg(long, value_name = "PATH")]
    pub history_db: Option<PathBuf>,
}

/// What all clients of a run share.
struct Shared {
    start: Instant,
    proto: Arc<dyn Protocol>,
    args: FanoutArgs,
    go: Latch,
    /// When sending began and ends (ns since start); u64::MAX until known.
    go_ns: AtomicU64,
    window_end_ns: AtomicU64,
    /// Lines each sender sent, once it has stopped.
    sent: Vec<AtomicU64>,
    /// All lines sent, once every sender has stopped.
    total_sent: AtomicU64,
    drain_deadline_ns: AtomicU64,
    abort: AtomicBool,
    /// `progress[member * senders + sender]`: the next sequence number the
    /// member expects from the sender (u64::MAX once the member is gone).
    progress: Vec<AtomicU64>,
    /// Per sender: lines every member has read (the pacer's minimum).
    acked: Vec<AtomicU64>,
    /// The senders' writer threads, for the pacer to wake.
    writers: Vec<OnceLock<Thread>>,
    /// Set when the pacer should stop.
    pacer_stop: AtomicBool,
    /// Limits the clients setting up at once.
    setting_up: Permits,
}

#[derive(Default)]
struct ClientStats {
    latency: Histogram,
    /// Lines received from each sender.
    received: Vec<u64>,
    next_seq: Vec<u64>,
    total: u64,
    in_window: u64,
    gaps: u64,
    out_of_order: u64,
    last_delivery_ns: u64,
    /// Why the connection ended early, if it did.
    lost_connection: Option<String>,
    server_errors: Vec<String>,
}

struct Client {
    stats: ClientStats,
    send_error: Option<String>,
}

pub fn run(ctx: &Ctx, args: &FanoutArgs) -> Result<Outcome, String> {
    let (c, s) = (args.receivers, args.senders);
    if s == 0 {
        return Err("--senders must be at least 1".into());
    }
    let shared = Arc::new(Shared {
        start: Instant::now(),
        proto: Arc::clone(&ctx.proto),
        args: args.clone(),
        go: Latch::default(),
        go_ns: AtomicU64::new(u64::MAX),
        window_end_ns: AtomicU64::new(u64::MAX),
        sent: (0..s).map(|_| AtomicU64::new(0)).collect(),
        total_sent: AtomicU64::new(u64::MAX),
        drain_deadline_ns: AtomicU64::new(u64::MAX),
        abort: AtomicBool::new(false),
        progress: (0..(c + s) * s).map(|_| AtomicU64::new(0)).collect(),
        acked: (0..s).map(|_| AtomicU64::new(0)).collect(),
        writers: (0..s).map(|_| OnceLock::new()).collect(),
        pacer_stop: AtomicBool::new(false),
        setting_up: Permits::new(args.setup_parallel),
    });
    let senders_done = Arc::new(AtomicUsize::new(0));

    // Set up every client on its own thread; each reports when it has joined
    // and then reads (so nothing piles up in the server while others log in).
    let setup_started = Instant::now();
    let (ready_tx, ready_rx) = crossbeam_channel::unbounded::<Result<String, String>>();
    let mut handles: Vec<JoinHandle<Client>> = Vec::with_capacity(c + s);
    for i in 0..c + s {
        let sender = i.checked_sub(c);
        let nick = ctx.nick(i);
        let (shared, ready, addr, done) = (
            Arc::clone(&shared),
            ready_tx.clone(),
            ctx.addr,
            Arc::clone(&senders_done),
        );
        let handle = thread::Builder::new()
            .name(format!("{}{i}", if sender.is_some() { "tx" } else { "rx" }))
            .stack_size(CLIENT_STACK)
            .spawn(move || client(&shared, addr, &nick, i, sender, &ready, &done))
            .map_err(|e| format!("can't start client thread {i}: {e}"))?;
        handles.push(handle);
    }
    drop(ready_tx);
    let mut setup_error = None;
    let mut channel_name = String::new();
    for _ in 0..c + s {
        match ready_rx.recv_timeout(SETUP_TIMEOUT * 2) {
            Ok(Ok(name)) => channel_name = name,
            Ok(Err(e)) => {
                setup_error.get_or_insert(e);
            }
            Err(RecvTimeoutError::Timeout) => {
                setup_error.get_or_insert("timed out setting up clients".into());
                break;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if setup_error.is_some() {
            break;
        }
    }
    if let Some(error) = setup_error {
        shared.abort.store(true, Ordering::SeqCst);
        shared.go.set(false);
        for h in handles {
            let _ = h.join();
        }
        return Err(format!("setting up: {error}"));
    }
    let setup_seconds = setup_started.elapsed().as_secs_f64();

    // Go.
    let pacer = {
        let shared = Arc::clone(&shared);
        thread::Builder::new()
            .name("pacer".into())
            .spawn(move || pace(&shared))
            .map_err(|e| format!("can't start the pacer thread: {e}"))?
    };
    let history_db = args.history_db.as_deref();
    let history_before = history_db.map(history_rows);
    let before = procstat::sample(ctx.server_pid, true);
    let go_ns = ns_since(shared.start);
    let window_ns = (args.seconds * 1e9) as u64;
    shared.go_ns.store(go_ns, Ordering::SeqCst);
    shared
        .window_end_ns
        .store(go_ns + window_ns, Ordering::SeqCst);
    shared.go.set(true);
    thread::sleep(Duration::from_nanos(
        (go_ns + window_ns).saturating_sub(ns_since(shared.start)),
    ));
    let after = procstat::sample(ctx.server_pid, true);
    let history_after = history_db.map(history_rows);
    let usage = Usage::between(&before, &after);

    // Wait for the senders to stop, then drain.
    let give_up = Instant::now() + SETUP_TIMEOUT;
    while senders_done.load(Ordering::SeqCst) < s && Instant::now() < give_up {
        thread::sleep(Duration::from_millis(5));
    }
    shared.pacer_stop.store(true, Ordering::SeqCst);
    let _ = pacer.join();
    let total_sent: u64 = shared.sent.iter().map(|n| n.load(Ordering::SeqCst)).sum();
    shared.drain_deadline_ns.store(
        ns_since(shared.start) + (args.drain * 1e9) as u64,
        Ordering::SeqCst,
    );
    shared.total_sent.store(total_sent, Ordering::SeqCst);

    let mut clients = Vec::with_capacity(c + s);
    for h in handles {
        match h.join() {
            Ok(client) => clients.push(client),
            Err(_) => return Err("a client thread panicked".into()),
        }
    }
    let history = history_before.map(|before| History {
        before,
        after: history_after.unwrap_or(Err(String::new())),
        drained: history_db.map_or(Err(String::new()), history_rows),
    });
    Ok(summarise(
        ctx,
        args,
        &shared,
        clients,
        usage,
        setup_seconds,
        &channel_name,
        history,
    ))
}

/// History rows in chatd's database when sending began, when it ended and
/// after the drain (`Err`: why it could not be read).
struct History {
    before: Result<u64, String>,
    after: Result<u64, String>,
    drained: Result<u64, String>,
}

/// The highest history row id (rows are only appended during a run: the
/// hourly pruning runs at the server's start).
fn history_rows(path: &Path) -> Result<u64, String> {
    use rusqlite::{Connection, OpenFlags};
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let _ = conn.busy_timeout(Duration::from_secs(2));
    conn.query_row("SELECT coalesce(max(id), 0) FROM history", [], |row| {
        row.get::<_, i64>(0)
    })
    .map(|n| n as u64)
    .map_err(|e| format!("{}: {e}", path.display()))
}

#[allow(clippy::too_many_arguments)]
fn summarise(
    ctx: &Ctx,
    args: &FanoutArgs,
    shared: &Shared,
    clients: Vec<Client>,
    usage: Usage,
    setup_seconds: f64,
    channel: &str,
    history: Option<History>,
) -> Outcome {
    let (c, s) = (args.receivers, args.senders);
    let sent: Vec<u64> = shared
        .sent
        .iter()
        .map(|n| n.load(Ordering::SeqCst))
        .collect();
    let total_sent: u64 = sent.iter().sum();
    let members = (c + s) as u64;
    let expected = if ctx.proto.echoes_own() {
        total_sent * members
    } else {
        total_sent * (members - 1)
    };
    let go_ns = shared.go_ns.load(Ordering::SeqCst);
    let mut latency = Histogram::default();
    let (mut received, mut in_window, mut gaps, mut out_of_order, mut last) = (0, 0, 0, 0, 0);
    let mut lost_connections = 0;
    let mut first_lost = None;
    let mut server_errors: Vec<String> = Vec::new();
    let mut send_errors = Vec::new();
    for client in &clients {
        let st = &client.stats;
        latency.merge(&st.latency);
        received += st.total;
        in_window += st.in_window;
        gaps += st.gaps;
        out_of_order += st.out_of_order;
        last = last.max(st.last_delivery_ns);
        if let Some(why) = &st.lost_connection {
            lost_connections += 1;
            first_lost.get_or_insert_with(|| why.clone());
        }
        for e in &st.server_errors {
            if server_errors.len() < 5 && !server_errors.contains(e) {
                server_errors.push(e.clone());
            }
        }
        if let Some(e) = &client.send_error {
            send_errors.push(e.clone());
        }
    }
    let lost = expected.saturating_sub(received);
    let seconds = args.seconds;
    let rate = in_window as f64 / seconds;
    let overall_seconds = last.saturating_sub(go_ns) as f64 / 1e9;
    let overall_rate = if overall_seconds > 0.0 {
        received as f64 / overall_seconds
    } else {
        0.0
    };

    let mut human = String::new();
    let _ = writeln!(
        human,
        "fanout ({}) at {}: {c} receivers + {s} senders in {channel}, {seconds} s, window {}{}{}",
        ctx.proto.name(),
        ctx.addr,
        args.window,
        if args.rate > 0.0 {
            format!(", {} lines/s per sender", args.rate)
        } else {
            String::new()
        },
        if args.size > 0 {
            format!(", {} byte texts", args.size)
        } else {
            String::new()
        },
    );
    if args.window as usize * s >= 512 {
        let _ = writeln!(
            human,
            "  note: senders x window = {} >= 512, chatd's default outbound_queue: \
             receivers may be cut off as slow readers",
            args.window as usize * s
        );
    }
    let _ = writeln!(human, "  set up (log in, join) in {setup_seconds:.2} s");
    let _ = writeln!(
        human,
        "  sent        {total_sent} lines ({:.0}/s)",
        total_sent as f64 / seconds
    );
    let _ = writeln!(
        human,
        "  delivered   {:.0} deliveries/s while sending ({in_window} in {seconds} s); \
         {received} in all by {overall_seconds:.2} s ({overall_rate:.0}/s)",
        rate
    );
    let _ = writeln!(
        human,
        "  lost        {lost} of {expected} expected ({total_sent} lines x {} members); \
         gaps {gaps}, out of order {out_of_order}, connections lost {lost_connections}{}",
        if ctx.proto.echoes_own() {
            members
        } else {
            members - 1
        },
        first_lost
            .as_deref()
            .map_or(String::new(), |w| format!(" ({w})"))
    );
    for e in server_errors.iter().chain(&send_errors) {
        let _ = writeln!(human, "  error: {e}");
    }
    let _ = writeln!(human, "  latency     {}", latency_line(&latency));
    let mut history_json = Json::Null;
    if let Some(h) = &history {
        match (&h.before, &h.after, &h.drained) {
            (Ok(b), Ok(a), Ok(d)) => {
                let in_window = a.saturating_sub(*b);
                let _ = writeln!(
                    human,
                    "  history     {in_window} lines written to the database while sending \
                     ({:.0}/s), {} by the end of the drain (of {total_sent} said)",
                    in_window as f64 / seconds,
                    d.saturating_sub(*b)
                );
                history_json = Json::obj(vec![
                    ("rows_before", Json::U(*b)),
                    ("written_in_window", Json::U(in_window)),
                    ("written_per_sec", Json::F(in_window as f64 / seconds)),
                    ("written_by_drain", Json::U(d.saturating_sub(*b))),
                ]);
            }
            (b, a, d) => {
                let why = [b, a, d]
                    .into_iter()
                    .find_map(|r| r.as_ref().err())
                    .cloned()
                    .unwrap_or_default();
                let _ = writeln!(human, "  history     can't count the rows: {why}");
                history_json = Json::obj(vec![("error", Json::str(why))]);
            }
        }
    }
    human += &usage.describe();

    let params = Json::obj(vec![
        ("receivers", Json::U(c as u64)),
        ("senders", Json::U(s as u64)),
        ("seconds", Json::F(seconds)),
        ("channel", Json::str(&args.channel)),
        ("window", Json::U(args.window)),
        ("rate", Json::F(args.rate)),
        ("size", Json::U(args.size as u64)),
        ("drain", Json::F(args.drain)),
        ("setup_parallel", Json::U(args.setup_parallel as u64)),
        (
            "history_db",
            Json::opt_str(args.history_db.as_deref().and_then(Path::to_str)),
        ),
    ]);
    let results = Json::obj(vec![
        ("deliveries_per_sec", Json::F(rate)),
        ("deliveries_in_window", Json::U(in_window)),
        ("deliveries", Json::U(received)),
        ("overall_deliveries_per_sec", Json::F(overall_rate)),
        ("sent", Json::U(total_sent)),
        ("sent_per_sec", Json::F(total_sent as f64 / seconds)),
        ("expected", Json::U(expected)),
        ("lost", Json::U(lost)),
        ("gaps", Json::U(gaps)),
        ("out_of_order", Json::U(out_of_order)),
        ("connections_lost", Json::U(lost_connections)),
        (
            "first_connection_lost",
            Json::opt_str(first_lost.as_deref()),
        ),
        (
            "server_errors",
            Json::Arr(server_errors.into_iter().map(Json::S).collect()),
        ),
        (
            "send_errors",
            Json::Arr(send_errors.into_iter().map(Json::S).collect()),
        ),
        ("latency", latency_json(&latency)),
        ("setup_seconds", Json::F(setup_seconds)),
        ("history", history_json),
        ("usage", usage.json()),
    ]);
    Outcome {
        human,
        params,
        results,
    }
}

/// One client, on its own thread: set up, then read (and, for a sender,
/// write on a second thread) until the run is over.
fn client(
    shared: &Arc<Shared>,
    addr: std::net::SocketAddr,
    nick: &str,
    member: usize,
    sender: Option<usize>,
    ready: &crossbeam_channel::Sender<Result<String, String>>,
    senders_done: &Arc<AtomicUsize>,
) -> Client {
    let proto = &*shared.proto;
    let set_up = || -> Result<(Conn, String), String> {
        let _permit = shared.setting_up.acquire();
        let mut conn = Conn::connect(addr, SETUP_TIMEOUT).map_err(|e| format!("connect: {e}"))?;
        conn.stream
            .set_read_timeout(Some(SETUP_TIMEOUT))
            .map_err(|e| e.to_string())?;
        proto
            .login(&mut conn, nick)
            .map_err(|e| format!("log in as {nick}: {e}"))?;
        let name = proto
            .join(&mut conn, &shared.args.channel)
            .map_err(|e| format!("{nick} joining {}: {e}", shared.args.channel))?;
        // Wake up now and then to see whether the run is over.
        conn.stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .map_err(|e| e.to_string())?;
        Ok((conn, name))
    };
    let (mut conn, channel) = match set_up() {
        Ok(ok) => ok,
        Err(e) => {
            let _ = ready.send(Err(e.clone()));
            if sender.is_some() {
                senders_done.fetch_add(1, Ordering::SeqCst);
            }
            return Client {
                stats: ClientStats {
                    lost_connection: Some(e),
                    ..ClientStats::default()
                },
                send_error: None,
            };
        }
    };
    let _ = ready.send(Ok(channel.clone()));

    let writer = sender.map(|index| {
        let stream = conn.stream.try_clone();
        let (shared, done) = (Arc::clone(shared), Arc::clone(senders_done));
        let spawned = thread::Builder::new()
            .name(format!("tx{index}-write"))
            .stack_size(CLIENT_STACK)
            .spawn(move || {
                let _ = shared.writers[index].set(thread::current());
                let result = match stream {
                    Ok(stream) => send_loop(&shared, &stream, index),
                    Err(e) => Err((0, format!("clone socket: {e}"))),
                };
                let (sent, error) = match result {
                    Ok(sent) => (sent, None),
                    Err((sent, e)) => (sent, Some(e)),
                };
                shared.sent[index].store(sent, Ordering::SeqCst);
                done.fetch_add(1, Ordering::SeqCst);
                error
            });
        spawned.map_err(|e| {
            senders_done.fetch_add(1, Ordering::SeqCst);
            format!("sender {index}: can't start its writer thread: {e}")
        })
    });
    let stats = receive(shared, &mut conn, channel.as_bytes(), member, sender);
    let send_error = match writer {
        Some(Ok(w)) => w.join().ok().flatten(),
        Some(Err(e)) => Some(e),
        None => None,
    };
    // Leave politely, and wait (briefly) for the server to close, so the
    // nickname is free for the next run.
    let mut bye = Vec::new();
    proto.quit(&mut bye);
    if conn.send(&bye).is_ok() {
        let _ = conn
            .stream
            .set_read_timeout(Some(Duration::from_millis(500)));
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            match conn.fill() {
                Ok(0) => break,
                Ok(_) => while conn.next_line().is_some() {},
                Err(e) if is_timeout(&e) => {}
                Err(_) => break,
            }
        }
    }
    Client { stats, send_error }
}

/// The pacer: about every millisecond, works out for each sender how far
/// the slowest member has read, and wakes the senders that may go on.
fn pace(shared: &Shared) {
    let senders = shared.args.senders;
    let members = shared.progress.len() / senders;
    while !shared.pacer_stop.load(Ordering::Relaxed) {
        for s in 0..senders {
            let slowest = (0..members)
                .map(|m| shared.progress[m * senders + s].load(Ordering::Relaxed))
                .min()
                .unwrap_or(u64::MAX);
            if slowest > shared.acked[s].load(Ordering::Relaxed) {
                shared.acked[s].store(slowest, Ordering::Release);
                if let Some(writer) = shared.writers[s].get() {
                    writer.unpark();
                }
            }
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// Writes lines until the window closes; returns how many were sent (and,
/// on error, why it stopped).
fn send_loop(shared: &Shared, stream: &TcpStream, index: usize) -> Result<u64, (u64, String)> {
    if !shared.go.wait() {
        return Ok(0);
    }
    let args = &shared.args;
    let go_ns = shared.go_ns.load(Ordering::SeqCst);
    let end_ns = shared.window_end_ns.load(Ordering::SeqCst);
    let mut seq = 0u64;
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut text = String::with_capacity(64 + args.size);
    // Lines per write when nothing else limits it.
    const BATCH: u64 = 64;
    loop {
        let now = ns_since(shared.start);
        if now >= end_ns || shared.abort.load(Ordering::Relaxed) {
            return Ok(seq);
        }
        let mut room = if args.window == 0 {
            BATCH
        } else {
            let acked = shared.acked[index].load(Ordering::Acquire).min(seq);
            (args.window - (seq - acked)).min(BATCH)
        };
        let mut wait = Duration::from_millis(10);
        if args.rate > 0.0 {
            let due = ((now - go_ns) as f64 * args.rate / 1e9) as u64 + 1;
            if due <= seq {
                let next_ns = go_ns + ((seq as f64) * 1e9 / args.rate) as u64;
                wait = Duration::from_nanos(next_ns.saturating_sub(now));
            }
            room = room.min(due.saturating_sub(seq));
        }
        if room == 0 {
            // The pacer unparks this thread when the slowest member moves on.
            thread::park_timeout(wait);
            continue;
        }
        buf.clear();
        for _ in 0..room {
            text.clear();
            let _ = write!(text, "{index} {seq} {now}");
            if text.len() < args.size {
                text.push(' ');
                while text.len() < args.size {
                    text.push('x');
                }
            }
            shared.proto.say(&args.channel, &text, &mut buf);
            seq += 1;
        }
        if let Err(e) = (&*stream).write_all(&buf) {
            return Err((seq - room, format!("sender {index}: write: {e}")));
        }
    }
}

/// Parses "<sender> <seq> <ns>[ padding]".
fn parse_payload(text: &[u8]) -> Option<(usize, u64, u64)> {
    let mut fields = text.split(|&b| b == b' ');
    let mut number = || -> Option<u64> {
        let f = fields.next()?;
        if f.is_empty() || f.len() > 19 {
            return None;
        }
        f.iter().try_fold(0u64, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + (b - b'0') as u64)
        })
    };
    Some((number()? as usize, number()?, number()?))
}

/// Reads until every line sent has arrived, the drain time is over, or the
/// connection ends. Publishes its progress for the pacer as it goes.
fn receive(
    shared: &Shared,
    conn: &mut Conn,
    channel: &[u8],
    member: usize,
    own: Option<usize>,
) -> ClientStats {
    let senders = shared.args.senders;
    let proto = &*shared.proto;
    let mut st = ClientStats {
        received: vec![0; senders],
        next_seq: vec![0; senders],
        ..ClientStats::default()
    };
    let progress = &shared.progress[member * senders..(member + 1) * senders];
    let echoes = proto.echoes_own();
    // Answers to the server (IRC PONGs). Only receivers send them: a
    // sender's socket belongs to its writer thread, and a sender is never
    // silent long enough to be PINGed.
    let mut answers = Vec::new();
    if let (Some(i), false) = (own, echoes) {
        // Its own lines never come back: don't wait for them.
        progress[i].store(u64::MAX, Ordering::Relaxed);
    }
    loop {
        let read = conn.fill();
        let now = ns_since(shared.start);
        match read {
            Ok(0) => {
                st.lost_connection = Some("connection closed by the server".into());
                break;
            }
            Ok(_) => {}
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                st.lost_connection = Some(format!("read: {e}"));
                break;
            }
        }
        let window_end = shared.window_end_ns.load(Ordering::Relaxed);
        let before = st.total;
        while let Some(line) = conn.next_line() {
            match proto.classify(line) {
                Line::Public {
                    channel: c, text, ..
                } if c == channel => {
                    let Some((s, q, t)) = parse_payload(text) else {
                        continue;
                    };
                    if s >= senders {
                        continue;
                    }
                    st.latency.record(now.saturating_sub(t));
                    st.received[s] += 1;
                    st.total += 1;
                    let next = &mut st.next_seq[s];
                    if q > *next {
                        st.gaps += q - *next;
                    } else if q < *next {
                        st.out_of_order += 1;
                    }
                    *next = (*next).max(q + 1);
                    if now <= window_end {
                        st.in_window += 1;
                    }
                    st.last_delivery_ns = now;
                }
                Line::ServerError(text) if st.server_errors.len() < 3 => {
                    st.server_errors
                        .push(String::from_utf8_lossy(text).into_owned());
                }
                Line::Other if own.is_none() => proto.answer(line, &mut answers),
                _ => {}
            }
        }
        if !answers.is_empty() {
            let _ = conn.send(&answers);
            answers.clear();
        }
        if st.total != before {
            for (s, p) in progress.iter().enumerate() {
                if own != Some(s) || echoes {
                    p.store(st.next_seq[s], Ordering::Relaxed);
                }
            }
        }
        let total_sent = shared.total_sent.load(Ordering::Acquire);
        if total_sent != u64::MAX {
            let own_sent = match own {
                Some(i) if !echoes => shared.sent[i].load(Ordering::SeqCst),
                _ => 0,
            };
            if st.total >= total_sent - own_sent {
                break;
            }
        }
        if now >= shared.drain_deadline_ns.load(Ordering::Relaxed)
            || shared.abort.load(Ordering::Relaxed)
        {
            break;
        }
    }
    // Gone or done: the senders must not wait for this member any more.
    for p in progress {
        p.store(u64::MAX, Ordering::Relaxed);
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads() {
        assert_eq!(parse_payload(b"3 17 123456789"), Some((3, 17, 123456789)));
        assert_eq!(parse_payload(b"3 17 123 xxxx"), Some((3, 17, 123)));
        assert_eq!(parse_payload(b"3 17"), None);
        assert_eq!(parse_payload(b"hello there you"), None);
    }
}
