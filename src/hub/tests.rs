//! Unit tests of the hub state machine: commands in, effects out, no sockets.

use std::sync::Arc;
use std::time::Duration;

use super::test_support::*;
use super::*;
use crate::clock::unix_seconds;
use crate::model::name::NickError;

// ---------------------------------------------------------------------------
// Helpers (after the shared ones of test_support.rs)
// ---------------------------------------------------------------------------

impl World {
    fn watch(&mut self, id: SessionId, change: Watch) -> Vec<Effect> {
        self.run(id, Command::Watch(change))
    }

    fn whois(&mut self, id: SessionId, nick: &str) -> Vec<Effect> {
        self.run(
            id,
            Command::Whois {
                nick: nick.to_string(),
            },
        )
    }

    fn shutdown(&mut self, reason: &str) -> Vec<Effect> {
        let mut effects = Vec::new();
        self.hub.shutdown(self.now, reason, &mut effects);
        effects
    }
}

/// Position of the first effect matching `f`; panics when there is none.
fn position(effects: &[Effect], what: &str, f: impl Fn(&Effect) -> bool) -> usize {
    effects
        .iter()
        .position(f)
        .unwrap_or_else(|| panic!("no {what} in {effects:?}"))
}

/// A configured channel's summary with `users` members.
fn channel(name: &str, users: usize) -> ChannelSummary {
    let (name, description) = CHANNELS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("{name} is not configured"));
    ChannelSummary {
        name: name.to_string(),
        description: description.to_string(),
        users,
    }
}

fn left(channel: &str, nick: &str, why: Departure) -> Event {
    Event::MemberLeft {
        channel: channel.into(),
        nick: nick.into(),
        why,
    }
}

/// The channel a plain line from `id` goes to, found by saying one.
fn current_channel(w: &mut World, id: SessionId) -> Option<String> {
    let effects = w.say(id, "where am I?");
    match events_for(&effects, id).as_slice() {
        [Event::Public { channel, .. }] => Some(channel.clone()),
        [Event::Error(ChatError::NoCurrentChannel)] => None,
        other => panic!("unexpected {other:?}"),
    }
}

const TAKEOVER: &str = "logged in again from elsewhere";
const IDLE_REASON: &str = "idle timeout (no input for 00:10:00)";

// ---------------------------------------------------------------------------
// Connect
// ---------------------------------------------------------------------------

#[test]
fn connect_says_nothing_and_logs_nobody_in() {
    let mut w = World::new();
    w.open(); // asserts no effects
    assert_eq!(w.hub.users_online(), 0);
}

#[test]
fn commands_from_an_unknown_session_are_ignored() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    let ghost = SessionId(999);
    assert!(w.say(ghost, "boo").is_empty());
    assert!(w.login(ghost, "ghost").is_empty());
    assert!(w.run(ghost, Command::Quit { message: None }).is_empty());
    assert!(w
        .run(
            ghost,
            Command::Disconnected {
                reason: "reset".into()
            }
        )
        .is_empty());
    assert_eq!(w.hub.users_online(), 1);
}

// ---------------------------------------------------------------------------
// Login
// ---------------------------------------------------------------------------

#[test]
fn login_sends_logged_in_and_accepts() {
    let mut w = World::new();
    let id = w.open();
    let effects = w.login(id, "Lincoln");
    assert_eq!(
        events_for(&effects, id),
        [Event::LoggedIn {
            nick: "Lincoln".into(),
            ident: "Lincoln".into()
        }]
    );
    assert_eq!(replies(&effects), [(id, true)]);
    assert!(stores(&effects).is_empty(), "a guest saves nothing");
    assert!(closed(&effects).is_empty());
    assert_eq!(w.hub.users_online(), 1);
}

#[test]
fn login_joins_the_lobby_when_one_is_configured() {
    let mut w = World::with_lobby();
    let alice_id = w.open();
    let effects = w.login(alice_id, "alice");
    assert_eq!(
        events_for(&effects, alice_id),
        [
            Event::LoggedIn {
                nick: "alice".into(),
                ident: "alice".into()
            },
            Event::Joined(channel("Lobby", 1)),
            names_event("Lobby", &["alice"]),
        ]
    );

    let bob = w.open();
    let effects = w.login(bob, "bob");
    assert_eq!(
        events_for(&effects, bob),
        [
            Event::LoggedIn {
                nick: "bob".into(),
                ident: "bob".into()
            },
            Event::Joined(channel("Lobby", 2)),
            names_event("Lobby", &["alice", "bob"]),
        ]
    );
    assert_eq!(
        events_for(&effects, alice_id),
        [Event::MemberJoined {
            channel: "Lobby".into(),
            nick: "bob".into()
        }]
    );
    assert_eq!(current_channel(&mut w, bob).as_deref(), Some("Lobby"));
}

#[test]
fn login_without_a_lobby_joins_no_channel() {
    let mut w = World::new();
    let alice = w.connect("alice");
    assert_eq!(current_channel(&mut w, alice), None);
}

#[test]
fn login_refuses_bad_nicks_with_the_reason() {
    let too_long = "a".repeat(NICK_LENGTH + 1);
    let cases = [
        ("", NickError::Empty),
        ("9lives", NickError::BadFirst('9')),
        ("-dash", NickError::BadFirst('-')),
        ("two words", NickError::BadChar(' ')),
        ("café", NickError::BadChar('é')),
        (too_long.as_str(), NickError::TooLong { max: NICK_LENGTH }),
    ];
    for (typed, why) in cases {
        let mut w = World::new();
        let id = w.open();
        let effects = w.login(id, typed);
        assert_eq!(
            events_for(&effects, id),
            [err(ChatError::BadNick(why))],
            "{typed:?}"
        );
        assert_eq!(replies(&effects), [(id, false)], "{typed:?}");
        assert!(closed(&effects).is_empty(), "a bad nick may try again");
        assert_eq!(w.hub.users_online(), 0);
        // Still not logged in, but free to try again.
        assert_eq!(
            events_for(&w.say(id, "hi"), id),
            [err(ChatError::NotLoggedIn)]
        );
        assert_eq!(replies(&w.login(id, "good")), [(id, true)]);
    }
}

#[test]
fn login_accepts_a_nick_of_exactly_the_maximum_length() {
    let mut w = World::new();
    w.connect(&"a".repeat(NICK_LENGTH));
}

#[test]
fn login_refuses_a_nick_in_use_whatever_its_case() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let other = w.open();
    let effects = w.login(other, "ALICE");
    assert_eq!(
        events_for(&effects, other),
        [err(ChatError::NickInUse("ALICE".into()))]
    );
    assert_eq!(replies(&effects), [(other, false)]);
    assert!(
        events_for(&effects, alice).is_empty(),
        "the holder hears nothing"
    );
    assert!(closed(&effects).is_empty());
    assert_eq!(w.hub.users_online(), 1);
    // The refused session may choose another nick.
    assert_eq!(replies(&w.login(other, "alicia")), [(other, true)]);
}

#[test]
fn login_when_logged_in_is_already_logged_in_and_keeps_the_nick() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let effects = w.login(alice, "alicia");
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::AlreadyLoggedIn)]
    );
    assert!(!replies(&effects).contains(&(alice, true)));
    assert_eq!(w.hub.users_online(), 1);
    // The old nick is still hers; the new one is still free.
    let bob = w.connect("bob");
    assert_eq!(whois_summary(&mut w, bob, "alice").nick, "alice");
    w.connect("alicia");
}

#[test]
fn identified_login_records_the_login_in_the_store() {
    let mut w = World::new();
    w.wait(5);
    let id = w.open();
    let effects = w.login_identified(id, "alice", 42, &[]);
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::Login {
                account: AccountId(42),
                from: peer().to_string(),
                at: w.unix_now(),
            },
            None
        )]
    );
    assert_eq!(
        events_for(&effects, id),
        [Event::LoggedIn {
            nick: "alice".into(),
            ident: "alice".into()
        }],
        "an empty restored watch list sends no WatchList"
    );
    assert_eq!(replies(&effects), [(id, true)]);
}

#[test]
fn identified_login_takes_the_nick_from_the_session_holding_it() {
    let mut w = World::new();
    let old = w.connect("alice");
    let bob = w.connect("bob");
    let carol = w.connect("carol");
    w.join(old, "Weather");
    w.join(old, "Gardening");
    w.join(bob, "Weather");
    w.join(carol, "Gardening");

    let new = w.open();
    let effects = w.login_identified(new, "Alice", 7, &[]);

    // The old session is told why, then closed.
    assert_eq!(events_for(&effects, old), [closing(TAKEOVER)]);
    assert!(closed(&effects).contains(&old));
    let told = position(
        &effects,
        "Closing",
        |e| matches!(e, Effect::Deliver { to, .. } if *to == old),
    );
    let close = position(
        &effects,
        "Close",
        |e| matches!(e, Effect::Close { session } if *session == old),
    );
    assert!(told < close);

    // Its channels hear it was lost.
    let lost = Departure::Lost(TAKEOVER.into());
    assert_eq!(
        events_for(&effects, bob),
        [left("Weather", "alice", lost.clone())]
    );
    assert_eq!(
        events_for(&effects, carol),
        [left("Gardening", "alice", lost)]
    );

    // The new session has the nick, as it typed it.
    assert_eq!(
        events_for(&effects, new),
        [Event::LoggedIn {
            nick: "Alice".into(),
            ident: "Alice".into()
        }]
    );
    assert_eq!(replies(&effects), [(new, true)]);
    assert!(!closed(&effects).contains(&new));
    assert_eq!(w.hub.users_online(), 3);
    let summary = whois_summary(&mut w, bob, "alice");
    assert_eq!(summary.nick, "Alice");
    assert!(summary.channels.is_empty());
    // The old session is gone: its commands do nothing.
    assert!(w.say(old, "still here?").is_empty());
    // Its channels no longer count it.
    assert_eq!(
        events_for(&w.run(bob, Command::ListChannels { only: None }), bob),
        [Event::ChannelList(vec![
            channel("Lobby", 0),
            channel("CurrentEvents", 0),
            channel("Weather", 1),
            channel("Gardening", 1),
        ])]
    );
}

#[test]
fn identified_takeover_logs_the_old_session_out_in_the_store() {
    let mut w = World::new();
    let (old, _) = w.connect_identified("alice", 7, &[]);
    let new = w.open();
    let effects = w.login_identified(new, "alice", 7, &[]);
    let at = w.unix_now();
    assert_eq!(
        stores(&effects),
        [
            (
                StoreWrite::Logout {
                    account: AccountId(7),
                    at
                },
                None
            ),
            (
                StoreWrite::Login {
                    account: AccountId(7),
                    from: peer().to_string(),
                    at
                },
                None
            ),
        ]
    );
    assert_eq!(closed(&effects), [old]);
}

#[test]
fn takeover_tells_watchers_of_the_logout_and_the_new_login() {
    let mut w = World::new();
    let watcher = w.connect("watcher");
    w.watch(watcher, Watch::Add("alice".into()));
    w.connect("alice");
    let new = w.open();
    let effects = w.login_identified(new, "alice", 7, &[]);
    assert_eq!(
        events_for(&effects, watcher),
        [
            Event::WatchedLogout {
                nick: "alice".into()
            },
            Event::WatchedLogin {
                nick: "alice".into()
            },
        ]
    );
}

// ---------------------------------------------------------------------------
// Before login
// ---------------------------------------------------------------------------

