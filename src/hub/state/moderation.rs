//! The hub's rules for running channels and the server: creating and
//! dropping channels, topics, modes (operators, voice, bans, invitations,
//! keys, limits), kicks, and what server operators may do (kill, wallops,
//! server-wide bans). A child of `state`, so it works on the same private
//! state; pure like the rest of it.

use log::{info, warn};

use super::{Effect, Hub, Out, StoreWrite};
use crate::clock::{self, Now};
use crate::hub::channel::{Channel, Lifetime, MaskKind, Who};
use crate::hub::command::{ChannelMode, ModeChange};
use crate::hub::event::{ChatError, Departure, Event};
use crate::hub::session_id::SessionId;
use crate::model::name::check_channel_name;
use crate::model::{Gline, MaskEntry, Topic};

impl Hub {
    /// Saves a kept channel's whole state (after any change to it).
    fn save_channel(&self, index: usize, out: &mut Out) {
        let channel = &self.channels[index];
        if channel.is_saved() {
            let write = StoreWrite::SaveChannel(Box::new(channel.record()));
            out.0.push(Effect::Store { write, ack: None });
        }
    }

    /// The channel named `typed`, or the current one for `None`.
    pub(super) fn channel_or_current(
        &self,
        from: SessionId,
        typed: Option<&str>,
    ) -> Result<usize, ChatError> {
        match typed {
            Some(typed) => self
                .channels
                .find(typed)
                .ok_or_else(|| ChatError::NoSuchChannel(typed.to_string())),
            None => self
                .current_channel(from)
                .ok_or(ChatError::NoCurrentChannel),
        }
    }

    fn is_op_in(&self, from: SessionId, index: usize) -> bool {
        let user = self.user(from);
        self.channels[index].is_op(from, user.account, user.oper)
    }

    /// Operator of channel `index`, or the error that says not.
    fn require_op(&self, from: SessionId, index: usize) -> Result<(), ChatError> {
        match self.is_op_in(from, index) {
            true => Ok(()),
            false => Err(ChatError::ChanOpPrivsNeeded(
                self.channels[index].name.clone(),
            )),
        }
    }

    pub(super) fn create(
        &mut self,
        now: Now,
        from: SessionId,
        typed: &str,
        description: String,
        out: &mut Out,
    ) {
        let Some(account) = self.user(from).account else {
            return out.error(from, ChatError::MustBeRegistered);
        };
        let name = typed.strip_prefix('#').unwrap_or(typed);
        if let Err(why) = check_channel_name(name, self.config.channel_length) {
            return out.error(from, ChatError::BadChannelName(why));
        }
        if let Some(index) = self.channels.find(name) {
            let channel = &self.channels[index];
            // Taking over a transient channel one runs makes it kept.
            if channel.lifetime != Lifetime::Transient || !self.is_op_in(from, index) {
                return out.error(from, ChatError::ChannelExists(channel.name.clone()));
            }
        }
        let at = clock::unix_seconds(now.wall);
        let index = match self.channels.find(name) {
            Some(index) => index,
            None => {
                let channel = Channel::new(
                    name.to_string(),
                    description.clone(),
                    Lifetime::Registered,
                    at,
                );
                self.channels.insert(channel)
            }
        };
        let channel = &mut self.channels[index];
        channel.lifetime = Lifetime::Registered;
        channel.description = description;
        channel.founder = Some(account);
        channel.created_at = at;
        info!(
            "{} created channel {}",
            self.user(from).nick,
            self.channels[index].name
        );
        let ack = Event::ChannelCreated {
            channel: self.channels[index].name.clone(),
        };
        // Confirmed once it is on disk.
        let write = StoreWrite::SaveChannel(Box::new(self.channels[index].record()));
        out.0.push(Effect::Store {
            write,
            ack: Some((from, std::sync::Arc::new(ack))),
        });
        self.join(now, from, name, None, false, out);
    }

