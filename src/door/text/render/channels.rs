//! The text door's lines about channels: joining and leaving, who enters
//! and leaves, who is in one (/users), the channel list, topics, the
//! current channel, invitations.

use std::io::{Result, Write};

use super::plural;
use super::queries::{away, channels};
use crate::clock::{hms, utc};
use crate::door::modes::prefixed_nick;
use crate::hub::{ChannelSummary, Departure, Event};

/// Writes the channel events.
pub(super) fn write(event: &Event, out: &mut Vec<u8>) -> Result<()> {
    match event {
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
            Departure::Parted(None) => write!(out, "<{nick} has left {channel}>\r\n")?,
            Departure::Parted(Some(reason)) => {
                write!(out, "<{nick} has left {channel} ({reason})>\r\n")?
            }
            Departure::Quit(None) => write!(out, "<{nick} has left {channel} (quit)>\r\n")?,
            Departure::Quit(Some(message)) => {
                write!(out, "<{nick} has left {channel} (quit: {message})>\r\n")?
            }
            Departure::Lost(reason) => write!(out, "<{nick} has left {channel} ({reason})>\r\n")?,
        },
        Event::Topic { channel, topic } => write!(out, "Topic of {channel}: {topic}\r\n")?,
        // The list IRC shows after a join is not the book's habit.
        Event::Members { on_join: true, .. } => {}
        Event::Members { members, .. } => {
            for member in members {
                let u = &member.user;
                // The book client's printf "%-15s (on %02d:%02d:%02d) Channels: %s",
                // the nickname marked as in IRC's NAMES (@ operator, + voiced).
                write!(
                    out,
                    "{:<15} (on {}) Channels: {}{}\r\n",
                    prefixed_nick(member),
                    hms(u.online),
                    channels(u),
                    away(u)
                )?;
            }
        }
        Event::Ison(_) => {}
        Event::TopicWho {
            channel,
            set_by,
            at,
        } => write!(
            out,
            "Topic of {channel} set by {set_by} on {}\r\n",
            utc(*at)
        )?,
        Event::TopicSet { channel, by, text } if text.is_empty() => {
            write!(out, "<{by} has cleared the topic of {channel}>\r\n")?
        }
        Event::TopicSet { channel, by, text } => {
            write!(out, "<{by} has set the topic of {channel} to: {text}>\r\n")?
        }
        Event::CurrentChannel(Some(c)) => write!(
            out,
            "Your current channel is now {} ({})\r\n",
            c.name,
            users(c)
        )?,
        Event::CurrentChannel(None) => write!(
            out,
            "You are in no channel now; /channels lists them, /join one\r\n"
        )?,
        Event::Invited { channel, by } => {
            write!(out, "<{by} invites you to {channel}: /join {channel}>\r\n")?
        }
        Event::Inviting { nick, channel } => write!(out, "Invited {nick} to {channel}\r\n")?,
        Event::ChannelCreated { channel } => write!(
            out,
            "Channel {channel} created; you are its founder. It is kept until you /drop it.\r\n"
        )?,
        Event::ChannelDropped { channel, by } => write!(
            out,
            "<{channel} was dropped by {by}; you are no longer in it>\r\n"
        )?,
        // `write_event` sends every other event elsewhere.
        _ => {}
    }
    Ok(())
}

fn users(c: &ChannelSummary) -> String {
    match c.users {
        1 => "1 user".to_string(),
        n => format!("{n} users"),
    }
}
