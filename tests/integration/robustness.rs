//! Holding up under load, abuse and faults: a flooding client is slowed, then
//! cut off, while others chat on; SIGTERM with many clients on line; kill -9
//! in the middle of a storm of registrations loses none that was confirmed;
//! the connection limit; a bad chat.toml. Each test has its own server.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::support::{
    read_until_closed, run_to_end, Client, TestServer, CHEAP, LINE_TIMEOUT, NICK_PROMPT,
    SERVER_TIMEOUT,
};

/// A `chatd serve` this file runs itself, for what the harness does not
/// show: the exit status. Its stderr lines arrive on a channel.
struct Daemon {
    child: Option<Child>,
    addr: SocketAddr,
    log: Vec<String>,
    lines: mpsc::Receiver<String>,
    _dir: TempDir,
}

impl Daemon {
    /// Starts chatd with `config` (a whole chat.toml, to which the test's
    /// listen addresses and database are added) and waits until it listens.
    fn start(config: &str) -> Daemon {
        let dir = tempfile::Builder::new()
            .prefix("chatd-robustness-")
            .tempdir()
            .expect("create a temp dir");
        let db = dir.path().join("chat.db");
        let text = format!(
            "{config}\n[text]\nlisten = \"127.0.0.1:0\"\n[udp]\nenabled = false\n\
             [irc]\nenabled = false\n[web]\nenabled = false\n[database]\npath = {:?}\n",
            db.display().to_string()
        );
        std::fs::write(dir.path().join("chat.toml"), text).expect("write chat.toml");
        let mut child = Command::new(env!("CARGO_BIN_EXE_chatd"))
            .args(["serve", "--config", "chat.toml"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chatd");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = std::io::BufReader::new(stderr);
            let mut line = String::new();
            while std::io::BufRead::read_line(&mut reader, &mut line).unwrap_or(0) > 0 {
                if tx.send(line.trim_end().to_string()).is_err() {
                    return;
                }
                line.clear();
            }
        });
        let mut daemon = Daemon {
            child: Some(child),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log: Vec::new(),
            lines,
            _dir: dir,
        };
        let marker = "text door listening on ";
        let line = daemon.wait_for_log(marker);
        daemon.addr = line
            .rsplit(marker)
            .next()
            .and_then(|a| a.trim().parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        daemon
    }

    /// Waits for a stderr line containing `text`.
    fn wait_for_log(&mut self, text: &str) -> String {
        if let Some(line) = self.log.iter().find(|l| l.contains(text)) {
            return line.clone();
        }
        let deadline = Instant::now() + SERVER_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(why) => panic!(
                    "expected a log line containing {text:?} ({why:?}); the log:\n{}",
                    self.log.join("\n")
                ),
            }
        }
    }

    /// `kill -TERM`, by its PID.
    fn terminate(&self) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill(1)");
        assert!(status.success(), "kill -TERM {pid} failed: {status}");
    }

    /// Waits up to `within` for the process to exit (its stderr ends), and
    /// returns its exit status.
    fn wait_for_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.log.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                    "chatd did not exit within {within:?}; the log:\n{}",
                    self.log.join("\n")
                ),
            }
        }
        let mut child = self.child.take().expect("running");
        child.wait().expect("reap chatd")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A bare connection to a [`Daemon`], reading until it sees what it wants.
struct Raw {
    stream: TcpStream,
    got: Vec<u8>,
}

impl Raw {
    fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).expect("connect to chatd");
        stream
            .set_read_timeout(Some(LINE_TIMEOUT))
            .expect("set a read timeout");
        Raw {
            stream,
            got: Vec::new(),
        }
    }

    /// Reads until what it has received contains `text`.
    fn read_until(&mut self, text: &str) {
        let mut buf = [0u8; 4096];
        while !self.got.windows(text.len()).any(|w| w == text.as_bytes()) {
            match self.stream.read(&mut buf) {
                Ok(0) => panic!(
                    "expected {text:?}, but the connection closed; got {:?}",
                    String::from_utf8_lossy(&self.got)
                ),
                Ok(n) => self.got.extend_from_slice(&buf[..n]),
                Err(e) => panic!(
                    "expected {text:?}: {e}; got {:?}",
                    String::from_utf8_lossy(&self.got)
                ),
            }
        }
    }

    fn send(&mut self, line: &str) {
        self.stream
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("send a line");
    }
}

