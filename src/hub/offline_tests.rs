//! Unit tests of the hub's "nothing said is lost" rules: channel history,
//! memos for people off line, ignore lists, WHOWAS, the idle warning and
//! history pruning. Commands and the time in, effects out; no sockets.

use std::sync::Arc;
use std::time::Duration;

use super::test_support::{
    closed, err, events_for, identity, public, recipients, replies, stores, unstamped, Stored,
    World, IDLE_TIMEOUT,
};
use super::*;
use crate::model::name::NickError;

// ---------------------------------------------------------------------------
// Helpers (after the shared ones of test_support.rs)
// ---------------------------------------------------------------------------

const DAY: Duration = Duration::from_secs(86_400);

/// History on: `replay` lines replayed, 1000 kept for 30 days.
fn history(replay: usize) -> HistoryConfig {
    HistoryConfig {
        replay,
        keep: 1000,
        max_age: 30 * DAY,
    }
}

/// The usual channels, with `history`; users join `lobby` at login.
fn config(lobby: Option<&str>, history: HistoryConfig) -> HubConfig {
    HubConfig {
        history,
        ..super::test_support::config(lobby)
    }
}

/// No lobby, history of `replay` lines.
fn world(replay: usize) -> World {
    World::with(config(None, history(replay)))
}

impl World {
    fn act(&mut self, id: SessionId, text: &str) -> Vec<Effect> {
        self.say_as(id, text, true)
    }

    fn ignore(&mut self, id: SessionId, change: Watch) -> Vec<Effect> {
        self.run(id, Command::Ignore(change))
    }

    fn whowas(&mut self, id: SessionId, nick: &str) -> Vec<Effect> {
        let nick = nick.to_string();
        self.run(id, Command::Whowas { nick })
    }

    fn quit(&mut self, id: SessionId) -> Vec<Effect> {
        self.run(id, Command::Quit { message: None })
    }
}

/// The history lines appended to the store, with their channels and ids.
fn appended_with_ids(effects: &[Effect]) -> Vec<(String, HistoryLine)> {
    stores(effects)
        .into_iter()
        .filter_map(|(write, ack)| match write {
            StoreWrite::AppendHistory { channel, line } => {
                assert!(ack.is_none(), "history is not acknowledged: {ack:?}");
                Some((channel, line))
            }
            _ => None,
        })
        .collect()
}

/// [`appended_with_ids`], the ids and milliseconds blanked.
fn appended(effects: &[Effect]) -> Vec<(String, HistoryLine)> {
    let mut lines = appended_with_ids(effects);
    lines
        .iter_mut()
        .for_each(|(_, line)| (line.id, line.millis) = (MessageId(0), 0));
    lines
}

fn line(at: i64, nick: &str, text: &str, action: bool) -> HistoryLine {
    HistoryLine {
        id: MessageId(0),
        at,
        millis: 0,
        nick: nick.into(),
        text: text.into(),
        action,
    }
}

fn memo(from: &str, text: &str, at: i64) -> Memo {
    Memo {
        from: from.into(),
        text: text.into(),
        at,
    }
}

/// The History events among what `id` was delivered.
fn histories(effects: &[Effect], id: SessionId) -> Vec<(String, Vec<HistoryLine>)> {
    events_for(effects, id)
        .into_iter()
        .filter_map(|event| match event {
            Event::History { channel, lines } => Some((channel, lines)),
            _ => None,
        })
        .collect()
}

fn idle_warnings(effects: &[Effect], id: SessionId) -> Vec<u64> {
    events_for(effects, id)
        .into_iter()
        .filter_map(|event| match event {
            Event::IdleWarning { seconds } => Some(seconds),
            _ => None,
        })
        .collect()
}

fn prunes(effects: &[Effect]) -> Vec<Stored> {
    stores(effects)
        .into_iter()
        .filter(|(write, _)| matches!(write, StoreWrite::PruneHistory { .. }))
        .collect()
}

// ---------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------

#[test]
fn history_keeps_the_last_replay_lines_in_order_with_their_times_and_actions() {
    let mut w = world(3);
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    let t0 = w.unix_now();
    w.say(alice, "one");
    w.wait(5);
    w.say(alice, "two");
    w.wait(7);
    w.act(alice, "looks at the sky");
    w.wait(11);
    w.say(alice, "four");

    let bob = w.connect("bob");
    let effects = w.join(bob, "Weather");
    assert_eq!(
        histories(&effects, bob),
        [(
            "Weather".to_string(),
            vec![
                line(t0 + 5, "alice", "two", false),
                line(t0 + 12, "alice", "looks at the sky", true),
                line(t0 + 23, "alice", "four", false),
            ]
        )]
    );
    // After the join's own answers, last.
    let events = events_for(&effects, bob);
    assert!(
        matches!(events.first(), Some(Event::Joined(_))),
        "{events:?}"
    );
    assert!(
        matches!(events.last(), Some(Event::History { .. })),
        "{events:?}"
    );
    // The members hear of bob as ever, and nothing of the history.
    assert_eq!(
        events_for(&effects, alice),
        [Event::MemberJoined {
            channel: "Weather".into(),
            nick: "bob".into()
        }]
    );
}

