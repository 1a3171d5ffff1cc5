//! Channels: who is in them and who runs them — topic, operators, voice,
//! bans, invitations and modes — and the container that finds them by name.
//! Pure data and the permission rules; the hub decides what to announce.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::ops::{Index, IndexMut};

use super::session_id::SessionId;
use crate::model::name::channel_key;
use crate::model::{AccountId, ChannelRecord, HistoryLine, MaskEntry, Topic};

/// How long a channel lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    /// From chat.toml: always there, can't be dropped.
    Permanent,
    /// Made with /create by a registered user: kept in the database until
    /// its founder drops it.
    Registered,
    /// Made by an IRC JOIN of a new name: gone when the last member leaves.
    Transient,
}

/// The channel modes that are flags or take one value (RFC 2811 §4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Modes {
    /// +i: only invited users (or +I matches) may join.
    pub invite_only: bool,
    /// +m: only operators and voiced users may speak.
    pub moderated: bool,
    /// +n: no messages from outside the channel.
    pub no_outside: bool,
    /// +s: hidden from /channels and LIST for non-members.
    pub secret: bool,
    /// +C: no CTCP but ACTION (`/me`).
    pub no_ctcp: bool,
    /// +t: only operators may set the topic.
    pub topic_ops: bool,
    /// +k: the key needed to join.
    pub key: Option<String>,
    /// +l: the most members allowed.
    pub limit: Option<usize>,
}

impl Modes {
    /// What a new channel starts with, as on IRC: +nt.
    pub fn new_channel() -> Modes {
        Modes {
            no_outside: true,
            topic_ops: true,
            ..Modes::default()
        }
    }

    /// `+Cimnst` and the key and limit parameters, e.g. `("+klnt", ["secret", "10"])`.
    pub fn flags(&self) -> (String, Vec<String>) {
        let mut flags = String::from("+");
        let mut params = Vec::new();
        for (on, c) in [
            (self.no_ctcp, 'C'),
            (self.invite_only, 'i'),
            (self.key.is_some(), 'k'),
            (self.limit.is_some(), 'l'),
            (self.moderated, 'm'),
            (self.no_outside, 'n'),
            (self.secret, 's'),
            (self.topic_ops, 't'),
        ] {
            if on {
                flags.push(c);
            }
        }
        params.extend(self.key.clone());
        params.extend(self.limit.map(|l| l.to_string()));
        (flags, params)
    }

    /// Parses the flags written by [`Modes::flags`] back (key and limit
    /// come separately).
    pub fn from_flags(flags: &str, key: Option<String>, limit: Option<usize>) -> Modes {
        Modes {
            no_ctcp: flags.contains('C'),
            invite_only: flags.contains('i'),
            moderated: flags.contains('m'),
            no_outside: flags.contains('n'),
            secret: flags.contains('s'),
            topic_ops: flags.contains('t'),
            key,
            limit,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelSummary {
    pub name: String,
    pub description: String,
    pub users: usize,
}

/// Which mask list of a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaskKind {
    Bans,
    InviteExceptions,
}

/// Who someone is, for matching bans and invite exceptions.
pub struct Who<'a> {
    pub nick: &'a str,
    pub host: &'a str,
    pub account: Option<&'a str>,
}

impl Who<'_> {
    /// Whether `mask` names this person: `$a:account` matches a registered
    /// account; anything else is an IRC `nick!user@host` glob (the user part
    /// is the nickname here), case-insensitively.
    pub fn matches(&self, mask: &str) -> bool {
        if let Some(account) = mask.strip_prefix("$a:") {
            return self
                .account
                .is_some_and(|a| a.eq_ignore_ascii_case(account));
        }
        let full = format!("{0}!{0}@{1}", self.nick, self.host).to_ascii_lowercase();
        glob(mask.to_ascii_lowercase().as_bytes(), full.as_bytes())
    }
}

