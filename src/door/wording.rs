//! How the hub's errors read in plain words: the text door's `** ERROR **`
//! lines, the UDP door's error datagrams, the browser's error messages, and
//! IRC's NOTICE where no numeric fits. The hub names what went wrong
//! ([`ChatError`]); the wording, with the text door's commands in it
//! ("/join one (see /channels)"), belongs here with the doors. The book's
//! server's wording is kept where it had one, so every door (and the
//! book's own client) says the same thing.

use std::fmt;

use crate::hub::{ChatError, HistoryRequest, ListKind, MaskKind};

impl fmt::Display for ChatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChatError::NoSuchChannel(name) => write!(f, "no channel named {name}"),
            ChatError::NoCurrentChannel => {
                write!(f, "no current channel; /join one (see /channels)")
            }
            ChatError::NotInChannel(name) => write!(f, "you are not in {name}"),
            ChatError::NoSuchNick(nick) => write!(f, "{nick}: not logged in"),
            ChatError::NickInUse(nick) => write!(f, "{nick}: nickname already in use"),
            ChatError::BadNick(why) => write!(f, "{why}"),
            ChatError::AlreadyLoggedIn => write!(f, "you are already logged in"),
            ChatError::NoRecipient => {
                write!(f, "no nickname given for recipient of private message")
            }
            ChatError::EmptyMessage => write!(f, "nothing to send"),
            ChatError::UnknownCommand(cmd) => write!(f, "{cmd}: unknown command, try /help"),
            ChatError::Usage(usage) => write!(f, "usage: {usage}"),
            ChatError::LineTooLong { max } => {
                write!(f, "line too long (more than {max} bytes); it was not sent")
            }
            ChatError::NotLoggedIn => write!(f, "please log in first: type a nickname"),
            ChatError::WrongPassword => write!(f, "wrong password"),
            ChatError::LoginsThrottled { wait_secs } => write!(
                f,
                "too many failed logins from your address; try again in {wait_secs} seconds"
            ),
            ChatError::AccountThrottled { wait_secs } => write!(
                f,
                "too many failed logins at this nickname lately; try again in {wait_secs} \
                 seconds, or from where you last logged in"
            ),
            ChatError::PasswordTooShort { min } => {
                write!(f, "a password needs at least {min} characters")
            }
            ChatError::PasswordsDiffer => write!(f, "the two passwords differ; start again"),
            ChatError::AlreadyRegistered => write!(f, "this nickname is registered already"),
            ChatError::NotRegistered => {
                write!(
                    f,
                    "your nickname is not registered; /register <password> first"
                )
            }
            ChatError::GuestsNotAllowed => write!(
                f,
                "this server has no guests: every nickname must be registered to its user"
            ),
            ChatError::PasswordRequired(nick) => {
                write!(f, "{nick} is registered: log in with a password")
            }
            ChatError::NickRegistered(nick) => write!(
                f,
                "{nick} is a registered nickname; only its owner can use it"
            ),
            ChatError::NickLooksLike {
                wanted,
                existing,
                registered: true,
            } => write!(
                f,
                "'{wanted}' looks too much like the registered nickname '{existing}'; \
                 choose another"
            ),
            ChatError::NickLooksLike {
                wanted, existing, ..
            } => write!(
                f,
                "'{wanted}' looks too much like '{existing}', a nickname in use; choose another"
            ),
            ChatError::ListFull {
                list: ListKind::Watch,
                max,
                ..
            } => write!(
                f,
                "your watch list is full ({max} nicknames); /watch -<nick> to make room"
            ),
            ChatError::ListFull {
                list: ListKind::Ignore,
                max,
                ..
            } => write!(
                f,
                "your ignore list is full ({max} nicknames); /unignore <nick> to make room"
            ),
            ChatError::NotOnList {
                list: ListKind::Watch,
                nick,
            } => write!(f, "{nick} is not on your watch list"),
            ChatError::NotOnList {
                list: ListKind::Ignore,
                nick,
            } => write!(f, "you are not ignoring {nick}"),
            ChatError::Server(what) => write!(f, "{what}"),
            ChatError::ChanOpPrivsNeeded(c) => write!(f, "{c}: you are not a channel operator"),
            ChatError::BannedFromChan(c) => write!(f, "{c}: you are banned from this channel"),
            ChatError::InviteOnlyChan(c) => {
                write!(
                    f,
                    "{c}: the channel is invite only; ask an operator to /invite you"
                )
            }
            ChatError::BadChannelKey(c) => write!(f, "{c}: wrong channel key; /join {c} <key>"),
            ChatError::ChannelNeedsKey(c) => write!(f, "{c} needs a key: /join {c} <key>"),
            ChatError::ModeNeedsParameter { mode, what } => write!(f, "+{mode} needs {what}"),
            ChatError::NotInList {
                mask,
                channel,
                kind,
            } => {
                let (list, show) = match kind {
                    MaskKind::Bans => ("ban list", "/ban"),
                    MaskKind::InviteExceptions => ("invite exception list", "/mode +I"),
                };
                write!(
                    f,
                    "{mask} is not on the {list} of {channel}; {show} shows it"
                )
            }
            ChatError::SameNick(nick) => write!(f, "you are {nick} already"),
            ChatError::ChannelIsFull(c) => write!(f, "{c}: the channel is full"),
            ChatError::CannotSendToChan(c) => write!(f, "{c}: you can't send to this channel"),
            ChatError::NoPrivileges => {
                write!(
                    f,
                    "permission denied: you are not a server operator (/oper)"
                )
            }
            ChatError::UserNotInChannel { nick, channel } => {
                write!(f, "{nick} is not in {channel}")
            }
            ChatError::UserOnChannel { nick, channel } => {
                write!(f, "{nick} is already in {channel}")
            }
            ChatError::ChannelExists(c) => write!(f, "a channel named {c} exists already"),
            ChatError::MustBeRegistered => {
                write!(
                    f,
                    "only registered users can make channels; /register <password> first"
                )
            }
            ChatError::PermanentChannel(c) => {
                write!(f, "{c} is one of the server's permanent channels")
            }
            ChatError::NotFounder(c) => write!(f, "only the founder of {c} can do that"),
            ChatError::BadChannelName(why) => write!(f, "{why}"),
            ChatError::NoOperHost => write!(f, "no such operator, or a wrong password"),
            ChatError::WasNoSuchNick(nick) => write!(f, "nobody used the nickname {nick} lately"),
            ChatError::NoHistory(request) => match request {
                HistoryRequest::Lines { channel, .. } => write!(
                    f,
                    "no history of {channel} for you; join it first (see /channels)"
                ),
                HistoryRequest::Targets { .. } => write!(f, "no history for you"),
            },
            ChatError::HistoryFailed(_) => {
                write!(f, "the history could not be read; please try again")
            }
            ChatError::MemoBoxFull(nick) => {
                write!(f, "{nick} has too many messages waiting; try again later")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_list_is_named_with_the_command_that_makes_room() {
        let full = |list| ChatError::ListFull {
            list,
            max: 100,
            nick: "bob".into(),
        };
        assert_eq!(
            full(ListKind::Watch).to_string(),
            "your watch list is full (100 nicknames); /watch -<nick> to make room"
        );
        assert_eq!(
            full(ListKind::Ignore).to_string(),
            "your ignore list is full (100 nicknames); /unignore <nick> to make room"
        );
    }
}
