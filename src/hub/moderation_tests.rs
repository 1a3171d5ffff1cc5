//! Unit tests of the hub's moderation rules (channels people run, server
//! operators): commands in, effects out, no sockets. Every new command and
//! each of its errors; what is saved, what is announced and to whom; and what
//! `Hub::new` puts back from the database.

use super::test_support::{
    address, closed, closing, config_of, err, events_for, marked_nicks, names_event, public,
    recipients, replies, stores, unstamped, Addresses, World,
};
use super::*;
use crate::model::{ChannelRecord, Gline, MaskEntry, Stamp, Topic};

// ---------------------------------------------------------------------------
// Helpers (after the shared ones of test_support.rs, a few for moderation)
// ---------------------------------------------------------------------------

/// chat.toml's channels in every test world: permanent, with no operators.
const CHANNELS: [(&str, &str); 2] = [
    ("Lobby", "Where everyone starts: say hello"),
    ("Weather", "Talk about the weather"),
];

fn config() -> HubConfig {
    HubConfig {
        channel_length: 16,
        ..config_of(&CHANNELS, None)
    }
}

/// A world of `config` whose people come over IRC, each from their own
/// address (see [`address`]).
fn world_with(config: HubConfig) -> World {
    World::with_sessions(config, Addresses::OwnEach)
}

fn world() -> World {
    world_with(config())
}

impl World {
    /// A guest who is a server operator.
    fn oper(&mut self, nick: &str) -> SessionId {
        let id = self.connect(nick);
        let effects = self.run(id, Command::Oper { name: nick.into() });
        assert_eq!(events_for(&effects, id), [Event::YouAreOper]);
        id
    }

    fn create(&mut self, id: SessionId, channel: &str, description: &str) -> Vec<Effect> {
        self.run(
            id,
            Command::Create {
                channel: channel.into(),
                description: description.into(),
            },
        )
    }

    fn join_with(&mut self, id: SessionId, channel: &str, key: Option<&str>) -> Vec<Effect> {
        self.run(
            id,
            Command::JoinWith {
                channel: channel.into(),
                key: key.map(str::to_string),
                create: false,
            },
        )
    }

    /// IRC's JOIN: an unknown name makes a transient channel.
    fn irc_join(&mut self, id: SessionId, channel: &str) -> Vec<Effect> {
        self.run(
            id,
            Command::JoinWith {
                channel: channel.into(),
                key: None,
                create: true,
            },
        )
    }

    fn mode(&mut self, id: SessionId, channel: &str, changes: Vec<ModeChange>) -> Vec<Effect> {
        self.run(
            id,
            Command::Mode {
                channel: channel.into(),
                changes,
            },
        )
    }

    fn topic(&mut self, id: SessionId, channel: &str, text: &str) -> Vec<Effect> {
        self.run(
            id,
            Command::SetTopic {
                channel: Some(channel.into()),
                text: text.into(),
            },
        )
    }

    fn kick(
        &mut self,
        id: SessionId,
        channel: &str,
        nick: &str,
        reason: Option<&str>,
    ) -> Vec<Effect> {
        self.run(
            id,
            Command::Kick {
                channel: Some(channel.into()),
                nick: nick.into(),
                reason: reason.map(str::to_string),
            },
        )
    }

    fn invite(&mut self, id: SessionId, nick: &str, channel: &str) -> Vec<Effect> {
        self.run(
            id,
            Command::Invite {
                nick: nick.into(),
                channel: Some(channel.into()),
            },
        )
    }

    /// The nicknames NAMES gives `id` for `channel`.
    fn nicks_in(&mut self, id: SessionId, channel: &str) -> Vec<String> {
        let effects = self.run(
            id,
            Command::Names {
                channel: Some(channel.into()),
                unknown_is_empty: false,
            },
        );
        match events_for(&effects, id).as_slice() {
            [Event::Members { members, .. }] => marked_nicks(members),
            other => panic!("NAMES {channel}: {other:?}"),
        }
    }

    /// The channels `id` sees listed, by name.
    fn listed(&mut self, id: SessionId) -> Vec<String> {
        let effects = self.run(id, Command::ListChannels { only: None });
        match events_for(&effects, id).as_slice() {
            [Event::ChannelList(list)] => list.iter().map(|c| c.name.clone()).collect(),
            other => panic!("LIST: {other:?}"),
        }
    }

    /// Alice (account 1) creates "Books" and Bob (account 2, registered) and
    /// Carol (a guest) join it; nobody but Alice is an operator.
    fn books() -> (World, SessionId, SessionId, SessionId) {
        let mut w = world();
        let alice = w.connect_registered("alice", 1);
        let bob = w.connect_registered("bob", 2);
        let carol = w.connect("carol");
        w.create(alice, "Books", "About books");
        for id in [bob, carol] {
            assert_joined(&w.join(id, "Books"), id, "Books");
        }
        (w, alice, bob, carol)
    }
}

fn plus(mode: ChannelMode) -> ModeChange {
    ModeChange { add: true, mode }
}

fn minus(mode: ChannelMode) -> ModeChange {
    ModeChange { add: false, mode }
}

/// Who got `event`, in order.
fn receivers(effects: &[Effect], event: &Event) -> Vec<SessionId> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Deliver { to, event: e } if unstamped((**e).clone()) == *event => Some(*to),
            _ => None,
        })
        .collect()
}

/// The channel records saved, in order.
fn saved(effects: &[Effect]) -> Vec<ChannelRecord> {
    stores(effects)
        .into_iter()
        .filter_map(|(write, _)| match write {
            StoreWrite::SaveChannel(record) => Some(*record),
            _ => None,
        })
        .collect()
}

/// The one channel record saved.
fn saved_one(effects: &[Effect]) -> ChannelRecord {
    match saved(effects).as_slice() {
        [record] => record.clone(),
        other => panic!("expected one SaveChannel, got {other:?} in {effects:?}"),
    }
}

/// The one error `id` got.
fn error_for(effects: &[Effect], id: SessionId) -> ChatError {
    match events_for(effects, id).as_slice() {
        [Event::Error(error)] => error.clone(),
        other => panic!("expected one error, got {other:?}"),
    }
}

#[track_caller]
fn assert_joined(effects: &[Effect], id: SessionId, channel: &str) {
    assert!(
        events_for(effects, id)
            .iter()
            .any(|e| matches!(e, Event::Joined(c) if c.name == channel)),
        "expected {id:?} to join {channel}: {effects:?}"
    );
}

fn mode_changed(channel: &str, by: &str, modes: &str, params: &[&str]) -> Event {
    Event::ModeChanged {
        channel: channel.into(),
        by: by.into(),
        modes: modes.into(),
        params: params.iter().map(|p| p.to_string()).collect(),
    }
}

fn books_record(at: i64) -> ChannelRecord {
    ChannelRecord {
        name: "Books".into(),
        description: "About books".into(),
        founder: Some(AccountId(1)),
        created_at: at,
        topic: None,
        modes: "+nt".into(),
        key: None,
        limit: None,
        ops: Vec::new(),
        bans: Vec::new(),
        invite_exceptions: Vec::new(),
    }
}

// ---------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------

#[test]
fn create_needs_a_registered_nickname() {
    let mut w = world();
    let guest = w.connect("guest");
    let effects = w.create(guest, "Books", "About books");
    assert_eq!(
        events_for(&effects, guest),
        [err(ChatError::MustBeRegistered)]
    );
    assert!(stores(&effects).is_empty());
    assert!(!w.listed(guest).contains(&"Books".to_string()));
}

#[test]
fn create_refuses_a_bad_name() {
    let mut w = world();
    let alice = w.connect_registered("alice", 1);
    for bad in ["two words", "semi;colon", "", "#", "much-too-long-a-name"] {
        let effects = w.create(alice, bad, "");
        assert!(
            matches!(error_for(&effects, alice), ChatError::BadChannelName(_)),
            "{bad:?}: {effects:?}"
        );
        assert!(stores(&effects).is_empty());
    }
}

#[test]
fn create_refuses_a_name_that_exists() {
    let mut w = world();
    let alice = w.connect_registered("alice", 1);
    let bob = w.connect_registered("bob", 2);
    for taken in ["Weather", "#weather", "LOBBY"] {
        let effects = w.create(alice, taken, "");
        assert!(
            matches!(error_for(&effects, alice), ChatError::ChannelExists(_)),
            "{taken}: {effects:?}"
        );
    }
    w.create(alice, "Books", "About books");
    let effects = w.create(bob, "#books", "mine now");
    assert_eq!(
        events_for(&effects, bob),
        [err(ChatError::ChannelExists("Books".into()))]
    );
    assert!(stores(&effects).is_empty());
}