#[test]
fn every_line_of_a_permanent_channel_is_appended_to_the_store() {
    let mut w = world(2);
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    let t0 = w.unix_now();
    let effects = w.say(alice, "rain");
    assert_eq!(
        appended(&effects),
        [("Weather".to_string(), line(t0, "alice", "rain", false))]
    );
    w.wait(1);
    let effects = w.act(alice, "shivers");
    assert_eq!(
        appended(&effects),
        [(
            "Weather".to_string(),
            line(t0 + 1, "alice", "shivers", true)
        )]
    );
    // The line still goes out at once: the store is behind the hub.
    assert_eq!(recipients(&effects), [alice]);
    // Lines past `replay` are appended too: the store keeps `keep`.
    for i in 0..5 {
        let effects = w.say(alice, &format!("line {i}"));
        assert_eq!(appended(&effects).len(), 1);
    }
}

#[test]
fn a_refused_or_empty_line_is_not_history() {
    let mut w = world(5);
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    let effects = w.say(alice, "");
    assert_eq!(events_for(&effects, alice), [err(ChatError::EmptyMessage)]);
    assert!(appended(&effects).is_empty());
    // No current channel: nothing said, nothing kept.
    let carol = w.connect("carol");
    let effects = w.say(carol, "hello?");
    assert!(appended(&effects).is_empty());
    let bob = w.connect("bob");
    assert!(histories(&w.join(bob, "Weather"), bob).is_empty());
}

#[test]
fn replay_0_keeps_no_history_and_replays_none() {
    let mut w = World::with(config(None, HistoryConfig::off()));
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    for text in ["one", "two"] {
        let effects = w.say(alice, text);
        assert!(stores(&effects).is_empty(), "{effects:?}");
        assert_eq!(
            events_for(&effects, alice),
            [public("Weather", "alice", text)]
        );
    }
    let bob = w.connect("bob");
    let effects = w.join(bob, "Weather");
    assert!(histories(&effects, bob).is_empty(), "{effects:?}");

    // replay 0 with keep > 0 (a config can say so): still nothing.
    let mut w = World::with(config(
        None,
        HistoryConfig {
            replay: 0,
            keep: 50,
            max_age: DAY,
        },
    ));
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    assert!(appended(&w.say(alice, "one")).is_empty());
    let bob = w.connect("bob");
    assert!(histories(&w.join(bob, "Weather"), bob).is_empty());
}

#[test]
fn history_is_replayed_only_on_a_new_join() {
    let mut w = world(5);
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    let t0 = w.unix_now();
    w.say(alice, "sunny");
    let bob = w.connect("bob");
    assert_eq!(histories(&w.join(bob, "Weather"), bob).len(), 1);
    // Joining another channel, then Weather again, only makes it current.
    w.join(bob, "Lobby");
    let effects = w.join(bob, "Weather");
    assert!(histories(&effects, bob).is_empty(), "{effects:?}");
    assert!(matches!(
        events_for(&effects, bob).as_slice(),
        [Event::Joined(_)]
    ));
    // Part and join again: a new join, the history again (with what bob said).
    w.say(bob, "hello");
    w.part(bob, Some("Weather"));
    let effects = w.join(bob, "Weather");
    assert_eq!(
        histories(&effects, bob),
        [(
            "Weather".to_string(),
            vec![
                line(t0, "alice", "sunny", false),
                line(t0, "bob", "hello", false)
            ]
        )]
    );
    // A channel with no history sends none.
    let effects = w.join(bob, "Gardening");
    assert!(histories(&effects, bob).is_empty(), "{effects:?}");
}

#[test]
fn the_lobby_at_login_replays_its_history() {
    let mut w = World::with(config(Some("Lobby"), history(5)));
    let alice = w.connect("alice");
    let t0 = w.unix_now();
    w.say(alice, "morning");
    let bob = w.open();
    let effects = w.login_with(bob, "bob", None);
    assert_eq!(
        histories(&effects, bob),
        [(
            "Lobby".to_string(),
            vec![line(t0, "alice", "morning", false)]
        )]
    );
}

#[test]
fn lines_of_an_ignored_nick_are_left_out_of_the_replay() {
    let mut w = world(10);
    let alice = w.connect("alice");
    let carol = w.connect("carol");
    w.join(alice, "Weather");
    w.join(carol, "Weather");
    let t0 = w.unix_now();
    w.say(alice, "buy my umbrellas");
    w.say(carol, "it's raining");
    w.act(alice, "waves umbrellas");
    let bob = w.connect("bob");
    w.ignore(bob, Watch::Add("ALICE".into()));
    let effects = w.join(bob, "Weather");
    assert_eq!(
        histories(&effects, bob),
        [(
            "Weather".to_string(),
            vec![line(t0, "carol", "it's raining", false)]
        )]
    );
    // Someone who ignores nobody hears all three.
    let dave = w.connect("dave");
    let effects = w.join(dave, "Weather");
    assert_eq!(histories(&effects, dave)[0].1.len(), 3);
}

