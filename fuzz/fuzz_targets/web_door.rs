//! The browser door's parsers: HTTP request heads (`http::parse_head`),
//! WebSocket frames (`frames::WsDecoder`) and JSON requests
//! (`protocol::interpret`).
//!
//! Input: byte 0 picks the parser (its low two bits) and, for frames, where
//! the stream is split; the rest is what a client sends.
//!
//! Checked:
//! - a complete head took at most the bytes given, and stays the same head
//!   with any bytes after it; every proper prefix of it is partial, never
//!   malformed where the whole is complete;
//! - frames decode to the same inputs in one read as split in two at any
//!   point or fed byte by byte; nothing follows `Closed`, `TooBig` or
//!   `Broken`; a `Text` is never longer than the limit;
//! - a request is never read with text over the line limit: that is
//!   `LineTooLong`, and `interpret` never panics.
#![no_main]

use chatd::door::lines::Decoder;
use chatd::door::web::frames::{WsDecoder, WsInput};
use chatd::door::web::http::{parse_head, Head};
use chatd::door::web::protocol::{interpret, Asked};
use chatd::hub::Command;
use libfuzzer_sys::fuzz_target;

const MAX_MESSAGE: usize = 64;

fn head(bytes: &[u8]) {
    let Head::Complete(request, taken) = parse_head(bytes) else {
        return;
    };
    assert!(taken <= bytes.len());
    let mut longer = bytes[..taken].to_vec();
    longer.extend_from_slice(b"GET / HTTP/1.1\r\n");
    assert_eq!(parse_head(&longer), Head::Complete(request, taken));
    for end in 0..taken {
        assert!(
            !matches!(parse_head(&bytes[..end]), Head::Complete(_, _)),
            "a prefix of {end} bytes is complete"
        );
    }
}

fn decode<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<WsInput> {
    let mut decoder = WsDecoder::new(MAX_MESSAGE, Vec::new());
    let mut out = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk, &mut out);
    }
    out
}

fn frames(split: usize, stream: &[u8]) {
    let whole = decode([stream]);
    let at = split.min(stream.len());
    assert_eq!(decode([&stream[..at], &stream[at..]]), whole);
    if stream.len() <= 256 {
        assert_eq!(decode(stream.chunks(1)), whole);
    }
    let end = whole
        .iter()
        .position(|i| matches!(i, WsInput::Closed | WsInput::TooBig | WsInput::Broken(_)));
    if let Some(end) = end {
        assert_eq!(end + 1, whole.len(), "inputs after the end: {whole:?}");
    }
    for input in &whole {
        if let WsInput::Text(text) = input {
            assert!(text.len() <= MAX_MESSAGE);
        }
    }
}

fn request(bytes: &[u8]) {
    let Ok(json) = std::str::from_utf8(bytes) else {
        return;
    };
    let text = match interpret(json, MAX_MESSAGE) {
        Asked::Hub(Command::Say { text, .. }) | Asked::Hub(Command::Private { text, .. }) => text,
        _ => return,
    };
    assert!(text.len() <= MAX_MESSAGE, "{text:?}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    match pick & 3 {
        0 => head(rest),
        1 | 2 => frames(usize::from(pick >> 2), rest),
        _ => request(rest),
    }
});
