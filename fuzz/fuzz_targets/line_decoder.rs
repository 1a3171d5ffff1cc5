//! The text door's `LineDecoder`: any bytes, any way they are split into reads.
//!
//! Input: byte 0 picks the decoder: its top bit `LineDecoder::plain` (the IRC
//! door's: no telnet, no line editing) rather than `new` (telnet), its low 7
//! bits `max_line` (0..=127, so overlong lines are common). The rest is the
//! stream a client sends.
//!
//! Checked:
//! - one read, one byte per read, every two-way split (short streams) and
//!   reads of fuzzer-chosen sizes all give the same `Input`s;
//! - a `Line` never holds CR or LF (they end lines), nor, in telnet mode, BS
//!   or DEL (they edit the line); plain mode never reports a `Negotiation`;
//! - a `Line` came from at most `max_line` raw bytes (each U+FFFD stands for at
//!   least one byte); the `Line` itself is at most
//!   `max_line` bytes, as `LineDecoder::new` documents. Lossy UTF-8
//!   conversion breaks that (up to 3x: each invalid byte becomes the 3-byte
//!   U+FFFD), e.g. max_line 1 and `b"\xbc\n"` give a 3-byte Line;
//! - at most one `Line`/`TooLong` per CR or LF, at most one `Negotiation` per
//!   IAC byte;
//! - on the stream without CR (and in telnet mode without IAC, BS and DEL),
//!   the decoder agrees with a plain model: split on LF, longer than
//!   `max_line` is `TooLong`.
#![no_main]

use chatd::door::text::codec::{Input, LineDecoder, IAC};
use libfuzzer_sys::fuzz_target;

#[derive(Clone, Copy)]
struct Mode {
    plain: bool,
    max_line: usize,
}

fn decode_chunks<'a>(mode: Mode, chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<Input> {
    let mut decoder = match mode.plain {
        true => LineDecoder::plain(mode.max_line),
        false => LineDecoder::new(mode.max_line),
    };
    let mut out = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk, &mut out);
    }
    out
}

fn check_invariants(mode: Mode, stream: &[u8], out: &[Input]) {
    let max_line = mode.max_line;
    let endings = stream.iter().filter(|&&b| b == b'\r' || b == b'\n').count();
    let iacs = stream.iter().filter(|&&b| b == IAC).count();
    let mut lines = 0;
    let mut negotiations = 0;
    for input in out {
        match input {
            Input::Line(line) => {
                lines += 1;
                assert!(
                    !line.contains(['\r', '\n']),
                    "a line holds a line ending: {line:?}"
                );
                assert!(
                    mode.plain || !line.contains(['\u{8}', '\u{7f}']),
                    "a telnet line holds an editing byte: {line:?}"
                );
                let replacements = line.matches('\u{fffd}').count();
                // U+FFFD is 3 bytes but may stand for a single raw byte.
                let raw_at_least = line.len() - 2 * replacements;
                assert!(
                    raw_at_least <= max_line,
                    "line from more than max_line={max_line} bytes: {line:?}"
                );
                assert!(
                    line.len() <= max_line,
                    "line of {} bytes > max_line={max_line}: {line:?}",
                    line.len()
                );
            }
            Input::TooLong => lines += 1,
            Input::Negotiation { .. } => negotiations += 1,
        }
    }
    assert!(
        lines <= endings,
        "{lines} lines from {endings} line endings"
    );
    assert!(negotiations == 0 || !mode.plain, "plain mode negotiated");
    assert!(
        negotiations <= iacs,
        "{negotiations} negotiations from {iacs} IAC bytes"
    );
}

/// The decoder on a stream with no CR (nor, for telnet, IAC, BS or DEL):
/// lines split on LF.
fn plain_model(max_line: usize, stream: &[u8]) -> Vec<Input> {
    let mut segments: Vec<&[u8]> = stream.split(|&b| b == b'\n').collect();
    segments.pop(); // the unfinished line waits
    segments
        .into_iter()
        .map(|segment| {
            // Over the limit as received, or once invalid UTF-8 is repaired.
            let line = String::from_utf8_lossy(segment);
            match segment.len() > max_line || line.len() > max_line {
                true => Input::TooLong,
                false => Input::Line(line.into_owned()),
            }
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, stream)) = data.split_first() else {
        return;
    };
    let mode = Mode {
        plain: mode & 0x80 != 0,
        max_line: (mode & 0x7f) as usize,
    };

    let whole = decode_chunks(mode, [stream]);
    check_invariants(mode, stream, &whole);

    let bytewise = decode_chunks(mode, stream.chunks(1));
    assert_eq!(whole, bytewise, "one read vs one byte per read");

    if stream.len() <= 128 {
        for at in 0..=stream.len() {
            let (a, b) = stream.split_at(at);
            assert_eq!(
                whole,
                decode_chunks(mode, [a, b]),
                "one read vs split at {at}"
            );
        }
    }

    // Reads whose sizes (1..=16) the stream's own bytes pick.
    let mut reads = Vec::new();
    let mut rest = stream;
    let mut sizes = stream.iter().cycle();
    while !rest.is_empty() {
        let size = (*sizes.next().unwrap_or(&0) as usize % 16 + 1).min(rest.len());
        let (read, tail) = rest.split_at(size);
        reads.push(read);
        rest = tail;
    }
    assert_eq!(
        whole,
        decode_chunks(mode, reads),
        "one read vs uneven reads"
    );

    let plain: Vec<u8> = stream
        .iter()
        .copied()
        .filter(|&b| b != b'\r' && (mode.plain || ![IAC, 0x08, 0x7f].contains(&b)))
        .collect();
    assert_eq!(
        decode_chunks(mode, [&plain[..]]),
        plain_model(mode.max_line, &plain),
        "plain stream {plain:?}"
    );
});
