//! Unit tests of the stamps the hub puts on chat lines (issue #13): ids that
//! only grow, the hub's time, the same stamp for every copy of a line, the
//! ids kept with history and replayed, and the reservations the store hears
//! of before a line leaves.

use std::time::{Duration, SystemTime};

use super::test_support::{config, stamp_of, stamps_for, stores, World};
use super::*;
use crate::clock::Now;

fn history_on() -> HistoryConfig {
    HistoryConfig {
        replay: 10,
        keep: 100,
        max_age: Duration::from_secs(86_400),
    }
}

/// No lobby; history on; ids go on above `handed_out`, all reserved.
fn world_after(handed_out: MessageId) -> World {
    World::with(HubConfig {
        history: history_on(),
        message_ids: MessageIds::resume(handed_out, MessageId(u64::MAX)),
        ..config(None)
    })
}

/// The stamps of what `effects` delivered, to anyone.
fn all_stamps(effects: &[Effect]) -> Vec<Stamp> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Deliver { event, .. } => stamp_of(event),
            _ => None,
        })
        .collect()
}

/// The ids of the history lines delivered to `id`.
fn replayed_ids(effects: &[Effect], id: SessionId) -> Vec<MessageId> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Deliver { to, event } if *to == id => match &**event {
                Event::History { lines, .. } => Some(lines.iter().map(|l| l.id)),
                _ => None,
            },
            _ => None,
        })
        .flatten()
        .collect()
}

fn appended_ids(effects: &[Effect]) -> Vec<MessageId> {
    stores(effects)
        .into_iter()
        .filter_map(|(write, _)| match write {
            StoreWrite::AppendHistory { line, .. } => Some(line.id),
            _ => None,
        })
        .collect()
}

#[test]
fn every_copy_of_a_line_has_one_stamp_with_the_hub_s_time() {
    let mut w = world_after(MessageId(0));
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    for id in [alice, bob] {
        w.join(id, "Weather");
    }
    let effects = w.say(alice, "rain");
    let stamps = all_stamps(&effects);
    assert_eq!(stamps.len(), 2, "{effects:?}");
    assert_eq!(stamps[0], stamps[1], "the sender's copy and bob's");
    assert_eq!(stamps[0].at, w.now.wall, "the time that came with the line");
    assert_eq!(appended_ids(&effects), [stamps[0].id], "kept with its id");
    let effects = w.private(alice, "bob", "psst");
    let private = stamps_for(&effects, bob);
    assert_eq!(private.len(), 1);
    assert_eq!(
        stamps_for(&effects, alice),
        private,
        "PrivateSent names the same line"
    );
}

#[test]
fn ids_strictly_increase_over_every_kind_of_line_even_when_the_clock_steps_back() {
    let mut w = world_after(MessageId(0));
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    let root = w.connect("root");
    w.run(
        root,
        Command::Oper {
            name: "root".into(),
        },
    );
    w.join(alice, "Weather");
    let mut ids = Vec::new();
    let mut stamp_of = |w: &mut World, effects: Vec<Effect>, to: SessionId| {
        let stamps = stamps_for(&effects, to);
        assert_eq!(stamps.len(), 1, "{effects:?}");
        ids.push(stamps[0].id);
        assert_eq!(stamps[0].at, w.now.wall);
    };
    let effects = w.say(alice, "one");
    stamp_of(&mut w, effects, alice);
    let effects = w.private(alice, "bob", "two");
    stamp_of(&mut w, effects, bob);
    // The wall clock is set back an hour: ids go on growing, the stamp's
    // time is the hub's time all the same.
    w.now.wall -= Duration::from_secs(3600);
    let effects = w.say_as(alice, "three", true);
    stamp_of(&mut w, effects, alice);
    let text = "four".to_string();
    let effects = w.run(root, Command::Wallops { text });
    stamp_of(&mut w, effects, bob);
    let effects = w.private(bob, "alice", "five");
    stamp_of(&mut w, effects, bob);
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
}

#[test]
fn ids_go_on_above_what_the_store_knew_whatever_the_clock() {
    // Far ahead of any clock: a server whose clock was set back since.
    let handed_out = MessageId(u64::MAX / 2);
    let mut w = world_after(handed_out);
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    let effects = w.say(alice, "after the restart");
    assert_eq!(
        stamps_for(&effects, alice)[0].id,
        MessageId(handed_out.0 + 1)
    );
}

#[test]
fn history_replay_carries_the_stored_ids_and_those_of_new_lines() {
    let stored = |id: u64, text: &str| HistoryLine {
        id: MessageId(id),
        at: 1_700_000_000,
        millis: 0,
        nick: "ann".into(),
        text: text.into(),
        action: false,
    };
    let mut w = World::with(HubConfig {
        history: history_on(),
        saved_history: vec![(
            "Weather".into(),
            vec![stored(41, "old"), stored(42, "older still")],
        )],
        message_ids: MessageIds::resume(MessageId(42), MessageId(u64::MAX)),
        ..config(None)
    });
    let alice = w.connect("alice");
    let effects = w.join(alice, "Weather");
    assert_eq!(
        replayed_ids(&effects, alice),
        [MessageId(41), MessageId(42)]
    );
    let said = stamps_for(&w.say(alice, "new"), alice)[0].id;
    assert!(said > MessageId(42));
    let bob = w.connect("bob");
    let effects = w.join(bob, "Weather");
    assert_eq!(
        replayed_ids(&effects, bob),
        [MessageId(41), MessageId(42), said]
    );
}

#[test]
fn the_store_hears_of_a_new_reservation_before_the_line_leaves() {
    // Reserved up to a little above the clock: the next line needs more.
    let now = Now::read();
    let micros = now.wall.duration_since(SystemTime::UNIX_EPOCH).unwrap();
    let reserved = MessageId(micros.as_micros() as u64 + 10);
    let mut w = World::with(HubConfig {
        message_ids: MessageIds::resume(MessageId(0), reserved),
        ..config(None)
    });
    w.now = now;
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    let effects = w.say(alice, "rain");
    let said = stamps_for(&effects, alice)[0].id;
    let Some(Effect::Store {
        write: StoreWrite::ReserveMessageIds { up_to },
        ack: None,
    }) = effects.first()
    else {
        panic!("the reservation comes first: {effects:?}");
    };
    assert!(*up_to > said);
    assert!(matches!(effects[1], Effect::Deliver { .. }), "{effects:?}");
    let effects = w.say(alice, "more rain");
    assert!(
        stores(&effects).is_empty(),
        "one reservation covers many lines: {effects:?}"
    );
}
