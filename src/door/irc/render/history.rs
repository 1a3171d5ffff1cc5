//! The IRC renderer for history asked for with `CHATHISTORY` (IRCv3
//! draft/chathistory): a channel's kept lines as a `chathistory` batch, each
//! PRIVMSG with the `msgid` and `time` it was said with; the channels with
//! lines in a stretch of time as a `draft/chathistory-targets` batch. The
//! tags and BATCH lines go only to clients that negotiated them (batch,
//! message-tags, server-time); the lines themselves go to everyone.

use std::io::Write;

use super::chat::ctcp_action;
use super::{channel, Renderer};
use crate::door::irc::cap::Cap;
use crate::door::irc::chathistory;
use crate::door::irc::tags::{self, OutTags};
use crate::hub::{Event, HistoryLine, HistoryRequest, HistoryTarget};

impl Renderer {
    pub(super) fn render_history(&mut self, event: &Event, out: &mut Vec<u8>) {
        match event {
            Event::HistoryLines { channel: c, lines } => {
                self.history_lines(&channel(c), lines, out)
            }
            Event::HistoryTargets(targets) => self.history_targets(targets, out),
            // `render_chat` sends only these here.
            _ => {}
        }
    }

    fn history_lines(&mut self, name: &str, lines: &[HistoryLine], out: &mut Vec<u8>) {
        let batch = self.open_batch(&format!("chathistory {name}"), out);
        for line in lines {
            self.stored_line(name, line, &line.text, batch.as_deref(), out);
        }
        self.close_batch(batch, out);
    }

    /// A kept line as the PRIVMSG it was, saying `text`, with the tags the
    /// client negotiated: its batch, the msgid and time it was said with.
    /// The replay on join writes its lines with this too.
    pub(super) fn stored_line(
        &self,
        name: &str,
        line: &HistoryLine,
        text: &str,
        batch: Option<&str>,
        out: &mut Vec<u8>,
    ) {
        let caps = self.caps();
        let mut tags = OutTags::new();
        if let Some(batch) = batch {
            tags.add("batch", batch);
        }
        if caps.has(Cap::MessageTags) {
            tags.add("msgid", &line.id.to_string());
        }
        if caps.has(Cap::ServerTime) {
            tags.add("time", &tags::server_time(line.time()));
        }
        let text = ctcp_action(text, line.action);
        let _ = write!(
            out,
            "{}:{} PRIVMSG {name} :{text}\r\n",
            tags.prefix(),
            self.mask(&line.nick)
        );
    }

    /// A FAIL for a history request the hub refused or the store could
    /// not answer.
    pub(super) fn history_fail(&self, out: &mut Vec<u8>, code: &str, request: &HistoryRequest) {
        let context = [
            chathistory::subcommand(request).to_string(),
            chathistory::target(request),
        ];
        let description = "Messages could not be retrieved";
        let line = chathistory::fail_line(&self.server.name, code, &context, description);
        let _ = write!(out, "{line}\r\n");
    }

    fn history_targets(&mut self, targets: &[HistoryTarget], out: &mut Vec<u8>) {
        let batch = self.open_batch("draft/chathistory-targets", out);
        for target in targets {
            let mut tags = OutTags::new();
            if let Some(batch) = &batch {
                tags.add("batch", batch);
            }
            let _ = write!(
                out,
                "{}:{} CHATHISTORY TARGETS {} {}\r\n",
                tags.prefix(),
                self.server.name,
                channel(&target.channel),
                tags::server_time(target.time())
            );
        }
        self.close_batch(batch, out);
    }

    /// `BATCH +id type params` for a client with the batch capability; the
    /// id, to tag the batch's lines with.
    fn open_batch(&mut self, kind: &str, out: &mut Vec<u8>) -> Option<String> {
        if !self.caps().has(Cap::Batch) {
            return None;
        }
        self.batches += 1;
        let id = format!("h{}", self.batches);
        let _ = write!(out, ":{} BATCH +{id} {kind}\r\n", self.server.name);
        Some(id)
    }

    fn close_batch(&self, batch: Option<String>, out: &mut Vec<u8>) {
        if let Some(id) = batch {
            let _ = write!(out, ":{} BATCH -{id}\r\n", self.server.name);
        }
    }
}
