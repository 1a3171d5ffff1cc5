//! Nothing said is lost, over real sockets: memos kept for registered users
//! who are off line and delivered at their next login (after a restart; on
//! the text, IRC and UDP doors), channel history replayed on join (after a
//! restart, in order, with times; and not at all with `replay = 0`), away
//! replies on both chat doors, ignore lists that filter in the hub and
//! survive a restart, WHOWAS, and the warning before an idle logout.
//! Each test has its own server; those that register use a cheap argon2.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::support::irc::{Irc, SERVER};
use crate::support::udp::{
    Udp, ERROR as UDP_ERROR, JOIN_ACK, JOIN_REQ, LOGIN_ACK, LOGIN_REQ, PRIVATE_MSG, PUBLIC_MSG,
    SEND_PRIVATE,
};
use crate::support::{
    owner, register_and_leave, registered_guest, Client, TestServer, CHEAP, NO_LOBBY,
};

const WEATHER: &str = "Talk about the weather";

// ---------------------------------------------------------------------------
// Times
// ---------------------------------------------------------------------------

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// The span of Unix seconds in which something happened.
#[derive(Clone, Copy, Debug)]
struct Window(i64, i64);

impl Window {
    fn open() -> Window {
        Window(unix_now(), i64::MAX)
    }

    fn close(self) -> Window {
        Window(self.0, unix_now())
    }

