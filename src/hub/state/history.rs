//! Kept history asked for (IRCv3 chathistory): who may read a channel's
//! history, the store look-up for those who may, and the answer, checked
//! again when the store brings it back. The rule is the replay on join's: a
//! member the channel's bans do not refuse (operators go where they like),
//! and lines of nicknames the reader ignores left out. Anyone else hears the
//! same "no history" as for a channel that does not exist, so a secret
//! channel stays secret. Pure like the rest of `state`.

use super::{Effect, Hub, Out};
use crate::hub::event::{ChatError, Event};
use crate::hub::kinds::HistoryRequest;
use crate::hub::session_id::SessionId;
use crate::hub::stored::HistoryFound;

/// The most lines (or channels) one request gets; larger limits are cut to
/// this. IRC tells clients in ISUPPORT `CHATHISTORY=`.
pub const MAX_HISTORY_PAGE: usize = 100;

impl Hub {
    /// A history request from `from`: to the store if `from` may read it.
    pub(super) fn history(&mut self, from: SessionId, request: HistoryRequest, out: &mut Out) {
        let (request, readable) = match request {
            HistoryRequest::Lines {
                channel,
                query,
                limit,
            } => {
                let Some(index) = self.readable_channel(from, &channel) else {
                    let request = HistoryRequest::Lines {
                        channel,
                        query,
                        limit,
                    };
                    return out.error(from, ChatError::NoHistory(request));
                };
                let channel = &self.channels[index];
                if !channel.is_saved() || limit == 0 {
                    // Only kept channels have history on disk.
                    let name = channel.name.clone();
                    let lines = Vec::new();
                    return out.send(
                        from,
                        Event::HistoryLines {
                            channel: name,
                            lines,
                        },
                    );
                }
                let request = HistoryRequest::Lines {
                    channel: channel.name.clone(),
                    query,
                    limit: limit.min(MAX_HISTORY_PAGE),
                };
                (request, vec![channel.name.clone()])
            }
            HistoryRequest::Targets {
                from: start,
                to,
                limit,
            } => {
                let readable = self.readable_channels(from);
                if readable.is_empty() || limit == 0 {
                    return out.send(from, Event::HistoryTargets(Vec::new()));
                }
                let request = HistoryRequest::Targets {
                    from: start,
                    to,
                    limit: limit.min(MAX_HISTORY_PAGE),
                };
                (request, readable)
            }
        };
        out.0.push(Effect::History {
            from,
            request,
            readable,
        });
    }

    /// What the store found for `from`'s request, told if `from` may
    /// still read it.
    pub(super) fn history_found(
        &mut self,
        from: SessionId,
        request: HistoryRequest,
        found: Option<HistoryFound>,
        out: &mut Out,
    ) {
        if self.sessions.get(&from).is_none_or(|s| s.user.is_none()) {
            return;
        }
        let event = match (&request, found) {
            (HistoryRequest::Lines { channel, .. }, found) => {
                let Some(index) = self.readable_channel(from, channel) else {
                    return out.error(from, ChatError::NoHistory(request));
                };
                let Some(HistoryFound::Lines(mut lines)) = found else {
                    return out.error(from, ChatError::HistoryFailed(request));
                };
                lines.retain(|line| !self.ignores(from, &line.nick));
                Event::HistoryLines {
                    channel: self.channels[index].name.clone(),
                    lines,
                }
            }
            (HistoryRequest::Targets { .. }, Some(HistoryFound::Targets(mut targets))) => {
                targets.retain_mut(
                    |target| match self.readable_channel(from, &target.channel) {
                        Some(index) => {
                            target.channel.clone_from(&self.channels[index].name);
                            true
                        }
                        None => false,
                    },
                );
                Event::HistoryTargets(targets)
            }
            (HistoryRequest::Targets { .. }, _) => {
                return out.error(from, ChatError::HistoryFailed(request))
            }
        };
        out.send(from, event);
    }

    /// The channel named `typed`, if `from` may read its history now.
    fn readable_channel(&self, from: SessionId, typed: &str) -> Option<usize> {
        let index = self.channels.find(typed)?;
        let channel = &self.channels[index];
        let user = self.user(from);
        let member = channel.members.contains(&from);
        let op = channel.is_op(from, user.account, user.oper);
        (member && (op || !self.banned_here(from, index))).then_some(index)
    }

    /// The kept channels `from` may read the history of: what a TARGETS
    /// request looks in.
    fn readable_channels(&self, from: SessionId) -> Vec<String> {
        self.user(from)
            .channels
            .iter()
            .map(|&index| &self.channels[index])
            .filter(|channel| channel.is_saved())
            .filter_map(|channel| self.readable_channel(from, &channel.name))
            .map(|index| self.channels[index].name.clone())
            .collect()
    }
}
