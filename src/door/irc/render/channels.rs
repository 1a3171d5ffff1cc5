//! The IRC renderer for channels: joining (JOIN, the topic, NAMES),
//! leaving (PART, QUIT, a dropped channel), LIST, topics and invitations.

use std::io::Write;

use super::{channel, Renderer};
use crate::door::irc::cap::Cap;
use crate::door::irc::numeric::*;
use crate::hub::{Departure, Event, Member};

impl Renderer {
    /// Renders the channel events; `quit_before` is the nickname of the QUIT
    /// just told, if the event before this one was one.
    pub(super) fn render_channels(
        &mut self,
        event: &Event,
        quit_before: Option<String>,
        out: &mut Vec<u8>,
    ) {
        match event {
            Event::Joined(c) => {
                let name = channel(&c.name);
                if self.joined.insert(name.to_ascii_lowercase()) {
                    let _ = write!(out, ":{} JOIN {name}\r\n", self.mask(self.me()));
                    // The topic comes next if one was set; else the description
                    // stands in for it, just before the names.
                    self.untold_topic = Some((name, c.description.clone()));
                }
            }
            Event::Topic { channel: c, topic } => {
                self.untold_topic = None;
                self.topic(out, &channel(c), topic)
            }
            Event::Members {
                channel: c,
                members,
                ..
            } => self.names(out, c, members),
            Event::Parted { left, .. } => {
                let name = channel(&left.name);
                self.joined.remove(&name.to_ascii_lowercase());
                let _ = write!(out, ":{} PART {name}\r\n", self.mask(self.me()));
            }
            Event::MemberJoined { channel: c, nick } => {
                let _ = write!(out, ":{} JOIN {}\r\n", self.mask(nick), channel(c));
            }
            // away-notify: AWAY with the message, or bare when back.
            Event::MemberAway { nick, message } if self.caps().has(Cap::AwayNotify) => {
                let _ = match message {
                    Some(message) => write!(out, ":{} AWAY :{message}\r\n", self.mask(nick)),
                    None => write!(out, ":{} AWAY\r\n", self.mask(nick)),
                };
            }
            Event::MemberInvited {
                channel: c,
                by,
                nick,
            } if self.caps().has(Cap::InviteNotify) => {
                let _ = write!(out, ":{} INVITE {nick} {}\r\n", self.mask(by), channel(c));
            }
            Event::MemberLeft {
                channel: c,
                nick,
                why,
            } => self.member_left(out, c, nick, why, quit_before),
            Event::ChannelList(channels) => {
                self.numeric(out, RPL_LISTSTART, "Channel :Users  Name");
                for c in channels {
                    let line = format!("{} {} :{}", channel(&c.name), c.users, c.description);
                    self.numeric(out, RPL_LIST, &line);
                }
                self.numeric(out, RPL_LISTEND, ":End of /LIST");
            }
            Event::TopicWho {
                channel: c,
                set_by,
                at,
            } => self.numeric(
                out,
                RPL_TOPICWHOTIME,
                &format!("{} {set_by} {at}", channel(c)),
            ),
            Event::TopicSet {
                channel: c,
                by,
                text,
            } => {
                let _ = write!(out, ":{} TOPIC {} :{text}\r\n", self.mask(by), channel(c));
            }
            Event::Invited { channel: c, by } => {
                let _ = write!(
                    out,
                    ":{} INVITE {} {}\r\n",
                    self.mask(by),
                    self.me(),
                    channel(c)
                );
            }
            Event::Inviting { nick, channel: c } => {
                self.numeric(out, RPL_INVITING, &format!("{nick} {}", channel(c)))
            }
            Event::ChannelCreated { channel: c } => self.notice(
                out,
                &format!("{} is registered: you are its founder", channel(c)),
            ),
            Event::ChannelDropped { channel: c, by } => {
                let name = channel(c);
                self.joined.remove(&name.to_ascii_lowercase());
                self.notice(out, &format!("{name} was dropped by {by}"));
                let _ = write!(out, ":{} PART {name} :dropped\r\n", self.mask(self.me()));
            }
            // IRC has no current channel: the client's window is the channel.
            Event::CurrentChannel(_) => {}
            // `render` sends every other event elsewhere.
            _ => {}
        }
    }