#[test]
fn a_replay_with_only_ignored_lines_is_not_sent() {
    let mut w = world(10);
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    w.say(alice, "buy my umbrellas");
    let bob = w.connect("bob");
    w.ignore(bob, Watch::Add("alice".into()));
    let effects = w.join(bob, "Weather");
    assert_eq!(histories(&effects, bob), []);
}

#[test]
fn a_transient_channel_is_not_saved_but_still_replays() {
    let mut w = world(5);
    let alice = w.connect("alice");
    let effects = w.run(
        alice,
        Command::JoinWith {
            channel: "#pop-up".into(),
            key: None,
            create: true,
        },
    );
    assert!(
        matches!(events_for(&effects, alice).first(), Some(Event::Joined(_))),
        "{effects:?}"
    );
    let t0 = w.unix_now();
    let effects = w.say(alice, "temporary");
    assert_eq!(
        events_for(&effects, alice),
        [public("pop-up", "alice", "temporary")]
    );
    assert!(stores(&effects).is_empty(), "{effects:?}");
    let bob = w.connect("bob");
    let effects = w.join(bob, "pop-up");
    assert_eq!(
        histories(&effects, bob),
        [(
            "pop-up".to_string(),
            vec![line(t0, "alice", "temporary", false)]
        )]
    );
}

#[test]
fn saved_history_is_restored_keeping_the_last_replay_lines() {
    let saved: Vec<HistoryLine> = (1..=5)
        .map(|i| line(1_700_000_000 + i, "alice", &format!("line {i}"), i == 4))
        .collect();
    let mut config = config(None, history(3));
    config.saved_history = vec![
        ("Weather".to_string(), saved.clone()),
        // A channel that no longer exists is passed over.
        ("Gone".to_string(), saved.clone()),
    ];
    let mut w = World::with(config);
    let bob = w.connect("bob");
    let effects = w.join(bob, "Weather");
    assert_eq!(
        histories(&effects, bob),
        [("Weather".to_string(), saved[2..].to_vec())]
    );
    // New lines push the restored ones out, oldest first.
    let t0 = w.unix_now();
    w.say(bob, "fresh");
    let carol = w.connect("carol");
    let effects = w.join(carol, "Weather");
    assert_eq!(
        histories(&effects, carol),
        [(
            "Weather".to_string(),
            vec![
                saved[3].clone(),
                saved[4].clone(),
                line(t0, "bob", "fresh", false)
            ]
        )]
    );
    // Channels with nothing saved have nothing to replay.
    assert!(histories(&w.join(carol, "Lobby"), carol).is_empty());
}

#[test]
fn saved_history_of_a_created_channel_is_restored() {
    let mut config = config(None, history(3));
    config.saved_channels = vec![crate::model::ChannelRecord {
        name: "Knitting".into(),
        description: "Yarn".into(),
        founder: Some(AccountId(3)),
        created_at: 1_690_000_000,
        topic: None,
        modes: String::new(),
        key: None,
        limit: None,
        ops: Vec::new(),
        bans: Vec::new(),
        invite_exceptions: Vec::new(),
    }];
    config.saved_history = vec![(
        "knitting".to_string(),
        vec![line(1_700_000_000, "ann", "purl", false)],
    )];
    let mut w = World::with(config);
    let bob = w.connect("bob");
    let effects = w.join(bob, "Knitting");
    assert_eq!(
        histories(&effects, bob),
        [(
            "Knitting".to_string(),
            vec![line(1_700_000_000, "ann", "purl", false)]
        )]
    );
}

// ---------------------------------------------------------------------------
// Memos
// ---------------------------------------------------------------------------

#[test]
fn a_private_message_to_someone_off_line_asks_the_store_to_keep_it() {
    let mut w = world(0);
    let alice = w.connect("alice");
    let at = w.unix_now();
    let effects = w.private(alice, "Bob", "call me");
    assert_eq!(effects.len(), 1, "{effects:?}");
    match &effects[0] {
        Effect::PrivateOffline {
            from,
            sender,
            to,
            text,
            at: when,
        } => {
            assert_eq!(*from, alice);
            assert_eq!(sender, "alice");
            assert_eq!(to, "Bob");
            assert_eq!(text, "call me");
            assert_eq!(*when, at);
        }
        other => panic!("expected PrivateOffline, got {other:?}"),
    }
    // To someone on line it is an ordinary private message.
    let bob = w.connect("bob");
    let effects = w.private(alice, "bob", "there you are");
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::PrivateOffline { .. })),
        "{effects:?}"
    );
    assert_eq!(
        events_for(&effects, bob),
        [Event::Private {
            tags: crate::model::ClientTags::NONE,
            from: "alice".into(),
            text: "there you are".into(),
            action: false,
            stamp: Stamp::BLANK,
        }]
    );
    // Empty text or no recipient is refused before any memo.
    let effects = w.private(alice, "carol", "");
    assert_eq!(events_for(&effects, alice), [err(ChatError::EmptyMessage)]);
    let effects = w.private(alice, "", "hi");
    assert_eq!(events_for(&effects, alice), [err(ChatError::NoRecipient)]);
}

