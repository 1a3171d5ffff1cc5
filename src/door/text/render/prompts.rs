//! The text door's login dialogue and help: the prompts (no line end, the
//! answer goes on the same line), telnet echo off for passwords and back on,
//! and the `/help` list. The session (`door::session`) asks for these; the
//! hub never sees them.

use std::io::Write;

use crate::door::session::Prompt;
use crate::door::text::codec::{ECHO, IAC, WILL, WONT};
use crate::door::text::parse::{help_line, HELP};

/// RFC 857: the server "will echo", so the client stops echoing what is typed
/// (a password); "won't echo" gives the client its local echo back.
const ECHO_OFF: [u8; 3] = [IAC, WILL, ECHO];
const ECHO_ON: [u8; 3] = [IAC, WONT, ECHO];

/// A login prompt; a password's answer is typed hidden.
pub fn prompt(prompt: &Prompt, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    let _ = match prompt {
        Prompt::Nick { first } => {
            if *first {
                out.extend_from_slice(b"Welcome to chatd. Type /help for commands.\r\n");
            }
            write!(out, "Your nickname: ")
        }
        Prompt::Password { nick } => write!(out, "Password for {nick}: "),
        Prompt::NewPassword { nick, min_length } => write!(
            out,
            "{nick} is not registered yet. Choose a password to register it \
             (at least {min_length} characters): "
        ),
        Prompt::RepeatPassword => write!(out, "The same password again: "),
    };
    if !matches!(prompt, Prompt::Nick { .. }) {
        out.extend_from_slice(&ECHO_OFF);
    }
}

/// The hidden answer to a password prompt has been read: typing shows again.
pub fn echo_on(out: &mut Vec<u8>) {
    // The user's Enter was not echoed either: end their line for them.
    out.extend_from_slice(&ECHO_ON);
    out.extend_from_slice(b"\r\n");
}

/// The door's command list.
pub fn help(out: &mut Vec<u8>) {
    for (command, what) in HELP {
        let _ = write!(out, "{}\r\n", help_line(command, what));
    }
}
