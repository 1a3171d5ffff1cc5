//! The IRC door's renderer: hub events in, IRC lines out (RFC 2812 numerics,
//! IRCv3 MONITOR). Pure, with the little state a connection's writer keeps:
//! its own nickname (numerics are addressed to it), the channels it is in
//! (a JOIN of one it is in already is not echoed), and the last QUIT (the hub
//! tells each shared channel; IRC says QUIT once). The capabilities the
//! client negotiated ([`SharedCaps`]) add tags and change a few lines.

mod accounts;
mod channels;
mod chat;
mod connection;
mod history;
mod labeled;
mod lists;
mod moderation;
mod queries;

use std::collections::HashSet;
use std::io::Write;

pub use self::accounts::{isupport, motd};
use super::cap::{Cap, CapSet, SharedCaps};
use super::tags::{self, OutTags};
use crate::clock;
use crate::door::family::{family, Family};
use crate::hub::Event;
use crate::model::{ClientTags, Stamp};

/// What the renderer says about the server.
#[derive(Clone, Debug)]
pub struct ServerInfo {
    pub name: String,
    pub network: String,
    pub version: String,
    /// Unix time the server started.
    pub created: i64,
    /// Message of the day, a line each; empty means none (ERR_NOMOTD).
    pub motd: Vec<String>,
    pub nick_length: usize,
    pub channel_length: usize,
    pub max_watch: usize,
}

pub struct Renderer {
    server: ServerInfo,
    /// What the reader has negotiated (it sets these when it reads a REQ).
    caps: SharedCaps,
    /// What this connection's lines are rendered with: `caps` as of the
    /// last line the door said itself. Every change of `caps` is followed
    /// by such a line (the ACK, the LS reply), so a capability takes
    /// effect with its ACK; and a shared line's rendering is looked up by a
    /// field here, not by a load through each receiver's own `Arc`, which
    /// at fan-out to 500 cost the hub 3 % of its time (BENCHMARKS.md).
    current: CapSet,
    nick: Option<String>,
    /// The connection's own user name (from USER), for its own mask.
    ident: Option<String>,
    joined: HashSet<String>,
    last_quit: Option<String>,
    /// Just joined: (channel, description), until its topic has been told.
    untold_topic: Option<(String, String)>,
    /// Batches opened so far: the next one's id follows.
    batches: u64,
}

/// The hub's stamp on a chat line.
fn stamp(event: &Event) -> Option<Stamp> {
    match event {
        Event::Public { stamp, .. }
        | Event::Private { stamp, .. }
        | Event::Aside { stamp, .. }
        | Event::AsideSent { stamp, .. }
        | Event::PrivateSent { stamp, .. }
        | Event::Wallops { stamp, .. } => Some(*stamp),
        _ => None,
    }
}

/// The client-only tags a chat line came with (message-tags relays them).
fn client_tags(event: &Event) -> Option<&ClientTags> {
    match event {
        Event::Public { tags, .. }
        | Event::Private { tags, .. }
        | Event::Aside { tags, .. }
        | Event::AsideSent { tags, .. }
        | Event::PrivateSent { tags, .. } => Some(tags),
        _ => None,
    }
}

/// `#Name`: chatd's channels as IRC spells them.
pub fn channel(name: &str) -> String {
    format!("#{name}")
}

/// Channel lines, joins and parts read the same for every IRC client but
/// the one who said them, so the engine renders them once per line.
impl crate::engine::Render for Renderer {
    fn render(&mut self, event: &Event, out: &mut Vec<u8>) {
        Renderer::render(self, event, out)
    }

    fn render_line(&mut self, line: &str, out: &mut Vec<u8>) {
        self.current = self.caps.get();
        let start = out.len();
        let _ = write!(out, "{line}\r\n");
        self.tag(start, None, None, out);
    }

    fn shares(&mut self, event: &Event) -> bool {
        match event {
            Event::Public { from, .. } => {
                // As `render` would: this is no QUIT to fold with the next.
                self.last_quit = None;
                Some(from.as_str()) != self.nick.as_deref()
            }
            // A notice or CTCP to a channel, as a line to one.
            Event::Aside {
                from,
                channel: Some(_),
                ..
            } => {
                self.last_quit = None;
                Some(from.as_str()) != self.nick.as_deref()
            }
            Event::MemberJoined { .. } => {
                self.last_quit = None;
                true
            }
            _ => false,
        }
    }

