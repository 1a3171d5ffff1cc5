//! The UDP door's `wire::render` of any hub event (built by `arbitrary` from
//! the input: any strings, any number of channels or users).
//!
//! Checked:
//! - every datagram is 2..=1024 bytes, its payload valid UTF-8, its code one
//!   the book's client reads (never a code `wire::decode` takes as a request);
//! - the number of datagrams: one per channel or user in a list, PART_ACK plus
//!   a JOIN_ACK for a new current channel, none for events the book's client
//!   has no words for, one otherwise;
//! - a payload is a prefix of the text it renders.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use chatd::door::udp::wire::{self, Request, MAX_DATAGRAM};
use chatd::hub::{
    ChannelSummary, ChatError, Departure, Event, HistoryLine, ListKind, Member, Memo, MessageId,
    Stamp, UserSummary,
};
use chatd::model::name::NickError;
use libfuzzer_sys::fuzz_target;

/// The UDP door shows no stamps: any will do.
const STAMP: Stamp = Stamp {
    id: MessageId(1),
    at: std::time::UNIX_EPOCH,
};

#[derive(Arbitrary, Debug)]
struct Channel {
    name: String,
    description: String,
    users: usize,
}

impl Channel {
    fn summary(self) -> ChannelSummary {
        ChannelSummary {
            name: self.name,
            description: self.description,
            users: self.users,
        }
    }
}

#[derive(Arbitrary, Debug)]
struct User {
    nick: String,
    online: Duration,
    idle: Duration,
    since: i64,
    channels: Vec<String>,
    away: Option<String>,
}

impl User {
    fn summary(self) -> UserSummary {
        UserSummary {
            ident: self.nick.clone(),
            realname: self.nick.clone(),
            nick: self.nick,
            online: self.online,
            idle: self.idle,
            since: self.since,
            channels: self.channels.iter().map(|c| c.as_str().into()).collect(),
            away: self.away,
            oper: false,
        }
    }

