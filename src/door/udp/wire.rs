//! The book's UDP chat protocol on the wire (see shared/protocols/book-udp.md
//! §3): a datagram is a 2-byte big-endian event code and a payload. Pure:
//! datagrams in, requests out; events in, datagrams out.

use crate::door::family::{family, Family};
use crate::hub::{Aside, ChannelSummary, ChatError, Event, UserSummary};

pub const ERROR: u16 = 10;
pub const LOGIN_REQ: u16 = 20;
pub const LOGIN_ACK: u16 = 30;
pub const LOGOFF: u16 = 40;
pub const JOIN_REQ: u16 = 50;
pub const JOIN_ACK: u16 = 60;
pub const PART_REQ: u16 = 70;
pub const PART_ACK: u16 = 80;
pub const SEND_PUBLIC: u16 = 90;
pub const PUBLIC_MSG: u16 = 100;
pub const SEND_PRIVATE: u16 = 120;
pub const PRIVATE_MSG: u16 = 130;
pub const USER_JOINS: u16 = 140;
pub const USER_PARTS: u16 = 150;
pub const LIST_CHANNELS: u16 = 160;
pub const CHANNEL_ITEM: u16 = 170;
pub const LIST_USERS: u16 = 180;
pub const USER_ITEM: u16 = 190;
pub const STILL_HERE: u16 = 200;

/// Both sides read at most 1024 bytes (§2): longer datagrams are cut there.
pub const MAX_DATAGRAM: usize = 1024;

/// A client's datagram, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// `LOGIN_REQ "<nick>"`, or chatd's `"<nick> <password>"`.
    Login {
        nick: String,
        password: Option<String>,
    },
    Logoff,
    Join(String),
    /// `None`: the current channel.
    Part(Option<String>),
    Public(String),
    /// `to` is empty when the payload named nobody.
    Private {
        to: String,
        text: String,
    },
    ListChannels,
    ListUsers,
    StillHere,
    /// A code the server does not take from clients (or a 0/1-byte datagram).
    Unimplemented,
}

/// Decodes one datagram; never fails. Text is taken as UTF-8, invalid bytes
/// replaced, and cut at 1024 bytes as the book's `recv` does.
pub fn decode(datagram: &[u8]) -> Request {
    let datagram = &datagram[..datagram.len().min(MAX_DATAGRAM)];
    let [hi, lo, payload @ ..] = datagram else {
        return Request::Unimplemented;
    };
    let payload = String::from_utf8_lossy(payload).into_owned();
    match u16::from_be_bytes([*hi, *lo]) {
        LOGIN_REQ => match payload.split_once(' ') {
            Some((nick, password)) => Request::Login {
                nick: nick.to_string(),
                password: Some(password.to_string()),
            },
            None => Request::Login {
                nick: payload,
                password: None,
            },
        },
        LOGOFF => Request::Logoff,
        JOIN_REQ => Request::Join(payload),
        PART_REQ if payload.is_empty() => Request::Part(None),
        PART_REQ => Request::Part(Some(payload)),
        SEND_PUBLIC => Request::Public(payload),
        SEND_PRIVATE => {
            // The book's /(\S+)\s*(.*)/: a recipient, then text up to a newline.
            let rest = payload.trim_start();
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let (to, text) = rest.split_at(end);
            let text = text.trim_start();
            let text = text.split('\n').next().unwrap_or("");
            Request::Private {
                to: to.to_string(),
                text: text.to_string(),
            }
        }
        LIST_CHANNELS => Request::ListChannels,
        LIST_USERS => Request::ListUsers,
        STILL_HERE => Request::StillHere,
        _ => Request::Unimplemented,
    }
}

/// Appends one datagram to `out`, its payload cut at a UTF-8 boundary so the
/// whole fits in [`MAX_DATAGRAM`].
pub fn encode(code: u16, payload: &str, out: &mut Vec<Vec<u8>>) {
    let mut end = payload.len().min(MAX_DATAGRAM - 2);
    while !payload.is_char_boundary(end) {
        end -= 1;
    }
    let mut datagram = Vec::with_capacity(2 + end);
    datagram.extend_from_slice(&code.to_be_bytes());
    datagram.extend_from_slice(&payload.as_bytes()[..end]);
    out.push(datagram);
}

