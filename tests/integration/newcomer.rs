//! What a newcomer trips over (issue #17), over real sockets against the
//! real binary: a typed-ahead password never becomes a nickname or a line,
//! `/whowas` keeps addresses for server operators, a ban says what it covers
//! and silences banned members, one person's typos lock out only their own
//! nickname, no command is answered with silence, and every flag can be
//! written the way the README writes it.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{
    admin_ok, owner, register_and_leave, registered, registered_guest, run_to_end, Client,
    TestServer, CHEAP, NICK_PROMPT,
};

const PASSWORD: &str = "correct-horse";

fn error(text: &str) -> String {
    format!("** ERROR: {text} **")
}

/// Types `nick` and a wrong `password` at the prompts, one at a time.
fn fail_login(client: &mut Client, nick: &str, password: &str) {
    client.expect_prompt(NICK_PROMPT);
    client.send(nick);
    client.expect_prompt(&format!("Password for {nick}: "));
    client.send(password);
    client.expect_line(&error("wrong password"));
}

#[test]
fn a_password_typed_ahead_never_becomes_a_nickname_or_a_line() {
    let server = TestServer::start_with(&format!("{CHEAP}max_login_failures = 2\n"));
    register_and_leave(&server, "lincoln", PASSWORD);
    let mut lobby = Client::logged_in(&server, "watcher");
    let from = lobby.mark();

    // A wrong password with more typed behind it (piped, or typed fast).
    let mut typist = Client::connect(&server);
    let start = typist.mark();
    typist.expect_prompt(NICK_PROMPT);
    typist.send_raw(b"lincoln\r\nwrongpw1\r\nwrongpw2\r\n");
    typist.expect_line(&error("wrong password"));
    // The failure limit reached, and a password typed behind the nickname.
    fail_login(&mut typist, "lincoln", "wrongpw2");
    typist.expect_prompt(NICK_PROMPT);
    typist.send_raw(b"lincoln\r\nwrongpw3\r\n");
    typist.expect("too many failed logins");
    // The prompt comes back once the client is quiet; what it types now counts.
    typist.expect_prompt(NICK_PROMPT);
    typist.send("newbie");
    typist.expect_line("Log in successful. Welcome newbie.");

    lobby.expect_line("<newbie has entered Lobby>");
    lobby.expect_no_since(from, "wrongpw");
    for line in typist.lines_since(start) {
        assert!(!line.contains("Welcome wrongpw"), "{line}");
    }
}

#[test]
fn one_persons_typos_lock_out_only_their_nickname_and_oper_typos_none() {
    let server = TestServer::start_with(&format!("{CHEAP}max_login_failures = 2\n"));
    register_and_leave(&server, "lincoln", PASSWORD);
    register_and_leave(&server, "mary", PASSWORD);
    let mut typo = Client::connect(&server);
    fail_login(&mut typo, "lincoln", "nope-1");
    fail_login(&mut typo, "lincoln", "nope-2");
    typo.expect_prompt(NICK_PROMPT);
    typo.send("lincoln");
    typo.expect("too many failed logins");
    // Someone else behind the same address logs in as themselves.
    let mut mary = owner(&server, "mary", PASSWORD);
    // Failed /oper attempts of a logged-in user are not failed logins.
    // They have a limit of their own, so /oper can't be guessed at either.
    for _ in 0..2 {
        mary.send("/oper admin wrong-password");
        mary.expect_line(&error("no such operator, or a wrong password"));
    }
    mary.send("/oper admin wrong-password");
    mary.expect("too many failed");
    mary.send("/quit");
    mary.expect_closed();
    owner(&server, "mary", PASSWORD);
}