#[test]
fn commands_before_login_are_not_logged_in() {
    let mut w = World::new();
    let someone = w.connect("someone");
    w.join(someone, "Weather");
    let commands = [
        Command::Say {
            tags: crate::model::ClientTags::NONE,
            channel: None,
            text: "hi".into(),
            action: false,
        },
        Command::Private {
            tags: crate::model::ClientTags::NONE,
            to: "someone".into(),
            text: "hi".into(),
            action: false,
        },
        Command::Join {
            channel: "Weather".into(),
        },
        Command::Part {
            channel: None,
            reason: None,
        },
        Command::ListChannels { only: None },
        Command::Names {
            channel: None,
            unknown_is_empty: false,
        },
        Command::Who { mask: None },
        Command::Whois {
            nick: "someone".into(),
        },
        Command::Watch(Watch::List),
        Command::Watch(Watch::Add("someone".into())),
        Command::Watch(Watch::Remove("someone".into())),
        Command::Identified {
            account: AccountId(1),
        },
    ];
    for command in commands {
        let id = w.open();
        let effects = w.run(id, command.clone());
        assert_eq!(
            events_for(&effects, id),
            [err(ChatError::NotLoggedIn)],
            "{command:?}"
        );
        assert_eq!(
            recipients(&effects),
            [id],
            "only the sender hears: {command:?}"
        );
        assert_eq!(effects.len(), 1, "{command:?}: {effects:?}");
    }
}

#[test]
fn quit_before_login_says_goodbye_and_closes() {
    let mut w = World::new();
    let id = w.open();
    let effects = w.run(id, Command::Quit { message: None });
    assert_eq!(events_for(&effects, id), [closing("Goodbye.")]);
    assert_eq!(closed(&effects), [id]);
    assert_eq!(recipients(&effects), [id]);
}

// ---------------------------------------------------------------------------
// Say
// ---------------------------------------------------------------------------

#[test]
fn say_reaches_every_member_of_the_current_channel_including_the_sender() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let carol = w.connect("carol");
    let dave = w.connect("dave"); // in no channel
    w.join(alice, "Weather");
    w.join(bob, "Weather");
    w.join(carol, "Gardening");

    let effects = w.say(alice, "rain in spain?");
    let line = [public("Weather", "alice", "rain in spain?")];
    assert_eq!(recipients(&effects), [alice, bob]);
    assert_eq!(events_for(&effects, alice), line);
    assert_eq!(events_for(&effects, bob), line);
    assert!(events_for(&effects, carol).is_empty());
    assert!(events_for(&effects, dave).is_empty());
}

#[test]
fn say_goes_only_to_the_current_channel() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let carol = w.connect("carol");
    w.join(bob, "Weather");
    w.join(carol, "Gardening");
    w.join(alice, "Weather");
    w.join(alice, "Gardening"); // current

    let effects = w.say(alice, "roses");
    assert_eq!(recipients(&effects), [carol, alice]);
    assert_eq!(
        events_for(&effects, carol),
        [public("Gardening", "alice", "roses")]
    );
    assert!(events_for(&effects, bob).is_empty());
}

#[test]
fn say_carries_the_action_flag() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(alice, "Weather");
    w.join(bob, "Weather");
    let effects = w.run(
        alice,
        Command::Say {
            tags: crate::model::ClientTags::NONE,
            channel: None,
            text: "opens an umbrella".into(),
            action: true,
        },
    );
    assert_eq!(
        events_for(&effects, bob),
        [Event::Public {
            tags: crate::model::ClientTags::NONE,
            channel: "Weather".into(),
            from: "alice".into(),
            text: "opens an umbrella".into(),
            action: true,
            stamp: Stamp::BLANK,
        }]
    );
}

#[test]
fn say_shares_one_event_among_all_receivers() {
    let mut w = World::new();
    let ids: Vec<SessionId> = ["a", "b", "c", "d"].iter().map(|n| w.connect(n)).collect();
    for &id in &ids {
        w.join(id, "Weather");
    }
    let effects = w.say(ids[0], "one line, one allocation");
    let events: Vec<&Arc<Event>> = effects
        .iter()
        .map(|effect| match effect {
            Effect::Deliver { event, .. } => event,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(events.len(), ids.len());
    for event in &events[1..] {
        assert!(Arc::ptr_eq(events[0], event));
    }
}

#[test]
fn say_without_a_current_channel_is_refused() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let effects = w.say(alice, "hello?");
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::NoCurrentChannel)]
    );
    assert_eq!(recipients(&effects), [alice]);
}

#[test]
fn say_of_nothing_is_an_empty_message() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(alice, "Weather");
    w.join(bob, "Weather");
    let effects = w.say(alice, "");
    assert_eq!(events_for(&effects, alice), [err(ChatError::EmptyMessage)]);
    assert_eq!(recipients(&effects), [alice]);
}

// ---------------------------------------------------------------------------
// Private
// ---------------------------------------------------------------------------

#[test]
fn private_reaches_the_target_and_confirms_to_the_sender() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let carol = w.connect("carol");
    for id in [alice, bob, carol] {
        w.join(id, "Weather");
    }
    let effects = w.private(alice, "bob", "why that name?");
    assert_eq!(
        events_for(&effects, bob),
        [Event::Private {
            tags: crate::model::ClientTags::NONE,
            from: "alice".into(),
            text: "why that name?".into(),
            action: false,
            stamp: Stamp::BLANK,
        }]
    );
    assert_eq!(
        events_for(&effects, alice),
        [Event::PrivateSent {
            tags: crate::model::ClientTags::NONE,
            to: "bob".into(),
            text: "why that name?".into(),
            action: false,
            stamp: Stamp::BLANK,
        }]
    );
    assert!(events_for(&effects, carol).is_empty());
    assert_eq!(effects.len(), 2);
}

#[test]
fn private_finds_the_target_whatever_the_case() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("WonderGirl");
    let effects = w.private(alice, "wondergirl", "hi");
    assert_eq!(events_for(&effects, bob).len(), 1);
    assert_eq!(
        events_for(&effects, alice),
        [Event::PrivateSent {
            tags: crate::model::ClientTags::NONE,
            to: "WonderGirl".into(),
            text: "hi".into(),
            action: false,
            stamp: Stamp::BLANK,
        }],
        "the confirmation spells the nick as its owner does"
    );
}

#[test]
fn private_carries_the_action_flag() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let effects = w.run(
        alice,
        Command::Private {
            tags: crate::model::ClientTags::NONE,
            to: "bob".into(),
            text: "waves".into(),
            action: true,
        },
    );
    assert_eq!(
        events_for(&effects, bob),
        [Event::Private {
            tags: crate::model::ClientTags::NONE,
            from: "alice".into(),
            text: "waves".into(),
            action: true,
            stamp: Stamp::BLANK,
        }]
    );
    assert_eq!(
        events_for(&effects, alice),
        [Event::PrivateSent {
            tags: crate::model::ClientTags::NONE,
            to: "bob".into(),
            text: "waves".into(),
            action: true,
            stamp: Stamp::BLANK,
        }]
    );
}

#[test]
fn private_without_a_recipient_is_refused() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let effects = w.private(alice, "", "hi");
    assert_eq!(events_for(&effects, alice), [err(ChatError::NoRecipient)]);
    assert_eq!(effects.len(), 1);
}

#[test]
fn private_to_someone_not_logged_in_is_no_such_nick() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let effects = w.private(alice, "Nobody", "hi");
    // The store decides: a memo for a registered nickname, else no such nick.
    assert!(events_for(&effects, alice).is_empty());
    assert!(matches!(
        effects.as_slice(),
        [Effect::PrivateOffline { from, to, text, .. }] if *from == alice && to == "Nobody" && text == "hi"
    ));
    assert_eq!(effects.len(), 1);
}

#[test]
fn private_of_nothing_is_an_empty_message() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let effects = w.private(alice, "bob", "");
    assert_eq!(events_for(&effects, alice), [err(ChatError::EmptyMessage)]);
    assert!(events_for(&effects, bob).is_empty());
}

// ---------------------------------------------------------------------------
// Join
// ---------------------------------------------------------------------------

#[test]
fn join_tells_existing_members_but_not_the_joiner() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let carol = w.connect("carol");
    w.join(carol, "Gardening");

    let effects = w.join(alice, "Weather");
    assert_eq!(
        events_for(&effects, alice),
        [
            Event::Joined(channel("Weather", 1)),
            names_event("Weather", &["alice"]),
        ]
    );
    assert_eq!(
        recipients(&effects),
        [alice, alice],
        "nobody else is there yet"
    );

    let effects = w.join(bob, "Weather");
    assert_eq!(
        events_for(&effects, alice),
        [Event::MemberJoined {
            channel: "Weather".into(),
            nick: "bob".into()
        }]
    );
    assert_eq!(
        events_for(&effects, bob),
        [
            Event::Joined(channel("Weather", 2)),
            names_event("Weather", &["alice", "bob"]),
        ],
        "the count includes the joiner, and no MemberJoined about oneself"
    );
    assert!(events_for(&effects, carol).is_empty());
}

#[test]
fn join_makes_the_channel_current() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    assert_eq!(current_channel(&mut w, alice).as_deref(), Some("Weather"));
    w.join(alice, "Gardening");
    assert_eq!(current_channel(&mut w, alice).as_deref(), Some("Gardening"));
}

#[test]
fn join_ignores_case_and_a_leading_hash() {
    for typed in ["weather", "WEATHER", "#Weather", "#wEaThEr"] {
        let mut w = World::new();
        let alice = w.connect("alice");
        let effects = w.join(alice, typed);
        assert_eq!(
            events_for(&effects, alice),
            [
                Event::Joined(channel("Weather", 1)),
                names_event("Weather", &["alice"]),
            ],
            "{typed}"
        );
    }
}

#[test]
fn join_of_an_unknown_channel_names_it_as_typed() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let effects = w.join(alice, "#NoSuch");
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::NoSuchChannel("#NoSuch".into()))]
    );
    assert_eq!(current_channel(&mut w, alice), None);
}

#[test]
fn join_of_a_channel_you_are_in_makes_it_current_without_announcing() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(bob, "Weather");
    w.join(alice, "Weather");
    w.join(alice, "Gardening");

    let effects = w.join(alice, "weather");
    assert_eq!(
        events_for(&effects, alice),
        [Event::Joined(channel("Weather", 2))]
    );
    assert!(events_for(&effects, bob).is_empty());
    assert_eq!(current_channel(&mut w, alice).as_deref(), Some("Weather"));
    // Still a member of both, most recent first.
    assert_eq!(
        whois_summary(&mut w, bob, "alice").channel_names(),
        ["Weather", "Gardening"]
    );
}

// ---------------------------------------------------------------------------
// Part
// ---------------------------------------------------------------------------

#[test]
fn part_leaves_the_current_channel_and_announces_the_new_current_one() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(bob, "Weather");
    w.join(alice, "CurrentEvents");
    w.join(alice, "Weather");
    w.join(alice, "Gardening");

    let effects = w.part(alice, None);
    assert_eq!(
        events_for(&effects, alice),
        [Event::Parted {
            left: channel("Gardening", 0),
            current: Some(channel("Weather", 2)),
        }]
    );
    assert_eq!(current_channel(&mut w, alice).as_deref(), Some("Weather"));
}

#[test]
fn part_of_a_channel_that_is_not_current_keeps_the_current_one() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    w.join(alice, "Gardening");

    let effects = w.part(alice, Some("#weather"));
    assert_eq!(
        events_for(&effects, alice),
        [Event::Parted {
            left: channel("Weather", 0),
            current: None,
        }]
    );
    assert_eq!(current_channel(&mut w, alice).as_deref(), Some("Gardening"));
}