    fn variant(&self) -> u32 {
        self.current.bits()
    }

    fn reply(&mut self, label: &str, lines: &[u8], out: &mut Vec<u8>) {
        self.labeled(label, lines, out)
    }
}

impl Renderer {
    pub fn new(server: ServerInfo, caps: SharedCaps) -> Renderer {
        Renderer {
            server,
            current: caps.get(),
            caps,
            nick: None,
            ident: None,
            joined: HashSet::new(),
            last_quit: None,
            untold_topic: None,
            batches: 0,
        }
    }

    /// The connection's nickname, `*` before it has one.
    pub fn me(&self) -> &str {
        self.nick.as_deref().unwrap_or("*")
    }

    /// `nick!ident@server` of a user an event names by nickname only: the
    /// connection's own ident for itself, else the nickname (what the text
    /// door's users have). Hosts are not shown: the server's name stands
    /// for them.
    fn mask(&self, nick: &str) -> String {
        let ident = match (&self.ident, self.nick.as_deref()) {
            (Some(ident), Some(me)) if me == nick => ident.as_str(),
            _ => nick,
        };
        self.mask_with(nick, ident)
    }

    /// `nick!ident@server`.
    fn mask_with(&self, nick: &str, ident: &str) -> String {
        format!("{nick}!{ident}@{}", self.server.name)
    }

    /// `:server CODE me rest`.
    fn numeric(&self, out: &mut Vec<u8>, code: &str, rest: &str) {
        let _ = write!(out, ":{} {code} {} {rest}\r\n", self.server.name, self.me());
    }

    /// `:server NOTICE me :text`.
    pub fn notice(&self, out: &mut Vec<u8>, text: &str) {
        let _ = write!(
            out,
            ":{} NOTICE {} :{text}\r\n",
            self.server.name,
            self.me()
        );
    }

    /// The capabilities this connection's lines are rendered with.
    fn caps(&self) -> CapSet {
        self.current
    }

    /// Appends the lines for `event` to `out`, with the tags the client's
    /// capabilities ask for on each.
    pub fn render(&mut self, event: &Event, out: &mut Vec<u8>) {
        let start = out.len();
        self.render_lines(event, out);
        self.tag(start, stamp(event), client_tags(event), out);
    }

    /// Puts the tags the client's capabilities ask for on each line of
    /// `out[start..]`, said with `stamp` (a chat line) or now, and the
    /// client-only tags it came with. Per capability variant, not per
    /// receiver: a shared line is tagged once for all who read it alike.
    fn tag(
        &self,
        start: usize,
        stamp: Option<Stamp>,
        relayed: Option<&ClientTags>,
        out: &mut Vec<u8>,
    ) {
        let mut tags = OutTags::new();
        if self.caps().has(Cap::ServerTime) {
            // A chat line has the hub's time; any other line is of now.
            let at = stamp.map_or_else(clock::wall_now, |stamp| stamp.at);
            tags.add("time", &tags::server_time(at));
        }
        if let Some(stamp) = stamp.filter(|_| self.caps().has(Cap::MessageTags)) {
            tags.add("msgid", &stamp.id.to_string());
        }
        if let Some(relayed) = relayed.filter(|_| self.caps().has(Cap::MessageTags)) {
            tags.relay(relayed);
        }
        if tags.is_empty() || out.len() == start {
            return;
        }
        let lines = out.split_off(start);
        for line in String::from_utf8_lossy(&lines).split_terminator("\r\n") {
            let _ = write!(out, "{}\r\n", tags.apply(line));
        }
    }

