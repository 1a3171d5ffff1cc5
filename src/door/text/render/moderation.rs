//! The text door's lines about running a channel: kicks, mode changes, a
//! channel's modes and its ban and invite-exception lists.

use std::io::{Result, Write};

use super::plural;
use crate::clock::utc;
use crate::hub::{Event, MaskKind};

/// Writes the channel moderation events.
pub(super) fn write(event: &Event, out: &mut Vec<u8>) -> Result<()> {
    match event {
        Event::Kicked {
            channel,
            nick,
            by,
            reason,
        } => match reason {
            Some(reason) => write!(
                out,
                "<{nick} was kicked from {channel} by {by} ({reason})>\r\n"
            )?,
            None => write!(out, "<{nick} was kicked from {channel} by {by}>\r\n")?,
        },
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
        // `write_event` sends every other event elsewhere.
        _ => {}
    }
    Ok(())
}
