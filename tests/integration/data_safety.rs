//! Issue 16, data safety and security, as an attacker and an admin would try
//! it: the failed-login limit under concurrent guessing, chat.db complete
//! after a clean stop, `chatd admin backup` of a live database, one server
//! per database, damaged and unusable databases reported at start, and
//! hidden characters (bidi overrides, zero-width marks) kept from others.

use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::irc::{Irc, SERVER};
use crate::support::udp::*;
use crate::support::{admin, Client, TestServer, CHEAP, NICK_PROMPT, SERVER_TIMEOUT};

/// Every character `sanitize::clean` removes as hidden, as a test spells
/// them: the bidi controls and marks, the zero-width ones, the BOM.
const HIDDEN: &[char] = &[
    '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}',
    '\u{2069}', '\u{200e}', '\u{200f}', '\u{61c}', '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}',
    '\u{feff}',
];

/// Fails if `client` received a hidden character anywhere but the one
/// zero-width joiner of the emoji sequence "👨\u{200d}👩".
#[track_caller]
fn nothing_hidden_reached(client: &Client) {
    let raw = String::from_utf8_lossy(&client.received_raw()).replace("👨\u{200d}👩", "");
    if let Some(c) = raw.chars().find(|c| HIDDEN.contains(c)) {
        client.fail(&format!("{} reached this client", c.escape_unicode()));
    }
}

