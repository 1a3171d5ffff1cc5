//! The browser door's renderer: each hub event as one JSON object in one
//! WebSocket text frame (the schema is docs/web-protocol.md), a function per
//! event family (`door/family.rs`) as in the other doors. Pure, and the
//! same bytes for every browser, so a line to a channel is rendered once
//! for all of them.

use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};

use super::frames::{close_frame, text_frame_with, CloseWhy};
use crate::clock::unix_seconds;
use crate::door::family::{family, Family};
use crate::door::modes::{member_prefix, prefixed_nick};
use crate::door::text::parse::HELP;
use crate::engine::Render;
use crate::hub::{
    Aside, ChannelSummary, ChatError, Departure, Event, HistoryLine, MaskKind, Memo, UserSummary,
};
use crate::model::{MessageId, Stamp};

/// Renders events for one browser connection.
pub struct Renderer;

impl Render for Renderer {
    fn render(&mut self, event: &Event, out: &mut Vec<u8>) {
        if let Some(message) = message(event) {
            text_frame_with(out, |out| write_json(&message, out));
        }
        if let Event::Closing { reason } = event {
            close_frame(CloseWhy::of(reason), reason, out);
        }
    }

    /// Nothing here depends on the connection.
    fn shares(&mut self, _event: &Event) -> bool {
        true
    }
}

/// The door's command list, `{"type": "help", "commands": [[command,
/// what it does], ...]}`, as one frame: said by the door, not the hub.
pub fn help(out: &mut Vec<u8>) {
    let commands: Vec<Value> = HELP.iter().map(|(c, w)| json!([c, w])).collect();
    let help = typed("help", json!({ "commands": commands }));
    text_frame_with(out, |out| write_json(&help, out));
}

/// Appends `value` as JSON.
fn write_json(value: &impl Serialize, out: &mut Vec<u8>) {
    // Into a Vec, of values whose keys are strings: this can't fail.
    let _ = serde_json::to_writer(out, value);
}

/// `{"type": kind, ...fields}`.
fn typed(kind: &str, fields: Value) -> Value {
    let mut object = Map::new();
    object.insert("type".into(), Value::String(kind.into()));
    if let Value::Object(fields) = fields {
        object.extend(fields);
    }
    Value::Object(object)
}

/// [`typed`] with the line's id (a string: ids may pass what a JavaScript
/// number holds exactly) and the hub's time, in Unix seconds.
fn stamped(kind: &str, stamp: &Stamp, fields: Value) -> Value {
    let mut value = typed(kind, fields);
    value["id"] = json!(stamp.id.to_string());
    value["at"] = json!(unix_seconds(stamp.at));
    value
}

/// One event's JSON. Lines said to a channel or to one person, nearly all
/// of what a busy server sends, are written straight from the event; the
/// rest are built as a [`Value`] first.
#[derive(Serialize)]
#[serde(untagged)]
enum Message<'a> {
    Line(ChatLine<'a>),
    Built(Value),
}

/// `public`, `private` and `private_sent`.
#[derive(Serialize)]
struct ChatLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
    text: &'a str,
    action: bool,
    /// A string: ids may pass what a JavaScript number holds exactly.
    #[serde(serialize_with = "as_string")]
    id: MessageId,
    at: i64,
}

fn as_string<S: Serializer>(id: &MessageId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(id)
}

impl<'a> ChatLine<'a> {
    fn new(kind: &'static str, text: &'a str, action: bool, stamp: &Stamp) -> ChatLine<'a> {
        ChatLine {
            kind,
            channel: None,
            from: None,
            to: None,
            text,
            action,
            id: stamp.id,
            at: unix_seconds(stamp.at),
        }
    }
}

/// The event's JSON, or `None` for events a browser has no use for.
fn message(event: &Event) -> Option<Message<'_>> {
    let built = match family(event) {
        Family::Chat => return chat(event),
        Family::Account => account(event),
        Family::Channel => channels(event),
        Family::Moderation => moderation(event),
        Family::Query => queries(event),
        Family::List => lists(event),
        Family::Connection => connection(event),
    };
    built.map(Message::Built)
}

