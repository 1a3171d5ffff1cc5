//! Unit tests of kept history asked for (IRCv3 chathistory, issue #14): who
//! may read a channel's history, what the store is asked, and what the
//! asker hears when its answer comes back — checked again then, since who
//! may read can change while the store looks.

use std::time::Duration;

use super::test_support::{config, err, events_for, World};
use super::*;
use crate::clock;

fn history_on() -> HistoryConfig {
    HistoryConfig {
        replay: 10,
        keep: 100,
        max_age: Duration::from_secs(86_400),
    }
}

fn world() -> World {
    World::with(HubConfig {
        history: history_on(),
        ..config(None)
    })
}

fn latest(channel: &str, limit: usize) -> Command {
    Command::History(HistoryRequest::Lines {
        channel: channel.into(),
        query: HistoryQuery::Latest(None),
        limit,
    })
}

/// The history look-ups among `effects`: who for, what, in which channels.
fn asked(effects: &[Effect]) -> Vec<(SessionId, HistoryRequest, Vec<String>)> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::History {
                from,
                request,
                readable,
            } => Some((*from, request.clone(), readable.clone())),
            _ => None,
        })
        .collect()
}

fn line(id: u64, nick: &str, text: &str) -> HistoryLine {
    HistoryLine {
        id: MessageId(id),
        at: 1_700_000_000,
        millis: 250,
        nick: nick.into(),
        text: text.into(),
        action: false,
    }
}

/// The store's answer to `request`, as the runtime brings it back.
fn found(request: HistoryRequest, found: Option<HistoryFound>) -> Command {
    Command::Stored(Stored::History { request, found })
}

fn no_history(channel: &str, limit: usize) -> Event {
    let Command::History(request) = latest(channel, limit) else {
        unreachable!()
    };
    err(ChatError::NoHistory(request))
}

#[test]
fn a_member_asks_the_store_and_hears_its_lines_with_ids_and_times() {
    let mut w = world();
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    let effects = w.run(alice, latest("#weather", 500));
    let request = HistoryRequest::Lines {
        channel: "Weather".into(),
        query: HistoryQuery::Latest(None),
        limit: MAX_HISTORY_PAGE,
    };
    assert_eq!(
        asked(&effects),
        [(alice, request.clone(), vec!["Weather".to_string()])],
        "the channel as the hub names it; the limit cut to the most a page holds"
    );
    assert!(events_for(&effects, alice).is_empty(), "the store answers");
    let lines = vec![line(7, "bob", "rain"), line(9, "carol", "sun")];
    let effects = w.run(
        alice,
        found(request, Some(HistoryFound::Lines(lines.clone()))),
    );
    let delivered: Vec<Event> = effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Deliver { to, event } if *to == alice => Some((**event).clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        delivered,
        [Event::HistoryLines {
            channel: "Weather".into(),
            lines
        }],
        "ids and milliseconds as the store kept them"
    );
}

#[test]
fn lines_of_an_ignored_nickname_are_left_out_as_on_replay() {
    let mut w = world();
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    w.run(alice, Command::Ignore(Watch::Add("bob".into())));
    let request = asked(&w.run(alice, latest("Weather", 10))).remove(0).1;
    let lines = vec![line(7, "Bob", "spam"), line(9, "carol", "sun")];
    let effects = w.run(alice, found(request, Some(HistoryFound::Lines(lines))));
    let Event::HistoryLines { lines, .. } = &events_for(&effects, alice)[0] else {
        panic!("{effects:?}");
    };
    let said: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(said, ["sun"]);
}

#[test]
fn a_channel_one_is_not_in_or_that_does_not_exist_gets_the_same_no_history() {
    let mut w = world();
    let alice = w.connect("alice");
    let bob = w.connect("bob");
    w.join(bob, "Weather");
    for channel in ["Weather", "Nowhere"] {
        let effects = w.run(alice, latest(channel, 10));
        assert!(asked(&effects).is_empty(), "the store is not asked");
        assert_eq!(events_for(&effects, alice), [no_history(channel, 10)]);
    }
}