/// Waits until the database says `nick` last logged in from `ip` (the
/// store saves a login just after the welcome).
#[track_caller]
fn wait_for_last_login(server: &TestServer, nick: &str, ip: &str) {
    let db = rusqlite::Connection::open(server.db_path()).expect("open chat.db");
    let deadline = Instant::now() + SERVER_TIMEOUT;
    loop {
        let from: Option<String> = db
            .query_row(
                "SELECT last_login_from FROM accounts WHERE nick = ?1",
                [nick],
                |row| row.get(0),
            )
            .unwrap_or(None);
        if from.is_some_and(|f| f.starts_with(&format!("{ip}:"))) {
            return;
        }
        if Instant::now() > deadline {
            server.fail(&format!("{nick}'s login from {ip} was never saved"));
        }
        thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------
// The failed-login limit
// ---------------------------------------------------------------------------

#[test]
fn sixteen_guesses_at_once_get_at_most_five_checks_and_the_owner_still_logs_in() {
    const GUESSERS: usize = 16;
    let server = TestServer::start_with(&format!(
        "{CHEAP}max_login_failures = 5\nlogin_failure_window = \"1h\"\n"
    ));
    // alice registers and logs in from her usual address, 127.0.0.2.
    let mut alice = Client::connect_from(&server, [127, 0, 0, 2]);
    alice.login("alice");
    alice.register("correct-horse");
    alice.send("/quit");
    alice.expect_closed();
    let mut alice = Client::connect_from(&server, [127, 0, 0, 2]);
    alice.log_in_as_owner("alice", "correct-horse", "alice");
    alice.send("/quit");
    alice.expect_closed();
    wait_for_last_login(&server, "alice", "127.0.0.2");

    // 16 connections from 127.0.0.1 at alice's password prompt guess at once.
    let mut guessers: Vec<Client> = (0..GUESSERS).map(|_| Client::connect(&server)).collect();
    for guesser in &mut guessers {
        guesser.expect_prompt(NICK_PROMPT);
        guesser.send("alice");
        guesser.expect_prompt("Password for alice: ");
    }
    let go = Barrier::new(GUESSERS);
    let answers: Vec<String> = thread::scope(|scope| {
        let threads: Vec<_> = guessers
            .iter_mut()
            .enumerate()
            .map(|(n, guesser)| {
                let go = &go;
                scope.spawn(move || {
                    go.wait();
                    guesser.send(&format!("guess-{n:02}"));
                    guesser.expect_where("a wrong password or a refusal", |l| {
                        l.starts_with("** ERROR: wrong password")
                            || l.starts_with("** ERROR: too many failed logins")
                    })
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let checked = answers
        .iter()
        .filter(|a| a.contains("wrong password"))
        .count();
    let failures = server
        .log_lines()
        .iter()
        .filter(|l| l.contains("failed login as alice from 127.0.0.1"))
        .count();
    if !(1..=5).contains(&checked) || failures != checked {
        server.fail(&format!(
            "{checked} guesses were checked ({failures} failures logged), at most 5 may be"
        ));
    }

    // A stranger on a fresh address waits for the account's limit too…
    let mut stranger = Client::connect_from(&server, [127, 0, 0, 3]);
    stranger.expect_prompt(NICK_PROMPT);
    stranger.send("alice");
    stranger.expect("** ERROR: too many failed logins at this nickname lately");
    // …but alice, from where she logs in, is not locked out by any of them.
    let mut alice = Client::connect_from(&server, [127, 0, 0, 2]);
    alice.log_in_as_owner("alice", "correct-horse", "alice");
}

// ---------------------------------------------------------------------------
// Hidden characters
// ---------------------------------------------------------------------------

#[test]
fn bidi_overrides_and_zero_width_characters_never_reach_another_user() {
    let server = TestServer::start_with(CHEAP);
    let mut bob = Client::logged_in(&server, "bob");
    let mut alice = Client::logged_in(&server, "alice");
    bob.expect_line("<alice has entered Lobby>");

    // The text door: the override goes, an emoji's joiner stays.
    alice.send("see evil\u{202e}gnp.exe\u{200b} and 👨\u{200d}👩");
    bob.expect_line("alice [Lobby]: see evilgnp.exe and 👨\u{200d}👩");
    alice.send("/private bob \u{2067}secret\u{2069} \u{feff}note\u{200f}");
    bob.expect_line("alice [**private**]: secret note");

    // The IRC door: a message, and a quit message.
    let mut ian = Irc::logged_in(&server, "ian");
    bob.expect_line("<ian has entered Lobby>");
    ian.send("PRIVMSG #Lobby :irc \u{202d}x\u{202c} \u{2060}y\u{61c}");
    bob.expect_line("ian [Lobby]: irc x y");
    ian.send("QUIT :bye \u{202e}now");
    ian.expect_closed();
    bob.expect_line("<ian has left Lobby (quit: bye now)>");

    // The book's UDP door.
    let mut una = Udp::logged_in(&server, "una");
    bob.expect_line("<una has entered Lobby>");
    una.send(SEND_PUBLIC, "udp \u{202b}z\u{200c}");
    bob.expect_line("una [Lobby]: udp z");
    una.send(SEND_PRIVATE, "bob \u{202a}psst");
    bob.expect_line("una [**private**]: psst");

    bob.sync();
    nothing_hidden_reached(&bob);
}

#[test]
fn a_nickname_with_a_hidden_character_is_refused_at_every_door() {
    let server = TestServer::start_with(CHEAP);
    let refusal = |code: &str| {
        format!("a nickname can't contain U+{code}; use ASCII letters, digits and -_[]{{}}|^")
    };
    let mut bob = Client::logged_in(&server, "bob");

    // The text door's prompt: refused, not quietly cleaned to "evilgnp".
    let mut eve = Client::connect(&server);
    eve.expect_prompt(NICK_PROMPT);
    eve.send("evil\u{202e}gnp");
    eve.expect_line(&format!("** ERROR: {} **", refusal("202E")));
    eve.expect_prompt(NICK_PROMPT);
    eve.send("eve");
    eve.expect_line("Log in successful. Welcome eve.");
    bob.expect_line("<eve has entered Lobby>");
    // /nick, once logged in.
    eve.send("/nick b\u{200b}ob");
    eve.expect_line(&format!("** ERROR: {} **", refusal("200B")));

    // IRC: ERR_ERRONEUSNICKNAME, with the nickname echoed cleaned.
    let mut ian = Irc::connect(&server, "ian");
    ian.send("NICK i\u{2066}an");
    let line = ian.expect_numeric("432", &["*", "ian"]);
    assert!(line.last().contains(&refusal("2066")), "{}", line.raw);
    ian.register("ian");
    ian.send("NICK b\u{feff}ob");
    ian.expect_line(&format!(
        ":{SERVER} 432 ian bob :Erroneous nickname: {}",
        refusal("FEFF")
    ));

    // The book's UDP door.
    let mut una = Udp::new(&server, "una");
    una.send(LOGIN_REQ, "u\u{200d}na");
    una.expect_error_containing(&refusal("200D"));

    // chatd admin register.
    let out = admin(&server, &["register", "adm\u{202e}in"], "correct-horse\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "chatd admin register succeeded");
    assert!(stderr.contains(&refusal("202E")), "{stderr}");

    bob.sync();
    nothing_hidden_reached(&bob);
    nothing_hidden_reached(&eve);
}