#[test]
fn whowas_shows_addresses_to_server_operators_only() {
    let server = TestServer::start_with(CHEAP);
    let mut leaver = Client::logged_in(&server, "leaver");
    leaver.send("/quit");
    // /quit closes the server's side too, so that nc exits.
    leaver.expect_closed();
    let mut curious = Client::logged_in(&server, "curious");
    curious.send("/whowas leaver");
    let line = curious.expect("leaver was on line");
    assert!(line.starts_with("leaver was on line until "), "{line}");
    assert!(!line.contains("127.0.0.1"), "{line}");

    let mut opal = registered_guest(&server, "opal", PASSWORD);
    admin_ok(&server, &["oper", "opal"], "");
    opal.send(&format!("/oper opal {PASSWORD}"));
    opal.expect_line("You are now a server operator.");
    opal.send("/whowas leaver");
    opal.expect("leaver was on line from 127.0.0.1 until ");
}

#[test]
fn a_ban_says_what_it_covers_and_banned_members_cannot_speak() {
    let server = TestServer::start_with(CHEAP);
    let mut founder = registered_guest(&server, "founder", PASSWORD);
    founder.send("/create Den a quiet place");
    founder.expect("Welcome to the Den Channel");
    let mut guest = Client::logged_in(&server, "guesty");
    guest.send("/join Den");
    guest.expect("Welcome to the Den Channel");
    founder.expect_line("<guesty has entered Den>");
    founder.send("/ban guesty");
    founder.expect_line("<founder sets mode +b *!*@127.0.0.1 on Den>");
    let notice =
        founder.expect("The ban *!*@127.0.0.1 on Den covers everyone connecting from 127.0.0.1");
    assert!(notice.contains("guesty"), "{notice}");
    guest.expect_line("<founder sets mode +b *!*@127.0.0.1 on Den>");
    guest.send("still here");
    guest.expect_line(&error("Den: you can't send to this channel"));
    founder.expect_no("still here");
    founder.send("/ban");
    founder.expect_line("1 ban in Den");
}

#[test]
fn no_command_is_answered_with_silence() {
    let server = TestServer::start_with(CHEAP);
    let mut founder = registered_guest(&server, "chief", PASSWORD);
    founder.send("/create Den a quiet place");
    founder.expect("Welcome to the Den Channel");
    founder.send("/mode +l abc");
    founder.expect_line(&error(
        "+l needs a number of users above 0, as in /mode +l 20",
    ));
    founder.send("/mode +o");
    founder.expect_line(&error("+o needs a nickname, as in /mode +o <nick>"));
    founder.send("/unban nothing");
    founder.expect_line(&error(
        "nothing!*@* is not on the ban list of Den; /ban shows it",
    ));
    founder.send("/nick chief");
    founder.expect_line(&error("you are chief already"));

    // A kick without a reason gives none, and the kicked hear where they are.
    let mut kicked = Client::logged_in(&server, "kicked");
    kicked.send("/join Den");
    kicked.expect("Welcome to the Den Channel");
    founder.send("/users");
    founder.expect_where("chief marked as operator", |l| l.starts_with("@chief "));
    founder.send("/kick kicked");
    kicked.expect_line("<kicked was kicked from Den by chief>");
    kicked.expect("Your current channel is now Lobby (");

    // A key: none given is told one is needed, not that it was wrong.
    founder.send("/mode +k sesame");
    founder.expect_line("<chief sets mode +k sesame on Den>");
    kicked.send("/join Den");
    kicked.expect_line(&error("Den needs a key: /join Den <key>"));
    kicked.send("/join Den wrong");
    kicked.expect_line(&error("Den: wrong channel key; /join Den <key>"));
    founder.send("/mode -k");
    // No IRC placeholder (`-k *`) for telnet users.
    founder.expect_line("<chief sets mode -k on Den>");

    kicked.send("/help kick");
    kicked.expect_line(&format!(
        "{:<24} put someone out of the current channel (operators)",
        "/kick <nick> [reason]"
    ));
}

