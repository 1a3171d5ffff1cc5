//! What a door asks of the hub, in no protocol's words: each door's reader
//! turns its own syntax into these.

use std::net::SocketAddr;
use std::time::Duration;

use super::channel::MaskKind;
pub use super::kinds::Target;
use super::kinds::{Aside, HistoryRequest};
use super::stored::Stored;
use crate::model::{AccountId, ClientTags, Memo};

/// Proof, from a door that checked a password, that a login is the owner of a
/// registered nickname; with the owner's saved hot list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub account: AccountId,
    pub watch: Vec<String>,
    /// Nicknames whose lines this user never sees.
    pub ignore: Vec<String>,
    /// Private messages that waited for this login.
    pub memos: Vec<Memo>,
}

/// A change to (or a look at) the hot list or the ignore list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Watch {
    List,
    /// Who on the list is on line, without the list itself (IRC's
    /// `MONITOR S`, where `MONITOR L` is the list alone).
    Statuses,
    Add(String),
    Remove(String),
    /// Empty the list.
    Clear,
}

/// One channel mode to set (`add`) or unset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModeChange {
    pub add: bool,
    pub mode: ChannelMode,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelMode {
    /// +o: channel operator.
    Op(String),
    /// +v: may speak in a moderated channel.
    Voice(String),
    /// +b: a nickname (banned by account or address) or a mask.
    Ban(String),
    /// +I: a nickname or mask that may join despite +i or a ban.
    InviteException(String),
    InviteOnly,
    /// +k: the key; unsetting takes none.
    Key(Option<String>),
    /// +l: the most members; unsetting takes none.
    Limit(Option<usize>),
    Moderated,
    NoOutside,
    Secret,
    NoCtcp,
    TopicOps,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// A new connection; the hub answers nothing until it logs in.
    Connect {
        peer: SocketAddr,
        /// How long the session may stay silent (keepalives count) before it
        /// is logged out: the door knows how talkative its clients are.
        idle_timeout: Duration,
    },
    /// A notice or CTCP for a channel (its members but the sender) or one
    /// person.
    Aside {
        to: Target,
        text: String,
        kind: Aside,
        tags: ClientTags,
    },
    /// Take a nickname; `identity` when the door has checked its password.
    /// The hub replies with [`crate::hub::Effect::LoginReply`].
    Login {
        nick: String,
        identity: Option<Identity>,
    },
    /// The session's nickname has just been registered as `account`.
    Identified {
        account: AccountId,
    },
    Watch(Watch),
    /// A line for a channel you are in: `None` the current one (the text
    /// door's plain line), or the one named (IRC's `PRIVMSG #channel`);
    /// `action`: a `/me`.
    Say {
        channel: Option<String>,
        text: String,
        action: bool,
        /// Passed on with the line, unread (see [`ClientTags`]).
        tags: ClientTags,
    },
    /// A line for one person only.
    Private {
        to: String,
        text: String,
        action: bool,
        tags: ClientTags,
    },
    Join {
        channel: String,
    },
    /// A join with a key; `create` makes an unknown channel (a transient
    /// one, as IRC users expect).
    JoinWith {
        channel: String,
        key: Option<String>,
        create: bool,
    },
    /// A registered user makes a channel that is kept across restarts.
    Create {
        channel: String,
        description: String,
    },
    /// The founder removes a channel they created.
    Drop {
        channel: String,
    },
    /// Set (or, with empty text, clear) a topic; `None` is the current channel.
    SetTopic {
        channel: Option<String>,
        text: String,
    },
    /// Change channel modes; no changes asks what they are.
    Mode {
        channel: String,
        changes: Vec<ModeChange>,
    },
    MaskList {
        channel: String,
        kind: MaskKind,
    },
    /// `None`: the current channel.
    Kick {
        channel: Option<String>,
        nick: String,
        reason: Option<String>,
    },
    Invite {
        nick: String,
        channel: Option<String>,
    },
    /// The door checked a server operator's password.
    Oper {
        name: String,
    },
    Kill {
        nick: String,
        reason: String,
    },
    Wallops {
        text: String,
    },
    /// Whether this session hears WALLOPS (IRC's user mode `+w`). Every
    /// session does until it says otherwise; it may say so before login.
    HearWallops(bool),
    /// Who the user says they are beyond the nickname (IRC's `USER`): an
    /// ident (user name) and a real name, shown by who and whois. It may
    /// come before login; a session that never says has its nickname for
    /// both.
    About {
        ident: String,
        realname: String,
    },
    /// Ban an address, account or nickname from the whole server.
    Gline {
        mask: String,
        reason: String,
    },
    Ungline {
        mask: String,
    },
    /// Leave a channel (`None`: the current one), saying why or not
    /// (IRC's `PART #chan :reason`).
    Part {
        channel: Option<String>,
        reason: Option<String>,
    },
    /// The channel list: every channel the asker may see, or only those
    /// named, in the order asked (IRC's `LIST #a,#b`), unknown names left out.
    ListChannels {
        only: Option<Vec<String>>,
    },
    /// A channel's topic (its description when none was set); `None`: the
    /// current channel's.
    Topic {
        channel: Option<String>,
    },
    /// How many users and channels there are (IRC's `LUSERS`).
    Stats,
    /// Who is in a channel: `None` the current one (the text door's
    /// /users), or the one named (IRC's `NAMES`). With `unknown_is_empty`
    /// a channel that does not exist is answered as an empty one, not an
    /// error (IRC's `NAMES #chan` answers only its end-of-list).
    Names {
        channel: Option<String>,
        unknown_is_empty: bool,
    },
    /// Who of these is on line, operator and away (IRC's `USERHOST`).
    Userhost {
        nicks: Vec<String>,
    },
    /// Which of these nicknames are on line (IRC's `ISON`).
    Ison {
        nicks: Vec<String>,
    },
    /// Mark yourself away with a message, or back with `None`.
    Away {
        message: Option<String>,
    },
    /// Take another nickname; `identity` when the door checked the password
    /// of a registered one.
    ChangeNick {
        nick: String,
        identity: Option<Identity>,
    },
    /// People matching `mask`: a channel's members, one nickname, or
    /// everyone for `*` (IRC's `WHO`); `None`: everyone on line.
    Who {
        mask: Option<String>,
    },
    Whois {
        nick: String,
    },
    /// A polite goodbye, announced with its message.
    Quit {
        message: Option<String>,
    },
    /// The connection went away without a goodbye (EOF, reset, write error).
    Disconnected {
        reason: String,
    },
    /// Nothing but a sign of life (the book's STILL_HERE): resets idle time.
    Ping,
    /// The ignore list: the same four changes as the hot list.
    Ignore(Watch),
    /// Who recently used a nickname (IRC's WHOWAS).
    Whowas {
        nick: String,
    },
    /// List the memos kept for you, or (`clear`) delete them.
    Memos {
        clear: bool,
    },
    /// Ask for kept history; answered with `Event::HistoryLines` or
    /// `Event::HistoryTargets` once the store has looked.
    History(HistoryRequest),
    /// What the store worker saved or found for this session, as the
    /// runtime's store worker reports it; not the user doing anything.
    Stored(Stored),
}
