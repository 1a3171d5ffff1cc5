//! The text door's lines people say: to a channel, privately (and the
//! sender's copy), notices and CTCP from IRC users, channel history on
//! joining, server-wide WALLs.

use std::io::{Result, Write};

use crate::clock::utc;
use crate::hub::{Aside, Event};

/// Writes the lines people say.
pub(super) fn write(event: &Event, out: &mut Vec<u8>) -> Result<()> {
    match event {
        Event::Public {
            channel,
            from,
            text,
            action,
            ..
        } => match action {
            false => write!(out, "{from} [{channel}]: {text}\r\n")?,
            true => write!(out, "* {from} [{channel}] {text}\r\n")?,
        },
        Event::Private {
            from, text, action, ..
        } => match action {
            false => write!(out, "{from} [**private**]: {text}\r\n")?,
            true => write!(out, "* {from} [**private**] {text}\r\n")?,
        },
        Event::PrivateSent {
            to, text, action, ..
        } => match action {
            false => write!(out, "-> {to} [**private**]: {text}\r\n")?,
            true => write!(out, "-> * {to} [**private**] {text}\r\n")?,
        },
        Event::Aside {
            from,
            channel,
            text,
            kind,
            ..
        } => aside(from, channel.as_deref(), text, *kind, out)?,
        Event::Wallops { from, text, .. } => write!(out, "** WALL from {from}: {text} **\r\n")?,
        Event::History { channel, lines } => {
            match lines.len() {
                1 => write!(out, "-- the last line of {channel} --\r\n")?,
                n => write!(out, "-- the last {n} lines of {channel} --\r\n")?,
            }
            for line in lines {
                let when = utc(line.at);
                match line.action {
                    false => write!(
                        out,
                        "[history {when}] {} [{channel}]: {}\r\n",
                        line.nick, line.text
                    )?,
                    true => write!(
                        out,
                        "[history {when}] * {} [{channel}] {}\r\n",
                        line.nick, line.text
                    )?,
                }
            }
            write!(out, "-- end of history --\r\n")?;
        }
        // Asked for through the IRC door only (CHATHISTORY): the text door
        // shows history as it replays on /join.
        Event::HistoryLines { .. } | Event::HistoryTargets(_) => {}
        // `write_event` sends every other event elsewhere.
        _ => {}
    }
    Ok(())
}

/// A notice reads like a line in `-dashes-` (as IRC clients show one); a
/// CTCP says what was asked, since no one here can answer it: its arguments
/// (a PING's timestamp, a DCC offer's address and port) are for a client, so
/// a request shows only its command, while a reply shows the answer.
fn aside(
    from: &str,
    channel: Option<&str>,
    text: &str,
    kind: Aside,
    out: &mut Vec<u8>,
) -> Result<()> {
    let place = match channel {
        Some(channel) => format!("[{channel}]"),
        None => "[**private**]".to_string(),
    };
    match kind {
        Aside::Notice => write!(out, "-{from} {place}- {text}\r\n"),
        Aside::Ctcp => {
            let request = text.split(' ').next().unwrap_or_default();
            write!(out, "* CTCP {request} from {from} {place}\r\n")
        }
        Aside::CtcpReply => {
            let (request, answer) = text.split_once(' ').unwrap_or((text, ""));
            write!(
                out,
                "* CTCP {request} reply from {from} {place}: {answer}\r\n"
            )
        }
        // Tags are for IRC clients: a terminal has nothing to show.
        Aside::Tags => Ok(()),
    }
}