/// The event's JSON as a [`Value`], or `None` for events a browser has no
/// use for.
pub fn to_json(event: &Event) -> Option<Value> {
    let message = message(event)?;
    Some(serde_json::to_value(message).expect("a message's keys are strings"))
}

/// Lines said: to a channel, privately, passed on, replayed, WALLOPS.
fn chat(event: &Event) -> Option<Message<'_>> {
    let line = match event {
        Event::Public {
            tags: _,
            channel,
            from,
            text,
            action,
            stamp,
        } => ChatLine {
            channel: Some(channel),
            from: Some(from),
            ..ChatLine::new("public", text, *action, stamp)
        },
        Event::Private {
            tags: _,
            from,
            text,
            action,
            stamp,
        } => ChatLine {
            from: Some(from),
            ..ChatLine::new("private", text, *action, stamp)
        },
        Event::PrivateSent {
            tags: _,
            to,
            text,
            action,
            stamp,
        } => ChatLine {
            to: Some(to),
            ..ChatLine::new("private_sent", text, *action, stamp)
        },
        _ => return other_chat(event).map(Message::Built),
    };
    Some(Message::Line(line))
}

/// The rarer lines of [`chat`].
fn other_chat(event: &Event) -> Option<Value> {
    Some(match event {
        Event::Aside {
            tags: _,
            from,
            channel,
            text,
            kind,
            stamp,
        } => stamped(
            "aside",
            stamp,
            json!({"kind": aside_kind(*kind)?, "from": from, "channel": channel, "text": text}),
        ),
        Event::History { channel, lines } => typed(
            "history",
            json!({"channel": channel, "lines": lines.iter().map(history_line).collect::<Vec<_>>()}),
        ),
        Event::Wallops { from, text, stamp } => {
            stamped("wallops", stamp, json!({"from": from, "text": text}))
        }
        _ => return None,
    })
}

/// The connection's own account and session.
fn account(event: &Event) -> Option<Value> {
    Some(match event {
        Event::LoggedIn { nick, .. } => typed("logged_in", json!({ "nick": nick })),
        Event::Registered { nick } => typed("registered", json!({ "nick": nick })),
        Event::NickChanged { old, new } => typed("nick", json!({"old": old, "new": new})),
        Event::Away(message) => typed("away", json!({ "message": message })),
        Event::Memos(memos) => typed(
            "memos",
            json!({"memos": memos.iter().map(memo).collect::<Vec<_>>()}),
        ),
        Event::MemoStored { to } => typed("memo_stored", json!({ "to": to })),
        Event::MemosCleared => typed("memos_cleared", json!({})),
        Event::YouAreOper => typed("oper", json!({})),
        _ => return None,
    })
}

/// What the server says to this connection.
fn connection(event: &Event) -> Option<Value> {
    Some(match event {
        Event::Notice(text) => typed("notice", json!({ "text": text })),
        Event::Error(error) => error_json(error),
        Event::IdleWarning { seconds } => typed("idle_warning", json!({ "seconds": seconds })),
        Event::Closing { reason } => typed("closing", json!({ "reason": reason })),
        _ => return None,
    })
}

/// An aside's `kind`; `None` for client tags (IRCv3 `TAGMSG`), which are
/// for IRC clients: like the text door, a page has nothing to show.
fn aside_kind(kind: Aside) -> Option<&'static str> {
    match kind {
        Aside::Notice => Some("notice"),
        Aside::Ctcp => Some("ctcp"),
        Aside::CtcpReply => Some("ctcp_reply"),
        Aside::Tags => None,
    }
}

fn error_json(error: &ChatError) -> Value {
    typed("error", json!({ "text": error.to_string() }))
}

