//! The UDP door as the book's `chat_client.pl` sees it: real UDP sockets
//! speaking the wire format of shared/protocols/book-udp.md directly — the
//! worked example byte for byte, every error string, parting, logging in
//! again, registered nicknames, the idle logout, telnet users in the same
//! channels, the limits and the 1024-byte datagram. Each test has its own
//! server.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use crate::support::{Client, TestServer, LINE_TIMEOUT};

// The event codes of book-udp.md §3.2, written out here so that the test
// checks the contract rather than chatd's own table.
const ERROR: u16 = 10;
const LOGIN_REQ: u16 = 20;
const LOGIN_ACK: u16 = 30;
const LOGOFF: u16 = 40;
const JOIN_REQ: u16 = 50;
const JOIN_ACK: u16 = 60;
const PART_REQ: u16 = 70;
const PART_ACK: u16 = 80;
const SEND_PUBLIC: u16 = 90;
const PUBLIC_MSG: u16 = 100;
const SEND_PRIVATE: u16 = 120;
const PRIVATE_MSG: u16 = 130;
const USER_JOINS: u16 = 140;
const USER_PARTS: u16 = 150;
const LIST_CHANNELS: u16 = 160;
const CHANNEL_ITEM: u16 = 170;
const LIST_USERS: u16 = 180;
const USER_ITEM: u16 = 190;
const STILL_HERE: u16 = 200;

/// Both sides of the book's protocol read at most this much (§2).
const MAX_DATAGRAM: usize = 1024;

/// The shipped configuration without the lobby, so that a login is answered
/// by LOGIN_ACK alone, as on the book's server (a top-level key: it goes
/// before any table).
const NO_LOBBY: &str = "lobby = \"\"\n";

/// The shipped channels (the book's five and the lobby): a LIST_CHANNELS is
/// answered with this many CHANNEL_ITEMs, one datagram each.
const CHANNELS: usize = 6;

const WEATHER: &str = "Talk about the weather";
const PETS: &str = "For our furry and feathered friends";

// ---------------------------------------------------------------------------
// A book client, datagram by datagram
// ---------------------------------------------------------------------------

/// One UDP client's record, kept so that a failing test prints every UDP
/// client's session (a telnet [`Client`]'s is printed by the harness).
struct Record {
    name: String,
    local: SocketAddr,
    entries: Vec<String>,
    /// The client's socket again, to show what arrived but was never read.
    socket: UdpSocket,
}

thread_local! {
    /// The UDP clients of the test running on this thread.
    static UDP_CLIENTS: RefCell<Vec<Weak<RefCell<Record>>>> = const { RefCell::new(Vec::new()) };
}

/// A datagram as the transcript shows it: the code and the payload (quoted,
/// escaped, shortened).
fn show(datagram: &[u8]) -> String {
    let [hi, lo, payload @ ..] = datagram else {
        return format!("(a {}-byte datagram) {:?}", datagram.len(), datagram);
    };
    let code = u16::from_be_bytes([*hi, *lo]);
    let text = String::from_utf8_lossy(payload);
    let chars = text.chars().count();
    if chars <= 120 {
        format!("{code} {text:?}")
    } else {
        let head: String = text.chars().take(60).collect();
        format!("{code} {head:?}… ({} payload bytes)", payload.len())
    }
}

fn datagram(code: u16, payload: &[u8]) -> Vec<u8> {
    let mut bytes = code.to_be_bytes().to_vec();
    bytes.extend_from_slice(payload);
    bytes
}

/// A received datagram.
struct Datagram(Vec<u8>);

impl Datagram {
    fn code(&self) -> Option<u16> {
        match self.0[..] {
            [hi, lo, ..] => Some(u16::from_be_bytes([hi, lo])),
            _ => None,
        }
    }

    fn payload(&self) -> &[u8] {
        self.0.get(2..).unwrap_or(&[])
    }

    /// The payload as text (the tests only expect UTF-8).
    fn text(&self) -> String {
        String::from_utf8_lossy(self.payload()).into_owned()
    }

    fn is(&self, code: u16, payload: &str) -> bool {
        self.0 == datagram(code, payload.as_bytes())
    }
}

/// The book's client: a UDP socket bound to 127.0.0.1:0 and `connect()`ed
/// to the door, so the kernel passes it only datagrams from the door's
/// address — every reply it gets came from where the client sent to (§2).
struct Udp<'s> {
    server: &'s TestServer,
    socket: UdpSocket,
    record: Rc<RefCell<Record>>,
}

