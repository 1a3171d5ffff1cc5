//! What a scenario needs from a chat protocol, and a buffered line reader
//! over a TCP connection that every protocol shares.
//!
//! A scenario only logs in, joins, says, sends privately and recognises what
//! was delivered; each protocol (the text door, IRC) implements [`Protocol`]
//! for its own wire format.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One line from the server, as far as a scenario cares.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A message said in a channel, delivered to this client.
    Public {
        channel: &'a [u8],
        from: &'a [u8],
        text: &'a [u8],
    },
    /// A private message to this client.
    Private { from: &'a [u8], text: &'a [u8] },
    /// An error or a notice that the server is closing the connection.
    ServerError(&'a [u8]),
    /// Anything else: notices, joins, the echo of a private message, prompts.
    Other,
}

/// A chat protocol, as a benchmark scenario drives it.
pub trait Protocol: Send + Sync {
    /// The name used on the command line and in reports.
    fn name(&self) -> &'static str;

    /// Logs in as `nick` on a fresh connection; returns once the server has
    /// accepted the nickname (lines that arrive meanwhile are skipped).
    fn login(&self, conn: &mut Conn, nick: &str) -> Result<(), String>;

    /// Joins `channel`; returns the channel's name as the server spells it in
    /// delivered lines (which [`Line::Public`] carries).
    fn join(&self, conn: &mut Conn, channel: &str) -> Result<String, String>;

    /// Appends the bytes that say `text` in `channel`. `text` is one line
    /// without control characters.
    fn say(&self, channel: &str, text: &str, out: &mut Vec<u8>);

    /// Appends the bytes that send `text` privately to `nick`.
    fn private(&self, nick: &str, text: &str, out: &mut Vec<u8>);

    /// Appends the bytes that leave politely.
    fn quit(&self, out: &mut Vec<u8>);

    /// Recognises one line (without its line end).
    fn classify<'a>(&self, line: &'a [u8]) -> Line<'a>;

    /// Whether a sender receives its own channel messages. The text door
    /// echoes them (its only confirmation); IRC does not, unless the client
    /// negotiates the `echo-message` capability. Fan-out expects each line
    /// at every member, and also at its sender only when this is true.
    fn echoes_own(&self) -> bool;

    /// Appends what the client must send back for `line` to stay connected
    /// (IRC: a PONG for the server's PING); nothing for most lines, and
    /// nothing ever for the text door.
    fn answer(&self, _line: &[u8], _out: &mut Vec<u8>) {}
}

/// A client connection with a read buffer that hands out whole lines.
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// WebSocket frames, not lines: a "line" is one frame's payload.
    frames: bool,
}

/// What [`Conn::read_line`] says when the read timeout passed.
pub const TIMED_OUT: &str = "timed out waiting for the server";

/// Reads are done into this much buffer at most: a busy receiver gets many
/// lines per system call.
pub const READ_BUFFER: usize = 128 * 1024;

impl Conn {
    /// Connects with `TCP_NODELAY` set: small chat lines must not wait for a
    /// delayed ACK.
    pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<Conn> {
        let stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_nodelay(true)?;
        Ok(Conn::new(stream, READ_BUFFER))
    }

    pub fn new(stream: TcpStream, buffer: usize) -> Conn {
        Conn {
            stream,
            buf: vec![0; buffer],
            start: 0,
            end: 0,
            frames: false,
        }
    }

    /// From now on a "line" is one WebSocket frame from the server (after
    /// the handshake's head, which is lines).
    pub fn use_websocket_frames(&mut self) {
        self.frames = true;
    }

    /// Where the next whole frame in `pending` ends, and where its payload
    /// starts (server frames are unmasked, RFC 6455 §5.2).
    fn frame_at(pending: &[u8]) -> Option<(usize, usize)> {
        let [_, second, rest @ ..] = pending else {
            return None;
        };
        let (header, len) = match second & 0x7f {
            126 => (
                4,
                u16::from_be_bytes([*rest.first()?, *rest.get(1)?]) as usize,
            ),
            127 => {
                let bytes: [u8; 8] = rest.get(..8)?.try_into().ok()?;
                (10, u64::from_be_bytes(bytes) as usize)
            }
            n => (2, n as usize),
        };
        (pending.len() >= header + len).then_some((header + len, header))
    }

    fn has_line(&self) -> bool {
        let pending = &self.buf[self.start..self.end];
        match self.frames {
            true => Conn::frame_at(pending).is_some(),
            false => pending.contains(&b'\n'),
        }
    }

    /// Reads once more from the socket, after what is buffered; returns the
    /// number of bytes read (0 at end of stream).
    pub fn fill(&mut self) -> io::Result<usize> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            // Move the unfinished line to the front; grow when one line fills
            // the whole buffer (not expected from a chat server).
            if self.start == 0 {
                let len = self.buf.len();
                self.buf.resize(len * 2, 0);
            } else {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
        }
        let n = (&self.stream).read(&mut self.buf[self.end..])?;
        self.end += n;
        Ok(n)
    }

    /// The next whole line in the buffer, without `\r\n` or `\n`.
    pub fn next_line(&mut self) -> Option<&[u8]> {
        let pending = &self.buf[self.start..self.end];
        if self.frames {
            let (end, payload) = Conn::frame_at(pending)?;
            let frame = self.start;
            self.start += end;
            return Some(&self.buf[frame + payload..frame + end]);
        }
        let at = pending.iter().position(|&b| b == b'\n')?;
        let line_start = self.start;
        self.start += at + 1;
        let mut line = &self.buf[line_start..line_start + at];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        Some(line)
    }

    /// Reads the next whole line, waiting for it; `Err` at end of stream or
    /// on a read error or timeout.
    pub fn read_line(&mut self) -> Result<&[u8], String> {
        loop {
            // Checked without holding the borrow, which the loop would keep.
            if self.has_line() {
                return Ok(self.next_line().expect("a whole line is buffered"));
            }
            match self.fill() {
                Ok(0) => {
                    let rest = String::from_utf8_lossy(&self.buf[self.start..self.end]);
                    return Err(if rest.trim().is_empty() {
                        "connection closed by the server".to_string()
                    } else {
                        format!("connection closed by the server after {:?}", rest.trim())
                    });
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => return Err(TIMED_OUT.to_string()),
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    }

    pub fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        (&self.stream)
            .write_all(bytes)
            .map_err(|e| format!("write: {e}"))
    }

    /// Takes the socket, dropping the buffer (and what is in it).
    pub fn into_stream(self) -> TcpStream {
        self.stream
    }
}

/// Whether an I/O error is a read timeout (`WouldBlock` on Linux).
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn lines_are_split_across_reads() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.write_all(b"one\r\ntw").unwrap();
            std::thread::sleep(Duration::from_millis(50));
            s.write_all(b"o\r\nthree\n").unwrap();
        });
        let mut conn = Conn::connect(addr, Duration::from_secs(5)).unwrap();
        assert_eq!(conn.read_line().unwrap(), b"one");
        assert_eq!(conn.read_line().unwrap(), b"two");
        assert_eq!(conn.read_line().unwrap(), b"three");
        assert!(conn.read_line().is_err());
        server.join().unwrap();
    }
}
