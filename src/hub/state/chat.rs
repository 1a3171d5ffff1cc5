//! The lines people say: to the current or a named channel (if the
//! channel's modes let them), kept in the channel's history, and private
//! messages (kept as memos by the store for someone off line). Pure like the
//! rest of `state`.

use super::{Effect, Hub, Out, StoreWrite};
use crate::clock::{self, Now};
use crate::hub::command::Target;
use crate::hub::event::{ChatError, Event};
use crate::hub::kinds::Aside;
use crate::hub::session_id::SessionId;
use crate::model::{ClientTags, HistoryLine, Stamp};

/// A line someone says, as it came with its command.
pub(in crate::hub) struct Utterance {
    pub text: String,
    /// A `/me`.
    pub action: bool,
    pub tags: ClientTags,
}

/// A notice, CTCP or tags-only line, as it came with its command.
pub(in crate::hub) struct AsideLine {
    pub text: String,
    pub kind: Aside,
    pub tags: ClientTags,
}

impl Hub {
    /// Stamps a chat line taken `now` (see `MessageIds`); the store hears
    /// of a new id reservation before the line can leave.
    pub(super) fn stamp(&mut self, now: Now, out: &mut Out) -> Stamp {
        let (stamp, reserve) = self.message_ids.stamp(now.wall);
        if let Some(up_to) = reserve {
            let write = StoreWrite::ReserveMessageIds { up_to };
            out.0.push(Effect::Store { write, ack: None });
        }
        stamp
    }

    /// A line to the channel named `typed`, or to the current one.
    pub(super) fn say(
        &mut self,
        now: Now,
        from: SessionId,
        typed: Option<&str>,
        line: Utterance,
        out: &mut Out,
    ) {
        let index = match typed {
            Some(typed) => match self.channels.find(typed) {
                Some(index) => index,
                None => return out.error(from, ChatError::NoSuchChannel(typed.to_string())),
            },
            // Without a channel, nothing to say is the first thing to hear.
            None if line.text.is_empty() => return out.error(from, ChatError::EmptyMessage),
            None => match self.current_channel(from) {
                Some(index) => index,
                None => return out.error(from, ChatError::NoCurrentChannel),
            },
        };
        self.say_in(now, from, index, line, out);
    }

    /// A line to channel `index`, if its modes let `from` say it.
    fn say_in(&mut self, now: Now, from: SessionId, index: usize, line: Utterance, out: &mut Out) {
        let Utterance { text, action, tags } = line;
        if text.is_empty() {
            return out.error(from, ChatError::EmptyMessage);
        }
        if !self.may_speak(from, index, false) {
            let name = self.channels[index].name.clone();
            return out.error(from, ChatError::CannotSendToChan(name));
        }
        let nick = self.nick_of(from).to_string();
        let hearers = self.hearers(index, &nick, None);
        let name = self.channels[index].name.clone();
        let stamp = self.stamp(now, out);
        if self.config.history.replay > 0 {
            let millis = clock::unix_millis(stamp.at);
            let line = HistoryLine {
                id: stamp.id,
                at: millis.div_euclid(1000),
                millis: millis.rem_euclid(1000) as u16,
                nick: nick.clone(),
                text: text.clone(),
                action,
            };
            let replay = self.config.history.replay;
            let history = &mut self.channels[index].history;
            if history.len() >= replay {
                history.pop_front();
            }
            history.push_back(line.clone());
            if self.channels[index].is_saved() {
                let write = StoreWrite::AppendHistory {
                    channel: name.clone(),
                    line,
                };
                out.0.push(Effect::Store { write, ack: None });
            }
        }
        let event = Event::Public {
            channel: name,
            from: nick,
            text,
            action,
            stamp,
            tags,
        };
        // The sender hears its own line too: the book's client shows nothing
        // else to confirm it was sent.
        out.broadcast(&hearers, event);
    }

    /// Whether `from` may send a line (`ctcp`: a CTCP other than ACTION) to
    /// channel `index`. RFC 2812: ERR_CANNOTSENDTOCHAN for +n, +m, +C and
    /// the banned alike; a banned member stays but is silent unless voiced,
    /// as on IRC servers. +C lets ACTION through, as InspIRCd's and
    /// UnrealIRCd's do: `/me` is talk, the other CTCPs are client traffic.
    fn may_speak(&self, from: SessionId, index: usize, ctcp: bool) -> bool {
        let channel = &self.channels[index];
        let member = channel.members.contains(&from);
        let user = self.user(from);
        let op = channel.is_op(from, user.account, user.oper);
        let voiced = channel.voiced.contains(&from);
        let refused = (!member && channel.modes.no_outside)
            || (!op && !voiced && self.banned_here(from, index))
            || (channel.modes.moderated && !op && !voiced)
            || (channel.modes.no_ctcp && ctcp);
        !refused
    }