/// The error text a book client expects, where the book's server had one.
fn error_text(error: &ChatError) -> String {
    match error {
        ChatError::NotLoggedIn => "please log in".into(),
        ChatError::NoCurrentChannel => "no current channel".into(),
        ChatError::NickInUse(_) => "nickname already in use".into(),
        other => other.to_string(),
    }
}

/// Renders an event as the datagrams the book's client understands (§3.2,
/// §4.2); events it has no words for render as nothing.
pub fn render(event: &Event, out: &mut Vec<Vec<u8>>) {
    match family(event) {
        Family::Account => render_account(event, out),
        Family::Channel => render_channel(event, out),
        Family::Chat => render_chat(event, out),
        // A kicked member leaves the channel as far as the book knows.
        Family::Moderation => {
            if let Event::Kicked { channel, nick, .. } = event {
                encode(USER_PARTS, &format!("{channel} {nick}"), out)
            }
        }
        Family::Query => {
            if let Event::Who { users, .. } = event {
                for u in users {
                    user_item(u, out);
                }
            }
        }
        // The book has no watch or ignore lists.
        Family::List => {}
        Family::Connection => render_connection(event, out),
    }
}

/// Logging in and memos; the book has no other account events.
fn render_account(event: &Event, out: &mut Vec<Vec<u8>>) {
    match event {
        Event::LoggedIn { nick, .. } => encode(LOGIN_ACK, nick, out),
        Event::Memos(memos) => {
            for memo in memos {
                let text = format!("[memo {}] {}", crate::clock::utc(memo.at), memo.text);
                encode(PRIVATE_MSG, &format!("{} {text}", memo.from), out);
            }
        }
        Event::MemoStored { to } => encode(
            ERROR,
            &format!("{to} is not on line: your message was kept for their next login"),
            out,
        ),
        // Nothing the book's client could ask for or show.
        _ => {}
    }
}

fn render_channel(event: &Event, out: &mut Vec<Vec<u8>>) {
    match event {
        Event::Joined(c) => encode(JOIN_ACK, &channel_item(c), out),
        Event::Parted { left, current } => {
            encode(PART_ACK, &channel_item(left), out);
            // §3.4: the new current channel is announced with a JOIN_ACK.
            if let Some(c) = current {
                encode(JOIN_ACK, &channel_item(c), out);
            }
        }
        // §3.4: a new current channel is announced with a JOIN_ACK.
        Event::CurrentChannel(Some(c)) => encode(JOIN_ACK, &channel_item(c), out),
        Event::MemberJoined { channel, nick } => {
            encode(USER_JOINS, &format!("{channel} {nick}"), out)
        }
        Event::MemberLeft { channel, nick, .. } => {
            encode(USER_PARTS, &format!("{channel} {nick}"), out)
        }
        Event::ChannelList(channels) => {
            for c in channels {
                encode(CHANNEL_ITEM, &channel_item(c), out);
            }
        }
        // A member list asked for; the one on joining is another door's.
        Event::Members {
            members,
            on_join: false,
            ..
        } => {
            for member in members {
                user_item(&member.user, out);
            }
        }
        Event::ChannelDropped { channel, by } => {
            encode(ERROR, &format!("{channel} was dropped by {by}"), out)
        }
        // Nothing the book's client could ask for or show.
        _ => {}
    }
}