/// Waits until `a` hears `text`, making sure meanwhile that `a` and `b` can
/// still talk: each round (about 3 a second, within any flood limit), a line
/// from each reaches the other. Returns the number of rounds.
fn chat_until(a: &mut Client, b: &mut Client, text: &str, within: Duration) -> usize {
    let started = Instant::now();
    let mut rounds = 0;
    loop {
        if a.wait_for(text, Duration::from_millis(300)).is_some() {
            return rounds;
        }
        if started.elapsed() > within {
            a.fail(&format!(
                "expected a line containing {text:?} within {within:?}"
            ));
        }
        rounds += 1;
        let (a_nick, b_nick) = (a.nick().to_string(), b.nick().to_string());
        a.send(&format!("still here {rounds}"));
        b.expect(&format!("{a_nick} [Lobby]: still here {rounds}"));
        b.send(&format!("me too {rounds}"));
        a.expect(&format!("{b_nick} [Lobby]: me too {rounds}"));
    }
}

const FLOOD_LIMITS: &str = "[limits]\nflood_rate = 5.0\nflood_burst = 10.0\n";

#[test]
fn a_burst_within_the_flood_limits_is_slowed_and_delivered_in_order() {
    let server = TestServer::start_with(&format!("{CHEAP}{FLOOD_LIMITS}"));
    let mut bob = Client::logged_in(&server, "bob");
    let mut eager = Client::logged_in(&server, "eager");
    bob.expect_line("<eager has entered Lobby>");

    // 15 lines at once: 10 pass, 5 are slowed to the rate of 5 a second (10
    // more would be allowed before a cut-off); every one arrives, in order.
    let burst: String = (1..=15).map(|n| format!("line {n:02}\r\n")).collect();
    let sent = Instant::now();
    eager.send_raw(burst.as_bytes());
    for n in 1..=15 {
        bob.expect_next(&format!("eager [Lobby]: line {n:02}"));
    }
    eager.send("and I'm still here");
    bob.expect_next("eager [Lobby]: and I'm still here");
    eager.expect_line("eager [Lobby]: and I'm still here");
    // Slowed: the 5 lines over the burst cost 1/5 s each before the server
    // reads on, so the line after them arrives 1 s after the burst at the
    // earliest. (A lower bound: a slow machine can't make this fail.)
    let took = sent.elapsed();
    if took < Duration::from_millis(900) {
        bob.fail(&format!(
            "15 lines at once and one more with flood_rate 5 and flood_burst 10 \
             took {took:?}; expected the 5 over the burst to cost about 1 s"
        ));
    }
    assert!(!server.has_logged("Excess flood"));
}

#[test]
fn a_flood_is_cut_off_while_others_chat_on() {
    let server = TestServer::start_with(&format!("{CHEAP}{FLOOD_LIMITS}"));
    let mut alice = Client::logged_in(&server, "alice");
    let mut bob = Client::logged_in(&server, "bob");
    alice.expect_line("<bob has entered Lobby>");
    let mut flooder = Client::logged_in(&server, "flooder");
    alice.expect_line("<flooder has entered Lobby>");
    bob.expect_line("<flooder has entered Lobby>");

    // 200 lines at once: 10 pass, 10 run up the debt, then the cut-off.
    let flood: String = (1..=200).map(|n| format!("flood {n:03}\r\n")).collect();
    let bob_start = bob.mark();
    flooder.send_raw(flood.as_bytes());
    // alice and bob talk on meanwhile, within the limits, every line
    // delivered. The cut-off is due once the debt is run up: 20 lines over
    // 10 at once, (20 - 10) / 5 = 2 s at most. 10 s is plenty.
    chat_until(
        &mut alice,
        &mut bob,
        "<flooder has left Lobby (Excess flood)>",
        Duration::from_secs(10),
    );
    flooder.expect_line("** Excess flood **");
    flooder.expect_closed();
    bob.expect_line("<flooder has left Lobby (Excess flood)>");
    server.wait_for_log("disconnecting 127.0.0.1:");
    // Nowhere near all of the flood got through.
    let heard = bob
        .lines_since(bob_start)
        .iter()
        .filter(|l| l.starts_with("flooder [Lobby]: flood "))
        .count();
    assert!(heard <= 21, "{heard} flooded lines got through");
    alice.send("/who");
    alice.expect_line("2 users online");
}

