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
//!
//! A door whose frames are not telnet lines (the browser door's WebSocket
//! messages) brings its own [`Decoder`]; the budgets are the same.

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

/// Bytes in, a door's inputs out: a pure state machine the reader feeds.
pub trait Decoder {
    type Input;

    /// Decodes `bytes`, appending what they complete to `out`.
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Self::Input>);

    /// The longest line (or message) passed on, in bytes: the byte budget
    /// allows as many of these per second as the flood rule allows lines.
    fn max_line(&self) -> usize;

    /// Bytes of an input not yet complete, for the "line too long" cut-off.
    fn unterminated(&self) -> usize;

    /// Whether `input` is a line said, which the flood rule counts.
    fn is_line(input: &Self::Input) -> bool;
}

impl Decoder for LineDecoder {
    type Input = Input;

    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Input>) {
        LineDecoder::feed(self, bytes, out)
    }

    fn max_line(&self) -> usize {
        LineDecoder::max_line(self)
    }

    fn unterminated(&self) -> usize {
        LineDecoder::unterminated(self)
    }

    fn is_line(input: &Input) -> bool {
        matches!(input, Input::Line(_))
    }
}

/// A door's side of a connection's reader.
pub trait LineConnection<I = Input> {
    /// One decoded input (a line, an overlong one, a telnet negotiation).
    fn input(&mut self, input: I) -> Flow;

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
pub fn read_lines<D: Decoder>(
    stream: &TcpStream,
    mut decoder: D,
    flood: FloodRule,
    peer: SocketAddr,
    connection: &mut impl LineConnection<D::Input>,
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
            if D::is_line(&input) {
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
