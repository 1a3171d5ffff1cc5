//! The text door's lines for what the server says to this connection:
//! notices, errors, the idle warning, closing.

use std::io::{Result, Write};

use crate::hub::{ChatError, Event};

/// Writes the server's own words to this connection.
pub(super) fn write(event: &Event, out: &mut Vec<u8>) -> Result<()> {
    match event {
        Event::Notice(text) => write!(out, "{text}\r\n")?,
        Event::IdleWarning { seconds } => write!(
            out,
            "** You will be logged out in {seconds} seconds for being idle; type anything to stay. **\r\n"
        )?,
        Event::Error(ChatError::NoSuchChannel(name)) => write!(
            out,
            "** ERROR: no channel named {name}; /channels lists them, /create {name} makes one **\r\n"
        )?,
        Event::Error(error) => write!(out, "** ERROR: {error} **\r\n")?,
        Event::Closing { reason } => write!(out, "** {reason} **\r\n")?,
        // `write_event` sends every other event elsewhere.
        _ => {}
    }
    Ok(())
}