/// Whether `text` matches the `*` and `?` wildcards of `mask`, ASCII case
/// ignored.
pub fn wildcard_match(mask: &str, text: &str) -> bool {
    glob(
        mask.to_ascii_lowercase().as_bytes(),
        text.to_ascii_lowercase().as_bytes(),
    )
}

/// `*` and `?` wildcard match.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

pub struct Channel {
    pub name: String,
    pub description: String,
    pub lifetime: Lifetime,
    /// The registered user who created it (Registered channels).
    pub founder: Option<AccountId>,
    pub created_at: i64,
    pub topic: Option<Topic>,
    pub modes: Modes,
    /// Operators by account: kept across restarts for registered users.
    pub op_accounts: BTreeSet<AccountId>,
    /// Operators by session: guests made ops, and a transient channel's
    /// first member.
    pub op_sessions: BTreeSet<SessionId>,
    pub voiced: BTreeSet<SessionId>,
    pub bans: Vec<MaskEntry>,
    pub invite_exceptions: Vec<MaskEntry>,
    /// Case-folded nicknames invited since; an invitation is used up by the join.
    pub invited: BTreeSet<String>,
    /// In join order.
    pub members: Vec<SessionId>,
    /// The last lines said here, oldest first, replayed on join.
    pub history: VecDeque<HistoryLine>,
}

impl Channel {
    pub fn new(name: String, description: String, lifetime: Lifetime, now: i64) -> Channel {
        Channel {
            name,
            description,
            lifetime,
            founder: None,
            created_at: now,
            topic: None,
            modes: match lifetime {
                // chat.toml's channels have no operators of their own (server
                // operators aside), so any member may set their topic.
                Lifetime::Permanent => Modes {
                    no_outside: true,
                    ..Modes::default()
                },
                _ => Modes::new_channel(),
            },
            op_accounts: BTreeSet::new(),
            op_sessions: BTreeSet::new(),
            voiced: BTreeSet::new(),
            bans: Vec::new(),
            invite_exceptions: Vec::new(),
            invited: BTreeSet::new(),
            members: Vec::new(),
            history: VecDeque::new(),
        }
    }

    pub fn summary(&self) -> ChannelSummary {
        ChannelSummary {
            name: self.name.clone(),
            description: self.description.clone(),
            users: self.members.len(),
        }
    }

    /// The topic people see: the one set, or else the description.
    pub fn topic_text(&self) -> &str {
        self.topic
            .as_ref()
            .map(|t| t.text.as_str())
            .unwrap_or(&self.description)
    }

    /// Whether `session` (with `account`) is an operator here. Server
    /// operators are operators everywhere.
    pub fn is_op(&self, session: SessionId, account: Option<AccountId>, server_oper: bool) -> bool {
        server_oper
            || self.op_sessions.contains(&session)
            || account.is_some_and(|a| self.founder == Some(a) || self.op_accounts.contains(&a))
    }

    pub fn is_banned(&self, who: &Who) -> bool {
        self.bans.iter().any(|b| who.matches(&b.mask))
            && !self.invite_exceptions.iter().any(|e| who.matches(&e.mask))
    }

    pub fn is_invited(&self, who: &Who) -> bool {
        self.invited.contains(&who.nick.to_ascii_lowercase())
            || self.invite_exceptions.iter().any(|e| who.matches(&e.mask))
    }

    /// Whether it is kept in the database.
    pub fn is_saved(&self) -> bool {
        self.lifetime != Lifetime::Transient
    }

    /// What the database keeps of it.
    pub fn record(&self) -> ChannelRecord {
        let (modes, _) = self.modes.flags();
        ChannelRecord {
            name: self.name.clone(),
            description: self.description.clone(),
            founder: self.founder,
            created_at: self.created_at,
            topic: self.topic.clone(),
            modes,
            key: self.modes.key.clone(),
            limit: self.modes.limit,
            ops: self.op_accounts.iter().copied().collect(),
            bans: self.bans.clone(),
            invite_exceptions: self.invite_exceptions.clone(),
        }
    }