#[test]
fn create_saves_the_channel_acknowledges_once_saved_and_joins_its_founder() {
    let mut w = world();
    let alice = w.connect_registered("alice", 1);
    let effects = w.create(alice, "#Books", "About books");
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::SaveChannel(Box::new(books_record(w.unix_now()))),
            Some((
                alice,
                Event::ChannelCreated {
                    channel: "Books".into()
                }
            ))
        )]
    );
    // The confirmation comes from the store; the join at once.
    assert_eq!(
        events_for(&effects, alice),
        [
            Event::Joined(ChannelSummary {
                name: "Books".into(),
                description: "About books".into(),
                users: 1,
            }),
            names_event("Books", &["@alice"]),
        ]
    );
    assert_eq!(w.listed(alice), ["Lobby", "Weather", "Books"]);
    let effects = w.run(alice, Command::ListChannels { only: None });
    match events_for(&effects, alice).as_slice() {
        [Event::ChannelList(list)] => assert_eq!(list[2].description, "About books"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_created_channel_stays_when_everyone_has_left() {
    let mut w = world();
    let alice = w.connect_registered("alice", 1);
    w.create(alice, "Books", "");
    w.part(alice, Some("Books"));
    assert_joined(&w.join(alice, "Books"), alice, "Books");
}

#[test]
fn create_takes_over_a_transient_channel_its_operator_runs() {
    let mut w = world();
    let alice = w.connect_registered("alice", 1);
    let bob = w.connect_registered("bob", 2);
    w.irc_join(alice, "#tmp");
    w.join(bob, "tmp");
    let effects = w.create(bob, "tmp", "");
    assert_eq!(
        events_for(&effects, bob),
        [err(ChatError::ChannelExists("tmp".into()))],
        "only its operator can make it kept"
    );
    let effects = w.create(alice, "tmp", "Temporary no more");
    let record = saved_one(&effects);
    assert_eq!(record.founder, Some(AccountId(1)));
    assert_eq!(record.description, "Temporary no more");
    for id in [alice, bob] {
        w.part(id, Some("tmp"));
    }
    assert_joined(&w.join(bob, "tmp"), bob, "tmp");
}

// ---------------------------------------------------------------------------
// Drop
// ---------------------------------------------------------------------------

#[test]
fn a_permanent_channel_cannot_be_dropped() {
    let mut w = world();
    let alice = w.connect_registered("alice", 1);
    let root = w.oper("root");
    for id in [alice, root] {
        let effects = w.run(
            id,
            Command::Drop {
                channel: "weather".into(),
            },
        );
        assert_eq!(
            events_for(&effects, id),
            [err(ChatError::PermanentChannel("Weather".into()))]
        );
        assert!(stores(&effects).is_empty());
    }
}

#[test]
fn only_the_founder_drops_a_channel() {
    let (mut w, alice, bob, carol) = World::books();
    w.mode(alice, "Books", vec![plus(ChannelMode::Op("bob".into()))]);
    for id in [bob, carol] {
        let effects = w.run(
            id,
            Command::Drop {
                channel: "Books".into(),
            },
        );
        assert_eq!(
            events_for(&effects, id),
            [err(ChatError::NotFounder("Books".into()))],
            "even an operator is not the founder"
        );
        assert!(stores(&effects).is_empty());
    }
    let effects = w.run(
        alice,
        Command::Drop {
            channel: "nosuch".into(),
        },
    );
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::NoSuchChannel("nosuch".into()))]
    );
}

#[test]
fn the_founder_drops_a_channel_and_its_members_are_out_of_it() {
    let (mut w, alice, bob, carol) = World::books();
    w.join(carol, "Weather");
    let effects = w.run(
        alice,
        Command::Drop {
            channel: "books".into(),
        },
    );
    let dropped = Event::ChannelDropped {
        channel: "Books".into(),
        by: "alice".into(),
    };
    assert_eq!(receivers(&effects, &dropped), [alice, bob, carol]);
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::DropChannel {
                name: "Books".into()
            },
            None
        )]
    );
    assert!(!w.listed(alice).contains(&"Books".to_string()));
    assert_eq!(
        events_for(&w.join(bob, "Books"), bob),
        [err(ChatError::NoSuchChannel("Books".into()))]
    );
    // Alice was only in Books; Carol's current channel is Weather again.
    assert_eq!(
        events_for(&w.say(alice, "hello?"), alice),
        [err(ChatError::NoCurrentChannel)]
    );
    let effects = w.say(carol, "still here");
    assert_eq!(
        events_for(&effects, carol),
        [public("Weather", "carol", "still here")]
    );
    // The name is free again.
    let effects = w.create(bob, "Books", "");
    assert_eq!(saved_one(&effects).founder, Some(AccountId(2)));
}

#[test]
fn a_server_operator_may_drop_any_made_channel() {
    let (mut w, _alice, bob, _carol) = World::books();
    let root = w.oper("root");
    let effects = w.run(
        root,
        Command::Drop {
            channel: "Books".into(),
        },
    );
    let dropped = Event::ChannelDropped {
        channel: "Books".into(),
        by: "root".into(),
    };
    assert!(receivers(&effects, &dropped).contains(&bob));
    assert!(!w.listed(root).contains(&"Books".to_string()));
}

// ---------------------------------------------------------------------------
// Topic
// ---------------------------------------------------------------------------

#[test]
fn plus_t_keeps_the_topic_for_operators() {
    let (mut w, alice, bob, carol) = World::books();
    let effects = w.topic(bob, "Books", "mine");
    assert_eq!(
        events_for(&effects, bob),
        [err(ChatError::ChanOpPrivsNeeded("Books".into()))]
    );
    assert!(stores(&effects).is_empty());

    let effects = w.topic(alice, "#books", "Dune this month");
    let set = Event::TopicSet {
        channel: "Books".into(),
        by: "alice".into(),
        text: "Dune this month".into(),
    };
    assert_eq!(receivers(&effects, &set), [alice, bob, carol]);
    let at = w.unix_now();
    assert_eq!(
        saved_one(&effects).topic,
        Some(Topic {
            text: "Dune this month".into(),
            set_by: "alice".into(),
            at,
        })
    );
    let effects = w.run(carol, Command::Topic { channel: None });
    assert_eq!(
        events_for(&effects, carol),
        [
            Event::Topic {
                channel: "Books".into(),
                topic: "Dune this month".into()
            },
            Event::TopicWho {
                channel: "Books".into(),
                set_by: "alice".into(),
                at
            },
        ]
    );
    // -t: anyone in it may.
    w.mode(alice, "Books", vec![minus(ChannelMode::TopicOps)]);
    let effects = w.topic(carol, "Books", "anything goes");
    assert_eq!(saved_one(&effects).topic.unwrap().set_by, "carol");
}

#[test]
fn the_topic_is_shown_on_join_before_the_names() {
    let (mut w, alice, _bob, _carol) = World::books();
    w.topic(alice, "Books", "Dune");
    let at = w.unix_now();
    let dave = w.connect("dave");
    let effects = w.join(dave, "Books");
    assert_eq!(
        events_for(&effects, dave),
        [
            Event::Joined(ChannelSummary {
                name: "Books".into(),
                description: "About books".into(),
                users: 4,
            }),
            Event::Topic {
                channel: "Books".into(),
                topic: "Dune".into()
            },
            Event::TopicWho {
                channel: "Books".into(),
                set_by: "alice".into(),
                at
            },
            names_event("Books", &["@alice", "bob", "carol", "dave"]),
        ]
    );
}

#[test]
fn an_empty_topic_clears_it() {
    let (mut w, alice, bob, _carol) = World::books();
    w.topic(alice, "Books", "Dune");
    let effects = w.topic(alice, "Books", "");
    let cleared = Event::TopicSet {
        channel: "Books".into(),
        by: "alice".into(),
        text: String::new(),
    };
    assert!(receivers(&effects, &cleared).contains(&bob));
    assert_eq!(saved_one(&effects).topic, None);
    // Back to the description, without a setter.
    let effects = w.run(
        bob,
        Command::Topic {
            channel: Some("books".into()),
        },
    );
    assert_eq!(
        events_for(&effects, bob),
        [Event::Topic {
            channel: "Books".into(),
            topic: "About books".into()
        }]
    );
    let dave = w.connect("dave");
    let effects = w.join(dave, "Books");
    assert!(
        !events_for(&effects, dave)
            .iter()
            .any(|e| matches!(e, Event::Topic { .. } | Event::TopicWho { .. })),
        "{effects:?}"
    );
}

#[test]
fn topic_errors() {
    let (mut w, _alice, _bob, _carol) = World::books();
    let dave = w.connect("dave");
    assert_eq!(
        error_for(&w.topic(dave, "Books", "hi"), dave),
        ChatError::NotInChannel("Books".into())
    );
    assert_eq!(
        error_for(&w.topic(dave, "nosuch", "hi"), dave),
        ChatError::NoSuchChannel("nosuch".into())
    );
    let effects = w.run(
        dave,
        Command::SetTopic {
            channel: None,
            text: "hi".into(),
        },
    );
    assert_eq!(error_for(&effects, dave), ChatError::NoCurrentChannel);
    assert_eq!(
        error_for(&w.run(dave, Command::Topic { channel: None }), dave),
        ChatError::NoCurrentChannel
    );
    let effects = w.run(
        dave,
        Command::Topic {
            channel: Some("nosuch".into()),
        },
    );
    assert_eq!(
        error_for(&effects, dave),
        ChatError::NoSuchChannel("nosuch".into())
    );
}

