//! The browser door's WebSocket codec: raw bytes in, messages out, and the
//! frames the server sends. Pure: no sockets. Decoding is `tungstenite`'s
//! (masking, fragments, control frames, UTF-8, size limits) run over
//! whatever bytes the reader fed it; what tungstenite wants to answer by
//! itself (a pong, the reply to a close) comes out as [`WsInput::Send`], so
//! the door queues it in order with everything else it writes.

use std::io::{self, Read, Write};

use tungstenite::error::{CapacityError, Error};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::frame::{CloseFrame, Frame};
use tungstenite::protocol::{Role, WebSocketConfig, WebSocketContext};
use tungstenite::Message;

use crate::door::lines::Decoder;

/// What the decoder found in the bytes fed to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsInput {
    /// A text message: one JSON request.
    Text(String),
    /// A binary message; this door speaks text only.
    Binary,
    /// A message over the size limit: its bytes were never kept.
    TooBig,
    /// A ping or pong: a sign of life, nothing said.
    Alive,
    /// The client closed the connection (its close frame, or the stream
    /// ended); the reply is already in a [`WsInput::Send`] before it.
    Closed,
    /// Bytes the protocol answers with by itself (pong, close reply).
    Send(Vec<u8>),
    /// Not WebSocket as RFC 6455 has it: close with this reason.
    Broken(String),
}

/// Bytes read at once by tungstenite from what was fed: little, since a
/// connection keeps this buffer for as long as it lives.
const READ_BUFFER: usize = 4 * 1024;

pub struct WsDecoder {
    context: WebSocketContext,
    max_message: usize,
    /// Nothing more is decoded after a close or an error.
    done: bool,
}

/// tungstenite reads from the bytes fed and writes into a buffer; "would
/// block" once the bytes are used up, so it keeps a partial frame for later.
struct Pipe<'a> {
    input: &'a [u8],
    output: &'a mut Vec<u8>,
}

impl Read for Pipe<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.input.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = self.input.len().min(buf.len());
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Ok(n)
    }
}

impl Write for Pipe<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl WsDecoder {
    /// A decoder for a connection whose handshake is done; `already` holds
    /// bytes read past the handshake's head. Messages over `max_message`
    /// bytes are refused.
    pub fn new(max_message: usize, already: Vec<u8>) -> WsDecoder {
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(0)
            .max_message_size(Some(max_message))
            .max_frame_size(Some(max_message));
        WsDecoder {
            context: WebSocketContext::from_partially_read(already, Role::Server, Some(config)),
            max_message,
            done: false,
        }
    }

    fn decode(&mut self, bytes: &[u8], out: &mut Vec<WsInput>) {
        let mut replies = Vec::new();
        let mut pipe = Pipe {
            input: bytes,
            output: &mut replies,
        };
        while !self.done {
            let read = self.context.read(&mut pipe);
            if !pipe.output.is_empty() {
                out.push(WsInput::Send(std::mem::take(pipe.output)));
            }
            let input = match read {
                Ok(Message::Text(text)) => WsInput::Text(text.as_str().to_string()),
                Ok(Message::Binary(_)) => WsInput::Binary,
                Ok(Message::Ping(_) | Message::Pong(_)) => WsInput::Alive,
                Ok(Message::Close(_)) => continue,
                Ok(Message::Frame(_)) => continue,
                Err(Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(Error::ConnectionClosed | Error::AlreadyClosed) => {
                    self.done = true;
                    WsInput::Closed
                }
                Err(Error::Capacity(CapacityError::MessageTooLong { .. })) => {
                    self.done = true;
                    WsInput::TooBig
                }
                Err(Error::Utf8(_)) => {
                    self.done = true;
                    WsInput::Broken("a text message that is not UTF-8".into())
                }
                Err(e) => {
                    self.done = true;
                    WsInput::Broken(e.to_string())
                }
            };
            out.push(input);
        }
    }
}

impl Decoder for WsDecoder {
    type Input = WsInput;

    fn feed(&mut self, bytes: &[u8], out: &mut Vec<WsInput>) {
        self.decode(bytes, out)
    }

    fn max_line(&self) -> usize {
        self.max_message
    }

    /// tungstenite refuses a frame whose header announces more than the
    /// limit before its payload arrives, so nothing runs on unbounded.
    fn unterminated(&self) -> usize {
        0
    }

    fn is_line(input: &WsInput) -> bool {
        matches!(input, WsInput::Text(_))
    }
}

/// Appends a text frame holding `text` (servers don't mask, RFC 6455 §5.1).
pub fn text_frame(text: &str, out: &mut Vec<u8>) {
    text_frame_with(out, |out| out.extend_from_slice(text.as_bytes()));
}

/// Appends a text frame whose payload `write` appends, written in place:
/// the header (RFC 6455 §5.2: FIN and opcode, then the length in 7 bits, or
/// 126 and 16 bits, or 127 and 64) is put in front once the length is
/// known, so a payload is never built elsewhere and copied in. `write`
/// must append UTF-8.
pub fn text_frame_with(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0x81, 0]);
    write(out);
    let len = out.len() - start - 2;
    let extended: &[u8] = match len {
        0..=125 => {
            out[start + 1] = len as u8;
            return;
        }
        126..=0xffff => {
            out[start + 1] = 126;
            &(len as u16).to_be_bytes()
        }
        _ => {
            out[start + 1] = 127;
            &(len as u64).to_be_bytes()
        }
    };
    out.splice(start + 2..start + 2, extended.iter().copied());
}

/// Why a connection is closed, as its reader says it.
pub const BINARY_REFUSED: &str = "binary messages are not accepted: send JSON as text";
pub const TOO_BIG: &str = "message too big: a request is one line of JSON";
pub const BROKEN: &str = "not WebSocket";