fn render_chat(event: &Event, out: &mut Vec<Vec<u8>>) {
    match event {
        Event::Public {
            channel,
            from,
            text,
            action,
            ..
        } => encode(
            PUBLIC_MSG,
            &format!("{channel} {from} {}", acted(text, *action)),
            out,
        ),
        Event::Private {
            from, text, action, ..
        } => encode(
            PRIVATE_MSG,
            &format!("{from} {}", acted(text, *action)),
            out,
        ),
        Event::Aside {
            from,
            channel,
            text,
            kind,
            ..
        } => {
            // The book's client shows lines only: the same words as telnet's.
            let text = match kind {
                // Tags without text: nothing the book's client could show.
                Aside::Tags => return,
                Aside::Notice => format!("(notice) {text}"),
                Aside::Ctcp => format!("* CTCP {}", text.split(' ').next().unwrap_or_default()),
                Aside::CtcpReply => format!("* CTCP reply: {text}"),
            };
            match channel {
                Some(channel) => encode(PUBLIC_MSG, &format!("{channel} {from} {text}"), out),
                None => encode(PRIVATE_MSG, &format!("{from} {text}"), out),
            }
        }
        Event::Wallops { from, text, .. } => {
            encode(ERROR, &format!("WALL from {from}: {text}"), out)
        }
        Event::History { channel, lines } => {
            for line in lines {
                let action = if line.action { "* " } else { "" };
                let text = format!("[{}] {action}{}", crate::clock::utc(line.at), line.text);
                encode(PUBLIC_MSG, &format!("{channel} {} {text}", line.nick), out);
            }
        }
        // The sender's own copy: the book's client shows nothing for it.
        _ => {}
    }
}

/// The server's own words, all as ERROR datagrams: the book has no other.
fn render_connection(event: &Event, out: &mut Vec<Vec<u8>>) {
    match event {
        Event::IdleWarning { seconds } => encode(
            ERROR,
            &format!("you will be logged out in {seconds} seconds for being idle"),
            out,
        ),
        Event::Error(error) => encode(ERROR, &error_text(error), out),
        Event::Closing { reason } => encode(ERROR, reason, out),
        Event::Notice(text) => encode(ERROR, text, out),
        _ => {}
    }
}

/// `name users description`: a channel as CHANNEL_ITEM and the ACKs carry it.
fn channel_item(c: &ChannelSummary) -> String {
    format!("{} {} {}", c.name, c.users, c.description)
}

/// A `/me` line as the book's client shows it: `* text`.
fn acted(text: &str, action: bool) -> String {
    match action {
        true => format!("* {text}"),
        false => text.to_string(),
    }
}

