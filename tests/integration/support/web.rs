//! A browser's side of the browser door for the tests, without a browser:
//! [`http`] sends one raw request and reads the whole answer; [`Web`] is a
//! harness connection (the same transcript, the same failure report as a
//! telnet [`Client`]) that does the WebSocket handshake and then sends and
//! receives JSON, one message per transcript line.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};

use serde_json::{json, Value};
use tungstenite::protocol::{Role, WebSocketContext};
use tungstenite::Message;

use super::{lock, Client, Conn, TestServer, LINE_TIMEOUT};

/// An answer to one HTTP request.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// The head as sent: status line and headers.
    pub head: String,
    pub body: Vec<u8>,
}

impl Answer {
    /// The value of header `name`, matched without case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `request` (raw bytes, as written) to `addr` and reads the answer
/// until the server closes (requests here say `Connection: close`) or
/// [`LINE_TIMEOUT`] of silence.
pub fn http(addr: SocketAddr, request: &[u8]) -> io::Result<Answer> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(request)?;
    let raw = super::read_until_closed(&mut stream)?;
    parse_answer(&raw).ok_or_else(|| {
        io::Error::other(format!(
            "not an HTTP answer: {:?}",
            raw.escape_ascii().to_string()
        ))
    })
}

fn parse_answer(raw: &[u8]) -> Option<Answer> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some(Answer {
        status,
        head,
        body: raw[end + 4..].to_vec(),
    })
}

/// A GET of `path` that closes the connection after the answer.
pub fn get(addr: SocketAddr, path: &str) -> Answer {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    http(addr, request.as_bytes()).unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// A WebSocket handshake for `/ws` with `extra` header lines (each ending
/// in CRLF), as a browser would send it from a page on `addr`.
pub fn handshake(addr: SocketAddr, extra: &str) -> String {
    format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
    )
}

/// A browser's WebSocket session: each JSON message received is one line
/// of the transcript, as the server wrote it.
pub struct Web {
    client: Client,
    writer: WebSocketContext,
    nick: Option<String>,
    syncs: u32,
}

impl Web {
    /// Connects to the browser door and completes the handshake (from the
    /// page's own origin); `name` is for the transcript.
    #[track_caller]
    pub fn connect(server: &TestServer, name: &str) -> Web {
        let addr = server.web_addr();
        let extra = format!("Origin: http://{addr}\r\n");
        match Web::try_connect(server, name, &handshake(addr, &extra)) {
            Ok(web) => web,
            Err(answer) => server.fail(&format!("the handshake was refused: {answer:?}")),
        }
    }

