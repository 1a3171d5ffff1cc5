//! What the hub's unit tests share: a [`World`] to run commands in, the usual
//! configuration, and the helpers that pick effects apart. Each test module
//! adds the commands and helpers only it needs.

use std::net::SocketAddr;
use std::time::Duration;

use super::*;
use crate::clock::{unix_seconds, Now};

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/// The channels of the usual test world, in configuration order.
pub(super) const CHANNELS: [(&str, &str); 4] = [
    ("Lobby", "Where everyone starts: say hello"),
    ("CurrentEvents", "Discussion of current events"),
    ("Weather", "Talk about the weather"),
    ("Gardening", "For those with the green thumb"),
];

pub(super) const NICK_LENGTH: usize = 12;
pub(super) const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// `channels`, in that order, permanent and with no operators; users join
/// `lobby` at login when there is one; no history and nothing saved.
pub(super) fn config_of(channels: &[(&str, &str)], lobby: Option<&str>) -> HubConfig {
    HubConfig {
        nick_length: NICK_LENGTH,
        channel_length: 32,
        saved_channels: Vec::new(),
        glines: Vec::new(),
        history: HistoryConfig::off(),
        saved_history: Vec::new(),
        // All reserved: the store writes of reservations stay out of the
        // tests of what lines do (the tests of stamps reserve their own).
        message_ids: MessageIds::resume(MessageId(0), MessageId(u64::MAX)),
        lobby: lobby.map(str::to_string),
        channels: channels
            .iter()
            .map(|(name, description)| ChannelSpec {
                name: name.to_string(),
                description: description.to_string(),
            })
            .collect(),
    }
}

/// The usual [`CHANNELS`]; see [`config_of`].
pub(super) fn config(lobby: Option<&str>) -> HubConfig {
    config_of(&CHANNELS, lobby)
}

// ---------------------------------------------------------------------------
// The world
// ---------------------------------------------------------------------------

/// Where the sessions of a [`World`] connect from.
#[derive(Clone, Copy, Debug)]
pub(super) enum Addresses {
    /// All from [`peer`].
    Shared,
    /// Session `n` from [`address`]`(n)`, so that an address ban names one
    /// person.
    OwnEach,
}

/// The address every session comes from in a world of [`Addresses::Shared`].
pub(super) fn peer() -> SocketAddr {
    "192.0.2.7:40000".parse().unwrap()
}

/// Where session `n` comes from in a world of [`Addresses::OwnEach`].
pub(super) fn address(n: u64) -> String {
    format!("192.0.2.{n}")
}

/// A hub, a clock that only moves when a test says so, and fresh session ids.
pub(super) struct World {
    pub(super) hub: Hub,
    pub(super) now: Now,
    last_id: u64,
    /// The idle timeout [`World::open`] connects with.
    pub(super) idle_timeout: Duration,
    addresses: Addresses,
}

impl World {
    /// The usual channels and no lobby: users start in no channel.
    pub(super) fn new() -> World {
        World::with(config(None))
    }

    /// Users join `Lobby` at login.
    pub(super) fn with_lobby() -> World {
        World::with(config(Some("Lobby")))
    }

    /// Sessions all come from [`peer`].
    pub(super) fn with(config: HubConfig) -> World {
        World::with_sessions(config, Addresses::Shared)
    }

    /// Sessions come from `addresses`, lasting [`IDLE_TIMEOUT`] in silence.
    pub(super) fn with_sessions(config: HubConfig, addresses: Addresses) -> World {
        World {
            hub: Hub::new(config),
            now: Now::read(),
            last_id: 0,
            idle_timeout: IDLE_TIMEOUT,
            addresses,
        }
    }

    /// Runs one command at the current time and returns what followed.
    pub(super) fn run(&mut self, from: SessionId, command: Command) -> Vec<Effect> {
        let mut effects = Vec::new();
        self.hub.handle(self.now, from, command, &mut effects);
        effects
    }