#[test]
fn anyone_in_a_permanent_channel_may_set_its_topic_and_it_is_saved() {
    let mut w = world();
    let carol = w.connect("carol");
    w.join(carol, "Weather");
    let effects = w.topic(carol, "Weather", "Rain");
    let record = saved_one(&effects);
    assert_eq!(record.name, "Weather");
    assert_eq!(record.founder, None);
    assert_eq!(record.topic.unwrap().text, "Rain");
}

// ---------------------------------------------------------------------------
// Modes
// ---------------------------------------------------------------------------

#[test]
fn mode_query_shows_flags_and_parameters_and_the_key_only_to_members() {
    let (mut w, alice, bob, _carol) = World::books();
    let query = |w: &mut World, id| {
        let effects = w.mode(id, "books", Vec::new());
        events_for(&effects, id)
    };
    assert_eq!(
        query(&mut w, bob),
        [Event::ChannelModes {
            channel: "Books".into(),
            modes: "+nt".into(),
            params: vec![],
        }]
    );
    w.mode(
        alice,
        "Books",
        vec![
            plus(ChannelMode::Key(Some("sesame".into()))),
            plus(ChannelMode::Limit(Some(10))),
        ],
    );
    assert_eq!(
        query(&mut w, bob),
        [Event::ChannelModes {
            channel: "Books".into(),
            modes: "+klnt".into(),
            params: vec!["sesame".into(), "10".into()],
        }]
    );
    let dave = w.connect("dave");
    assert_eq!(
        query(&mut w, dave),
        [Event::ChannelModes {
            channel: "Books".into(),
            modes: "+klnt".into(),
            params: vec!["10".into()],
        }]
    );
    // The text door's `/mode` names no channel: the current one.
    let effects = w.mode(bob, "", Vec::new());
    assert!(matches!(
        events_for(&effects, bob).as_slice(),
        [Event::ChannelModes { channel, .. }] if channel == "Books"
    ));
    assert_eq!(
        error_for(&w.mode(dave, "", Vec::new()), dave),
        ChatError::NoCurrentChannel
    );
    assert_eq!(
        error_for(&w.mode(dave, "nosuch", Vec::new()), dave),
        ChatError::NoSuchChannel("nosuch".into())
    );
}

#[test]
fn changing_modes_needs_an_operator() {
    let (mut w, _alice, bob, carol) = World::books();
    for change in [
        plus(ChannelMode::InviteOnly),
        plus(ChannelMode::Op("bob".into())),
        plus(ChannelMode::Voice("carol".into())),
        plus(ChannelMode::Ban("x!*@*".into())),
        minus(ChannelMode::TopicOps),
    ] {
        let effects = w.mode(bob, "Books", vec![change]);
        assert_eq!(effects.len(), 1, "one error and nothing else: {effects:?}");
        assert_eq!(
            error_for(&effects, bob),
            ChatError::ChanOpPrivsNeeded("Books".into())
        );
    }
    // Nothing changed.
    assert_eq!(w.nicks_in(carol, "Books"), ["@alice", "bob", "carol"]);
}

#[test]
fn mode_changes_are_announced_with_the_letters_and_parameters_applied() {
    let (mut w, alice, bob, carol) = World::books();
    let effects = w.mode(
        alice,
        "Books",
        vec![
            plus(ChannelMode::InviteOnly),
            plus(ChannelMode::Key(Some("sesame".into()))),
            plus(ChannelMode::Limit(Some(5))),
            plus(ChannelMode::Op("bob".into())),
            minus(ChannelMode::TopicOps),
            plus(ChannelMode::Voice("carol".into())),
        ],
    );
    let changed = mode_changed(
        "Books",
        "alice",
        "+iklo-t+v",
        &["sesame", "5", "bob", "carol"],
    );
    assert_eq!(receivers(&effects, &changed), [alice, bob, carol]);
    let record = saved_one(&effects);
    assert_eq!(record.modes, "+ikln");
    assert_eq!(record.key.as_deref(), Some("sesame"));
    assert_eq!(record.limit, Some(5));
    assert_eq!(record.ops, [AccountId(2)]);

    // Flags already so are not announced, nor saved.
    let effects = w.mode(
        alice,
        "Books",
        vec![plus(ChannelMode::NoOutside), plus(ChannelMode::Moderated)],
    );
    assert_eq!(
        receivers(&effects, &mode_changed("Books", "alice", "+m", &[])),
        [alice, bob, carol]
    );
    let effects = w.mode(
        alice,
        "Books",
        vec![plus(ChannelMode::NoOutside), minus(ChannelMode::TopicOps)],
    );
    assert!(effects.is_empty(), "nothing changed: {effects:?}");

    // Unsetting the key shows `*`; the limit, nothing.
    let effects = w.mode(
        alice,
        "Books",
        vec![
            minus(ChannelMode::Key(None)),
            minus(ChannelMode::Limit(None)),
            minus(ChannelMode::InviteOnly),
        ],
    );
    assert_eq!(
        receivers(&effects, &mode_changed("Books", "alice", "-kli", &["*"])),
        [alice, bob, carol]
    );
    let record = saved_one(&effects);
    assert_eq!(
        (record.modes.as_str(), record.key, record.limit),
        ("+mn", None, None)
    );
}

#[test]
fn a_bad_mode_is_refused_and_the_others_still_apply() {
    let (mut w, alice, bob, _carol) = World::books();
    w.connect("dave");
    let effects = w.mode(
        alice,
        "Books",
        vec![
            plus(ChannelMode::Op("nobody".into())),
            plus(ChannelMode::Op("dave".into())),
            plus(ChannelMode::Secret),
        ],
    );
    assert_eq!(
        events_for(&effects, alice),
        [
            err(ChatError::NoSuchNick("nobody".into())),
            err(ChatError::UserNotInChannel {
                nick: "dave".into(),
                channel: "Books".into()
            }),
            mode_changed("Books", "alice", "+s", &[]),
        ]
    );
    assert!(receivers(&effects, &mode_changed("Books", "alice", "+s", &[])).contains(&bob));
    // A missing parameter, or a key or limit that can't be, is refused with
    // what it needs, never silently (issue #17); an empty mask is the list.
    let effects = w.mode(
        alice,
        "Books",
        vec![
            plus(ChannelMode::Op(String::new())),
            plus(ChannelMode::Ban(String::new())),
            plus(ChannelMode::Key(None)),
            plus(ChannelMode::Key(Some("two words".into()))),
            plus(ChannelMode::Limit(Some(0))),
            plus(ChannelMode::Limit(None)),
        ],
    );
    let needs = |mode, what| err(ChatError::ModeNeedsParameter { mode, what });
    let key = "a key without spaces, as in /mode +k <key>";
    let limit = "a number of users above 0, as in /mode +l 20";
    assert_eq!(
        events_for(&effects, alice),
        [
            needs('o', "a nickname, as in /mode +o <nick>"),
            needs('k', key),
            needs('k', key),
            needs('l', limit),
            needs('l', limit),
        ]
    );
    assert_eq!(effects.len(), 5, "only the errors: {effects:?}");
}

#[test]
fn plus_o_in_a_kept_channel_is_kept_by_account() {
    let (mut w, alice, bob, carol) = World::books();
    let effects = w.mode(alice, "Books", vec![plus(ChannelMode::Op("BOB".into()))]);
    assert_eq!(
        receivers(&effects, &mode_changed("Books", "alice", "+o", &["bob"])),
        [alice, bob, carol]
    );
    assert_eq!(saved_one(&effects).ops, [AccountId(2)]);
    assert_eq!(w.nicks_in(carol, "Books"), ["@alice", "@bob", "carol"]);
    // Bob comes back on another connection: still an operator.
    w.run(bob, Command::Quit { message: None });
    let bob = w.connect_registered("bob", 2);
    w.join(bob, "Books");
    assert_eq!(w.nicks_in(carol, "Books"), ["@alice", "carol", "@bob"]);
    assert_eq!(
        events_for(&w.kick(bob, "Books", "carol", None), carol),
        [
            Event::Kicked {
                channel: "Books".into(),
                nick: "carol".into(),
                by: "bob".into(),
                reason: None
            },
            // Told where her lines go now, as /part would (issue #17).
            Event::CurrentChannel(None)
        ]
    );
    // -o takes it away, on disk too.
    let effects = w.mode(alice, "Books", vec![minus(ChannelMode::Op("bob".into()))]);
    assert!(saved_one(&effects).ops.is_empty());
    assert_eq!(w.nicks_in(alice, "Books"), ["@alice", "bob"]);
}

#[test]
fn plus_o_of_a_guest_lasts_as_long_as_their_session() {
    let (mut w, alice, _bob, carol) = World::books();
    let effects = w.mode(alice, "Books", vec![plus(ChannelMode::Op("carol".into()))]);
    assert!(saved_one(&effects).ops.is_empty(), "a guest has no account");
    assert_eq!(w.nicks_in(alice, "Books"), ["@alice", "bob", "@carol"]);
    w.part(carol, Some("Books"));
    w.join(carol, "Books");
    assert_eq!(w.nicks_in(alice, "Books"), ["@alice", "bob", "carol"]);
}

