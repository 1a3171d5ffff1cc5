//! The IRC renderer for what the server says to this connection: notices,
//! the idle warning, closing (a NOTICE, then ERROR), and the hub's errors,
//! each as its RFC 2812 numeric where there is one, else as a server notice.

use std::io::Write;

use super::{channel, Renderer};
use crate::door::irc::numeric::*;
use crate::hub::{ChatError, Event, ListKind};

impl Renderer {
    /// Renders the server's own words to this connection.
    pub(super) fn render_connection(&mut self, event: &Event, out: &mut Vec<u8>) {
        match event {
            Event::Error(error) => self.error(out, error),
            Event::Notice(text) => self.notice(out, text),
            Event::IdleWarning { seconds } => self.notice(
                out,
                &format!("You will be disconnected in {seconds} seconds for being idle."),
            ),
            Event::Closing { reason } => {
                // Clients show ERROR in the server window only; a NOTICE
                // first tells the person in the window they are looking at.
                if self.nick.is_some() {
                    self.notice(out, &format!("*** {reason}"));
                }
                let _ = write!(out, "ERROR :Closing Link: {reason}\r\n");
            }
            // `render` sends every other event elsewhere.
            _ => {}
        }
    }

    /// `error` as its numeric, or a NOTICE when IRC has none for it.
    fn error(&self, out: &mut Vec<u8>, error: &ChatError) {
        if let Some((code, c, text)) = channel_error(error) {
            return self.numeric(out, code, &format!("{} :{text}", hashed(c)));
        }
        if let Some((code, text)) = plain_error(error) {
            return self.numeric(out, code, text);
        }
        let (code, rest) = match error {
            ChatError::NoSuchNick(n) => (ERR_NOSUCHNICK, format!("{n} :No such nick/channel")),
            ChatError::NickInUse(n) => (
                ERR_NICKNAMEINUSE,
                format!("{n} :Nickname is already in use"),
            ),
            ChatError::NickRegistered(n) | ChatError::PasswordRequired(n) => (
                ERR_NICKNAMEINUSE,
                format!("{n} :Nickname is registered: log in with SASL or PASS, or pick another"),
            ),
            ChatError::NickLooksLike {
                wanted,
                existing,
                registered,
            } => {
                let what = match registered {
                    true => format!("the registered nickname {existing}"),
                    false => format!("{existing}, which is in use"),
                };
                (
                    ERR_NICKNAMEINUSE,
                    format!("{wanted} :Nickname looks too much like {what}; choose another"),
                )
            }
            ChatError::BadNick(why) => (
                ERR_ERRONEUSNICKNAME,
                format!("* :Erroneous nickname: {why}"),
            ),
            ChatError::UnknownCommand(c) => (ERR_UNKNOWNCOMMAND, format!("{c} :Unknown command")),
            // MONITOR's and SILENCE's own numerics, one per list.
            ChatError::ListFull {
                list: ListKind::Watch,
                max,
                nick,
            } => (
                ERR_MONLISTFULL,
                format!("{max} {nick} :Monitor list is full."),
            ),
            ChatError::ListFull {
                list: ListKind::Ignore,
                nick,
                ..
            } => (
                ERR_SILELISTFULL,
                format!("{nick} :Your silence list is full"),
            ),
            ChatError::UserNotInChannel { nick, channel: c } => (
                ERR_USERNOTINCHANNEL,
                format!("{nick} {} :They aren't on that channel", hashed(c)),
            ),
            ChatError::UserOnChannel { nick, channel: c } => (
                ERR_USERONCHANNEL,
                format!("{nick} {} :is already on channel", hashed(c)),
            ),
            ChatError::BadChannelName(why) => {
                (ERR_BADCHANNAME, format!("* :Illegal channel name: {why}"))
            }
            ChatError::WasNoSuchNick(n) => {
                self.numeric(
                    out,
                    ERR_WASNOSUCHNICK,
                    &format!("{n} :There was no such nickname"),
                );
                (RPL_ENDOFWHOWAS, format!("{n} :End of WHOWAS"))
            }
            // IRCv3 chathistory answers with standard replies, not numerics.
            ChatError::NoHistory(request) => {
                return self.history_fail(out, "INVALID_TARGET", request)
            }
            ChatError::HistoryFailed(request) => {
                return self.history_fail(out, "MESSAGE_ERROR", request)
            }
            other => return self.notice(out, &other.to_string()),
        };
        self.numeric(out, code, &rest);
    }
}

/// The errors about one channel, named first: the numeric, the channel and
/// the words.
fn channel_error(error: &ChatError) -> Option<(&'static str, &str, &'static str)> {
    Some(match error {
        ChatError::NoSuchChannel(c) => (ERR_NOSUCHCHANNEL, c, "No such channel"),
        ChatError::NotInChannel(c) => (ERR_NOTONCHANNEL, c, "You're not on that channel"),
        ChatError::ChanOpPrivsNeeded(c) => (ERR_CHANOPRIVSNEEDED, c, "You're not channel operator"),
        ChatError::BannedFromChan(c) => (ERR_BANNEDFROMCHAN, c, "Cannot join channel (+b)"),
        ChatError::InviteOnlyChan(c) => (ERR_INVITEONLYCHAN, c, "Cannot join channel (+i)"),
        ChatError::BadChannelKey(c) | ChatError::ChannelNeedsKey(c) => {
            (ERR_BADCHANNELKEY, c, "Cannot join channel (+k)")
        }
        ChatError::ChannelIsFull(c) => (ERR_CHANNELISFULL, c, "Cannot join channel (+l)"),
        ChatError::CannotSendToChan(c) => (ERR_CANNOTSENDTOCHAN, c, "Cannot send to channel"),
        _ => return None,
    })
}

/// The errors whose numeric carries nothing but its words.
fn plain_error(error: &ChatError) -> Option<(&'static str, &'static str)> {
    Some(match error {
        ChatError::EmptyMessage => (ERR_NOTEXTTOSEND, ":No text to send"),
        ChatError::NoRecipient => (ERR_NORECIPIENT, ":No recipient given (PRIVMSG)"),
        ChatError::NotLoggedIn => (ERR_NOTREGISTERED, ":You have not registered"),
        ChatError::AlreadyLoggedIn => (ERR_ALREADYREGISTERED, ":You may not reregister"),
        ChatError::LineTooLong { .. } => (ERR_INPUTTOOLONG, ":Input line was too long"),
        ChatError::NoPrivileges => (
            ERR_NOPRIVILEGES,
            ":Permission Denied- You're not an IRC operator",
        ),
        ChatError::NoOperHost => (ERR_NOOPERHOST, ":No O-lines for your host"),
        _ => return None,
    })
}

fn hashed(name: &str) -> String {
    match name.starts_with('#') {
        true => name.to_string(),
        false => channel(name),
    }
}
