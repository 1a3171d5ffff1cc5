//! The browser door: a WebSocket handshake at `/ws`, then JSON, one message
//! per frame (docs/web-protocol.md). Client frames are masked with a zero
//! key (RFC 6455 requires the mask bit, not a random key from a client that
//! is no browser); the server's frames are unmasked, and [`Conn`] hands out
//! their payloads as lines.
//!
//! ```text
//! {"type":"public","channel":"Weather","from":"rufus","text":"rain?",…}
//! {"type":"private","from":"wondergirl","text":"that's for you",…}
//! ```

use serde::Deserialize;

use crate::protocol::{Conn, Line, Protocol};

pub struct Web;

/// The fields of a message a scenario looks at; borrowed, so a text with
/// JSON escapes does not parse here (the scenarios send none).
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(default, borrow)]
    channel: Option<&'a str>,
    #[serde(default, borrow)]
    from: Option<&'a str>,
    #[serde(default, borrow)]
    text: Option<&'a str>,
}

/// Appends a client's text frame holding `json`.
fn frame(json: &str, out: &mut Vec<u8>) {
    out.push(0x81);
    match json.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= usize::from(u16::MAX) => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    // The masking key; XOR with zero leaves the payload as it is.
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(json.as_bytes());
}

fn send(conn: &mut Conn, json: serde_json::Value) -> Result<(), String> {
    let mut out = Vec::new();
    frame(&json.to_string(), &mut out);
    conn.send(&out)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Web {
    /// Reads messages until `done` says it has the one wanted; an `error`
    /// or `closing` message (or a close frame) is a failure.
    fn until(
        &self,
        conn: &mut Conn,
        mut done: impl FnMut(&serde_json::Value) -> Option<String>,
    ) -> Result<String, String> {
        loop {
            let line = conn.read_line()?;
            let Ok(message) = serde_json::from_slice::<serde_json::Value>(line) else {
                return Err(format!("not JSON (a close frame?): {}", text(line)));
            };
            if let Some(found) = done(&message) {
                return Ok(found);
            }
            if matches!(message["type"].as_str(), Some("error" | "closing")) {
                return Err(message.to_string());
            }
        }
    }
}

impl Protocol for Web {
    fn name(&self) -> &'static str {
        "web"
    }

    fn login(&self, conn: &mut Conn, nick: &str) -> Result<(), String> {
        let addr = conn.stream.peer_addr().map_err(|e| e.to_string())?;
        let handshake = format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        );
        conn.send(handshake.as_bytes())?;
        let status = text(conn.read_line()?);
        if !status.starts_with("HTTP/1.1 101") {
            return Err(format!("the handshake was refused: {status}"));
        }
        while !conn.read_line()?.is_empty() {}
        conn.use_websocket_frames();
        send(conn, serde_json::json!({"type": "login", "nick": nick}))?;
        self.until(conn, |m| (m["type"] == "logged_in").then(String::new))
            .map(drop)
    }

    fn join(&self, conn: &mut Conn, channel: &str) -> Result<String, String> {
        let wanted = channel.trim_start_matches('#').to_string();
        send(conn, serde_json::json!({"type": "join", "channel": wanted}))?;
        self.until(conn, |m| {
            let name = m["channel"]["name"].as_str()?;
            (m["type"] == "joined" && name.eq_ignore_ascii_case(&wanted)).then(|| name.to_string())
        })
    }

    fn say(&self, channel: &str, text: &str, out: &mut Vec<u8>) {
        let json = serde_json::json!({"type": "say", "channel": channel, "text": text});
        frame(&json.to_string(), out);
    }

    fn private(&self, nick: &str, text: &str, out: &mut Vec<u8>) {
        let json = serde_json::json!({"type": "private", "to": nick, "text": text});
        frame(&json.to_string(), out);
    }

    fn quit(&self, out: &mut Vec<u8>) {
        frame(r#"{"type":"quit"}"#, out);
    }

    fn classify<'a>(&self, line: &'a [u8]) -> Line<'a> {
        if line.first() != Some(&b'{') {
            // A close frame's payload: its code and reason.
            return Line::ServerError(line);
        }
        let Ok(message) = serde_json::from_slice::<Message<'a>>(line) else {
            return Line::Other;
        };
        match (message.kind, message.channel, message.from, message.text) {
            ("public", Some(channel), Some(from), Some(text)) => Line::Public {
                channel: channel.as_bytes(),
                from: from.as_bytes(),
                text: text.as_bytes(),
            },
            ("private", _, Some(from), Some(text)) => Line::Private {
                from: from.as_bytes(),
                text: text.as_bytes(),
            },
            ("error" | "closing", ..) => Line::ServerError(line),
            _ => Line::Other,
        }
    }

    /// The hub sends a channel line to every member, its sender too.
    fn echoes_own(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_what_the_web_door_renders() {
        let public = br#"{"action":false,"at":1,"channel":"Weather","from":"b1","id":"7","text":"1 2","type":"public"}"#;
        assert_eq!(
            Web.classify(public),
            Line::Public {
                channel: b"Weather",
                from: b"b1",
                text: b"1 2"
            }
        );
        let private = br#"{"from":"b2","text":"hi","type":"private","action":false}"#;
        assert_eq!(
            Web.classify(private),
            Line::Private {
                from: b"b2",
                text: b"hi"
            }
        );
        let sent = br#"{"to":"b2","text":"hi","type":"private_sent"}"#;
        assert_eq!(Web.classify(sent), Line::Other);
        assert!(matches!(Web.classify(b"\x03\xe8bye"), Line::ServerError(_)));
    }

    #[test]
    fn client_frames_are_masked_text_frames() {
        let mut out = Vec::new();
        Web.quit(&mut out);
        assert_eq!(&out[..6], &[0x81, 0x80 | 15, 0, 0, 0, 0]);
        assert_eq!(&out[6..], br#"{"type":"quit"}"#);
    }
}