#[test]
fn part_of_the_last_channel_leaves_no_current_one() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    let effects = w.part(alice, None);
    assert_eq!(
        events_for(&effects, alice),
        [Event::Parted {
            left: channel("Weather", 0),
            current: None,
        }]
    );
    assert_eq!(current_channel(&mut w, alice), None);
}

#[test]
fn part_tells_the_remaining_members() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let carol = w.connect("carol");
    let dave = w.connect("dave");
    for id in [alice, bob, carol] {
        w.join(id, "Weather");
    }
    w.join(dave, "Gardening");

    let effects = w.part(alice, None);
    let gone = [left("Weather", "alice", Departure::Parted(None))];
    assert_eq!(events_for(&effects, bob), gone);
    assert_eq!(events_for(&effects, carol), gone);
    assert!(events_for(&effects, dave).is_empty());
    assert_eq!(
        events_for(&effects, alice).len(),
        1,
        "the parter hears only Parted"
    );
    // The rest no longer hear her lines, nor she theirs.
    let effects = w.say(bob, "she left");
    assert_eq!(recipients(&effects), [bob, carol]);
}

#[test]
fn part_of_a_channel_you_are_not_in_is_not_in_channel() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.join(alice, "Gardening");
    let effects = w.part(alice, Some("weather"));
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::NotInChannel("Weather".into()))]
    );
    assert_eq!(current_channel(&mut w, alice).as_deref(), Some("Gardening"));
}

#[test]
fn part_of_an_unknown_channel_is_no_such_channel() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.join(alice, "Gardening");
    let effects = w.part(alice, Some("Nowhere"));
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::NoSuchChannel("Nowhere".into()))]
    );
}

#[test]
fn part_in_no_channel_is_no_current_channel() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let effects = w.part(alice, None);
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::NoCurrentChannel)]
    );
}

// ---------------------------------------------------------------------------
// ListChannels, Users, Who, Whois
// ---------------------------------------------------------------------------

#[test]
fn list_channels_in_configuration_order_with_counts() {
    let mut w = World::with_lobby();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let _carol = w.connect("carol");
    w.join(alice, "Weather");
    w.join(bob, "Weather");
    w.join(bob, "Gardening");
    let effects = w.run(alice, Command::ListChannels { only: None });
    assert_eq!(
        events_for(&effects, alice),
        [Event::ChannelList(vec![
            channel("Lobby", 3),
            channel("CurrentEvents", 0),
            channel("Weather", 2),
            channel("Gardening", 1),
        ])]
    );
}

#[test]
fn users_lists_the_current_channel_with_time_on_line() {
    let mut w = World::new();
    let alice_login = w.now;
    let alice = w.connect("alice");
    w.join(alice, "Gardening");
    w.join(alice, "Weather");
    w.wait(90);
    let bob_login = w.now;
    let bob = w.connect("bob");
    w.join(bob, "Weather");
    let carol = w.connect("carol");
    w.join(carol, "Gardening");
    w.wait(30);

    let effects = w.run(
        alice,
        Command::Names {
            channel: None,
            unknown_is_empty: false,
        },
    );
    let summary = |nick: &str, online, idle, since, channels: &[&str]| Member {
        user: UserSummary {
            nick: nick.into(),
            ident: nick.into(),
            realname: nick.into(),
            online: Duration::from_secs(online),
            idle: Duration::from_secs(idle),
            since,
            channels: channels.iter().map(|&c| c.into()).collect(),
            away: None,
            oper: false,
        },
        op: false,
        voiced: false,
    };
    assert_eq!(
        delivered_to(&effects, alice),
        [Event::Members {
            channel: "Weather".into(),
            members: vec![
                summary(
                    "alice",
                    120,
                    0,
                    unix_seconds(alice_login.wall),
                    &["Weather", "Gardening"]
                ),
                summary("bob", 30, 30, unix_seconds(bob_login.wall), &["Weather"]),
            ],
            on_join: false,
        }]
    );
}

#[test]
fn users_without_a_current_channel_is_refused() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(bob, "Weather");
    let effects = w.run(
        alice,
        Command::Names {
            channel: None,
            unknown_is_empty: false,
        },
    );
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::NoCurrentChannel)]
    );
}

#[test]
fn who_lists_everyone_on_line_sorted_with_idle_time() {
    let mut w = World::new();
    let carol = w.connect("carol");
    w.join(carol, "Weather");
    w.wait(10);
    let bob = w.connect("Bob");
    w.wait(20);
    w.connect("alice");
    w.open(); // not logged in: not listed
    w.wait(5);

    let effects = w.run(bob, Command::Who { mask: None });
    let users = match events_for(&effects, bob).as_slice() {
        [Event::Who { mask: None, users }] => users.clone(),
        other => panic!("unexpected {other:?}"),
    };
    let nicks: Vec<&str> = users.iter().map(|u| u.nick.as_str()).collect();
    assert_eq!(nicks, ["alice", "Bob", "carol"], "sorted ignoring case");
    let idle: Vec<u64> = users.iter().map(|u| u.idle.as_secs()).collect();
    assert_eq!(idle, [5, 0, 35]);
    let online: Vec<u64> = users.iter().map(|u| u.online.as_secs()).collect();
    assert_eq!(online, [5, 25, 35]);
    assert_eq!(users[2].channel_names(), ["Weather"]);
    assert!(users[0].channels.is_empty());
}

#[test]
fn whois_of_someone_on_line_gives_their_summary() {
    let mut w = World::new();
    let login = w.now;
    let alice = w.connect("Alice");
    w.join(alice, "Weather");
    w.wait(60);
    let bob = w.connect("bob");
    let effects = w.whois(bob, "ALICE");
    assert_eq!(
        events_for(&effects, bob),
        [Event::Whois(UserSummary {
            nick: "Alice".into(),
            ident: "Alice".into(),
            realname: "Alice".into(),
            online: Duration::from_secs(60),
            idle: Duration::from_secs(60),
            since: unix_seconds(login.wall),
            channels: vec!["Weather".into()],
            away: None,
            oper: false,
        })]
    );
    assert!(events_for(&effects, alice).is_empty());
}

#[test]
fn whois_of_someone_off_line_asks_the_store() {
    let mut w = World::new();
    let bob = w.connect("bob");
    let effects = w.whois(bob, "Lincoln");
    assert!(recipients(&effects).is_empty());
    match effects.as_slice() {
        [Effect::WhoisOffline { to, nick }] => {
            assert_eq!(*to, bob);
            assert_eq!(nick, "Lincoln");
        }
        other => panic!("unexpected {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Quit and Disconnected
// ---------------------------------------------------------------------------

#[test]
fn quit_says_goodbye_tells_each_channel_and_closes() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let carol = w.connect("carol");
    let dave = w.connect("dave");
    w.join(alice, "Weather");
    w.join(alice, "Gardening");
    w.join(bob, "Weather");
    w.join(carol, "Gardening");

    let effects = w.run(
        alice,
        Command::Quit {
            message: Some("off to bed".into()),
        },
    );
    let why = Departure::Quit(Some("off to bed".into()));
    assert_eq!(events_for(&effects, alice), [closing("Goodbye.")]);
    assert_eq!(
        events_for(&effects, bob),
        [left("Weather", "alice", why.clone())]
    );
    assert_eq!(
        events_for(&effects, carol),
        [left("Gardening", "alice", why)]
    );
    assert!(events_for(&effects, dave).is_empty());
    assert_eq!(closed(&effects), [alice]);
    assert!(matches!(effects.first(), Some(Effect::Deliver { to, .. }) if *to == alice));
    assert!(matches!(effects.last(), Some(Effect::Close { session }) if *session == alice));
    assert!(stores(&effects).is_empty(), "a guest saves nothing");
    assert_eq!(w.hub.users_online(), 3);
}

#[test]
fn quit_without_a_message_is_announced_without_one() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(alice, "Weather");
    w.join(bob, "Weather");
    let effects = w.run(alice, Command::Quit { message: None });
    assert_eq!(
        events_for(&effects, bob),
        [left("Weather", "alice", Departure::Quit(None))]
    );
}

#[test]
fn quit_frees_the_nick_and_the_channel_seat() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(alice, "Weather");
    w.join(bob, "Weather");
    w.run(alice, Command::Quit { message: None });
    assert!(
        w.say(alice, "still here?").is_empty(),
        "the session is gone"
    );
    let again = w.connect("ALICE");
    assert_ne!(again, alice);
    assert_eq!(w.hub.users_online(), 2);
    assert_eq!(recipients(&w.say(bob, "hello")), [bob]);
}

#[test]
fn quit_shares_one_member_left_among_the_channel() {
    let mut w = World::new();
    let ids: Vec<SessionId> = ["a", "b", "c"].iter().map(|n| w.connect(n)).collect();
    for &id in &ids {
        w.join(id, "Weather");
    }
    let effects = w.run(ids[0], Command::Quit { message: None });
    let shared: Vec<&Arc<Event>> = effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Deliver { to, event } if *to != ids[0] => Some(event),
            _ => None,
        })
        .collect();
    assert_eq!(shared.len(), 2);
    assert!(Arc::ptr_eq(shared[0], shared[1]));
}

#[test]
fn disconnected_tells_channels_the_connection_was_lost_and_closes() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(alice, "Weather");
    w.join(bob, "Weather");
    let effects = w.run(
        alice,
        Command::Disconnected {
            reason: "connection reset".into(),
        },
    );
    assert!(
        events_for(&effects, alice).is_empty(),
        "nobody is left to tell"
    );
    assert_eq!(
        events_for(&effects, bob),
        [left(
            "Weather",
            "alice",
            Departure::Lost("connection reset".into())
        )]
    );
    assert_eq!(closed(&effects), [alice]);
    assert!(stores(&effects).is_empty(), "a guest saves nothing");
    assert_eq!(w.hub.users_online(), 1);
    w.connect("alice");
}

#[test]
fn disconnected_of_an_identified_user_records_the_logout() {
    let mut w = World::new();
    let (alice, _) = w.connect_identified("alice", 9, &[]);
    w.wait(100);
    let effects = w.run(
        alice,
        Command::Disconnected {
            reason: "eof".into(),
        },
    );
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::Logout {
                account: AccountId(9),
                at: w.unix_now(),
            },
            None
        )]
    );
    assert_eq!(closed(&effects), [alice]);
}

#[test]
fn disconnected_before_login_just_closes() {
    let mut w = World::new();
    let bob = w.connect("bob");
    w.join(bob, "Weather");
    let id = w.open();
    let effects = w.run(
        id,
        Command::Disconnected {
            reason: "eof".into(),
        },
    );
    assert_eq!(closed(&effects), [id]);
    assert_eq!(effects.len(), 1);
    // Twice is harmless.
    let effects = w.run(
        id,
        Command::Disconnected {
            reason: "eof".into(),
        },
    );
    assert!(effects.is_empty());
}

// ---------------------------------------------------------------------------
// Tick and shutdown
// ---------------------------------------------------------------------------

