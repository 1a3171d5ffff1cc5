//! IRCv3 `draft/chathistory` over real sockets (issue #14): lines said over
//! IRC, the server restarted (the history is the database's, so it outlives
//! the process), then each subcommand gives back the right lines, in a
//! `chathistory` batch, with the msgids and times they were first sent
//! with. Someone who may not read a channel gets a FAIL, the same for a
//! channel that does not exist; what does not parse gets INVALID_PARAMS.

use crate::support::irc::{Irc, Line, SERVER};
use crate::support::TestServer;

const CAPS: &str = "batch draft/chathistory echo-message message-tags server-time";

/// A logged-in IRC user with the capabilities chathistory wants.
fn history_reader(server: &TestServer, nick: &str) -> Irc {
    let mut irc = Irc::logged_in(server, nick);
    irc.send(&format!("CAP REQ :{CAPS}"));
    irc.expect_where("the CAP ACK", |l| l.command == "CAP" && l.param(1) == "ACK");
    irc
}

/// A line of chat as a client keeps it: who, what, its msgid and time.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Said {
    text: String,
    msgid: String,
    time: String,
}

fn said(line: &Line) -> Said {
    Said {
        text: line.last().to_string(),
        msgid: line.tag("msgid").unwrap_or("").to_string(),
        time: line.tag("time").unwrap_or("").to_string(),
    }
}

/// Sends a CHATHISTORY request and reads its batch: the batch's type and
/// parameters, and the lines in it (each tagged with the batch's id).
fn batch(irc: &mut Irc, request: &str) -> (Vec<String>, Vec<Line>) {
    irc.send(request);
    let open = irc.expect_where(&format!("a BATCH + answering {request:?}"), |l| {
        l.command == "BATCH" && l.param(0).starts_with('+')
    });
    let id = open.param(0)[1..].to_string();
    let mut inside = Vec::new();
    loop {
        let line = irc.expect_where("the batch's next line", |_| true);
        if line.command == "BATCH" && line.param(0) == format!("-{id}") {
            break;
        }
        if line.tag("batch") != Some(id.as_str()) {
            irc.fail(&format!(
                "a line in batch {id} lacks its tag: {:?}",
                line.raw
            ));
        }
        inside.push(line);
    }
    (open.params[1..].to_vec(), inside)
}

/// The lines of a `chathistory` batch for #Weather, as kept.
fn history(irc: &mut Irc, request: &str) -> Vec<Said> {
    let (kind, lines) = batch(irc, request);
    assert_eq!(kind, ["chathistory", "#Weather"], "{request}");
    lines.iter().map(said).collect()
}

/// Waits for `raw`, whatever tags (server-time's) come in front of it.
fn expect_untagged(irc: &mut Irc, raw: &str) {
    irc.expect_where(&format!("the line {raw:?}"), |l| l.untagged() == raw);
}

fn texts(lines: &[Said]) -> Vec<&str> {
    lines.iter().map(|l| l.text.as_str()).collect()
}

#[test]
fn chathistory_serves_kept_lines_with_their_msgids_across_a_restart() {
    let mut server = TestServer::start();
    let mut alice = history_reader(&server, "alice");
    alice.send("JOIN #Weather");
    alice.expect_numeric("366", &["alice", "#Weather"]);
    let mut first = Vec::new();
    for text in ["one", "two", "three", "four", "five"] {
        alice.send(&format!("PRIVMSG #Weather :{text}"));
        // echo-message brings each line back with its msgid and time.
        let echo = alice.expect_where(&format!("the echo of {text:?}"), |l| {
            l.command == "PRIVMSG" && l.last() == text
        });
        first.push(said(&echo));
    }
    assert!(first
        .iter()
        .all(|l| !l.msgid.is_empty() && l.time.len() == 24));
    // An orderly stop: every line said is on disk once it has exited.
    server.terminate();
    server.restart();

    let mut bob = history_reader(&server, "bob");
    bob.send("JOIN #Weather");
    bob.expect_numeric("366", &["bob", "#Weather"]);
    bob.sync();
    let id = |n: usize| first[n].msgid.clone();
    let latest = history(&mut bob, "CHATHISTORY LATEST #Weather * 3");
    assert_eq!(latest, first[2..], "the same lines, msgids and times");
    let before = history(
        &mut bob,
        &format!("CHATHISTORY BEFORE #weather msgid={} 10", id(2)),
    );
    assert_eq!(before, first[..2]);
    let after = history(
        &mut bob,
        &format!("CHATHISTORY AFTER #Weather msgid={} 1", id(2)),
    );
    assert_eq!(after, first[3..4]);
    let between = format!(
        "CHATHISTORY BETWEEN #Weather msgid={} msgid={} 10",
        id(0),
        id(4)
    );
    assert_eq!(
        texts(&history(&mut bob, &between)),
        ["two", "three", "four"]
    );
    let around = format!("CHATHISTORY AROUND #Weather msgid={} 3", id(2));
    assert_eq!(texts(&history(&mut bob, &around)), ["two", "three", "four"]);
    // Two lines may share a millisecond: what a time selects is reckoned
    // from the times the lines were sent with.
    let time = first[2].time.clone();
    let later: Vec<Said> = first.iter().filter(|l| l.time > time).cloned().collect();
    let by_time = format!("CHATHISTORY LATEST #Weather timestamp={time} 10");
    assert_eq!(history(&mut bob, &by_time), later, "after that time");
    let earlier: Vec<Said> = first.iter().filter(|l| l.time < time).cloned().collect();
    let by_time = format!("CHATHISTORY BEFORE #Weather timestamp={time} 10");
    assert_eq!(history(&mut bob, &by_time), earlier, "before that time");

    let (kind, targets) = batch(
        &mut bob,
        "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 10",
    );
    assert_eq!(kind, ["draft/chathistory-targets"]);
    let targets: Vec<(&str, &str)> = targets.iter().map(|l| (l.param(1), l.param(2))).collect();
    assert_eq!(
        targets,
        [("#Weather", first[4].time.as_str())],
        "Lobby has no lines; Weather's newest is line five"
    );
}

