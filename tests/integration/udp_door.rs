//! The UDP door as the book's `chat_client.pl` sees it: real UDP sockets
//! speaking the wire format of shared/protocols/book-udp.md directly — the
//! worked example byte for byte, every error string, parting, logging in
//! again, registered nicknames, the idle logout, telnet users in the same
//! channels, the limits and the 1024-byte datagram. Each test has its own
//! server.

use std::time::{Duration, Instant};

use crate::support::udp::*;
use crate::support::{fits, users_line, Client, TestServer, CHEAP, NO_LOBBY};

/// Both sides of the book's protocol read at most this much (§2).
const MAX_DATAGRAM: usize = 1024;

const WEATHER: &str = "Talk about the weather";
const PETS: &str = "For our furry and feathered friends";

// ---------------------------------------------------------------------------
// Telnet lines
// ---------------------------------------------------------------------------

/// A telnet user logged in and in Weather (the lobby off).
fn telnet_in_weather(server: &TestServer, nick: &str, users: &str) -> Client {
    let mut client = Client::logged_in(server, nick);
    client.send("/join weather");
    client.expect_line(&format!("Welcome to the Weather Channel ({users})"));
    client
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

#[test]
fn the_worked_example_of_section_4_4_byte_for_byte() {
    let server = TestServer::start_with(NO_LOBBY);
    let mut alice = Udp::logged_in(&server, "alice");
    alice.send(JOIN_REQ, "Weather");
    alice.expect(JOIN_ACK, &format!("Weather 1 {WEATHER}"));
    let mut bob = Udp::logged_in(&server, "bob");

    bob.send(JOIN_REQ, "Weather");
    alice.expect(USER_JOINS, "Weather bob");
    bob.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));

    // The sender's own echo is its only confirmation (§6.1 quirk 2).
    alice.send(SEND_PUBLIC, "I don't know about spain");
    alice.expect(PUBLIC_MSG, "Weather alice I don't know about spain");
    bob.expect(PUBLIC_MSG, "Weather alice I don't know about spain");

    alice.send(SEND_PRIVATE, "bob why do you call yourself \"bob\"?");
    bob.expect(PRIVATE_MSG, "alice why do you call yourself \"bob\"?");
    alice.expect_nothing();

    alice.send(LIST_USERS, "");
    alice.expect_user_items(&[("alice", "Weather"), ("bob", "Weather")]);
    alice.expect_nothing();
    bob.expect_nothing();
}

#[test]
fn every_error_string_of_section_3_5() {
    let server = TestServer::start_with(NO_LOBBY);

    // Anything but LOGIN_REQ from an address with no user, even datagrams
    // too short to hold a code.
    let mut stranger = Udp::new(&server, "stranger");
    stranger.send_raw(b"");
    stranger.expect(ERROR, "please log in");
    stranger.send_raw(b"\x00");
    stranger.expect(ERROR, "please log in");
    for (code, payload) in [
        (LOGOFF, "stranger"),
        (STILL_HERE, ""),
        (JOIN_REQ, "Weather"),
        (SEND_PUBLIC, "hello?"),
        (LIST_CHANNELS, ""),
        (LOGIN_ACK, "stranger"),
    ] {
        stranger.send(code, payload);
        stranger.expect(ERROR, "please log in");
    }

    // A logged-in sender with a code the server does not take.
    let mut alice = Udp::logged_in(&server, "alice");
    for bytes in [
        &b""[..],
        b"\x00",
        b"\x00\x1e",
        b"\x00\x1ealice",
        b"\x00\x6e",
    ] {
        alice.send_raw(bytes);
        alice.expect(ERROR, "unimplemented event code");
    }

    // A nickname in use, whatever its case, from another address.
    let mut other = Udp::new(&server, "other");
    other.send(LOGIN_REQ, "alice");
    other.expect(ERROR, "nickname already in use");
    other.send(LOGIN_REQ, "ALICE");
    other.expect(ERROR, "nickname already in use");
    other.expect_nothing();

    alice.send(JOIN_REQ, "atlantis");
    alice.expect(ERROR, "no channel named atlantis");
    alice.send(PART_REQ, "atlantis");
    alice.expect(ERROR, "no channel named atlantis");
    alice.send(JOIN_REQ, "");
    alice.expect(ERROR, "no channel named ");

    // In no channel at all (there is no lobby).
    alice.send(SEND_PUBLIC, "anyone?");
    alice.expect(ERROR, "no current channel");
    alice.send(LIST_USERS, "");
    alice.expect(ERROR, "no current channel");

    for nobody in ["", "   "] {
        alice.send(SEND_PRIVATE, nobody);
        alice.expect(ERROR, "no nickname given for recipient of private message");
    }
    alice.send(SEND_PRIVATE, "carl are you there?");
    alice.expect(ERROR, "carl: not logged in");
    alice.expect_nothing();
}

