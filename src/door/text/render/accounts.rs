//! The text door's lines about a person's own account and session: logging
//! in, registering, nickname changes, away, memos, becoming an operator.

use std::io::{Result, Write};

use super::plural;
use crate::clock::utc;
use crate::hub::Event;

/// Writes the events about the connection's own account and session.
pub(super) fn write(event: &Event, out: &mut Vec<u8>) -> Result<()> {
    match event {
        Event::LoggedIn { nick, .. } => write!(out, "Log in successful. Welcome {nick}.\r\n")?,
        Event::Registered { nick } => write!(
            out,
            "Your nickname {nick} is registered: from now on it asks for your password.\r\n"
        )?,
        Event::Away(Some(message)) => write!(out, "You are marked as away: {message}\r\n")?,
        Event::Away(None) => write!(out, "You are no longer marked as away\r\n")?,
        Event::NickChanged { old, new } => write!(out, "<{old} is now known as {new}>\r\n")?,
        Event::YouAreOper => write!(out, "You are now a server operator.\r\n")?,
        Event::Memos(memos) if memos.is_empty() => write!(out, "You have no memos.\r\n")?,
        Event::Memos(memos) => {
            write!(
                out,
                "You have {} memo{}:\r\n",
                memos.len(),
                plural(memos.len())
            )?;
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
        // `write_event` sends every other event elsewhere.
        _ => {}
    }
    Ok(())
}