#[test]
fn memos_waiting_are_delivered_at_login_and_marked_read() {
    let mut w = World::with(config(Some("Lobby"), history(5)));
    let memos = vec![
        memo("alice", "call me", 1_700_000_000),
        memo("carol", "lunch?", 1_700_000_100),
    ];
    let mut bobs = identity(7);
    bobs.memos = memos.clone();
    let (bob, effects) = w.connect_as("bob", bobs);
    let events = events_for(&effects, bob);
    assert_eq!(
        events[..2],
        [
            Event::LoggedIn {
                nick: "bob".into(),
                ident: "bob".into()
            },
            Event::Memos(memos.clone())
        ]
    );
    // Then the lobby, as ever.
    assert!(
        matches!(events[2], Event::Joined(ref c) if c.name == "Lobby"),
        "{events:?}"
    );
    let marked: Vec<Stored> = stores(&effects)
        .into_iter()
        .filter(|(write, _)| matches!(write, StoreWrite::MarkMemosRead { .. }))
        .collect();
    assert_eq!(
        marked,
        [(
            StoreWrite::MarkMemosRead {
                account: AccountId(7)
            },
            None
        )]
    );
}

#[test]
fn no_memos_no_memos_event() {
    let mut w = world(0);
    let (bob, effects) = w.connect_as("bob", identity(7));
    assert!(
        !events_for(&effects, bob)
            .iter()
            .any(|e| matches!(e, Event::Memos(_))),
        "{effects:?}"
    );
    assert!(
        !stores(&effects)
            .iter()
            .any(|(w, _)| matches!(w, StoreWrite::MarkMemosRead { .. })),
        "{effects:?}"
    );
    // A guest has none either.
    let carol = w.open();
    let effects = w.login_with(carol, "carol", None);
    assert_eq!(
        events_for(&effects, carol),
        [Event::LoggedIn {
            nick: "carol".into(),
            ident: "carol".into()
        }]
    );
}

#[test]
fn memos_command_needs_an_account_and_goes_to_the_store() {
    let mut w = world(0);
    let stranger = w.open();
    let effects = w.run(stranger, Command::Memos { clear: false });
    assert_eq!(
        events_for(&effects, stranger),
        [err(ChatError::NotLoggedIn)]
    );
    let guest = w.connect("guest");
    for clear in [false, true] {
        let effects = w.run(guest, Command::Memos { clear });
        assert_eq!(events_for(&effects, guest), [err(ChatError::NotRegistered)]);
        assert_eq!(effects.len(), 1, "{effects:?}");
    }
    let bob = w.connect_registered("bob", 7);
    for clear in [false, true] {
        let effects = w.run(bob, Command::Memos { clear });
        assert_eq!(effects.len(), 1, "{effects:?}");
        match &effects[0] {
            Effect::Memos {
                from,
                account,
                clear: c,
            } => {
                assert_eq!((*from, *account, *c), (bob, AccountId(7), clear));
            }
            other => panic!("expected Effect::Memos, got {other:?}"),
        }
    }
    // A guest who registers (Identified) may then read them.
    w.run(
        guest,
        Command::Identified {
            account: AccountId(8),
        },
    );
    let effects = w.run(guest, Command::Memos { clear: false });
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Memos {
                account: AccountId(8),
                clear: false,
                ..
            }]
        ),
        "{effects:?}"
    );
}

#[test]
fn memos_from_an_ignored_nick_are_not_delivered() {
    let mut w = world(0);
    let mut bobs = identity(7);
    bobs.ignore = vec!["spammer".into()];
    bobs.memos = vec![
        memo("Spammer", "buy now", 1_700_000_000),
        memo("alice", "call me", 1_700_000_100),
    ];
    let (bob, effects) = w.connect_as("bob", bobs);
    assert_eq!(
        events_for(&effects, bob)[1..],
        [Event::Memos(vec![memo("alice", "call me", 1_700_000_100)])]
    );
}

