//! IRCv3 labeled-response: the reply to a client's line that carried
//! `@label=…`, as the engine kept it aside (`Said::OpenReply`). No line is
//! an `ACK`, one line carries the label itself, more come in a
//! `labeled-response` batch whose opening line carries it.

use std::io::Write;

use super::Renderer;
use crate::clock;
use crate::door::irc::cap::Cap;
use crate::door::irc::tags::{self, OutTags};

impl Renderer {
    /// Appends the reply `lines` (already tagged as the client asked) to the
    /// line labelled `label`.
    pub(super) fn labeled(&mut self, label: &str, lines: &[u8], out: &mut Vec<u8>) {
        let text = String::from_utf8_lossy(lines);
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        let server = self.server.name.clone();
        let mut labelled = self.own_tags();
        labelled.add("label", label);
        match lines.as_slice() {
            [] => {
                let _ = write!(out, "{}\r\n", labelled.apply(&format!(":{server} ACK")));
            }
            [line] => {
                let _ = write!(out, "{}\r\n", labelled.apply(line));
            }
            lines => {
                self.batches += 1;
                let id = format!("l{}", self.batches);
                let open = format!(":{server} BATCH +{id} labeled-response");
                let _ = write!(out, "{}\r\n", labelled.apply(&open));
                let mut inside = OutTags::new();
                inside.add("batch", &id);
                for line in lines {
                    // A line of an inner batch (chathistory's) keeps its own
                    // batch tag: that batch is inside this one.
                    let _ = write!(out, "{}\r\n", inside.apply(line));
                }
                let close = format!(":{server} BATCH -{id}");
                let _ = write!(out, "{}\r\n", self.own_tags().apply(&close));
            }
        }
    }

    /// The tags on a line the server makes up now: its time, if asked for.
    fn own_tags(&self) -> OutTags {
        let mut tags = OutTags::new();
        if self.caps().has(Cap::ServerTime) {
            tags.add("time", &tags::server_time(clock::wall_now()));
        }
        tags
    }
}

#[cfg(test)]
mod tests {
    use crate::door::irc::cap::{Negotiation, SharedCaps};
    use crate::door::irc::render::{Renderer, ServerInfo};

    fn renderer(caps: SharedCaps) -> Renderer {
        let server = ServerInfo {
            name: "chatd.test".into(),
            network: "ChatNet".into(),
            version: "chatd-0.1.0".into(),
            created: 0,
            motd: Vec::new(),
            nick_length: 30,
            channel_length: 32,
            max_watch: 100,
        };
        Renderer::new(server, caps)
    }

    fn reply(lines: &str) -> String {
        let mut caps = Negotiation::default();
        caps.handle("REQ", "labeled-response batch");
        let mut r = renderer(caps.shared());
        let mut out = Vec::new();
        r.labeled("x;y", lines.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn no_line_is_an_ack_one_line_is_labelled_more_are_a_batch() {
        assert_eq!(reply(""), "@label=x\\:y :chatd.test ACK\r\n");
        assert_eq!(
            reply("@time=T :a PONG a :b\r\n"),
            "@label=x\\:y;time=T :a PONG a :b\r\n"
        );
        assert_eq!(
            reply(":s 353 me = #a :me\r\n@batch=h1 :s 366 me #a :End\r\n"),
            "@label=x\\:y :chatd.test BATCH +l1 labeled-response\r\n\
             @batch=l1 :s 353 me = #a :me\r\n\
             @batch=h1 :s 366 me #a :End\r\n\
             :chatd.test BATCH -l1\r\n"
        );
    }
}