#[test]
fn plus_o_in_a_transient_channel_is_kept_by_session() {
    let mut w = world();
    let alice = w.connect_registered("alice", 1);
    let bob = w.connect_registered("bob", 2);
    w.irc_join(alice, "#tmp");
    w.irc_join(bob, "#tmp");
    let effects = w.mode(alice, "tmp", vec![plus(ChannelMode::Op("bob".into()))]);
    assert!(
        stores(&effects).is_empty(),
        "a transient channel is not saved"
    );
    assert_eq!(w.nicks_in(alice, "tmp"), ["@alice", "@bob"]);
    w.part(bob, Some("tmp"));
    w.irc_join(bob, "#tmp");
    assert_eq!(w.nicks_in(alice, "tmp"), ["@alice", "bob"]);
}

#[test]
fn plus_v_lets_a_member_speak_in_a_moderated_channel() {
    let (mut w, alice, bob, carol) = World::books();
    w.mode(alice, "Books", vec![plus(ChannelMode::Moderated)]);
    assert_eq!(
        error_for(&w.say(carol, "hello"), carol),
        ChatError::CannotSendToChan("Books".into())
    );
    assert_eq!(
        error_for(&w.say_in(bob, "#Books", "me too"), bob),
        ChatError::CannotSendToChan("Books".into())
    );
    // Operators may.
    let effects = w.say(alice, "order");
    assert_eq!(
        receivers(&effects, &public("Books", "alice", "order")),
        [alice, bob, carol]
    );
    let effects = w.mode(
        alice,
        "Books",
        vec![plus(ChannelMode::Voice("carol".into()))],
    );
    assert!(
        receivers(&effects, &mode_changed("Books", "alice", "+v", &["carol"])).contains(&carol)
    );
    assert!(saved_one(&effects).ops.is_empty(), "voice is not kept");
    assert_eq!(w.nicks_in(bob, "Books"), ["@alice", "bob", "+carol"]);
    let effects = w.say(carol, "thanks");
    assert_eq!(
        receivers(&effects, &public("Books", "carol", "thanks")),
        [alice, bob, carol]
    );
    w.mode(
        alice,
        "Books",
        vec![minus(ChannelMode::Voice("carol".into()))],
    );
    assert_eq!(
        error_for(&w.say(carol, "again"), carol),
        ChatError::CannotSendToChan("Books".into())
    );
    // -m: everyone again.
    w.mode(alice, "Books", vec![minus(ChannelMode::Moderated)]);
    assert!(!receivers(&w.say(bob, "free"), &public("Books", "bob", "free")).is_empty());
}

#[test]
fn plus_b_with_a_nickname_bans_an_account_an_address_or_a_nickname() {
    let (mut w, alice, bob, carol) = World::books();
    let carol_mask = format!("*!*@{}", address(carol.0));
    let effects = w.mode(
        alice,
        "Books",
        vec![
            plus(ChannelMode::Ban("Bob".into())),
            plus(ChannelMode::Ban("carol".into())),
            plus(ChannelMode::Ban("dave".into())),
            plus(ChannelMode::Ban("eve!*@203.0.113.*".into())),
        ],
    );
    let changed = mode_changed(
        "Books",
        "alice",
        "+bbbb",
        &["$a:bob", &carol_mask, "dave!*@*", "eve!*@203.0.113.*"],
    );
    assert_eq!(receivers(&effects, &changed), [alice, bob, carol]);
    let at = w.unix_now();
    let entry = |mask: &str| MaskEntry {
        mask: mask.into(),
        set_by: "alice".into(),
        at,
    };
    let bans = vec![
        entry("$a:bob"),
        entry(&carol_mask),
        entry("dave!*@*"),
        entry("eve!*@203.0.113.*"),
    ];
    assert_eq!(saved_one(&effects).bans, bans);
    let effects = w.run(
        carol,
        Command::MaskList {
            channel: "Books".into(),
            kind: MaskKind::Bans,
        },
    );
    assert_eq!(
        events_for(&effects, carol),
        [Event::MaskList {
            channel: "Books".into(),
            kind: MaskKind::Bans,
            entries: bans,
        }]
    );
    // A ban keeps out, it doesn't put out.
    assert_eq!(w.nicks_in(alice, "Books"), ["@alice", "bob", "carol"]);
    for id in [bob, carol] {
        w.part(id, Some("Books"));
        assert_eq!(
            error_for(&w.join(id, "Books"), id),
            ChatError::BannedFromChan("Books".into())
        );
    }
    let dave = w.connect("Dave");
    assert_eq!(
        error_for(&w.join(dave, "books"), dave),
        ChatError::BannedFromChan("Books".into())
    );
    // Banned again: nothing new. Lifted: in again.
    let effects = w.mode(
        alice,
        "Books",
        vec![plus(ChannelMode::Ban("dave!*@*".into()))],
    );
    assert!(effects.is_empty(), "{effects:?}");
    let effects = w.mode(
        alice,
        "Books",
        vec![minus(ChannelMode::Ban("DAVE!*@*".into()))],
    );
    assert!(receivers(
        &effects,
        &mode_changed("Books", "alice", "-b", &["dave!*@*"])
    )
    .contains(&alice));
    assert_eq!(saved_one(&effects).bans.len(), 3);
    assert_joined(&w.join(dave, "Books"), dave, "Books");
    // By nickname again: Bob is registered, so it is his account.
    w.mode(alice, "Books", vec![minus(ChannelMode::Ban("bob".into()))]);
    assert_joined(&w.join(bob, "Books"), bob, "Books");
}

#[test]
fn plus_i_invite_exceptions_let_people_in_past_bans_and_plus_i() {
    let (mut w, alice, bob, carol) = World::books();
    for id in [bob, carol] {
        w.part(id, Some("Books"));
    }
    let effects = w.mode(
        alice,
        "Books",
        vec![
            plus(ChannelMode::Ban("*!*@192.0.2.*".into())),
            plus(ChannelMode::InviteException("bob".into())),
        ],
    );
    assert!(receivers(
        &effects,
        &mode_changed("Books", "alice", "+bI", &["*!*@192.0.2.*", "$a:bob"])
    )
    .contains(&alice));
    assert_eq!(
        saved_one(&effects)
            .invite_exceptions
            .iter()
            .map(|e| e.mask.as_str())
            .collect::<Vec<_>>(),
        ["$a:bob"]
    );
    assert_eq!(
        error_for(&w.join(carol, "Books"), carol),
        ChatError::BannedFromChan("Books".into())
    );
    assert_joined(&w.join(bob, "Books"), bob, "Books");
    w.part(bob, Some("Books"));

    // +i: the exception is as good as an invitation.
    w.mode(
        alice,
        "Books",
        vec![
            minus(ChannelMode::Ban("*!*@192.0.2.*".into())),
            plus(ChannelMode::InviteOnly),
        ],
    );
    assert_eq!(
        error_for(&w.join(carol, "Books"), carol),
        ChatError::InviteOnlyChan("Books".into())
    );
    assert_joined(&w.join(bob, "Books"), bob, "Books");
    let effects = w.run(
        carol,
        Command::MaskList {
            channel: "books".into(),
            kind: MaskKind::InviteExceptions,
        },
    );
    match events_for(&effects, carol).as_slice() {
        [Event::MaskList { kind, entries, .. }] => {
            assert_eq!(*kind, MaskKind::InviteExceptions);
            assert_eq!(entries.len(), 1);
            assert_eq!(entries[0].mask, "$a:bob");
        }
        other => panic!("{other:?}"),
    }
    let effects = w.mode(
        alice,
        "Books",
        vec![minus(ChannelMode::InviteException("$a:bob".into()))],
    );
    assert!(saved_one(&effects).invite_exceptions.is_empty());
}

#[test]
fn mask_list_of_an_unknown_channel_is_no_such_channel() {
    let mut w = world();
    let carol = w.connect("carol");
    let effects = w.run(
        carol,
        Command::MaskList {
            channel: "nosuch".into(),
            kind: MaskKind::Bans,
        },
    );
    assert_eq!(
        error_for(&effects, carol),
        ChatError::NoSuchChannel("nosuch".into())
    );
    let effects = w.run(
        carol,
        Command::MaskList {
            channel: String::new(),
            kind: MaskKind::Bans,
        },
    );
    assert_eq!(error_for(&effects, carol), ChatError::NoCurrentChannel);
}

#[test]
fn plus_i_keeps_out_whoever_is_not_invited() {
    let (mut w, alice, _bob, _carol) = World::books();
    w.mode(alice, "Books", vec![plus(ChannelMode::InviteOnly)]);
    let dave = w.connect("dave");
    let effects = w.join(dave, "Books");
    assert_eq!(effects.len(), 1, "{effects:?}");
    assert_eq!(
        error_for(&effects, dave),
        ChatError::InviteOnlyChan("Books".into())
    );
    assert_eq!(
        error_for(&w.join_with(dave, "Books", None), dave),
        ChatError::InviteOnlyChan("Books".into())
    );
}