    /// The members of channel `index` who hear `nick` (but `except`).
    /// Ignoring is done here, not by clients: the line never leaves.
    fn hearers(&self, index: usize, nick: &str, except: Option<SessionId>) -> Vec<SessionId> {
        self.channels[index]
            .members
            .iter()
            .copied()
            .filter(|&m| Some(m) != except && !self.ignores(m, nick))
            .collect()
    }

    /// A notice or CTCP: passed on like a line, never kept. A notice or a
    /// CTCP reply that cannot be delivered is dropped without a word.
    pub(super) fn aside(
        &mut self,
        now: Now,
        from: SessionId,
        to: Target,
        line: AsideLine,
        out: &mut Out,
    ) {
        let AsideLine { text, kind, tags } = line;
        let refuse = |out: &mut Out, error: ChatError| {
            if kind.answered() {
                out.error(from, error);
            }
        };
        // Tags-only lines have no text; other lines need some.
        let empty = match kind {
            Aside::Tags => tags.is_empty(),
            _ => text.is_empty(),
        };
        if empty {
            return refuse(out, ChatError::EmptyMessage);
        }
        let sender = self.nick_of(from).to_string();
        let (hearers, channel, sent_to) = match to {
            Target::Channel(channel) => {
                let Some(index) = self.channels.find(&channel) else {
                    return refuse(out, ChatError::NoSuchChannel(channel));
                };
                // +C refuses CTCP; a notice or tags are no CTCP.
                let ctcp = matches!(kind, Aside::Ctcp | Aside::CtcpReply);
                if !self.may_speak(from, index, ctcp) {
                    let name = self.channels[index].name.clone();
                    return refuse(out, ChatError::CannotSendToChan(name));
                }
                // The sender's copy is its own event (`AsideSent`).
                let hearers = self.hearers(index, &sender, Some(from));
                let name = self.channels[index].name.clone();
                (hearers, Some(name.clone()), Target::Channel(name))
            }
            Target::Nick(nick) => {
                // Off line: nothing is kept for later, a CTCP is for now.
                let Some(&target) = self.nicks.get(&nick.to_ascii_lowercase()) else {
                    return refuse(out, ChatError::NoSuchNick(nick));
                };
                // Ignored: the sender still gets its copy, and is not told.
                let hearers = match self.ignores(target, &sender) {
                    true => Vec::new(),
                    false => vec![target],
                };
                let name = self.nick_of(target).to_string();
                (hearers, None, Target::Nick(name))
            }
        };
        let stamp = self.stamp(now, out);
        let sent = Event::AsideSent {
            to: sent_to,
            text: text.clone(),
            kind,
            stamp,
            tags: tags.clone(),
        };
        let event = Event::Aside {
            from: sender,
            channel,
            text,
            kind,
            stamp,
            tags,
        };
        out.broadcast(&hearers, event);
        out.send(from, sent);
    }

    pub(super) fn private(
        &mut self,
        now: Now,
        from: SessionId,
        to: &str,
        line: Utterance,
        out: &mut Out,
    ) {
        let Utterance { text, action, tags } = line;
        if to.is_empty() {
            return out.error(from, ChatError::NoRecipient);
        }
        if text.is_empty() {
            return out.error(from, ChatError::EmptyMessage);
        }
        let Some(&target) = self.nicks.get(&to.to_ascii_lowercase()) else {
            // The store keeps it if `to` is registered, or says no such nick.
            let sender = self.nick_of(from).to_string();
            return out.0.push(Effect::PrivateOffline {
                from,
                sender,
                to: to.to_string(),
                text,
                at: clock::unix_seconds(now.wall),
            });
        };
        let sender = self.nick_of(from).to_string();
        let stamp = self.stamp(now, out);
        if self.ignores(target, &sender) {
            // The sender is not told: ignoring is not announced.
            let to = self.nick_of(target).to_string();
            let sent = Event::PrivateSent {
                to,
                text,
                action,
                stamp,
                tags,
            };
            return out.send(from, sent);
        }
        let recipient = self.nick_of(target).to_string();
        let away = self.sessions[&target]
            .user
            .as_ref()
            .and_then(|u| u.away.clone());
        out.send(
            target,
            Event::Private {
                from: sender,
                text: text.clone(),
                action,
                stamp,
                tags: tags.clone(),
            },
        );
        out.send(
            from,
            Event::PrivateSent {
                to: recipient.clone(),
                text,
                action,
                stamp,
                tags,
            },
        );
        if let Some(message) = away {
            out.send(
                from,
                Event::AwayReply {
                    nick: recipient,
                    message,
                },
            );
        }
    }
}
