//! The text door's answers to questions about people and the server:
//! /who, /whois, /whowas, an away reply, the server's counts.

use std::io::{Result, Write};

use super::plural;
use crate::clock::{hms, utc};
use crate::hub::{Event, UserSummary};

/// Writes the answers to questions about people and the server.
pub(super) fn write(event: &Event, out: &mut Vec<u8>) -> Result<()> {
    match event {
        Event::Who {
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
            write!(out, "{n} user{} online\r\n", plural(n))?;
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
        Event::AwayReply { nick, message } => write!(out, "{nick} is away: {message}\r\n")?,
        Event::Stats {
            users, channels, ..
        } => write!(
            out,
            "{users} user{} on line, {channels} channel{}\r\n",
            plural(*users),
            plural(*channels)
        )?,
        Event::Whowas(departed) => {
            for d in departed {
                let from = d.host.as_ref().map(|h| format!(" from {h}"));
                let (nick, until) = (&d.nick, utc(d.left_at));
                write!(
                    out,
                    "{nick} was on line{} until {until}\r\n",
                    from.unwrap_or_default()
                )?;
            }
        }
        Event::WhoisAddress { nick, address } => write!(out, "{nick} connects from {address}\r\n")?,
        // `write_event` sends every other event elsewhere.
        _ => {}
    }
    Ok(())
}

pub(super) fn away(u: &UserSummary) -> String {
    match &u.away {
        Some(message) => format!(" (away: {message})"),
        None => String::new(),
    }
}

pub(super) fn channels(u: &UserSummary) -> String {
    if u.channels.is_empty() {
        "(none)".to_string()
    } else {
        u.channel_names().join(" ")
    }
}