#[test]
fn parting_the_current_channel_announces_the_next_one() {
    let server = TestServer::start_with(NO_LOBBY);
    let mut alice = Udp::logged_in(&server, "alice");
    let mut bob = Udp::logged_in(&server, "bob");
    bob.send(JOIN_REQ, "weather");
    bob.expect(JOIN_ACK, &format!("Weather 1 {WEATHER}"));
    alice.send(JOIN_REQ, "pets");
    alice.expect(JOIN_ACK, &format!("Pets 1 {PETS}"));
    alice.send(JOIN_REQ, "WEATHER");
    alice.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    bob.expect(USER_JOINS, "Weather alice");

    // The current channel (an empty PART_REQ): the count leaves the leaver
    // out, and the next most recently joined channel is current now.
    alice.send(PART_REQ, "");
    alice.expect(PART_ACK, &format!("Weather 1 {WEATHER}"));
    alice.expect(JOIN_ACK, &format!("Pets 1 {PETS}"));
    bob.expect(USER_PARTS, "Weather alice");
    alice.send(SEND_PUBLIC, "where am I?");
    alice.expect(PUBLIC_MSG, "Pets alice where am I?");

    alice.send(JOIN_REQ, "Weather");
    alice.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    bob.expect(USER_JOINS, "Weather alice");

    // A channel that is not the current one: only its PART_ACK.
    alice.send(PART_REQ, "pets");
    alice.expect(PART_ACK, &format!("Pets 0 {PETS}"));
    alice.expect_nothing();
    bob.expect_nothing();

    // chatd's choice: a channel you are not in is an error, not silence.
    bob.send(PART_REQ, "Pets");
    bob.expect(ERROR, "you are not in Pets");

    // The last channel, by name: no channel is current any more.
    alice.send(PART_REQ, "Weather");
    alice.expect(PART_ACK, &format!("Weather 1 {WEATHER}"));
    bob.expect(USER_PARTS, "Weather alice");
    alice.send(SEND_PUBLIC, "hello?");
    alice.expect(ERROR, "no current channel");
    alice.expect_nothing();
    bob.expect_nothing();
}

#[test]
fn logging_in_again_from_the_same_address() {
    let server = TestServer::start_with(NO_LOBBY);
    let mut alice = Udp::logged_in(&server, "alice");
    alice.send(JOIN_REQ, "Weather");
    alice.expect(JOIN_ACK, &format!("Weather 1 {WEATHER}"));
    let mut bob = Udp::logged_in(&server, "bob");
    bob.send(JOIN_REQ, "Weather");
    bob.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    alice.expect(USER_JOINS, "Weather bob");

    // The first LOGIN_ACK may have been lost: the same nickname is acked
    // again, and nothing else changes.
    alice.send(LOGIN_REQ, "alice");
    alice.expect(LOGIN_ACK, "alice");
    alice.expect_nothing();
    bob.expect_nothing();
    alice.send(LIST_USERS, "");
    alice.expect_user_items(&[("alice", "Weather"), ("bob", "Weather")]);

    // Another nickname from the same address logs the old one off first:
    // no phantom alice is left behind.
    alice.send(LOGIN_REQ, "carol");
    alice.expect(LOGIN_ACK, "carol");
    bob.expect(USER_PARTS, "Weather alice");
    alice.send(SEND_PUBLIC, "am I in Weather?");
    alice.expect(ERROR, "no current channel");
    bob.send(LIST_USERS, "");
    bob.expect_user_items(&[("bob", "Weather")]);
    bob.send(SEND_PRIVATE, "alice are you there?");
    bob.expect(ERROR, "alice: not logged in");
    let mut alice_again = Udp::new(&server, "alice again");
    alice_again.login("alice");
    alice.expect_nothing();
    bob.expect_nothing();
}