#[test]
fn plus_k_needs_the_key() {
    let (mut w, alice, _bob, _carol) = World::books();
    w.mode(
        alice,
        "Books",
        vec![plus(ChannelMode::Key(Some("sesame".into())))],
    );
    let dave = w.connect("dave");
    // No key at all is told it needs one, not that it was wrong (issue #17).
    assert_eq!(
        error_for(&w.join_with(dave, "Books", None), dave),
        ChatError::ChannelNeedsKey("Books".into())
    );
    for key in [Some("wrong"), Some("SESAME")] {
        assert_eq!(
            error_for(&w.join_with(dave, "Books", key), dave),
            ChatError::BadChannelKey("Books".into()),
            "{key:?}"
        );
    }
    assert_eq!(
        error_for(&w.join(dave, "Books"), dave),
        ChatError::ChannelNeedsKey("Books".into())
    );
    assert_joined(&w.join_with(dave, "Books", Some("sesame")), dave, "Books");
}

#[test]
fn plus_l_keeps_out_whoever_would_be_one_too_many() {
    let (mut w, alice, _bob, _carol) = World::books();
    w.mode(alice, "Books", vec![plus(ChannelMode::Limit(Some(3)))]);
    let dave = w.connect("dave");
    assert_eq!(
        error_for(&w.join(dave, "Books"), dave),
        ChatError::ChannelIsFull("Books".into())
    );
    w.mode(alice, "Books", vec![plus(ChannelMode::Limit(Some(4)))]);
    assert_joined(&w.join(dave, "Books"), dave, "Books");
}

#[test]
fn plus_n_keeps_out_lines_from_outside() {
    let (mut w, alice, bob, carol) = World::books();
    let dave = w.connect("dave");
    assert_eq!(
        error_for(&w.say_in(dave, "Books", "hi from outside"), dave),
        ChatError::CannotSendToChan("Books".into())
    );
    w.mode(alice, "Books", vec![minus(ChannelMode::NoOutside)]);
    let effects = w.say_in(dave, "#books", "hi from outside");
    assert_eq!(
        receivers(&effects, &public("Books", "dave", "hi from outside")),
        [alice, bob, carol],
        "members hear it; the outsider is not in it"
    );
    assert_eq!(
        error_for(&w.say_in(dave, "nosuch", "hi"), dave),
        ChatError::NoSuchChannel("nosuch".into())
    );
}

#[test]
fn plus_s_hides_a_channel_from_the_list_but_not_from_its_members() {
    let (mut w, alice, bob, _carol) = World::books();
    let dave = w.connect("dave");
    let root = w.oper("root");
    w.mode(alice, "Books", vec![plus(ChannelMode::Secret)]);
    assert_eq!(w.listed(dave), ["Lobby", "Weather"]);
    assert_eq!(w.listed(bob), ["Lobby", "Weather", "Books"]);
    assert_eq!(w.listed(root), ["Lobby", "Weather", "Books"]);
    // Not listed is not closed: it can still be joined by name.
    assert_joined(&w.join(dave, "Books"), dave, "Books");
    assert_eq!(w.listed(dave), ["Lobby", "Weather", "Books"]);
    w.mode(alice, "Books", vec![minus(ChannelMode::Secret)]);
    let eve = w.connect("eve");
    assert_eq!(w.listed(eve), ["Lobby", "Weather", "Books"]);
}

fn ctcp(w: &mut World, id: SessionId, to: Target, text: &str, kind: Aside) -> Vec<Effect> {
    let text = text.to_string();
    w.run(
        id,
        Command::Aside {
            tags: crate::model::ClientTags::NONE,
            to,
            text,
            kind,
        },
    )
}

fn aside_in(from: &str, channel: &str, text: &str, kind: Aside) -> Event {
    Event::Aside {
        tags: crate::model::ClientTags::NONE,
        from: from.into(),
        channel: Some(channel.into()),
        text: text.into(),
        kind,
        stamp: Stamp::BLANK,
    }
}

#[test]
fn plus_c_refuses_ctcp_but_lets_actions_through() {
    let (mut w, alice, bob, carol) = World::books();
    w.mode(alice, "Books", vec![plus(ChannelMode::NoCtcp)]);
    let books = || Target::Channel("Books".into());
    for id in [alice, carol] {
        let effects = ctcp(&mut w, id, books(), "VERSION", Aside::Ctcp);
        assert_eq!(
            error_for(&effects, id),
            ChatError::CannotSendToChan("Books".into())
        );
    }
    // A refused CTCP reply is dropped without a word, as a notice is.
    let effects = ctcp(&mut w, carol, books(), "VERSION x", Aside::CtcpReply);
    assert!(effects.is_empty(), "{effects:?}");
    // /me is talk, and a notice is no CTCP.
    let effects = w.say_in_as(bob, "Books", "dances", true);
    assert_eq!(recipients(&effects), [alice, bob, carol]);
    let effects = ctcp(&mut w, carol, books(), "hello", Aside::Notice);
    assert_eq!(
        receivers(
            &effects,
            &aside_in("carol", "Books", "hello", Aside::Notice)
        ),
        [alice, bob]
    );
}

#[test]
fn ctcp_and_notices_reach_a_channel_but_the_sender_and_are_not_kept() {
    let (mut w, alice, bob, carol) = World::books();
    let effects = ctcp(
        &mut w,
        carol,
        Target::Channel("books".into()),
        "PING 123",
        Aside::Ctcp,
    );
    assert_eq!(
        receivers(
            &effects,
            &aside_in("carol", "Books", "PING 123", Aside::Ctcp)
        ),
        [alice, bob]
    );
    assert!(stores(&effects).is_empty(), "not kept: {effects:?}");
}

#[test]
fn a_notice_is_never_answered_a_ctcp_request_is() {
    let (mut w, alice, _bob, carol) = World::books();
    let dave = w.connect("dave");
    w.mode(alice, "Books", vec![plus(ChannelMode::Moderated)]);
    let books = || Target::Channel("Books".into());
    for kind in [Aside::Notice, Aside::CtcpReply] {
        let quiet = [
            ctcp(&mut w, carol, books(), "hi", kind),
            ctcp(&mut w, dave, books(), "hi", kind),
            ctcp(&mut w, dave, Target::Channel("Nosuch".into()), "hi", kind),
            ctcp(&mut w, dave, Target::Nick("nobody".into()), "hi", kind),
            ctcp(&mut w, dave, Target::Nick("carol".into()), "", kind),
        ];
        for effects in quiet {
            assert!(effects.is_empty(), "{kind:?}: {effects:?}");
        }
    }
    let effects = ctcp(
        &mut w,
        dave,
        Target::Nick("nobody".into()),
        "VERSION",
        Aside::Ctcp,
    );
    assert_eq!(
        error_for(&effects, dave),
        ChatError::NoSuchNick("nobody".into())
    );
    let effects = ctcp(&mut w, dave, books(), "VERSION", Aside::Ctcp);
    assert_eq!(
        error_for(&effects, dave),
        ChatError::CannotSendToChan("Books".into())
    );
}

#[test]
fn a_private_notice_skips_memos_away_replies_and_ignorers() {
    let (mut w, alice, bob, _carol) = World::books();
    w.run(
        bob,
        Command::Away {
            message: Some("lunch".into()),
        },
    );
    let effects = ctcp(
        &mut w,
        alice,
        Target::Nick("BOB".into()),
        "psst",
        Aside::Notice,
    );
    let notice = Event::Aside {
        tags: crate::model::ClientTags::NONE,
        from: "alice".into(),
        channel: None,
        text: "psst".into(),
        kind: Aside::Notice,
        stamp: Stamp::BLANK,
    };
    assert_eq!(receivers(&effects, &notice), [bob]);
    // Only her own copy (for echo-message), no away reply.
    let own = |text: &str, kind| Event::AsideSent {
        to: Target::Nick("bob".into()),
        text: text.into(),
        kind,
        stamp: Stamp::BLANK,
        tags: crate::model::ClientTags::NONE,
    };
    assert_eq!(events_for(&effects, alice), [own("psst", Aside::Notice)]);
    w.run(bob, Command::Ignore(Watch::Add("alice".into())));
    let effects = ctcp(
        &mut w,
        alice,
        Target::Nick("bob".into()),
        "VERSION",
        Aside::Ctcp,
    );
    // Ignored: bob hears nothing, and alice is not told.
    assert_eq!(
        events_for(&effects, alice),
        [own("VERSION", Aside::Ctcp)],
        "{effects:?}"
    );
    assert!(events_for(&effects, bob).is_empty(), "{effects:?}");
}

#[test]
fn operators_go_past_bans_invitations_keys_and_limits() {
    let (mut w, alice, bob, _carol) = World::books();
    let root = w.oper("root");
    w.mode(alice, "Books", vec![plus(ChannelMode::Op("bob".into()))]);
    w.part(alice, Some("Books"));
    w.part(bob, Some("Books"));
    w.mode(
        bob,
        "Books",
        vec![
            plus(ChannelMode::InviteOnly),
            plus(ChannelMode::Key(Some("k".into()))),
            plus(ChannelMode::Limit(Some(1))),
            plus(ChannelMode::Ban("*!*@*".into())),
            plus(ChannelMode::Ban("$a:alice".into())),
        ],
    );
    for id in [alice, bob, root] {
        assert_joined(&w.join(id, "Books"), id, "Books");
    }
    let dave = w.connect("dave");
    assert_eq!(
        error_for(&w.join_with(dave, "Books", Some("k")), dave),
        ChatError::BannedFromChan("Books".into()),
        "the ban is checked first"
    );
}

