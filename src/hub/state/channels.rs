//! Being in channels: joining (making one, or being refused by its bans,
//! invitation, key or limit), parting, and leaving when a session goes.
//! Running channels (topics, modes, kicks) is in `moderation`. Pure like the
//! rest of `state`.

use super::{Hub, Out};
use crate::clock::Now;
use crate::hub::channel::ChannelSummary;
use crate::hub::channel::{Channel, Lifetime, Who};
use crate::hub::event::{ChatError, Departure, Event};
use crate::hub::session_id::SessionId;
use crate::model::name::check_channel_name;
use crate::model::HistoryLine;

impl Hub {
    /// Joins (or, for a channel `from` is in, makes current) a channel, if
    /// its bans, invitation, key and limit allow. With `create`, an unknown
    /// name makes a transient channel whose first member is its operator.
    pub(super) fn join(
        &mut self,
        now: Now,
        from: SessionId,
        typed: &str,
        key: Option<&str>,
        create: bool,
        out: &mut Out,
    ) {
        let index = match self.channels.find(typed) {
            Some(index) => index,
            None if create => {
                let name = typed.strip_prefix('#').unwrap_or(typed);
                if let Err(why) = check_channel_name(name, self.config.channel_length) {
                    return out.error(from, ChatError::BadChannelName(why));
                }
                let channel = Channel::new(name.to_string(), String::new(), Lifetime::Transient, 0);
                let index = self.channels.insert(channel);
                self.channels[index].op_sessions.insert(from);
                index
            }
            None => return out.error(from, ChatError::NoSuchChannel(typed.to_string())),
        };
        let user = self.user(from);
        if let Some(pos) = user.channels.iter().position(|&c| c == index) {
            // Already a member: joining again only makes it current.
            let user = self.user_mut(from);
            user.channels.remove(pos);
            user.channels.push(index);
            return out.send(from, Event::Joined(self.channels[index].summary()));
        }
        if let Some(error) = self.join_refusal(from, index, key) {
            return out.error(from, error);
        }
        let user = self.user_mut(from);
        user.channels.push(index);
        let nick = user.nick.to_string();
        let channel = &mut self.channels[index];
        channel.invited.remove(&nick.to_ascii_lowercase());
        out.broadcast(
            &channel.members,
            Event::MemberJoined {
                channel: channel.name.clone(),
                nick: nick.clone(),
            },
        );
        // Whoever joins away is told to be away, right after the JOIN
        // (IRCv3 away-notify).
        if let Some(message) = self.user(from).away.clone() {
            let channel = &self.channels[index];
            let event = Event::MemberAway {
                nick,
                message: Some(message),
            };
            out.broadcast(&channel.members, event);
        }
        let channel = &mut self.channels[index];
        channel.members.push(from);
        out.send(from, Event::Joined(self.channels[index].summary()));
        // A topic someone set is shown on join, before the names as on IRC.
        if self.channels[index].topic.is_some() {
            self.send_topic(from, index, out);
        }
        out.send(from, self.members(now, index, from, true));
        let channel = &self.channels[index];
        let lines: Vec<HistoryLine> = channel
            .history
            .iter()
            .filter(|line| !self.ignores(from, &line.nick))
            .cloned()
            .collect();
        if !lines.is_empty() {
            let history = Event::History {
                channel: channel.name.clone(),
                lines,
            };
            out.send(from, history);
        }
    }

    /// Why `from` may not join channel `index`, if they may not. Operators
    /// (of the server or the channel) go where they like.
    fn join_refusal(&self, from: SessionId, index: usize, key: Option<&str>) -> Option<ChatError> {
        let channel = &self.channels[index];
        let user = self.user(from);
        if channel.is_op(from, user.account, user.oper) {
            return None;
        }
        let host = self.sessions[&from].peer.ip().to_string();
        let who = Who {
            nick: user.nick.as_str(),
            host: &host,
            account: user.account.map(|_| user.nick.as_str()),
        };
        let name = channel.name.clone();
        if channel.is_banned(&who) {
            Some(ChatError::BannedFromChan(name))
        } else if channel.modes.invite_only && !channel.is_invited(&who) {
            Some(ChatError::InviteOnlyChan(name))
        } else if channel.modes.key.is_some() && key.is_none() {
            Some(ChatError::ChannelNeedsKey(name))
        } else if channel.modes.key.is_some() && channel.modes.key.as_deref() != key {
            Some(ChatError::BadChannelKey(name))
        } else if channel
            .modes
            .limit
            .is_some_and(|limit| channel.members.len() >= limit)
        {
            Some(ChatError::ChannelIsFull(name))
        } else {
            None
        }
    }

    pub(super) fn part(
        &mut self,
        from: SessionId,
        typed: Option<&str>,
        reason: Option<String>,
        out: &mut Out,
    ) {
        let index = match typed {
            None => match self.current_channel(from) {
                Some(index) => index,
                None => return out.error(from, ChatError::NoCurrentChannel),
            },
            Some(typed) => match self.channels.find(typed) {
                Some(index) => index,
                None => return out.error(from, ChatError::NoSuchChannel(typed.to_string())),
            },
        };
        let user = self.user_mut(from);
        let Some(pos) = user.channels.iter().position(|&c| c == index) else {
            let name = self.channels[index].name.clone();
            return out.error(from, ChatError::NotInChannel(name));
        };
        let was_current = pos + 1 == user.channels.len();
        user.channels.remove(pos);
        let new_current = user.channels.last().copied().filter(|_| was_current);
        let nick = user.nick.to_string();
        let left = self.channels[index].summary();
        self.leave_channel(from, index, nick, Departure::Parted(reason), out);
        out.send(
            from,
            Event::Parted {
                left: ChannelSummary {
                    users: left.users - 1,
                    ..left
                },
                current: new_current.map(|i| self.channels[i].summary()),
            },
        );
    }

    /// Takes `id` out of channel `index`'s member list and tells the rest.
    pub(super) fn leave_channel(
        &mut self,
        id: SessionId,
        index: usize,
        nick: String,
        why: Departure,
        out: &mut Out,
    ) {
        let channel = &mut self.channels[index];
        channel.members.retain(|&m| m != id);
        channel.op_sessions.remove(&id);
        channel.voiced.remove(&id);
        out.broadcast(
            &channel.members,
            Event::MemberLeft {
                channel: channel.name.clone(),
                nick,
                why,
            },
        );
        // As on IRC, a channel nobody made to last is gone with its last member.
        if channel.members.is_empty() && channel.lifetime == Lifetime::Transient {
            self.channels.remove(index);
        }
    }
}
