//! The test harness: [`TestServer`] runs the real `chatd` binary in a fresh
//! temp dir on port 0 and keeps its log; [`Client`] is a telnet/netcat user
//! that keeps everything it sent, expected and received, so that a failing
//! test prints the whole session of every client (STYLE.md, habit 7);
//! [`irc::Irc`] is such a client on the IRC door, [`udp::Udp`] the book's UDP
//! client. Nothing here sleeps to wait for something: it waits on lines, with
//! a deadline.

// Shared by every test module, and not each one uses every helper.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub mod irc;
pub mod python;
pub mod udp;
pub mod web;

/// How long a client waits for a line it expects.
pub const LINE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for the server to start, stop, or log a line.
pub const SERVER_TIMEOUT: Duration = Duration::from_secs(10);
/// The text door's nickname prompt; it has no line end.
pub const NICK_PROMPT: &str = "Your nickname: ";

/// argon2 and SCRAM's PBKDF2 at their cheapest, for servers whose tests
/// register accounts but are not about hashing cost (4096 PBKDF2 rounds
/// take ~65 ms in a debug build). Other `[accounts]` keys may follow it,
/// and other tables; top-level keys must come before it.
pub const CHEAP: &str =
    "[accounts]\nargon2_memory_kib = 64\nargon2_iterations = 1\nscram_iterations = 64\n";
/// No lobby: a login is followed by nothing (a top-level key, so it goes
/// before any table).
pub const NO_LOBBY: &str = "lobby = \"\"\n";

/// The shipped configuration; the tests' servers start from it.
const SHIPPED_CONFIG: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/chat.toml"));

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not hide the transcript from the others.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The shipped chat.toml with `extra` merged over it, key by key (a table in
/// `extra` changes only the keys it names).
fn chat_toml(extra: &str, dir: &Path) -> String {
    let mut config: toml::Table = SHIPPED_CONFIG
        .parse()
        .expect("the shipped chat.toml parses");
    let extra: toml::Table = extra
        .parse()
        .unwrap_or_else(|e| panic!("the test's extra chat.toml doesn't parse: {e}\n{extra}"));
    merge(&mut config, extra);
    // The command line says the same, but a person looking at the temp dir
    // should see the settings the server really ran with.
    let db = dir.join("chat.db").display().to_string();
    let ours = format!(
        "[text]\nlisten = \"127.0.0.1:0\"\n[udp]\nlisten = \"127.0.0.1:0\"\n[irc]\nlisten = \"127.0.0.1:0\"\n[web]\nlisten = \"127.0.0.1:0\"\n[database]\npath = {db:?}\n"
    );
    merge(
        &mut config,
        ours.parse().expect("the harness's own settings parse"),
    );
    toml::to_string(&config).expect("a toml::Table serializes")
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(old)), toml::Value::Table(new)) => merge(old, new),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

/// What the server and its clients share: the server's log, and every client
/// ever connected to it, for the transcript printed on failure.
struct Shared {
    log: Mutex<Log>,
    log_changed: Condvar,
    clients: Mutex<Vec<Arc<Conn>>>,
}

#[derive(Default)]
struct Log {
    /// Every stderr line of every run, with the run it came from.
    lines: Vec<(u32, String)>,
    /// The run now going (1 for the first start, +1 per restart).
    run: u32,
    /// Runs whose stderr has ended, i.e. whose process has exited.
    ended: Vec<u32>,
}

/// A `chatd serve` process on port 0 with its own temp dir and database.
/// Dropping it kills the process (SIGKILL, by its PID) and deletes the dir.
pub struct TestServer {
    child: Option<Child>,
    addr: SocketAddr,
    shared: Arc<Shared>,
    config: PathBuf,
    /// Where the browser door listens from the next start on, when a test
    /// needs it to come back where a browser left it (port 0 otherwise).
    web_listen: Option<SocketAddr>,
    // Last, so the process is killed before its directory goes.
    dir: TempDir,
}

impl TestServer {
    /// Starts a server with the shipped configuration.
    #[track_caller]
    pub fn start() -> TestServer {
        TestServer::start_with("")
    }

    /// Starts a server with `extra` (TOML, e.g. `idle_timeout = "10s"` or
    /// `[limits]\nsend_queue = "64KiB"`) merged over the shipped configuration.
    #[track_caller]
    pub fn start_with(extra: &str) -> TestServer {
        let dir = tempfile::Builder::new()
            .prefix("chatd-test-")
            .tempdir()
            .expect("create a temp dir");
        let config = dir.path().join("chat.toml");
        std::fs::write(&config, chat_toml(extra, dir.path())).expect("write chat.toml");
        let mut server = TestServer {
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            shared: Arc::new(Shared {
                log: Mutex::new(Log::default()),
                log_changed: Condvar::new(),
                clients: Mutex::new(Vec::new()),
            }),
            config,
            web_listen: None,
            dir,
        };
        server.launch();
        server
    }