    pub(super) fn drop_channel(&mut self, from: SessionId, typed: &str, out: &mut Out) {
        let Some(index) = self.channels.find(typed) else {
            return out.error(from, ChatError::NoSuchChannel(typed.to_string()));
        };
        let user = self.user(from);
        let channel = &self.channels[index];
        if channel.lifetime == Lifetime::Permanent {
            return out.error(from, ChatError::PermanentChannel(channel.name.clone()));
        }
        if !user.oper && (channel.founder.is_none() || channel.founder != user.account) {
            return out.error(from, ChatError::NotFounder(channel.name.clone()));
        }
        let by = user.nick.to_string();
        let name = channel.name.clone();
        let members = channel.members.clone();
        out.broadcast(
            &members,
            Event::ChannelDropped {
                channel: name.clone(),
                by: by.clone(),
            },
        );
        for member in members {
            let user = self.user_mut(member);
            user.channels.retain(|&c| c != index);
        }
        if self.channels[index].is_saved() {
            let write = StoreWrite::DropChannel { name: name.clone() };
            out.0.push(Effect::Store { write, ack: None });
        }
        self.channels.remove(index);
        info!("{by} dropped channel {name}");
    }

    /// The topic of the channel named `typed`, or of the current one.
    pub(super) fn show_topic(&self, from: SessionId, typed: Option<&str>, out: &mut Out) {
        match self.channel_or_current(from, typed) {
            Ok(index) => self.send_topic(from, index, out),
            Err(error) => out.error(from, error),
        }
    }

    /// Topic, then who set it when (if anyone did).
    pub(super) fn send_topic(&self, to: SessionId, index: usize, out: &mut Out) {
        let channel = &self.channels[index];
        out.send(
            to,
            Event::Topic {
                channel: channel.name.clone(),
                topic: channel.topic_text().to_string(),
            },
        );
        if let Some(topic) = &channel.topic {
            let who = Event::TopicWho {
                channel: channel.name.clone(),
                set_by: topic.set_by.clone(),
                at: topic.at,
            };
            out.send(to, who);
        }
    }

    pub(super) fn set_topic(
        &mut self,
        now: Now,
        from: SessionId,
        typed: Option<&str>,
        text: String,
        out: &mut Out,
    ) {
        let index = match self.channel_or_current(from, typed) {
            Ok(index) => index,
            Err(error) => return out.error(from, error),
        };
        let channel = &self.channels[index];
        let user = self.user(from);
        if !channel.members.contains(&from) && !user.oper {
            return out.error(from, ChatError::NotInChannel(channel.name.clone()));
        }
        if channel.modes.topic_ops && !self.is_op_in(from, index) {
            return out.error(from, ChatError::ChanOpPrivsNeeded(channel.name.clone()));
        }
        let by = user.nick.to_string();
        let channel = &mut self.channels[index];
        channel.topic = (!text.is_empty()).then(|| Topic {
            text: text.clone(),
            set_by: by.clone(),
            at: clock::unix_seconds(now.wall),
        });
        let event = Event::TopicSet {
            channel: channel.name.clone(),
            by,
            text,
        };
        out.broadcast(&channel.members.clone(), event);
        self.save_channel(index, out);
    }

    pub(super) fn mode(
        &mut self,
        now: Now,
        from: SessionId,
        typed: &str,
        changes: Vec<ModeChange>,
        out: &mut Out,
    ) {
        // An empty name is the current channel (the text door's `/mode +i`).
        let index = match self.channel_or_current(from, Some(typed).filter(|t| !t.is_empty())) {
            Ok(index) => index,
            Err(error) => return out.error(from, error),
        };
        if changes.is_empty() {
            let channel = &self.channels[index];
            let (modes, mut params) = channel.modes.flags();
            // The key is the members' business.
            if !channel.members.contains(&from) && channel.modes.key.is_some() {
                params.remove(0);
            }
            let event = Event::ChannelModes {
                channel: channel.name.clone(),
                modes,
                params,
            };
            return out.send(from, event);
        }
        if let Err(error) = self.require_op(from, index) {
            return out.error(from, error);
        }
        let by = self.user(from).nick.to_string();
        let at = clock::unix_seconds(now.wall);
        let mut applied = String::new();
        let mut sign = ' ';
        let mut params = Vec::new();
        let mut coverage = Vec::new();
        for ModeChange { add, mode } in changes {
            let letter = match self.apply_mode(index, add, mode, &by, at) {
                Ok(Some((letter, param))) => {
                    if let (true, 'b', Some(mask)) = (add, letter, &param) {
                        coverage.push(self.ban_coverage(index, mask));
                    }
                    params.extend(param);
                    letter
                }
                Ok(None) => continue,
                Err(error) => {
                    out.error(from, error);
                    continue;
                }
            };
            let wanted = if add { '+' } else { '-' };
            if sign != wanted {
                applied.push(wanted);
                sign = wanted;
            }
            applied.push(letter);
        }
        if applied.is_empty() {
            return;
        }
        let channel = &self.channels[index];
        let event = Event::ModeChanged {
            channel: channel.name.clone(),
            by,
            modes: applied,
            params,
        };
        out.broadcast(&channel.members.clone(), event);
        for notice in coverage {
            out.send(from, notice);
        }
        self.save_channel(index, out);
    }