/// Channels: the list, joining and leaving, who is in one, topics.
fn channels(event: &Event) -> Option<Value> {
    Some(match event {
        Event::ChannelList(list) => typed(
            "channels",
            json!({"channels": list.iter().map(channel).collect::<Vec<_>>()}),
        ),
        Event::Joined(summary) => typed("joined", json!({ "channel": channel(summary) })),
        Event::Parted { left, current } => typed(
            "parted",
            json!({"channel": channel(left), "current": current.as_ref().map(channel)}),
        ),
        Event::CurrentChannel(current) => typed(
            "current",
            json!({ "channel": current.as_ref().map(channel) }),
        ),
        Event::MemberJoined { channel, nick } => {
            typed("member_joined", json!({"channel": channel, "nick": nick}))
        }
        Event::MemberLeft { channel, nick, why } => {
            let (how, message) = match why {
                Departure::Parted(reason) => ("part", reason.clone()),
                Departure::Quit(message) => ("quit", message.clone()),
                Departure::Lost(reason) => ("lost", Some(reason.clone())),
            };
            typed(
                "member_left",
                json!({"channel": channel, "nick": nick, "how": how, "message": message}),
            )
        }
        Event::Topic { channel, topic } => {
            typed("topic", json!({"channel": channel, "topic": topic}))
        }
        Event::TopicWho {
            channel,
            set_by,
            at,
        } => typed(
            "topic_who",
            json!({"channel": channel, "set_by": set_by, "at": at}),
        ),
        Event::TopicSet { channel, by, text } => typed(
            "topic_set",
            json!({"channel": channel, "by": by, "text": text}),
        ),
        Event::Members {
            channel,
            members,
            on_join: true,
        } => {
            let nicks: Vec<String> = members.iter().map(prefixed_nick).collect();
            typed("names", json!({"channel": channel, "nicks": nicks}))
        }
        Event::Members {
            channel,
            members,
            on_join: false,
        } => {
            let users: Vec<Value> = members
                .iter()
                .map(|member| {
                    let mut value = user(&member.user);
                    value["mark"] = json!(member_prefix(member));
                    value
                })
                .collect();
            typed("users", json!({"channel": channel, "users": users}))
        }
        Event::MemberAway { nick, message } => {
            typed("member_away", json!({"nick": nick, "message": message}))
        }
        Event::ChannelCreated { channel } => {
            typed("channel_created", json!({ "channel": channel }))
        }
        Event::ChannelDropped { channel, by } => {
            typed("channel_dropped", json!({"channel": channel, "by": by}))
        }
        Event::Invited { channel, by } => typed("invited", json!({"channel": channel, "by": by})),
        Event::Inviting { nick, channel } => {
            typed("inviting", json!({"nick": nick, "channel": channel}))
        }
        _ => return None,
    })
}

/// Answers about people and the server.
fn queries(event: &Event) -> Option<Value> {
    Some(match event {
        Event::Who { mask: None, users } => typed("who", json!({ "users": users_json(users) })),
        Event::Who {
            mask: Some(mask),
            users,
        } => typed("who", json!({"mask": mask, "users": users_json(users)})),
        Event::Whois(summary) => typed("whois", json!({ "user": user(summary) })),
        Event::WhoisAddress { nick, address } => {
            typed("whois_address", json!({"nick": nick, "address": address}))
        }
        Event::WhoisOffline {
            nick,
            registered,
            last_seen,
        } => typed(
            "whois_offline",
            json!({"nick": nick, "registered": registered, "last_seen": last_seen}),
        ),
        Event::Whowas(departed) => {
            let list: Vec<Value> = departed
                .iter()
                .map(|d| json!({"nick": d.nick, "host": d.host, "left_at": d.left_at}))
                .collect();
            typed("whowas", json!({ "departed": list }))
        }
        Event::Ison(nicks) => typed("ison", json!({ "nicks": nicks })),
        Event::Stats {
            users,
            channels,
            peak,
        } => typed(
            "stats",
            json!({"users": users, "channels": channels, "peak": peak}),
        ),
        Event::AwayReply { nick, message } => {
            typed("away_reply", json!({"nick": nick, "message": message}))
        }
        _ => return None,
    })
}