#[test]
fn identifying_by_nick_change_delivers_memos_and_restores_the_ignore_list() {
    let mut w = world(0);
    let spammer = w.connect("spammer");
    let guest = w.connect("guest");
    w.join(spammer, "Weather");
    w.join(guest, "Weather");
    let mut bobs = identity(7);
    bobs.ignore = vec!["spammer".into()];
    bobs.memos = vec![memo("alice", "call me", 1_700_000_000)];
    let effects = w.run(
        guest,
        Command::ChangeNick {
            nick: "bob".into(),
            identity: Some(bobs),
        },
    );
    assert_eq!(replies(&effects), [(guest, true)]);
    assert!(
        events_for(&effects, guest).contains(&Event::Memos(vec![memo(
            "alice",
            "call me",
            1_700_000_000
        )])),
        "no memos in {effects:?}"
    );
    assert!(
        stores(&effects).contains(&(
            StoreWrite::MarkMemosRead {
                account: AccountId(7)
            },
            None
        )),
        "memos not marked read in {effects:?}"
    );
    let effects = w.ignore(guest, Watch::List);
    assert_eq!(
        events_for(&effects, guest),
        [Event::IgnoreList(vec!["spammer".into()])]
    );
    let effects = w.say(spammer, "buy now");
    assert_eq!(recipients(&effects), [spammer]);
}

// ---------------------------------------------------------------------------
// Ignore
// ---------------------------------------------------------------------------

#[test]
fn ignore_add_list_remove_clear_for_a_guest() {
    let mut w = world(0);
    let bob = w.connect("bob");
    let effects = w.ignore(bob, Watch::List);
    assert_eq!(events_for(&effects, bob), [Event::IgnoreList(vec![])]);
    for nick in ["Alice", "carol"] {
        let effects = w.ignore(bob, Watch::Add(nick.into()));
        // A guest's list is not saved: the answer comes at once.
        assert!(stores(&effects).is_empty(), "{effects:?}");
        assert_eq!(
            events_for(&effects, bob),
            [Event::Ignoring { nick: nick.into() }]
        );
    }
    // Again, in another case: said again, not listed twice.
    let effects = w.ignore(bob, Watch::Add("ALICE".into()));
    assert_eq!(
        events_for(&effects, bob),
        [Event::Ignoring {
            nick: "ALICE".into()
        }]
    );
    let effects = w.ignore(bob, Watch::List);
    assert_eq!(
        events_for(&effects, bob),
        [Event::IgnoreList(vec!["Alice".into(), "carol".into()])]
    );
    // Removed whatever the case; the answer names it as it was listed.
    let effects = w.ignore(bob, Watch::Remove("alice".into()));
    assert_eq!(
        events_for(&effects, bob),
        [Event::Unignored {
            nick: "Alice".into()
        }]
    );
    let effects = w.ignore(bob, Watch::Remove("alice".into()));
    assert_eq!(
        events_for(&effects, bob),
        [err(ChatError::NotOnList {
            list: ListKind::Ignore,
            nick: "alice".into()
        })]
    );
    let effects = w.ignore(bob, Watch::Clear);
    assert_eq!(events_for(&effects, bob), [Event::IgnoreList(vec![])]);
    assert!(stores(&effects).is_empty());
    let effects = w.ignore(bob, Watch::List);
    assert_eq!(events_for(&effects, bob), [Event::IgnoreList(vec![])]);
    // Not logged in: nothing to ignore with.
    let stranger = w.open();
    let effects = w.ignore(stranger, Watch::Add("bob".into()));
    assert_eq!(
        events_for(&effects, stranger),
        [err(ChatError::NotLoggedIn)]
    );
}

#[test]
fn ignore_refuses_a_bad_nick_and_a_full_list() {
    let mut w = world(0);
    let bob = w.connect("bob");
    let cases = [
        ("two words", NickError::BadChar(' ')),
        ("9lives", NickError::BadFirst('9')),
    ];
    for (typed, why) in cases {
        let effects = w.ignore(bob, Watch::Add(typed.into()));
        assert_eq!(
            events_for(&effects, bob),
            [err(ChatError::BadNick(why))],
            "{typed:?}"
        );
    }
    for i in 0..MAX_WATCH {
        let effects = w.ignore(bob, Watch::Add(format!("n{i}")));
        assert_eq!(
            events_for(&effects, bob),
            [Event::Ignoring {
                nick: format!("n{i}")
            }]
        );
    }
    let effects = w.ignore(bob, Watch::Add("onemore".into()));
    assert_eq!(
        events_for(&effects, bob),
        [err(ChatError::ListFull {
            list: ListKind::Ignore,
            max: MAX_WATCH,
            nick: "onemore".into()
        })]
    );
    // One already there is still fine.
    let effects = w.ignore(bob, Watch::Add("n5".into()));
    assert_eq!(
        events_for(&effects, bob),
        [Event::Ignoring { nick: "n5".into() }]
    );
    // Making room makes room.
    w.ignore(bob, Watch::Remove("n0".into()));
    let effects = w.ignore(bob, Watch::Add("onemore".into()));
    assert_eq!(
        events_for(&effects, bob),
        [Event::Ignoring {
            nick: "onemore".into()
        }]
    );
}

