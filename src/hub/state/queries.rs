//! Questions that change nothing: the channel list, who is in a channel or
//! on line, /whois and /whowas, ISON and the server's numbers, answered with
//! what the asker may see (secret channels show only to their members and to
//! server operators). Pure like the rest of `state`.

use super::{Channel, Effect, Hub, Out};
use crate::clock::{self, Now};
use crate::hub::channel::wildcard_match;
use crate::hub::event::{ChatError, Departed, Event, Member, Membership, Presence, UserSummary};
use crate::hub::session_id::SessionId;

impl Hub {
    /// Every channel `from` may see, or only those of `only` (in its order,
    /// each once).
    pub(super) fn list_channels(&self, from: SessionId, only: Option<&[String]>, out: &mut Out) {
        let visible = |i: &usize| self.may_list(from, &self.channels[*i]);
        let indexes: Vec<usize> = match only {
            None => self
                .channels
                .iter()
                .map(|(i, _)| i)
                .filter(visible)
                .collect(),
            Some(names) => {
                let mut named = Vec::new();
                for i in names.iter().filter_map(|name| self.channels.find(name)) {
                    if !named.contains(&i) && visible(&i) {
                        named.push(i);
                    }
                }
                named
            }
        };
        let list = indexes
            .iter()
            .map(|&i| self.channels[i].summary())
            .collect();
        out.send(from, Event::ChannelList(list));
    }

    /// Secret channels are listed only to their members (and operators).
    fn may_list(&self, from: SessionId, channel: &Channel) -> bool {
        !channel.modes.secret || self.user(from).oper || channel.members.contains(&from)
    }

    /// Who is in the channel named `typed`, or in the current one; an
    /// unknown one is an error, or with `unknown_is_empty` an empty list.
    pub(super) fn names(
        &self,
        now: Now,
        from: SessionId,
        typed: Option<&str>,
        unknown_is_empty: bool,
        out: &mut Out,
    ) {
        let nobody = |channel: String| Event::Members {
            channel,
            members: Vec::new(),
            on_join: false,
        };
        let index = match self.channel_or_current(from, typed) {
            Ok(index) => index,
            Err(ChatError::NoSuchChannel(typed)) if unknown_is_empty => {
                return out.send(from, nobody(typed))
            }
            Err(error) => return out.error(from, error),
        };
        let channel = &self.channels[index];
        // A secret channel's members are its own business.
        if channel.modes.secret && !channel.members.contains(&from) && !self.user(from).oper {
            return out.send(from, nobody(channel.name.clone()));
        }
        out.send(from, self.members(now, index, from, false));
    }

    pub(super) fn who(&self, now: Now, from: SessionId, mask: Option<String>, out: &mut Out) {
        let users = self.users_matching(now, mask.as_deref().unwrap_or("*"), from);
        out.send(from, Event::Who { mask, users });
    }

    pub(super) fn whois(&self, now: Now, from: SessionId, nick: String, out: &mut Out) {
        match self.nicks.get(&nick.to_ascii_lowercase()) {
            Some(&id) => {
                let summary = self
                    .summary(now, id, from)
                    .expect("nick index points at a user");
                let nick = summary.nick.clone();
                out.send(from, Event::Whois(summary));
                // The web chat of old had "query IP": operators see it.
                if self.user(from).oper {
                    let address = self.sessions[&id].peer.to_string();
                    out.send(from, Event::WhoisAddress { nick, address });
                }
            }
            None => out.0.push(Effect::WhoisOffline { to: from, nick }),
        }
    }

    pub(super) fn whowas(&self, from: SessionId, nick: String, out: &mut Out) {
        // Addresses are for server operators only, as in /whois.
        let oper = self.user(from).oper;
        let found: Vec<Departed> = self
            .departed
            .iter()
            .rev()
            .filter(|d| d.nick.eq_ignore_ascii_case(&nick))
            .map(|d| Departed {
                host: d.host.clone().filter(|_| oper),
                ..d.clone()
            })
            .collect();
        match found.is_empty() {
            true => out.error(from, ChatError::WasNoSuchNick(nick)),
            false => out.send(from, Event::Whowas(found)),
        }
    }

    pub(super) fn ison(&self, from: SessionId, nicks: &[String], out: &mut Out) {
        let online = nicks
            .iter()
            .filter_map(|nick| self.nicks.get(&nick.to_ascii_lowercase()))
            .map(|&id| self.nick_of(id).to_string())
            .collect();
        out.send(from, Event::Ison(online));
    }

