//! What the hub tells a session, in no protocol's words: each door's writer
//! renders these into its own syntax. A broadcast is one `Arc<Event>` shared
//! by every receiver.

use std::time::Duration;

use super::channel::{ChannelSummary, MaskKind};
use super::kinds::{Aside, HistoryRequest, ListKind, Target};
use crate::model::name::NickError;
use crate::model::{ClientTags, HistoryLine, HistoryTarget, MaskEntry, Memo, Stamp};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A door's own confirmation, e.g. of a password change.
    Notice(String),
    /// You are logged in as `nick`; `ident` is the user name others see
    /// ([`super::Command::About`]).
    LoggedIn {
        nick: String,
        ident: String,
    },
    ChannelList(Vec<ChannelSummary>),
    /// You joined a channel (or made one you are in current); it is current now.
    Joined(ChannelSummary),
    /// You left `left`; `current` is the channel that is current now, when
    /// the one you left was current and you are still in others.
    Parted {
        left: ChannelSummary,
        current: Option<ChannelSummary>,
    },
    MemberJoined {
        channel: String,
        nick: String,
    },
    /// Someone who shares a channel with you is away now (with why), or
    /// back (`None`); also right after they join one of yours while away.
    MemberAway {
        nick: String,
        message: Option<String>,
    },
    /// `by` invited `nick` to `channel`, one of yours.
    MemberInvited {
        channel: String,
        by: String,
        nick: String,
    },
    MemberLeft {
        channel: String,
        nick: String,
        why: Departure,
    },
    Public {
        channel: String,
        from: String,
        text: String,
        action: bool,
        stamp: Stamp,
        tags: ClientTags,
    },
    Private {
        from: String,
        text: String,
        action: bool,
        stamp: Stamp,
        tags: ClientTags,
    },
    /// A notice or CTCP from `from`, to `channel` or (`None`) to you alone.
    Aside {
        from: String,
        channel: Option<String>,
        text: String,
        kind: Aside,
        stamp: Stamp,
        tags: ClientTags,
    },
    /// The sender's own copy of a notice, CTCP or tags-only line, to a
    /// channel or a person: the same stamp as the others' `Aside`. Doors
    /// whose clients show their own say nothing (IRC without echo-message).
    AsideSent {
        to: Target,
        text: String,
        kind: Aside,
        stamp: Stamp,
        tags: ClientTags,
    },
    /// The sender's own copy of a private line, so they know where it went:
    /// the same stamp as the recipient's `Private`.
    PrivateSent {
        to: String,
        text: String,
        action: bool,
        stamp: Stamp,
        tags: ClientTags,
    },
    /// The answer to a `Who`: everyone on line, or who `mask` matched.
    Who {
        mask: Option<String>,
        users: Vec<UserSummary>,
    },
    /// Who is in a channel, when asked or (`on_join`) unasked after you
    /// join it, as IRC follows a JOIN with NAMES; doors without that habit
    /// show nothing then.
    Members {
        channel: String,
        members: Vec<Member>,
        on_join: bool,
    },
    /// Which of the nicknames asked about are on line.
    Ison(Vec<String>),
    /// The nicknames asked about that are on line, with what USERHOST shows.
    Userhost(Vec<Presence>),
    Topic {
        channel: String,
        topic: String,
    },
    Stats {
        users: usize,
        channels: usize,
        /// The most users on line at once since the server started.
        peak: usize,
    },
    /// Who set a channel's topic, and when (after `Topic` or `Joined`).
    TopicWho {
        channel: String,
        set_by: String,
        at: i64,
    },
    /// A member changed the topic (empty: cleared).
    TopicSet {
        channel: String,
        by: String,
        text: String,
    },
    Kicked {
        channel: String,
        nick: String,
        by: String,
        /// None when the kicker gave none: nothing is made up (issue #17).
        reason: Option<String>,
    },
    /// A kicked user's current channel now, as `/part` tells it; `None`:
    /// in no channel any more.
    CurrentChannel(Option<ChannelSummary>),
    /// Modes applied, as `+o-v` with their parameters.
    ModeChanged {
        channel: String,
        by: String,
        modes: String,
        params: Vec<String>,
    },
    ChannelModes {
        channel: String,
        modes: String,
        params: Vec<String>,
    },
    MaskList {
        channel: String,
        kind: MaskKind,
        entries: Vec<MaskEntry>,
    },
    /// You are invited to `channel` by `by`.
    Invited {
        channel: String,
        by: String,
    },
    /// Your invitation was sent.
    Inviting {
        nick: String,
        channel: String,
    },
    Wallops {
        from: String,
        text: String,
        stamp: Stamp,
    },
    YouAreOper,
    /// Your channel exists (and is saved).
    ChannelCreated {
        channel: String,
    },
    /// The channel was dropped by its founder; you are out of it.
    ChannelDropped {
        channel: String,
        by: String,
    },
    /// The last lines said in a channel, sent after you join it.
    History {
        channel: String,
        lines: Vec<HistoryLine>,
    },
    /// Kept lines of a channel you asked for (`Command::History`), oldest
    /// first, each with the id and time it was said with; none when there
    /// are none.
    HistoryLines {
        channel: String,
        lines: Vec<HistoryLine>,
    },
    /// The channels you may read that had lines in the stretch of time you
    /// asked about, in the order of their newest lines there.
    HistoryTargets(Vec<HistoryTarget>),
    /// Memos: waiting ones at login, or all kept ones when asked.
    Memos(Vec<Memo>),
    /// Your private message to an off-line user was kept for them.
    MemoStored {
        to: String,
    },
    MemosCleared,
    IgnoreList(Vec<String>),
    Ignoring {
        nick: String,
    },
    Unignored {
        nick: String,
    },
    Whowas(Vec<Departed>),
    /// You will be logged out for idleness unless you say something.
    IdleWarning {
        seconds: u64,
    },
    /// For server operators, after `Whois`: where the user connects from.
    WhoisAddress {
        nick: String,
        address: String,
    },
    /// Your away state changed: `Some` is the message you left.
    Away(Option<String>),
    /// The person you wrote to privately is away.
    AwayReply {
        nick: String,
        message: String,
    },
    /// Someone (maybe you) took another nickname.
    NickChanged {
        old: String,
        new: String,
    },
    Whois(UserSummary),
    /// `/whois` of a registered nickname that is not on line.
    WhoisOffline {
        nick: String,
        registered: i64,
        last_seen: Option<i64>,
    },
    /// The session's nickname is now registered to it.
    Registered {
        nick: String,
    },
    /// The hot list, with who on it is on line.
    WatchList(Vec<(String, bool)>),
    /// The same, asked for as statuses only ([`super::Watch::Statuses`]).
    WatchStatuses(Vec<(String, bool)>),
    /// The same, unasked, as a registered user logs in: a door whose clients
    /// keep their own lists (IRC's MONITOR) says nothing of it.
    WatchedAtLogin(Vec<(String, bool)>),
    Watching {
        nick: String,
        online: bool,
    },
    Unwatched {
        nick: String,
    },
    WatchedLogin {
        nick: String,
    },
    WatchedLogout {
        nick: String,
    },
    Error(ChatError),
    /// The last thing this connection will hear.
    Closing {
        reason: String,
    },
}