    /// The text door's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The UDP door's address (of the running process).
    pub fn udp_addr(&self) -> SocketAddr {
        self.door_addr("udp")
    }

    /// The browser door's address (of the running process).
    pub fn web_addr(&self) -> SocketAddr {
        self.door_addr("web")
    }

    /// The IRC door's address (of the running process).
    pub fn irc_addr(&self) -> SocketAddr {
        self.door_addr("irc")
    }

    fn door_addr(&self, door: &str) -> SocketAddr {
        let marker = format!("{door} door listening on ");
        let line = self.wait_for_log(&marker);
        match line
            .rsplit(&marker)
            .next()
            .and_then(|a| a.trim().parse().ok())
        {
            Some(addr) => addr,
            None => self.fail(&format!("can't read an address in the log line {line:?}")),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("chat.db")
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server is running").id()
    }

    /// Starts the process and waits for the text door's listening line.
    #[track_caller]
    fn launch(&mut self) {
        assert!(
            self.child.is_none(),
            "launch: the server is already running"
        );
        let mut command = Command::new(env!("CARGO_BIN_EXE_chatd"));
        command
            .arg("serve")
            .arg("--config")
            .arg(&self.config)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--db")
            .arg(self.db_path());
        if let Some(web) = self.web_listen {
            command.arg("--web-listen").arg(web.to_string());
        }
        let mut child = command
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start target/debug/chatd");
        let stderr = child.stderr.take().expect("stderr is piped");
        let run = {
            let mut log = lock(&self.shared.log);
            log.run += 1;
            log.run
        };
        let shared = Arc::clone(&self.shared);
        thread::Builder::new()
            .name(format!("chatd-stderr-{run}"))
            .spawn(move || read_log(run, stderr, &shared))
            .expect("start the log reader");
        self.child = Some(child);
        let line = self.wait_for_log("text door listening on ");
        let addr = line
            .rsplit("text door listening on ")
            .next()
            .and_then(|a| a.trim().parse().ok());
        match addr {
            Some(addr) => self.addr = addr,
            None => self.fail(&format!("can't read an address in the log line {line:?}")),
        }
    }

    /// Waits until the running process logs a line containing `text` (or
    /// has logged one already) and returns it. Panics, with the log, if the
    /// process exits or [`SERVER_TIMEOUT`] passes first.
    #[track_caller]
    pub fn wait_for_log(&self, text: &str) -> String {
        match self.wait_log(text, SERVER_TIMEOUT) {
            Ok(line) => line,
            Err(why) => self.fail(&format!("expected a log line containing {text:?}: {why}")),
        }
    }

    fn wait_log(&self, text: &str, timeout: Duration) -> Result<String, String> {
        self.watch_log(timeout, |lines| {
            lines
                .iter()
                .find(|l| l.contains(text))
                .map(|l| l.to_string())
        })
    }

    /// Waits until the running process has logged at least `count` lines
    /// containing `text` (or [`SERVER_TIMEOUT`] passes) and returns how many
    /// it has logged by then.
    pub fn wait_for_log_count(&self, text: &str, count: usize) -> usize {
        let seen = |lines: &[&String]| lines.iter().filter(|l| l.contains(text)).count();
        match self.watch_log(SERVER_TIMEOUT, |lines| {
            Some(seen(lines)).filter(|&n| n >= count)
        }) {
            Ok(n) => n,
            Err(_) => seen(&self.log_lines().iter().collect::<Vec<_>>()),
        }
    }

    /// Looks at the running process's log lines with `look` each time they
    /// change, until it finds something, the process exits, or `timeout`
    /// passes.
    fn watch_log<T>(
        &self,
        timeout: Duration,
        mut look: impl FnMut(&[&String]) -> Option<T>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + timeout;
        let mut log = lock(&self.shared.log);
        loop {
            let run = log.run;
            let lines: Vec<&String> = log
                .lines
                .iter()
                .filter(|(r, _)| *r == run)
                .map(|(_, l)| l)
                .collect();
            if let Some(found) = look(&lines) {
                return Ok(found);
            }
            if log.ended.contains(&run) {
                return Err("the server exited".into());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(format!("none within {timeout:?}"));
            }
            log = self
                .shared
                .log_changed
                .wait_timeout(log, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Every line the running process has logged so far.
    pub fn log_lines(&self) -> Vec<String> {
        let log = lock(&self.shared.log);
        let run = log.run;
        log.lines
            .iter()
            .filter(|(r, _)| *r == run)
            .map(|(_, l)| l.clone())
            .collect()
    }

    /// `kill -9`: the process gets no chance to tidy up.
    pub fn kill_hard(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // Child::kill is SIGKILL, sent to this child's PID only.
        let _ = child.kill();
        let _ = child.wait();
    }

    /// SIGTERM, as an operator's `kill PID` or a service manager would send:
    /// waits for the process to exit by itself.
    #[track_caller]
    pub fn terminate(&mut self) {
        let pid = self.pid().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill(1)");
        assert!(status.success(), "kill -TERM {pid} failed: {status}");
        self.wait_for_exit();
    }

    /// Waits for the running process to exit (its stderr ends) and reaps it.
    #[track_caller]
    pub fn wait_for_exit(&mut self) {
        let deadline = Instant::now() + SERVER_TIMEOUT;
        let mut log = lock(&self.shared.log);
        while !log.ended.contains(&log.run) {
            let now = Instant::now();
            if now >= deadline {
                drop(log);
                self.fail(&format!(
                    "the server did not exit within {SERVER_TIMEOUT:?}"
                ));
            }
            log = self
                .shared
                .log_changed
                .wait_timeout(log, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        drop(log);
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same temp dir, configuration and
    /// database (killing it first if it still runs). Its address changes.
    #[track_caller]
    pub fn restart(&mut self) {
        self.kill_hard();
        self.launch();
    }

    /// Stops the server in order (SIGTERM) and starts it again on the
    /// same dir and database with the browser door on the address it had,
    /// as a service manager's restart does: a page open on it can
    /// reconnect. The other doors' addresses change.
    #[track_caller]
    pub fn restart_keeping_the_web_address(&mut self) {
        self.web_listen = Some(self.web_addr());
        self.terminate();
        self.launch();
    }

    /// Whether the running process has logged a line containing `text`
    /// yet; doesn't wait.
    pub fn has_logged(&self, text: &str) -> bool {
        let log = lock(&self.shared.log);
        log.lines
            .iter()
            .any(|(r, l)| *r == log.run && l.contains(text))
    }

    /// Panics with `why`, every client's transcript and the server's log.
    #[track_caller]
    pub fn fail(&self, why: &str) -> ! {
        panic!("{}", report(&self.shared, None, why))
    }
}

/// Reads `stream` to its end (it must end within [`LINE_TIMEOUT`] of
/// silence) and returns what it read; for a socket a test holds without a
/// [`Client`], like one that never reads until it is cut off.
pub fn read_until_closed(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    stream.set_read_timeout(Some(LINE_TIMEOUT))?;
    let mut all = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(all),
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // A reset after the data is a close too.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(all),
            Err(e) => return Err(e),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill_hard();
    }
}

fn read_log(run: u32, stderr: impl Read, shared: &Shared) {
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).unwrap_or(0);
        let mut log = lock(&shared.log);
        if n == 0 {
            log.ended.push(run);
            shared.log_changed.notify_all();
            return;
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        log.lines.push((run, text));
        shared.log_changed.notify_all();
    }
}

// ---------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------

/// One connection's record, shared by the test and the client's reader thread.
struct Conn {
    inbox: Mutex<Inbox>,
    changed: Condvar,
}

struct Inbox {
    /// The client's nickname once logged in, before that `client N`.
    name: String,
    local: Option<SocketAddr>,
    /// Every byte received.
    raw: Vec<u8>,
    /// How far the test has read `raw`.
    pos: usize,
    /// How far the reader thread has split `raw` into transcript lines.
    split: usize,
    /// Why the connection ended, once it has.
    closed: Option<String>,
    /// Sent, received and expected, in the order it happened.
    transcript: Vec<Entry>,
}

enum Entry {
    Sent(String),
    /// A received line and the offset in `raw` just past its CRLF.
    Received(String, usize),
    Expected(String),
}

impl Inbox {
    /// The complete line starting at `from`, and the offset after its CRLF.
    fn line_at(&self, from: usize) -> Option<(String, usize)> {
        let rest = &self.raw[from.min(self.raw.len())..];
        let end = find(rest, b"\r\n")?;
        let line = String::from_utf8_lossy(&rest[..end]).into_owned();
        Some((line, from + end + 2))
    }

    /// The complete lines starting at `from` that end by `to`.
    fn lines_between(&self, from: usize, to: usize) -> Vec<String> {
        let mut lines = Vec::new();
        let mut at = from;
        while let Some((line, next)) = self.line_at(at) {
            if next > to {
                break;
            }
            at = next;
            lines.push(line);
        }
        lines
    }

    fn split_lines(&mut self) {
        while let Some((line, next)) = self.line_at(self.split) {
            self.transcript.push(Entry::Received(line, next));
            self.split = next;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What [`Client::next_line`] waits for.
const ANY_LINE: &str = "another line";

/// A place in what a client has received; see [`Client::mark`].
#[derive(Clone, Copy, Debug)]
pub struct Mark(usize);

/// A telnet/netcat user: sends lines, and waits for the lines it expects.
/// Every `expect…` reads forward: the lines before the one it finds are
/// passed over (and kept for the transcript). Dropping it closes the socket.
pub struct Client {
    stream: TcpStream,
    conn: Arc<Conn>,
    shared: Arc<Shared>,
    nick: Option<String>,
    syncs: u32,
}

impl Client {
    /// Connects to the server's text door.
    #[track_caller]
    pub fn connect(server: &TestServer) -> Client {
        Client::connect_to(server, server.addr(), None)
    }

    /// Connects to the text door from another loopback address, e.g.
    /// 127.0.0.2, as a second person on another machine would (Linux
    /// answers on all of 127.0.0.0/8).
    #[track_caller]
    pub fn connect_from(server: &TestServer, ip: [u8; 4]) -> Client {
        Client::connect_from_to(server, server.addr(), None, Some(ip.into()))
    }

    /// Connects to `addr`, a door of `server`; `name` is the transcript's
    /// until a login names it, `client N` without one.
    #[track_caller]
    fn connect_to(server: &TestServer, addr: SocketAddr, name: Option<String>) -> Client {
        Client::connect_from_to(server, addr, name, None)
    }

    #[track_caller]
    fn connect_from_to(
        server: &TestServer,
        addr: SocketAddr,
        name: Option<String>,
        from: Option<std::net::IpAddr>,
    ) -> Client {
        let connected = match from {
            None => TcpStream::connect(addr),
            Some(ip) => (|| {
                let socket =
                    socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
                socket.bind(&SocketAddr::new(ip, 0).into())?;
                socket.connect(&addr.into())?;
                Ok(socket.into())
            })(),
        };
        let stream = match connected {
            Ok(stream) => stream,
            Err(e) => server.fail(&format!("can't connect to {addr}: {e}")),
        };
        Client::reading_with(server, stream, name, read_loop)
    }

    /// A client on `stream` whose received lines are what `read` puts in
    /// its inbox (for a protocol that is not lines on the wire).
    fn reading_with(
        server: &TestServer,
        stream: TcpStream,
        name: Option<String>,
        read: fn(TcpStream, &Conn),
    ) -> Client {
        let conn = {
            let mut clients = lock(&server.shared.clients);
            let conn = Arc::new(Conn {
                inbox: Mutex::new(Inbox {
                    name: name.unwrap_or_else(|| format!("client {}", clients.len() + 1)),
                    local: stream.local_addr().ok(),
                    raw: Vec::new(),
                    pos: 0,
                    split: 0,
                    closed: None,
                    transcript: Vec::new(),
                }),
                changed: Condvar::new(),
            });
            clients.push(Arc::clone(&conn));
            conn
        };
        let reading = stream.try_clone().expect("clone the client socket");
        let for_reader = Arc::clone(&conn);
        thread::Builder::new()
            .name("client-reader".into())
            .spawn(move || read(reading, &for_reader))
            .expect("start a client reader");
        Client {
            stream,
            conn,
            shared: Arc::clone(&server.shared),
            nick: None,
            syncs: 0,
        }
    }

    /// The socket itself, for writing bytes the helpers would not.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Connects and logs in as `nick`.
    #[track_caller]
    pub fn logged_in(server: &TestServer, nick: &str) -> Client {
        let mut client = Client::connect(server);
        client.login(nick);
        client
    }

    /// Answers the nickname prompt with `nick` and expects the welcome.
    #[track_caller]
    pub fn login(&mut self, nick: &str) {
        self.expect_prompt(NICK_PROMPT);
        self.send(nick);
        self.expect_line(&format!("Log in successful. Welcome {nick}."));
        self.nick = Some(nick.to_string());
        lock(&self.conn.inbox).name = nick.to_string();
    }

    /// Sends `bytes` (which end with the nickname's line) at the nickname
    /// prompt and expects the welcome: for logins with telnet negotiation in
    /// front, or netcat's bare LF.
    #[track_caller]
    pub fn login_raw(&mut self, bytes: &[u8], nick: &str) {
        self.expect_prompt(NICK_PROMPT);
        self.send_raw(bytes);
        self.expect_line(&format!("Log in successful. Welcome {nick}."));
        self.nick = Some(nick.to_string());
        lock(&self.conn.inbox).name = nick.to_string();
    }

    /// This end's address, as the server's log names the connection.
    pub fn local_addr(&self) -> SocketAddr {
        self.stream
            .local_addr()
            .expect("a connected socket has an address")
    }

    #[track_caller]
    pub fn nick(&self) -> &str {
        match &self.nick {
            Some(nick) => nick,
            None => self.fail("this client has not logged in with Client::login"),
        }
    }

    /// Sends `line` and CRLF, as telnet does.
    #[track_caller]
    pub fn send(&mut self, line: &str) {
        let mut bytes = line.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        let shown = match line {
            "" => "(an empty line)".to_string(),
            line => shorten(&printable(line)),
        };
        self.write(&bytes, shown);
    }

    /// Sends exactly `bytes`; nothing is added.
    #[track_caller]
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.write(
            bytes,
            format!("(raw) {}", shorten(&bytes.escape_ascii().to_string())),
        );
    }

    #[track_caller]
    fn write(&mut self, bytes: &[u8], shown: String) {
        lock(&self.conn.inbox).transcript.push(Entry::Sent(shown));
        if let Err(e) = self.stream.write_all(bytes) {
            self.fail(&format!("sending failed: {e}"));
        }
    }

    /// Waits for the next line containing `text`; returns it.
    #[track_caller]
    pub fn expect(&mut self, text: &str) -> String {
        self.expect_where(&format!("a line containing {text:?}"), |line| {
            line.contains(text)
        })
    }

    /// Waits for the next line that is exactly `line` (without its CRLF).
    #[track_caller]
    pub fn expect_line(&mut self, line: &str) -> String {
        self.expect_where(&format!("the line {line:?}"), |got| got == line)
    }

    /// Waits for the next line that `wanted` accepts; `what` describes it
    /// for the transcript.
    #[track_caller]
    pub fn expect_where(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        self.expect_within(LINE_TIMEOUT, what, wanted)
    }

    /// [`Client::expect_where`] with a deadline of its own.
    #[track_caller]
    pub fn expect_within(
        &mut self,
        timeout: Duration,
        what: &str,
        wanted: impl Fn(&str) -> bool,
    ) -> String {
        self.wait_within(timeout, what, |inbox| {
            while let Some((line, next)) = inbox.line_at(inbox.pos) {
                inbox.pos = next;
                if wanted(&line) {
                    return Some(line);
                }
            }
            None
        })
    }

    /// Expects the very next line to be exactly `line`.
    #[track_caller]
    pub fn expect_next(&mut self, line: &str) -> String {
        self.expect_next_where(&format!("the next line to be {line:?}"), |got| got == line)
    }

    /// Expects the very next line to be one that `wanted` accepts.
    #[track_caller]
    pub fn expect_next_where(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let mut wrong = None;
        let got = self.wait(what, |inbox| {
            let (got, next) = inbox.line_at(inbox.pos)?;
            inbox.pos = next;
            if !wanted(&got) {
                wrong = Some(got.clone());
            }
            Some(got)
        });
        if let Some(wrong) = wrong {
            self.fail(&format!("expected {what}, got {wrong:?}"));
        }
        got
    }

    /// Waits for the next line, whatever it is.
    #[track_caller]
    pub fn next_line(&mut self) -> String {
        self.wait(ANY_LINE, |inbox| {
            let (line, next) = inbox.line_at(inbox.pos)?;
            inbox.pos = next;
            Some(line)
        })
    }

    /// Where the test has read up to, for [`Client::lines_since`] and
    /// [`Client::expect_no_since`].
    pub fn mark(&self) -> Mark {
        Mark(lock(&self.conn.inbox).pos)
    }

    /// The complete lines received after `mark`, read by the test or not.
    pub fn lines_since(&self, mark: Mark) -> Vec<String> {
        lock(&self.conn.inbox).lines_between(mark.0, usize::MAX)
    }

    /// The lines after `mark` that the test has read (expected, or passed
    /// over to find what it expected).
    pub fn lines_read_since(&self, mark: Mark) -> Vec<String> {
        let inbox = lock(&self.conn.inbox);
        inbox.lines_between(mark.0, inbox.pos)
    }

    /// Waits for `prompt`, which has no line end, and reads past it.
    #[track_caller]
    pub fn expect_prompt(&mut self, prompt: &str) {
        self.wait(&format!("the prompt {prompt:?}"), |inbox| {
            let at = find(&inbox.raw[inbox.pos..], prompt.as_bytes())?;
            inbox.pos += at + prompt.len();
            Some(())
        })
    }

    /// Waits for the server to close the connection (end of stream, or reset).
    #[track_caller]
    pub fn expect_closed(&mut self) {
        self.expect_closed_within(LINE_TIMEOUT)
    }

    /// [`Client::expect_closed`] with a deadline of its own.
    #[track_caller]
    pub fn expect_closed_within(&mut self, timeout: Duration) {
        self.wait_within(timeout, "the server to close the connection", |inbox| {
            inbox.closed.as_ref().map(|_| ())
        })
    }

    /// Waits up to `timeout` for a line containing `text`; unlike `expect`
    /// it reads nothing if none comes.
    pub fn wait_for(&mut self, text: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let mut inbox = lock(&self.conn.inbox);
        loop {
            let mut at = inbox.pos;
            while let Some((line, next)) = inbox.line_at(at) {
                at = next;
                if line.contains(text) {
                    inbox.pos = next;
                    inbox
                        .transcript
                        .push(Entry::Expected(format!("a line containing {text:?}")));
                    return Some(line);
                }
            }
            let now = Instant::now();
            if now >= deadline || inbox.closed.is_some() {
                return None;
            }
            inbox = self
                .conn
                .changed
                .wait_timeout(inbox, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Proves that everything the hub queued for this client before now has
    /// arrived: a private message to itself comes back after it. Returns the
    /// lines that arrived before the answer.
    #[track_caller]
    pub fn sync(&mut self) -> Vec<String> {
        let from = self.mark();
        self.sync_since(from)
    }

    /// [`Client::sync`], returning the lines since `from`.
    #[track_caller]
    fn sync_since(&mut self, from: Mark) -> Vec<String> {
        self.syncs += 1;
        let nick = self.nick().to_string();
        let token = format!("sync-{}", self.syncs);
        self.send(&format!("/msg {nick} {token}"));
        let answer = format!("-> {nick} [**private**]: {token}");
        self.expect_line(&answer);
        let echo = format!("{nick} [**private**]: {token}");
        let mut lines = self.lines_read_since(from);
        lines.retain(|line| *line != answer && *line != echo);
        lines
    }

    /// Asserts that no line containing `text` has arrived or is on its way:
    /// syncs (see [`Client::sync`]) and checks the lines before the answer.
    /// To check that something someone else did was not heard, first wait
    /// for the doer's own confirmation, so that the hub has handled it.
    #[track_caller]
    pub fn expect_no(&mut self, text: &str) {
        let from = self.mark();
        self.expect_no_since(from, text);
    }

    /// [`Client::expect_no`], for the lines since `from` (some of which
    /// the test may have read already).
    #[track_caller]
    pub fn expect_no_since(&mut self, from: Mark, text: &str) {
        let lines = self.sync_since(from);
        if let Some(line) = lines.iter().find(|l| l.contains(text)) {
            self.fail(&format!(
                "expected no line containing {text:?}, got {line:?}"
            ));
        }
        self.note(format!("no line containing {text:?}"));
    }

    /// Notes in the transcript an expectation met.
    fn note(&self, what: String) {
        lock(&self.conn.inbox)
            .transcript
            .push(Entry::Expected(what));
    }

    /// Asserts that no line containing `text` arrives within `within`. For
    /// a client that can't [`Client::sync`] (not logged in); it costs time.
    #[track_caller]
    pub fn expect_no_within(&mut self, text: &str, within: Duration) {
        if let Some(line) = self.wait_for(text, within) {
            self.fail(&format!(
                "expected no line containing {text:?}, got {line:?}"
            ));
        }
    }

    /// Every byte received so far, for byte-level checks.
    pub fn received_raw(&self) -> Vec<u8> {
        lock(&self.conn.inbox).raw.clone()
    }

    /// Closes the socket without a word, as a crashed client would.
    pub fn drop_connection(self) {
        drop(self);
    }

    /// Runs `until` on the inbox, waiting for more bytes, until it gives a
    /// value; panics with the transcript after [`LINE_TIMEOUT`] or when the
    /// connection has closed with nothing left to find.
    #[track_caller]
    fn wait<T>(&mut self, what: &str, until: impl FnMut(&mut Inbox) -> Option<T>) -> T {
        self.wait_within(LINE_TIMEOUT, what, until)
    }

    /// [`Client::wait`] with a deadline of its own.
    #[track_caller]
    fn wait_within<T>(
        &mut self,
        timeout: Duration,
        what: &str,
        mut until: impl FnMut(&mut Inbox) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        let mut inbox = lock(&self.conn.inbox);
        let why = loop {
            if let Some(value) = until(&mut inbox) {
                // Reading the next line, whatever it is, is not worth a note.
                if what != ANY_LINE {
                    inbox.transcript.push(Entry::Expected(what.to_string()));
                }
                return value;
            }
            if let Some(closed) = &inbox.closed {
                break format!("expected {what}, but the connection closed ({closed})");
            }
            let now = Instant::now();
            if now >= deadline {
                break format!("expected {what} within {timeout:?}; it did not come");
            }
            inbox = self
                .conn
                .changed
                .wait_timeout(inbox, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        };
        drop(inbox);
        self.fail(&why)
    }

    /// Panics with `why`, this client's transcript first, then every other
    /// client's and the server's log.
    #[track_caller]
    pub fn fail(&self, why: &str) -> ! {
        panic!("{}", report(&self.shared, Some(&self.conn), why))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // Also ends the reader thread's blocking read.
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

fn read_loop(mut stream: TcpStream, conn: &Conn) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let result = stream.read(&mut buf);
        let mut inbox = lock(&conn.inbox);
        match result {
            Ok(0) => inbox.closed = Some("end of stream".into()),
            Ok(n) => {
                inbox.raw.extend_from_slice(&buf[..n]);
                inbox.split_lines();
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => inbox.closed = Some(format!("read error: {e}")),
        }
        conn.changed.notify_all();
        if inbox.closed.is_some() {
            return;
        }
    }
}

// ---------------------------------------------------------------------------
// Telnet lines
// ---------------------------------------------------------------------------

/// Whether `line` has the shape of `pattern`, where each `#` stands for one
/// ASCII digit and every other character for itself (times and dates vary).
pub fn fits(line: &str, pattern: &str) -> bool {
    line.len() == pattern.len()
        && line.bytes().zip(pattern.bytes()).all(|(l, p)| match p {
            b'#' => l.is_ascii_digit(),
            p => l == p,
        })
}

/// Waits for the next line shaped like `pattern` (see [`fits`]), passing
/// over others, like [`Client::expect_line`].
#[track_caller]
pub fn expect_shape(client: &mut Client, pattern: &str) -> String {
    client.expect_where(&format!("a line shaped {pattern:?} (# a digit)"), |line| {
        fits(line, pattern)
    })
}

/// A `/users` line: `printf "%-15s (on %02d:%02d:%02d) Channels: %s"`, the
/// time a pattern for [`fits`].
pub fn users_line(nick: &str, channels: &str) -> String {
    format!("{nick:<15} (on ##:##:##) Channels: {channels}")
}

// ---------------------------------------------------------------------------
// Accounts and `chatd admin`
// ---------------------------------------------------------------------------

/// What a guest is told who registers `nick`.
pub fn registered(nick: &str) -> String {
    format!("Your nickname {nick} is registered: from now on it asks for your password.")
}

impl Client {
    /// Registers the nickname this client is logged in with.
    #[track_caller]
    pub fn register(&mut self, password: &str) {
        let nick = self.nick().to_string();
        self.send(&format!("/register {password}"));
        self.expect_line(&registered(&nick));
    }

    /// At the nickname prompt, types `typed` and `password` (in one go, as
    /// a quick typist would) and expects to be welcome as `nick`, the
    /// owner's spelling.
    #[track_caller]
    pub fn log_in_as_owner(&mut self, typed: &str, password: &str, nick: &str) {
        self.login_raw(format!("{typed}\r\n{password}\r\n").as_bytes(), nick);
    }
}

/// A telnet guest who registers `nick` with `password` and stays.
#[track_caller]
pub fn registered_guest(server: &TestServer, nick: &str, password: &str) -> Client {
    let mut client = Client::logged_in(server, nick);
    client.register(password);
    client
}

/// [`registered_guest`], then `/quit`.
#[track_caller]
pub fn register_and_leave(server: &TestServer, nick: &str, password: &str) {
    let mut client = registered_guest(server, nick, password);
    client.send("/quit");
    client.expect_closed();
}

/// Connects and logs in as the owner of registered `nick`.
#[track_caller]
pub fn owner(server: &TestServer, nick: &str, password: &str) -> Client {
    let mut client = Client::connect(server);
    client.log_in_as_owner(nick, password, nick);
    client
}

/// Runs `command` to its end with `stdin` as its standard input and returns
/// what it printed. If it is still running after `within`, kills it (by its
/// PID) and panics with what it had printed.
pub fn run_to_end(mut command: Command, stdin: &[u8], within: Duration) -> Output {
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("can't run {shown}: {e}"));
    let pid = child.id();
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_vec();
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        // A program that reads nothing may close its end first.
        let _ = input.write_all(&stdin);
        drop(input);
        let _ = done.send(child.wait_with_output());
    });
    let output = match finished.recv_timeout(within) {
        Ok(output) => output,
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            let output = finished.recv().expect("the waiting thread answers");
            let stderr = output
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .unwrap_or_default();
            panic!("{shown} was still running after {within:?}; killed it. stderr:\n{stderr}");
        }
    };
    output.unwrap_or_else(|e| panic!("waiting for {shown}: {e}"))
}

/// `chatd admin ARGS` on the server's configuration and database (which
/// WAL lets it use while the server runs), with `stdin` as its standard
/// input (not a terminal: a password is one line).
pub fn admin(server: &TestServer, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chatd"));
    command
        .arg("admin")
        .arg("--config")
        .arg(server.dir().join("chat.toml"))
        .arg("--db")
        .arg(server.db_path())
        .args(args)
        .current_dir(server.dir());
    run_to_end(command, stdin.as_bytes(), Duration::from_secs(10))
}

/// [`admin`] that must succeed; returns its standard output.
#[track_caller]
pub fn admin_ok(server: &TestServer, args: &[&str], stdin: &str) -> String {
    let output = admin(server, args, stdin);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        server.fail(&format!(
            "chatd admin {args:?} failed ({}):\nstdout: {stdout}\nstderr: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    stdout
}

// ---------------------------------------------------------------------------
// The failure report
// ---------------------------------------------------------------------------

/// Longest line shown in a transcript, in characters.
const SHOW_CHARS: usize = 200;
/// Transcript entries shown per client: the first few and the most recent.
const SHOW_FIRST: usize = 60;
const SHOW_LAST: usize = 240;
const SHOW_LOG: usize = 150;

/// Control characters escaped, so a transcript shows what was really there.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn shorten(text: &str) -> String {
    let count = text.chars().count();
    if count <= SHOW_CHARS {
        return text.to_string();
    }
    let head: String = text.chars().take(SHOW_CHARS).collect();
    format!("{head}… ({count} characters in all)")
}

fn report(shared: &Shared, failed: Option<&Arc<Conn>>, why: &str) -> String {
    let mut out = String::new();
    let who = failed.map(|c| lock(&c.inbox).name.clone());
    let _ = writeln!(out, "\n==== {}: {why}", who.as_deref().unwrap_or("server"));
    let _ = writeln!(
        out,
        "(>> sent, << received and read by the test, <. received, not read yet, \
         == an expectation met)"
    );
    let clients = lock(&shared.clients).clone();
    let mut order: Vec<&Arc<Conn>> = failed.into_iter().collect();
    order.extend(
        clients
            .iter()
            .filter(|c| !failed.is_some_and(|f| Arc::ptr_eq(f, c))),
    );
    for conn in order {
        client_transcript(&mut out, &lock(&conn.inbox));
    }
    let log = lock(&shared.log);
    let _ = writeln!(out, "---- server log (stderr) ----");
    let skip = log.lines.len().saturating_sub(SHOW_LOG);
    if skip > 0 {
        let _ = writeln!(out, "   … {skip} earlier lines …");
    }
    for (run, line) in &log.lines[skip..] {
        let _ = writeln!(out, "[run {run}] {}", shorten(line));
    }
    if log.ended.contains(&log.run) {
        let _ = writeln!(out, "(the server has exited)");
    }
    let _ = writeln!(out, "==== {}: {why}", who.as_deref().unwrap_or("server"));
    out
}

fn client_transcript(out: &mut String, inbox: &Inbox) {
    let local = inbox.local.map(|a| a.to_string()).unwrap_or_default();
    let _ = writeln!(out, "---- {} (from {local}) ----", inbox.name);
    let n = inbox.transcript.len();
    for (i, entry) in inbox.transcript.iter().enumerate() {
        if n > SHOW_FIRST + SHOW_LAST && i >= SHOW_FIRST && i < n - SHOW_LAST {
            if i == SHOW_FIRST {
                let _ = writeln!(out, "   … {} entries …", n - SHOW_FIRST - SHOW_LAST);
            }
            continue;
        }
        let _ = match entry {
            Entry::Sent(text) => writeln!(out, ">> {text}"),
            Entry::Received(line, end) => {
                let mark = if *end <= inbox.pos { "<<" } else { "<." };
                writeln!(out, "{mark} {}", shorten(&printable(line)))
            }
            Entry::Expected(what) => writeln!(out, "== {what}"),
        };
    }
    let partial = &inbox.raw[inbox.split..];
    if !partial.is_empty() {
        let text = printable(&String::from_utf8_lossy(partial));
        let _ = writeln!(out, "<. {} (no line end yet)", shorten(&text));
    }
    match &inbox.closed {
        Some(why) => writeln!(out, "(connection closed: {why})"),
        None => writeln!(out, "(connection open)"),
    }
    .ok();
}