    /// Applies one mode; returns its letter and parameter as announced, or
    /// `None` when it changed nothing.
    fn apply_mode(
        &mut self,
        index: usize,
        add: bool,
        mode: ChannelMode,
        by: &str,
        at: i64,
    ) -> Result<Option<(char, Option<String>)>, ChatError> {
        match mode {
            ChannelMode::Op(nick) if nick.is_empty() => Err(ChatError::ModeNeedsParameter {
                mode: 'o',
                what: "a nickname, as in /mode +o <nick>",
            }),
            ChannelMode::Voice(nick) if nick.is_empty() => Err(ChatError::ModeNeedsParameter {
                mode: 'v',
                what: "a nickname, as in /mode +v <nick>",
            }),
            ChannelMode::Op(nick) => {
                let target = self.member(index, &nick)?;
                let account = self.user(target).account;
                let name = self.user(target).nick.to_string();
                let channel = &mut self.channels[index];
                // Kept by account where the channel is kept and the user registered.
                match (add, account) {
                    (true, Some(account)) if channel.is_saved() => {
                        channel.op_accounts.insert(account);
                    }
                    (true, _) => {
                        channel.op_sessions.insert(target);
                    }
                    // The founder stays an operator of their channel.
                    (false, Some(account)) if channel.founder == Some(account) => {
                        return Ok(None);
                    }
                    (false, _) => {
                        let was_op = channel.op_sessions.remove(&target)
                            | account.is_some_and(|a| channel.op_accounts.remove(&a));
                        if !was_op {
                            return Ok(None);
                        }
                    }
                }
                Ok(Some(('o', Some(name))))
            }
            ChannelMode::Voice(nick) => {
                let target = self.member(index, &nick)?;
                let name = self.user(target).nick.to_string();
                let voiced = &mut self.channels[index].voiced;
                match add {
                    true => voiced.insert(target),
                    false => voiced.remove(&target),
                };
                Ok(Some(('v', Some(name))))
            }
            ChannelMode::Ban(target) | ChannelMode::InviteException(target)
                if target.is_empty() =>
            {
                Ok(None)
            }
            ChannelMode::Ban(target) => {
                let mask = self.mask_for(&target);
                let channel = &mut self.channels[index];
                let edited = edit_list(&mut channel.bans, add, mask, by, at);
                listed(edited, &channel.name, MaskKind::Bans).map(|m| m.map(|m| ('b', Some(m))))
            }
            ChannelMode::InviteException(target) => {
                let mask = self.mask_for(&target);
                let channel = &mut self.channels[index];
                let edited = edit_list(&mut channel.invite_exceptions, add, mask, by, at);
                let kind = MaskKind::InviteExceptions;
                listed(edited, &channel.name, kind).map(|m| m.map(|m| ('I', Some(m))))
            }
            ChannelMode::Key(key) => {
                let modes = &mut self.channels[index].modes;
                match (add, key) {
                    (true, Some(key)) if !key.is_empty() && !key.contains(' ') => {
                        modes.key = Some(key.clone());
                        Ok(Some(('k', Some(key))))
                    }
                    (true, _) => Err(ChatError::ModeNeedsParameter {
                        mode: 'k',
                        what: "a key without spaces, as in /mode +k <key>",
                    }),
                    (false, _) => Ok(modes.key.take().map(|_| ('k', Some("*".to_string())))),
                }
            }
            ChannelMode::Limit(limit) => {
                let modes = &mut self.channels[index].modes;
                match (add, limit) {
                    (true, Some(limit)) if limit > 0 => {
                        modes.limit = Some(limit);
                        Ok(Some(('l', Some(limit.to_string()))))
                    }
                    (true, _) => Err(ChatError::ModeNeedsParameter {
                        mode: 'l',
                        what: "a number of users above 0, as in /mode +l 20",
                    }),
                    (false, _) => Ok(modes.limit.take().map(|_| ('l', None))),
                }
            }
            ChannelMode::InviteOnly => self.set_flag(index, add, 'i', |m| &mut m.invite_only),
            ChannelMode::Moderated => self.set_flag(index, add, 'm', |m| &mut m.moderated),
            ChannelMode::NoOutside => self.set_flag(index, add, 'n', |m| &mut m.no_outside),
            ChannelMode::Secret => self.set_flag(index, add, 's', |m| &mut m.secret),
            ChannelMode::NoCtcp => self.set_flag(index, add, 'C', |m| &mut m.no_ctcp),
            ChannelMode::TopicOps => self.set_flag(index, add, 't', |m| &mut m.topic_ops),
        }
    }