#[test]
fn sigterm_with_fifty_clients_tells_each_and_exits_0() {
    let mut daemon = Daemon::start(&format!("{CHEAP}[limits]\nconnections_per_ip = 100\n"));
    let mut clients: Vec<Raw> = Vec::new();
    for n in 0..50 {
        let mut client = Raw::connect(daemon.addr);
        client.read_until(NICK_PROMPT);
        // Most log in; some stay at the nickname prompt.
        if n % 5 != 4 {
            let nick = format!("user{n:02}");
            client.send(&nick);
            client.read_until(&format!("Log in successful. Welcome {nick}.\r\n"));
        }
        clients.push(client);
    }
    let last = &mut clients[48];
    last.send("/who");
    last.read_until("40 users online\r\n");

    let asked = Instant::now();
    daemon.terminate();
    for (n, client) in clients.iter_mut().enumerate() {
        let rest = read_until_closed(&mut client.stream)
            .unwrap_or_else(|e| panic!("client {n}: the connection did not end: {e}"));
        client.got.extend_from_slice(&rest);
        let all = String::from_utf8_lossy(&client.got);
        assert!(
            all.ends_with("** server shutting down **\r\n"),
            "client {n} did not hear the shutdown last; it got {all:?}"
        );
    }
    let status = daemon.wait_for_exit(Duration::from_secs(10));
    let took = asked.elapsed();
    assert_eq!(
        status.code(),
        Some(0),
        "exit status {status}; log:\n{}",
        daemon.log.join("\n")
    );
    // At most 5 s to drain, and a margin.
    assert!(took < Duration::from_secs(8), "took {took:?} to exit");
    daemon.wait_for_log("all connections closed; bye");
}