/// Running a channel: kicks, modes, ban and invite-exception lists.
fn moderation(event: &Event) -> Option<Value> {
    Some(match event {
        Event::Kicked {
            channel,
            nick,
            by,
            reason,
        } => typed(
            "kicked",
            json!({"channel": channel, "nick": nick, "by": by, "reason": reason}),
        ),
        Event::ModeChanged {
            channel,
            by,
            modes,
            params,
        } => typed(
            "mode",
            json!({"channel": channel, "by": by, "modes": modes, "params": params}),
        ),
        Event::ChannelModes {
            channel,
            modes,
            params,
        } => typed(
            "modes",
            json!({"channel": channel, "modes": modes, "params": params}),
        ),
        Event::MaskList {
            channel,
            kind,
            entries,
        } => {
            let list = match kind {
                MaskKind::Bans => "bans",
                MaskKind::InviteExceptions => "invite_exceptions",
            };
            let entries: Vec<Value> = entries
                .iter()
                .map(|e| json!({"mask": e.mask, "set_by": e.set_by, "at": e.at}))
                .collect();
            typed(
                "mask_list",
                json!({"channel": channel, "list": list, "entries": entries}),
            )
        }
        _ => return None,
    })
}

/// The watch and ignore lists.
fn lists(event: &Event) -> Option<Value> {
    let watched = |list: &[(String, bool)]| -> Vec<Value> {
        list.iter()
            .map(|(nick, online)| json!({"nick": nick, "online": online}))
            .collect()
    };
    Some(match event {
        Event::WatchList(list) | Event::WatchStatuses(list) | Event::WatchedAtLogin(list) => {
            typed("watch_list", json!({ "watching": watched(list) }))
        }
        Event::Watching { nick, online } => {
            typed("watching", json!({"nick": nick, "online": online}))
        }
        Event::Unwatched { nick } => typed("unwatched", json!({ "nick": nick })),
        Event::WatchedLogin { nick } => typed("watched_login", json!({ "nick": nick })),
        Event::WatchedLogout { nick } => typed("watched_logout", json!({ "nick": nick })),
        Event::IgnoreList(nicks) => typed("ignore_list", json!({ "nicks": nicks })),
        Event::Ignoring { nick } => typed("ignoring", json!({ "nick": nick })),
        Event::Unignored { nick } => typed("unignored", json!({ "nick": nick })),
        _ => return None,
    })
}

fn channel(summary: &ChannelSummary) -> Value {
    json!({"name": summary.name, "description": summary.description, "users": summary.users})
}

fn user(u: &UserSummary) -> Value {
    json!({
        "nick": u.nick,
        "online": u.online.as_secs(),
        "idle": u.idle.as_secs(),
        "since": u.since,
        "channels": u.channel_names(),
        "away": u.away,
    })
}

fn users_json(users: &[UserSummary]) -> Vec<Value> {
    users.iter().map(user).collect()
}

fn history_line(line: &HistoryLine) -> Value {
    json!({"id": line.id.to_string(), "at": line.at, "from": line.nick,
           "text": line.text, "action": line.action})
}