    fn holds(self, t: i64) -> bool {
        self.0 <= t && t <= self.1
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD HH:MM:SS UTC` as Unix seconds.
fn parse_utc(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let shape = "####-##-## ##:##:## UTC";
    if b.len() != shape.len()
        || !b.iter().zip(shape.bytes()).all(|(c, s)| match s {
            b'#' => c.is_ascii_digit(),
            s => *c == s,
        })
    {
        return None;
    }
    let n = |range: std::ops::Range<usize>| text[range].parse::<i64>().ok();
    let days = days_from_civil(n(0..4)?, n(5..7)?, n(8..10)?);
    Some(days * 86_400 + n(11..13)? * 3600 + n(14..16)? * 60 + n(17..19)?)
}

/// `line` with each `YYYY-MM-DD HH:MM:SS UTC` in `window` replaced by `<T>`
/// (one outside it by `<T not in the window: …>`), for comparing lines that
/// carry the time something happened.
fn timed(line: &str, window: Window) -> String {
    const LEN: usize = "2000-01-01 00:00:00 UTC".len();
    let mut out = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        let found = (0..rest.len().saturating_sub(LEN - 1))
            .filter(|&i| rest.is_char_boundary(i) && rest.is_char_boundary(i + LEN))
            .find_map(|i| parse_utc(&rest[i..i + LEN]).map(|t| (i, t)));
        let Some((i, t)) = found else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..i]);
        match window.holds(t) {
            true => out.push_str("<T>"),
            false => out.push_str(&format!("<T not in the window: {}>", &rest[i..i + LEN])),
        }
        rest = &rest[i + LEN..];
    }
    out
}

/// Waits for the next line that is `expected` once its times (which must
/// be in `window`) are written `<T>`.
#[track_caller]
fn expect_timed(client: &mut Client, expected: &str, window: Window) -> String {
    let what = format!("{expected:?}, each <T> a time in {window:?}");
    client.expect_where(&what, |line| timed(line, window) == expected)
}

/// Expects the very next line to be `expected`, times written `<T>`.
#[track_caller]
fn expect_next_timed(client: &mut Client, expected: &str, window: Window) {
    let line = client.next_line();
    if timed(&line, window) != expected {
        client.fail(&format!(
            "expected the next line to be {expected:?} (each <T> a time in {window:?}), \
             got {line:?}"
        ));
    }
}

/// Expects `udp`'s very next datagram to be `code` with a payload that is
/// `expected` once its times (in `window`) are written `<T>`.
#[track_caller]
fn expect_udp_timed(udp: &mut Udp, code: u16, expected: &str, window: Window) {
    let what = format!("{code} {expected:?}, each <T> a time in {window:?}");
    udp.expect_where(&what, |d| {
        d.code() == Some(code) && timed(&d.text(), window) == expected
    });
}

// ---------------------------------------------------------------------------
// Memos
// ---------------------------------------------------------------------------

#[test]
fn a_memo_to_someone_off_line_is_delivered_at_login_after_a_restart() {
    let mut server = TestServer::start_with(&format!("{CHEAP}[memos]\nper_recipient = 2\n"));
    register_and_leave(&server, "bob", "bobs-password");

    let mut alice = Client::logged_in(&server, "alice");
    let sent = Window::open();
    alice.send("/msg bob see you at noon");
    alice.expect_line("bob is not on line: your message was kept for their next login.");
    // Whatever the case it is typed in.
    alice.send("/msg BOB bring the map");
    alice.expect_line("BOB is not on line: your message was kept for their next login.");
    let sent = sent.close();
    alice.send("/msg bob one too many");
    alice.expect_line("** ERROR: bob has too many messages waiting; try again later **");
    // Nobody has that nickname: nothing is kept.
    alice.send("/msg nobody hello?");
    alice.expect_line("** ERROR: nobody: not logged in **");
    // A guest has no memos to read.
    alice.send("/memos");
    alice.expect_line("** ERROR: your nickname is not registered; /register <password> first **");

    // What alice was told was kept must survive a crash.
    server.kill_hard();
    server.restart();

    let mut bob = owner(&server, "bob", "bobs-password");
    bob.expect_next("You have 2 memos:");
    expect_next_timed(&mut bob, "alice [**memo** sent <T>]: see you at noon", sent);
    expect_next_timed(&mut bob, "alice [**memo** sent <T>]: bring the map", sent);
    bob.expect_line("Welcome to the Lobby Channel (1 user)");

    // /memos lists what is kept, read or not (and, coming after the login's
    // writes in the store's queue, proves they are marked read).
    bob.send("/memos");
    bob.expect_line("You have 2 memos:");
    expect_next_timed(&mut bob, "alice [**memo** sent <T>]: see you at noon", sent);
    expect_next_timed(&mut bob, "alice [**memo** sent <T>]: bring the map", sent);
    bob.send("/quit");
    bob.expect_closed();

    // Read memos are not delivered again.
    let mut bob = owner(&server, "bob", "bobs-password");
    let at_login = bob.mark();
    bob.expect_line("Welcome to the Lobby Channel (1 user)");
    bob.expect_no_since(at_login, "memo");
    bob.send("/memos clear");
    bob.expect_line("Your memos were deleted.");
    bob.send("/memos");
    bob.expect_line("You have no memos.");
    bob.send("/memos now");
    bob.expect_line("** ERROR: usage: /memos [clear] **");
}

#[test]
fn memos_on_the_irc_door_come_from_memoserv() {
    let server = TestServer::start_with(CHEAP);
    register_and_leave(&server, "carol", "carols-password");

    let mut dave = Irc::logged_in(&server, "dave");
    let sent = Window::open();
    dave.send("PRIVMSG carol :hello from irc");
    dave.expect_line(&format!(
        ":MemoServ!MemoServ@{SERVER} NOTICE dave :carol is not on line: your message was \
         kept for their next login."
    ));
    let sent = sent.close();
    dave.send("PRIVMSG ghost :anyone?");
    dave.expect_line(&format!(":{SERVER} 401 dave ghost :No such nick/channel"));

    // carol logs in with PASS: the memo comes after the welcome, from MemoServ.
    let mut carol = Irc::connect(&server, "carol");
    carol.send("PASS carols-password");
    carol.send("NICK carol");
    carol.send("USER carol 0 * :Carol");
    carol.welcome("carol");
    let memo =
        format!(":MemoServ!MemoServ@{SERVER} NOTICE carol :From dave at <T>: hello from irc");
    let line = carol
        .expect_where("a memo from MemoServ", |l| l.raw.contains("MemoServ"))
        .raw;
    if timed(&line, sent) != memo {
        carol.fail(&format!(
            "expected {memo:?} (<T> in {sent:?}), got {line:?}"
        ));
    }
    carol.expect_line(&format!(":{SERVER} 366 carol #Lobby :End of /NAMES list."));

    // MemoServ LIST and CLEAR.
    carol.send("PRIVMSG MemoServ :LIST");
    let line = carol
        .expect_where("the memo listed", |l| l.raw.contains("MemoServ"))
        .raw;
    if timed(&line, sent) != memo {
        carol.fail(&format!(
            "expected {memo:?} (<T> in {sent:?}), got {line:?}"
        ));
    }
    carol.send("PRIVMSG MemoServ :CLEAR");
    carol.expect_line(&format!(
        ":MemoServ!MemoServ@{SERVER} NOTICE carol :Your memos were deleted."
    ));
    carol.send("PRIVMSG MemoServ :LIST");
    carol.expect_line(&format!(
        ":MemoServ!MemoServ@{SERVER} NOTICE carol :You have no memos."
    ));
}

#[test]
fn memos_are_delivered_when_identifying_with_nickserv() {
    let server = TestServer::start_with(CHEAP);
    register_and_leave(&server, "carol", "carols-password");
    let mut dave = Client::logged_in(&server, "dave");
    dave.send("/msg carol hello");
    dave.expect_line("carol is not on line: your message was kept for their next login.");

    let mut carol = Irc::logged_in(&server, "guest7");
    carol.send("PRIVMSG NickServ :IDENTIFY carol carols-password");
    carol.expect_line(":guest7!guest7@chatd NICK :carol");
    carol.expect_where("MemoServ's memo", |l| {
        let l = &l.raw;
        l.starts_with(":MemoServ!") && l.contains(":From dave at ") && l.ends_with(": hello")
    });
}

#[test]
fn a_udp_send_private_to_someone_off_line_is_kept_and_delivered() {
    let server = TestServer::start_with(&format!("{NO_LOBBY}{CHEAP}"));
    register_and_leave(&server, "erin", "erins-password");

    let mut frank = Udp::logged_in(&server, "frank");
    let sent = Window::open();
    frank.send(SEND_PRIVATE, "erin meet me at the pond");
    frank.expect(
        UDP_ERROR,
        "erin is not on line: your message was kept for their next login",
    );
    let sent = sent.close();
    frank.send(SEND_PRIVATE, "ghost boo");
    frank.expect(UDP_ERROR, "ghost: not logged in");

    // erin logs in with chatd's "<nick> <password>": the memo is a private
    // message, marked as a memo with its time.
    let mut erin = Udp::new(&server, "erin");
    erin.send(LOGIN_REQ, "erin erins-password");
    erin.expect(LOGIN_ACK, "erin");
    expect_udp_timed(
        &mut erin,
        PRIVATE_MSG,
        "frank [memo <T>] meet me at the pond",
        sent,
    );

    // Logging in again, the memo (read now) does not come again: the next
    // datagram is a live private line.
    erin.send(LOGIN_REQ, "erin erins-password");
    erin.expect(LOGIN_ACK, "erin");
    let mut bob = Client::logged_in(&server, "bob");
    bob.send("/msg erin hi");
    bob.expect_line("-> erin [**private**]: hi");
    erin.expect(PRIVATE_MSG, "bob hi");
}

// ---------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------

#[test]
fn history_is_replayed_on_join_after_a_restart_in_order_with_times() {
    let mut server = TestServer::start_with(&format!("{NO_LOBBY}[history]\nreplay = 3\n"));
    let mut alice = Client::logged_in(&server, "alice");
    alice.send("/join Weather");
    alice.expect_line("Welcome to the Weather Channel (1 user)");
    let said = Window::open();
    for line in ["zero", "one", "two"] {
        alice.send(line);
        alice.expect_line(&format!("alice [Weather]: {line}"));
    }
    alice.send("/me looks at the sky");
    alice.expect_line("* alice [Weather] looks at the sky");
    alice.send("four");
    alice.expect_line("alice [Weather]: four");
    let said = said.close();

    // An orderly restart: every line said is on disk when it exits.
    server.terminate();
    server.restart();

    let mut bob = Client::logged_in(&server, "bob");
    bob.send("/join Weather");
    bob.expect_line("Welcome to the Weather Channel (1 user)");
    bob.expect_next("-- the last 3 lines of Weather --");
    expect_next_timed(&mut bob, "[history <T>] alice [Weather]: two", said);
    expect_next_timed(
        &mut bob,
        "[history <T>] * alice [Weather] looks at the sky",
        said,
    );
    expect_next_timed(&mut bob, "[history <T>] alice [Weather]: four", said);
    bob.expect_next("-- end of history --");
    // Only on joining: making Weather current again replays nothing.
    bob.send("/join Pets");
    bob.expect_line("Welcome to the Pets Channel (1 user)");
    let mark = bob.mark();
    bob.send("/join Weather");
    bob.expect_line("Welcome to the Weather Channel (1 user)");
    bob.expect_no_since(mark, "history");

    // On IRC: PRIVMSGs from the speakers, after NAMES, each with its time.
    let mut ivy = Irc::connect(&server, "ivy");
    ivy.register("ivy");
    ivy.send("JOIN #Weather");
    ivy.expect_line(&format!(":{SERVER} 366 ivy #Weather :End of /NAMES list."));
    let history = [
        ":alice!alice@chatd PRIVMSG #Weather :[<T>] two",
        ":alice!alice@chatd PRIVMSG #Weather :<action> [<T>] looks at the sky",
        ":alice!alice@chatd PRIVMSG #Weather :[<T>] four",
    ];
    for expected in history {
        let line = ivy.expect_where("a history PRIVMSG", |_| true).raw;
        // The action's framing is checked by its own test below.
        let shown = timed(&line, said).replace("\u{1}ACTION ", "<action> ");
        let shown = shown.trim_end_matches('\u{1}');
        if shown != expected {
            ivy.fail(&format!(
                "expected {expected:?} (<T> a time in {said:?}), got {line:?}"
            ));
        }
    }
    bob.expect_line("<ivy has entered Weather>");

    // On the UDP door: PUBLIC_MSGs after the JOIN_ACK.
    let mut uma = Udp::logged_in(&server, "uma");
    uma.send(JOIN_REQ, "Weather");
    uma.expect(JOIN_ACK, &format!("Weather 3 {WEATHER}"));
    expect_udp_timed(&mut uma, PUBLIC_MSG, "Weather alice [<T>] two", said);
    uma.expect_where("the action in history", |d| {
        let text = d.text();
        d.code() == Some(PUBLIC_MSG)
            && text.starts_with("Weather alice [")
            && text.ends_with("looks at the sky")
    });
    expect_udp_timed(&mut uma, PUBLIC_MSG, "Weather alice [<T>] four", said);
}

#[test]
fn a_history_action_stays_an_action_on_irc_and_udp() {
    let server = TestServer::start_with(NO_LOBBY);
    let mut alice = Client::logged_in(&server, "alice");
    alice.send("/join Weather");
    alice.send("/me looks at the sky");
    alice.expect_line("* alice [Weather] looks at the sky");

    let mut uma = Udp::logged_in(&server, "uma");
    uma.send(JOIN_REQ, "Weather");
    uma.expect(JOIN_ACK, &format!("Weather 2 {WEATHER}"));
    let udp = uma.next("the history line").text();

    let mut ivy = Irc::connect(&server, "ivy");
    ivy.register("ivy");
    ivy.send("JOIN #Weather");
    ivy.expect_line(&format!(":{SERVER} 366 ivy #Weather :End of /NAMES list."));
    let irc = ivy.expect_where("the history line", |_| true).raw;

    // UDP: as a live action is, "Weather alice * looks at the sky" (with
    // the time). IRC: a CTCP ACTION must be the whole message.
    let udp_ok = udp.starts_with("Weather alice ") && udp.contains("* looks at the sky");
    let text = irc.split_once(" :").map(|(_, t)| t).unwrap_or("");
    let irc_ok = text.starts_with("\u{1}ACTION ") && text.ends_with('\u{1}');
    if !(udp_ok && irc_ok) {
        ivy.fail(&format!(
            "a history action is not an action: UDP {udp:?} ({}), IRC {irc:?} ({})",
            if udp_ok { "ok" } else { "wrong" },
            if irc_ok { "ok" } else { "wrong" },
        ));
    }
}

#[test]
fn with_replay_0_nothing_is_replayed_or_kept() {
    let mut server = TestServer::start_with("[history]\nreplay = 0\n");
    let mut alice = Client::logged_in(&server, "alice");
    alice.send("/join Weather");
    alice.expect_line("Welcome to the Weather Channel (1 user)");
    alice.send("nobody will read this later");
    alice.expect_line("alice [Weather]: nobody will read this later");
    alice.send("hello lobby");

    let mut bob = Client::logged_in(&server, "bob");
    let mark = bob.mark();
    bob.send("/join Weather");
    bob.expect_line("Welcome to the Weather Channel (2 users)");
    bob.expect_no_since(mark, "history");
    bob.expect_no_since(mark, "nobody will read this later");

    server.terminate();
    let db = rusqlite::Connection::open(server.db_path()).expect("open the database");
    let rows: i64 = db
        .query_row("SELECT count(*) FROM history", [], |row| row.get(0))
        .expect("count history");
    drop(db);
    if rows != 0 {
        server.fail(&format!("replay = 0 kept {rows} lines of history"));
    }
    server.restart();
    let mut carol = Client::logged_in(&server, "carol");
    let mark = carol.mark();
    carol.send("/join Weather");
    carol.expect_line("Welcome to the Weather Channel (1 user)");
    carol.expect_no_since(mark, "history");
}

// ---------------------------------------------------------------------------
// Away
// ---------------------------------------------------------------------------

#[test]
fn away_messages_answer_private_lines_on_both_doors() {
    let server = TestServer::start();
    let mut tom = Client::logged_in(&server, "tom");
    let mut ivy = Irc::logged_in(&server, "ivy");

    // A telnet user away; an IRC user writes.
    tom.send("/away lunch");
    tom.expect_line("You are marked as away: lunch");
    ivy.send("PRIVMSG tom :are you there?");
    ivy.expect_line(&format!(":{SERVER} 301 ivy tom :lunch"));
    tom.expect_line("ivy [**private**]: are you there?");
    ivy.send("WHOIS tom");
    ivy.expect_line(&format!(":{SERVER} 301 ivy tom :lunch"));
    ivy.expect_where("318 for tom", |l| l.raw.contains(" 318 ivy tom "));

    // An IRC user away; a telnet user writes.
    ivy.send("AWAY :gone fishing");
    ivy.expect_line(&format!(
        ":{SERVER} 306 ivy :You have been marked as being away"
    ));
    tom.send("/msg ivy ping");
    tom.expect_line("-> ivy [**private**]: ping");
    tom.expect_next("ivy is away: gone fishing");
    ivy.expect_line(":tom!tom@chatd PRIVMSG ivy :ping");
    tom.send("/whois ivy");
    tom.expect_line("ivy is in channels: Lobby");
    tom.expect_next("ivy is away: gone fishing");
    tom.send("/users");
    for (nick, away) in [("tom", "lunch"), ("ivy", "gone fishing")] {
        let users = tom.expect_where(&format!("{nick} in /users"), |l| {
            l.starts_with(&format!("{nick} "))
        });
        if !users.ends_with(&format!(" (away: {away})")) {
            tom.fail(&format!("/users does not show {nick} away: {users:?}"));
        }
    }

    // Both back.
    ivy.send("AWAY");
    ivy.expect_line(&format!(
        ":{SERVER} 305 ivy :You are no longer marked as being away"
    ));
    tom.send("/back");
    tom.expect_line("You are no longer marked as away");
    tom.send("/msg ivy back?");
    tom.expect_line("-> ivy [**private**]: back?");
    tom.expect_no("is away");
    ivy.send("PRIVMSG tom :yes");
    tom.expect_line("ivy [**private**]: yes");
    ivy.expect_no(" 301 ");
    tom.send("/whois ivy");
    tom.expect_line("ivy is in channels: Lobby");
    tom.expect_no("is away");
}

// ---------------------------------------------------------------------------
// Ignore
// ---------------------------------------------------------------------------

#[test]
fn ignored_lines_never_arrive_and_the_list_survives_a_restart() {
    let mut server = TestServer::start_with(CHEAP);
    let mut victim = registered_guest(&server, "victim", "victims-password");
    let mut witness = Client::logged_in(&server, "witness");
    let mut spammer = Client::logged_in(&server, "spammer");
    let mut ivy = Irc::logged_in(&server, "ivy");
    witness.send("hello all");
    victim.expect_line("witness [Lobby]: hello all");

    victim.send("/ignore Spammer");
    victim.expect_line("Ignoring Spammer: their lines will not reach you.");
    ivy.send("SILENCE +spammer");
    ivy.expect_line(&format!(":{SERVER} NOTICE ivy :Ignoring spammer"));
    spammer.send("buy now");
    spammer.expect_line("spammer [Lobby]: buy now");
    witness.expect_line("spammer [Lobby]: buy now");
    victim.expect_no("buy now");
    ivy.expect_no("buy now");
    spammer.send("/msg victim psst");
    spammer.expect_line("-> victim [**private**]: psst");
    spammer.send("/msg ivy psst");
    spammer.expect_line("-> ivy [**private**]: psst");
    victim.expect_no("psst");
    ivy.expect_no("psst");
    victim.send("/ignore");
    victim.expect_line("You ignore: Spammer");
    // The history's lines are on disk once the store has answered something
    // asked after them.
    witness.send("/whois ghost");
    witness.expect_line("** ERROR: ghost: not logged in **");
    drop(ivy);

    server.kill_hard();
    server.restart();

    let mut witness = Client::logged_in(&server, "witness");
    let mut spammer = Client::logged_in(&server, "spammer");
    let history = Window(0, unix_now());
    let mut victim = owner(&server, "victim", "victims-password");
    victim.expect_line("Welcome to the Lobby Channel (3 users)");
    // The lobby's history, without the spammer's line.
    victim.expect_next("-- the last line of Lobby --");
    expect_next_timed(
        &mut victim,
        "[history <T>] witness [Lobby]: hello all",
        history,
    );
    victim.expect_next("-- end of history --");
    spammer.send("still buying?");
    witness.expect_line("spammer [Lobby]: still buying?");
    spammer.send("/msg victim psst again");
    spammer.expect_line("-> victim [**private**]: psst again");
    victim.expect_no("spammer");
    victim.send("/ignore");
    victim.expect_line("You ignore: Spammer");

    victim.send("/unignore spammer");
    victim.expect_line("No longer ignoring Spammer.");
    spammer.send("finally");
    victim.expect_line("spammer [Lobby]: finally");
    victim.send("/unignore spammer");
    victim.expect_line("** ERROR: you are not ignoring spammer **");
    victim.send("/ignore");
    victim.expect_line("You ignore nobody.");
}

// ---------------------------------------------------------------------------
// WHOWAS
// ---------------------------------------------------------------------------

#[test]
fn whowas_tells_who_left_and_when_on_both_doors() {
    let server = TestServer::start();
    let mut alice = Client::logged_in(&server, "alice");
    let mut ivy = Irc::logged_in(&server, "ivy");
    let left = Window::open();
    let mut bob = Client::logged_in(&server, "bob");
    bob.send("/quit");
    bob.expect_closed();
    alice.expect_line("<bob has left Lobby (quit)>");
    let carl = Client::logged_in(&server, "carl");
    carl.drop_connection();
    alice.expect_line("<carl has left Lobby (connection closed)>");
    let left = left.close();

    // Addresses are for server operators (issue #17); alice is none.
    alice.send("/whowas bob");
    expect_timed(&mut alice, "bob was on line until <T>", left);
    alice.send("/whowas CARL");
    expect_timed(&mut alice, "carl was on line until <T>", left);
    alice.send("/whowas ghost");
    alice.expect_line("** ERROR: nobody used the nickname ghost lately **");
    alice.send("/whowas");
    alice.expect_line("** ERROR: usage: /whowas <nick> **");

    ivy.send("WHOWAS bob");
    ivy.expect_line(&format!(":{SERVER} 314 ivy bob bob {SERVER} * :bob"));
    let line = ivy.expect_where("312 with the time bob left", |_| true).raw;
    let expected = format!(":{SERVER} 312 ivy bob {SERVER} :<T>");
    if timed(&line, left) != expected {
        ivy.fail(&format!(
            "expected {expected:?} (<T> in {left:?}), got {line:?}"
        ));
    }
    ivy.expect_next(&format!(":{SERVER} 369 ivy bob :End of WHOWAS"));
    ivy.send("WHOWAS ghost");
    ivy.expect_next(&format!(
        ":{SERVER} 406 ivy ghost :There was no such nickname"
    ));
    ivy.expect_next(&format!(":{SERVER} 369 ivy ghost :End of WHOWAS"));
    ivy.send("WHOWAS");
    ivy.expect_next(&format!(":{SERVER} 431 ivy :No nickname given"));
}

// ---------------------------------------------------------------------------
// The idle warning
// ---------------------------------------------------------------------------

/// `** You will be logged out in N seconds for being idle; … **`, N a digit.
fn is_idle_warning(line: &str) -> bool {
    line.strip_prefix("** You will be logged out in ")
        .and_then(|rest| rest.split_once(' '))
        .is_some_and(|(n, rest)| {
            matches!(n, "2" | "3") && rest == "seconds for being idle; type anything to stay. **"
        })
}

/// Waits (longer than [`LINE_TIMEOUT`]) for the idle warning.
#[track_caller]
fn expect_idle_warning(client: &mut Client) {
    let line = client.wait_for("** You will be logged out in ", Duration::from_secs(12));
    match line {
        Some(line) if is_idle_warning(&line) => {}
        Some(line) => client.fail(&format!("not the idle warning expected: {line:?}")),
        None => client.fail("no idle warning within 12 s (idle_timeout is 10 s)"),
    }
}

#[test]
fn an_idle_user_is_warned_then_logged_out() {
    let server = TestServer::start_with("idle_timeout = \"10s\"\n");
    let start = Instant::now();
    let mut sleepy = Client::logged_in(&server, "sleepy");
    let mut keen = Client::logged_in(&server, "keen");
    let mut ivy = Irc::logged_in(&server, "ivy");

    // A third of the 10 s before the logout (a minute for longer timeouts).
    expect_idle_warning(&mut sleepy);
    let warned = start.elapsed();
    if warned < Duration::from_secs(6) {
        sleepy.fail(&format!("warned after only {warned:?}"));
    }
    ivy.expect_within(
        Duration::from_secs(10),
        "the idle warning from the server",
        |l| {
            l.raw.starts_with(&format!(
                ":{SERVER} NOTICE ivy :You will be disconnected in "
            )) && l.raw.ends_with(" seconds for being idle.")
        },
    );
    // Typing anything keeps one on line.
    expect_idle_warning(&mut keen);
    keen.send("I'm here");
    keen.expect_line("keen [Lobby]: I'm here");

    let after_warning = sleepy.mark();
    sleepy.expect_line("** idle timeout (no input for 00:00:10) **");
    sleepy.expect_closed();
    if start.elapsed() < Duration::from_secs(10) {
        sleepy.fail(&format!("logged out after only {:?}", start.elapsed()));
    }
    // Warned once only.
    if let Some(again) = sleepy
        .lines_since(after_warning)
        .iter()
        .find(|l| is_idle_warning(l))
    {
        sleepy.fail(&format!("warned a second time: {again:?}"));
    }
    keen.expect_line("<sleepy has left Lobby (idle timeout (no input for 00:00:10))>");
    keen.send("still here");
    keen.expect_line("keen [Lobby]: still here");
}