    /// A member a join lists: the UDP door shows nothing of it.
    fn named(nick: String) -> UserSummary {
        UserSummary {
            ident: nick.clone(),
            realname: nick.clone(),
            nick,
            online: Duration::ZERO,
            idle: Duration::ZERO,
            since: 0,
            channels: Vec::new(),
            away: None,
            oper: false,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Error {
    NoSuchChannel(String),
    NoCurrentChannel,
    NotInChannel(String),
    NoSuchNick(String),
    NickInUse(String),
    NickEmpty,
    NickTooLong(usize),
    NickBadFirst(char),
    NickBadChar(char),
    AlreadyLoggedIn,
    NoRecipient,
    EmptyMessage,
    UnknownCommand(String),
    Usage(u8),
    LineTooLong(usize),
    NotLoggedIn,
    WrongPassword,
    LoginsThrottled(u64),
    PasswordTooShort(usize),
    PasswordsDiffer,
    AlreadyRegistered,
    NotRegistered,
    GuestsNotAllowed,
    PasswordRequired(String),
    NickRegistered(String),
    WatchListFull(usize),
    NotWatching(String),
    Server(String),
}

impl Error {
    fn chat_error(self) -> ChatError {
        const USAGES: [&str; 5] = [
            "/join <channel>",
            "/private <nick> <text>",
            "/register <password>",
            "/password <old> <new>",
            "/nick <nick>",
        ];
        match self {
            Error::NoSuchChannel(s) => ChatError::NoSuchChannel(s),
            Error::NoCurrentChannel => ChatError::NoCurrentChannel,
            Error::NotInChannel(s) => ChatError::NotInChannel(s),
            Error::NoSuchNick(s) => ChatError::NoSuchNick(s),
            Error::NickInUse(s) => ChatError::NickInUse(s),
            Error::NickEmpty => ChatError::BadNick(NickError::Empty),
            Error::NickTooLong(max) => ChatError::BadNick(NickError::TooLong { max }),
            Error::NickBadFirst(c) => ChatError::BadNick(NickError::BadFirst(c)),
            Error::NickBadChar(c) => ChatError::BadNick(NickError::BadChar(c)),
            Error::AlreadyLoggedIn => ChatError::AlreadyLoggedIn,
            Error::NoRecipient => ChatError::NoRecipient,
            Error::EmptyMessage => ChatError::EmptyMessage,
            Error::UnknownCommand(s) => ChatError::UnknownCommand(s),
            Error::Usage(i) => ChatError::Usage(USAGES[i as usize % USAGES.len()]),
            Error::LineTooLong(max) => ChatError::LineTooLong { max },
            Error::NotLoggedIn => ChatError::NotLoggedIn,
            Error::WrongPassword => ChatError::WrongPassword,
            Error::LoginsThrottled(wait_secs) => ChatError::LoginsThrottled { wait_secs },
            Error::PasswordTooShort(min) => ChatError::PasswordTooShort { min },
            Error::PasswordsDiffer => ChatError::PasswordsDiffer,
            Error::AlreadyRegistered => ChatError::AlreadyRegistered,
            Error::NotRegistered => ChatError::NotRegistered,
            Error::GuestsNotAllowed => ChatError::GuestsNotAllowed,
            Error::PasswordRequired(s) => ChatError::PasswordRequired(s),
            Error::NickRegistered(s) => ChatError::NickRegistered(s),
            Error::WatchListFull(max) => ChatError::ListFull {
                list: ListKind::Watch,
                max,
                nick: String::new(),
            },
            Error::NotWatching(nick) => ChatError::NotOnList {
                list: ListKind::Watch,
                nick,
            },
            Error::Server(s) => ChatError::Server(s),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum FuzzEvent {
    Notice(String),
    LoggedIn(String),
    ChannelList(Vec<Channel>),
    Joined(Channel),
    Parted(Channel, Option<Channel>),
    MemberJoined(String, String),
    MemberLeft(String, String, u8, String),
    Public(String, String, String, bool),
    Private(String, String, bool),
    PrivateSent(String, String, bool),
    Users(String, Vec<User>),
    Who(Vec<User>),
    Names(String, Vec<String>),
    Ison(Vec<String>),
    Topic(String, String),
    WhoReply(String, Vec<User>),
    Stats(usize, usize),
    Away(Option<String>),
    AwayReply(String, String),
    NickChanged(String, String),
    Whois(User),
    WhoisOffline(String, i64, Option<i64>),
    Registered(String),
    WatchList(Vec<(String, bool)>),
    Watching(String, bool),
    Unwatched(String),
    WatchedLogin(String),
    WatchedLogout(String),
    Error(Error),
    Closing(String),
    Kicked(String, String, String, String),
    ChannelDropped(String, String),
    Wallops(String, String),
    History(String, Vec<(i64, String, String, bool)>),
    Memos(Vec<(String, String, i64)>),
    MemoStored(String),
    IdleWarning(u64),
}

/// The event, how many datagrams it renders as, and (for one-datagram events
/// whose text is plain) the text its payload must be a prefix of.
fn build(event: FuzzEvent) -> (Event, usize, Option<String>) {
    let item = |c: &Channel| format!("{} {} {}", c.name, c.users, c.description);
    let action_text = |text: &str, action: bool| match action {
        true => format!("* {text}"),
        false => text.to_string(),
    };
    match event {
        FuzzEvent::Notice(text) => (Event::Notice(text.clone()), 1, Some(text)),
        FuzzEvent::LoggedIn(nick) => (
            Event::LoggedIn {
                nick: nick.clone(),
                ident: nick.clone(),
            },
            1,
            Some(nick),
        ),
        FuzzEvent::ChannelList(channels) => {
            let n = channels.len();
            let list = channels.into_iter().map(Channel::summary).collect();
            (Event::ChannelList(list), n, None)
        }
        FuzzEvent::Joined(c) => {
            let text = item(&c);
            (Event::Joined(c.summary()), 1, Some(text))
        }
        FuzzEvent::Parted(left, current) => {
            let n = 1 + current.is_some() as usize;
            let event = Event::Parted {
                left: left.summary(),
                current: current.map(Channel::summary),
            };
            (event, n, None)
        }
        FuzzEvent::MemberJoined(channel, nick) => {
            let text = format!("{channel} {nick}");
            (Event::MemberJoined { channel, nick }, 1, Some(text))
        }
        FuzzEvent::MemberLeft(channel, nick, how, why) => {
            let text = format!("{channel} {nick}");
            let why = match how % 5 {
                0 => Departure::Parted(None),
                4 => Departure::Parted(Some(why)),
                1 => Departure::Quit(None),
                2 => Departure::Quit(Some(why)),
                _ => Departure::Lost(why),
            };
            (Event::MemberLeft { channel, nick, why }, 1, Some(text))
        }
        FuzzEvent::Public(channel, from, text, action) => {
            let shown = format!("{channel} {from} {}", action_text(&text, action));
            let event = Event::Public {
                tags: chatd::model::ClientTags::NONE,
                channel,
                from,
                text,
                action,
                stamp: STAMP,
            };
            (event, 1, Some(shown))
        }
        FuzzEvent::Private(from, text, action) => {
            let shown = format!("{from} {}", action_text(&text, action));
            (
                Event::Private {
                    tags: chatd::model::ClientTags::NONE,
                    from,
                    text,
                    action,
                    stamp: STAMP,
                },
                1,
                Some(shown),
            )
        }
        FuzzEvent::PrivateSent(to, text, action) => {
            let event = Event::PrivateSent {
                tags: chatd::model::ClientTags::NONE,
                to,
                text,
                action,
                stamp: STAMP,
            };
            (event, 0, None)
        }
        FuzzEvent::Users(channel, users) => {
            let n = users.len();
            let members = users
                .into_iter()
                .map(|u| Member {
                    user: u.summary(),
                    op: false,
                    voiced: false,
                })
                .collect();
            let on_join = false;
            let event = Event::Members {
                channel,
                members,
                on_join,
            };
            (event, n, None)
        }
        FuzzEvent::Who(users) => {
            let n = users.len();
            let users = users.into_iter().map(User::summary).collect();
            (Event::Who { mask: None, users }, n, None)
        }
        FuzzEvent::Names(channel, nicks) => {
            let members = nicks
                .into_iter()
                .map(|nick| Member {
                    user: User::named(nick),
                    op: false,
                    voiced: false,
                })
                .collect();
            let on_join = true;
            let event = Event::Members {
                channel,
                members,
                on_join,
            };
            (event, 0, None)
        }
        FuzzEvent::Ison(nicks) => (Event::Ison(nicks), 0, None),
        FuzzEvent::Topic(channel, topic) => (Event::Topic { channel, topic }, 0, None),
        FuzzEvent::WhoReply(mask, users) => {
            let n = users.len();
            let users = users.into_iter().map(User::summary).collect();
            (
                Event::Who {
                    mask: Some(mask),
                    users,
                },
                n,
                None,
            )
        }
        FuzzEvent::Stats(users, channels) => (
            Event::Stats {
                users,
                channels,
                peak: users,
            },
            0,
            None,
        ),
        FuzzEvent::Away(message) => (Event::Away(message), 0, None),
        FuzzEvent::AwayReply(nick, message) => (Event::AwayReply { nick, message }, 0, None),
        FuzzEvent::NickChanged(old, new) => (Event::NickChanged { old, new }, 0, None),
        FuzzEvent::Whois(user) => (Event::Whois(user.summary()), 0, None),
        FuzzEvent::WhoisOffline(nick, registered, last_seen) => (
            Event::WhoisOffline {
                nick,
                registered,
                last_seen,
            },
            0,
            None,
        ),
        FuzzEvent::Registered(nick) => (Event::Registered { nick }, 0, None),
        FuzzEvent::WatchList(list) => (Event::WatchList(list), 0, None),
        FuzzEvent::Watching(nick, online) => (Event::Watching { nick, online }, 0, None),
        FuzzEvent::Unwatched(nick) => (Event::Unwatched { nick }, 0, None),
        FuzzEvent::WatchedLogin(nick) => (Event::WatchedLogin { nick }, 0, None),
        FuzzEvent::WatchedLogout(nick) => (Event::WatchedLogout { nick }, 0, None),
        FuzzEvent::Error(error) => (Event::Error(error.chat_error()), 1, None),
        FuzzEvent::Kicked(channel, nick, by, reason) => {
            let text = format!("{channel} {nick}");
            let event = Event::Kicked {
                channel,
                nick,
                by,
                reason: Some(reason),
            };
            (event, 1, Some(text))
        }
        FuzzEvent::ChannelDropped(channel, by) => {
            let text = format!("{channel} was dropped by {by}");
            (Event::ChannelDropped { channel, by }, 1, Some(text))
        }
        FuzzEvent::Wallops(from, text) => {
            let shown = format!("WALL from {from}: {text}");
            let event = Event::Wallops {
                from,
                text,
                stamp: STAMP,
            };
            (event, 1, Some(shown))
        }
        FuzzEvent::History(channel, lines) => {
            let n = lines.len();
            let lines = lines
                .into_iter()
                .map(|(at, nick, text, action)| HistoryLine {
                    id: MessageId(at as u64),
                    at,
                    millis: 0,
                    nick,
                    text,
                    action,
                })
                .collect();
            (Event::History { channel, lines }, n, None)
        }
        FuzzEvent::Memos(memos) => {
            let n = memos.len();
            let memos = memos
                .into_iter()
                .map(|(from, text, at)| Memo { from, text, at })
                .collect();
            (Event::Memos(memos), n, None)
        }
        FuzzEvent::MemoStored(to) => (Event::MemoStored { to }, 1, None),
        FuzzEvent::IdleWarning(seconds) => (Event::IdleWarning { seconds }, 1, None),
        FuzzEvent::Closing(reason) => (
            Event::Closing {
                reason: reason.clone(),
            },
            1,
            Some(reason),
        ),
    }
}

const SERVER_CODES: [u16; 10] = [
    wire::ERROR,
    wire::LOGIN_ACK,
    wire::JOIN_ACK,
    wire::PART_ACK,
    wire::PUBLIC_MSG,
    wire::PRIVATE_MSG,
    wire::USER_JOINS,
    wire::USER_PARTS,
    wire::CHANNEL_ITEM,
    wire::USER_ITEM,
];

fuzz_target!(|event: FuzzEvent| {
    let (event, count, text) = build(event);
    let mut out = Vec::new();
    wire::render(&event, &mut out);
    assert_eq!(out.len(), count, "datagrams for {event:?}");
    for datagram in &out {
        assert!(
            (2..=MAX_DATAGRAM).contains(&datagram.len()),
            "{} bytes for {event:?}",
            datagram.len()
        );
        let code = u16::from_be_bytes([datagram[0], datagram[1]]);
        assert!(SERVER_CODES.contains(&code), "code {code}");
        assert_eq!(wire::decode(datagram), Request::Unimplemented);
        let payload = std::str::from_utf8(&datagram[2..]).expect("UTF-8 payload");
        if let Some(text) = &text {
            assert!(text.starts_with(payload), "{payload:?} not from {text:?}");
        }
    }
});