    /// A new connection's id and the effects of its `Connect` from `ip`,
    /// logged out after `idle_timeout` of silence.
    fn connect_through(&mut self, idle_timeout: Duration, ip: &str) -> (SessionId, Vec<Effect>) {
        self.last_id += 1;
        let id = SessionId(self.last_id);
        let peer: SocketAddr = format!("{ip}:40000").parse().unwrap();
        let effects = self.run(id, Command::Connect { peer, idle_timeout });
        (id, effects)
    }

    /// A new connection's id and the effects of its `Connect` from `ip`.
    pub(super) fn open_from(&mut self, ip: &str) -> (SessionId, Vec<Effect>) {
        self.connect_through(self.idle_timeout, ip)
    }

    /// A new connection that has not logged in, with its own idle timeout
    /// (as the UDP door's sessions have).
    pub(super) fn open_lasting(&mut self, idle_timeout: Duration) -> SessionId {
        let ip = match self.addresses {
            Addresses::Shared => peer().ip().to_string(),
            Addresses::OwnEach => address(self.last_id + 1),
        };
        let (id, effects) = self.connect_through(idle_timeout, &ip);
        assert!(effects.is_empty(), "connect said something: {effects:?}");
        id
    }

    /// A new connection that has not logged in.
    pub(super) fn open(&mut self) -> SessionId {
        self.open_lasting(self.idle_timeout)
    }

    pub(super) fn login_with(
        &mut self,
        id: SessionId,
        nick: &str,
        identity: Option<Identity>,
    ) -> Vec<Effect> {
        let nick = nick.to_string();
        self.run(id, Command::Login { nick, identity })
    }

    /// A guest's login.
    pub(super) fn login(&mut self, id: SessionId, nick: &str) -> Vec<Effect> {
        self.login_with(id, nick, None)
    }

    /// The login of the owner of registered `nick`, with `watch` saved.
    pub(super) fn login_identified(
        &mut self,
        id: SessionId,
        nick: &str,
        account: i64,
        watch: &[&str],
    ) -> Vec<Effect> {
        self.login_with(id, nick, Some(watching(account, watch)))
    }

    /// A new connection with its own idle timeout, logged in as a guest
    /// named `nick`.
    pub(super) fn connect_lasting(&mut self, nick: &str, idle_timeout: Duration) -> SessionId {
        let id = self.open_lasting(idle_timeout);
        let effects = self.login(id, nick);
        assert_eq!(replies(&effects), [(id, true)], "{nick}: {effects:?}");
        id
    }

    /// A new connection logged in as a guest named `nick`.
    pub(super) fn connect(&mut self, nick: &str) -> SessionId {
        self.connect_lasting(nick, self.idle_timeout)
    }

    /// A new connection logged in as the owner of registered `nick`, with
    /// `identity`.
    pub(super) fn connect_as(
        &mut self,
        nick: &str,
        identity: Identity,
    ) -> (SessionId, Vec<Effect>) {
        let id = self.open();
        let effects = self.login_with(id, nick, Some(identity));
        assert_eq!(replies(&effects), [(id, true)], "{nick}: {effects:?}");
        (id, effects)
    }

    /// [`World::connect_as`] account `account`, with `watch` saved.
    pub(super) fn connect_identified(
        &mut self,
        nick: &str,
        account: i64,
        watch: &[&str],
    ) -> (SessionId, Vec<Effect>) {
        self.connect_as(nick, watching(account, watch))
    }

    /// [`World::connect_as`] account `account`, with nothing saved.
    pub(super) fn connect_registered(&mut self, nick: &str, account: i64) -> SessionId {
        self.connect_as(nick, identity(account)).0
    }

    pub(super) fn join(&mut self, id: SessionId, channel: &str) -> Vec<Effect> {
        let channel = channel.to_string();
        self.run(id, Command::Join { channel })
    }

