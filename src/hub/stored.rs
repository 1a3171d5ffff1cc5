//! What the store worker saved or found, as it comes back to the hub in
//! [`Command::Stored`](super::Command::Stored): plain outcomes, which the hub
//! turns into the events its session hears. The hub never touches the disk;
//! it only hears how the disk answered.

use std::sync::Arc;

use super::event::{ChatError, Event};
use super::kinds::HistoryRequest;
use crate::model::{HistoryLine, HistoryTarget, Memo, MemoKept};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    /// A write the session was to hear about once it is on disk: `ack` is
    /// what it hears when `saved`.
    Write { saved: bool, ack: Arc<Event> },
    /// `/whois` of someone off line: their account when there is one (a
    /// failed lookup counts as none).
    WhoisOffline {
        nick: String,
        account: Option<OfflineAccount>,
    },
    /// A private message to someone off line; `None` when the store failed.
    MemoKept { to: String, kept: Option<MemoKept> },
    /// The session's memos; `None` when they could not be read.
    Memos(Option<Vec<Memo>>),
    /// The session's memos are deleted, unless `cleared` is false.
    MemosCleared { cleared: bool },
    /// What the store found for a history request; `None` when it failed.
    /// The hub checks again that the session may read it before it is
    /// told (`Hub::history_found`).
    History {
        request: HistoryRequest,
        found: Option<HistoryFound>,
    },
}

/// History the store found, as the request asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryFound {
    Lines(Vec<HistoryLine>),
    Targets(Vec<HistoryTarget>),
}

/// A registered account whose owner is off line, for `/whois`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfflineAccount {
    /// As registered.
    pub nick: String,
    pub registered: i64,
    pub last_seen: Option<i64>,
}

impl Stored {
    /// What the session that asked hears.
    pub(super) fn into_event(self) -> Arc<Event> {
        let event = match self {
            Stored::Write { saved: true, ack } => return ack,
            Stored::Write { saved: false, .. } => Event::Error(ChatError::Server(
                "that could not be saved; please try again".into(),
            )),
            Stored::WhoisOffline {
                account: Some(account),
                ..
            } => Event::WhoisOffline {
                nick: account.nick,
                registered: account.registered,
                last_seen: account.last_seen,
            },
            Stored::WhoisOffline {
                nick,
                account: None,
            } => Event::Error(ChatError::NoSuchNick(nick)),
            Stored::MemoKept { to, kept } => match kept {
                Some(MemoKept::Kept) => Event::MemoStored { to },
                Some(MemoKept::NoAccount) => Event::Error(ChatError::NoSuchNick(to)),
                Some(MemoKept::Full) => Event::Error(ChatError::MemoBoxFull(to)),
                None => Event::Error(ChatError::Server(
                    "the memo could not be kept; try again".into(),
                )),
            },
            Stored::Memos(Some(memos)) => Event::Memos(memos),
            Stored::MemosCleared { cleared: true } => Event::MemosCleared,
            // The hub sees to found history itself; a failed look is no secret.
            Stored::History { request, .. } => Event::Error(ChatError::HistoryFailed(request)),
            Stored::Memos(None) | Stored::MemosCleared { cleared: false } => Event::Error(
                ChatError::Server("your memos could not be read; try again".into()),
            ),
        };
        Arc::new(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_write_is_acknowledged_with_what_the_hub_prepared() {
        let ack = Arc::new(Event::MemosCleared);
        let stored = Stored::Write {
            saved: true,
            ack: Arc::clone(&ack),
        };
        assert!(Arc::ptr_eq(&stored.into_event(), &ack));
    }

    #[test]
    fn a_failed_write_asks_to_try_again() {
        let stored = Stored::Write {
            saved: false,
            ack: Arc::new(Event::MemosCleared),
        };
        assert_eq!(
            *stored.into_event(),
            Event::Error(ChatError::Server(
                "that could not be saved; please try again".into()
            ))
        );
    }

    #[test]
    fn a_memo_for_a_full_box_names_the_recipient() {
        let stored = Stored::MemoKept {
            to: "lincoln".into(),
            kept: Some(MemoKept::Full),
        };
        assert_eq!(
            *stored.into_event(),
            Event::Error(ChatError::MemoBoxFull("lincoln".into()))
        );
    }

    #[test]
    fn whois_of_an_unknown_account_is_no_such_nick() {
        let stored = Stored::WhoisOffline {
            nick: "nobody".into(),
            account: None,
        };
        assert_eq!(
            *stored.into_event(),
            Event::Error(ChatError::NoSuchNick("nobody".into()))
        );
    }
}