#[test]
fn ignore_of_a_registered_user_is_saved_then_acknowledged() {
    let mut w = world(0);
    let bob = w.connect_registered("bob", 7);
    let at = w.unix_now();
    let effects = w.ignore(bob, Watch::Add("Spammer".into()));
    assert!(events_for(&effects, bob).is_empty(), "{effects:?}");
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::AddToList {
                list: ListKind::Ignore,
                account: AccountId(7),
                nick: "Spammer".into(),
                at
            },
            Some((
                bob,
                Event::Ignoring {
                    nick: "Spammer".into()
                }
            ))
        )]
    );
    // Already there: acknowledged at once, nothing saved again.
    let effects = w.ignore(bob, Watch::Add("spammer".into()));
    assert!(stores(&effects).is_empty(), "{effects:?}");
    w.ignore(bob, Watch::Add("troll".into()));
    let effects = w.ignore(bob, Watch::Remove("SPAMMER".into()));
    assert!(events_for(&effects, bob).is_empty(), "{effects:?}");
    assert_eq!(
        stores(&effects),
        [(
            StoreWrite::RemoveFromList {
                list: ListKind::Ignore,
                account: AccountId(7),
                nick: "Spammer".into()
            },
            Some((
                bob,
                Event::Unignored {
                    nick: "Spammer".into()
                }
            ))
        )]
    );
    w.ignore(bob, Watch::Add("pest".into()));
    let effects = w.ignore(bob, Watch::Clear);
    assert_eq!(
        stores(&effects),
        [
            (
                StoreWrite::RemoveFromList {
                    list: ListKind::Ignore,
                    account: AccountId(7),
                    nick: "troll".into()
                },
                None
            ),
            (
                StoreWrite::RemoveFromList {
                    list: ListKind::Ignore,
                    account: AccountId(7),
                    nick: "pest".into()
                },
                None
            )
        ]
    );
    assert_eq!(events_for(&effects, bob), [Event::IgnoreList(vec![])]);
    // Lists and refusals need no store.
    assert!(stores(&w.ignore(bob, Watch::List)).is_empty());
    let effects = w.ignore(bob, Watch::Remove("nobody".into()));
    assert!(stores(&effects).is_empty());
    assert_eq!(
        events_for(&effects, bob),
        [err(ChatError::NotOnList {
            list: ListKind::Ignore,
            nick: "nobody".into()
        })]
    );
}

#[test]
fn an_ignorer_does_not_hear_the_ignored_in_channels_everyone_else_does() {
    let mut w = world(0);
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let carol = w.connect("carol");
    for id in [alice, bob, carol] {
        w.join(id, "Weather");
    }
    w.ignore(bob, Watch::Add("ALICE".into()));
    let effects = w.say(alice, "buy now");
    assert_eq!(recipients(&effects), [alice, carol]);
    // One event, shared.
    let events: Vec<&Arc<Event>> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Deliver { event, .. } => Some(event),
            _ => None,
        })
        .collect();
    assert!(Arc::ptr_eq(events[0], events[1]));
    assert_eq!(
        unstamped(events[0].as_ref().clone()),
        public("Weather", "alice", "buy now")
    );
    let effects = w.act(alice, "dances");
    assert_eq!(recipients(&effects), [alice, carol]);
    // A line to a named channel (IRC's PRIVMSG #channel) too.
    let effects = w.run(
        alice,
        Command::Say {
            tags: crate::model::ClientTags::NONE,
            channel: Some("Weather".into()),
            text: "hello?".into(),
            action: false,
        },
    );
    assert_eq!(recipients(&effects), [alice, carol]);
    // Ignoring is one way: alice hears bob.
    let effects = w.say(bob, "hush");
    assert_eq!(recipients(&effects), [alice, bob, carol]);
    // And bob hears carol.
    let effects = w.say(carol, "hi all");
    assert_eq!(recipients(&effects), [alice, bob, carol]);
    // Unignored, heard again.
    w.ignore(bob, Watch::Remove("alice".into()));
    let effects = w.say(alice, "am I back?");
    assert_eq!(recipients(&effects), [alice, bob, carol]);
}

#[test]
fn an_ignorer_gets_no_private_line_from_the_ignored_and_the_sender_no_hint() {
    let mut w = world(0);
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.run(
        bob,
        Command::Away {
            message: Some("lunch".into()),
        },
    );
    w.ignore(bob, Watch::Add("alice".into()));
    let effects = w.private(alice, "BOB", "psst");
    assert_eq!(recipients(&effects), [alice]);
    // As if it was delivered: the sender's copy, and no away reply either.
    assert_eq!(
        events_for(&effects, alice),
        [Event::PrivateSent {
            tags: crate::model::ClientTags::NONE,
            to: "bob".into(),
            text: "psst".into(),
            action: false,
            stamp: Stamp::BLANK,
        }]
    );
    // bob can still write to alice, and others to bob.
    let effects = w.private(bob, "alice", "no");
    assert_eq!(recipients(&effects), [alice, bob]);
    let carol = w.connect("carol");
    let effects = w.private(carol, "bob", "hi");
    assert_eq!(recipients(&effects), [bob, carol, carol]);
    assert_eq!(
        events_for(&effects, carol)[1],
        Event::AwayReply {
            nick: "bob".into(),
            message: "lunch".into()
        }
    );
}