    /// Puts back what the database kept (the description of a permanent
    /// channel stays the one in chat.toml).
    pub fn restore(&mut self, record: ChannelRecord) {
        if self.lifetime != Lifetime::Permanent {
            self.description = record.description;
        }
        self.founder = record.founder;
        self.created_at = record.created_at;
        self.topic = record.topic;
        self.modes = Modes::from_flags(&record.modes, record.key, record.limit);
        self.op_accounts = record.ops.into_iter().collect();
        self.bans = record.bans;
        self.invite_exceptions = record.invite_exceptions;
    }
}

/// Every channel, found by name (ignoring case and a leading `#`). A
/// channel's index stays the same for its whole life, so users can hold it.
#[derive(Default)]
pub struct Channels {
    slots: Vec<Option<Channel>>,
    by_key: HashMap<String, usize>,
}

impl Channels {
    pub fn find(&self, typed: &str) -> Option<usize> {
        self.by_key.get(&channel_key(typed)).copied()
    }

    pub fn insert(&mut self, channel: Channel) -> usize {
        let index = self.slots.len();
        self.by_key.insert(channel_key(&channel.name), index);
        self.slots.push(Some(channel));
        index
    }

    /// Removes a channel; its index is never handed out again.
    pub fn remove(&mut self, index: usize) -> Option<Channel> {
        let channel = self.slots.get_mut(index)?.take()?;
        self.by_key.remove(&channel_key(&channel.name));
        Some(channel)
    }

    /// Live channels in the order they were made (chat.toml's first).
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Channel)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Channel> {
        self.slots.iter_mut().flatten()
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

impl Index<usize> for Channels {
    type Output = Channel;
    fn index(&self, index: usize) -> &Channel {
        self.slots[index].as_ref().expect("a live channel index")
    }
}

impl IndexMut<usize> for Channels {
    fn index_mut(&mut self, index: usize) -> &mut Channel {
        self.slots[index].as_mut().expect("a live channel index")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who<'a>(nick: &'a str, host: &'a str, account: Option<&'a str>) -> Who<'a> {
        Who {
            nick,
            host,
            account,
        }
    }

    #[test]
    fn masks_match_nick_host_and_account() {
        let bob = who("Bob", "192.0.2.7", Some("bob"));
        assert!(bob.matches("bob!*@*"));
        assert!(bob.matches("*!*@192.0.2.*"));
        assert!(bob.matches("$a:BOB"));
        assert!(!bob.matches("$a:alice"));
        assert!(!bob.matches("alice!*@*"));
        assert!(who("x", "h", None).matches("*"));
        assert!(!who("x", "h", None).matches("$a:x"));
    }

    #[test]
    fn globs() {
        assert!(glob(b"a*c", b"abbbc"));
        assert!(glob(b"a?c", b"abc"));
        assert!(!glob(b"a?c", b"abbc"));
        assert!(glob(b"*", b""));
        assert!(!glob(b"", b"x"));
    }

    #[test]
    fn modes_round_trip_through_their_flags() {
        let modes = Modes {
            invite_only: true,
            key: Some("k".into()),
            limit: Some(5),
            ..Modes::new_channel()
        };
        let (flags, params) = modes.flags();
        assert_eq!(flags, "+iklnt");
        assert_eq!(params, ["k", "5"]);
        assert_eq!(Modes::from_flags(&flags, Some("k".into()), Some(5)), modes);
    }

    #[test]
    fn an_exception_lifts_a_ban() {
        let mut c = Channel::new("c".into(), String::new(), Lifetime::Transient, 0);
        let entry = |mask: &str| MaskEntry {
            mask: mask.into(),
            set_by: "op".into(),
            at: 0,
        };
        c.bans.push(entry("*!*@192.0.2.*"));
        assert!(c.is_banned(&who("a", "192.0.2.1", None)));
        c.invite_exceptions.push(entry("a!*@*"));
        assert!(!c.is_banned(&who("a", "192.0.2.1", None)));
        assert!(c.is_banned(&who("b", "192.0.2.1", None)));
    }
}
