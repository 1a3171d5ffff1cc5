//! The text door's renderer: hub events in, the lines a telnet/netcat user
//! reads out. Pure. The wording follows the book's client, so a chatd session
//! reads like the one in *Network Programming with Perl*. Lines end in CRLF.

use std::io::Write;

use super::codec::{ECHO, IAC, WILL, WONT};
use super::parse::{help_line, HELP};
use crate::clock::{hms, utc};
use crate::hub::{ChannelSummary, ChatError, Departure, Event, MaskKind, Prompt, UserSummary};

/// RFC 857: the server "will echo", so the client stops echoing what is typed
/// (a password); "won't echo" gives the client its local echo back.
const ECHO_OFF: [u8; 3] = [IAC, WILL, ECHO];
const ECHO_ON: [u8; 3] = [IAC, WONT, ECHO];

/// Appends the text for `event` to `out`.
/// The text door's renderer: telnet lines depend on the event alone, so a
/// line to a channel is rendered once for all its text-door members.
pub struct Renderer;

impl crate::engine::Render for Renderer {
    fn render(&mut self, event: &Event, out: &mut Vec<u8>) {
        render(event, out)
    }

    fn shares(&mut self, event: &Event) -> bool {
        matches!(
            event,
            Event::Public { .. } | Event::MemberJoined { .. } | Event::MemberLeft { .. }
        )
    }
}

pub fn render(event: &Event, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    let _ = write_event(event, out);
}