#[test]
fn the_ignore_list_is_restored_at_login() {
    let mut w = world(0);
    let spammer = w.connect("Spammer");
    let carol = w.connect("carol");
    w.join(spammer, "Weather");
    w.join(carol, "Weather");
    let mut bobs = identity(7);
    bobs.ignore = vec!["spammer".into(), "troll".into()];
    let (bob, effects) = w.connect_as("bob", bobs);
    // Restoring is quiet: no list at login, nothing saved again.
    assert_eq!(
        events_for(&effects, bob),
        [Event::LoggedIn {
            nick: "bob".into(),
            ident: "bob".into()
        }]
    );
    assert!(
        !stores(&effects).iter().any(|(w, _)| matches!(
            w,
            StoreWrite::AddToList {
                list: ListKind::Ignore,
                ..
            }
        )),
        "{effects:?}"
    );
    w.join(bob, "Weather");
    let effects = w.say(spammer, "buy now");
    assert_eq!(recipients(&effects), [spammer, carol]);
    let effects = w.private(spammer, "bob", "psst");
    assert_eq!(recipients(&effects), [spammer]);
    let effects = w.ignore(bob, Watch::List);
    assert_eq!(
        events_for(&effects, bob),
        [Event::IgnoreList(vec!["spammer".into(), "troll".into()])]
    );
}

// ---------------------------------------------------------------------------
// WHOWAS
// ---------------------------------------------------------------------------

#[test]
fn whowas_remembers_who_quit_or_was_lost_newest_first() {
    let mut w = world(0);
    let alice = w.connect("alice");
    let bob = w.connect("Bob");
    w.wait(30);
    let first = w.unix_now();
    w.quit(bob);
    w.wait(60);
    let bob = w.connect("bob");
    w.wait(60);
    let second = w.unix_now();
    let effects = w.run(
        bob,
        Command::Disconnected {
            reason: "reset".into(),
        },
    );
    assert_eq!(closed(&effects), [bob]);
    // alice is no server operator: she is not told where bob was from.
    let departed = |nick: &str, left_at| Departed {
        nick: nick.into(),
        ident: nick.into(),
        realname: nick.into(),
        host: None,
        left_at,
    };
    for asked in ["bob", "BOB"] {
        let effects = w.whowas(alice, asked);
        assert_eq!(
            events_for(&effects, alice),
            [Event::Whowas(vec![
                departed("bob", second),
                departed("Bob", first)
            ])],
            "{asked}"
        );
    }
}

#[test]
fn whowas_of_a_nick_nobody_left_with_is_was_no_such_nick() {
    let mut w = world(0);
    let alice = w.connect("alice");
    let _carol = w.connect("carol");
    // Never here.
    let effects = w.whowas(alice, "ghost");
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::WasNoSuchNick("ghost".into()))]
    );
    // On line, never gone.
    let effects = w.whowas(alice, "carol");
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::WasNoSuchNick("carol".into()))]
    );
    // A connection that never logged in leaves no name behind.
    let stranger = w.open();
    w.quit(stranger);
    let effects = w.whowas(alice, "");
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::WasNoSuchNick("".into()))]
    );
    // Asking needs a login.
    let stranger = w.open();
    let effects = w.whowas(stranger, "carol");
    assert_eq!(
        events_for(&effects, stranger),
        [err(ChatError::NotLoggedIn)]
    );
}

#[test]
fn whowas_forgets_the_oldest_past_its_limit() {
    let mut w = world(0);
    let alice = w.connect("alice");
    for i in 0..=200 {
        let id = w.connect(&format!("u{i}"));
        w.quit(id);
    }
    let effects = w.whowas(alice, "u0");
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::WasNoSuchNick("u0".into()))]
    );
    let effects = w.whowas(alice, "u1");
    assert!(
        matches!(events_for(&effects, alice).as_slice(), [Event::Whowas(d)] if d.len() == 1),
        "{effects:?}"
    );
}

#[test]
fn an_idle_logout_is_remembered_too() {
    let mut w = world(0);
    let sleepy = w.connect("sleepy");
    w.wait(IDLE_TIMEOUT.as_secs() - 1);
    let alice = w.connect("alice");
    w.wait(1);
    let effects = w.tick();
    assert_eq!(closed(&effects), [sleepy]);
    let effects = w.whowas(alice, "sleepy");
    assert!(
        matches!(events_for(&effects, alice).as_slice(), [Event::Whowas(d)] if d[0].nick == "sleepy"),
        "{effects:?}"
    );
}

// ---------------------------------------------------------------------------
// The idle warning
// ---------------------------------------------------------------------------