#[test]
fn chathistory_gives_nothing_of_a_channel_one_may_not_read() {
    let server = TestServer::start();
    let mut alice = history_reader(&server, "alice");
    alice.send("JOIN #Weather");
    alice.expect_numeric("366", &["alice", "#Weather"]);
    alice.send("PRIVMSG #Weather :only for members");
    alice.expect_where("the echo", |l| l.command == "PRIVMSG");
    alice.send("JOIN #hideout");
    alice.expect_numeric("366", &["alice", "#hideout"]);
    alice.send("MODE #hideout +s");
    alice.sync();

    let mut carl = history_reader(&server, "carl");
    for channel in ["#Weather", "#hideout", "#nosuch"] {
        carl.send(&format!("CHATHISTORY LATEST {channel} * 10"));
        expect_untagged(
            &mut carl,
            &format!(
                ":{SERVER} FAIL CHATHISTORY INVALID_TARGET LATEST {channel} :Messages could not be retrieved"
            ),
        );
    }
    let (_, targets) = batch(
        &mut carl,
        "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00Z timestamp=2100-01-01T00:00:00Z 10",
    );
    assert!(targets.is_empty(), "{targets:?}");
    carl.expect_no("only for members");

    carl.send("CHATHISTORY SOMETIME #Weather * 10");
    expect_untagged(
        &mut carl,
        &format!(":{SERVER} FAIL CHATHISTORY INVALID_PARAMS SOMETIME :Unknown subcommand"),
    );
    carl.send("CHATHISTORY BEFORE #Weather yesterday 10");
    carl.expect_where("INVALID_PARAMS", |l| {
        l.command == "FAIL" && l.param(1) == "INVALID_PARAMS"
    });
    carl.send("CHATHISTORY LATEST alice * 10");
    carl.expect_where("no private history", |l| {
        l.command == "FAIL" && l.param(1) == "INVALID_TARGET" && l.param(3) == "alice"
    });
}

#[test]
fn the_server_offers_chathistory_and_says_how_much_and_by_what() {
    let server = TestServer::start();
    let mut dora = Irc::connect(&server, "dora");
    dora.send("CAP LS 302");
    let ls = dora.expect_where("CAP LS", |l| l.command == "CAP" && l.param(1) == "LS");
    let offered: Vec<&str> = ls.last().split(' ').collect();
    for wanted in ["batch", "draft/chathistory", "message-tags", "server-time"] {
        if !offered.contains(&wanted) {
            dora.fail(&format!("CAP LS 302 lacks {wanted}: {offered:?}"));
        }
    }
    dora.send("CAP END");
    dora.send("NICK dora");
    dora.send("USER dora 0 * :Dora");
    let isupport = dora.expect_where("ISUPPORT with CHATHISTORY", |l| {
        l.command == "005" && l.params.iter().any(|p| p.starts_with("CHATHISTORY="))
    });
    for token in ["CHATHISTORY=100", "MSGREFTYPES=msgid,timestamp"] {
        if !isupport.params.iter().any(|p| p == token) {
            dora.fail(&format!("ISUPPORT lacks {token}: {:?}", isupport.raw));
        }
    }
}