/// Why the server closes a connection, as a close code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseWhy {
    /// 1000: a goodbye, the server going down, an idle logout.
    Normal,
    /// 1003: a binary message.
    Unsupported,
    /// 1009: a message over the size limit.
    TooBig,
    /// 1002: broken framing.
    Protocol,
    /// 1008: a rule broken (flood, bans).
    Policy,
}

impl CloseWhy {
    /// The close code that goes with a reason the server gives.
    pub fn of(reason: &str) -> CloseWhy {
        match reason {
            BINARY_REFUSED => CloseWhy::Unsupported,
            TOO_BIG => CloseWhy::TooBig,
            r if r.starts_with(BROKEN) => CloseWhy::Protocol,
            r if r.contains("flood") || r.contains("banned") || r.contains("Killed") => {
                CloseWhy::Policy
            }
            _ => CloseWhy::Normal,
        }
    }
}

/// Appends a close frame with `code` and `reason` (cut to the 123 bytes a
/// control frame has room for, at a character boundary).
pub fn close_frame(why: CloseWhy, reason: &str, out: &mut Vec<u8>) {
    let code = match why {
        CloseWhy::Normal => CloseCode::Normal,
        CloseWhy::Unsupported => CloseCode::Unsupported,
        CloseWhy::TooBig => CloseCode::Size,
        CloseWhy::Protocol => CloseCode::Protocol,
        CloseWhy::Policy => CloseCode::Policy,
    };
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let frame = Frame::close(Some(CloseFrame {
        code,
        reason: reason[..end].to_string().into(),
    }));
    let _ = frame.format(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client's masked frame: FIN, `opcode`, mask key, masked payload.
    fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        let mut out = vec![0x80 | opcode];
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        out
    }

    fn decode(decoder: &mut WsDecoder, bytes: &[u8]) -> Vec<WsInput> {
        let mut out = Vec::new();
        decoder.feed(bytes, &mut out);
        out
    }

    #[test]
    fn a_masked_text_frame_in_two_pieces_is_one_message() {
        let mut decoder = WsDecoder::new(1024, Vec::new());
        let frame = client_frame(0x1, br#"{"type":"ping"}"#);
        assert_eq!(decode(&mut decoder, &frame[..5]), vec![]);
        assert_eq!(
            decode(&mut decoder, &frame[5..]),
            vec![WsInput::Text(r#"{"type":"ping"}"#.into())]
        );
    }

    #[test]
    fn bytes_read_with_the_handshake_are_decoded_first() {
        let frame = client_frame(0x1, b"hello");
        let mut decoder = WsDecoder::new(1024, frame[..3].to_vec());
        assert_eq!(
            decode(&mut decoder, &frame[3..]),
            vec![WsInput::Text("hello".into())]
        );
    }

    #[test]
    fn a_ping_is_answered_with_a_pong_and_counts_as_alive() {
        let mut decoder = WsDecoder::new(1024, Vec::new());
        let out = decode(&mut decoder, &client_frame(0x9, b"hi"));
        assert_eq!(
            out,
            vec![WsInput::Alive, WsInput::Send(vec![0x8a, 0x02, b'h', b'i'])]
        );
    }

    #[test]
    fn binary_oversize_and_unmasked_frames_are_reported() {
        let mut binary = WsDecoder::new(1024, Vec::new());
        assert_eq!(
            decode(&mut binary, &client_frame(0x2, b"\x00\x01")),
            vec![WsInput::Binary]
        );
        let mut small = WsDecoder::new(16, Vec::new());
        let big = client_frame(0x1, &[b'a'; 200]);
        // Refused from the header alone: the payload is never awaited.
        assert_eq!(decode(&mut small, &big[..8]), vec![WsInput::TooBig]);
        let mut unmasked = WsDecoder::new(1024, Vec::new());
        let out = decode(&mut unmasked, b"\x81\x02hi");
        assert!(matches!(&out[..], [WsInput::Broken(_)]), "{out:?}");
    }

    #[test]
    fn a_close_frame_is_answered_and_ends_the_stream() {
        let mut decoder = WsDecoder::new(1024, Vec::new());
        let out = decode(&mut decoder, &client_frame(0x8, &[0x03, 0xe8]));
        assert_eq!(
            out,
            vec![WsInput::Send(vec![0x88, 0x02, 0x03, 0xe8]), WsInput::Closed]
        );
        assert_eq!(decode(&mut decoder, &client_frame(0x1, b"late")), vec![]);
    }

    #[test]
    fn text_frames_have_the_header_tungstenite_writes_for_each_length() {
        use tungstenite::protocol::frame::coding::{Data, OpCode};
        for len in [0, 1, 125, 126, 127, 300, 0xffff, 0x10000] {
            let text = "a".repeat(len);
            let mut ours = b"before".to_vec();
            text_frame(&text, &mut ours);
            let mut theirs = b"before".to_vec();
            let frame = Frame::message(text.into_bytes(), OpCode::Data(Data::Text), true);
            frame.format(&mut theirs).unwrap();
            assert!(ours == theirs, "a frame of {len} bytes");
        }
    }

    #[test]
    fn server_frames_are_unmasked_and_close_reasons_fit() {
        let mut out = Vec::new();
        text_frame("hi", &mut out);
        assert_eq!(out, b"\x81\x02hi");
        let mut close = Vec::new();
        close_frame(CloseWhy::TooBig, &"é".repeat(100), &mut close);
        // 2 bytes of header, 2 of code, at most 123 of reason.
        assert_eq!(close[0], 0x88);
        assert!(close.len() <= 2 + 125);
        assert_eq!(&close[2..4], &1009u16.to_be_bytes());
        assert!(std::str::from_utf8(&close[4..]).is_ok());
    }
}
