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

use crate::protocol::{Conn, Line, Protocol};

pub struct Web;

/// The fields of a message a scenario looks at, borrowed from the frame.
#[derive(Debug, Default, PartialEq, Eq)]
struct Message<'a> {
    kind: &'a [u8],
    channel: Option<&'a [u8]>,
    from: Option<&'a [u8]>,
    text: Option<&'a [u8]>,
}

impl<'a> Message<'a> {
    /// Reads one server message the way the IRC client reads a line: one
    /// pass over the bytes, nothing allocated. The server's messages are
    /// flat objects (`"key": value`, values strings, numbers, booleans,
    /// null, or an object or array, which is skipped); a string with an
    /// escape in it is returned as written, escapes and all (the scenarios
    /// send none, and compare texts they sent). `None`: not such an object.
    fn parse(line: &'a [u8]) -> Option<Message<'a>> {
        let mut m = Message::default();
        let mut at = skip_space(line, 0);
        if line.get(at) != Some(&b'{') {
            return None;
        }
        at = skip_space(line, at + 1);
        if line.get(at) == Some(&b'}') {
            return None;
        }
        loop {
            let (key, end) = string(line, at)?;
            at = skip_space(line, end);
            if line.get(at) != Some(&b':') {
                return None;
            }
            at = skip_space(line, at + 1);
            let (value, end) = match line.get(at)? {
                b'"' => {
                    let (value, end) = string(line, at)?;
                    (Some(value), end)
                }
                b'{' | b'[' => (None, nested(line, at)?),
                _ => {
                    let end = line[at..]
                        .iter()
                        .position(|&b| matches!(b, b',' | b'}' | b' ' | b'\n' | b'\r' | b'\t'))
                        .map_or(line.len(), |n| at + n);
                    (None, end)
                }
            };
            match key {
                b"type" => m.kind = value?,
                b"channel" => m.channel = value,
                b"from" => m.from = value,
                b"text" => m.text = value,
                _ => {}
            }
            at = skip_space(line, end);
            match line.get(at)? {
                b',' => at = skip_space(line, at + 1),
                b'}' => break,
                _ => return None,
            }
        }
        (!m.kind.is_empty()).then_some(m)
    }
}

fn skip_space(line: &[u8], mut at: usize) -> usize {
    while matches!(line.get(at), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        at += 1;
    }
    at
}

/// The string starting at `line[at]` (a `"`), without its quotes, and
/// where it ends.
fn string(line: &[u8], at: usize) -> Option<(&[u8], usize)> {
    if line.get(at) != Some(&b'"') {
        return None;
    }
    let mut end = at + 1;
    loop {
        match line.get(end)? {
            b'"' => return Some((&line[at + 1..end], end + 1)),
            b'\\' => end += 2,
            _ => end += 1,
        }
    }
}

/// Where the object or array starting at `line[at]` ends.
fn nested(line: &[u8], mut at: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match line.get(at)? {
            b'"' => {
                at = string(line, at)?.1;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(at + 1);
                }
            }
            _ => {}
        }
        at += 1;
    }
}

/// Appends `text` as a JSON string.
fn json_string(text: &str, out: &mut Vec<u8>) {
    // Writing into a Vec can't fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// Appends a client's text frame holding `json`.
fn frame(json: &[u8], out: &mut Vec<u8>) {
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
    out.extend_from_slice(json);
}

fn send(conn: &mut Conn, json: serde_json::Value) -> Result<(), String> {
    let mut out = Vec::new();
    frame(json.to_string().as_bytes(), &mut out);
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
        let mut json = br#"{"type":"say","channel":"#.to_vec();
        json_string(channel, &mut json);
        json.extend_from_slice(br#","text":"#);
        json_string(text, &mut json);
        json.push(b'}');
        frame(&json, out);
    }

    fn private(&self, nick: &str, text: &str, out: &mut Vec<u8>) {
        let mut json = br#"{"type":"private","to":"#.to_vec();
        json_string(nick, &mut json);
        json.extend_from_slice(br#","text":"#);
        json_string(text, &mut json);
        json.push(b'}');
        frame(&json, out);
    }

    fn quit(&self, out: &mut Vec<u8>) {
        frame(br#"{"type":"quit"}"#, out);
    }

    fn classify<'a>(&self, line: &'a [u8]) -> Line<'a> {
        if line.first() != Some(&b'{') {
            // A close frame's payload: its code and reason.
            return Line::ServerError(line);
        }
        let Some(message) = Message::parse(line) else {
            return Line::Other;
        };
        match (message.kind, message.channel, message.from, message.text) {
            (b"public", Some(channel), Some(from), Some(text)) => Line::Public {
                channel,
                from,
                text,
            },
            (b"private", _, Some(from), Some(text)) => Line::Private { from, text },
            (b"error" | b"closing", ..) => Line::ServerError(line),
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
        let error = br#"{"type":"error","text":"no such nick"}"#;
        assert!(matches!(Web.classify(error), Line::ServerError(_)));
    }

    #[test]
    fn reads_flat_objects_skipping_what_it_does_not_look_at() {
        let joined = br#"{ "type" : "joined", "channel": {"name": "W}", "users": [1, {"a": "]"}]}, "x": null }"#;
        assert_eq!(
            Message::parse(joined),
            Some(Message {
                kind: b"joined",
                ..Message::default()
            })
        );
        // Escapes are kept as written, and a quote inside does not end the string.
        let escaped = br#"{"type":"public","channel":"W","from":"a","text":"say \"hi\"","at":17}"#;
        assert_eq!(
            Message::parse(escaped).unwrap().text,
            Some(&br#"say \"hi\""#[..])
        );
        for broken in [
            &br#"{"type":"public""#[..],
            br#"{"type" "public"}"#,
            br#"{"text":"no type"}"#,
            br#"{"type":"public",}"#,
            b"{}",
            b"[]",
        ] {
            assert_eq!(Message::parse(broken), None, "{broken:?}");
        }
    }

    #[test]
    fn what_clients_say_is_json_with_its_text_escaped() {
        let mut out = Vec::new();
        Web.say("Weather", "a \"b\"\\", &mut out);
        let value: serde_json::Value = serde_json::from_slice(&out[6..]).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"type": "say", "channel": "Weather", "text": "a \"b\"\\"})
        );
    }

    #[test]
    fn client_frames_are_masked_text_frames() {
        let mut out = Vec::new();
        Web.quit(&mut out);
        assert_eq!(&out[..6], &[0x81, 0x80 | 15, 0, 0, 0, 0]);
        assert_eq!(&out[6..], br#"{"type":"quit"}"#);
    }
}
