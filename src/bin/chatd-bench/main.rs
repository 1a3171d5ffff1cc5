//! `chatd-bench`: a load generator for chatd.
//!
//! Scenarios (fan-out in one channel, private ping-pong, idle connections)
//! are written against the [`protocol::Protocol`] trait, with three
//! implementations: the text door (telnet/netcat lines), IRC (`--protocol
//! irc`, which also drives other IRC servers, e.g. ngIRCd and InspIRCd: see
//! bench/compare-irc.sh; `--protocol irc-echo` with IRCv3 echo-message) and
//! the browser door (`--protocol web`).
//!
//! Every run prints a human summary and then exactly one JSON line (starting
//! with `{`) with the scenario, its parameters and its results.

mod connections;
mod fanout;
mod hist;
mod irc;
mod private;
mod procstat;
mod protocol;
mod report;
mod text;
mod web;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};

use crate::protocol::Protocol;
use crate::report::Json;

#[derive(Parser)]
#[command(
    name = "chatd-bench",
    version,
    about = "Load generator for chatd: channel fan-out, private round trips, idle connections",
    long_about = "Load generator for chatd: channel fan-out, private round trips, idle connections.\n\n\
        Run it against a server whose flood control and connection limits are raised \
        (bench/chat.toml); bench/run.sh builds, starts such a server and runs everything. \
        Prints a human summary, then one JSON line."
)]
struct Cli {
    /// The server's address: chatd's text door for `--protocol text`, an
    /// IRC listener (chatd's IRC door or another IRC server) for `irc`, the
    /// browser door for `web`
    #[arg(long, global = true, default_value = "127.0.0.1:2027")]
    addr: SocketAddr,
    /// The protocol the clients speak
    #[arg(long, global = true, value_enum, default_value_t = ProtocolKind::Text)]
    protocol: ProtocolKind,
    /// The server's process id: its CPU time, context switches and memory
    /// (from /proc) are reported with the results
    #[arg(long, global = true, value_name = "PID")]
    server_pid: Option<u32>,
    /// Nicknames are this prefix and a number
    #[arg(long, global = true, default_value = "b")]
    nick_prefix: String,
    /// The first number in nicknames (for running two benches at once)
    #[arg(long, global = true, default_value_t = 0)]
    nick_base: u64,
    /// Also append the JSON line to this file
    #[arg(long, global = true, value_name = "PATH")]
    json: Option<PathBuf>,
    /// A free-form label recorded in the JSON line (bench/run.sh and
    /// bench/compare-irc.sh put the server and its configuration there)
    #[arg(long, global = true, value_name = "TEXT")]
    label: Option<String>,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ProtocolKind {
    /// The text door: telnet/netcat lines
    Text,
    /// IRC: NICK/USER, JOIN #channel, PRIVMSG (chatd's IRC door or any IRC
    /// server)
    Irc,
    /// IRC with the IRCv3 echo-message capability: each line comes back to
    /// its sender too, as on the text and browser doors
    IrcEcho,
    /// The browser door: WebSocket at /ws, JSON messages
    Web,
}

#[derive(Subcommand)]
enum Scenario {
    /// Receivers and senders in one channel; senders send as fast as the
    /// server takes their lines; deliveries/s, latency and losses
    Fanout(fanout::FanoutArgs),
    /// Pairs exchanging private messages ping-pong: round trips/s and latency
    Private(private::PrivateArgs),
    /// Opens and logs in idle connections until COUNT or the first failure;
    /// the server's memory per connection
    Connections(connections::ConnectionsArgs),
}

/// What every scenario gets.
pub struct Ctx {
    pub addr: SocketAddr,
    pub proto: Arc<dyn Protocol>,
    pub server_pid: Option<u32>,
    nick_prefix: String,
    nick_base: u64,
}

impl Ctx {
    /// The nickname of client number `i`.
    pub fn nick(&self, i: usize) -> String {
        format!("{}{}", self.nick_prefix, self.nick_base + i as u64)
    }
}

/// What a scenario reports.
pub struct Outcome {
    pub human: String,
    pub params: Json,
    pub results: Json,
}

/// A one-shot signal many threads wait for: `Some(true)` go, `Some(false)`
/// give up.
#[derive(Default)]
pub struct Latch {
    state: Mutex<Option<bool>>,
    changed: Condvar,
}

impl Latch {
    pub fn set(&self, go: bool) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = Some(go);
        self.changed.notify_all();
    }

    pub fn wait(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(go) = *state {
                return go;
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// A counting semaphore: at most `n` holders at once (0: no limit).
pub struct Permits {
    free: Mutex<Option<usize>>,
    freed: Condvar,
}

/// Held while it lives; gives its permit back when dropped.
pub struct Permit<'a>(&'a Permits);

impl Permits {
    pub fn new(n: usize) -> Permits {
        Permits {
            free: Mutex::new((n > 0).then_some(n)),
            freed: Condvar::new(),
        }
    }

    pub fn acquire(&self) -> Permit<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == Some(0) {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        if let Some(n) = free.as_mut() {
            *n -= 1;
        }
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = free.as_mut() {
            *n += 1;
        }
        self.0.freed.notify_one();
    }
}

/// Nanoseconds since `start`: the clock every timestamp in a run shares.
pub fn ns_since(start: Instant) -> u64 {
    start.elapsed().as_nanos() as u64
}

/// Stack for each client thread: buffers live on the heap.
pub const CLIENT_STACK: usize = 256 * 1024;

/// How long to wait for a connection, a login or a join.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let proto: Arc<dyn Protocol> = match cli.protocol {
        ProtocolKind::Text => Arc::new(text::Text),
        ProtocolKind::Irc => Arc::new(irc::Irc {
            echo_message: false,
        }),
        ProtocolKind::IrcEcho => Arc::new(irc::Irc { echo_message: true }),
        ProtocolKind::Web => Arc::new(web::Web),
    };
    let ctx = Ctx {
        addr: cli.addr,
        proto,
        server_pid: cli.server_pid,
        nick_prefix: cli.nick_prefix,
        nick_base: cli.nick_base,
    };
    let (name, outcome) = match &cli.scenario {
        Scenario::Fanout(args) => ("fanout", fanout::run(&ctx, args)),
        Scenario::Private(args) => ("private", private::run(&ctx, args)),
        Scenario::Connections(args) => ("connections", connections::run(&ctx, args)),
    };
    let mut fields = vec![
        ("scenario", Json::str(name)),
        ("protocol", Json::str(ctx.proto.name())),
        ("addr", Json::str(ctx.addr.to_string())),
        ("label", Json::opt_str(cli.label.as_deref())),
    ];
    let ok = outcome.is_ok();
    match outcome {
        Ok(outcome) => {
            print!("{}", outcome.human);
            fields.push(("params", outcome.params));
            fields.push(("results", outcome.results));
        }
        Err(error) => {
            eprintln!("chatd-bench: {name}: {error}");
            fields.push(("error", Json::str(error)));
        }
    }
    let line = Json::obj(fields).to_string();
    println!("{line}");
    if let Some(path) = &cli.json {
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = appended {
            eprintln!("chatd-bench: can't append to {}: {e}", path.display());
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