    /// Sends `request` (a handshake) and, on 101, becomes the session;
    /// otherwise returns the server's answer.
    pub fn try_connect(server: &TestServer, name: &str, request: &str) -> Result<Web, Answer> {
        let addr = server.web_addr();
        let mut stream = TcpStream::connect(addr).expect("connect to the web door");
        stream
            .write_all(request.as_bytes())
            .expect("send the handshake");
        stream
            .set_read_timeout(Some(LINE_TIMEOUT))
            .expect("set a timeout");
        let mut head = Vec::new();
        let mut byte = [0u8];
        // Byte by byte, so no frame after the head is read here.
        while !head.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => break,
            }
        }
        let answer = parse_answer(&head).unwrap_or(Answer {
            status: 0,
            head: String::from_utf8_lossy(&head).into_owned(),
            body: Vec::new(),
        });
        if answer.status != 101 {
            let mut body = Vec::new();
            let _ = stream.read_to_end(&mut body);
            return Err(Answer { body, ..answer });
        }
        stream.set_read_timeout(None).expect("clear the timeout");
        let client = Client::reading_with(server, stream, Some(format!("web {name}")), read_frames);
        Ok(Web {
            client,
            writer: WebSocketContext::new(Role::Client, None),
            nick: None,
            syncs: 0,
        })
    }

    /// Connects and logs in as the guest `nick`; waits for the lobby.
    #[track_caller]
    pub fn guest(server: &TestServer, nick: &str) -> Web {
        let mut web = Web::connect(server, nick);
        web.send(json!({"type": "login", "nick": nick}));
        web.expect_type("logged_in");
        web.expect_type("joined");
        web.nick = Some(nick.to_string());
        lock(&web.client.conn.inbox).name = format!("web {nick}");
        web
    }

    /// Sends one JSON request.
    #[track_caller]
    pub fn send(&mut self, request: Value) {
        self.send_text(&request.to_string());
    }

    /// Sends `text` as one text message, whatever it is.
    #[track_caller]
    pub fn send_text(&mut self, text: &str) {
        self.send_message(Message::text(text), text.to_string());
    }

    /// Sends JSON requests in one write, as a burst arrives: a server that
    /// cuts the connection off part way cannot fail a later write.
    #[track_caller]
    pub fn send_burst(&mut self, requests: &[Value]) {
        let mut bytes = Pipe(Vec::new());
        for request in requests {
            if let Err(e) = self
                .writer
                .write(&mut bytes, Message::text(request.to_string()))
            {
                self.client.fail(&format!("can't frame a message: {e}"));
            }
        }
        let _ = self.writer.flush(&mut bytes);
        let shown = format!("({} requests at once)", requests.len());
        self.client.write(&bytes.0, shown);
    }

    /// Sends any message (binary, say), shown as `shown`.
    #[track_caller]
    pub fn send_message(&mut self, message: Message, shown: String) {
        let mut bytes = Pipe(Vec::new());
        if let Err(e) = self.writer.write(&mut bytes, message) {
            self.client.fail(&format!("can't frame a message: {e}"));
        }
        let _ = self.writer.flush(&mut bytes);
        self.client.write(&bytes.0, shown);
    }

    /// Waits for the next message of `type` (passing over others).
    #[track_caller]
    pub fn expect_type(&mut self, kind: &str) -> Value {
        self.expect(kind, |_| true)
    }

    /// Waits for the next message of `type` for which `wanted` holds.
    #[track_caller]
    pub fn expect(&mut self, kind: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let what = format!("a {kind:?} message");
        let line = self.client.expect_where(&what, |line| {
            serde_json::from_str::<Value>(line).is_ok_and(|v| v["type"] == kind && wanted(&v))
        });
        serde_json::from_str(&line).expect("checked as JSON")
    }

    /// Waits for the server to close, and returns the close frame's code
    /// and reason as the transcript has them.
    #[track_caller]
    pub fn expect_closed(&mut self) -> String {
        self.client.expect_closed();
        lock(&self.client.conn.inbox)
            .closed
            .clone()
            .unwrap_or_default()
    }

    /// Proves that everything queued for this session before now has
    /// arrived (a private message to itself comes back after it) and
    /// returns the messages that came before the answer.
    #[track_caller]
    pub fn sync(&mut self) -> Vec<Value> {
        let from = self.client.mark();
        self.syncs += 1;
        let token = format!("sync-{}", self.syncs);
        let nick = self.nick.clone().expect("logged in with Web::guest");
        self.send(json!({"type": "private", "to": nick, "text": token}));
        self.expect("private", |v| v["text"] == token.as_str());
        self.client
            .lines_read_since(from)
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|v| v["text"] != token.as_str())
            .collect()
    }

    #[track_caller]
    pub fn fail(&self, why: &str) -> ! {
        self.client.fail(why)
    }
}

/// Writes go into a buffer, which the harness then sends (and records).
struct Pipe(Vec<u8>);

impl Read for Pipe {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The reader thread: decodes the server's frames and puts each text
/// message in the inbox as a line; a close frame ends it with its code and
/// reason.
fn read_frames(stream: TcpStream, conn: &Conn) {
    /// Reads from the socket; what the protocol answers by itself is dropped.
    struct ReadHalf(TcpStream);
    impl Read for ReadHalf {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0.read(buf)
        }
    }
    impl Write for ReadHalf {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut half = ReadHalf(stream);
    let mut context = WebSocketContext::new(Role::Client, None);
    loop {
        let read = context.read(&mut half);
        let mut inbox = lock(&conn.inbox);
        match read {
            Ok(Message::Text(text)) => {
                inbox.raw.extend_from_slice(text.as_bytes());
                inbox.raw.extend_from_slice(b"\r\n");
                inbox.split_lines();
            }
            Ok(Message::Close(frame)) => {
                inbox.closed = Some(match frame {
                    Some(f) => format!("close frame {}: {}", u16::from(f.code), f.reason),
                    None => "close frame without a code".into(),
                });
            }
            Ok(other) => {
                inbox
                    .raw
                    .extend_from_slice(format!("(not text: {other:?})\r\n").as_bytes());
                inbox.split_lines();
            }
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                if inbox.closed.is_none() {
                    inbox.closed = Some(format!("end of stream ({e})"));
                }
            }
        }
        conn.changed.notify_all();
        if inbox.closed.is_some() {
            return;
        }
    }
}
