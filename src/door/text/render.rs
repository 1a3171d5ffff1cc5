//! The text door's renderer: hub events in, the lines a telnet/netcat user
//! reads out. Pure. The wording follows the book's client, so a chatd session
//! reads like the one in *Network Programming with Perl*. Lines end in CRLF.

use std::io::Write;

use super::parse::HELP;
use crate::clock::{hms, utc};
use crate::hub::{ChannelSummary, Departure, Event, UserSummary};

/// Appends the text for `event` to `out`.
pub fn render(event: &Event, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    let _ = write_event(event, out);
}

fn write_event(event: &Event, out: &mut Vec<u8>) -> std::io::Result<()> {
    match event {
        Event::NickPrompt { first } => {
            if *first {
                write!(out, "Welcome to chatd. Type /help for commands.\r\n")?;
            }
            // A prompt: no line end, the answer goes on the same line.
            write!(out, "Your nickname: ")?;
        }
        Event::Help => {
            for (command, what) in HELP {
                write!(out, "{command:<24} {what}\r\n")?;
            }
        }
        Event::LoggedIn { nick } => write!(out, "Log in successful. Welcome {nick}.\r\n")?,
        Event::ChannelList(channels) => {
            for c in channels {
                // The book client's printf "%-20s %-40s %3d users".
                let title = format!("[{}]", c.name);
                write!(out, "{title:<20} {:<40} {:>3} users\r\n", c.description, c.users)?;
            }
        }
        Event::Joined(c) => write!(out, "Welcome to the {} Channel ({})\r\n", c.name, users(c))?,
        Event::Parted { left, current } => {
            write!(out, "You have left the {} Channel\r\n", left.name)?;
            if let Some(c) = current {
                write!(out, "Your current channel is now {} ({})\r\n", c.name, users(c))?;
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
        Event::Users { users, .. } => {
            for u in users {
                // The book client's printf "%-15s (on %02d:%02d:%02d) Channels: %s".
                write!(
                    out,
                    "{:<15} (on {}) Channels: {}\r\n",
                    u.nick,
                    hms(u.online),
                    channels(u)
                )?;
            }
        }
        Event::Who(everyone) => {
            for u in everyone {
                write!(
                    out,
                    "{:<15} (on {}, idle {}) Channels: {}\r\n",
                    u.nick,
                    hms(u.online),
                    hms(u.idle),
                    channels(u)
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
        }
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
    use crate::hub::ChatError;
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
            }],
        };
        assert_eq!(
            text(users),
            "beanieboy       (on 00:05:24) Channels: Weather Pets\r\n"
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
        assert_eq!(text(error), "** ERROR: no channel named nosuch **\r\n");
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
