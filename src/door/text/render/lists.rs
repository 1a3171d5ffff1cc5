//! The text door's lines about a person's own lists: the watch list and
//! who on it logs in or out, the ignore list.

use std::io::{Result, Write};

use crate::hub::Event;

/// Writes the watch and ignore list events.
pub(super) fn write(event: &Event, out: &mut Vec<u8>) -> Result<()> {
    match event {
        Event::WatchList(entries)
        | Event::WatchStatuses(entries)
        | Event::WatchedAtLogin(entries) => {
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
        Event::IgnoreList(nicks) if nicks.is_empty() => write!(out, "You ignore nobody.\r\n")?,
        Event::IgnoreList(nicks) => write!(out, "You ignore: {}\r\n", nicks.join(" "))?,
        Event::Ignoring { nick } => {
            write!(out, "Ignoring {nick}: their lines will not reach you.\r\n")?
        }
        Event::Unignored { nick } => write!(out, "No longer ignoring {nick}.\r\n")?,
        // `write_event` sends every other event elsewhere.
        _ => {}
    }
    Ok(())
}