    /// Parts `channel`, or with `None` the current one.
    pub(super) fn part(&mut self, id: SessionId, channel: Option<&str>) -> Vec<Effect> {
        let channel = channel.map(str::to_string);
        self.run(
            id,
            Command::Part {
                channel,
                reason: None,
            },
        )
    }

    pub(super) fn say(&mut self, id: SessionId, text: &str) -> Vec<Effect> {
        self.say_as(id, text, false)
    }

    pub(super) fn say_as(&mut self, id: SessionId, text: &str, action: bool) -> Vec<Effect> {
        let text = text.to_string();
        let channel = None;
        self.run(
            id,
            Command::Say {
                tags: crate::model::ClientTags::NONE,
                channel,
                text,
                action,
            },
        )
    }

    pub(super) fn say_in(&mut self, id: SessionId, channel: &str, text: &str) -> Vec<Effect> {
        self.say_in_as(id, channel, text, false)
    }

    pub(super) fn say_in_as(
        &mut self,
        id: SessionId,
        channel: &str,
        text: &str,
        action: bool,
    ) -> Vec<Effect> {
        let (channel, text) = (Some(channel.to_string()), text.to_string());
        self.run(
            id,
            Command::Say {
                tags: crate::model::ClientTags::NONE,
                channel,
                text,
                action,
            },
        )
    }

    pub(super) fn private(&mut self, id: SessionId, to: &str, text: &str) -> Vec<Effect> {
        let (to, text) = (to.to_string(), text.to_string());
        self.run(
            id,
            Command::Private {
                tags: crate::model::ClientTags::NONE,
                to,
                text,
                action: false,
            },
        )
    }

    pub(super) fn tick(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        self.hub.tick(self.now, &mut effects);
        effects
    }

    /// Moves the clock on.
    pub(super) fn wait(&mut self, secs: u64) {
        self.now = self.now.later(Duration::from_secs(secs));
    }

    /// The current time as the store records it.
    pub(super) fn unix_now(&self) -> i64 {
        unix_seconds(self.now.wall)
    }
}

/// Account `account`'s identity, with nothing saved.
pub(super) fn identity(account: i64) -> Identity {
    Identity {
        account: AccountId(account),
        watch: Vec::new(),
        ignore: Vec::new(),
        memos: Vec::new(),
    }
}

/// Account `account`'s identity, with `watch` saved.
pub(super) fn watching(account: i64, watch: &[&str]) -> Identity {
    Identity {
        watch: watch.iter().map(|w| w.to_string()).collect(),
        ..identity(account)
    }
}

// ---------------------------------------------------------------------------
// Effects
// ---------------------------------------------------------------------------

/// `event` with its stamp (or its history lines' ids and milliseconds)
/// blanked, so that tests of what a line says compare events whole; the
/// tests of stamps read them with [`stamps_for`].
pub(super) fn unstamped(mut event: Event) -> Event {
    match &mut event {
        Event::Public { stamp, .. }
        | Event::Private { stamp, .. }
        | Event::PrivateSent { stamp, .. }
        | Event::Aside { stamp, .. }
        | Event::AsideSent { stamp, .. }
        | Event::Wallops { stamp, .. } => *stamp = Stamp::BLANK,
        Event::History { lines, .. } | Event::HistoryLines { lines, .. } => lines
            .iter_mut()
            .for_each(|l| (l.id, l.millis) = (MessageId(0), 0)),
        // Tests of who is listed compare nicknames and flags; the tests of
        // the summaries read them with [`delivered_to`].
        Event::Members { members, .. } => {
            for member in members {
                member.user = bare_summary(&member.user.nick);
            }
        }
        _ => {}
    }
    event
}

/// A summary with nothing but the nickname, as [`unstamped`] leaves members.
fn bare_summary(nick: &str) -> UserSummary {
    UserSummary {
        nick: nick.to_string(),
        ident: nick.to_string(),
        realname: nick.to_string(),
        online: Duration::ZERO,
        idle: Duration::ZERO,
        since: 0,
        channels: Vec::new(),
        away: None,
        oper: false,
    }
}