#[test]
fn a_registered_nickname_needs_its_password() {
    let server = TestServer::start_with(
        "lobby = \"\"\n[accounts]\nargon2_memory_kib = 64\nargon2_iterations = 1\n",
    );
    let mut lincoln = Client::logged_in(&server, "lincoln");
    lincoln.send("/register four-score");
    lincoln
        .expect_line("Your nickname lincoln is registered: from now on it asks for your password.");
    lincoln.send("/quit");
    lincoln.expect_line("** Goodbye. **");
    lincoln.expect_closed();

    // The book's client can't send a password.
    let mut udp = Udp::new(&server, "lincoln (udp)");
    udp.send(LOGIN_REQ, "lincoln");
    udp.expect(ERROR, "lincoln is registered: log in with a password");
    udp.send(LOGIN_REQ, "lincoln seven-years");
    udp.expect(ERROR, "wrong password");
    udp.send(LIST_USERS, "");
    udp.expect(ERROR, "please log in");
    // chatd's LOGIN_REQ "<nick> <password>"; the ack names the nickname.
    udp.send(LOGIN_REQ, "lincoln four-score");
    udp.expect(LOGIN_ACK, "lincoln");
    udp.send(JOIN_REQ, "Weather");
    udp.expect(JOIN_ACK, &format!("Weather 1 {WEATHER}"));
    udp.send(LIST_USERS, "");
    udp.expect_user_items(&[("lincoln", "Weather")]);
}

/// Issue 13: the UDP door logs in on the session core every door shares;
/// a server without guests answers as it always did, and the password
/// check's answer (from the argon2 pool) still reaches the right address.
#[test]
fn without_guests_only_a_registered_nickname_and_its_password_log_in() {
    let server = TestServer::start_with(&format!("{NO_LOBBY}{CHEAP}allow_guests = false\n"));
    let mut udp = Udp::new(&server, "grace (udp)");
    udp.send(LOGIN_REQ, "grace");
    udp.expect(
        ERROR,
        "grace is not registered, and this server has no guests: register it over telnet first",
    );
    udp.send(LIST_USERS, "");
    udp.expect(ERROR, "please log in");

    // Registered at the telnet prompt, as that door offers.
    let mut grace = Client::connect(&server);
    grace.login_raw(b"grace\r\nhopper-1906\r\nhopper-1906\r\n", "grace");
    grace.send("/quit");
    grace.expect_closed();

    udp.send(LOGIN_REQ, "grace cobol");
    udp.expect(ERROR, "wrong password");
    let mut other = Udp::new(&server, "someone else (udp)");
    other.send(LOGIN_REQ, "grace hopper-1906");
    other.expect(LOGIN_ACK, "grace");
    udp.expect_nothing();
    other.send(JOIN_REQ, "Weather");
    other.expect(JOIN_ACK, &format!("Weather 1 {WEATHER}"));
}