#[test]
fn tick_logs_out_idle_sessions_and_keeps_active_ones() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(alice, "Weather");
    w.join(bob, "Weather");
    let lurker = w.open(); // never logs in
    w.wait(400);
    w.say(bob, "anyone?");
    w.wait(200); // alice and the lurker: 600 s silent; bob: 200 s

    let effects = w.tick();
    assert_eq!(events_for(&effects, alice), [closing(IDLE_REASON)]);
    assert_eq!(events_for(&effects, lurker), [closing(IDLE_REASON)]);
    assert_eq!(
        events_for(&effects, bob),
        [left(
            "Weather",
            "alice",
            Departure::Lost(IDLE_REASON.into())
        )]
    );
    let mut gone = closed(&effects);
    gone.sort();
    assert_eq!(gone, [alice, lurker]);
    assert_eq!(w.hub.users_online(), 1);
    assert_eq!(recipients(&w.say(bob, "just me")), [bob]);
    assert!(w.say(alice, "back!").is_empty(), "alice's session is gone");
}

#[test]
fn tick_before_the_timeout_does_nothing() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    w.open();
    w.wait(IDLE_TIMEOUT.as_secs() - 1);
    assert!(closed(&w.tick()).is_empty(), "nobody is logged out yet");
    assert_eq!(w.hub.users_online(), 1);
}

#[test]
fn any_command_counts_as_activity() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.wait(500);
    w.run(alice, Command::Who { mask: None });
    w.wait(500);
    assert!(closed(&w.tick()).is_empty(), "nobody is logged out yet");
    w.wait(100);
    assert_eq!(closed(&w.tick()), [alice]);
}

#[test]
fn tick_records_the_logout_of_an_idle_identified_user() {
    let mut w = World::new();
    let (alice, _) = w.connect_identified("alice", 3, &[]);
    w.wait(IDLE_TIMEOUT.as_secs() + 5);
    let effects = w.tick();
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::Logout {
                account: AccountId(3),
                at: w.unix_now(),
            },
            None
        )]
    );
    assert_eq!(closed(&effects), [alice]);
}

#[test]
fn shutdown_tells_everyone_and_closes_every_session() {
    let mut w = World::with_lobby();
    let alice = w.connect("alice");
    let (bob, _) = w.connect_identified("bob", 5, &[]);
    let lurker = w.open();
    w.watch(alice, Watch::Add("bob".into()));
    w.wait(30);

    let effects = w.shutdown("server going down");
    for id in [alice, bob, lurker] {
        assert_eq!(
            events_for(&effects, id),
            [closing("server going down")],
            "{id:?}"
        );
    }
    let mut gone = closed(&effects);
    gone.sort();
    assert_eq!(gone, [alice, bob, lurker]);
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::Logout {
                account: AccountId(5),
                at: w.unix_now(),
            },
            None
        )]
    );
    assert_eq!(w.hub.users_online(), 0);
    // The hub is empty: old sessions are forgotten, channels are empty.
    assert!(w.say(alice, "hello?").is_empty());
    let after = w.connect("bob");
    assert_eq!(
        events_for(&w.run(after, Command::ListChannels { only: None }), after),
        [Event::ChannelList(vec![
            channel("Lobby", 1),
            channel("CurrentEvents", 0),
            channel("Weather", 0),
            channel("Gardening", 0),
        ])]
    );
}

// ---------------------------------------------------------------------------
// Watch
// ---------------------------------------------------------------------------

fn watch_list(w: &mut World, id: SessionId) -> Vec<(String, bool)> {
    let effects = w.watch(id, Watch::List);
    match events_for(&effects, id).as_slice() {
        [Event::WatchList(list)] => list.clone(),
        other => panic!("unexpected {other:?}"),
    }
}

fn entry(nick: &str, online: bool) -> (String, bool) {
    (nick.to_string(), online)
}

#[test]
fn watch_list_starts_empty() {
    let mut w = World::new();
    let alice = w.connect("alice");
    assert_eq!(watch_list(&mut w, alice), []);
}

#[test]
fn guest_watch_add_is_acknowledged_directly() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.connect("Bob");
    let effects = w.watch(alice, Watch::Add("Bob".into()));
    assert_eq!(
        events_for(&effects, alice),
        [Event::Watching {
            nick: "Bob".into(),
            online: true
        }]
    );
    assert!(stores(&effects).is_empty());
    let effects = w.watch(alice, Watch::Add("Carol".into()));
    assert_eq!(
        events_for(&effects, alice),
        [Event::Watching {
            nick: "Carol".into(),
            online: false
        }]
    );
    assert_eq!(
        watch_list(&mut w, alice),
        [entry("Bob", true), entry("Carol", false)]
    );
}

#[test]
fn watch_add_of_a_bad_nick_is_refused() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let effects = w.watch(alice, Watch::Add("two words".into()));
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::BadNick(NickError::BadChar(' ')))]
    );
    let effects = w.watch(alice, Watch::Add("9lives".into()));
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::BadNick(NickError::BadFirst('9')))]
    );
    assert_eq!(watch_list(&mut w, alice), []);
}

#[test]
fn watch_add_twice_is_acknowledged_and_listed_once() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.watch(alice, Watch::Add("bob".into()));
    let effects = w.watch(alice, Watch::Add("BOB".into()));
    assert_eq!(
        events_for(&effects, alice),
        [Event::Watching {
            nick: "BOB".into(),
            online: false
        }]
    );
    assert_eq!(watch_list(&mut w, alice), [entry("bob", false)]);
}

#[test]
fn watch_list_is_full_at_the_maximum() {
    let mut w = World::new();
    let alice = w.connect("alice");
    for i in 0..MAX_WATCH {
        let effects = w.watch(alice, Watch::Add(format!("w{i}")));
        assert!(
            matches!(
                events_for(&effects, alice).as_slice(),
                [Event::Watching { .. }]
            ),
            "{i}: {effects:?}"
        );
    }
    let effects = w.watch(alice, Watch::Add("onemore".into()));
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::ListFull {
            list: ListKind::Watch,
            max: MAX_WATCH,
            nick: "onemore".into()
        })]
    );
    // Adding one already there is still fine; removing one makes room.
    let effects = w.watch(alice, Watch::Add("W5".into()));
    assert!(matches!(
        events_for(&effects, alice).as_slice(),
        [Event::Watching { .. }]
    ));
    w.watch(alice, Watch::Remove("w0".into()));
    let effects = w.watch(alice, Watch::Add("onemore".into()));
    assert!(matches!(
        events_for(&effects, alice).as_slice(),
        [Event::Watching { .. }]
    ));
    assert_eq!(watch_list(&mut w, alice).len(), MAX_WATCH);
}

#[test]
fn guest_watch_remove_is_acknowledged_directly_with_the_listed_spelling() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.watch(alice, Watch::Add("Bob".into()));
    w.watch(alice, Watch::Add("carol".into()));
    let effects = w.watch(alice, Watch::Remove("BOB".into()));
    assert_eq!(
        events_for(&effects, alice),
        [Event::Unwatched { nick: "Bob".into() }]
    );
    assert!(stores(&effects).is_empty());
    assert_eq!(watch_list(&mut w, alice), [entry("carol", false)]);
}

#[test]
fn watch_remove_of_a_nick_not_listed_is_not_watching() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.watch(alice, Watch::Add("carol".into()));
    let effects = w.watch(alice, Watch::Remove("Bob".into()));
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::NotOnList {
            list: ListKind::Watch,
            nick: "Bob".into()
        })]
    );
    assert_eq!(watch_list(&mut w, alice), [entry("carol", false)]);
}

#[test]
fn identified_watch_add_is_acknowledged_once_stored() {
    let mut w = World::new();
    let (alice, _) = w.connect_identified("alice", 11, &[]);
    w.connect("bob");
    w.wait(7);
    let effects = w.watch(alice, Watch::Add("bob".into()));
    assert!(
        recipients(&effects).is_empty(),
        "nothing is said before it is saved"
    );
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::AddToList {
                list: ListKind::Watch,
                account: AccountId(11),
                nick: "bob".into(),
                at: w.unix_now(),
            },
            Some((
                alice,
                Event::Watching {
                    nick: "bob".into(),
                    online: true
                }
            ))
        )]
    );
    assert_eq!(watch_list(&mut w, alice), [entry("bob", true)]);
}

#[test]
fn identified_watch_add_of_a_listed_nick_needs_no_store() {
    let mut w = World::new();
    let (alice, _) = w.connect_identified("alice", 11, &["bob"]);
    let effects = w.watch(alice, Watch::Add("Bob".into()));
    assert!(stores(&effects).is_empty());
    assert_eq!(
        events_for(&effects, alice),
        [Event::Watching {
            nick: "Bob".into(),
            online: false
        }]
    );
}

#[test]
fn identified_watch_remove_is_acknowledged_once_stored() {
    let mut w = World::new();
    let (alice, _) = w.connect_identified("alice", 11, &["Bob"]);
    let effects = w.watch(alice, Watch::Remove("bob".into()));
    assert!(recipients(&effects).is_empty());
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::RemoveFromList {
                list: ListKind::Watch,
                account: AccountId(11),
                nick: "Bob".into(),
            },
            Some((alice, Event::Unwatched { nick: "Bob".into() }))
        )]
    );
    assert_eq!(watch_list(&mut w, alice), []);
}

#[test]
fn watchers_hear_when_a_watched_nick_logs_in_and_out() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let carol = w.connect("carol");
    let dave = w.connect("dave");
    w.watch(alice, Watch::Add("Bob".into()));
    w.watch(carol, Watch::Add("bob".into()));

    let bob_id = w.open();
    let effects = w.login(bob_id, "BOB");
    let login = [Event::WatchedLogin { nick: "BOB".into() }];
    assert_eq!(events_for(&effects, alice), login);
    assert_eq!(events_for(&effects, carol), login);
    assert!(events_for(&effects, dave).is_empty());
    assert_eq!(watch_list(&mut w, alice), [entry("Bob", true)]);

    let effects = w.run(bob_id, Command::Quit { message: None });
    let logout = [Event::WatchedLogout { nick: "BOB".into() }];
    assert_eq!(events_for(&effects, alice), logout);
    assert_eq!(events_for(&effects, carol), logout);
    assert!(events_for(&effects, dave).is_empty());
    assert_eq!(watch_list(&mut w, alice), [entry("Bob", false)]);
}

#[test]
fn watchers_hear_when_a_watched_nick_is_disconnected() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.watch(alice, Watch::Add("bob".into()));
    let bob = w.connect("bob");
    let effects = w.run(
        bob,
        Command::Disconnected {
            reason: "reset".into(),
        },
    );
    assert_eq!(
        events_for(&effects, alice),
        [Event::WatchedLogout { nick: "bob".into() }]
    );
}

#[test]
fn unwatched_and_departed_watchers_hear_nothing() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let carol = w.connect("carol");
    w.watch(alice, Watch::Add("bob".into()));
    w.watch(alice, Watch::Remove("bob".into()));
    w.watch(carol, Watch::Add("bob".into()));
    w.run(carol, Command::Quit { message: None });

    let bob = w.open();
    let effects = w.login(bob, "bob");
    assert_eq!(recipients(&effects), [bob]);
    let effects = w.run(bob, Command::Quit { message: None });
    assert_eq!(recipients(&effects), [bob]);
}

#[test]
fn a_restored_watch_list_is_listed_at_login_and_watched() {
    let mut w = World::with_lobby();
    w.connect("Bob");
    let id = w.open();
    let effects = w.login_identified(id, "alice", 21, &["bob", "carol"]);
    assert_eq!(
        events_for(&effects, id),
        [
            Event::LoggedIn {
                nick: "alice".into(),
                ident: "alice".into()
            },
            Event::WatchedAtLogin(vec![entry("bob", true), entry("carol", false)]),
            Event::Joined(channel("Lobby", 2)),
            names_event("Lobby", &["Bob", "alice"]),
        ]
    );
    let carol = w.open();
    let effects = w.login(carol, "Carol");
    assert!(events_for(&effects, id).contains(&Event::WatchedLogin {
        nick: "Carol".into()
    }));
}