// ---------------------------------------------------------------------------
// JoinWith: transient channels
// ---------------------------------------------------------------------------

#[test]
fn irc_join_of_a_new_name_makes_a_transient_channel_run_by_its_first_member() {
    let mut w = world();
    let carol = w.connect("carol");
    let effects = w.irc_join(carol, "#Fresh");
    assert_eq!(
        events_for(&effects, carol),
        [
            Event::Joined(ChannelSummary {
                name: "Fresh".into(),
                description: String::new(),
                users: 1,
            }),
            names_event("Fresh", &["@carol"]),
        ]
    );
    assert!(stores(&effects).is_empty(), "transient: not saved");
    let dave = w.connect("dave");
    w.irc_join(dave, "#fresh");
    assert_eq!(w.nicks_in(dave, "Fresh"), ["@carol", "dave"]);
    // The operator runs it like any other.
    let effects = w.mode(carol, "#fresh", vec![plus(ChannelMode::Moderated)]);
    assert!(receivers(&effects, &mode_changed("Fresh", "carol", "+m", &[])).contains(&dave));
    assert!(stores(&effects).is_empty());
    let effects = w.topic(carol, "#fresh", "new");
    assert!(stores(&effects).is_empty());
    let stats = |w: &mut World| match events_for(&w.run(carol, Command::Stats), carol).as_slice() {
        [Event::Stats { channels, .. }] => *channels,
        other => panic!("{other:?}"),
    };
    assert_eq!(stats(&mut w), 3);
    // It goes with its last member.
    w.part(carol, Some("Fresh"));
    assert_eq!(w.listed(dave), ["Lobby", "Weather", "Fresh"]);
    w.run(dave, Command::Quit { message: None });
    assert_eq!(w.listed(carol), ["Lobby", "Weather"]);
    assert_eq!(stats(&mut w), 2);
    assert_eq!(
        error_for(&w.join(carol, "Fresh"), carol),
        ChatError::NoSuchChannel("Fresh".into())
    );
    // Made again, it is new: the first member runs it.
    w.irc_join(carol, "#fresh");
    assert_eq!(w.nicks_in(carol, "fresh"), ["@carol"]);
}

#[test]
fn join_with_an_unknown_name_makes_nothing_unless_asked_to() {
    let mut w = world();
    let carol = w.connect("carol");
    assert_eq!(
        error_for(&w.join_with(carol, "nosuch", Some("key")), carol),
        ChatError::NoSuchChannel("nosuch".into())
    );
    assert!(matches!(
        error_for(&w.irc_join(carol, "#bad name"), carol),
        ChatError::BadChannelName(_)
    ));
    assert_eq!(w.listed(carol), ["Lobby", "Weather"]);
}

#[test]
fn a_kicked_last_member_takes_a_transient_channel_with_them() {
    let mut w = world();
    let carol = w.connect("carol");
    let root = w.oper("root");
    w.irc_join(carol, "#tmp");
    w.kick(root, "tmp", "carol", Some("bye"));
    assert_eq!(w.listed(root), ["Lobby", "Weather"]);
}

// ---------------------------------------------------------------------------
// Kick
// ---------------------------------------------------------------------------

#[test]
fn kick_puts_a_member_out_and_tells_everyone_in_it() {
    let (mut w, alice, bob, carol) = World::books();
    let effects = w.kick(alice, "#Books", "BOB", Some("too loud"));
    let kicked = Event::Kicked {
        channel: "Books".into(),
        nick: "bob".into(),
        by: "alice".into(),
        reason: Some("too loud".into()),
    };
    assert_eq!(receivers(&effects, &kicked), [alice, bob, carol]);
    assert_eq!(w.nicks_in(alice, "Books"), ["@alice", "carol"]);
    assert_eq!(
        error_for(&w.say(bob, "hey"), bob),
        ChatError::NoCurrentChannel
    );
    assert!(stores(&effects).is_empty());
    // He may come back: a kick is not a ban.
    assert_joined(&w.join(bob, "Books"), bob, "Books");
    // The current channel; without a reason, none is made up.
    let effects = w.run(
        alice,
        Command::Kick {
            channel: None,
            nick: "carol".into(),
            reason: None,
        },
    );
    assert!(receivers(
        &effects,
        &Event::Kicked {
            channel: "Books".into(),
            nick: "carol".into(),
            by: "alice".into(),
            reason: None,
        }
    )
    .contains(&carol));
}

#[test]
fn kick_errors() {
    let (mut w, alice, bob, _carol) = World::books();
    let dave = w.connect("dave");
    let effects = w.kick(bob, "Books", "carol", None);
    assert_eq!(effects.len(), 1, "{effects:?}");
    assert_eq!(
        error_for(&effects, bob),
        ChatError::ChanOpPrivsNeeded("Books".into())
    );
    assert_eq!(
        error_for(&w.kick(alice, "Books", "dave", None), alice),
        ChatError::UserNotInChannel {
            nick: "dave".into(),
            channel: "Books".into()
        }
    );
    assert_eq!(
        error_for(&w.kick(alice, "Books", "nobody", None), alice),
        ChatError::NoSuchNick("nobody".into())
    );
    assert_eq!(
        error_for(&w.kick(alice, "nosuch", "bob", None), alice),
        ChatError::NoSuchChannel("nosuch".into())
    );
    let effects = w.run(
        dave,
        Command::Kick {
            channel: None,
            nick: "bob".into(),
            reason: None,
        },
    );
    assert_eq!(error_for(&effects, dave), ChatError::NoCurrentChannel);
    // In a permanent channel nobody but server operators is an operator.
    w.join(bob, "Weather");
    w.join(dave, "Weather");
    assert_eq!(
        error_for(&w.kick(bob, "Weather", "dave", None), bob),
        ChatError::ChanOpPrivsNeeded("Weather".into())
    );
}

#[test]
fn a_server_operator_may_kick_from_any_channel() {
    let (mut w, _alice, bob, _carol) = World::books();
    let root = w.oper("root");
    let effects = w.kick(root, "Books", "bob", Some("spam"));
    assert!(receivers(
        &effects,
        &Event::Kicked {
            channel: "Books".into(),
            nick: "bob".into(),
            by: "root".into(),
            reason: Some("spam".into()),
        }
    )
    .contains(&bob));
}

// ---------------------------------------------------------------------------
// Invite
// ---------------------------------------------------------------------------

#[test]
fn an_invitation_lets_one_into_an_invite_only_channel_once() {
    let (mut w, alice, _bob, _carol) = World::books();
    w.mode(alice, "Books", vec![plus(ChannelMode::InviteOnly)]);
    let dave = w.connect("dave");
    let effects = w.invite(alice, "DAVE", "#books");
    assert_eq!(
        events_for(&effects, dave),
        [Event::Invited {
            channel: "Books".into(),
            by: "alice".into()
        }]
    );
    assert_eq!(
        events_for(&effects, alice),
        [Event::Inviting {
            nick: "dave".into(),
            channel: "Books".into()
        }]
    );
    assert_joined(&w.join(dave, "Books"), dave, "Books");
    w.part(dave, Some("Books"));
    assert_eq!(
        error_for(&w.join(dave, "Books"), dave),
        ChatError::InviteOnlyChan("Books".into()),
        "the invitation was used up"
    );
}

#[test]
fn invite_errors() {
    let (mut w, alice, bob, _carol) = World::books();
    let dave = w.connect("dave");
    let eve = w.connect("eve");
    assert_eq!(
        error_for(&w.invite(dave, "eve", "Books"), dave),
        ChatError::NotInChannel("Books".into())
    );
    assert_eq!(
        error_for(&w.invite(bob, "nobody", "Books"), bob),
        ChatError::NoSuchNick("nobody".into())
    );
    assert_eq!(
        error_for(&w.invite(bob, "carol", "Books"), bob),
        ChatError::UserOnChannel {
            nick: "carol".into(),
            channel: "Books".into()
        }
    );
    assert_eq!(
        error_for(&w.invite(bob, "eve", "nosuch"), bob),
        ChatError::NoSuchChannel("nosuch".into())
    );
    let effects = w.run(
        dave,
        Command::Invite {
            nick: "eve".into(),
            channel: None,
        },
    );
    assert_eq!(error_for(&effects, dave), ChatError::NoCurrentChannel);
    // Without +i any member may invite; with it only operators.
    let effects = w.invite(bob, "eve", "Books");
    assert!(!events_for(&effects, eve).is_empty());
    w.mode(alice, "Books", vec![plus(ChannelMode::InviteOnly)]);
    let effects = w.invite(bob, "dave", "Books");
    assert_eq!(effects.len(), 1, "{effects:?}");
    assert_eq!(
        error_for(&effects, bob),
        ChatError::ChanOpPrivsNeeded("Books".into())
    );
    assert_eq!(
        error_for(&w.join(dave, "Books"), dave),
        ChatError::InviteOnlyChan("Books".into())
    );
    // Eve's invitation from before +i still holds.
    assert_joined(&w.join(eve, "Books"), eve, "Books");
}