/// A channel member and their standing in the channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user: UserSummary,
    /// A channel operator (of the channel, not the server).
    pub op: bool,
    /// May speak when the channel is moderated.
    pub voiced: bool,
}

/// Someone on line, as USERHOST shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presence {
    pub nick: String,
    pub ident: String,
    pub oper: bool,
    pub away: bool,
}

/// Someone who was on line with a nickname, for WHOWAS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Departed {
    pub nick: String,
    pub ident: String,
    pub realname: String,
    /// Where they connected from: shown to server operators only.
    pub host: Option<String>,
    pub left_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSummary {
    pub nick: String,
    /// The user name they gave (IRC's `USER`), else their nickname.
    pub ident: String,
    /// The real name they gave, else their nickname.
    pub realname: String,
    /// Time since login.
    pub online: Duration,
    /// Time since the user last sent anything.
    pub idle: Duration,
    /// Unix time of login.
    pub since: i64,
    /// Most recently joined first: the first is their current channel.
    pub channels: Vec<Membership>,
    /// The away message, when they are away.
    pub away: Option<String>,
    /// A server operator.
    pub oper: bool,
}

impl UserSummary {
    /// The names of their channels, most recently joined first.
    pub fn channel_names(&self) -> Vec<&str> {
        self.channels.iter().map(|c| c.channel.as_str()).collect()
    }