// ---------------------------------------------------------------------------
// Identified
// ---------------------------------------------------------------------------

#[test]
fn identified_saves_the_guest_watch_list_and_acknowledges_registration() {
    let mut w = World::new();
    let alice = w.connect("Alice");
    w.watch(alice, Watch::Add("bob".into()));
    w.watch(alice, Watch::Add("Carol".into()));
    w.wait(3);
    let effects = w.run(
        alice,
        Command::Identified {
            account: AccountId(77),
        },
    );
    assert!(
        recipients(&effects).is_empty(),
        "Registered waits for the save"
    );
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::SaveWatches {
                account: AccountId(77),
                nicks: vec!["bob".into(), "Carol".into()],
                at: w.unix_now(),
            },
            Some((
                alice,
                Event::Registered {
                    nick: "Alice".into()
                }
            ))
        )]
    );
}

#[test]
fn after_identified_the_user_is_saved_like_a_registered_one() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.run(
        alice,
        Command::Identified {
            account: AccountId(77),
        },
    );
    let effects = w.watch(alice, Watch::Add("bob".into()));
    assert!(matches!(
        stores(&effects).as_slice(),
        [(
            StoreWrite::AddToList {
                list: ListKind::Watch,
                account: AccountId(77),
                ..
            },
            Some(_)
        )]
    ));
    let effects = w.run(alice, Command::Quit { message: None });
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::Logout {
                account: AccountId(77),
                at: w.unix_now(),
            },
            None
        )]
    );
}

// ---------------------------------------------------------------------------
// Helpers for the newer commands
// ---------------------------------------------------------------------------

impl World {
    fn change_nick_with(
        &mut self,
        id: SessionId,
        nick: &str,
        identity: Option<Identity>,
    ) -> Vec<Effect> {
        let nick = nick.to_string();
        self.run(id, Command::ChangeNick { nick, identity })
    }

    fn change_nick(&mut self, id: SessionId, nick: &str) -> Vec<Effect> {
        self.change_nick_with(id, nick, None)
    }

    fn change_nick_identified(
        &mut self,
        id: SessionId,
        nick: &str,
        account: i64,
        watch: &[&str],
    ) -> Vec<Effect> {
        self.change_nick_with(id, nick, Some(watching(account, watch)))
    }

    fn away(&mut self, id: SessionId, message: Option<&str>) -> Vec<Effect> {
        self.run(
            id,
            Command::Away {
                message: message.map(str::to_string),
            },
        )
    }

    fn names(&mut self, id: SessionId, channel: &str) -> Vec<Effect> {
        self.run(
            id,
            Command::Names {
                channel: Some(channel.to_string()),
                unknown_is_empty: false,
            },
        )
    }

    fn who_mask(&mut self, id: SessionId, mask: &str) -> Vec<Effect> {
        self.run(
            id,
            Command::Who {
                mask: Some(mask.to_string()),
            },
        )
    }
}

/// What `/whois nick` tells `asker` about someone on line.
fn whois_summary(w: &mut World, asker: SessionId, nick: &str) -> UserSummary {
    match events_for(&w.whois(asker, nick), asker).as_slice() {
        [Event::Whois(summary)] => summary.clone(),
        other => panic!("whois {nick}: unexpected {other:?}"),
    }
}

/// Whether `nick` is on line, as `/whois` (and the store fallback) says.
fn is_online(w: &mut World, asker: SessionId, nick: &str) -> bool {
    let effects = w.whois(asker, nick);
    match effects.as_slice() {
        [Effect::Deliver { event, .. }] if matches!(**event, Event::Whois(_)) => true,
        [Effect::WhoisOffline { .. }] => false,
        other => panic!("whois {nick}: unexpected {other:?}"),
    }
}

/// The nicknames a `Who` for `mask` returns to `asker`, checking the
/// mask is echoed as typed.
fn who_mask_nicks(w: &mut World, asker: SessionId, mask: &str) -> Vec<String> {
    match events_for(&w.who_mask(asker, mask), asker).as_slice() {
        [Event::Who {
            mask: Some(echoed),
            users,
        }] => {
            assert_eq!(echoed, mask);
            users.iter().map(|u| u.nick.clone()).collect()
        }
        other => panic!("who {mask}: unexpected {other:?}"),
    }
}

fn nick_changed(old: &str, new: &str) -> Event {
    Event::NickChanged {
        old: old.into(),
        new: new.into(),
    }
}

// ---------------------------------------------------------------------------
// Newer commands before login
// ---------------------------------------------------------------------------

#[test]
fn newer_commands_before_login_are_not_logged_in() {
    let mut w = World::new();
    let someone = w.connect("someone");
    w.join(someone, "Weather");
    let commands = [
        Command::Say {
            tags: crate::model::ClientTags::NONE,
            channel: Some("Weather".into()),
            text: "hi".into(),
            action: false,
        },
        Command::Topic {
            channel: Some("Weather".into()),
        },
        Command::Who {
            mask: Some("*".into()),
        },
        Command::Stats,
        Command::Names {
            channel: Some("Weather".into()),
            unknown_is_empty: false,
        },
        Command::Ison {
            nicks: vec!["someone".into()],
        },
        Command::Away {
            message: Some("gone".into()),
        },
        Command::ChangeNick {
            nick: "newbie".into(),
            identity: None,
        },
        Command::Watch(Watch::Clear),
    ];
    for command in commands {
        let id = w.open();
        let effects = w.run(id, command.clone());
        assert_eq!(
            events_for(&effects, id),
            [err(ChatError::NotLoggedIn)],
            "{command:?}"
        );
        assert_eq!(
            recipients(&effects),
            [id],
            "only the sender hears: {command:?}"
        );
        assert!(!replies(&effects).contains(&(id, true)), "{command:?}");
        assert!(stores(&effects).is_empty(), "{command:?}");
        assert!(closed(&effects).is_empty(), "{command:?}");
    }
    assert_eq!(w.hub.users_online(), 1);
}

// ---------------------------------------------------------------------------
// Away
// ---------------------------------------------------------------------------

#[test]
fn away_is_confirmed_to_the_sender_told_once_to_channel_mates_and_shown_in_summaries() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let carl = w.connect("carl");
    w.join(alice, "Weather");
    w.join(bob, "Weather");
    w.join(alice, "Pets");
    w.join(bob, "Pets");

    let effects = w.away(alice, Some("gone to lunch"));
    assert_eq!(
        events_for(&effects, alice),
        [Event::Away(Some("gone to lunch".into()))]
    );
    // IRCv3 away-notify: once, however many channels are shared.
    let told = Event::MemberAway {
        nick: "alice".into(),
        message: Some("gone to lunch".into()),
    };
    assert_eq!(events_for(&effects, bob), [told]);
    assert!(
        events_for(&effects, carl).is_empty(),
        "carl shares no channel"
    );
    assert!(stores(&effects).is_empty());

    let away = Some("gone to lunch".to_string());
    assert_eq!(whois_summary(&mut w, bob, "alice").away, away);
    match events_for(&w.run(bob, Command::Who { mask: None }), bob).as_slice() {
        [Event::Who { mask: None, users }] => {
            let shown: Vec<(&str, Option<&str>)> = users
                .iter()
                .map(|u| (u.nick.as_str(), u.away.as_deref()))
                .collect();
            assert_eq!(
                shown,
                [
                    ("alice", Some("gone to lunch")),
                    ("bob", None),
                    ("carl", None)
                ]
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    match delivered_to(
        &w.run(
            bob,
            Command::Names {
                channel: None,
                unknown_is_empty: false,
            },
        ),
        bob,
    )
    .as_slice()
    {
        [Event::Members {
            channel, members, ..
        }] => {
            assert_eq!(channel, "Weather");
            assert_eq!(members[0].user.nick, "alice");
            assert_eq!(members[0].user.away, away);
            assert_eq!(members[1].user.away, None);
        }
        other => panic!("unexpected {other:?}"),
    }
    let who_mask = w.who_mask(bob, "alice");
    match events_for(&who_mask, bob).as_slice() {
        [Event::Who { users, .. }] => assert_eq!(users[0].away, away),
        other => panic!("unexpected {other:?}"),
    }

    // A new message replaces the old one.
    w.away(alice, Some("back at two"));
    assert_eq!(
        whois_summary(&mut w, bob, "alice").away.as_deref(),
        Some("back at two")
    );

    let effects = w.away(alice, None);
    assert_eq!(events_for(&effects, alice), [Event::Away(None)]);
    let back = Event::MemberAway {
        nick: "alice".into(),
        message: None,
    };
    assert_eq!(events_for(&effects, bob), [back]);
    assert_eq!(whois_summary(&mut w, bob, "alice").away, None);

    // Joining while away: the members hear the JOIN, then that she is away.
    w.away(alice, Some("nap"));
    w.join(carl, "Gardening");
    let effects = w.join(alice, "Gardening");
    let heard = events_for(&effects, carl);
    assert!(
        matches!(heard.as_slice(), [Event::MemberJoined { .. }, Event::MemberAway { nick, message }]
            if nick == "alice" && message.as_deref() == Some("nap")),
        "{heard:?}"
    );
}

#[test]
fn away_with_a_blank_message_counts_as_back() {
    for blank in ["", " ", "  \t "] {
        let mut w = World::new();
        let alice = w.connect("alice");
        let bob = w.connect("bob");
        w.away(alice, Some("out"));
        let effects = w.away(alice, Some(blank));
        assert_eq!(
            events_for(&effects, alice),
            [Event::Away(None)],
            "{blank:?}"
        );
        assert_eq!(whois_summary(&mut w, bob, "alice").away, None, "{blank:?}");
        // And no AwayReply to someone writing to her.
        let effects = w.private(bob, "alice", "there?");
        assert!(
            !events_for(&effects, bob)
                .iter()
                .any(|e| matches!(e, Event::AwayReply { .. })),
            "{blank:?}"
        );
    }
}

#[test]
fn away_before_any_away_message_is_just_back() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let effects = w.away(alice, None);
    assert_eq!(events_for(&effects, alice), [Event::Away(None)]);
}

#[test]
fn private_to_an_away_user_tells_the_sender_after_the_confirmation() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("Bob");
    w.away(bob, Some("gone fishing"));

    let effects = w.private(alice, "BOB", "fish?");
    assert_eq!(
        events_for(&effects, bob),
        [Event::Private {
            tags: crate::model::ClientTags::NONE,
            from: "alice".into(),
            text: "fish?".into(),
            action: false,
            stamp: Stamp::BLANK,
        }],
        "the away user still gets the line"
    );
    assert_eq!(
        events_for(&effects, alice),
        [
            Event::PrivateSent {
                tags: crate::model::ClientTags::NONE,
                to: "Bob".into(),
                text: "fish?".into(),
                action: false,
                stamp: Stamp::BLANK,
            },
            Event::AwayReply {
                nick: "Bob".into(),
                message: "gone fishing".into(),
            },
        ]
    );

    // The away user writing to someone who is not away hears no AwayReply.
    let effects = w.private(bob, "alice", "yes");
    assert_eq!(
        events_for(&effects, bob),
        [Event::PrivateSent {
            tags: crate::model::ClientTags::NONE,
            to: "alice".into(),
            text: "yes".into(),
            action: false,
            stamp: Stamp::BLANK,
        }]
    );

    // Back: no more AwayReply.
    w.away(bob, None);
    let effects = w.private(alice, "bob", "caught any?");
    assert_eq!(
        events_for(&effects, alice),
        [Event::PrivateSent {
            tags: crate::model::ClientTags::NONE,
            to: "Bob".into(),
            text: "caught any?".into(),
            action: false,
            stamp: Stamp::BLANK,
        }]
    );
}