/// The member list shown after a join (`@` before an operator, `+` before
/// a voiced member), as [`events_for`] returns it.
pub(super) fn names_event(channel: &str, nicks: &[&str]) -> Event {
    members_event(channel, nicks, true)
}

/// The member list asked for, as [`events_for`] returns it.
pub(super) fn asked_names(channel: &str, nicks: &[&str]) -> Event {
    members_event(channel, nicks, false)
}

fn members_event(channel: &str, nicks: &[&str], on_join: bool) -> Event {
    let members = nicks
        .iter()
        .map(|marked| {
            let nick = marked.trim_start_matches(['@', '+']);
            Member {
                user: bare_summary(nick),
                op: marked.starts_with('@'),
                voiced: marked.starts_with('+'),
            }
        })
        .collect();
    Event::Members {
        channel: channel.to_string(),
        members,
        on_join,
    }
}

/// Members' nicknames with `@` or `+` before them, as IRC's NAMES has them.
pub(super) fn marked_nicks(members: &[Member]) -> Vec<String> {
    let mark = |m: &Member| match (m.op, m.voiced) {
        (true, _) => "@",
        (false, true) => "+",
        (false, false) => "",
    };
    members
        .iter()
        .map(|m| format!("{}{}", mark(m), m.user.nick))
        .collect()
}

/// The events delivered to `id`, in order, as the hub made them.
pub(super) fn delivered_to(effects: &[Effect], id: SessionId) -> Vec<Event> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Deliver { to, event } if *to == id => Some((**event).clone()),
            _ => None,
        })
        .collect()
}

/// The events delivered to `id`, in order, [`unstamped`].
pub(super) fn events_for(effects: &[Effect], id: SessionId) -> Vec<Event> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Deliver { to, event } if *to == id => Some(unstamped((**event).clone())),
            _ => None,
        })
        .collect()
}

/// The stamp of a chat line's event.
pub(super) fn stamp_of(event: &Event) -> Option<Stamp> {
    match *event {
        Event::Public { stamp, .. }
        | Event::Private { stamp, .. }
        | Event::PrivateSent { stamp, .. }
        | Event::Wallops { stamp, .. } => Some(stamp),
        _ => None,
    }
}

/// The stamps of the lines delivered to `id`, in order.
pub(super) fn stamps_for(effects: &[Effect], id: SessionId) -> Vec<Stamp> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Deliver { to, event } if *to == id => stamp_of(event),
            _ => None,
        })
        .collect()
}

/// Who was delivered anything, in order.
pub(super) fn recipients(effects: &[Effect]) -> Vec<SessionId> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Deliver { to, .. } => Some(*to),
            _ => None,
        })
        .collect()
}

pub(super) fn replies(effects: &[Effect]) -> Vec<(SessionId, bool)> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::LoginReply { to, accepted } => Some((*to, *accepted)),
            _ => None,
        })
        .collect()
}

pub(super) fn closed(effects: &[Effect]) -> Vec<SessionId> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Close { session } => Some(*session),
            _ => None,
        })
        .collect()
}

pub(super) type Stored = (StoreWrite, Option<(SessionId, Event)>);

pub(super) fn stores(effects: &[Effect]) -> Vec<Stored> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Store { write, ack } => Some((
                write.clone(),
                ack.as_ref().map(|(to, event)| (*to, (**event).clone())),
            )),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

pub(super) fn err(error: ChatError) -> Event {
    Event::Error(error)
}

pub(super) fn public(channel: &str, from: &str, text: &str) -> Event {
    Event::Public {
        tags: crate::model::ClientTags::NONE,
        channel: channel.into(),
        from: from.into(),
        text: text.into(),
        action: false,
        stamp: Stamp::BLANK,
    }
}

pub(super) fn closing(reason: &str) -> Event {
    Event::Closing {
        reason: reason.into(),
    }
}
