//! Every chat line's identity: the message id the hub gives it and the hub's
//! time, carried on the events that bring the line to every door and kept
//! with history, so that IRCv3 tags (msgid, server-time), chathistory and a
//! browser that reconnects without duplicates can name a line (issue #13).

use std::fmt;
use std::time::SystemTime;
#[cfg(test)]
use std::time::UNIX_EPOCH;

/// A chat line's id: unique over the server's life, across restarts, and
/// larger for every line the hub stamps after another. The hub's counter,
/// `hub::MessageIds`, says why that holds, a clock set back included.
///
/// An id says nothing about time: read the line's time from its [`Stamp`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub u64);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What the hub puts on every chat line it passes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub id: MessageId,
    /// The hub's time when it took the line, as it came in with the command.
    pub at: SystemTime,
}

impl Stamp {
    /// A stamp that names no line: what tests of wording compare against
    /// and give the doors, which show no stamps yet.
    #[cfg(test)]
    pub const BLANK: Stamp = Stamp {
        id: MessageId(0),
        at: UNIX_EPOCH,
    };
}