#[test]
fn private_errors_to_an_away_user_have_no_away_reply() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.away(bob, Some("out"));
    let effects = w.private(alice, "bob", "");
    assert_eq!(events_for(&effects, alice), [err(ChatError::EmptyMessage)]);
    assert_eq!(recipients(&effects), [alice]);
}

// ---------------------------------------------------------------------------
// ChangeNick
// ---------------------------------------------------------------------------

#[test]
fn change_nick_refuses_bad_nicks_with_the_reason() {
    let too_long = "a".repeat(NICK_LENGTH + 1);
    let cases = [
        ("", NickError::Empty),
        ("9lives", NickError::BadFirst('9')),
        ("-dash", NickError::BadFirst('-')),
        ("two words", NickError::BadChar(' ')),
        ("café", NickError::BadChar('é')),
        (too_long.as_str(), NickError::TooLong { max: NICK_LENGTH }),
    ];
    for (typed, why) in cases {
        let mut w = World::new();
        let alice = w.connect("alice");
        let bob = w.connect("bob");
        w.join(alice, "Weather");
        w.join(bob, "Weather");
        let effects = w.change_nick(alice, typed);
        assert_eq!(
            events_for(&effects, alice),
            [err(ChatError::BadNick(why))],
            "{typed:?}"
        );
        assert_eq!(replies(&effects), [(alice, false)], "{typed:?}");
        assert_eq!(recipients(&effects), [alice], "{typed:?}");
        assert!(closed(&effects).is_empty(), "{typed:?}");
        // Still alice, still logged in.
        assert_eq!(whois_summary(&mut w, bob, "alice").nick, "alice");
        assert_eq!(w.hub.users_online(), 2);
    }
}

#[test]
fn change_nick_to_a_nick_held_by_another_is_in_use() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(alice, "Weather");
    w.join(bob, "Weather");
    let effects = w.change_nick(alice, "BOB");
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::NickInUse("BOB".into()))]
    );
    assert_eq!(replies(&effects), [(alice, false)]);
    assert_eq!(recipients(&effects), [alice], "the holder hears nothing");
    assert_eq!(whois_summary(&mut w, alice, "alice").nick, "alice");
    assert_eq!(whois_summary(&mut w, alice, "bob").nick, "bob");
}

#[test]
fn change_nick_with_identity_to_a_nick_held_by_another_is_in_use() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let effects = w.change_nick_identified(alice, "Bob", 7, &[]);
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::NickInUse("Bob".into()))]
    );
    assert_eq!(replies(&effects), [(alice, false)]);
    assert!(stores(&effects).is_empty());
    assert!(closed(&effects).is_empty(), "no takeover by ChangeNick");
    assert_eq!(whois_summary(&mut w, bob, "bob").nick, "bob");
}

#[test]
fn change_nick_accepts_then_tells_the_user_and_everyone_sharing_a_channel_once() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob"); // shares two channels with alice
    let carol = w.connect("carol"); // shares one
    let dave = w.connect("dave"); // shares none
    let erin = w.connect("erin"); // in no channel
    w.join(alice, "Weather");
    w.join(alice, "Gardening");
    w.join(bob, "Weather");
    w.join(bob, "Gardening");
    w.join(carol, "Gardening");
    w.join(dave, "CurrentEvents");

    let effects = w.change_nick(alice, "Alicia");
    assert_eq!(replies(&effects), [(alice, true)]);
    let reply = position(&effects, "LoginReply", |e| {
        matches!(e, Effect::LoginReply { .. })
    });
    let first_delivery = position(&effects, "Deliver", |e| matches!(e, Effect::Deliver { .. }));
    assert!(reply < first_delivery, "accepted before anyone is told");

    let changed = [nick_changed("alice", "Alicia")];
    assert_eq!(events_for(&effects, alice), changed);
    assert_eq!(events_for(&effects, bob), changed, "once for two channels");
    assert_eq!(events_for(&effects, carol), changed);
    assert!(events_for(&effects, dave).is_empty());
    assert!(events_for(&effects, erin).is_empty());
    let mut told = recipients(&effects);
    told.sort();
    assert_eq!(told, [alice, bob, carol]);
    assert!(stores(&effects).is_empty(), "a guest saves nothing");
    assert!(closed(&effects).is_empty());

    // One event shared among the hearers.
    let events: Vec<&Arc<Event>> = effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Deliver { event, .. } => Some(event),
            _ => None,
        })
        .collect();
    for event in &events[1..] {
        assert!(Arc::ptr_eq(events[0], event));
    }

    // The new name is used everywhere from now on.
    assert_eq!(w.hub.users_online(), 5);
    let summary = whois_summary(&mut w, dave, "alicia");
    assert_eq!(summary.nick, "Alicia");
    assert_eq!(summary.channel_names(), ["Gardening", "Weather"]);
    assert_eq!(
        events_for(&w.say(alice, "hi"), carol),
        [public("Gardening", "Alicia", "hi")]
    );
    assert_eq!(
        events_for(&w.private(bob, "ALICIA", "hello"), alice),
        [Event::Private {
            tags: crate::model::ClientTags::NONE,
            from: "bob".into(),
            text: "hello".into(),
            action: false,
            stamp: Stamp::BLANK,
        }]
    );
    assert_eq!(
        events_for(&w.names(dave, "Weather"), dave),
        [asked_names("Weather", &["Alicia", "bob"])]
    );
}

#[test]
fn change_nick_frees_the_old_nick_and_takes_the_new_one() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    assert_eq!(replies(&w.change_nick(alice, "alicia")), [(alice, true)]);

    assert!(!is_online(&mut w, bob, "alice"));
    assert!(is_online(&mut w, bob, "alicia"));
    let effects = w.private(bob, "alice", "hi");
    assert!(
        events_for(&effects, bob).is_empty(),
        "alice is off line now"
    );
    assert!(matches!(
        effects.as_slice(),
        [Effect::PrivateOffline { .. }]
    ));

    // Someone else may take the old one now, but not the new one.
    let other = w.open();
    let effects = w.login(other, "ALICIA");
    assert_eq!(
        events_for(&effects, other),
        [err(ChatError::NickInUse("ALICIA".into()))]
    );
    assert_eq!(replies(&w.login(other, "Alice")), [(other, true)]);
    assert_eq!(
        events_for(&w.change_nick(bob, "alicia"), bob),
        [err(ChatError::NickInUse("alicia".into()))]
    );

    // Quitting frees the new nick, not the other user's.
    w.run(alice, Command::Quit { message: None });
    assert!(!is_online(&mut w, bob, "alicia"));
    assert_eq!(whois_summary(&mut w, bob, "alice").nick, "Alice");
    w.connect("alicia");
}

#[test]
fn change_nick_alone_tells_only_the_user() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let _bob = w.connect("bob");
    let effects = w.change_nick(alice, "zed");
    assert_eq!(events_for(&effects, alice), [nick_changed("alice", "zed")]);
    assert_eq!(recipients(&effects), [alice]);
}

#[test]
fn change_nick_in_case_only_of_ones_own_nick_is_allowed() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let watcher = w.connect("watcher");
    w.watch(watcher, Watch::Add("alice".into()));
    w.join(alice, "Weather");
    w.join(bob, "Weather");

    let effects = w.change_nick(alice, "ALICE");
    assert_eq!(replies(&effects), [(alice, true)]);
    assert_eq!(
        events_for(&effects, alice),
        [nick_changed("alice", "ALICE")]
    );
    assert_eq!(events_for(&effects, bob), [nick_changed("alice", "ALICE")]);
    assert!(
        events_for(&effects, watcher).is_empty(),
        "the same person: no logout or login for watchers"
    );
    assert_eq!(whois_summary(&mut w, bob, "alice").nick, "ALICE");
    assert_eq!(watch_list(&mut w, watcher), [entry("alice", true)]);
    assert_eq!(w.hub.users_online(), 3);
}

#[test]
fn identified_change_in_case_only_keeps_the_account() {
    let mut w = World::new();
    let (alice, _) = w.connect_identified("alice", 7, &[]);
    let effects = w.change_nick(alice, "Alice");
    assert_eq!(replies(&effects), [(alice, true)]);
    assert!(stores(&effects).is_empty(), "still logged in to account 7");
    // Still saved like a registered user.
    let effects = w.watch(alice, Watch::Add("bob".into()));
    assert!(matches!(
        stores(&effects).as_slice(),
        [(
            StoreWrite::AddToList {
                list: ListKind::Watch,
                account: AccountId(7),
                ..
            },
            Some(_)
        )]
    ));
    let effects = w.run(alice, Command::Quit { message: None });
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::Logout {
                account: AccountId(7),
                at: w.unix_now(),
            },
            None
        )]
    );
}

#[test]
fn identified_change_to_another_name_leaves_the_account_behind() {
    let mut w = World::new();
    let (alice, _) = w.connect_identified("alice", 7, &["carol"]);
    w.wait(4);
    let effects = w.change_nick(alice, "anon");
    assert_eq!(replies(&effects), [(alice, true)]);
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::Logout {
                account: AccountId(7),
                at: w.unix_now(),
            },
            None
        )]
    );
    assert_eq!(events_for(&effects, alice), [nick_changed("alice", "anon")]);

    // A guest now: nothing more is saved for account 7.
    let effects = w.watch(alice, Watch::Add("bob".into()));
    assert!(stores(&effects).is_empty());
    assert_eq!(
        events_for(&effects, alice),
        [Event::Watching {
            nick: "bob".into(),
            online: false
        }]
    );
    let effects = w.watch(alice, Watch::Remove("carol".into()));
    assert!(stores(&effects).is_empty());
    w.wait(10);
    let effects = w.run(alice, Command::Quit { message: None });
    assert!(
        stores(&effects).is_empty(),
        "already logged out: {effects:?}"
    );
}

#[test]
fn identify_of_ones_own_nick_tells_nobody() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(alice, "Weather");
    w.join(bob, "Weather");
    let effects = w.change_nick_identified(alice, "alice", 3, &[]);
    assert_eq!(replies(&effects), [(alice, true)]);
    assert!(events_for(&effects, bob).is_empty());
    assert!(events_for(&effects, alice).is_empty());
}

#[test]
fn a_keepalive_does_not_count_as_the_user_typing() {
    // What a door sends for a line it answered itself (/help, PING).
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.wait(100);
    w.run(alice, Command::Ping);
    let idle = whois_summary(&mut w, bob, "alice").idle;
    assert!(idle >= Duration::from_secs(100), "{idle:?}");
}