#[test]
fn a_silent_client_is_logged_out_and_still_here_keeps_one_alive() {
    let server = TestServer::start_with("lobby = \"\"\n[udp]\nidle_timeout = \"10s\"\n");
    let mut tina = telnet_in_weather(&server, "tina", "1 user");
    let mut alice = Udp::logged_in(&server, "alice");
    alice.send(JOIN_REQ, "Weather");
    alice.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    tina.expect_line("<alice has entered Weather>");
    let mut bob = Udp::logged_in(&server, "bob");
    bob.send(JOIN_REQ, "Weather");
    let bob_last_request = Instant::now();
    bob.expect(JOIN_ACK, &format!("Weather 3 {WEATHER}"));
    alice.expect(USER_JOINS, "Weather bob");
    tina.expect_line("<bob has entered Weather>");

    // alice says nothing more; bob says STILL_HERE every two seconds. A
    // third of the timeout before the end (a minute, for longer ones) alice
    // is warned; then she is logged out, and told why.
    alice.expect_while_still_here(&mut bob, "the idle warning", |d| {
        d.code() == Some(ERROR)
            && fits(
                &d.text(),
                "you will be logged out in # seconds for being idle",
            )
    });
    alice.expect_while_still_here(&mut bob, "the idle goodbye", |d| {
        d.is(ERROR, "idle timeout (no input for 00:00:10)")
    });
    tina.expect_line("<alice has left Weather (idle timeout (no input for 00:00:10))>");
    bob.expect(USER_PARTS, "Weather alice");
    alice.send(SEND_PUBLIC, "sorry, I was reading");
    alice.expect(ERROR, "please log in");

    // bob has sent nothing but STILL_HERE for longer than the timeout.
    while bob_last_request.elapsed() < Duration::from_secs(13) {
        bob.send(STILL_HERE, "");
        bob.quiet_for(Duration::from_secs(2));
    }
    bob.send(LIST_USERS, "");
    bob.expect_user_items(&[("tina", "Weather"), ("bob", "Weather")]);
    bob.send(SEND_PUBLIC, "still here");
    bob.expect(PUBLIC_MSG, "Weather bob still here");
    tina.expect_line("bob [Weather]: still here");
    tina.expect_no("<bob has left");
}

#[test]
fn udp_and_telnet_users_share_channels() {
    // The default lobby: a UDP login is acked first, then put in the lobby.
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "tina");
    tina.expect_line("Welcome to the Lobby Channel (1 user)");
    let mut alice = Udp::new(&server, "alice");
    alice.login("alice");
    alice.expect(JOIN_ACK, "Lobby 2 Where everyone starts: say hello");
    tina.expect_line("<alice has entered Lobby>");

    alice.send(JOIN_REQ, "weather");
    alice.expect(JOIN_ACK, &format!("Weather 1 {WEATHER}"));
    tina.send("/join weather");
    tina.expect_line("Welcome to the Weather Channel (2 users)");
    alice.expect(USER_JOINS, "Weather tina");

    alice.send(SEND_PUBLIC, "is it raining in NY?");
    alice.expect(PUBLIC_MSG, "Weather alice is it raining in NY?");
    tina.expect_line("alice [Weather]: is it raining in NY?");
    tina.send("pouring");
    tina.expect_line("tina [Weather]: pouring");
    alice.expect(PUBLIC_MSG, "Weather tina pouring");

    alice.send(SEND_PRIVATE, "tina  got an umbrella?");
    tina.expect_line("alice [**private**]: got an umbrella?");
    tina.send("/msg alice two of them");
    tina.expect_line("-> alice [**private**]: two of them");
    alice.expect(PRIVATE_MSG, "tina two of them");

    // Each in the other's list of the current channel.
    tina.send("/users");
    for nick in ["alice", "tina"] {
        let pattern = users_line(nick, "Weather Lobby");
        tina.expect_where(&format!("a line shaped {pattern:?}"), |line| {
            fits(line, &pattern)
        });
    }
    alice.send(LIST_USERS, "");
    alice.expect_user_items(&[("alice", "Weather Lobby"), ("tina", "Weather Lobby")]);

    // Parts, both ways.
    tina.send("/part weather");
    tina.expect_line("You have left the Weather Channel");
    alice.expect(USER_PARTS, "Weather tina");
    alice.send(PART_REQ, "");
    alice.expect(PART_ACK, &format!("Weather 0 {WEATHER}"));
    alice.expect(JOIN_ACK, "Lobby 2 Where everyone starts: say hello");
    tina.send("/join weather");
    tina.expect_line("Welcome to the Weather Channel (1 user)");
    alice.send(JOIN_REQ, "Weather");
    alice.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    // The channel's history follows, the lines marked with their times.
    let at = "[####-##-## ##:##:## UTC]";
    alice.expect_shaped(
        PUBLIC_MSG,
        &format!("Weather alice {at} is it raining in NY?"),
    );
    alice.expect_shaped(PUBLIC_MSG, &format!("Weather tina {at} pouring"));
    tina.expect_line("<alice has entered Weather>");
    alice.send(PART_REQ, "weather");
    alice.expect(PART_ACK, &format!("Weather 1 {WEATHER}"));
    alice.expect(JOIN_ACK, "Lobby 2 Where everyone starts: say hello");
    tina.expect_line("<alice has left Weather>");
    alice.expect_nothing();

    // LOGOFF: no reply; the others see a quit.
    alice.send(LOGOFF, "alice");
    tina.expect_line("<alice has left Lobby (quit)>");
    alice.send(LIST_USERS, "");
    alice.expect(ERROR, "please log in");
}