#[test]
fn a_banned_member_gets_no_history_but_an_operator_does() {
    let mut w = world();
    let oper = w.connect("root");
    w.run(
        oper,
        Command::Oper {
            name: "root".into(),
        },
    );
    let bob = w.connect("bob");
    w.join(oper, "Weather");
    w.join(bob, "Weather");
    let ban = ModeChange {
        add: true,
        mode: ChannelMode::Ban("bob".into()),
    };
    w.run(
        oper,
        Command::Mode {
            channel: "Weather".into(),
            changes: vec![ban],
        },
    );
    let effects = w.run(bob, latest("Weather", 10));
    assert_eq!(events_for(&effects, bob), [no_history("Weather", 10)]);
    assert_eq!(asked(&w.run(oper, latest("Weather", 10))).len(), 1);
}

#[test]
fn who_may_read_is_checked_again_when_the_store_answers() {
    let mut w = world();
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    let request = asked(&w.run(alice, latest("Weather", 10))).remove(0).1;
    w.part(alice, Some("Weather"));
    let lines = vec![line(7, "bob", "rain")];
    let effects = w.run(
        alice,
        found(request.clone(), Some(HistoryFound::Lines(lines))),
    );
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::NoHistory(request))],
        "left meanwhile: nothing of the channel's"
    );
}

#[test]
fn a_failed_look_says_so_and_a_gone_session_hears_nothing() {
    let mut w = world();
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    let request = asked(&w.run(alice, latest("Weather", 10))).remove(0).1;
    let effects = w.run(alice, found(request.clone(), None));
    assert_eq!(
        events_for(&effects, alice),
        [err(ChatError::HistoryFailed(request.clone()))]
    );
    let reason = "gone".to_string();
    w.run(alice, Command::Disconnected { reason });
    let effects = w.run(alice, found(request, Some(HistoryFound::Lines(Vec::new()))));
    assert!(effects.is_empty(), "{effects:?}");
}

#[test]
fn a_channel_that_is_not_kept_has_no_lines_on_disk() {
    let mut w = world();
    let alice = w.connect("alice");
    let join = Command::JoinWith {
        channel: "#fleeting".into(),
        key: None,
        create: true,
    };
    w.run(alice, join);
    let effects = w.run(alice, latest("#fleeting", 10));
    assert!(asked(&effects).is_empty());
    assert_eq!(
        events_for(&effects, alice),
        [Event::HistoryLines {
            channel: "fleeting".into(),
            lines: Vec::new()
        }]
    );
}

#[test]
fn targets_look_only_in_channels_one_may_read_and_are_checked_again() {
    let mut w = world();
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    w.join(alice, "Gardening");
    let targets = Command::History(HistoryRequest::Targets {
        from: 0,
        to: i64::MAX,
        limit: 10,
    });
    let effects = w.run(alice, targets.clone());
    let [(_, request, readable)] = &asked(&effects)[..] else {
        panic!("{effects:?}");
    };
    assert_eq!(readable, &["Weather".to_string(), "Gardening".to_string()]);
    w.part(alice, Some("Gardening"));
    let target = |channel: &str, latest| HistoryTarget {
        channel: channel.into(),
        latest,
    };
    let answer = HistoryFound::Targets(vec![target("weather", 5), target("Gardening", 6)]);
    let effects = w.run(alice, found(request.clone(), Some(answer)));
    assert_eq!(
        events_for(&effects, alice),
        [Event::HistoryTargets(vec![target("Weather", 5)])],
        "named as the hub names them; Pets was left meanwhile"
    );
    let bob = w.connect("bob");
    let effects = w.run(bob, targets);
    assert!(
        asked(&effects).is_empty(),
        "in no channel: nothing to look in"
    );
    assert_eq!(
        events_for(&effects, bob),
        [Event::HistoryTargets(Vec::new())]
    );
}

#[test]
fn a_kept_line_has_the_hubs_time_to_the_millisecond() {
    let mut w = world();
    w.now = w.now.later(Duration::from_millis(1_234));
    let alice = w.connect("alice");
    w.join(alice, "Weather");
    let effects = w.say(alice, "rain");
    let line = effects
        .iter()
        .find_map(|effect| match effect {
            Effect::Store {
                write: StoreWrite::AppendHistory { line, .. },
                ..
            } => Some(line.clone()),
            _ => None,
        })
        .expect("the line is kept");
    assert_eq!(line.unix_millis(), clock::unix_millis(w.now.wall));
    assert_eq!(
        line.at,
        clock::unix_seconds(w.now.wall),
        "the second as before"
    );
}