#[test]
fn change_nick_with_identity_attaches_the_account_and_merges_the_watch_list() {
    let mut w = World::new();
    let guest = w.connect("guest1");
    w.connect("Dave");
    w.watch(guest, Watch::Add("bob".into()));
    w.watch(guest, Watch::Add("Dave".into()));
    w.wait(6);

    let effects = w.change_nick_identified(guest, "Alice", 9, &["Bob", "carol", "dave"]);
    assert_eq!(replies(&effects), [(guest, true)]);
    assert_eq!(
        stores(&effects),
        [
            (
                StoreWrite::Login {
                    account: AccountId(9),
                    from: peer().to_string(),
                    at: w.unix_now(),
                },
                None
            ),
            // What the guest watched is saved with the account's list.
            (
                StoreWrite::SaveWatches {
                    account: AccountId(9),
                    nicks: vec!["bob".into(), "Dave".into(), "carol".into()],
                    at: w.unix_now(),
                },
                None
            )
        ]
    );
    assert_eq!(
        events_for(&effects, guest),
        [nick_changed("guest1", "Alice")]
    );
    // Merged ignoring case, keeping the spelling already listed.
    assert_eq!(
        watch_list(&mut w, guest),
        [
            entry("bob", false),
            entry("Dave", true),
            entry("carol", false)
        ]
    );
    // The merged entries are watched.
    let carol = w.open();
    let effects = w.login(carol, "Carol");
    assert_eq!(
        events_for(&effects, guest),
        [Event::WatchedLogin {
            nick: "Carol".into()
        }]
    );
    let bob = w.open();
    let effects = w.login(bob, "BOB");
    assert_eq!(
        events_for(&effects, guest),
        [Event::WatchedLogin { nick: "BOB".into() }],
        "heard once though listed twice"
    );

    // Saved like a registered user from now on.
    let effects = w.watch(guest, Watch::Remove("carol".into()));
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::RemoveFromList {
                list: ListKind::Watch,
                account: AccountId(9),
                nick: "carol".into(),
            },
            Some((
                guest,
                Event::Unwatched {
                    nick: "carol".into()
                }
            ))
        )]
    );
    w.wait(5);
    let effects = w.run(guest, Command::Quit { message: None });
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::Logout {
                account: AccountId(9),
                at: w.unix_now(),
            },
            None
        )]
    );
}

#[test]
fn change_nick_with_identity_of_ones_own_nick_attaches_the_account() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let effects = w.change_nick_identified(alice, "Alice", 9, &[]);
    assert_eq!(replies(&effects), [(alice, true)]);
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::Login {
                account: AccountId(9),
                from: peer().to_string(),
                at: w.unix_now(),
            },
            None
        )]
    );
    let effects = w.run(alice, Command::Quit { message: None });
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::Logout {
                account: AccountId(9),
                at: w.unix_now(),
            },
            None
        )]
    );
}

#[test]
fn change_nick_from_one_account_to_another_logs_out_then_in() {
    let mut w = World::new();
    let (alice, _) = w.connect_identified("alice", 7, &[]);
    let effects = w.change_nick_identified(alice, "bob", 8, &[]);
    let at = w.unix_now();
    assert_eq!(
        stores(&effects),
        [
            (
                StoreWrite::Logout {
                    account: AccountId(7),
                    at
                },
                None
            ),
            (
                StoreWrite::Login {
                    account: AccountId(8),
                    from: peer().to_string(),
                    at
                },
                None
            ),
        ]
    );
}

#[test]
fn change_nick_tells_watchers_of_the_old_nick_logout_and_of_the_new_login() {
    let mut w = World::new();
    let old_watcher = w.connect("w1");
    let new_watcher = w.connect("w2");
    let both = w.connect("w3");
    let neither = w.connect("w4");
    w.watch(old_watcher, Watch::Add("Alice".into()));
    w.watch(new_watcher, Watch::Add("ALICIA".into()));
    w.watch(both, Watch::Add("alice".into()));
    w.watch(both, Watch::Add("alicia".into()));
    w.watch(neither, Watch::Add("carol".into()));
    let alice = w.connect("alice");

    let effects = w.change_nick(alice, "Alicia");
    let logout = Event::WatchedLogout {
        nick: "alice".into(),
    };
    let login = Event::WatchedLogin {
        nick: "Alicia".into(),
    };
    assert_eq!(events_for(&effects, both), [logout.clone(), login.clone()]);
    assert_eq!(events_for(&effects, old_watcher), [logout]);
    assert_eq!(events_for(&effects, new_watcher), [login]);
    assert!(events_for(&effects, neither).is_empty());

    assert_eq!(watch_list(&mut w, old_watcher), [entry("Alice", false)]);
    assert_eq!(watch_list(&mut w, new_watcher), [entry("ALICIA", true)]);

    // Watchers of the new nick hear when it goes.
    let effects = w.run(alice, Command::Quit { message: None });
    assert_eq!(
        events_for(&effects, new_watcher),
        [Event::WatchedLogout {
            nick: "Alicia".into()
        }]
    );
    assert!(events_for(&effects, old_watcher).is_empty());
}

#[test]
fn change_nick_keeps_the_away_message_and_channels() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(alice, "Weather");
    w.away(alice, Some("out"));
    w.change_nick(alice, "alicia");
    let summary = whois_summary(&mut w, bob, "alicia");
    assert_eq!(summary.away.as_deref(), Some("out"));
    assert_eq!(summary.channel_names(), ["Weather"]);
    assert_eq!(current_channel(&mut w, alice).as_deref(), Some("Weather"));
}

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

#[test]
fn names_lists_members_in_join_order() {
    let mut w = World::new();
    let carol = w.connect("carol");
    let alice = w.connect("Alice");
    let bob = w.connect("bob");
    let outsider = w.connect("outsider");
    w.join(carol, "Weather");
    w.join(alice, "Weather");
    w.join(bob, "Weather");

    for typed in ["Weather", "#weather", "WEATHER"] {
        let effects = w.names(outsider, typed);
        assert_eq!(
            events_for(&effects, outsider),
            [asked_names("Weather", &["carol", "Alice", "bob"])],
            "{typed}"
        );
        assert_eq!(recipients(&effects), [outsider], "{typed}");
    }

    // Leaving and joining again goes to the end.
    w.part(alice, Some("Weather"));
    w.join(alice, "Weather");
    assert_eq!(
        events_for(&w.names(carol, "Weather"), carol),
        [asked_names("Weather", &["carol", "bob", "Alice"])]
    );

    assert_eq!(
        events_for(&w.names(carol, "Gardening"), carol),
        [asked_names("Gardening", &[])]
    );
}

#[test]
fn names_of_an_unknown_channel_is_no_such_channel() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let effects = w.names(alice, "#Nowhere");
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::NoSuchChannel("#Nowhere".into()))]
    );
}

#[test]
fn names_follow_joined_only_on_a_new_join() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("Bob");
    w.join(bob, "Gardening");
    let effects = w.join(alice, "#gardening");
    assert_eq!(
        events_for(&effects, alice),
        [
            Event::Joined(channel("Gardening", 2)),
            names_event("Gardening", &["Bob", "alice"]),
        ]
    );
    w.join(alice, "Weather");
    let effects = w.join(alice, "Gardening");
    assert_eq!(
        events_for(&effects, alice),
        [Event::Joined(channel("Gardening", 2))],
        "making a channel current again sends no Names"
    );
    let effects = w.join(alice, "Gardening");
    assert_eq!(
        events_for(&effects, alice),
        [Event::Joined(channel("Gardening", 2))],
        "nor does joining the current channel again"
    );
}

// ---------------------------------------------------------------------------
// Ison
// ---------------------------------------------------------------------------

#[test]
fn ison_gives_only_the_online_nicks_in_their_own_spelling() {
    let mut w = World::new();
    let alice = w.connect("Alice");
    w.connect("bob");
    w.open(); // not logged in
    let effects = w.run(
        alice,
        Command::Ison {
            nicks: vec![
                "BOB".into(),
                "nobody".into(),
                "alice".into(),
                "carol".into(),
            ],
        },
    );
    assert_eq!(
        events_for(&effects, alice),
        [Event::Ison(vec!["bob".into(), "Alice".into()])]
    );
    assert_eq!(recipients(&effects), [alice]);

    let effects = w.run(alice, Command::Ison { nicks: vec![] });
    assert_eq!(events_for(&effects, alice), [Event::Ison(vec![])]);
    let effects = w.run(
        alice,
        Command::Ison {
            nicks: vec!["carol".into()],
        },
    );
    assert_eq!(events_for(&effects, alice), [Event::Ison(vec![])]);
}

// ---------------------------------------------------------------------------
// Say to a named channel
// ---------------------------------------------------------------------------

#[test]
fn say_in_goes_to_the_named_channel_even_when_another_is_current() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let carol = w.connect("carol");
    w.join(alice, "Weather");
    w.join(alice, "Gardening"); // current
    w.join(bob, "Weather");
    w.join(carol, "Gardening");

    let effects = w.say_in(alice, "#weather", "rain later");
    let line = [public("Weather", "alice", "rain later")];
    assert_eq!(events_for(&effects, alice), line);
    assert_eq!(events_for(&effects, bob), line);
    assert!(events_for(&effects, carol).is_empty());
    let mut told = recipients(&effects);
    told.sort();
    assert_eq!(told, [alice, bob]);
    // The current channel is unchanged.
    assert_eq!(current_channel(&mut w, alice).as_deref(), Some("Gardening"));

    let effects = w.run(
        alice,
        Command::Say {
            tags: crate::model::ClientTags::NONE,
            channel: Some("Weather".into()),
            text: "waves".into(),
            action: true,
        },
    );
    assert_eq!(
        events_for(&effects, bob),
        [Event::Public {
            tags: crate::model::ClientTags::NONE,
            channel: "Weather".into(),
            from: "alice".into(),
            text: "waves".into(),
            action: true,
            stamp: Stamp::BLANK,
        }]
    );
}

#[test]
fn say_in_a_channel_you_are_not_in_cannot_send_there() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(alice, "Gardening");
    w.join(bob, "Weather");
    let effects = w.say_in(alice, "#WEATHER", "hello?");
    // chat.toml's channels are +n: RFC 2812's ERR_CANNOTSENDTOCHAN.
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::CannotSendToChan("Weather".into()))]
    );
    assert_eq!(recipients(&effects), [alice]);
}

#[test]
fn say_in_an_unknown_channel_is_no_such_channel() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    let effects = w.say_in(alice, "#nowhere", "hello?");
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::NoSuchChannel("#nowhere".into()))]
    );
    assert_eq!(recipients(&effects), [alice]);
}

#[test]
fn say_in_of_nothing_is_an_empty_message() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(alice, "Weather");
    w.join(bob, "Weather");
    let effects = w.say_in(alice, "Weather", "");
    assert_eq!(events_for(&effects, alice), [err(ChatError::EmptyMessage)]);
    assert_eq!(recipients(&effects), [alice]);
}

// ---------------------------------------------------------------------------
// Topic
// ---------------------------------------------------------------------------

#[test]
fn topic_gives_the_channel_description() {
    let mut w = World::new();
    let alice = w.connect("alice");
    for (typed, name) in [("#GARDENING", "Gardening"), ("weather", "Weather")] {
        let effects = w.run(
            alice,
            Command::Topic {
                channel: Some(typed.into()),
            },
        );
        let description = channel(name, 0).description;
        assert_eq!(
            events_for(&effects, alice),
            [Event::Topic {
                channel: name.into(),
                topic: description,
            }],
            "{typed}"
        );
        assert_eq!(recipients(&effects), [alice]);
    }
}

#[test]
fn topic_of_an_unknown_channel_is_no_such_channel() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let effects = w.run(
        alice,
        Command::Topic {
            channel: Some("#nowhere".into()),
        },
    );
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::NoSuchChannel("#nowhere".into()))]
    );
}

// ---------------------------------------------------------------------------
// Who with a mask
// ---------------------------------------------------------------------------