#[test]
fn a_third_address_from_one_ip_is_refused() {
    let server = TestServer::start_with("lobby = \"\"\n[limits]\nconnections_per_ip = 2\n");
    let mut first = Udp::logged_in(&server, "first");
    let _second = Udp::logged_in(&server, "second");
    let mut third = Udp::new(&server, "third");
    third.send(LOGIN_REQ, "third");
    third.expect_error_containing("too many connections");
    third.expect_nothing();

    // A LOGOFF frees the place.
    first.send(LOGOFF, "first");
    first.send(LIST_CHANNELS, "");
    first.expect(ERROR, "please log in");
    third.login("third");
}

/// What a flooding UDP client hears: each of its 30 SEND_PUBLICs answered
/// by its echo, "too fast", its goodbye or (once logged off) "please log
/// in" — the last two in no particular order with the others, as "please log
/// in" doesn't wait in the send queue. Checks what its channel-mates saw;
/// with `told`, that the flooder got ERROR "Excess flood" too.
fn flood(server: &TestServer, told: bool) {
    let mut tina = telnet_in_weather(server, "tina", "1 user");
    let mut steady = Udp::logged_in(server, "steady");
    steady.send(JOIN_REQ, "Weather");
    steady.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    let mut flooder = Udp::logged_in(server, "flooder");
    flooder.send(JOIN_REQ, "Weather");
    flooder.expect(JOIN_ACK, &format!("Weather 3 {WEATHER}"));
    steady.expect(USER_JOINS, "Weather flooder");

    for i in 1..=30 {
        flooder.send(SEND_PUBLIC, &format!("flood {i}"));
    }
    // Logged off by then, the flooder can log in again: the LOGIN_ACK is
    // sent after every answer to the flood.
    flooder.send(LOGIN_REQ, "flooder");
    let mut answers = Vec::new();
    loop {
        let got = flooder.next("the flood's answers, then LOGIN_ACK \"flooder\"");
        if got.is(LOGIN_ACK, "flooder") {
            break;
        }
        answers.push(got);
    }
    let count = |wanted: &dyn Fn(&Datagram) -> bool| answers.iter().filter(|d| wanted(d)).count();
    let echoes = count(&|d| d.code() == Some(PUBLIC_MSG));
    let too_fast = count(&|d| d.is(ERROR, "too fast: that was dropped; slow down"));
    let logged_off = count(&|d| d.is(ERROR, "please log in"));
    let excess = count(&|d| d.is(ERROR, "Excess flood"));
    if echoes == 0
        || too_fast == 0
        || logged_off == 0
        || echoes + too_fast + excess + logged_off != answers.len()
    {
        flooder.fail(&format!(
            "expected echoes, \"too fast\" ERRORs and \"please log in\"s; got {echoes} \
             echoes, {too_fast} too fast, {logged_off} please log in, {excess} Excess flood \
             of {} answers",
            answers.len()
        ));
    }
    if told && excess != 1 {
        flooder.fail(&format!(
            "expected ERROR \"Excess flood\" once among the answers, got it {excess} times"
        ));
    }
    flooder.note("== echoes, \"too fast\" and \"please log in\"".into());

    tina.expect_line("<flooder has left Weather (Excess flood)>");
    let mut heard = 0;
    loop {
        let got = steady.next("the flood's echoes, then USER_PARTS \"Weather flooder\"");
        if got.is(USER_PARTS, "Weather flooder") {
            break;
        }
        if got.code() != Some(PUBLIC_MSG) {
            steady.fail(&format!(
                "expected an echo of the flood, got {}",
                show(&got.0)
            ));
        }
        heard += 1;
    }
    if heard != echoes {
        steady.fail(&format!(
            "heard {heard} lines of the flood; the flooder had {echoes} echoes"
        ));
    }

    // The others carry on; the flooder is back, in no channel.
    steady.send(SEND_PUBLIC, "that was loud");
    steady.expect(PUBLIC_MSG, "Weather steady that was loud");
    tina.expect_line("steady [Weather]: that was loud");
    flooder.expect_nothing();
}