    /// Their standing in `channel` (any case), if they are in it.
    pub fn membership(&self, channel: &str) -> Option<&Membership> {
        self.channels
            .iter()
            .find(|c| c.channel.eq_ignore_ascii_case(channel))
    }
}

/// A channel someone is in, and their standing there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub channel: String,
    /// A channel operator there.
    pub op: bool,
    /// Voiced there.
    pub voiced: bool,
}

/// A plain member (no operator, no voice) of the channel named.
impl From<&str> for Membership {
    fn from(channel: &str) -> Membership {
        Membership {
            channel: channel.to_string(),
            op: false,
            voiced: false,
        }
    }
}

/// How someone left a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Departure {
    /// Left with `PART`, with the reason given, if any.
    Parted(Option<String>),
    Quit(Option<String>),
    /// The connection was lost or closed by the server; the reason says why.
    Lost(String),
}

/// Errors a person sees, as data: each door words them (the plain words most
/// doors share are in `door/wording.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatError {
    NoSuchChannel(String),
    NoCurrentChannel,
    NotInChannel(String),
    NoSuchNick(String),
    NickInUse(String),
    BadNick(NickError),
    AlreadyLoggedIn,
    NoRecipient,
    EmptyMessage,
    UnknownCommand(String),
    /// A command with missing or extra arguments; the text is its usage.
    Usage(&'static str),
    LineTooLong {
        max: usize,
    },
    NotLoggedIn,
    WrongPassword,
    /// Too many failed logins from this address; wait this many seconds.
    LoginsThrottled {
        wait_secs: u64,
    },
    /// Too many failed logins at this nickname from elsewhere (its owner's
    /// usual address is exempt); wait this many seconds.
    AccountThrottled {
        wait_secs: u64,
    },
    PasswordTooShort {
        min: usize,
    },
    PasswordsDiffer,
    AlreadyRegistered,
    NotRegistered,
    /// Guests are off: register at the prompt.
    GuestsNotAllowed,
    /// The nickname is registered and the door got no password for it.
    PasswordRequired(String),
    /// Someone else's registered nickname.
    NickRegistered(String),
    /// `wanted` looks too much like `existing` (same [`skeleton`]), which is
    /// registered or, if not `registered`, in use (issue 16).
    ///
    /// [`skeleton`]: crate::model::name::skeleton
    NickLooksLike {
        wanted: String,
        existing: String,
        registered: bool,
    },
    /// The list holds `max` nicknames already: `nick` was not added.
    ListFull {
        list: ListKind,
        max: usize,
        nick: String,
    },
    /// `nick` is not on the list, so it can't come off.
    NotOnList {
        list: ListKind,
        nick: String,
    },
    /// Something on the server failed; the text says what to do.
    Server(String),
    ChanOpPrivsNeeded(String),
    BannedFromChan(String),
    InviteOnlyChan(String),
    BadChannelKey(String),
    /// A `+k` channel joined without a key.
    ChannelNeedsKey(String),
    /// A mode that takes a parameter came without a usable one; `what`
    /// says what it takes, with an example.
    ModeNeedsParameter {
        mode: char,
        what: &'static str,
    },
    /// `-b` or `-I` of a mask that is not on the list.
    NotInList {
        mask: String,
        channel: String,
        kind: MaskKind,
    },
    /// `/nick` of the nickname one already has.
    SameNick(String),
    ChannelIsFull(String),
    CannotSendToChan(String),
    NoPrivileges,
    UserNotInChannel {
        nick: String,
        channel: String,
    },
    UserOnChannel {
        nick: String,
        channel: String,
    },
    ChannelExists(String),
    /// Making a channel needs a registered nickname.
    MustBeRegistered,
    PermanentChannel(String),
    NotFounder(String),
    BadChannelName(String),
    /// An /oper that matched no operator (or a wrong password).
    NoOperHost,
    /// Nobody used that nickname lately (WHOWAS).
    WasNoSuchNick(String),
    MemoBoxFull(String),
    /// No history for you there: no such channel, or not one you may read
    /// now. One answer for both, so a hidden channel stays hidden.
    NoHistory(HistoryRequest),
    /// The store could not read the history asked for.
    HistoryFailed(HistoryRequest),
}