    pub(super) fn userhost(&self, from: SessionId, nicks: &[String], out: &mut Out) {
        let online = nicks
            .iter()
            .filter_map(|nick| self.nicks.get(&nick.to_ascii_lowercase()))
            .map(|&id| {
                let user = self.user(id);
                let about = &self.sessions[&id].about;
                Presence {
                    nick: user.nick.to_string(),
                    ident: super::ident_and_realname(about, &user.nick).0,
                    oper: user.oper,
                    away: user.away.is_some(),
                }
            })
            .collect();
        out.send(from, Event::Userhost(online));
    }

    pub(super) fn stats(&self, from: SessionId, out: &mut Out) {
        let stats = Event::Stats {
            users: self.nicks.len(),
            channels: self.channels.len(),
            peak: self.peak_users,
        };
        out.send(from, stats);
    }

    /// What `viewer` may know of user `id`: secret channels only show to
    /// their members (and server operators).
    pub(super) fn summary(
        &self,
        now: Now,
        id: SessionId,
        viewer: SessionId,
    ) -> Option<UserSummary> {
        let session = self.sessions.get(&id)?;
        let user = session.user.as_ref()?;
        let sees_all = self.sessions[&viewer].user.as_ref().is_some_and(|v| v.oper);
        let (ident, realname) = super::ident_and_realname(&session.about, &user.nick);
        Some(UserSummary {
            nick: user.nick.to_string(),
            ident,
            realname,
            online: now.mono.saturating_duration_since(user.since.mono),
            idle: now.mono.saturating_duration_since(session.last_input),
            since: clock::unix_seconds(user.since.wall),
            channels: user
                .channels
                .iter()
                .rev()
                .map(|&i| &self.channels[i])
                .filter(|c| sees_all || !c.modes.secret || c.members.contains(&viewer))
                .map(|c| Membership {
                    channel: c.name.clone(),
                    op: c.is_op(id, user.account, false),
                    voiced: c.voiced.contains(&id),
                })
                .collect(),
            away: user.away.clone(),
            oper: user.oper,
        })
    }

    /// Who `mask` names: `#channel` (or a channel name no one has as a
    /// nickname) its members, `*` or `0` everyone, else everyone whose
    /// nickname, ident or real name the mask's wildcards match (Modern IRC,
    /// WHO). A secret channel's members show only to its members and
    /// server operators.
    fn users_matching(&self, now: Now, mask: &str, viewer: SessionId) -> Vec<UserSummary> {
        let summaries = |ids: &mut dyn Iterator<Item = SessionId>| -> Vec<UserSummary> {
            ids.filter_map(|id| self.summary(now, id, viewer)).collect()
        };
        let as_nick = self.nicks.get(&mask.to_ascii_lowercase()).copied();
        if let Some(index) = self.channels.find(mask) {
            if mask.starts_with('#') || as_nick.is_none() {
                let channel = &self.channels[index];
                if !self.may_list(viewer, channel) {
                    return Vec::new();
                }
                return summaries(&mut channel.members.iter().copied());
            }
        }
        let mut everyone: Vec<(&String, &SessionId)> = self.nicks.iter().collect();
        everyone.sort();
        let everyone = everyone.into_iter().map(|(_, id)| *id);
        if mask == "*" || mask == "0" {
            return summaries(&mut everyone.into_iter());
        }
        let mut users = summaries(&mut everyone.into_iter());
        users.retain(|u| {
            [&u.nick, &u.ident, &u.realname]
                .iter()
                .any(|field| wildcard_match(mask, field))
        });
        users
    }

    /// Channel `index`'s members, as `viewer` may see them.
    pub(super) fn members(
        &self,
        now: Now,
        index: usize,
        viewer: SessionId,
        on_join: bool,
    ) -> Event {
        let channel = &self.channels[index];
        let members = channel
            .members
            .iter()
            .filter_map(|&id| {
                let user = self.summary(now, id, viewer)?;
                let account = self.user(id).account;
                Some(Member {
                    user,
                    op: channel.is_op(id, account, false),
                    voiced: channel.voiced.contains(&id),
                })
            })
            .collect();
        Event::Members {
            channel: channel.name.clone(),
            members,
            on_join,
        }
    }
}