const FLOOD_LIMITS: &str = "lobby = \"\"\n[limits]\nflood_rate = 5.0\nflood_burst = 5.0\n";

#[test]
fn a_flooding_client_is_slowed_then_logged_off() {
    let server = TestServer::start_with(FLOOD_LIMITS);
    flood(&server, false);
}

#[test]
fn a_flooding_client_is_told_why_it_was_logged_off() {
    let server = TestServer::start_with(FLOOD_LIMITS);
    flood(&server, true);
}

#[test]
fn every_datagram_fits_in_1024_bytes_cut_at_a_character() {
    let server = TestServer::start_with(NO_LOBBY);
    let mut alice = Udp::logged_in(&server, "alice");
    alice.send(JOIN_REQ, "Weather");
    alice.expect(JOIN_ACK, &format!("Weather 1 {WEATHER}"));
    let mut bob = Udp::logged_in(&server, "bob");
    bob.send(JOIN_REQ, "Weather");
    bob.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    alice.expect(USER_JOINS, "Weather bob");

    // A full 1024-byte SEND_PUBLIC; "Weather alice " in front makes the
    // PUBLIC_MSG too long, and 2-byte characters at an odd offset make the
    // cut fall inside one.
    let text = format!("x{}y", "é".repeat(510));
    assert_eq!(text.len(), MAX_DATAGRAM - 2);
    alice.send(SEND_PUBLIC, &text);
    // 2 + "Weather alice x" (15) + 503 × 2 = 1023: the 504th "é" won't fit.
    let cut = format!("Weather alice x{}", "é".repeat(503));
    for member in [&mut alice, &mut bob] {
        let got = member.next("the long PUBLIC_MSG");
        if got.0.len() > MAX_DATAGRAM || std::str::from_utf8(got.payload()).is_err() {
            member.fail(&format!(
                "a {}-byte datagram, UTF-8: {}",
                got.0.len(),
                std::str::from_utf8(got.payload()).is_ok()
            ));
        }
        if !got.is(PUBLIC_MSG, &cut) {
            member.fail(&format!(
                "expected the PUBLIC_MSG cut to {} bytes, got {}",
                2 + cut.len(),
                show(&got.0)
            ));
        }
    }

    // The same for a private message, and for a datagram longer than the
    // book's 1024 bytes, which is cut there first (§2).
    alice.send(SEND_PRIVATE, &format!("bob {}", "ü".repeat(600)));
    let got = bob.next("the long PRIVATE_MSG");
    // 2 + "alice " (6) + 508 × 2 = 1024.
    if !got.is(PRIVATE_MSG, &format!("alice {}", "ü".repeat(508))) {
        bob.fail(&format!(
            "expected a 1024-byte PRIVATE_MSG, got {}",
            show(&got.0)
        ));
    }
    alice.send(SEND_PUBLIC, &"a".repeat(1500));
    let cut = format!("Weather alice {}", "a".repeat(MAX_DATAGRAM - 2 - 14));
    alice.expect(PUBLIC_MSG, &cut);
    bob.expect(PUBLIC_MSG, &cut);
    alice.expect_nothing();
    bob.expect_nothing();
}
