//! Message ids over restarts (issue #13): every line kept with history has
//! an id, and a restarted server (after an orderly stop or a `kill -9`)
//! hands out ids above every one it handed out before — above the ids it
//! reserved too, even when history kept none of them. The ids are read from the real database file once the server has
//! stopped: no door shows them yet.

use rusqlite::Connection;

use crate::support::{Client, TestServer, NO_LOBBY};

/// The message ids of Weather's history, oldest line first.
fn history_ids(server: &TestServer) -> Vec<u64> {
    history_lines(server)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

/// Weather's history as (message id, text), oldest line first.
fn history_lines(server: &TestServer) -> Vec<(u64, String)> {
    let db = Connection::open(server.db_path()).expect("open chat.db");
    let mut rows = db
        .prepare("SELECT message_id, text FROM history WHERE channel = 'Weather' ORDER BY id")
        .expect("the history table has message ids");
    rows.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("read history")
        .collect::<Result<_, _>>()
        .expect("every history line has a message id")
}

/// The highest id the server reserved.
fn reserved(server: &TestServer) -> u64 {
    let db = Connection::open(server.db_path()).expect("open chat.db");
    db.query_row("SELECT reserved FROM message_ids", [], |row| row.get(0))
        .expect("a reservation is kept")
}

fn say_in_weather(server: &TestServer, nick: &str, lines: &[&str]) {
    let mut client = Client::logged_in(server, nick);
    client.send("/join Weather");
    client.expect_line("Welcome to the Weather Channel (1 user)");
    for line in lines {
        client.send(line);
        client.expect_line(&format!("{nick} [Weather]: {line}"));
    }
}

fn strictly_increasing(ids: &[u64]) -> bool {
    ids.windows(2).all(|pair| pair[0] < pair[1])
}

#[test]
fn ids_after_a_restart_are_above_every_id_handed_out_before() {
    let mut server = TestServer::start_with(&format!("{NO_LOBBY}[history]\nreplay = 10\n"));
    say_in_weather(&server, "alice", &["one", "two", "three"]);
    // An orderly stop: every line said is on disk once it has exited.
    server.terminate();
    let before = history_ids(&server);
    assert_eq!(before.len(), 3, "{before:?}");
    assert!(strictly_increasing(&before), "{before:?}");

    server.restart();
    // The lines said before are replayed on join as ever.
    let mut bob = Client::logged_in(&server, "bob");
    bob.send("/join Weather");
    bob.expect_line("-- the last 3 lines of Weather --");
    bob.expect_line("-- end of history --");
    for line in ["four", "five"] {
        bob.send(line);
        bob.expect_line(&format!("bob [Weather]: {line}"));
    }
    server.terminate();
    let after = history_ids(&server);
    assert_eq!(&after[..3], &before[..], "stored ids never change");
    assert_eq!(after.len(), 5, "{after:?}");
    assert!(strictly_increasing(&after), "{after:?}");
}

#[test]
fn a_restart_goes_on_above_the_reservation_when_history_kept_nothing() {
    let mut server = TestServer::start_with(&format!("{NO_LOBBY}[history]\nreplay = 10\n"));
    say_in_weather(&server, "alice", &["one"]);
    server.terminate();
    // As a run whose clock was a day ahead would leave it (and with its
    // lines gone from history, as retention or private lines leave them):
    // only the reservation remembers how far its ids went.
    const DAY_OF_MICROS: u64 = 86_400 * 1_000_000;
    let ahead = reserved(&server) + DAY_OF_MICROS;
    let db = Connection::open(server.db_path()).expect("open chat.db");
    db.execute("UPDATE message_ids SET reserved = ?1", [ahead])
        .expect("move the reservation");
    db.execute("DELETE FROM history", [])
        .expect("empty history");
    drop(db);

    server.restart();
    say_in_weather(&server, "bob", &["after the restart"]);
    server.terminate();
    let after = history_ids(&server);
    assert_eq!(after.len(), 1, "{after:?}");
    assert!(
        after[0] > ahead,
        "id {} is not above the reserved {ahead}",
        after[0]
    );
    assert!(reserved(&server) > after[0], "the start reserved above it");
}

#[test]
fn after_a_crash_ids_go_on_above_what_the_killed_server_could_hand_out() {
    let mut server = TestServer::start_with(&format!("{NO_LOBBY}[history]\nreplay = 10\n"));
    say_in_weather(&server, "alice", &["before the crash"]);
    // kill -9: the line may or may not have reached the disk, but the
    // reservation made at start did, before any id was handed out.
    server.kill_hard();
    let bound = reserved(&server);
    server.restart();
    say_in_weather(&server, "bob", &["after the crash"]);
    server.terminate();
    let lines = history_lines(&server);
    let (after, _) = lines
        .iter()
        .find(|(_, text)| text == "after the crash")
        .expect("the line said after the restart is kept");
    assert!(
        *after > bound,
        "id {after} is not above the reserved {bound}"
    );
    for (id, text) in &lines {
        if text == "before the crash" {
            assert!(id < after, "{lines:?}");
            assert!(*id <= bound, "{lines:?}");
        }
    }
}