#[test]
fn who_mask_of_a_channel_gives_its_members() {
    let mut w = World::new();
    let carol = w.connect("carol");
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(carol, "Weather");
    w.join(alice, "Weather");
    w.join(bob, "Gardening");
    assert_eq!(who_mask_nicks(&mut w, bob, "#Weather"), ["carol", "alice"]);
    assert_eq!(who_mask_nicks(&mut w, bob, "#weather"), ["carol", "alice"]);
    assert_eq!(
        who_mask_nicks(&mut w, bob, "#CurrentEvents"),
        Vec::<String>::new()
    );
    // Full summaries, like /who.
    let effects = w.who_mask(bob, "#Gardening");
    match events_for(&effects, bob).as_slice() {
        [Event::Who { users, .. }] => {
            assert_eq!(users.len(), 1);
            assert_eq!(users[0].nick, "bob");
            assert_eq!(users[0].channel_names(), ["Gardening"]);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(recipients(&effects), [bob]);
}

#[test]
fn who_mask_star_or_zero_gives_everyone_sorted() {
    let mut w = World::new();
    let carol = w.connect("carol");
    w.connect("Bob");
    w.connect("alice");
    w.open(); // not logged in: not listed
    for mask in ["*", "0"] {
        assert_eq!(
            who_mask_nicks(&mut w, carol, mask),
            ["alice", "Bob", "carol"],
            "{mask}"
        );
    }
}

#[test]
fn who_mask_of_a_nick_gives_that_user_and_of_an_unknown_name_nobody() {
    let mut w = World::new();
    let alice = w.connect("alice");
    w.connect("Bob");
    w.join(alice, "Weather");
    assert_eq!(who_mask_nicks(&mut w, alice, "BOB"), ["Bob"]);
    assert_eq!(
        who_mask_nicks(&mut w, alice, "nobody"),
        Vec::<String>::new()
    );
    assert_eq!(
        who_mask_nicks(&mut w, alice, "#nowhere"),
        Vec::<String>::new()
    );
}

#[test]
fn who_mask_of_a_channel_name_without_a_hash() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(alice, "Weather");
    w.join(bob, "Weather");
    // Nobody is called Weather: it is the channel.
    assert_eq!(who_mask_nicks(&mut w, alice, "weather"), ["alice", "bob"]);

    // Once someone is, the bare name means them; the # still means the channel.
    let weather = w.connect("Weather");
    w.join(weather, "Gardening");
    assert_eq!(who_mask_nicks(&mut w, alice, "weather"), ["Weather"]);
    assert_eq!(who_mask_nicks(&mut w, alice, "#weather"), ["alice", "bob"]);
}

// ---------------------------------------------------------------------------
// Stats
// ---------------------------------------------------------------------------

#[test]
fn stats_counts_users_online_channels_and_the_peak() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.connect("carol");
    w.open(); // not logged in: not counted
    let effects = w.run(alice, Command::Stats);
    assert_eq!(
        events_for(&effects, alice),
        [Event::Stats {
            users: 3,
            channels: CHANNELS.len(),
            peak: 3,
        }]
    );
    assert_eq!(recipients(&effects), [alice]);
    w.run(bob, Command::Quit { message: None });
    assert_eq!(
        events_for(&w.run(alice, Command::Stats), alice),
        [Event::Stats {
            users: 2,
            channels: CHANNELS.len(),
            peak: 3,
        }]
    );
}

#[test]
fn userhost_tells_who_is_on_line_an_operator_or_away() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("Bob");
    w.run(bob, Command::Oper { name: "bob".into() });
    w.run(
        bob,
        Command::Away {
            message: Some("out".into()),
        },
    );
    let nicks = ["bob", "nobody", "alice"].map(String::from).to_vec();
    let effects = w.run(alice, Command::Userhost { nicks });
    let presence = |nick: &str, oper, away| Presence {
        nick: nick.into(),
        ident: nick.into(),
        oper,
        away,
    };
    assert_eq!(
        events_for(&effects, alice),
        [Event::Userhost(vec![
            presence("Bob", true, true),
            presence("alice", false, false)
        ])]
    );
}

#[test]
fn wallops_reach_only_those_who_hear_them() {
    let mut w = World::new();
    let root = w.connect("root");
    w.run(
        root,
        Command::Oper {
            name: "root".into(),
        },
    );
    let quiet = w.open();
    w.run(quiet, Command::HearWallops(false));
    w.login(quiet, "quiet");
    let loud = w.connect("loud");
    let effects = w.run(
        root,
        Command::Wallops {
            text: "restart at noon".into(),
        },
    );
    let heard = |effects: &[Effect]| {
        let mut to = recipients(effects);
        to.sort();
        to
    };
    assert_eq!(heard(&effects), [root, loud]);
    w.run(quiet, Command::HearWallops(true));
    let effects = w.run(
        root,
        Command::Wallops {
            text: "restart now".into(),
        },
    );
    assert_eq!(heard(&effects), [root, quiet, loud]);
}

// ---------------------------------------------------------------------------
// Watch::Clear
// ---------------------------------------------------------------------------

#[test]
fn guest_watch_clear_empties_the_list_and_stops_watching() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.watch(alice, Watch::Add("bob".into()));
    w.watch(alice, Watch::Add("Carol".into()));
    let effects = w.watch(alice, Watch::Clear);
    assert_eq!(events_for(&effects, alice), [Event::WatchList(vec![])]);
    assert_eq!(recipients(&effects), [alice]);
    assert!(stores(&effects).is_empty());
    assert_eq!(watch_list(&mut w, alice), []);

    // No more news of them.
    let carol = w.open();
    let effects = w.login(carol, "carol");
    assert_eq!(recipients(&effects), [carol]);
    let effects = w.run(bob, Command::Quit { message: None });
    assert!(events_for(&effects, alice).is_empty());

    // And the list can be built again.
    w.watch(alice, Watch::Add("dave".into()));
    assert_eq!(watch_list(&mut w, alice), [entry("dave", false)]);
}

#[test]
fn watch_clear_of_an_empty_list_is_just_an_empty_list() {
    let mut w = World::new();
    let (alice, _) = w.connect_identified("alice", 5, &[]);
    let effects = w.watch(alice, Watch::Clear);
    assert_eq!(events_for(&effects, alice), [Event::WatchList(vec![])]);
    assert!(stores(&effects).is_empty());
}

#[test]
fn identified_watch_clear_removes_each_entry_from_the_store() {
    let mut w = World::new();
    let (alice, _) = w.connect_identified("alice", 12, &["bob", "Carol"]);
    let effects = w.watch(alice, Watch::Clear);
    assert_eq!(
        stores(&effects),
        [
            (
                StoreWrite::RemoveFromList {
                    list: ListKind::Watch,
                    account: AccountId(12),
                    nick: "bob".into(),
                },
                None
            ),
            (
                StoreWrite::RemoveFromList {
                    list: ListKind::Watch,
                    account: AccountId(12),
                    nick: "Carol".into(),
                },
                None
            ),
        ]
    );
    assert_eq!(events_for(&effects, alice), [Event::WatchList(vec![])]);
    assert_eq!(watch_list(&mut w, alice), []);
    let carol = w.open();
    let effects = w.login(carol, "CAROL");
    assert!(events_for(&effects, alice).is_empty());
}

// ---------------------------------------------------------------------------
// Ping and idle time
// ---------------------------------------------------------------------------

#[test]
fn ping_says_nothing() {
    let mut w = World::new();
    let alice = w.connect("alice");
    assert!(w.run(alice, Command::Ping).is_empty());
    let lurker = w.open();
    assert!(
        w.run(lurker, Command::Ping).is_empty(),
        "not even before login"
    );
}

#[test]
fn ping_keeps_a_session_from_timing_out_but_not_from_looking_idle() {
    let mut w = World::new();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let lurker = w.open(); // pings before login count too
    for _ in 0..3 {
        w.wait(500);
        for id in [alice, bob, lurker] {
            w.run(id, Command::Ping);
        }
        assert!(w.tick().is_empty(), "pinged 500 s ago");
    }
    // 1500 s without input, though alive.
    let summary = whois_summary(&mut w, bob, "alice");
    assert_eq!(summary.idle, Duration::from_secs(1500));
    assert_eq!(summary.online, Duration::from_secs(1500));
    w.wait(30);
    match events_for(&w.run(bob, Command::Who { mask: None }), bob).as_slice() {
        [Event::Who { mask: None, users }] => {
            assert_eq!(users[0].nick, "alice");
            assert_eq!(users[0].idle, Duration::from_secs(1530));
            assert_eq!(users[1].nick, "bob");
            assert_eq!(users[1].idle, Duration::ZERO, "/who is input");
        }
        other => panic!("unexpected {other:?}"),
    }
    // Without more pings alice times out 600 s after her last one.
    w.wait(IDLE_TIMEOUT.as_secs() - 30 - 1);
    assert!(!closed(&w.tick()).contains(&alice));
    w.wait(1);
    let mut gone = closed(&w.tick());
    gone.sort();
    assert_eq!(gone, [alice, lurker]);
}

// ---------------------------------------------------------------------------
// Idle timeout by door
// ---------------------------------------------------------------------------

const UDP_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn udp_sessions_time_out_after_the_udp_idle_timeout() {
    let mut w = World::new();
    let text = w.connect("text");
    let irc = w.connect("irc");
    let udp = w.connect_lasting("udp", UDP_IDLE_TIMEOUT);
    let udp_lurker = w.open_lasting(UDP_IDLE_TIMEOUT);
    for id in [text, irc, udp] {
        w.join(id, "Weather");
    }
    w.wait(UDP_IDLE_TIMEOUT.as_secs() - 1);
    assert!(closed(&w.tick()).is_empty(), "nobody is logged out yet");
    w.wait(1);

    let effects = w.tick();
    let reason = "idle timeout (no input for 00:01:00)";
    assert_eq!(events_for(&effects, udp), [closing(reason)]);
    assert_eq!(events_for(&effects, udp_lurker), [closing(reason)]);
    for id in [text, irc] {
        assert_eq!(
            events_for(&effects, id),
            [left("Weather", "udp", Departure::Lost(reason.into()))]
        );
    }
    let mut gone = closed(&effects);
    gone.sort();
    assert_eq!(gone, [udp, udp_lurker]);
    assert_eq!(w.hub.users_online(), 2);

    // The others last the ordinary idle timeout.
    w.wait(IDLE_TIMEOUT.as_secs() - UDP_IDLE_TIMEOUT.as_secs() - 1);
    assert!(closed(&w.tick()).is_empty(), "nobody is logged out yet");
    w.wait(1);
    let effects = w.tick();
    for id in [text, irc] {
        assert!(events_for(&effects, id).contains(&closing(IDLE_REASON)));
    }
    let mut gone = closed(&effects);
    gone.sort();
    assert_eq!(gone, [text, irc]);
}

#[test]
fn udp_sessions_outlast_the_ordinary_idle_timeout_when_theirs_is_longer() {
    let udp_timeout = Duration::from_secs(3600);
    let mut w = World::new();
    let text = w.connect("text");
    let irc = w.connect("irc");
    let udp = w.connect_lasting("udp", udp_timeout);
    w.wait(IDLE_TIMEOUT.as_secs());
    let mut gone = closed(&w.tick());
    gone.sort();
    assert_eq!(gone, [text, irc]);
    assert_eq!(w.hub.users_online(), 1);

    // A STILL_HERE keeps it going.
    w.wait(1800);
    w.run(udp, Command::Ping);
    w.wait(udp_timeout.as_secs() - 1);
    assert!(closed(&w.tick()).is_empty(), "nobody is logged out yet");
    w.wait(1);
    let effects = w.tick();
    assert_eq!(
        events_for(&effects, udp),
        [closing("idle timeout (no input for 01:00:00)")]
    );
    assert_eq!(closed(&effects), [udp]);
}