/// One user of a list, as the book's client reads it.
fn user_item(u: &UserSummary, out: &mut Vec<Vec<u8>>) {
    // The client's regex needs at least one channel after the seconds.
    let channels = match u.channels.is_empty() {
        true => "-".to_string(),
        false => u.channel_names().join(" "),
    };
    let line = format!("{} {} {channels}", u.nick, u.online.as_secs());
    encode(USER_ITEM, &line, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::{ChannelSummary, Departure, Member, Stamp, UserSummary};
    use std::time::Duration;

    fn datagram(code: u16, payload: &str) -> Vec<u8> {
        let mut d = code.to_be_bytes().to_vec();
        d.extend_from_slice(payload.as_bytes());
        d
    }

    fn rendered(event: Event) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        render(&event, &mut out);
        out
    }

    fn weather(users: usize) -> ChannelSummary {
        ChannelSummary {
            name: "Weather".into(),
            description: "Talk about the weather".into(),
            users,
        }
    }

    #[test]
    fn short_datagrams_are_unimplemented_not_panics() {
        assert_eq!(decode(b""), Request::Unimplemented);
        assert_eq!(decode(b"\x00"), Request::Unimplemented);
        assert_eq!(decode(b"\x00\x00"), Request::Unimplemented);
        assert_eq!(decode(&datagram(30, "x")), Request::Unimplemented);
    }

    #[test]
    fn login_takes_an_optional_password() {
        assert_eq!(
            decode(&datagram(LOGIN_REQ, "alice")),
            Request::Login {
                nick: "alice".into(),
                password: None
            }
        );
        assert_eq!(
            decode(&datagram(LOGIN_REQ, "alice pass word")),
            Request::Login {
                nick: "alice".into(),
                password: Some("pass word".into())
            }
        );
    }

    #[test]
    fn private_payloads_parse_like_the_book() {
        let private = |p: &str| decode(&datagram(SEND_PRIVATE, p));
        assert_eq!(
            private("bob why do you call yourself \"bob\"?"),
            Request::Private {
                to: "bob".into(),
                text: "why do you call yourself \"bob\"?".into()
            }
        );
        assert_eq!(
            private("  bob   hi\nthere"),
            Request::Private {
                to: "bob".into(),
                text: "hi".into()
            }
        );
        assert_eq!(
            private("   "),
            Request::Private {
                to: "".into(),
                text: "".into()
            }
        );
    }

    #[test]
    fn part_with_an_empty_payload_means_the_current_channel() {
        assert_eq!(decode(&datagram(PART_REQ, "")), Request::Part(None));
        assert_eq!(
            decode(&datagram(PART_REQ, "pets")),
            Request::Part(Some("pets".into()))
        );
    }

    #[test]
    fn events_render_in_the_books_shapes() {
        assert_eq!(
            rendered(Event::Joined(weather(2))),
            [datagram(JOIN_ACK, "Weather 2 Talk about the weather")]
        );
        assert_eq!(
            rendered(Event::MemberJoined {
                channel: "Weather".into(),
                nick: "bob".into()
            }),
            [datagram(USER_JOINS, "Weather bob")]
        );
        assert_eq!(
            rendered(Event::MemberLeft {
                channel: "Weather".into(),
                nick: "bob".into(),
                why: Departure::Quit(None)
            }),
            [datagram(USER_PARTS, "Weather bob")]
        );
        assert_eq!(
            rendered(Event::Public {
                tags: crate::model::ClientTags::NONE,
                channel: "Weather".into(),
                from: "alice".into(),
                text: "I don't know about spain".into(),
                action: false,
                stamp: Stamp::BLANK,
            }),
            [datagram(
                PUBLIC_MSG,
                "Weather alice I don't know about spain"
            )]
        );
        assert_eq!(
            rendered(Event::Private {
                tags: crate::model::ClientTags::NONE,
                from: "alice".into(),
                text: "hi".into(),
                action: false,
                stamp: Stamp::BLANK,
            }),
            [datagram(PRIVATE_MSG, "alice hi")]
        );
        let users = Event::Members {
            channel: "Weather".into(),
            members: vec![Member {
                user: UserSummary {
                    nick: "alice".into(),
                    ident: "alice".into(),
                    realname: "alice".into(),
                    online: Duration::from_secs(135),
                    idle: Duration::ZERO,
                    since: 0,
                    channels: vec!["Weather".into(), "Pets".into()],
                    away: None,
                    oper: false,
                },
                op: true,
                voiced: false,
            }],
            on_join: false,
        };
        assert_eq!(
            rendered(users),
            [datagram(USER_ITEM, "alice 135 Weather Pets")]
        );
    }

    #[test]
    fn parting_the_current_channel_acks_then_announces_the_new_one() {
        let pets = ChannelSummary {
            name: "Pets".into(),
            description: "For our furry and feathered friends".into(),
            users: 3,
        };
        assert_eq!(
            rendered(Event::Parted {
                left: weather(1),
                current: Some(pets)
            }),
            [
                datagram(PART_ACK, "Weather 1 Talk about the weather"),
                datagram(JOIN_ACK, "Pets 3 For our furry and feathered friends")
            ]
        );
    }

    #[test]
    fn errors_keep_the_books_words() {
        let error = |e| rendered(Event::Error(e));
        assert_eq!(
            error(ChatError::NotLoggedIn),
            [datagram(ERROR, "please log in")]
        );
        assert_eq!(
            error(ChatError::NoCurrentChannel),
            [datagram(ERROR, "no current channel")]
        );
        assert_eq!(
            error(ChatError::NickInUse("bob".into())),
            [datagram(ERROR, "nickname already in use")]
        );
        assert_eq!(
            error(ChatError::NoSuchChannel("atlantis".into())),
            [datagram(ERROR, "no channel named atlantis")]
        );
        assert_eq!(
            error(ChatError::NoSuchNick("carl".into())),
            [datagram(ERROR, "carl: not logged in")]
        );
        assert_eq!(
            error(ChatError::NoRecipient),
            [datagram(
                ERROR,
                "no nickname given for recipient of private message"
            )]
        );
    }

    #[test]
    fn long_payloads_are_cut_to_one_datagram_at_a_char_boundary() {
        let text = "é".repeat(600);
        let mut out = Vec::new();
        encode(PUBLIC_MSG, &text, &mut out);
        assert!(out[0].len() <= MAX_DATAGRAM);
        assert!(std::str::from_utf8(&out[0][2..]).is_ok());
        assert_eq!(out[0].len(), 2 + 1022);
    }
}