#[test]
fn one_idle_warning_a_minute_before_the_idle_logout() {
    let mut w = world(0);
    let sleepy = w.connect("sleepy");
    let mut warned = Vec::new();
    let mut closed_at = None;
    // A tick a second, as the hub's ticker sends them.
    for second in 1..=IDLE_TIMEOUT.as_secs() {
        w.wait(1);
        let effects = w.tick();
        for seconds in idle_warnings(&effects, sleepy) {
            warned.push((second, seconds));
        }
        if closed(&effects).contains(&sleepy) {
            closed_at = Some(second);
            // Not warned in the same breath as the logout.
            assert!(idle_warnings(&effects, sleepy).is_empty());
            assert_eq!(
                events_for(&effects, sleepy),
                [Event::Closing {
                    reason: "idle timeout (no input for 00:10:00)".into()
                }]
            );
        }
    }
    assert_eq!(warned, [(540, 60)]);
    assert_eq!(closed_at, Some(600));
}

#[test]
fn activity_resets_the_idle_warning_so_it_can_come_again() {
    let mut w = world(0);
    let sleepy = w.connect("sleepy");
    w.wait(540);
    assert_eq!(idle_warnings(&w.tick(), sleepy), [60]);
    w.wait(30);
    // Typing anything (even a keepalive) keeps the user on line.
    w.run(sleepy, Command::Ping);
    w.wait(60);
    let effects = w.tick();
    assert!(idle_warnings(&effects, sleepy).is_empty());
    assert!(closed(&effects).is_empty(), "{effects:?}");
    w.wait(479);
    assert!(idle_warnings(&w.tick(), sleepy).is_empty());
    w.wait(1);
    // 540 s after the ping: warned again.
    assert_eq!(idle_warnings(&w.tick(), sleepy), [60]);
    w.wait(1);
    assert!(idle_warnings(&w.tick(), sleepy).is_empty());
    w.say(sleepy, "I'm here");
    w.wait(540);
    assert_eq!(idle_warnings(&w.tick(), sleepy), [60]);
    w.wait(60);
    let effects = w.tick();
    assert_eq!(closed(&effects), [sleepy]);
    assert!(idle_warnings(&effects, sleepy).is_empty());
}

#[test]
fn no_idle_warning_before_login_but_the_logout_all_the_same() {
    let mut w = world(0);
    let lurker = w.open();
    for _ in 0..IDLE_TIMEOUT.as_secs() - 1 {
        w.wait(1);
        let effects = w.tick();
        assert!(
            recipients(&effects).is_empty(),
            "said something to {effects:?}"
        );
    }
    w.wait(1);
    let effects = w.tick();
    assert_eq!(closed(&effects), [lurker]);
}

#[test]
fn a_short_timeout_warns_a_third_of_it_before() {
    let mut w = World::with(config(None, HistoryConfig::off()));
    w.idle_timeout = Duration::from_secs(10);
    let text = w.connect("text");
    let udp = w.open_lasting(Duration::from_secs(30));
    assert_eq!(replies(&w.login_with(udp, "udp", None)), [(udp, true)]);
    let mut seen = Vec::new();
    for second in 1..=30 {
        w.wait(1);
        let effects = w.tick();
        for (who, id) in [("text", text), ("udp", udp)] {
            for seconds in idle_warnings(&effects, id) {
                seen.push((who, second, seconds));
            }
            if closed(&effects).contains(&id) {
                seen.push((who, second, 0));
            }
        }
    }
    // 10 s: warned at 7 s (3 s left, rounded down from 3.33); the UDP door's
    // own 30 s timeout: at 20 s, 10 s left.
    assert_eq!(
        seen,
        [
            ("text", 7, 3),
            ("text", 10, 0),
            ("udp", 20, 10),
            ("udp", 30, 0)
        ]
    );
}

// ---------------------------------------------------------------------------
// Pruning history
// ---------------------------------------------------------------------------

#[test]
fn history_is_pruned_at_the_first_tick_then_hourly() {
    let mut w = world(20);
    let before = w.unix_now() - (30 * DAY).as_secs() as i64;
    let effects = w.tick();
    assert_eq!(
        prunes(&effects),
        [(StoreWrite::PruneHistory { keep: 1000, before }, None)]
    );
    for _ in 0..3599 {
        w.wait(1);
        assert!(prunes(&w.tick()).is_empty());
    }
    w.wait(1);
    let before = w.unix_now() - (30 * DAY).as_secs() as i64;
    assert_eq!(
        prunes(&w.tick()),
        [(StoreWrite::PruneHistory { keep: 1000, before }, None)]
    );
    w.wait(1);
    assert!(prunes(&w.tick()).is_empty());
}

#[test]
fn no_pruning_when_history_is_off() {
    let mut w = World::with(config(None, HistoryConfig::off()));
    for _ in 0..3 {
        assert!(prunes(&w.tick()).is_empty());
        w.wait(3600);
    }
}
