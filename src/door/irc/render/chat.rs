//! The IRC renderer for lines people say: PRIVMSG to channels and to one
//! person, NOTICE, CTCP and TAGMSG, channel history on joining, WALLOPS.
//! With echo-message the sender gets its own lines back (notices and TAGMSG
//! too); with server-time history lines carry their time as a tag instead of in the text (and,
//! with message-tags, their msgid, as `history` writes kept lines).

use std::io::Write;

use super::{channel, Renderer};
use crate::clock::utc;
use crate::door::irc::cap::Cap;
use crate::hub::{Aside, Event, Target};

impl Renderer {
    /// Renders the lines people say.
    pub(super) fn render_chat(&mut self, event: &Event, out: &mut Vec<u8>) {
        match event {
            Event::Public {
                channel: c,
                from,
                text,
                action,
                ..
            } if Some(from.as_str()) != self.nick.as_deref()
                || self.caps().has(Cap::EchoMessage) =>
            {
                let text = ctcp_action(text, *action);
                let _ = write!(
                    out,
                    ":{} PRIVMSG {} :{text}\r\n",
                    self.mask(from),
                    channel(c)
                );
            }
            // Without echo-message IRC clients show their own lines themselves.
            Event::Public { .. } => {}
            Event::Private {
                from, text, action, ..
            } => {
                let text = ctcp_action(text, *action);
                let _ = write!(
                    out,
                    ":{} PRIVMSG {} :{text}\r\n",
                    self.mask(from),
                    self.me()
                );
            }
            Event::Aside {
                from,
                channel: c,
                text,
                kind,
                ..
            } => {
                let to = c
                    .as_deref()
                    .map(channel)
                    .unwrap_or_else(|| self.me().into());
                self.aside(from, &to, text, *kind, out);
            }
            // echo-message: the sender's own notices, CTCPs and TAGMSGs.
            Event::AsideSent { to, text, kind, .. } if self.caps().has(Cap::EchoMessage) => {
                let to = match to {
                    Target::Channel(c) => channel(c),
                    Target::Nick(nick) => nick.clone(),
                };
                let me = self.me().to_string();
                self.aside(&me, &to, text, *kind, out);
            }
            Event::AsideSent { .. } => {}
            Event::Wallops { from, text, .. } => {
                let _ = write!(out, ":{} WALLOPS :{text}\r\n", self.mask(from));
            }
            Event::History { channel: c, lines } => {
                let name = channel(c);
                let tagged = self.caps().has(Cap::ServerTime);
                for line in lines {
                    let text = match tagged {
                        true => line.text.clone(),
                        // The time goes inside the CTCP: an ACTION must be the whole message.
                        false => format!("[{}] {}", utc(line.at), line.text),
                    };
                    self.stored_line(&name, line, &text, None, out);
                }
            }
            Event::PrivateSent {
                to, text, action, ..
            } if self.caps().has(Cap::EchoMessage) => {
                let text = ctcp_action(text, *action);
                let _ = write!(out, ":{} PRIVMSG {to} :{text}\r\n", self.mask(self.me()));
            }
            // The sender's copy of a private line: IRC clients show it themselves.
            Event::PrivateSent { .. } => {}
            Event::HistoryLines { .. } | Event::HistoryTargets(_) => {
                self.render_history(event, out)
            }
            // `render` sends every other event elsewhere.
            _ => {}
        }
    }
}

impl Renderer {
    /// A notice, CTCP or TAGMSG from `from` to `to` (a channel or a nick).
    fn aside(&self, from: &str, to: &str, text: &str, kind: Aside, out: &mut Vec<u8>) {
        let (command, framed) = match kind {
            // message-tags: TAGMSG reaches only clients that read tags.
            Aside::Tags if !self.caps().has(Cap::MessageTags) => return,
            // The tags themselves go on with the others (`tag`).
            Aside::Tags => {
                let _ = write!(out, ":{} TAGMSG {to}\r\n", self.mask(from));
                return;
            }
            Aside::Notice => ("NOTICE", text.to_string()),
            Aside::Ctcp => ("PRIVMSG", format!("\u{1}{text}\u{1}")),
            Aside::CtcpReply => ("NOTICE", format!("\u{1}{text}\u{1}")),
        };
        let _ = write!(out, ":{} {command} {to} :{framed}\r\n", self.mask(from));
    }
}

/// CTCP ACTION framing for `/me` lines.
pub(super) fn ctcp_action(text: &str, action: bool) -> String {
    match action {
        true => format!("\u{1}ACTION {text}\u{1}"),
        false => text.to_string(),
    }
}
