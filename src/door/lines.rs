//! The reading half every TCP door shares: read, decode into lines, apply
//! flood control, and hand each input to the door. A burst's lines all count
//! before the door stops reading for what they owe, so a flood runs up a debt
//! (and is cut off with "Excess flood") while a paste is only slowed.
//!
//! Bytes have a budget too (issue #12): as many bytes per second as the line
//! rule allows lines of the longest length, so a client that streams bytes
//! without line ends is slowed like a flood of lines and cannot take a core,
//! and a line that goes on past [`MOST_UNTERMINATED`] times the line limit
//! is cut off ("line too long").

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Instant;

use log::warn;

use crate::engine::stack;

use super::flood::{FloodRule, TokenBucket, Verdict};
use super::text::codec::{Input, LineDecoder};

/// How many times the line limit a line may run on, its bytes dropped,
/// before the connection is cut off: a client that sends one very long line
/// by mistake hears "line too long" and carries on; one that never ends its
/// line is gone.
pub const MOST_UNTERMINATED: usize = 16;

/// Bytes read at once: a chat line or a few, in a buffer each connection
/// keeps while it lives.
const READ_BUFFER: usize = 1024;

/// Whether to go on reading.
pub enum Flow {
    Continue,
    /// Stop, for this reason (logged, and told to the hub).
    Stop(String),
}

/// A door's side of a connection's reader.
pub trait LineConnection {
    /// One decoded input (a line, an overlong one, a telnet negotiation).
    fn input(&mut self, input: Input) -> Flow;

    /// Nothing arrived within the stream's read timeout (when one is set).
    fn silence(&mut self) -> Flow {
        Flow::Continue
    }

    /// Queues the last thing the client hears before it is cut off.
    fn closing(&mut self, reason: &str);

    /// Whether the inputs just handled took the reader's stack deep and it
    /// now rests: true once a login has completed (store lookups and
    /// password hashing go far deeper than an idle connection ever does), so
    /// the reader gives those stack pages back before it blocks again.
    fn went_deep(&mut self) -> bool {
        false
    }
}

/// Reads until the connection ends or the door stops; returns why.
pub fn read_lines(
    stream: &TcpStream,
    mut decoder: LineDecoder,
    flood: FloodRule,
    peer: SocketAddr,
    connection: &mut impl LineConnection,
) -> String {
    let mut stream = stream;
    let mut bucket = TokenBucket::new(flood, Instant::now());
    let mut bytes = TokenBucket::new(flood.in_bytes(decoder.max_line()), Instant::now());
    let mut buf = vec![0u8; READ_BUFFER];
    let mut inputs = Vec::new();
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => return "connection closed".into(),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                match connection.silence() {
                    Flow::Continue => continue,
                    Flow::Stop(reason) => return reason,
                }
            }
            Err(e) => return format!("read error: {e}"),
        };
        let mut owed = bytes.throttle(Instant::now(), n as f64);
        decoder.feed(&buf[..n], &mut inputs);
        for input in inputs.drain(..) {
            if let Input::Line(_) = input {
                match bucket.take(Instant::now()) {
                    Verdict::Pass => {}
                    Verdict::Slow(wait) => owed = owed.max(wait),
                    Verdict::Excess => {
                        warn!("disconnecting {peer}: Excess flood");
                        connection.closing("Excess flood");
                        return "Excess flood".into();
                    }
                }
            }
            if let Flow::Stop(reason) = connection.input(input) {
                return reason;
            }
        }
        if decoder.unterminated() > MOST_UNTERMINATED * decoder.max_line() {
            let reason = format!(
                "line too long: more than {} bytes without a line end",
                MOST_UNTERMINATED * decoder.max_line()
            );
            warn!("disconnecting {peer}: {reason}");
            connection.closing(&reason);
            return reason;
        }
        if connection.went_deep() {
            stack::release_below_here();
        }
        // Not reading meanwhile lets TCP push back on a flooding client.
        if !owed.is_zero() {
            thread::sleep(owed);
        }
    }
}