#[test]
fn registering_at_the_prompt_says_the_nickname_is_registered() {
    let server = TestServer::start_with(&format!("{CHEAP}allow_guests = false\n"));
    let mut alice = Client::connect(&server);
    let start = alice.mark();
    alice.login_raw(
        format!("alice\r\n{PASSWORD}\r\n{PASSWORD}\r\n").as_bytes(),
        "alice",
    );
    let lines = alice.lines_since(start);
    assert!(
        lines.iter().any(|l| l.ends_with(&registered("alice"))),
        "{lines:?}"
    );
}

/// Starts `chatd ARGS` in `dir`, waits for its text door's listening line
/// and returns its log up to there; kills it (by its PID) afterwards.
fn start_log(dir: &std::path::Path, args: &[&str]) -> Vec<String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chatd"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chatd");
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut lines = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("read the log");
        let done = line.contains("text door listening on ");
        lines.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

#[test]
fn top_level_flags_imply_serve_and_the_start_log_says_what_it_runs_with() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let log = start_log(
        dir.path(),
        &[
            "--listen",
            "localhost:0",
            "--no-udp",
            "--no-irc",
            "--no-web",
            "--db",
            "x.db",
        ],
    );
    let all = log.join("\n");
    assert!(all.contains("text door listening on 127.0.0.1:"), "{all}");
    assert!(
        all.contains(&format!("chatd {}", env!("CARGO_PKG_VERSION"))),
        "{all}"
    );
    assert!(all.contains("no chat.toml: built-in defaults"), "{all}");
    let full = std::path::absolute(dir.path().join("x.db")).unwrap();
    assert!(
        all.contains(&format!("database {}", full.display())),
        "{all}"
    );

    // A host name in chat.toml too; the log names the file.
    std::fs::write(
        dir.path().join("chat.toml"),
        "[text]\nlisten = \"localhost:0\"\n[udp]\nenabled = false\n[irc]\nenabled = false\n\
         [web]\nenabled = false\n",
    )
    .unwrap();
    let log = start_log(dir.path(), &["serve", "--db", "x.db"]).join("\n");
    assert!(log.contains("text door listening on 127.0.0.1:"), "{log}");
    let toml = std::path::absolute(dir.path().join("chat.toml")).unwrap();
    assert!(
        log.contains(&format!("configuration {}", toml.display())),
        "{log}"
    );
}

#[test]
fn a_port_in_use_names_the_real_flag_once() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut command = Command::new(env!("CARGO_BIN_EXE_chatd"));
    command
        .args([
            "--listen", &addr, "--no-udp", "--no-irc", "--no-web", "--db", "x.db",
        ])
        .current_dir(dir.path());
    let output = run_to_end(command, b"", Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert_eq!(stderr.matches("can't listen on").count(), 1, "{stderr}");
    assert!(stderr.contains("with --listen or in chat.toml"), "{stderr}");
    assert!(!stderr.contains("--text-listen"), "{stderr}");
}

#[test]
fn admin_takes_db_before_or_after_its_action_and_wants_a_database() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let chatd = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chatd"));
        command.current_dir(dir.path());
        command
    };
    let mut missing = chatd();
    missing.args(["admin", "list"]);
    let output = run_to_end(missing, b"", Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("there is no database at "), "{stderr}");
    assert!(stderr.contains("chat.db"), "{stderr}");
    assert!(
        !dir.path().join("chat.db").exists(),
        "an empty chat.db was made"
    );

    let mut register = chatd();
    register.args(["admin", "register", "lincoln", "--db", "x.db"]);
    let output = run_to_end(register, b"correct-horse\n", Duration::from_secs(10));
    assert!(output.status.success(), "{output:?}");
    for args in [
        ["admin", "list", "--db", "x.db"],
        ["admin", "--db", "x.db", "list"],
    ] {
        let mut list = chatd();
        list.args(args);
        let output = run_to_end(list, b"", Duration::from_secs(10));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{args:?}: {output:?}");
        assert!(
            stdout.contains("lincoln") && stdout.contains("1 account"),
            "{stdout}"
        );
    }
}
