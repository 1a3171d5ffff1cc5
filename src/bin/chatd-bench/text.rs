//! The text door (telnet/netcat): lines end in CRLF, a plain line is said in
//! the current channel (the one joined last), and what is delivered reads
//! like the book's client (`src/door/text/render.rs`):
//!
//! ```text
//! rufus [Weather]: is it true about the rain in spain?
//! wondergirl [**private**]: that's for you to figure out
//! ** ERROR: no channel named nosuch **
//! ```

use crate::protocol::{Conn, Line, Protocol, TIMED_OUT};

/// The prompt has no line end: the next line the server sends follows it.
const NICK_PROMPT: &[u8] = b"Your nickname: ";
const PRIVATE: &[u8] = b"**private**";

pub struct Text;

impl Protocol for Text {
    fn name(&self) -> &'static str {
        "text"
    }

    fn login(&self, conn: &mut Conn, nick: &str) -> Result<(), String> {
        // The door reads the nickname after its prompt whenever it arrives,
        // so there is no need to wait for the prompt first.
        conn.send(format!("{nick}\r\n").as_bytes())?;
        loop {
            let mut line = conn.read_line().map_err(|e| {
                if e == TIMED_OUT {
                    format!("{e} (a registered nickname would ask for a password)")
                } else {
                    e
                }
            })?;
            while let Some(rest) = line.strip_prefix(NICK_PROMPT) {
                line = rest;
            }
            if line.starts_with(b"Log in successful.") {
                return Ok(());
            }
            if line.starts_with(b"** ") {
                return Err(String::from_utf8_lossy(line).into_owned());
            }
        }
    }

    fn join(&self, conn: &mut Conn, channel: &str) -> Result<String, String> {
        conn.send(format!("/join {channel}\r\n").as_bytes())?;
        let wanted = channel.trim_start_matches('#');
        loop {
            let line = conn.read_line()?;
            // "Welcome to the Weather Channel (3 users)"; the lobby's welcome
            // after login has the same form, so the name must match.
            if let Some(rest) = line.strip_prefix(b"Welcome to the ".as_slice()) {
                if let Some(end) = find(rest, b" Channel (") {
                    let name = &rest[..end];
                    if name.eq_ignore_ascii_case(wanted.as_bytes()) {
                        return Ok(String::from_utf8_lossy(name).into_owned());
                    }
                }
            }
            if line.starts_with(b"** ") {
                return Err(String::from_utf8_lossy(line).into_owned());
            }
        }
    }

    fn say(&self, _channel: &str, text: &str, out: &mut Vec<u8>) {
        // A plain line goes to the current channel: the scenarios join one
        // channel, which is then the current one.
        if text.starts_with('/') {
            out.push(b'/');
        }
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(b"\r\n");
    }

    fn private(&self, nick: &str, text: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(b"/private ");
        out.extend_from_slice(nick.as_bytes());
        out.push(b' ');
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(b"\r\n");
    }

    fn quit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"/quit\r\n");
    }

    fn classify<'a>(&self, line: &'a [u8]) -> Line<'a> {
        if line.starts_with(b"** ") {
            return Line::ServerError(line);
        }
        // "<from> [<channel>]: <text>"; a nickname has no spaces, a channel
        // name no ']'.
        let Some(space) = line.iter().position(|&b| b == b' ') else {
            return Line::Other;
        };
        let from = &line[..space];
        let Some(rest) = line[space + 1..].strip_prefix(b"[") else {
            return Line::Other;
        };
        let Some(close) = rest.iter().position(|&b| b == b']') else {
            return Line::Other;
        };
        let channel = &rest[..close];
        let Some(text) = rest[close + 1..].strip_prefix(b": ") else {
            return Line::Other;
        };
        if from.is_empty() || channel.is_empty() {
            return Line::Other;
        }
        if channel == PRIVATE {
            Line::Private { from, text }
        } else {
            Line::Public {
                channel,
                from,
                text,
            }
        }
    }

    fn echoes_own(&self) -> bool {
        true
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_what_the_text_door_renders() {
        let t = Text;
        assert_eq!(
            t.classify(b"rufus [Weather]: is it true: [about] the rain?"),
            Line::Public {
                channel: b"Weather",
                from: b"rufus",
                text: b"is it true: [about] the rain?"
            }
        );
        assert_eq!(
            t.classify(b"wondergirl [**private**]: that's for you"),
            Line::Private {
                from: b"wondergirl",
                text: b"that's for you"
            }
        );
        assert_eq!(
            t.classify(b"** ERROR: no channel named nosuch **"),
            Line::ServerError(b"** ERROR: no channel named nosuch **")
        );
        for other in [
            &b"-> b2 [**private**]: 1 2"[..],
            b"* b1 [Weather] waves",
            b"<b1 has entered Weather>",
            b"Welcome to the Weather Channel (3 users)",
            b"[Weather]            Talk about the weather          2 users",
            b"b1              (on 00:00:01) Channels: Weather Lobby",
            b"Your nickname: Log in successful. Welcome b1.",
            b"",
        ] {
            assert_eq!(t.classify(other), Line::Other, "{other:?}");
        }
    }

    #[test]
    fn says_escape_a_leading_slash() {
        let mut out = Vec::new();
        Text.say("Weather", "/etc", &mut out);
        Text.private("b1", "1 2", &mut out);
        assert_eq!(out, b"//etc\r\n/private b1 1 2\r\n");
    }
}