impl<'s> Udp<'s> {
    /// A client that has sent nothing yet; `name` names it in transcripts.
    fn new(server: &'s TestServer, name: &str) -> Udp<'s> {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket");
        socket
            .connect(server.udp_addr())
            .expect("connect the UDP socket to the door");
        let record = Rc::new(RefCell::new(Record {
            name: name.to_string(),
            local: socket.local_addr().expect("a bound socket has an address"),
            entries: Vec::new(),
            socket: socket.try_clone().expect("clone a UDP socket"),
        }));
        UDP_CLIENTS.with(|all| all.borrow_mut().push(Rc::downgrade(&record)));
        Udp {
            server,
            socket,
            record,
        }
    }

    /// A client logged in as `nick` (with no lobby: nothing follows the ack).
    fn logged_in(server: &'s TestServer, nick: &str) -> Udp<'s> {
        let mut client = Udp::new(server, nick);
        client.login(nick);
        client
    }

    /// LOGIN_REQ `nick`; LOGIN_ACK `nick` must be the very next datagram,
    /// as the book's client requires (§4.1).
    fn login(&mut self, nick: &str) {
        self.send(LOGIN_REQ, nick);
        self.expect(LOGIN_ACK, nick);
    }

    fn note(&self, entry: String) {
        self.record.borrow_mut().entries.push(entry);
    }

    fn send(&mut self, code: u16, payload: &str) {
        self.send_raw(&datagram(code, payload.as_bytes()));
    }

    /// Sends exactly `bytes` as one datagram (it may be shorter than a code).
    fn send_raw(&mut self, bytes: &[u8]) {
        self.note(format!(">> {}", show(bytes)));
        if let Err(e) = self.socket.send(bytes) {
            self.fail(&format!("sending failed: {e}"));
        }
    }

    /// The next datagram if one comes within `timeout`.
    fn recv_within(&mut self, timeout: Duration) -> Option<Datagram> {
        let timeout = timeout.max(Duration::from_millis(1));
        self.socket
            .set_read_timeout(Some(timeout))
            .expect("set a read timeout");
        // Far more than 1024 bytes, to see a datagram that is too long.
        let mut buf = vec![0u8; 64 * 1024];
        match self.socket.recv(&mut buf) {
            Ok(n) => {
                buf.truncate(n);
                self.note(format!("<< {}", show(&buf)));
                Some(Datagram(buf))
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => None,
            Err(e) => self.fail(&format!("receiving failed: {e}")),
        }
    }

    /// The next datagram; fails if none comes within [`LINE_TIMEOUT`].
    fn next(&mut self, what: &str) -> Datagram {
        match self.recv_within(LINE_TIMEOUT) {
            Some(datagram) => datagram,
            None => self.fail(&format!(
                "expected {what} within {LINE_TIMEOUT:?}; nothing came"
            )),
        }
    }

    /// Expects the very next datagram to be exactly `code` and `payload`,
    /// byte for byte.
    fn expect(&mut self, code: u16, payload: &str) {
        let what = format!("the datagram {}", show(&datagram(code, payload.as_bytes())));
        let got = self.next(&what);
        if !got.is(code, payload) {
            self.fail(&format!("expected {what}, got {}", show(&got.0)));
        }
        self.note(format!("== {what}"));
    }

    /// Expects the very next datagram to be one that `wanted` accepts.
    fn expect_where(&mut self, what: &str, wanted: impl Fn(&Datagram) -> bool) -> Datagram {
        let got = self.next(what);
        if !wanted(&got) {
            self.fail(&format!("expected {what}, got {}", show(&got.0)));
        }
        self.note(format!("== {what}"));
        got
    }

    /// Expects the next datagram to be an ERROR whose text contains `text`.
    fn expect_error_containing(&mut self, text: &str) -> String {
        let what = format!("an ERROR containing {text:?}");
        let got = self.expect_where(&what, |d| {
            d.code() == Some(ERROR) && d.text().contains(text)
        });
        got.text()
    }

    /// Expects the next datagrams to be one USER_ITEM for each `(nick,
    /// channels)`, in any order (§6.1 quirk 1), each with its whole seconds
    /// online as a decimal integer: `<nick> <seconds> <channels>`.
    fn expect_user_items(&mut self, members: &[(&str, &str)]) {
        let mut missing: Vec<(&str, &str)> = members.to_vec();
        while !missing.is_empty() {
            let what = format!("USER_ITEMs for {missing:?} (in any order)");
            let got = self.next(&what);
            let text = got.text();
            let found = missing.iter().position(|(nick, channels)| {
                got.code() == Some(USER_ITEM)
                    && text
                        .strip_prefix(&format!("{nick} "))
                        .and_then(|rest| rest.split_once(' '))
                        .is_some_and(|(secs, rest)| {
                            !secs.is_empty()
                                && secs.bytes().all(|b| b.is_ascii_digit())
                                && rest == *channels
                        })
            });
            match found {
                Some(i) => {
                    missing.remove(i);
                }
                None => self.fail(&format!("expected {what}, got {}", show(&got.0))),
            }
        }
        self.note(format!("== USER_ITEMs for {members:?}"));
    }

    /// Proves that everything the server meant for this client before now
    /// has arrived: sends LIST_CHANNELS, whose answer (all the CHANNEL_ITEMs,
    /// or `please log in` for a client without a nickname) comes after it.
    /// Returns what arrived before the answer.
    fn sync(&mut self) -> Vec<Datagram> {
        self.note(">> (sync)".into());
        self.send(LIST_CHANNELS, "");
        let mut before = Vec::new();
        let mut items = 0;
        loop {
            let got = self.next("the answer to the sync's LIST_CHANNELS");
            if got.code() == Some(CHANNEL_ITEM) {
                items += 1;
                if items == CHANNELS {
                    return before;
                }
            } else if items > 0 {
                self.fail(&format!(
                    "expected {CHANNELS} CHANNEL_ITEMs in a row, got {} after {items}",
                    show(&got.0)
                ));
            } else if got.is(ERROR, "please log in") {
                return before;
            } else {
                before.push(got);
            }
        }
    }

    /// Asserts that nothing has arrived or is on its way (see [`Udp::sync`]).
    /// To check that something someone else did was not heard, first wait
    /// for the doer's own answer, so that the server has handled it.
    fn expect_nothing(&mut self) {
        let before = self.sync();
        if let Some(first) = before.first() {
            self.fail(&format!("expected nothing more, got {}", show(&first.0)));
        }
        self.note("== nothing more".into());
    }

    /// Lets `span` pass, asserting that nothing arrives meanwhile: for a test
    /// that needs time to pass (an idle timeout), never to wait for something.
    fn quiet_for(&mut self, span: Duration) {
        if let Some(got) = self.recv_within(span) {
            self.fail(&format!(
                "expected nothing for {span:?}, got {}",
                show(&got.0)
            ));
        }
    }

    /// Waits up to 15 s for this client's next datagram, which `wanted` must
    /// accept, while `alive` sends STILL_HERE every two seconds (the wait is
    /// the pause between them).
    fn expect_while_still_here(
        &mut self,
        alive: &mut Udp,
        what: &str,
        wanted: impl Fn(&Datagram) -> bool,
    ) {
        let deadline = Instant::now() + Duration::from_secs(15);
        let got = loop {
            if Instant::now() > deadline {
                self.fail(&format!("expected {what} within 15 s; nothing came"));
            }
            alive.send(STILL_HERE, "");
            if let Some(datagram) = self.recv_within(Duration::from_secs(2)) {
                break datagram;
            }
        };
        if !wanted(&got) {
            self.fail(&format!("expected {what}, got {}", show(&got.0)));
        }
        self.note(format!("== {what}"));
    }

    /// Expects the very next datagram to be `code` with a payload shaped
    /// like `pattern` (see [`fits`]).
    fn expect_shaped(&mut self, code: u16, pattern: &str) {
        let what = format!("a datagram {code} shaped {pattern:?} (# a digit)");
        self.expect_where(&what, |d| {
            d.code() == Some(code) && fits(&d.text(), pattern)
        });
    }

    /// Panics with every UDP client's transcript (this one first), then the
    /// harness's report: the telnet clients' transcripts and the server log.
    fn fail(&self, why: &str) -> ! {
        let mut out = format!("{}: {why}\n", self.record.borrow().name);
        out.push_str(
            "(>> sent, << received and read by the test, <. received, not read, \
             == an expectation met)\n",
        );
        let mut records = vec![Rc::clone(&self.record)];
        UDP_CLIENTS.with(|all| {
            records.extend(
                all.borrow()
                    .iter()
                    .filter_map(Weak::upgrade)
                    .filter(|r| !Rc::ptr_eq(r, &self.record)),
            )
        });
        for record in records {
            udp_transcript(&mut out, &record.borrow());
        }
        self.server.fail(&out)
    }
}

fn udp_transcript(out: &mut String, record: &Record) {
    let _ = writeln!(out, "---- udp {} (from {}) ----", record.name, record.local);
    for entry in &record.entries {
        let _ = writeln!(out, "{entry}");
    }
    // Whatever else has arrived, without waiting.
    if record.socket.set_nonblocking(true).is_ok() {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = record.socket.recv(&mut buf) {
            let _ = writeln!(out, "<. {}", show(&buf[..n]));
        }
    }
}

// ---------------------------------------------------------------------------
// Telnet lines
// ---------------------------------------------------------------------------

/// Whether `line` has the shape of `pattern`, where each `#` stands for one
/// ASCII digit and every other character for itself.
fn fits(line: &str, pattern: &str) -> bool {
    line.len() == pattern.len()
        && line.bytes().zip(pattern.bytes()).all(|(l, p)| match p {
            b'#' => l.is_ascii_digit(),
            p => l == p,
        })
}

/// A telnet `/users` line: `printf "%-15s (on %02d:%02d:%02d) Channels: %s"`.
fn users_line(nick: &str, channels: &str) -> String {
    format!("{nick:<15} (on ##:##:##) Channels: {channels}")
}

/// A telnet user logged in and in Weather (the lobby off).
fn telnet_in_weather(server: &TestServer, nick: &str, users: &str) -> Client {
    let mut client = Client::logged_in(server, nick);
    client.send("/join weather");
    client.expect_line(&format!("Welcome to the Weather Channel ({users})"));
    client
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

#[test]
fn the_worked_example_of_section_4_4_byte_for_byte() {
    let server = TestServer::start_with(NO_LOBBY);
    let mut alice = Udp::logged_in(&server, "alice");
    alice.send(JOIN_REQ, "Weather");
    alice.expect(JOIN_ACK, &format!("Weather 1 {WEATHER}"));
    let mut bob = Udp::logged_in(&server, "bob");

    bob.send(JOIN_REQ, "Weather");
    alice.expect(USER_JOINS, "Weather bob");
    bob.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));

    // The sender's own echo is its only confirmation (§6.1 quirk 2).
    alice.send(SEND_PUBLIC, "I don't know about spain");
    alice.expect(PUBLIC_MSG, "Weather alice I don't know about spain");
    bob.expect(PUBLIC_MSG, "Weather alice I don't know about spain");

    alice.send(SEND_PRIVATE, "bob why do you call yourself \"bob\"?");
    bob.expect(PRIVATE_MSG, "alice why do you call yourself \"bob\"?");
    alice.expect_nothing();

    alice.send(LIST_USERS, "");
    alice.expect_user_items(&[("alice", "Weather"), ("bob", "Weather")]);
    alice.expect_nothing();
    bob.expect_nothing();
}

#[test]
fn every_error_string_of_section_3_5() {
    let server = TestServer::start_with(NO_LOBBY);

    // Anything but LOGIN_REQ from an address with no user, even datagrams
    // too short to hold a code.
    let mut stranger = Udp::new(&server, "stranger");
    stranger.send_raw(b"");
    stranger.expect(ERROR, "please log in");
    stranger.send_raw(b"\x00");
    stranger.expect(ERROR, "please log in");
    for (code, payload) in [
        (LOGOFF, "stranger"),
        (STILL_HERE, ""),
        (JOIN_REQ, "Weather"),
        (SEND_PUBLIC, "hello?"),
        (LIST_CHANNELS, ""),
        (LOGIN_ACK, "stranger"),
    ] {
        stranger.send(code, payload);
        stranger.expect(ERROR, "please log in");
    }

    // A logged-in sender with a code the server does not take.
    let mut alice = Udp::logged_in(&server, "alice");
    for bytes in [
        &b""[..],
        b"\x00",
        b"\x00\x1e",
        b"\x00\x1ealice",
        b"\x00\x6e",
    ] {
        alice.send_raw(bytes);
        alice.expect(ERROR, "unimplemented event code");
    }

    // A nickname in use, whatever its case, from another address.
    let mut other = Udp::new(&server, "other");
    other.send(LOGIN_REQ, "alice");
    other.expect(ERROR, "nickname already in use");
    other.send(LOGIN_REQ, "ALICE");
    other.expect(ERROR, "nickname already in use");
    other.expect_nothing();

    alice.send(JOIN_REQ, "atlantis");
    alice.expect(ERROR, "no channel named atlantis");
    alice.send(PART_REQ, "atlantis");
    alice.expect(ERROR, "no channel named atlantis");
    alice.send(JOIN_REQ, "");
    alice.expect(ERROR, "no channel named ");

    // In no channel at all (there is no lobby).
    alice.send(SEND_PUBLIC, "anyone?");
    alice.expect(ERROR, "no current channel");
    alice.send(LIST_USERS, "");
    alice.expect(ERROR, "no current channel");

    for nobody in ["", "   "] {
        alice.send(SEND_PRIVATE, nobody);
        alice.expect(ERROR, "no nickname given for recipient of private message");
    }
    alice.send(SEND_PRIVATE, "carl are you there?");
    alice.expect(ERROR, "carl: not logged in");
    alice.expect_nothing();
}

#[test]
fn parting_the_current_channel_announces_the_next_one() {
    let server = TestServer::start_with(NO_LOBBY);
    let mut alice = Udp::logged_in(&server, "alice");
    let mut bob = Udp::logged_in(&server, "bob");
    bob.send(JOIN_REQ, "weather");
    bob.expect(JOIN_ACK, &format!("Weather 1 {WEATHER}"));
    alice.send(JOIN_REQ, "pets");
    alice.expect(JOIN_ACK, &format!("Pets 1 {PETS}"));
    alice.send(JOIN_REQ, "WEATHER");
    alice.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    bob.expect(USER_JOINS, "Weather alice");

    // The current channel (an empty PART_REQ): the count leaves the leaver
    // out, and the next most recently joined channel is current now.
    alice.send(PART_REQ, "");
    alice.expect(PART_ACK, &format!("Weather 1 {WEATHER}"));
    alice.expect(JOIN_ACK, &format!("Pets 1 {PETS}"));
    bob.expect(USER_PARTS, "Weather alice");
    alice.send(SEND_PUBLIC, "where am I?");
    alice.expect(PUBLIC_MSG, "Pets alice where am I?");

    alice.send(JOIN_REQ, "Weather");
    alice.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    bob.expect(USER_JOINS, "Weather alice");

    // A channel that is not the current one: only its PART_ACK.
    alice.send(PART_REQ, "pets");
    alice.expect(PART_ACK, &format!("Pets 0 {PETS}"));
    alice.expect_nothing();
    bob.expect_nothing();

    // chatd's choice: a channel you are not in is an error, not silence.
    bob.send(PART_REQ, "Pets");
    bob.expect(ERROR, "you are not in Pets");

    // The last channel, by name: no channel is current any more.
    alice.send(PART_REQ, "Weather");
    alice.expect(PART_ACK, &format!("Weather 1 {WEATHER}"));
    bob.expect(USER_PARTS, "Weather alice");
    alice.send(SEND_PUBLIC, "hello?");
    alice.expect(ERROR, "no current channel");
    alice.expect_nothing();
    bob.expect_nothing();
}

#[test]
fn logging_in_again_from_the_same_address() {
    let server = TestServer::start_with(NO_LOBBY);
    let mut alice = Udp::logged_in(&server, "alice");
    alice.send(JOIN_REQ, "Weather");
    alice.expect(JOIN_ACK, &format!("Weather 1 {WEATHER}"));
    let mut bob = Udp::logged_in(&server, "bob");
    bob.send(JOIN_REQ, "Weather");
    bob.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    alice.expect(USER_JOINS, "Weather bob");

    // The first LOGIN_ACK may have been lost: the same nickname is acked
    // again, and nothing else changes.
    alice.send(LOGIN_REQ, "alice");
    alice.expect(LOGIN_ACK, "alice");
    alice.expect_nothing();
    bob.expect_nothing();
    alice.send(LIST_USERS, "");
    alice.expect_user_items(&[("alice", "Weather"), ("bob", "Weather")]);

    // Another nickname from the same address logs the old one off first:
    // no phantom alice is left behind.
    alice.send(LOGIN_REQ, "carol");
    alice.expect(LOGIN_ACK, "carol");
    bob.expect(USER_PARTS, "Weather alice");
    alice.send(SEND_PUBLIC, "am I in Weather?");
    alice.expect(ERROR, "no current channel");
    bob.send(LIST_USERS, "");
    bob.expect_user_items(&[("bob", "Weather")]);
    bob.send(SEND_PRIVATE, "alice are you there?");
    bob.expect(ERROR, "alice: not logged in");
    let mut alice_again = Udp::new(&server, "alice again");
    alice_again.login("alice");
    alice.expect_nothing();
    bob.expect_nothing();
}

#[test]
fn a_registered_nickname_needs_its_password() {
    let server = TestServer::start_with(
        "lobby = \"\"\n[accounts]\nargon2_memory_kib = 64\nargon2_iterations = 1\n",
    );
    let mut lincoln = Client::logged_in(&server, "lincoln");
    lincoln.send("/register four-score");
    lincoln
        .expect_line("Your nickname lincoln is registered: from now on it asks for your password.");
    lincoln.send("/quit");
    lincoln.expect_line("** Goodbye. **");
    lincoln.expect_closed();

    // The book's client can't send a password.
    let mut udp = Udp::new(&server, "lincoln (udp)");
    udp.send(LOGIN_REQ, "lincoln");
    udp.expect(ERROR, "lincoln is registered: log in with a password");
    udp.send(LOGIN_REQ, "lincoln seven-years");
    udp.expect(ERROR, "wrong password");
    udp.send(LIST_USERS, "");
    udp.expect(ERROR, "please log in");
    // chatd's LOGIN_REQ "<nick> <password>"; the ack names the nickname.
    udp.send(LOGIN_REQ, "lincoln four-score");
    udp.expect(LOGIN_ACK, "lincoln");
    udp.send(JOIN_REQ, "Weather");
    udp.expect(JOIN_ACK, &format!("Weather 1 {WEATHER}"));
    udp.send(LIST_USERS, "");
    udp.expect_user_items(&[("lincoln", "Weather")]);
}

#[test]
fn a_silent_client_is_logged_out_and_still_here_keeps_one_alive() {
    let server = TestServer::start_with("lobby = \"\"\n[udp]\nidle_timeout = \"10s\"\n");
    let mut tina = telnet_in_weather(&server, "tina", "1 user");
    let mut alice = Udp::logged_in(&server, "alice");
    alice.send(JOIN_REQ, "Weather");
    alice.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    tina.expect_line("<alice has entered Weather>");
    let mut bob = Udp::logged_in(&server, "bob");
    bob.send(JOIN_REQ, "Weather");
    let bob_last_request = Instant::now();
    bob.expect(JOIN_ACK, &format!("Weather 3 {WEATHER}"));
    alice.expect(USER_JOINS, "Weather bob");
    tina.expect_line("<bob has entered Weather>");

    // alice says nothing more; bob says STILL_HERE every two seconds. A
    // third of the timeout before the end (a minute, for longer ones) alice
    // is warned; then she is logged out, and told why.
    alice.expect_while_still_here(&mut bob, "the idle warning", |d| {
        d.code() == Some(ERROR)
            && fits(
                &d.text(),
                "you will be logged out in # seconds for being idle",
            )
    });
    alice.expect_while_still_here(&mut bob, "the idle goodbye", |d| {
        d.is(ERROR, "idle timeout (no input for 00:00:10)")
    });
    tina.expect_line("<alice has left Weather (idle timeout (no input for 00:00:10))>");
    bob.expect(USER_PARTS, "Weather alice");
    alice.send(SEND_PUBLIC, "sorry, I was reading");
    alice.expect(ERROR, "please log in");

    // bob has sent nothing but STILL_HERE for longer than the timeout.
    while bob_last_request.elapsed() < Duration::from_secs(13) {
        bob.send(STILL_HERE, "");
        bob.quiet_for(Duration::from_secs(2));
    }
    bob.send(LIST_USERS, "");
    bob.expect_user_items(&[("tina", "Weather"), ("bob", "Weather")]);
    bob.send(SEND_PUBLIC, "still here");
    bob.expect(PUBLIC_MSG, "Weather bob still here");
    tina.expect_line("bob [Weather]: still here");
    tina.expect_no("<bob has left");
}

#[test]
fn udp_and_telnet_users_share_channels() {
    // The default lobby: a UDP login is acked first, then put in the lobby.
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "tina");
    tina.expect_line("Welcome to the Lobby Channel (1 user)");
    let mut alice = Udp::new(&server, "alice");
    alice.login("alice");
    alice.expect(JOIN_ACK, "Lobby 2 Where everyone starts: say hello");
    tina.expect_line("<alice has entered Lobby>");

    alice.send(JOIN_REQ, "weather");
    alice.expect(JOIN_ACK, &format!("Weather 1 {WEATHER}"));
    tina.send("/join weather");
    tina.expect_line("Welcome to the Weather Channel (2 users)");
    alice.expect(USER_JOINS, "Weather tina");

    alice.send(SEND_PUBLIC, "is it raining in NY?");
    alice.expect(PUBLIC_MSG, "Weather alice is it raining in NY?");
    tina.expect_line("alice [Weather]: is it raining in NY?");
    tina.send("pouring");
    tina.expect_line("tina [Weather]: pouring");
    alice.expect(PUBLIC_MSG, "Weather tina pouring");

    alice.send(SEND_PRIVATE, "tina  got an umbrella?");
    tina.expect_line("alice [**private**]: got an umbrella?");
    tina.send("/msg alice two of them");
    tina.expect_line("-> alice [**private**]: two of them");
    alice.expect(PRIVATE_MSG, "tina two of them");

    // Each in the other's list of the current channel.
    tina.send("/users");
    for nick in ["alice", "tina"] {
        let pattern = users_line(nick, "Weather Lobby");
        tina.expect_where(&format!("a line shaped {pattern:?}"), |line| {
            fits(line, &pattern)
        });
    }
    alice.send(LIST_USERS, "");
    alice.expect_user_items(&[("alice", "Weather Lobby"), ("tina", "Weather Lobby")]);

    // Parts, both ways.
    tina.send("/part weather");
    tina.expect_line("You have left the Weather Channel");
    alice.expect(USER_PARTS, "Weather tina");
    alice.send(PART_REQ, "");
    alice.expect(PART_ACK, &format!("Weather 0 {WEATHER}"));
    alice.expect(JOIN_ACK, "Lobby 2 Where everyone starts: say hello");
    tina.send("/join weather");
    tina.expect_line("Welcome to the Weather Channel (1 user)");
    alice.send(JOIN_REQ, "Weather");
    alice.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    // The channel's history follows, the lines marked with their times.
    let at = "[####-##-## ##:##:## UTC]";
    alice.expect_shaped(
        PUBLIC_MSG,
        &format!("Weather alice {at} is it raining in NY?"),
    );
    alice.expect_shaped(PUBLIC_MSG, &format!("Weather tina {at} pouring"));
    tina.expect_line("<alice has entered Weather>");
    alice.send(PART_REQ, "weather");
    alice.expect(PART_ACK, &format!("Weather 1 {WEATHER}"));
    alice.expect(JOIN_ACK, "Lobby 2 Where everyone starts: say hello");
    tina.expect_line("<alice has left Weather>");
    alice.expect_nothing();

    // LOGOFF: no reply; the others see a quit.
    alice.send(LOGOFF, "alice");
    tina.expect_line("<alice has left Lobby (quit)>");
    alice.send(LIST_USERS, "");
    alice.expect(ERROR, "please log in");
}

#[test]
fn a_third_address_from_one_ip_is_refused() {
    let server = TestServer::start_with("lobby = \"\"\n[limits]\nconnections_per_ip = 2\n");
    let mut first = Udp::logged_in(&server, "first");
    let _second = Udp::logged_in(&server, "second");
    let mut third = Udp::new(&server, "third");
    third.send(LOGIN_REQ, "third");
    third.expect_error_containing("too many connections");
    third.expect_nothing();

    // A LOGOFF frees the place.
    first.send(LOGOFF, "first");
    first.send(LIST_CHANNELS, "");
    first.expect(ERROR, "please log in");
    third.login("third");
}

/// What a flooding UDP client hears: each of its 30 SEND_PUBLICs answered
/// by its echo, "too fast", its goodbye or (once logged off) "please log
/// in" — the last two in no particular order with the others, as "please log
/// in" doesn't wait in the send queue. Checks what its channel-mates saw;
/// with `told`, that the flooder got ERROR "Excess flood" too.
fn flood(server: &TestServer, told: bool) {
    let mut tina = telnet_in_weather(server, "tina", "1 user");
    let mut steady = Udp::logged_in(server, "steady");
    steady.send(JOIN_REQ, "Weather");
    steady.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    let mut flooder = Udp::logged_in(server, "flooder");
    flooder.send(JOIN_REQ, "Weather");
    flooder.expect(JOIN_ACK, &format!("Weather 3 {WEATHER}"));
    steady.expect(USER_JOINS, "Weather flooder");

    for i in 1..=30 {
        flooder.send(SEND_PUBLIC, &format!("flood {i}"));
    }
    // Logged off by then, the flooder can log in again: the LOGIN_ACK is
    // sent after every answer to the flood.
    flooder.send(LOGIN_REQ, "flooder");
    let mut answers = Vec::new();
    loop {
        let got = flooder.next("the flood's answers, then LOGIN_ACK \"flooder\"");
        if got.is(LOGIN_ACK, "flooder") {
            break;
        }
        answers.push(got);
    }
    let count = |wanted: &dyn Fn(&Datagram) -> bool| answers.iter().filter(|d| wanted(d)).count();
    let echoes = count(&|d| d.code() == Some(PUBLIC_MSG));
    let too_fast = count(&|d| d.is(ERROR, "too fast: that was dropped; slow down"));
    let logged_off = count(&|d| d.is(ERROR, "please log in"));
    let excess = count(&|d| d.is(ERROR, "Excess flood"));
    if echoes == 0
        || too_fast == 0
        || logged_off == 0
        || echoes + too_fast + excess + logged_off != answers.len()
    {
        flooder.fail(&format!(
            "expected echoes, \"too fast\" ERRORs and \"please log in\"s; got {echoes} \
             echoes, {too_fast} too fast, {logged_off} please log in, {excess} Excess flood \
             of {} answers",
            answers.len()
        ));
    }
    if told && excess != 1 {
        flooder.fail(&format!(
            "expected ERROR \"Excess flood\" once among the answers, got it {excess} times"
        ));
    }
    flooder.note("== echoes, \"too fast\" and \"please log in\"".into());

    tina.expect_line("<flooder has left Weather (Excess flood)>");
    let mut heard = 0;
    loop {
        let got = steady.next("the flood's echoes, then USER_PARTS \"Weather flooder\"");
        if got.is(USER_PARTS, "Weather flooder") {
            break;
        }
        if got.code() != Some(PUBLIC_MSG) {
            steady.fail(&format!(
                "expected an echo of the flood, got {}",
                show(&got.0)
            ));
        }
        heard += 1;
    }
    if heard != echoes {
        steady.fail(&format!(
            "heard {heard} lines of the flood; the flooder had {echoes} echoes"
        ));
    }

    // The others carry on; the flooder is back, in no channel.
    steady.send(SEND_PUBLIC, "that was loud");
    steady.expect(PUBLIC_MSG, "Weather steady that was loud");
    tina.expect_line("steady [Weather]: that was loud");
    flooder.expect_nothing();
}

const FLOOD_LIMITS: &str = "lobby = \"\"\n[limits]\nflood_rate = 5.0\nflood_burst = 5.0\n";

#[test]
fn a_flooding_client_is_slowed_then_logged_off() {
    let server = TestServer::start_with(FLOOD_LIMITS);
    flood(&server, false);
}

#[test]
fn a_flooding_client_is_told_why_it_was_logged_off() {
    let server = TestServer::start_with(FLOOD_LIMITS);
    flood(&server, true);
}

#[test]
fn every_datagram_fits_in_1024_bytes_cut_at_a_character() {
    let server = TestServer::start_with(NO_LOBBY);
    let mut alice = Udp::logged_in(&server, "alice");
    alice.send(JOIN_REQ, "Weather");
    alice.expect(JOIN_ACK, &format!("Weather 1 {WEATHER}"));
    let mut bob = Udp::logged_in(&server, "bob");
    bob.send(JOIN_REQ, "Weather");
    bob.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    alice.expect(USER_JOINS, "Weather bob");

    // A full 1024-byte SEND_PUBLIC; "Weather alice " in front makes the
    // PUBLIC_MSG too long, and 2-byte characters at an odd offset make the
    // cut fall inside one.
    let text = format!("x{}y", "é".repeat(510));
    assert_eq!(text.len(), MAX_DATAGRAM - 2);
    alice.send(SEND_PUBLIC, &text);
    // 2 + "Weather alice x" (15) + 503 × 2 = 1023: the 504th "é" won't fit.
    let cut = format!("Weather alice x{}", "é".repeat(503));
    for member in [&mut alice, &mut bob] {
        let got = member.next("the long PUBLIC_MSG");
        if got.0.len() > MAX_DATAGRAM || std::str::from_utf8(got.payload()).is_err() {
            member.fail(&format!(
                "a {}-byte datagram, UTF-8: {}",
                got.0.len(),
                std::str::from_utf8(got.payload()).is_ok()
            ));
        }
        if !got.is(PUBLIC_MSG, &cut) {
            member.fail(&format!(
                "expected the PUBLIC_MSG cut to {} bytes, got {}",
                2 + cut.len(),
                show(&got.0)
            ));
        }
    }

    // The same for a private message, and for a datagram longer than the
    // book's 1024 bytes, which is cut there first (§2).
    alice.send(SEND_PRIVATE, &format!("bob {}", "ü".repeat(600)));
    let got = bob.next("the long PRIVATE_MSG");
    // 2 + "alice " (6) + 508 × 2 = 1024.
    if !got.is(PRIVATE_MSG, &format!("alice {}", "ü".repeat(508))) {
        bob.fail(&format!(
            "expected a 1024-byte PRIVATE_MSG, got {}",
            show(&got.0)
        ));
    }
    alice.send(SEND_PUBLIC, &"a".repeat(1500));
    let cut = format!("Weather alice {}", "a".repeat(MAX_DATAGRAM - 2 - 14));
    alice.expect(PUBLIC_MSG, &cut);
    bob.expect(PUBLIC_MSG, &cut);
    alice.expect_nothing();
    bob.expect_nothing();
}
