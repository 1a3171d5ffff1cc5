//! The text door's renderer: hub events in, the lines a telnet/netcat user
//! reads out. Pure. The wording follows the book's client, so a chatd session
//! reads like the one in *Network Programming with Perl*. Lines end in CRLF.

mod accounts;
mod channels;
mod chat;
mod connection;
mod lists;
mod moderation;
mod prompts;
mod queries;

pub use prompts::{echo_on, help, prompt};

use std::io::Result;

use crate::door::family::{family, Family};
use crate::hub::Event;

/// The text door's renderer: telnet lines depend on the event alone, so a
/// line to a channel is rendered once for all its text-door members.
pub struct Renderer;

impl crate::engine::Render for Renderer {
    fn render(&mut self, event: &Event, out: &mut Vec<u8>) {
        render(event, out)
    }

    fn shares(&mut self, event: &Event) -> bool {
        matches!(
            event,
            Event::Public { .. } | Event::MemberJoined { .. } | Event::MemberLeft { .. }
        )
    }
}

/// Appends the text for `event` to `out`.
pub fn render(event: &Event, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    let _ = write_event(event, out);
}

/// Each family of events has its own file.
fn write_event(event: &Event, out: &mut Vec<u8>) -> Result<()> {
    match family(event) {
        Family::Account => accounts::write(event, out),
        Family::Channel => channels::write(event, out),
        Family::Chat => chat::write(event, out),
        Family::Moderation => moderation::write(event, out),
        Family::Query => queries::write(event, out),
        Family::List => lists::write(event, out),
        Family::Connection => connection::write(event, out),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::{ChannelSummary, ChatError, Member, Stamp, UserSummary};
    use std::time::Duration;

    fn text(event: Event) -> String {
        let mut out = Vec::new();
        render(&event, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn channel_list_uses_the_book_columns() {
        let list = Event::ChannelList(vec![ChannelSummary {
            name: "Weather".into(),
            description: "Talk about the weather".into(),
            users: 2,
        }]);
        assert_eq!(
            text(list),
            "[Weather]            Talk about the weather                     2 users\r\n"
        );
    }

    #[test]
    fn users_show_time_on_line_and_channels_most_recent_first() {
        let users = Event::Members {
            channel: "Weather".into(),
            members: vec![Member {
                user: UserSummary {
                    nick: "beanieboy".into(),
                    ident: "beanieboy".into(),
                    realname: "beanieboy".into(),
                    online: Duration::from_secs(5 * 60 + 24),
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
            text(users),
            "@beanieboy      (on 00:05:24) Channels: Weather Pets\r\n"
        );
    }

    #[test]
    fn messages_and_notices_read_like_the_book() {
        let public = Event::Public {
            tags: crate::model::ClientTags::NONE,
            channel: "Weather".into(),
            from: "rufus".into(),
            text: "is it true about the rain in spain?".into(),
            action: false,
            stamp: Stamp::BLANK,
        };
        assert_eq!(
            text(public),
            "rufus [Weather]: is it true about the rain in spain?\r\n"
        );
        let private = Event::Private {
            tags: crate::model::ClientTags::NONE,
            from: "wondergirl".into(),
            text: "that's for you to figure out".into(),
            action: false,
            stamp: Stamp::BLANK,
        };
        assert_eq!(
            text(private),
            "wondergirl [**private**]: that's for you to figure out\r\n"
        );
        let joined = Event::MemberJoined {
            channel: "Weather".into(),
            nick: "bayla".into(),
        };
        assert_eq!(text(joined), "<bayla has entered Weather>\r\n");
        let error = Event::Error(ChatError::NoSuchChannel("nosuch".into()));
        assert_eq!(
            text(error),
            "** ERROR: no channel named nosuch; /channels lists them, /create nosuch makes one **\r\n"
        );
    }

    #[test]
    fn join_counts_its_users() {
        let joined = |users| {
            text(Event::Joined(ChannelSummary {
                name: "Weather".into(),
                description: String::new(),
                users,
            }))
        };
        assert_eq!(joined(3), "Welcome to the Weather Channel (3 users)\r\n");
        assert_eq!(joined(1), "Welcome to the Weather Channel (1 user)\r\n");
    }
}