fn write_event(event: &Event, out: &mut Vec<u8>) -> std::io::Result<()> {
    match event {
        // Prompts have no line end: the answer goes on the same line.
        Event::Prompt(Prompt::Nick { first }) => {
            if *first {
                write!(out, "Welcome to chatd. Type /help for commands.\r\n")?;
            }
            write!(out, "Your nickname: ")?;
        }
        Event::Prompt(Prompt::Password { nick }) => {
            write!(out, "Password for {nick}: ")?;
            out.extend_from_slice(&ECHO_OFF);
        }
        Event::Prompt(Prompt::NewPassword { nick, min_length }) => {
            write!(
                out,
                "{nick} is not registered yet. Choose a password to register it \
                 (at least {min_length} characters): "
            )?;
            out.extend_from_slice(&ECHO_OFF);
        }
        Event::Prompt(Prompt::RepeatPassword) => {
            write!(out, "The same password again: ")?;
            out.extend_from_slice(&ECHO_OFF);
        }
        Event::EchoOn => {
            // The user's Enter was not echoed either: end their line for them.
            out.extend_from_slice(&ECHO_ON);
            write!(out, "\r\n")?;
        }
        Event::Notice(text) => write!(out, "{text}\r\n")?,
        Event::Help => {
            for (command, what) in HELP {
                write!(out, "{}\r\n", help_line(command, what))?;
            }
        }
        Event::LoggedIn { nick } => write!(out, "Log in successful. Welcome {nick}.\r\n")?,
        Event::ChannelList(channels) => {
            for c in channels {
                // The book client's printf "%-20s %-40s %3d users".
                let title = format!("[{}]", c.name);
                write!(
                    out,
                    "{title:<20} {:<40} {:>3} user{}\r\n",
                    c.description,
                    c.users,
                    plural(c.users)
                )?;
            }
        }
        Event::Joined(c) => write!(out, "Welcome to the {} Channel ({})\r\n", c.name, users(c))?,
        Event::Parted { left, current } => {
            write!(out, "You have left the {} Channel\r\n", left.name)?;
            if let Some(c) = current {
                write!(
                    out,
                    "Your current channel is now {} ({})\r\n",
                    c.name,
                    users(c)
                )?;
            }
        }
        Event::MemberJoined { channel, nick } => write!(out, "<{nick} has entered {channel}>\r\n")?,
        Event::MemberLeft { channel, nick, why } => match why {
            Departure::Parted => write!(out, "<{nick} has left {channel}>\r\n")?,
            Departure::Quit(None) => write!(out, "<{nick} has left {channel} (quit)>\r\n")?,
            Departure::Quit(Some(message)) => {
                write!(out, "<{nick} has left {channel} (quit: {message})>\r\n")?
            }
            Departure::Lost(reason) => write!(out, "<{nick} has left {channel} ({reason})>\r\n")?,
        },
        Event::Public {
            channel,
            from,
            text,
            action,
        } => match action {
            false => write!(out, "{from} [{channel}]: {text}\r\n")?,
            true => write!(out, "* {from} [{channel}] {text}\r\n")?,
        },
        Event::Private { from, text, action } => match action {
            false => write!(out, "{from} [**private**]: {text}\r\n")?,
            true => write!(out, "* {from} [**private**] {text}\r\n")?,
        },
        Event::PrivateSent { to, text, action } => match action {
            false => write!(out, "-> {to} [**private**]: {text}\r\n")?,
            true => write!(out, "-> * {to} [**private**] {text}\r\n")?,
        },
        Event::Users { users, marks, .. } => {
            for (u, mark) in users.iter().zip(marks) {
                // The book client's printf "%-15s (on %02d:%02d:%02d) Channels: %s",
                // the nickname marked as in IRC's NAMES (@ operator, + voiced).
                write!(
                    out,
                    "{:<15} (on {}) Channels: {}{}\r\n",
                    format!("{mark}{}", u.nick),
                    hms(u.online),
                    channels(u),
                    away(u)
                )?;
            }
        }
        Event::Who(everyone)
        | Event::WhoReply {
            users: everyone, ..
        } => {
            for u in everyone {
                write!(
                    out,
                    "{:<15} (on {}, idle {}) Channels: {}{}\r\n",
                    u.nick,
                    hms(u.online),
                    hms(u.idle),
                    channels(u),
                    away(u)
                )?;
            }
            let n = everyone.len();
            write!(out, "{n} user{} online\r\n", if n == 1 { "" } else { "s" })?;
        }
        Event::Whois(u) => {
            write!(
                out,
                "{} is on line since {} (on {}), idle {}\r\n{} is in channels: {}\r\n",
                u.nick,
                utc(u.since),
                hms(u.online),
                hms(u.idle),
                u.nick,
                channels(u)
            )?;
            if let Some(message) = &u.away {
                write!(out, "{} is away: {message}\r\n", u.nick)?;
            }
        }
        Event::WhoisOffline {
            nick,
            registered,
            last_seen,
        } => {
            write!(
                out,
                "{nick} is not on line; registered since {}",
                utc(*registered)
            )?;
            match last_seen {
                Some(at) => write!(out, ", last seen {}\r\n", utc(*at))?,
                None => write!(out, ", never seen on line\r\n")?,
            }
        }
        Event::Registered { nick } => write!(
            out,
            "Your nickname {nick} is registered: from now on it asks for your password.\r\n"
        )?,
        Event::WatchList(entries) | Event::WatchedAtLogin(entries) => {
            if entries.is_empty() {
                write!(
                    out,
                    "Your watch list is empty; /watch <nick> adds to it.\r\n"
                )?;
            }
            for (nick, online) in entries {
                let state = if *online { "on line" } else { "off line" };
                write!(out, "Watching {nick} ({state})\r\n")?;
            }
        }
        Event::Watching { nick, online } => {
            let state = if *online {
                "on line now"
            } else {
                "off line now"
            };
            write!(out, "Watching {nick} ({state})\r\n")?
        }
        Event::Unwatched { nick } => write!(out, "No longer watching {nick}\r\n")?,
        Event::WatchedLogin { nick } => write!(out, "<{nick} has logged in>\r\n")?,
        Event::WatchedLogout { nick } => write!(out, "<{nick} has logged out>\r\n")?,
        Event::Away(Some(message)) => write!(out, "You are marked as away: {message}\r\n")?,
        Event::Away(None) => write!(out, "You are no longer marked as away\r\n")?,
        Event::AwayReply { nick, message } => write!(out, "{nick} is away: {message}\r\n")?,
        Event::NickChanged { old, new } => write!(out, "<{old} is now known as {new}>\r\n")?,
        Event::Topic { channel, topic } => write!(out, "Topic of {channel}: {topic}\r\n")?,
        Event::Stats { users, channels } => write!(
            out,
            "{users} user{} on line, {channels} channel{}\r\n",
            plural(*users),
            plural(*channels)
        )?,
        Event::Raw(line) => write!(out, "{line}\r\n")?,
        // The text door shows channel members with /users instead.
        Event::Names { .. } | Event::Ison(_) => {}
        Event::TopicWho {
            channel,
            set_by,
            at,
        } => write!(out, "Topic of {channel} set by {set_by} on {}\r\n", utc(*at))?,
        Event::TopicSet { channel, by, text } if text.is_empty() => {
            write!(out, "<{by} has cleared the topic of {channel}>\r\n")?
        }
        Event::TopicSet { channel, by, text } => {
            write!(out, "<{by} has set the topic of {channel} to: {text}>\r\n")?
        }
        Event::Kicked {
            channel,
            nick,
            by,
            reason,
        } => match reason {
            Some(reason) => write!(out, "<{nick} was kicked from {channel} by {by} ({reason})>\r\n")?,
            None => write!(out, "<{nick} was kicked from {channel} by {by}>\r\n")?,
        },
        Event::CurrentChannel(Some(c)) => {
            write!(out, "Your current channel is now {} ({})\r\n", c.name, users(c))?
        }
        Event::CurrentChannel(None) => write!(
            out,
            "You are in no channel now; /channels lists them, /join one\r\n"
        )?,
        Event::ModeChanged {
            channel,
            by,
            modes,
            params,
        } => {
            // IRC's `*` stands for a key nobody is shown (`-k *`): not a word
            // a telnet user should have to read.
            let params: String = params
                .iter()
                .filter(|p| *p != "*")
                .map(|p| format!(" {p}"))
                .collect();
            write!(out, "<{by} sets mode {modes}{params} on {channel}>\r\n")?
        }
        Event::ChannelModes {
            channel,
            modes,
            params,
        } => {
            let params: String = params.iter().map(|p| format!(" {p}")).collect();
            write!(out, "Modes of {channel}: {modes}{params}\r\n")?
        }
        Event::MaskList {
            channel,
            kind,
            entries,
        } => {
            let what = match kind {
                MaskKind::Bans => "ban",
                MaskKind::InviteExceptions => "invite exception",
            };
            for e in entries {
                write!(out, "{} (set by {} on {})\r\n", e.mask, e.set_by, utc(e.at))?;
            }
            match entries.len() {
                0 => write!(out, "No {what}s in {channel}\r\n")?,
                n => write!(out, "{n} {what}{} in {channel}\r\n", plural(n))?,
            }
        }
        Event::Invited { channel, by } => {
            write!(out, "<{by} invites you to {channel}: /join {channel}>\r\n")?
        }
        Event::Inviting { nick, channel } => write!(out, "Invited {nick} to {channel}\r\n")?,
        Event::Wallops { from, text } => write!(out, "** WALL from {from}: {text} **\r\n")?,
        Event::YouAreOper => write!(out, "You are now a server operator.\r\n")?,
        Event::ChannelCreated { channel } => write!(
            out,
            "Channel {channel} created; you are its founder. It is kept until you /drop it.\r\n"
        )?,
        Event::ChannelDropped { channel, by } => {
            write!(out, "<{channel} was dropped by {by}; you are no longer in it>\r\n")?
        }
        Event::History { channel, lines } => {
            match lines.len() {
                1 => write!(out, "-- the last line of {channel} --\r\n")?,
                n => write!(out, "-- the last {n} lines of {channel} --\r\n")?,
            }
            for line in lines {
                let when = utc(line.at);
                match line.action {
                    false => write!(out, "[history {when}] {} [{channel}]: {}\r\n", line.nick, line.text)?,
                    true => write!(out, "[history {when}] * {} [{channel}] {}\r\n", line.nick, line.text)?,
                }
            }
            write!(out, "-- end of history --\r\n")?;
        }
        Event::Memos(memos) if memos.is_empty() => write!(out, "You have no memos.\r\n")?,
        Event::Memos(memos) => {
            write!(out, "You have {} memo{}:\r\n", memos.len(), plural(memos.len()))?;
            for memo in memos {
                write!(
                    out,
                    "{} [**memo** sent {}]: {}\r\n",
                    memo.from,
                    utc(memo.at),
                    memo.text
                )?;
            }
        }
        Event::MemoStored { to } => write!(
            out,
            "{to} is not on line: your message was kept for their next login.\r\n"
        )?,
        Event::MemosCleared => write!(out, "Your memos were deleted.\r\n")?,
        Event::IgnoreList(nicks) if nicks.is_empty() => write!(out, "You ignore nobody.\r\n")?,
        Event::IgnoreList(nicks) => write!(out, "You ignore: {}\r\n", nicks.join(" "))?,
        Event::Ignoring { nick } => {
            write!(out, "Ignoring {nick}: their lines will not reach you.\r\n")?
        }
        Event::Unignored { nick } => write!(out, "No longer ignoring {nick}.\r\n")?,
        Event::Whowas(departed) => {
            for d in departed {
                let from = d.host.as_ref().map(|h| format!(" from {h}"));
                let (nick, until) = (&d.nick, utc(d.left_at));
                write!(out, "{nick} was on line{} until {until}\r\n", from.unwrap_or_default())?;
            }
        }
        Event::IdleWarning { seconds } => write!(
            out,
            "** You will be logged out in {seconds} seconds for being idle; type anything to stay. **\r\n"
        )?,
        Event::WhoisAddress { nick, address } => {
            write!(out, "{nick} connects from {address}\r\n")?
        }
        Event::Error(ChatError::NoSuchChannel(name)) => write!(
            out,
            "** ERROR: no channel named {name}; /channels lists them, /create {name} makes one **\r\n"
        )?,
        Event::Error(error) => write!(out, "** ERROR: {error} **\r\n")?,
        Event::Closing { reason } => write!(out, "** {reason} **\r\n")?,
    }
    Ok(())
}