// ---------------------------------------------------------------------------
// Server operators: Oper, Kill, Wallops, Gline, Ungline, Whois
// ---------------------------------------------------------------------------

#[test]
fn server_operator_commands_need_a_server_operator() {
    let (mut w, alice, bob, _carol) = World::books();
    for command in [
        Command::Kill {
            nick: "bob".into(),
            reason: "x".into(),
        },
        Command::Wallops { text: "hi".into() },
        Command::Gline {
            mask: "bob".into(),
            reason: "x".into(),
        },
        Command::Ungline {
            mask: "bob!*@*".into(),
        },
    ] {
        let effects = w.run(alice, command.clone());
        assert_eq!(effects.len(), 1, "{command:?}: {effects:?}");
        assert_eq!(
            error_for(&effects, alice),
            ChatError::NoPrivileges,
            "{command:?}"
        );
    }
    // Bob is still here and nobody is banned.
    assert_eq!(w.nicks_in(bob, "Books"), ["@alice", "bob", "carol"]);
    let (_, effects) = w.open_from(&address(bob.0));
    assert!(effects.is_empty());
}

#[test]
fn oper_makes_a_server_operator() {
    let mut w = world();
    let root = w.connect("root");
    let effects = w.run(
        root,
        Command::Oper {
            name: "admin".into(),
        },
    );
    assert_eq!(events_for(&effects, root), [Event::YouAreOper]);
}

#[test]
fn kill_closes_the_target_with_the_reason() {
    let (mut w, alice, bob, carol) = World::books();
    let root = w.oper("root");
    let effects = w.run(
        root,
        Command::Kill {
            nick: "BOB".into(),
            reason: "spamming".into(),
        },
    );
    let why = "Killed by root (spamming)";
    assert_eq!(events_for(&effects, bob), [closing(why)]);
    assert_eq!(closed(&effects), [bob]);
    let left = Event::MemberLeft {
        channel: "Books".into(),
        nick: "bob".into(),
        why: Departure::Lost(why.into()),
    };
    assert_eq!(receivers(&effects, &left), [alice, carol]);
    assert!(events_for(&effects, root).is_empty());
    assert!(matches!(
        stores(&effects).as_slice(),
        [(
            StoreWrite::Logout {
                account: AccountId(2),
                ..
            },
            None
        )]
    ));
    assert_eq!(w.nicks_in(alice, "Books"), ["@alice", "carol"]);
    let effects = w.run(
        root,
        Command::Kill {
            nick: "bob".into(),
            reason: "again".into(),
        },
    );
    assert_eq!(
        events_for(&effects, root),
        [err(ChatError::NoSuchNick("bob".into()))]
    );
}

#[test]
fn wallops_reaches_everyone_logged_in() {
    let (mut w, alice, bob, carol) = World::books();
    let root = w.oper("root");
    let lurker = w.open();
    let effects = w.run(
        root,
        Command::Wallops {
            text: "restart at noon".into(),
        },
    );
    let wall = Event::Wallops {
        from: "root".into(),
        text: "restart at noon".into(),
        stamp: Stamp::BLANK,
    };
    let mut got = receivers(&effects, &wall);
    got.sort();
    assert_eq!(got, [alice, bob, carol, root]);
    assert!(events_for(&effects, lurker).is_empty());
}

#[test]
fn gline_puts_out_whoever_it_names_and_refuses_their_address_at_connect() {
    let (mut w, alice, bob, carol) = World::books();
    let root = w.oper("root");
    let mask = format!("*!*@{}", address(carol.0));
    let effects = w.run(
        root,
        Command::Gline {
            mask: "carol".into(),
            reason: "spam".into(),
        },
    );
    let at = w.unix_now();
    assert_eq!(
        stores(&effects)[0],
        (
            StoreWrite::AddGline(Gline {
                mask: mask.clone(),
                reason: "spam".into(),
                set_by: "root".into(),
                at,
            }),
            Some((
                root,
                Event::Notice(format!("{mask} is banned from the server: spam"))
            ))
        )
    );
    assert_eq!(
        events_for(&effects, carol),
        [closing("Banned from this server: spam")]
    );
    assert_eq!(closed(&effects), [carol]);
    assert_eq!(w.nicks_in(alice, "Books"), ["@alice", "bob"]);
    assert!(events_for(&effects, bob).iter().all(|e| matches!(
        e,
        Event::MemberLeft { nick, .. } if nick == "carol"
    )));

    // Her address is refused at the door, with the reason.
    let (again, effects) = w.open_from(&address(carol.0));
    assert_eq!(
        events_for(&effects, again),
        [closing("You are banned from this server: spam")]
    );
    assert_eq!(closed(&effects), [again]);
    assert!(
        w.login(again, "carol2").is_empty(),
        "the hub forgot the session"
    );
    // Anyone else comes in.
    let (_, effects) = w.open_from("198.51.100.1");
    assert!(effects.is_empty());
}

#[test]
fn gline_of_a_nickname_or_an_account_is_refused_at_login() {
    let mut w = world();
    let root = w.oper("root");
    for (mask, reason) in [("troll!*@*", "trolling"), ("$a:mallory", "abuse")] {
        let effects = w.run(
            root,
            Command::Gline {
                mask: mask.into(),
                reason: reason.into(),
            },
        );
        assert!(matches!(
            stores(&effects).as_slice(),
            [(StoreWrite::AddGline(g), Some(_))] if g.mask == mask
        ));
    }
    let troll = w.open();
    let effects = w.login(troll, "TROLL");
    assert_eq!(
        events_for(&effects, troll),
        [closing("You are banned from this server: trolling")]
    );
    assert_eq!(replies(&effects), [(troll, false)]);
    assert_eq!(closed(&effects), [troll]);

    let mallory = w.open();
    let effects = w.login_identified(mallory, "mallory", 7, &[]);
    assert_eq!(
        events_for(&effects, mallory),
        [closing("You are banned from this server: abuse")]
    );
    assert_eq!(replies(&effects), [(mallory, false)]);
    assert_eq!(closed(&effects), [mallory]);
    // Nobody else is touched: a guest's nickname is not an account.
    let other = w.open();
    assert_eq!(replies(&w.login(other, "malloryx")), [(other, true)]);
}

#[test]
fn gline_of_a_registered_nickname_on_line_bans_the_account() {
    let (mut w, _alice, bob, _carol) = World::books();
    let root = w.oper("root");
    let effects = w.run(
        root,
        Command::Gline {
            mask: "Bob".into(),
            reason: "abuse".into(),
        },
    );
    assert!(matches!(
        stores(&effects).as_slice(),
        [(StoreWrite::AddGline(g), _), ..] if g.mask == "$a:bob"
    ));
    assert_eq!(closed(&effects), [bob]);
    // His address is not banned; his account is.
    let (again, effects) = w.open_from(&address(bob.0));
    assert!(effects.is_empty());
    assert_eq!(
        replies(&w.login_identified(again, "bob", 2, &[])),
        [(again, false)]
    );
}

#[test]
fn ungline_lifts_a_server_ban() {
    let mut w = world();
    let root = w.oper("root");
    w.run(
        root,
        Command::Gline {
            mask: "*!*@203.0.113.5".into(),
            reason: "spam".into(),
        },
    );
    let (_, effects) = w.open_from("203.0.113.5");
    assert_eq!(closed(&effects).len(), 1);
    let effects = w.run(
        root,
        Command::Ungline {
            mask: "*!*@203.0.113.5".into(),
        },
    );
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::RemoveGline {
                mask: "*!*@203.0.113.5".into()
            },
            Some((
                root,
                Event::Notice("*!*@203.0.113.5 is no longer banned from the server".into())
            ))
        )]
    );
    let (_, effects) = w.open_from("203.0.113.5");
    assert!(effects.is_empty());
    let effects = w.run(
        root,
        Command::Ungline {
            mask: "*!*@203.0.113.5".into(),
        },
    );
    assert_eq!(
        events_for(&effects, root),
        [err(ChatError::Server(
            "no server ban on *!*@203.0.113.5".into()
        ))]
    );
    assert!(stores(&effects).is_empty());
}

#[test]
fn gline_of_a_bare_address_bans_the_address() {
    let mut w = world();
    let root = w.oper("root");
    let effects = w.run(
        root,
        Command::Gline {
            mask: "203.0.113.5".into(),
            reason: "spam".into(),
        },
    );
    assert!(
        matches!(
            stores(&effects).as_slice(),
            [(StoreWrite::AddGline(g), _)] if g.mask == "*!*@203.0.113.5"
        ),
        "{effects:?}"
    );
    let (_, effects) = w.open_from("203.0.113.5");
    assert_eq!(closed(&effects).len(), 1, "{effects:?}");
}

