//! The text door's login dialogue and help: the prompts (no line end, the
//! answer goes on the same line), telnet echo off for passwords and back on,
//! and the `/help` list.

use std::io::{Result, Write};

use crate::door::text::codec::{ECHO, IAC, WILL, WONT};
use crate::door::text::parse::{help_line, HELP};
use crate::hub::{Event, Prompt};

/// RFC 857: the server "will echo", so the client stops echoing what is typed
/// (a password); "won't echo" gives the client its local echo back.
const ECHO_OFF: [u8; 3] = [IAC, WILL, ECHO];
const ECHO_ON: [u8; 3] = [IAC, WONT, ECHO];

/// Writes the prompts, echo changes and help.
pub(super) fn write(event: &Event, out: &mut Vec<u8>) -> Result<()> {
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
        Event::Help => {
            for (command, what) in HELP {
                write!(out, "{}\r\n", help_line(command, what))?;
            }
        }
        // `write_event` sends every other event elsewhere.
        _ => {}
    }
    Ok(())
}