    fn set_flag(
        &mut self,
        index: usize,
        add: bool,
        letter: char,
        flag: impl FnOnce(&mut crate::hub::channel::Modes) -> &mut bool,
    ) -> Result<Option<(char, Option<String>)>, ChatError> {
        let flag = flag(&mut self.channels[index].modes);
        if *flag == add {
            return Ok(None);
        }
        *flag = add;
        Ok(Some((letter, None)))
    }

    /// The member of channel `index` called `nick`.
    fn member(&self, index: usize, nick: &str) -> Result<SessionId, ChatError> {
        let channel = &self.channels[index];
        match self.nicks.get(&nick.to_ascii_lowercase()) {
            Some(&id) if channel.members.contains(&id) => Ok(id),
            Some(_) => Err(ChatError::UserNotInChannel {
                nick: nick.to_string(),
                channel: channel.name.clone(),
            }),
            None => Err(ChatError::NoSuchNick(nick.to_string())),
        }
    }

    /// Whether channel `index` bans session `id`.
    pub(super) fn banned_here(&self, id: SessionId, index: usize) -> bool {
        self.with_who(id, |who| self.channels[index].is_banned(who))
    }

    /// Runs `f` on what masks match of session `id`.
    fn with_who<T>(&self, id: SessionId, f: impl FnOnce(&Who) -> T) -> T {
        let user = self.user(id);
        let host = self.sessions[&id].peer.ip().to_string();
        let who = Who {
            nick: user.nick.as_str(),
            host: &host,
            account: user.account.map(|_| user.nick.as_str()),
        };
        f(&who)
    }

    /// What a new ban covers, told to the operator who set it: a guest's
    /// nickname becomes their address, which catches everyone else there
    /// too, so the operator must see who that is (issue #17).
    fn ban_coverage(&self, index: usize, mask: &str) -> Event {
        let channel = &self.channels[index];
        let caught: Vec<String> = channel
            .members
            .iter()
            .filter(|&&m| self.with_who(m, |who| who.matches(mask)))
            .map(|&m| self.user(m).nick.to_string())
            .collect();
        let what = match mask.strip_prefix("*!*@") {
            Some(host) => format!("everyone connecting from {host}, whatever their nickname"),
            None => match mask.strip_prefix("$a:") {
                Some(account) => format!("the account {account}, from any address"),
                None => format!("whoever matches {mask}"),
            },
        };
        let members = match caught.as_slice() {
            [] => "no member of it now".to_string(),
            nicks => format!("its members {}", nicks.join(", ")),
        };
        Event::Notice(format!(
            "The ban {mask} on {} covers {what}: {members}. Banned members can't speak there; \
             /kick puts them out, /unban {mask} lifts it.",
            channel.name
        ))
    }

    /// A mask for what an operator typed: a mask as it is; the nickname of a
    /// registered user on line as their account (`$a:nick`), of a guest on
    /// line as their address (`*!*@ip`), of anyone else as `nick!*@*`.
    fn mask_for(&self, typed: &str) -> String {
        if typed.contains(['!', '@', '$', '*', '?']) {
            return typed.to_string();
        }
        // An address on its own (IPv4 or IPv6) bans that host.
        if typed.parse::<std::net::IpAddr>().is_ok() {
            return format!("*!*@{typed}");
        }
        match self.nicks.get(&typed.to_ascii_lowercase()) {
            Some(&id) => {
                let user = self.user(id);
                match user.account {
                    Some(_) => format!("$a:{}", user.nick),
                    None => format!("*!*@{}", self.sessions[&id].peer.ip()),
                }
            }
            None => format!("{typed}!*@*"),
        }
    }

    pub(super) fn mask_list(&self, from: SessionId, typed: &str, kind: MaskKind, out: &mut Out) {
        let index = match self.channel_or_current(from, Some(typed).filter(|t| !t.is_empty())) {
            Ok(index) => index,
            Err(error) => return out.error(from, error),
        };
        let channel = &self.channels[index];
        let entries = match kind {
            MaskKind::Bans => channel.bans.clone(),
            MaskKind::InviteExceptions => channel.invite_exceptions.clone(),
        };
        let event = Event::MaskList {
            channel: channel.name.clone(),
            kind,
            entries,
        };
        out.send(from, event);
    }