#[test]
fn whois_by_a_server_operator_shows_the_address() {
    let (mut w, alice, bob, _carol) = World::books();
    let root = w.oper("root");
    let effects = w.run(root, Command::Whois { nick: "BOB".into() });
    let events = events_for(&effects, root);
    assert!(matches!(&events[0], Event::Whois(u) if u.nick == "bob"));
    assert_eq!(
        events[1..],
        [Event::WhoisAddress {
            nick: "bob".into(),
            address: format!("{}:40000", address(bob.0)),
        }]
    );
    let effects = w.run(alice, Command::Whois { nick: "bob".into() });
    let events = events_for(&effects, alice);
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(matches!(&events[0], Event::Whois(_)));
}

// ---------------------------------------------------------------------------
// What the database kept comes back
// ---------------------------------------------------------------------------

fn entry(mask: &str, at: i64) -> MaskEntry {
    MaskEntry {
        mask: mask.into(),
        set_by: "alice".into(),
        at,
    }
}

fn restored_world() -> World {
    let mut config = config();
    config.saved_channels = vec![
        ChannelRecord {
            name: "weather".into(),
            description: "an old description".into(),
            founder: None,
            created_at: 0,
            topic: Some(Topic {
                text: "Storms ahead".into(),
                set_by: "root".into(),
                at: 1_000,
            }),
            modes: "+mnt".into(),
            key: None,
            limit: None,
            ops: vec![AccountId(2)],
            bans: vec![],
            invite_exceptions: vec![],
        },
        ChannelRecord {
            name: "Books".into(),
            description: "About books".into(),
            founder: Some(AccountId(1)),
            created_at: 500,
            topic: Some(Topic {
                text: "Dune".into(),
                set_by: "alice".into(),
                at: 2_000,
            }),
            modes: "+iklnst".into(),
            key: Some("sesame".into()),
            limit: Some(10),
            ops: vec![AccountId(2)],
            bans: vec![entry("eve!*@*", 600)],
            invite_exceptions: vec![entry("$a:carol", 700)],
        },
    ];
    config.glines = vec![Gline {
        mask: "*!*@203.0.113.*".into(),
        reason: "spam".into(),
        set_by: "root".into(),
        at: 800,
    }];
    world_with(config)
}

#[test]
fn a_saved_channel_comes_back_with_its_founder_operators_topic_modes_and_lists() {
    let mut w = restored_world();
    let alice = w.connect_registered("alice", 1);
    let bob = w.connect_registered("bob", 2);
    // Secret: listed to its members only.
    assert_eq!(w.listed(alice), ["Lobby", "Weather"]);
    let effects = w.join(alice, "Books");
    assert_eq!(
        events_for(&effects, alice),
        [
            Event::Joined(ChannelSummary {
                name: "Books".into(),
                description: "About books".into(),
                users: 1,
            }),
            Event::Topic {
                channel: "Books".into(),
                topic: "Dune".into()
            },
            Event::TopicWho {
                channel: "Books".into(),
                set_by: "alice".into(),
                at: 2_000
            },
            names_event("Books", &["@alice"]),
        ],
        "the founder goes past +i and +k"
    );
    assert_joined(&w.join(bob, "Books"), bob, "Books");
    assert_eq!(w.nicks_in(alice, "Books"), ["@alice", "@bob"]);
    let effects = w.mode(bob, "Books", Vec::new());
    assert_eq!(
        events_for(&effects, bob),
        [Event::ChannelModes {
            channel: "Books".into(),
            modes: "+iklnst".into(),
            params: vec!["sesame".into(), "10".into()],
        }]
    );
    let effects = w.run(
        bob,
        Command::MaskList {
            channel: "Books".into(),
            kind: MaskKind::Bans,
        },
    );
    assert_eq!(
        events_for(&effects, bob),
        [Event::MaskList {
            channel: "Books".into(),
            kind: MaskKind::Bans,
            entries: vec![entry("eve!*@*", 600)],
        }]
    );
    // The lists work as before: Carol by her exception (with the key), Eve
    // not at all, Dave not without an invitation.
    let carol = w.connect_registered("carol", 3);
    assert_eq!(
        error_for(&w.join(carol, "Books"), carol),
        ChatError::ChannelNeedsKey("Books".into())
    );
    assert_joined(&w.join_with(carol, "Books", Some("sesame")), carol, "Books");
    let eve = w.connect("eve");
    let dave = w.connect("dave");
    assert_eq!(
        error_for(&w.join_with(eve, "Books", Some("sesame")), eve),
        ChatError::BannedFromChan("Books".into())
    );
    assert_eq!(
        error_for(&w.join_with(dave, "Books", Some("sesame")), dave),
        ChatError::InviteOnlyChan("Books".into())
    );
    // The restored operator runs it, and what is saved next is all of it.
    let effects = w.kick(bob, "Books", "carol", None);
    assert!(!events_for(&effects, carol).is_empty());
    let effects = w.topic(bob, "Books", "Dune Messiah");
    let record = saved_one(&effects);
    assert_eq!(record.founder, Some(AccountId(1)));
    assert_eq!(record.created_at, 500);
    assert_eq!(record.ops, [AccountId(2)]);
    assert_eq!(record.modes, "+iklnst");
    assert_eq!(record.bans, [entry("eve!*@*", 600)]);
    assert_eq!(record.invite_exceptions, [entry("$a:carol", 700)]);
    // Only the founder drops it.
    let effects = w.run(
        bob,
        Command::Drop {
            channel: "Books".into(),
        },
    );
    assert_eq!(
        error_for(&effects, bob),
        ChatError::NotFounder("Books".into())
    );
}

#[test]
fn a_permanent_channel_gets_its_saved_topic_and_modes_but_keeps_its_description() {
    let mut w = restored_world();
    let bob = w.connect_registered("bob", 2);
    let carol = w.connect("carol");
    let effects = w.join(carol, "Weather");
    assert_eq!(
        events_for(&effects, carol),
        [
            Event::Joined(ChannelSummary {
                name: "Weather".into(),
                description: "Talk about the weather".into(),
                users: 1,
            }),
            Event::Topic {
                channel: "Weather".into(),
                topic: "Storms ahead".into()
            },
            Event::TopicWho {
                channel: "Weather".into(),
                set_by: "root".into(),
                at: 1_000
            },
            names_event("Weather", &["carol"]),
        ]
    );
    // +m +t, with Bob as its operator.
    assert_eq!(
        error_for(&w.say(carol, "hi"), carol),
        ChatError::CannotSendToChan("Weather".into())
    );
    assert_eq!(
        error_for(&w.topic(carol, "Weather", "Sun"), carol),
        ChatError::ChanOpPrivsNeeded("Weather".into())
    );
    w.join(bob, "Weather");
    assert_eq!(w.nicks_in(bob, "Weather"), ["carol", "@bob"]);
    let effects = w.mode(
        bob,
        "Weather",
        vec![plus(ChannelMode::Voice("carol".into()))],
    );
    assert!(
        receivers(&effects, &mode_changed("Weather", "bob", "+v", &["carol"])).contains(&carol)
    );
    assert!(!receivers(&w.say(carol, "hi"), &public("Weather", "carol", "hi")).is_empty());
    // Still permanent.
    let effects = w.run(
        bob,
        Command::Drop {
            channel: "Weather".into(),
        },
    );
    assert_eq!(
        error_for(&effects, bob),
        ChatError::PermanentChannel("Weather".into())
    );
}

#[test]
fn saved_server_bans_are_in_force_from_the_start() {
    let mut w = restored_world();
    let (id, effects) = w.open_from("203.0.113.77");
    assert_eq!(
        events_for(&effects, id),
        [closing("You are banned from this server: spam")]
    );
    assert_eq!(closed(&effects), [id]);
    let (_, effects) = w.open_from("198.51.100.77");
    assert!(effects.is_empty());
}

#[test]
fn deopping_the_founder_is_not_announced_unless_it_takes() {
    let (mut w, alice, bob, carol) = World::books();
    w.mode(alice, "Books", vec![plus(ChannelMode::Op("bob".into()))]);
    let effects = w.mode(bob, "Books", vec![minus(ChannelMode::Op("alice".into()))]);
    let announced =
        !receivers(&effects, &mode_changed("Books", "bob", "-o", &["alice"])).is_empty();
    let names = w.nicks_in(carol, "Books");
    assert!(
        !(announced && names.contains(&"@alice".to_string())),
        "everyone was told `-o alice`, yet NAMES says {names:?}"
    );
}

#[test]
fn a_secret_channel_is_not_shown_to_non_members_in_whois_or_names() {
    let (mut w, alice, bob, _carol) = World::books();
    w.mode(alice, "Books", vec![plus(ChannelMode::Secret)]);
    w.join(bob, "Weather");
    let dave = w.connect("dave");
    let effects = w.run(dave, Command::Whois { nick: "bob".into() });
    match events_for(&effects, dave).as_slice() {
        [Event::Whois(u)] => assert_eq!(u.channel_names(), ["Weather"]),
        other => panic!("{other:?}"),
    }
    let effects = w.run(
        dave,
        Command::Names {
            channel: Some("Books".into()),
            unknown_is_empty: false,
        },
    );
    assert!(
        !events_for(&effects, dave)
            .iter()
            .any(|e| matches!(e, Event::Members { members, .. } if !members.is_empty())),
        "{effects:?}"
    );
}