    /// The lines for `event`: each family of events has its own file.
    fn render_lines(&mut self, event: &Event, out: &mut Vec<u8>) {
        let quit_before = self.last_quit.take();
        match family(event) {
            Family::Account => self.render_accounts(event, out),
            Family::Channel => self.render_channels(event, quit_before, out),
            Family::Chat => self.render_chat(event, out),
            Family::Moderation => self.render_moderation(event, out),
            Family::Query => self.render_queries(event, out),
            Family::List => self.render_lists(event, out),
            Family::Connection => self.render_connection(event, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::{ChannelSummary, ChatError, Departure, ListKind, Member, Stamp, UserSummary};
    use std::time::Duration;

    fn renderer() -> Renderer {
        renderer_with(SharedCaps::default())
    }

    fn renderer_with(caps: SharedCaps) -> Renderer {
        Renderer::new(
            ServerInfo {
                name: "chatd.test".into(),
                network: "ChatNet".into(),
                version: "chatd-0.1.0".into(),
                created: 0,
                motd: vec!["hello".into()],
                nick_length: 30,
                channel_length: 32,
                max_watch: 100,
            },
            caps,
        )
    }

    fn lines(r: &mut Renderer, event: Event) -> Vec<String> {
        let mut out = Vec::new();
        r.render(&event, &mut out);
        String::from_utf8(out)
            .unwrap()
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn logged_in(nick: &str) -> Renderer {
        let mut r = renderer();
        lines(
            &mut r,
            Event::LoggedIn {
                nick: nick.into(),
                ident: nick.into(),
            },
        );
        r
    }

    #[test]
    fn welcome_has_001_to_005_and_the_motd() {
        let mut r = renderer();
        let welcome = lines(
            &mut r,
            Event::LoggedIn {
                nick: "alice".into(),
                ident: "alice".into(),
            },
        );
        let codes: Vec<&str> = welcome
            .iter()
            .map(|l| l.split(' ').nth(1).unwrap())
            .collect();
        assert_eq!(
            codes,
            ["001", "002", "003", "004", "005", "375", "372", "376"]
        );
        assert!(welcome[0].starts_with(":chatd.test 001 alice :Welcome to the ChatNet"));
        assert!(welcome[4].contains("CASEMAPPING=ascii"), "{}", welcome[4]);
        assert!(welcome[4].contains("NICKLEN=30"));
    }

    #[test]
    fn joining_echoes_join_topic_then_names() {
        let mut r = logged_in("alice");
        let joined = Event::Joined(ChannelSummary {
            name: "Weather".into(),
            description: "Talk about the weather".into(),
            users: 2,
        });
        assert_eq!(
            lines(&mut r, joined.clone()),
            [":alice!alice@chatd.test JOIN #Weather"]
        );
        assert!(lines(&mut r, joined).is_empty(), "no second JOIN echo");
        let member = |nick: &str, op| Member {
            user: UserSummary {
                nick: nick.into(),
                ident: nick.into(),
                realname: nick.into(),
                online: Duration::ZERO,
                idle: Duration::ZERO,
                since: 0,
                channels: vec!["Weather".into()],
                away: None,
                oper: false,
            },
            op,
            voiced: false,
        };
        let names = Event::Members {
            channel: "Weather".into(),
            members: vec![member("alice", true), member("bob", false)],
            on_join: true,
        };
        // No topic was set: the description stands in, before the names.
        assert_eq!(
            lines(&mut r, names),
            [
                ":chatd.test 332 alice #Weather :Talk about the weather",
                ":chatd.test 353 alice = #Weather :@alice bob",
                ":chatd.test 366 alice #Weather :End of /NAMES list."
            ]
        );
    }

    #[test]
    fn one_quit_for_many_shared_channels() {
        let mut r = logged_in("alice");
        let left = |c: &str| Event::MemberLeft {
            channel: c.into(),
            nick: "bob".into(),
            why: Departure::Quit(Some("bye".into())),
        };
        assert_eq!(
            lines(&mut r, left("Weather")),
            [":bob!bob@chatd.test QUIT :Quit: bye"]
        );
        assert!(lines(&mut r, left("Pets")).is_empty());
    }

    #[test]
    fn own_public_lines_are_not_echoed_and_actions_are_ctcp() {
        let mut r = logged_in("alice");
        let say = |from: &str, action| Event::Public {
            tags: crate::model::ClientTags::NONE,
            channel: "Weather".into(),
            from: from.into(),
            text: "waves".into(),
            action,
            stamp: Stamp::BLANK,
        };
        assert!(lines(&mut r, say("alice", false)).is_empty());
        assert_eq!(
            lines(&mut r, say("bob", true)),
            [":bob!bob@chatd.test PRIVMSG #Weather :\u{1}ACTION waves\u{1}"]
        );
    }

    #[test]
    fn server_time_is_the_hubs_time_of_the_line_and_echo_is_asked_for() {
        use crate::door::irc::cap::Negotiation;
        use crate::model::MessageId;
        use std::time::UNIX_EPOCH;
        let mut caps = Negotiation::default();
        caps.handle("REQ", "server-time echo-message");
        let mut r = renderer_with(caps.shared());
        lines(
            &mut r,
            Event::LoggedIn {
                nick: "alice".into(),
                ident: "alice".into(),
            },
        );
        let stamp = Stamp {
            id: MessageId(7),
            at: UNIX_EPOCH + Duration::from_millis(1_318_092_051_620),
        };
        let own = Event::Public {
            tags: crate::model::ClientTags::NONE,
            channel: "Weather".into(),
            from: "alice".into(),
            text: "hi".into(),
            action: false,
            stamp,
        };
        assert_eq!(
            lines(&mut r, own),
            ["@time=2011-10-08T16:40:51.620Z :alice!alice@chatd.test PRIVMSG #Weather :hi"]
        );
        assert_eq!(crate::engine::Render::variant(&r), caps.enabled().bits());
    }

    #[test]
    fn errors_become_numerics() {
        let mut r = logged_in("alice");
        let error = |r: &mut Renderer, e| lines(r, Event::Error(e));
        assert_eq!(
            error(&mut r, ChatError::NoSuchNick("carl".into())),
            [":chatd.test 401 alice carl :No such nick/channel"]
        );
        assert_eq!(
            error(&mut r, ChatError::NoSuchChannel("#nosuch".into())),
            [":chatd.test 403 alice #nosuch :No such channel"]
        );
        assert_eq!(
            error(&mut r, ChatError::NotInChannel("Pets".into())),
            [":chatd.test 442 alice #Pets :You're not on that channel"]
        );
        let mut fresh = renderer();
        assert_eq!(
            error(&mut fresh, ChatError::NickInUse("bob".into())),
            [":chatd.test 433 * bob :Nickname is already in use"]
        );
    }

    /// Issue 13: a full SILENCE list is not a full MONITOR list.
    #[test]
    fn each_full_list_has_its_own_numeric() {
        let mut r = logged_in("alice");
        let full = |r: &mut Renderer, list| {
            let nick = "bob".to_string();
            lines(
                r,
                Event::Error(ChatError::ListFull {
                    list,
                    max: 100,
                    nick,
                }),
            )
        };
        assert_eq!(
            full(&mut r, ListKind::Watch),
            [":chatd.test 734 alice 100 bob :Monitor list is full."]
        );
        assert_eq!(
            full(&mut r, ListKind::Ignore),
            [":chatd.test 511 alice bob :Your silence list is full"]
        );
    }

    #[test]
    fn whois_lines_end_with_318() {
        let mut r = logged_in("alice");
        let whois = Event::Whois(UserSummary {
            nick: "bob".into(),
            ident: "bob".into(),
            realname: "bob".into(),
            online: Duration::from_secs(60),
            idle: Duration::from_secs(5),
            since: 1000,
            channels: vec!["Weather".into()],
            away: Some("lunch".into()),
            oper: false,
        });
        let codes: Vec<String> = lines(&mut r, whois)
            .iter()
            .map(|l| l.split(' ').nth(1).unwrap().to_string())
            .collect();
        assert_eq!(codes, ["311", "319", "312", "301", "317", "318"]);
    }

    #[test]
    fn nick_changes_follow_our_own_nick() {
        let mut r = logged_in("alice");
        let changed = Event::NickChanged {
            old: "alice".into(),
            new: "alicia".into(),
        };
        assert_eq!(
            lines(&mut r, changed),
            [":alice!alice@chatd.test NICK :alicia"]
        );
        assert_eq!(r.me(), "alicia");
    }
}