    pub(super) fn kick(
        &mut self,
        from: SessionId,
        typed: Option<&str>,
        nick: &str,
        reason: Option<String>,
        out: &mut Out,
    ) {
        let index = match self.channel_or_current(from, typed) {
            Ok(index) => index,
            Err(error) => return out.error(from, error),
        };
        if let Err(error) = self.require_op(from, index) {
            return out.error(from, error);
        }
        let target = match self.member(index, nick) {
            Ok(target) => target,
            Err(error) => return out.error(from, error),
        };
        let by = self.user(from).nick.to_string();
        let name = self.user(target).nick.to_string();
        let channel = &self.channels[index];
        let why = reason.as_deref().unwrap_or("no reason given");
        info!("{by} kicked {name} from {} ({why})", channel.name);
        let event = Event::Kicked {
            channel: channel.name.clone(),
            nick: name,
            by,
            reason,
        };
        out.broadcast(&channel.members.clone(), event);
        let was_current = self.current_channel(target) == Some(index);
        self.user_mut(target).channels.retain(|&c| c != index);
        if was_current {
            // As /part says it: where a plain line now goes.
            let current = self.current_channel(target);
            let summary = current.map(|i| self.channels[i].summary());
            out.send(target, Event::CurrentChannel(summary));
        }
        let channel = &mut self.channels[index];
        channel.members.retain(|&m| m != target);
        channel.op_sessions.remove(&target);
        channel.voiced.remove(&target);
        if channel.members.is_empty() && channel.lifetime == Lifetime::Transient {
            self.channels.remove(index);
        }
    }

    pub(super) fn invite(
        &mut self,
        from: SessionId,
        nick: &str,
        typed: Option<&str>,
        out: &mut Out,
    ) {
        let index = match self.channel_or_current(from, typed) {
            Ok(index) => index,
            Err(error) => return out.error(from, error),
        };
        let channel = &self.channels[index];
        if !channel.members.contains(&from) {
            return out.error(from, ChatError::NotInChannel(channel.name.clone()));
        }
        if channel.modes.invite_only && !self.is_op_in(from, index) {
            return out.error(from, ChatError::ChanOpPrivsNeeded(channel.name.clone()));
        }
        let Some(&target) = self.nicks.get(&nick.to_ascii_lowercase()) else {
            return out.error(from, ChatError::NoSuchNick(nick.to_string()));
        };
        let target_nick = self.user(target).nick.to_string();
        if channel.members.contains(&target) {
            return out.error(
                from,
                ChatError::UserOnChannel {
                    nick: target_nick,
                    channel: channel.name.clone(),
                },
            );
        }
        let name = channel.name.clone();
        let by = self.user(from).nick.to_string();
        self.channels[index]
            .invited
            .insert(target_nick.to_ascii_lowercase());
        out.send(
            target,
            Event::Invited {
                channel: name.clone(),
                by: by.clone(),
            },
        );
        // The other members hear of it (IRCv3 invite-notify).
        let others: Vec<SessionId> = self.channels[index]
            .members
            .iter()
            .copied()
            .filter(|&id| id != from && id != target)
            .collect();
        let told = Event::MemberInvited {
            channel: name.clone(),
            by,
            nick: target_nick.clone(),
        };
        out.broadcast(&others, told);
        out.send(
            from,
            Event::Inviting {
                nick: target_nick,
                channel: name,
            },
        );
    }

    fn require_oper(&self, from: SessionId, out: &mut Out) -> bool {
        let oper = self.user(from).oper;
        if !oper {
            out.error(from, ChatError::NoPrivileges);
        }
        oper
    }

    pub(super) fn kill(
        &mut self,
        now: Now,
        from: SessionId,
        nick: &str,
        reason: &str,
        out: &mut Out,
    ) {
        if !self.require_oper(from, out) {
            return;
        }
        let Some(&target) = self.nicks.get(&nick.to_ascii_lowercase()) else {
            return out.error(from, ChatError::NoSuchNick(nick.to_string()));
        };
        let by = self.user(from).nick.to_string();
        let why = format!("Killed by {by} ({reason})");
        warn!(
            "{by} killed {} from {}: {reason}",
            self.user(target).nick,
            self.sessions[&target].peer
        );
        out.send(
            target,
            Event::Closing {
                reason: why.clone(),
            },
        );
        self.remove(now, target, Departure::Lost(why), out);
    }