fn memo(m: &Memo) -> Value {
    json!({"from": m.from, "text": m.text, "at": m.at})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::Member;

    fn rendered(event: &Event) -> Vec<u8> {
        let mut out = Vec::new();
        Renderer.render(event, &mut out);
        out
    }

    #[test]
    fn a_public_line_is_one_text_frame_of_json() {
        let event = Event::Public {
            tags: crate::model::ClientTags::NONE,
            channel: "Weather".into(),
            from: "rufus".into(),
            text: "<b>rain</b> & \"wind\"".into(),
            action: false,
            stamp: Stamp {
                id: crate::model::MessageId(42),
                at: std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
            },
        };
        let bytes = rendered(&event);
        assert_eq!(bytes[0], 0x81);
        let value: Value = serde_json::from_slice(&bytes[2..]).unwrap();
        assert_eq!(
            value,
            json!({"type": "public", "channel": "Weather", "from": "rufus",
                   "text": "<b>rain</b> & \"wind\"", "action": false,
                   "id": "42", "at": 1_700_000_000})
        );
    }

    #[test]
    fn client_tags_are_not_passed_on_but_a_notice_is() {
        let aside = |kind| Event::Aside {
            tags: crate::model::ClientTags::NONE,
            from: "bot".into(),
            channel: None,
            text: "+typing=active".into(),
            kind,
            stamp: Stamp {
                id: crate::model::MessageId(7),
                at: std::time::UNIX_EPOCH,
            },
        };
        assert!(rendered(&aside(Aside::Tags)).is_empty());
        let notice = to_json(&aside(Aside::Notice)).unwrap();
        assert_eq!(
            (&notice["kind"], &notice["id"]),
            (&json!("notice"), &json!("7"))
        );
    }

    #[test]
    fn private_lines_both_ways_carry_their_fields_and_stamp() {
        let stamp = Stamp {
            id: crate::model::MessageId(u64::MAX),
            at: std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
        };
        let got = Event::Private {
            tags: crate::model::ClientTags::NONE,
            from: "wondergirl".into(),
            text: "for you \u{1} to \\ figure out".into(),
            action: true,
            stamp,
        };
        let sent = Event::PrivateSent {
            tags: crate::model::ClientTags::NONE,
            to: "lincoln".into(),
            text: "why?".into(),
            action: false,
            stamp,
        };
        let frame = |event: &Event| -> Value {
            let bytes = rendered(event);
            assert_eq!(bytes[0], 0x81);
            let header = if bytes[1] == 126 { 4 } else { 2 };
            serde_json::from_slice(&bytes[header..]).unwrap()
        };
        assert_eq!(
            frame(&got),
            json!({"type": "private", "from": "wondergirl", "text": "for you \u{1} to \\ figure out",
                   "action": true, "id": u64::MAX.to_string(), "at": 1_700_000_000})
        );
        assert_eq!(
            frame(&sent),
            json!({"type": "private_sent", "to": "lincoln", "text": "why?", "action": false,
                   "id": u64::MAX.to_string(), "at": 1_700_000_000})
        );
        assert_eq!(to_json(&sent), Some(frame(&sent)));
    }

    #[test]
    fn a_long_line_has_the_16_bit_length() {
        let event = Event::Public {
            tags: crate::model::ClientTags::NONE,
            channel: "Weather".into(),
            from: "rufus".into(),
            text: "rain ".repeat(100),
            action: false,
            stamp: Stamp {
                id: crate::model::MessageId(1),
                at: std::time::UNIX_EPOCH,
            },
        };
        let bytes = rendered(&event);
        assert_eq!(bytes[1], 126);
        let len = u16::from_be_bytes([bytes[2], bytes[3]]) as usize;
        assert_eq!(len, bytes.len() - 4);
        let value: Value = serde_json::from_slice(&bytes[4..]).unwrap();
        assert_eq!(value["text"], json!("rain ".repeat(100)));
    }

    #[test]
    fn closing_is_said_then_the_socket_closed_with_the_reason() {
        let bytes = rendered(&Event::Closing {
            reason: "Excess flood".into(),
        });
        let close = bytes.iter().rposition(|&b| b == 0x88).unwrap();
        assert_eq!(&bytes[close + 2..close + 4], &1008u16.to_be_bytes());
        assert_eq!(&bytes[close + 4..], b"Excess flood");
    }

    #[test]
    fn a_member_list_carries_marks_and_times() {
        let event = Event::Members {
            channel: "Lobby".into(),
            members: vec![Member {
                user: UserSummary {
                    nick: "ann".into(),
                    ident: "ann".into(),
                    realname: "ann".into(),
                    online: std::time::Duration::from_secs(65),
                    idle: std::time::Duration::from_secs(5),
                    since: 1_700_000_000,
                    channels: vec!["Lobby".into()],
                    away: Some("lunch".into()),
                    oper: false,
                },
                op: true,
                voiced: false,
            }],
            on_join: false,
        };
        let value = to_json(&event).unwrap();
        assert_eq!(value["users"][0]["mark"], "@");
        assert_eq!(value["users"][0]["online"], 65);
        assert_eq!(value["users"][0]["away"], "lunch");
    }
}
