//! The text door's lines people say: to a channel, privately (and the
//! sender's copy), channel history on joining, server-wide WALLs.

use std::io::{Result, Write};

use crate::clock::utc;
use crate::hub::Event;

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
        // `write_event` sends every other event elsewhere.
        _ => {}
    }
    Ok(())
}
