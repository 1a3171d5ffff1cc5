//! The IRC door's input: `LineDecoder::plain` lines, `Message::parse`, and
//! `strip_formatting` then `sanitize::clean` for the text people see. Run on
//! the whole input taken as UTF-8 (lossily) and on every decoded line.
//!
//! Checked for `Message::parse`:
//! - `TooLong` exactly when the message after its tags, plus CR LF, is over
//!   512 bytes;
//! - a message has a non-empty, upper-case command without spaces; every
//!   parameter but the last is non-empty, has no space and no leading `:`;
//!   `param(i)` is the i-th parameter or `""`;
//! - written back as `COMMAND p1 … :last`, it parses to the same message.
//!
//! Checked for `strip_formatting`: no mIRC code (^B ^C ^D ^O ^Q ^V ^] ^^ ^_)
//! is left, the output is a subsequence of the input, it is idempotent, and
//! `clean` after it leaves no control character.
#![no_main]

use chatd::door::irc::message::{Message, ParseError, MAX_LINE};
use chatd::door::irc::strip_formatting;
use chatd::door::sanitize::clean;
use chatd::door::text::codec::{Input, LineDecoder};
use libfuzzer_sys::fuzz_target;

/// The IRC door's decoder limit (`MAX_TAGGED_LINE` in src/door/irc/mod.rs):
/// 8191 bytes of tags, then the message.
const MAX_TAGGED_LINE: usize = 8191 + MAX_LINE;

const FORMATTING: [char; 9] = [
    '\u{2}', '\u{3}', '\u{4}', '\u{f}', '\u{11}', '\u{16}', '\u{1d}', '\u{1e}', '\u{1f}',
];

fn check_parse(line: &str) {
    let parsed = Message::parse(line);
    let untagged = match line.strip_prefix('@') {
        Some(tagged) => tagged.split_once(' ').map(|(_, r)| r).unwrap_or(""),
        None => line,
    };
    assert_eq!(
        matches!(parsed, Err(ParseError::TooLong)),
        untagged.len() + 2 > MAX_LINE,
        "TooLong vs length {} of {line:?}",
        untagged.len()
    );
    let Ok(message) = parsed else {
        return;
    };
    let command = &message.command;
    assert!(!command.is_empty(), "empty command from {line:?}");
    assert!(!command.contains(' '), "command {command:?}");
    assert_eq!(*command, command.to_ascii_uppercase());
    if let Some((_, middle)) = message.params.split_last() {
        for param in middle {
            assert!(
                !param.is_empty() && !param.contains(' ') && !param.starts_with(':'),
                "middle parameter {param:?} from {line:?}"
            );
        }
    }
    for (i, param) in message.params.iter().enumerate() {
        assert_eq!(message.param(i), param);
    }
    assert_eq!(message.param(message.params.len()), "");

    let mut written = command.clone();
    if let Some((last, middle)) = message.params.split_last() {
        for param in middle {
            written.push(' ');
            written.push_str(param);
        }
        written.push_str(" :");
        written.push_str(last);
    }
    // A command that itself starts with `:` or `@` reads back as a prefix
    // or tags; it only comes from a malformed line.
    if written.len() + 2 <= MAX_LINE && !written.starts_with([':', '@']) {
        assert_eq!(
            Message::parse(&written).as_ref(),
            Ok(&message),
            "{line:?} written back as {written:?}"
        );
    }
}

fn check_text(text: &str) {
    let stripped = strip_formatting(text);
    assert!(
        !stripped.contains(FORMATTING),
        "formatting left in {stripped:?} from {text:?}"
    );
    let mut source = text.chars();
    for c in stripped.chars() {
        assert!(
            source.any(|s| s == c),
            "{stripped:?} is not a subsequence of {text:?}"
        );
    }
    assert_eq!(strip_formatting(&stripped), stripped, "not idempotent");
    let shown = clean(&stripped);
    assert!(
        !shown.chars().any(char::is_control),
        "control in {shown:?} from {text:?}"
    );
}

fn check_line(line: &str) {
    check_parse(line);
    check_text(line);
    if let Ok(message) = Message::parse(line) {
        if let Some(text) = message.params.last() {
            check_text(text);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check_line(&String::from_utf8_lossy(data));
    let mut decoder = LineDecoder::plain(MAX_TAGGED_LINE);
    let mut out = Vec::new();
    decoder.feed(data, &mut out);
    for input in out {
        if let Input::Line(line) = input {
            check_line(&line);
        }
    }
});
