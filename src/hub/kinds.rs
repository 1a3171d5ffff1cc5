//! Small vocabularies that the hub's commands and its events both speak:
//! which of a user's nickname lists, which kind of aside, where a line
//! goes, which history was asked for. Apart from both, so that neither file imports the other.

use crate::model::HistoryQuery;

/// Which of a user's two lists of nicknames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListKind {
    /// The hot list: whose logins and logouts the user hears.
    Watch,
    /// Nicknames whose lines never reach the user.
    Ignore,
}

/// A line passed on for the person's client rather than said in the
/// conversation: never kept in history or as a memo (IRC's NOTICE and CTCP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aside {
    /// A notice. RFC 2812 §3.3.2: it is never answered, not even with an
    /// error, so that two bots cannot answer each other for ever.
    Notice,
    /// A client-to-client request (CTCP `VERSION`, `PING`, `DCC SEND`…): the
    /// text is the request without its `\x01` framing.
    Ctcp,
    /// The answer to a CTCP request (an IRC NOTICE): never answered either.
    CtcpReply,
    /// Client tags and no text (IRCv3 `TAGMSG`: typing notices,
    /// reactions): the line's `ClientTags` are all there is, for clients
    /// that read tags; other doors show nothing.
    Tags,
}

impl Aside {
    /// Whether a refusal is told to the sender: only a request is.
    pub fn answered(self) -> bool {
        self == Aside::Ctcp
    }
}

/// A look at kept channel history (IRC's `CHATHISTORY`): only lines the
/// store kept, of channels the asker may read now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryRequest {
    /// Up to `limit` lines of a channel, as `query` asks.
    Lines {
        channel: String,
        query: HistoryQuery,
        limit: usize,
    },
    /// Up to `limit` channels with lines said between two instants (Unix
    /// milliseconds, either way round), each with its newest line's time.
    Targets { from: i64, to: i64, limit: usize },
}

/// Where a line goes: a channel or one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Channel(String),
    Nick(String),
}