    /// RPL_NAMREPLY lines then RPL_ENDOFNAMES, after the topic of a channel
    /// just joined if it has not been told yet.
    fn names(&mut self, out: &mut Vec<u8>, c: &str, members: &[Member]) {
        let name = channel(c);
        if let Some((joined, description)) = self.untold_topic.take() {
            // Modern IRC: a JOIN sends RPL_TOPIC only if there is a topic;
            // RPL_NOTOPIC answers a TOPIC query, never a join.
            if joined == name && !description.is_empty() {
                self.topic(out, &name, &description);
            }
        }
        // 353 lines stay under 512 bytes whatever the nickname length.
        let mut line = String::new();
        let full = self.caps().has(Cap::UserhostInNames);
        for member in members {
            // userhost-in-names: `@nick!user@host`, the status mark first.
            let marks = self.status(member);
            let u = &member.user;
            let nick = match full {
                true => format!("{marks}{}", self.mask_with(&u.nick, &u.ident)),
                false => format!("{marks}{}", u.nick),
            };
            if !line.is_empty() && line.len() + nick.len() > 380 {
                self.numeric(out, RPL_NAMREPLY, &format!("= {name} :{line}"));
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&nick);
        }
        if !line.is_empty() {
            self.numeric(out, RPL_NAMREPLY, &format!("= {name} :{line}"));
        }
        self.numeric(out, RPL_ENDOFNAMES, &format!("{name} :End of /NAMES list."));
    }

    /// The member's status marks: the highest only, or with multi-prefix
    /// every one, highest first.
    fn status(&self, member: &Member) -> String {
        self.status_marks(member.op, member.voiced)
    }

    /// `@` for a channel operator, `+` for voice: the highest only, or with
    /// multi-prefix every one, highest first.
    pub(super) fn status_marks(&self, op: bool, voiced: bool) -> String {
        let marks = [(op, '@'), (voiced, '+')];
        let mut held = marks.iter().filter(|(has, _)| *has).map(|(_, mark)| *mark);
        match self.caps().has(Cap::MultiPrefix) {
            true => held.collect(),
            false => held.next().map(String::from).unwrap_or_default(),
        }
    }

    /// PART, or QUIT once for however many channels we shared with `nick`.
    fn member_left(
        &mut self,
        out: &mut Vec<u8>,
        c: &str,
        nick: &str,
        why: &Departure,
        quit_before: Option<String>,
    ) {
        let reason = match why {
            Departure::Parted(None) => {
                let _ = write!(out, ":{} PART {}\r\n", self.mask(nick), channel(c));
                return;
            }
            Departure::Parted(Some(reason)) => {
                let (mask, chan) = (self.mask(nick), channel(c));
                let _ = write!(out, ":{mask} PART {chan} :{reason}\r\n");
                return;
            }
            Departure::Quit(Some(message)) => format!("Quit: {message}"),
            Departure::Quit(None) => "Quit".to_string(),
            Departure::Lost(reason) => reason.clone(),
        };
        // One QUIT, however many channels we shared.
        if quit_before.as_deref() != Some(nick) {
            let _ = write!(out, ":{} QUIT :{reason}\r\n", self.mask(nick));
        }
        self.last_quit = Some(nick.to_string());
    }

    fn topic(&self, out: &mut Vec<u8>, name: &str, topic: &str) {
        match topic.is_empty() {
            true => self.numeric(out, RPL_NOTOPIC, &format!("{name} :No topic is set")),
            false => self.numeric(out, RPL_TOPIC, &format!("{name} :{topic}")),
        }
    }
}