    pub(super) fn wallops(&mut self, now: Now, from: SessionId, text: String, out: &mut Out) {
        if !self.require_oper(from, out) {
            return;
        }
        let listening: Vec<SessionId> = self
            .nicks
            .values()
            .copied()
            .filter(|id| self.sessions[id].hears_wallops)
            .collect();
        let stamp = self.stamp(now, out);
        let event = Event::Wallops {
            from: self.user(from).nick.to_string(),
            text,
            stamp,
        };
        out.broadcast(&listening, event);
    }

    /// Why a session may not be on the server, if a server-wide ban says so.
    pub(super) fn glined(&self, id: SessionId, nick: &str, registered: bool) -> Option<String> {
        let host = self.sessions.get(&id)?.peer.ip().to_string();
        let who = Who {
            nick,
            host: &host,
            account: registered.then_some(nick),
        };
        self.glines
            .iter()
            .find(|g| who.matches(&g.mask))
            .map(|g| format!("You are banned from this server: {}", g.reason))
    }

    pub(super) fn gline(
        &mut self,
        now: Now,
        from: SessionId,
        typed: &str,
        reason: String,
        out: &mut Out,
    ) {
        if !self.require_oper(from, out) {
            return;
        }
        let mask = self.mask_for(typed);
        let by = self.user(from).nick.to_string();
        let gline = Gline {
            mask: mask.clone(),
            reason: reason.clone(),
            set_by: by.clone(),
            at: clock::unix_seconds(now.wall),
        };
        self.glines.retain(|g| !g.mask.eq_ignore_ascii_case(&mask));
        self.glines.push(gline.clone());
        warn!("{by} banned {mask} from the server: {reason}");
        let ack = Event::Notice(format!("{mask} is banned from the server: {reason}"));
        out.0.push(Effect::Store {
            write: StoreWrite::AddGline(gline),
            ack: Some((from, std::sync::Arc::new(ack))),
        });
        // Whoever it names goes now.
        let mut matching: Vec<SessionId> = self
            .nicks
            .values()
            .copied()
            .filter(|&id| {
                let user = self.user(id);
                self.glined(id, user.nick.as_str(), user.account.is_some())
                    .is_some()
            })
            .collect();
        matching.sort();
        for id in matching {
            let why = format!("Banned from this server: {reason}");
            out.send(
                id,
                Event::Closing {
                    reason: why.clone(),
                },
            );
            self.remove(now, id, Departure::Lost(why), out);
        }
    }

    pub(super) fn ungline(&mut self, from: SessionId, typed: &str, out: &mut Out) {
        if !self.require_oper(from, out) {
            return;
        }
        let mask = self.mask_for(typed);
        let before = self.glines.len();
        self.glines.retain(|g| !g.mask.eq_ignore_ascii_case(&mask));
        if self.glines.len() == before {
            return out.error(from, ChatError::Server(format!("no server ban on {mask}")));
        }
        info!("{} lifted the server ban on {mask}", self.user(from).nick);
        let ack = Event::Notice(format!("{mask} is no longer banned from the server"));
        out.0.push(Effect::Store {
            write: StoreWrite::RemoveGline { mask },
            ack: Some((from, std::sync::Arc::new(ack))),
        });
    }
}

/// What [`edit_list`] did, for a mode: a mask that was not on the list
/// can't be removed, and says so rather than nothing (issue #17); one
/// added twice changes nothing.
fn listed(
    edited: Result<Option<String>, String>,
    channel: &str,
    kind: MaskKind,
) -> Result<Option<String>, ChatError> {
    edited.map_err(|mask| ChatError::NotInList {
        mask,
        channel: channel.to_string(),
        kind,
    })
}

/// Adds or removes `mask` in a ban or exception list; returns the mask when
/// something changed, `Ok(None)` when it was there already, and `Err(mask)`
/// when a mask to remove is not there.
fn edit_list(
    list: &mut Vec<MaskEntry>,
    add: bool,
    mask: String,
    by: &str,
    at: i64,
) -> Result<Option<String>, String> {
    let position = list.iter().position(|e| e.mask.eq_ignore_ascii_case(&mask));
    match (add, position) {
        (true, None) => {
            list.push(MaskEntry {
                mask: mask.clone(),
                set_by: by.to_string(),
                at,
            });
            Ok(Some(mask))
        }
        (false, Some(i)) => Ok(Some(list.remove(i).mask)),
        (true, Some(_)) => Ok(None),
        (false, None) => Err(mask),
    }
}