fn users(c: &ChannelSummary) -> String {
    match c.users {
        1 => "1 user".to_string(),
        n => format!("{n} users"),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn away(u: &UserSummary) -> String {
    match &u.away {
        Some(message) => format!(" (away: {message})"),
        None => String::new(),
    }
}

fn channels(u: &UserSummary) -> String {
    if u.channels.is_empty() {
        "(none)".to_string()
    } else {
        u.channels.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn text(event: Event) -> String {
        let mut out = Vec::new();
        render(&event, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn channel_list_uses_the_book_columns() {
        let list = Event::ChannelList(vec![ChannelSummary {
            name: "Weather".into(),
            description: "Talk about the weather".into(),
            users: 2,
        }]);
        assert_eq!(
            text(list),
            "[Weather]            Talk about the weather                     2 users\r\n"
        );
    }

    #[test]
    fn users_show_time_on_line_and_channels_most_recent_first() {
        let users = Event::Users {
            channel: "Weather".into(),
            users: vec![UserSummary {
                nick: "beanieboy".into(),
                online: Duration::from_secs(5 * 60 + 24),
                idle: Duration::ZERO,
                since: 0,
                channels: vec!["Weather".into(), "Pets".into()],
                away: None,
            }],
            marks: vec!["@"],
        };
        assert_eq!(
            text(users),
            "@beanieboy      (on 00:05:24) Channels: Weather Pets\r\n"
        );
    }

    #[test]
    fn messages_and_notices_read_like_the_book() {
        let public = Event::Public {
            channel: "Weather".into(),
            from: "rufus".into(),
            text: "is it true about the rain in spain?".into(),
            action: false,
        };
        assert_eq!(
            text(public),
            "rufus [Weather]: is it true about the rain in spain?\r\n"
        );
        let private = Event::Private {
            from: "wondergirl".into(),
            text: "that's for you to figure out".into(),
            action: false,
        };
        assert_eq!(
            text(private),
            "wondergirl [**private**]: that's for you to figure out\r\n"
        );
        let joined = Event::MemberJoined {
            channel: "Weather".into(),
            nick: "bayla".into(),
        };
        assert_eq!(text(joined), "<bayla has entered Weather>\r\n");
        let error = Event::Error(ChatError::NoSuchChannel("nosuch".into()));
        assert_eq!(
            text(error),
            "** ERROR: no channel named nosuch; /channels lists them, /create nosuch makes one **\r\n"
        );
    }

    #[test]
    fn join_counts_its_users() {
        let joined = |users| {
            text(Event::Joined(ChannelSummary {
                name: "Weather".into(),
                description: String::new(),
                users,
            }))
        };
        assert_eq!(joined(3), "Welcome to the Weather Channel (3 users)\r\n");
        assert_eq!(joined(1), "Welcome to the Weather Channel (1 user)\r\n");
    }
}
