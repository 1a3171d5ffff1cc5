//! The plain shared types: what the hub, the store and the configuration all
//! speak of (accounts, channel records, history lines and their message ids,
//! memos, bans, operators, address ranges, client tags, history requests, nickname and
//! channel-name rules). Data only, with no behaviour beyond checking and
//! matching a value, so that none of those three needs to import another:
//! each imports this.

use std::time::{Duration, SystemTime};

mod address_range;
mod client_tags;
mod history;
mod message_id;
pub mod name;

pub use address_range::AddressRange;
pub use client_tags::ClientTags;
pub use history::{HistoryPoint, HistoryQuery, HistoryTarget};
pub use message_id::{MessageId, Stamp};

/// A registered account, by its database id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub i64);

/// A registered account as the store keeps it (one row of `accounts`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRecord {
    pub id: AccountId,
    pub nick: String,
    pub password_hash: String,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    pub last_login_from: Option<String>,
    pub last_seen_at: Option<i64>,
    pub login_count: i64,
}

/// An account's SCRAM-SHA-256 credential (RFC 5802 §3): what the server
/// keeps to check a SCRAM proof without knowing the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScramCredential {
    pub salt: Vec<u8>,
    pub iterations: u32,
    /// SHA-256 of the ClientKey.
    pub stored_key: Vec<u8>,
    pub server_key: Vec<u8>,
}

/// A private message kept for a registered user who was off line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Memo {
    pub from: String,
    pub text: String,
    pub at: i64,
}

/// The outcome of keeping a memo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoKept {
    Kept,
    /// No account has that nickname.
    NoAccount,
    /// The recipient has `max` memos waiting already.
    Full,
}

/// A line of a channel's history, replayed to whoever joins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryLine {
    /// The id the line was stamped with when it was said.
    pub id: MessageId,
    /// Unix seconds, as the store keeps it.
    pub at: i64,
    /// The milliseconds within that second: with `at`, the hub's time to
    /// the millisecond, as IRCv3 server-time and chathistory name lines.
    /// 0 for lines kept before the store knew them (migration 0007).
    pub millis: u16,
    pub nick: String,
    pub text: String,
    pub action: bool,
}

impl HistoryLine {
    /// When the line was said, in Unix milliseconds.
    pub fn unix_millis(&self) -> i64 {
        self.at * 1000 + i64::from(self.millis)
    }

    /// When the line was said, to the millisecond.
    pub fn time(&self) -> SystemTime {
        history::time_of_unix_millis(self.unix_millis())
    }
}

/// A topic and who set it when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    pub text: String,
    pub set_by: String,
    pub at: i64,
}

/// A ban or invite-exception mask, with who set it when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskEntry {
    pub mask: String,
    pub set_by: String,
    pub at: i64,
}

/// What the database keeps of a channel (Permanent and Registered ones).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelRecord {
    pub name: String,
    pub description: String,
    pub founder: Option<AccountId>,
    pub created_at: i64,
    pub topic: Option<Topic>,
    /// As the hub's `Modes::flags` writes them, e.g. `+int`.
    pub modes: String,
    pub key: Option<String>,
    pub limit: Option<usize>,
    pub ops: Vec<AccountId>,
    pub bans: Vec<MaskEntry>,
    pub invite_exceptions: Vec<MaskEntry>,
}

/// A server-wide ban: an address, account or nickname mask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gline {
    pub mask: String,
    pub reason: String,
    pub set_by: String,
    pub at: i64,
}

/// A permanent channel, as chat.toml lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelSpec {
    pub name: String,
    pub description: String,
}

/// A server operator named in chat.toml, with an argon2 PHC hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperSpec {
    pub name: String,
    pub password_hash: String,
}

/// How much of each channel is remembered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryConfig {
    /// Lines replayed on join; 0 turns history off.
    pub replay: usize,
    /// Lines kept per channel in the database.
    pub keep: usize,
    /// Lines older than this are deleted.
    pub max_age: Duration,
}

impl HistoryConfig {
    pub fn off() -> HistoryConfig {
        HistoryConfig {
            replay: 0,
            keep: 0,
            max_age: Duration::ZERO,
        }
    }
}
