//! The book's UDP client for the tests: [`Udp`] speaks the wire format of
//! shared/protocols/book-udp.md directly, datagram by datagram, and keeps a
//! transcript of its own (a telnet [`Client`](super::Client)'s is the
//! harness's).

use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use super::{fits, TestServer, LINE_TIMEOUT};

// The event codes of book-udp.md §3.2, written out here so that the test
// checks the contract rather than chatd's own table.
pub const ERROR: u16 = 10;
pub const LOGIN_REQ: u16 = 20;
pub const LOGIN_ACK: u16 = 30;
pub const LOGOFF: u16 = 40;
pub const JOIN_REQ: u16 = 50;
pub const JOIN_ACK: u16 = 60;
pub const PART_REQ: u16 = 70;
pub const PART_ACK: u16 = 80;
pub const SEND_PUBLIC: u16 = 90;
pub const PUBLIC_MSG: u16 = 100;
pub const SEND_PRIVATE: u16 = 120;
pub const PRIVATE_MSG: u16 = 130;
pub const USER_JOINS: u16 = 140;
pub const USER_PARTS: u16 = 150;
pub const LIST_CHANNELS: u16 = 160;
pub const CHANNEL_ITEM: u16 = 170;
pub const LIST_USERS: u16 = 180;
pub const USER_ITEM: u16 = 190;
pub const STILL_HERE: u16 = 200;

/// The shipped channels (the book's five and the lobby): a LIST_CHANNELS is
/// answered with this many CHANNEL_ITEMs, one datagram each.
const CHANNELS: usize = 6;

/// One UDP client's record, kept so that a failing test prints every UDP
/// client's session (a telnet [`Client`](super::Client)'s is printed by the
/// harness).
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
pub fn show(datagram: &[u8]) -> String {
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

pub fn datagram(code: u16, payload: &[u8]) -> Vec<u8> {
    let mut bytes = code.to_be_bytes().to_vec();
    bytes.extend_from_slice(payload);
    bytes
}

/// A received datagram.
pub struct Datagram(pub Vec<u8>);

impl Datagram {
    pub fn code(&self) -> Option<u16> {
        match self.0[..] {
            [hi, lo, ..] => Some(u16::from_be_bytes([hi, lo])),
            _ => None,
        }
    }

    pub fn payload(&self) -> &[u8] {
        self.0.get(2..).unwrap_or(&[])
    }

    /// The payload as text (the tests only expect UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.payload()).into_owned()
    }

    pub fn is(&self, code: u16, payload: &str) -> bool {
        self.0 == datagram(code, payload.as_bytes())
    }
}

/// The book's client: a UDP socket bound to 127.0.0.1:0 and `connect()`ed
/// to the door, so the kernel passes it only datagrams from the door's
/// address — every reply it gets came from where the client sent to (§2).
pub struct Udp<'s> {
    server: &'s TestServer,
    socket: UdpSocket,
    record: Rc<RefCell<Record>>,
}

impl<'s> Udp<'s> {
    /// A client that has sent nothing yet; `name` names it in transcripts.
    pub fn new(server: &'s TestServer, name: &str) -> Udp<'s> {
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
    pub fn logged_in(server: &'s TestServer, nick: &str) -> Udp<'s> {
        let mut client = Udp::new(server, nick);
        client.login(nick);
        client
    }

    /// LOGIN_REQ `nick`; LOGIN_ACK `nick` must be the very next datagram,
    /// as the book's client requires (§4.1).
    pub fn login(&mut self, nick: &str) {
        self.send(LOGIN_REQ, nick);
        self.expect(LOGIN_ACK, nick);
    }

    /// Adds `entry` to the transcript.
    pub fn note(&self, entry: String) {
        self.record.borrow_mut().entries.push(entry);
    }

    pub fn send(&mut self, code: u16, payload: &str) {
        self.send_raw(&datagram(code, payload.as_bytes()));
    }

    /// Sends exactly `bytes` as one datagram (it may be shorter than a code).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.note(format!(">> {}", show(bytes)));
        if let Err(e) = self.socket.send(bytes) {
            self.fail(&format!("sending failed: {e}"));
        }
    }

    /// The next datagram if one comes within `timeout`.
    pub fn recv_within(&mut self, timeout: Duration) -> Option<Datagram> {
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
    pub fn next(&mut self, what: &str) -> Datagram {
        match self.recv_within(LINE_TIMEOUT) {
            Some(datagram) => datagram,
            None => self.fail(&format!(
                "expected {what} within {LINE_TIMEOUT:?}; nothing came"
            )),
        }
    }

    /// Expects the very next datagram to be exactly `code` and `payload`,
    /// byte for byte.
    pub fn expect(&mut self, code: u16, payload: &str) {
        let what = format!("the datagram {}", show(&datagram(code, payload.as_bytes())));
        let got = self.next(&what);
        if !got.is(code, payload) {
            self.fail(&format!("expected {what}, got {}", show(&got.0)));
        }
        self.note(format!("== {what}"));
    }

    /// Expects the very next datagram to be one that `wanted` accepts.
    pub fn expect_where(&mut self, what: &str, wanted: impl Fn(&Datagram) -> bool) -> Datagram {
        let got = self.next(what);
        if !wanted(&got) {
            self.fail(&format!("expected {what}, got {}", show(&got.0)));
        }
        self.note(format!("== {what}"));
        got
    }

    /// Expects the next datagram to be an ERROR whose text contains `text`.
    pub fn expect_error_containing(&mut self, text: &str) -> String {
        let what = format!("an ERROR containing {text:?}");
        let got = self.expect_where(&what, |d| {
            d.code() == Some(ERROR) && d.text().contains(text)
        });
        got.text()
    }

    /// Expects the next datagrams to be one USER_ITEM for each `(nick,
    /// channels)`, in any order (§6.1 quirk 1), each with its whole seconds
    /// online as a decimal integer: `<nick> <seconds> <channels>`.
    pub fn expect_user_items(&mut self, members: &[(&str, &str)]) {
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
    pub fn sync(&mut self) -> Vec<Datagram> {
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
    pub fn expect_nothing(&mut self) {
        let before = self.sync();
        if let Some(first) = before.first() {
            self.fail(&format!("expected nothing more, got {}", show(&first.0)));
        }
        self.note("== nothing more".into());
    }

    /// Lets `span` pass, asserting that nothing arrives meanwhile: for a test
    /// that needs time to pass (an idle timeout), never to wait for something.
    pub fn quiet_for(&mut self, span: Duration) {
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
    pub fn expect_while_still_here(
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
    pub fn expect_shaped(&mut self, code: u16, pattern: &str) {
        let what = format!("a datagram {code} shaped {pattern:?} (# a digit)");
        self.expect_where(&what, |d| {
            d.code() == Some(code) && fits(&d.text(), pattern)
        });
    }

    /// Panics with every UDP client's transcript (this one first), then the
    /// harness's report: the telnet clients' transcripts and the server log.
    pub fn fail(&self, why: &str) -> ! {
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