#[test]
fn kill_9_during_200_registrations_loses_none_that_was_confirmed() {
    const CLIENTS: usize = 200;
    let mut server = TestServer::start_with(&format!(
        "lobby = \"\"\n{CHEAP}max_concurrent_hashes = 4\n\
         [limits]\nconnections_per_ip = 300\nflood_rate = 100.0\nflood_burst = 100.0\n"
    ));
    let nicks: Vec<String> = (0..CLIENTS).map(|n| format!("reg{n:03}")).collect();
    let clients: Vec<Client> = nicks
        .iter()
        .map(|nick| Client::logged_in(&server, nick))
        .collect();

    let go = Arc::new(Barrier::new(CLIENTS + 1));
    let (report, outcomes) = mpsc::channel();
    let workers: Vec<_> = nicks
        .iter()
        .cloned()
        .zip(clients)
        .map(|(nick, mut client)| {
            let (go, report) = (Arc::clone(&go), report.clone());
            thread::spawn(move || {
                go.wait();
                client.send(&format!("/register {nick}-password"));
                let confirmed = format!(
                    "Your nickname {nick} is registered: from now on it asks for your password."
                );
                // Until the confirmation comes, or the connection ends.
                let acked = client.wait_for(&confirmed, SERVER_TIMEOUT).is_some();
                let _ = report.send((nick, acked));
                client
            })
        })
        .collect();
    drop(report);
    go.wait();

    // kill -9 once half are confirmed: the rest are in flight.
    let mut acked = Vec::new();
    let mut answered = 0;
    let mut killed_after = None;
    while let Ok((nick, yes)) = outcomes.recv_timeout(SERVER_TIMEOUT * 2) {
        answered += 1;
        if yes {
            acked.push(nick);
        }
        if acked.len() == CLIENTS / 2 && killed_after.is_none() {
            server.kill_hard();
            killed_after = Some(answered);
        }
        if answered == CLIENTS {
            break;
        }
    }
    assert_eq!(answered, CLIENTS, "every client says how it ended");
    for worker in workers {
        if let Err(panic) = worker.join() {
            std::panic::resume_unwind(panic);
        }
    }
    assert!(
        killed_after.is_some(),
        "only {} of {CLIENTS} registrations were confirmed",
        acked.len()
    );

    server.restart();
    let rows: Vec<(String, String)> = {
        let conn = rusqlite::Connection::open(server.db_path()).expect("open chat.db");
        let mut query = conn
            .prepare("SELECT nick, password_hash FROM accounts")
            .expect("prepare the query");
        let rows = query
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("query accounts");
        rows.collect::<Result<_, _>>().expect("read accounts")
    };
    // Whatever made it to disk is whole.
    if let Some((nick, hash)) = rows
        .iter()
        .find(|(_, hash)| !hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"))
    {
        server.fail(&format!("{nick} was stored with the hash {hash:?}"));
    }
    let stored: Vec<String> = rows.into_iter().map(|(nick, _)| nick).collect();
    eprintln!(
        "kill -9 after {} confirmations; {} confirmed in all, {} in the database",
        CLIENTS / 2,
        acked.len(),
        stored.len()
    );
    let lost: Vec<&String> = acked.iter().filter(|n| !stored.contains(n)).collect();
    if !lost.is_empty() {
        server.fail(&format!(
            "{} confirmed registrations are not in the database after kill -9: {lost:?}",
            lost.len()
        ));
    }
    for nick in &acked {
        let mut again = Client::connect(&server);
        again.expect_prompt(NICK_PROMPT);
        again.send(nick);
        again.expect_prompt(&format!("Password for {nick}: "));
    }
    let first = &acked[0];
    let mut owner = Client::connect(&server);
    owner.login_raw(format!("{first}\r\n{first}-password\r\n").as_bytes(), first);
}

#[test]
fn connections_beyond_max_connections_are_refused() {
    let server = TestServer::start_with(&format!("{CHEAP}[limits]\nmax_connections = 3\n"));
    let mut first = Client::connect(&server);
    first.expect_prompt(NICK_PROMPT);
    let mut second = Client::logged_in(&server, "second");
    let mut third = Client::logged_in(&server, "third");
    second.expect_line("<third has entered Lobby>");

    let mut fourth = Client::connect(&server);
    fourth.expect_next("** ERROR: the server is full (3 connections); try again later **");
    fourth.expect_closed();

    // The three let in carry on.
    first.send("first");
    first.expect_line("Log in successful. Welcome first.");
    third.send("still fine");
    second.expect_line("third [Lobby]: still fine");
    first.expect_line("third [Lobby]: still fine");
}

#[test]
fn a_bad_chat_toml_stops_the_start_with_file_line_and_key() {
    for (text, complaint) in [
        (
            "# chatd\nlog_level = \"info\"\n\nidle_timeout = \"fifteen\"\n",
            "chat.toml:4: idle_timeout: write a duration like \"15m\" (in quotes; s, m, h and d, as in \"90s\", \"1h30m\", \"1d\"), got \"fifteen\"",
        ),
        (
            "lobby = \"Lobby\"\n[accounts]\nallow_guests = true\nlogin_failure_window = \"soon\"\n",
            "chat.toml:4: login_failure_window: write a duration like \"15m\" (in quotes; s, m, h and d, as in \"90s\", \"1h30m\", \"1d\"), got \"soon\"",
        ),
        // Issue #16 point 6: a range error has its line too.
        (
            "[limits]\nline_length = 10\n",
            "chat.toml:2: limits.line_length: must be at least 64, got 10",
        ),
        (
            "[accounts]\nmin_password_length = \"8\"\n",
            "chat.toml:2: min_password_length: expected a whole number, without quotes, got \"8\"",
        ),
    ] {
        let dir = tempfile::tempdir().expect("create a temp dir");
        std::fs::write(dir.path().join("chat.toml"), text).expect("write chat.toml");
        let mut serve = Command::new(env!("CARGO_BIN_EXE_chatd"));
        serve
            .args(["serve", "--config", "chat.toml"])
            .current_dir(dir.path());
        let output = run_to_end(serve, b"", SERVER_TIMEOUT);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
        assert_eq!(stderr, format!("chatd: {complaint}\n"));
        assert!(
            !dir.path().join("chat.db").exists(),
            "a refused start made a database"
        );
    }
}
