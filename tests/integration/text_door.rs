//! The text door as telnet and netcat users see it: the book's sample session,
//! nicknames, departures, hostile bytes, long lines, every command, the idle
//! timeout, slow readers and connection limits. Each test has its own server.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{
    expect_shape, fits, read_until_closed, users_line, Client, TestServer, NICK_PROMPT,
};

/// A `/channels` line in the book client's columns, `printf "%-20s %-40s %3d users"`.
fn channel_line(name: &str, description: &str, users: usize) -> String {
    format!(
        "{:<20} {description:<40} {users:>3} users",
        format!("[{name}]")
    )
}

/// The shipped channels, in the order `/channels` lists them.
const CHANNELS: [(&str, &str); 6] = [
    ("Lobby", "Where everyone starts: say hello"),
    ("CurrentEvents", "Discussion of current events"),
    ("Weather", "Talk about the weather"),
    ("Gardening", "For those with the green thumb"),
    ("Hobbies", "For hobbyists of all types"),
    ("Pets", "For our furry and feathered friends"),
];

/// Expects the very next line to be shaped like `pattern`.
#[track_caller]
fn expect_next_shape(client: &mut Client, pattern: &str) -> String {
    let what = format!("the next line to be shaped {pattern:?} (# a digit)");
    client.expect_next_where(&what, |line| fits(line, pattern))
}

/// A `/who` line: like `/users`, with the idle time.
fn who_line(nick: &str, channels: &str) -> String {
    format!("{nick:<15} (on ##:##:##, idle ##:##:##) Channels: {channels}")
}

/// Waits for the error `** ERROR: <what>… **`. Only the start is checked: an
/// error may go on to say what to do, in words that change more often.
#[track_caller]
fn expect_error(client: &mut Client, what: &str) -> String {
    let start = format!("** ERROR: {what}");
    client.expect_where(&format!("an error starting {start:?}"), |line| {
        line.starts_with(&start) && line.ends_with(" **")
    })
}

#[test]
fn the_books_sample_session() {
    let server = TestServer::start();
    let mut rufus = Client::logged_in(&server, "rufus");
    rufus.expect_line("Welcome to the Lobby Channel (1 user)");
    let mut lincoln = Client::logged_in(&server, "lincoln");
    lincoln.expect_line("Welcome to the Lobby Channel (2 users)");
    rufus.expect_line("<lincoln has entered Lobby>");
    let mut bayla = Client::connect(&server);
    let bayla_start = bayla.mark();
    bayla.login("bayla");
    bayla.expect_line("Welcome to the Lobby Channel (3 users)");
    rufus.expect_line("<bayla has entered Lobby>");
    lincoln.expect_line("<bayla has entered Lobby>");
    // A join is news for the others, not for the one who joined.
    bayla.expect_no_since(bayla_start, "has entered");

    lincoln.send("/channels");
    lincoln.expect_next(&channel_line(
        "Lobby",
        "Where everyone starts: say hello",
        3,
    ));
    lincoln.expect_next(&channel_line(
        "CurrentEvents",
        "Discussion of current events",
        0,
    ));
    lincoln.expect_next("[Weather]            Talk about the weather                     0 users");
    for (name, description) in &CHANNELS[3..] {
        lincoln.expect_next(&channel_line(name, description, 0));
    }

    rufus.send("/join weather");
    rufus.expect_line("Welcome to the Weather Channel (1 user)");
    lincoln.send("/join Weather");
    lincoln.expect_line("Welcome to the Weather Channel (2 users)");
    rufus.expect_line("<lincoln has entered Weather>");
    lincoln.send("/channels");
    lincoln.expect_line("[Weather]            Talk about the weather                     2 users");

    // A plain line goes to the current channel: its members hear it, the
    // sender too; bayla, only in the Lobby, does not.
    rufus.send("is it true about the rain in spain?");
    rufus.expect_line("rufus [Weather]: is it true about the rain in spain?");
    lincoln.expect_line("rufus [Weather]: is it true about the rain in spain?");
    bayla.expect_no("rain in spain");

    let bayla_before_join = bayla.mark();
    bayla.send("/join weather");
    bayla.expect_line("Welcome to the Weather Channel (3 users)");
    rufus.expect_line("<bayla has entered Weather>");
    lincoln.expect_line("<bayla has entered Weather>");
    bayla.expect_no_since(bayla_before_join, "<bayla has entered");

    lincoln.send("it's raining in NY right now");
    for member in [&mut rufus, &mut lincoln, &mut bayla] {
        member.expect_line("lincoln [Weather]: it's raining in NY right now");
    }

    // /users: the current channel's members in the order they came, each
    // with their time on line and channels, the current one first.
    lincoln.send("/users");
    expect_shape(&mut lincoln, &users_line("rufus", "Weather Lobby"));
    expect_next_shape(&mut lincoln, &users_line("lincoln", "Weather Lobby"));
    expect_next_shape(&mut lincoln, &users_line("bayla", "Weather Lobby"));

    // A private line reaches only its target; the sender sees where it went.
    lincoln.send("/private bayla why that name?");
    lincoln.expect_line("-> bayla [**private**]: why that name?");
    bayla.expect_line("lincoln [**private**]: why that name?");
    bayla.send("/msg lincoln that's for you to figure out");
    bayla.expect_line("-> lincoln [**private**]: that's for you to figure out");
    lincoln.expect_line("bayla [**private**]: that's for you to figure out");
    rufus.expect_no("why that name");
    rufus.expect_no("figure out");

    lincoln.send("/join nosuch");
    expect_error(&mut lincoln, "no channel named nosuch");

    // Leaving the current channel says which one is current now.
    bayla.send("/part");
    bayla.expect_line("You have left the Weather Channel");
    bayla.expect_next("Your current channel is now Lobby (3 users)");
    rufus.expect_line("<bayla has left Weather>");
    lincoln.expect_line("<bayla has left Weather>");
    bayla.send("is it dry in the lobby?");
    for everyone in [&mut rufus, &mut lincoln, &mut bayla] {
        everyone.expect_line("bayla [Lobby]: is it dry in the lobby?");
    }

    let bayla_before_quit = bayla.mark();
    rufus.send("/quit bye");
    rufus.expect_line("** Goodbye. **");
    rufus.expect_closed();
    lincoln.expect_line("<rufus has left Weather (quit: bye)>");
    lincoln.expect_next("<rufus has left Lobby (quit: bye)>");
    bayla.expect_line("<rufus has left Lobby (quit: bye)>");
    bayla.expect_no_since(bayla_before_quit, "<rufus has left Weather");

    lincoln.send("/channels");
    lincoln.expect_line(&channel_line(
        "Lobby",
        "Where everyone starts: say hello",
        2,
    ));
    lincoln.expect_line("[Weather]            Talk about the weather                     1 user");
}

#[test]
fn nicknames_are_unique_whatever_their_case_and_must_be_valid() {
    let server = TestServer::start();
    let mut lincoln = Client::logged_in(&server, "Lincoln");

    let mut other = Client::connect(&server);
    other.expect_line("Welcome to chatd. Type /help for commands.");
    other.expect_prompt(NICK_PROMPT);
    other.send("lincoln");
    expect_error(&mut other, "lincoln: nickname already in use");
    other.expect_prompt(NICK_PROMPT);

    let too_long = "a".repeat(31);
    for (typed, why) in [
        (
            "9lives",
            "a nickname can't start with '9'; start with a letter",
        ),
        (
            "two words",
            "a nickname can't contain ' '; use letters, digits and -_[]{}|^",
        ),
        (too_long.as_str(), "a nickname has at most 30 characters"),
        ("/join weather", "please log in first: type a nickname"),
    ] {
        other.send(typed);
        expect_error(&mut other, why);
        other.expect_prompt(NICK_PROMPT);
    }
    // An empty answer just asks again.
    other.send("");
    other.expect_prompt(NICK_PROMPT);

    other.send("abe");
    other.expect_line("Log in successful. Welcome abe.");
    lincoln.expect_line("<abe has entered Lobby>");

    // The longest nickname allowed, and the spelling its owner chose, kept.
    let longest = format!("Abraham_{}", "x".repeat(22));
    let _longest = Client::logged_in(&server, &longest);
    lincoln.send("/who");
    expect_shape(&mut lincoln, &who_line("abe", "Lobby"));
    expect_next_shape(&mut lincoln, &who_line(&longest, "Lobby"));
    expect_next_shape(&mut lincoln, &who_line("Lincoln", "Lobby"));
    lincoln.expect_next("3 users online");

    // /quit at the prompt is a way out too.
    let mut shy = Client::connect(&server);
    shy.expect_prompt(NICK_PROMPT);
    shy.send("/quit");
    shy.expect_line("** Goodbye. **");
    shy.expect_closed();
}

#[test]
fn a_dropped_connection_is_announced_in_every_channel_it_was_in() {
    let server = TestServer::start();
    let mut alice = Client::logged_in(&server, "alice");
    let mut bob = Client::logged_in(&server, "bob");
    let mut carol = Client::logged_in(&server, "carol");
    bob.send("/join weather");
    bob.expect_line("Welcome to the Weather Channel (1 user)");
    alice.send("/join weather");
    alice.expect_line("Welcome to the Weather Channel (2 users)");
    bob.expect_line("<alice has entered Weather>");
    let carol_before = carol.mark();

    alice.drop_connection();
    bob.expect_line("<alice has left Weather (connection closed)>");
    bob.expect_next("<alice has left Lobby (connection closed)>");
    carol.expect_line("<alice has left Lobby (connection closed)>");
    carol.expect_no_since(carol_before, "Weather");
    server.wait_for_log("logout alice from 127.0.0.1:");

    // The nickname is free again.
    let _alice = Client::logged_in(&server, "alice");
    bob.expect_line("<alice has entered Lobby>");
}

#[test]
fn telnet_commands_and_terminal_escapes_never_reach_another_user() {
    let server = TestServer::start();
    let mut bob = Client::logged_in(&server, "bob");
    let mut alice = Client::connect(&server);
    // A telnet client starts negotiating as soon as it connects: IAC DO ECHO,
    // IAC WILL SUPPRESS-GO-AHEAD, and a terminal type subnegotiation.
    alice.login_raw(
        b"\xff\xfd\x01\xff\xfb\x03\xff\xfa\x18\x00xterm\xff\xf0alice\r\n",
        "alice",
    );
    bob.expect_line("<alice has entered Lobby>");

    // IAC WILL ECHO and IAC DO SUPPRESS-GO-AHEAD around an ANSI colour.
    alice.send_raw(b"\xff\xfb\x01\x1b[31mred\x1b[0m\xff\xfd\x03\r\n");
    bob.expect_line("alice [Lobby]: red");
    // An OSC window title, and a subnegotiation in the middle of a line.
    alice.send_raw(b"\x1b]0;pwned\x07title \xff\xfa\x18\x00xterm\xff\xf0gone\r\n");
    bob.expect_line("alice [Lobby]: title gone");
    // The C1 form of CSI, a screen clear, BEL, NUL, a reset, and a tab.
    alice.send_raw("c1 \u{9b}2Jcsi a\x07b\x00c \x1bcreset\tdone\r\n".as_bytes());
    bob.expect_line("alice [Lobby]: c1 csi abc reset done");
    // IAC IAC is a literal 0xff: in UTF-8 text, garbage.
    alice.send_raw(b"x\xff\xffy\r\n");
    bob.expect_line("alice [Lobby]: x\u{fffd}y");
    // A line that is nothing but escapes says nothing.
    alice.send_raw(b"\x1b[2J\x1b[H\r\n");
    alice.send("after the escapes");
    bob.expect_next("alice [Lobby]: after the escapes");
    alice.expect_line("alice [Lobby]: after the escapes");
    bob.sync();

    for (who, raw) in [("bob", bob.received_raw()), ("alice", alice.received_raw())] {
        let text = match std::str::from_utf8(&raw) {
            Ok(text) => text,
            Err(e) => bob.fail(&format!("{who} received invalid UTF-8: {e}")),
        };
        let bad = text
            .char_indices()
            .find(|(_, c)| c.is_control() && !matches!(c, '\r' | '\n'));
        if let Some((at, c)) = bad {
            bob.fail(&format!(
                "{who} received the control character {c:?} at byte {at}"
            ));
        }
        if text.contains("pwned") || raw.contains(&0x1b) || raw.contains(&0xff) {
            bob.fail(&format!("{who} received escape or telnet bytes"));
        }
    }
}

#[test]
fn an_overlong_line_is_refused_and_the_connection_carries_on() {
    let server = TestServer::start();
    let mut alice = Client::logged_in(&server, "alice");
    let mut bob = Client::logged_in(&server, "bob");
    alice.expect_line("<bob has entered Lobby>");
    bob.expect_line("Welcome to the Lobby Channel (2 users)");

    // 15 KiB: far over the line limit, under the 16 KiB without a line end
    // that cuts a connection off (tests/integration/engine.rs).
    alice.send(&"x".repeat(15 * 1024));
    alice.expect_line("** ERROR: line too long (more than 1024 bytes); it was not sent **");
    alice.send("still here");
    bob.expect_next("alice [Lobby]: still here");

    // The limit itself is allowed; one byte more is not.
    let longest = "y".repeat(1024);
    alice.send(&longest);
    bob.expect_next(&format!("alice [Lobby]: {longest}"));
    alice.send(&"z".repeat(1025));
    alice.expect_line("** ERROR: line too long (more than 1024 bytes); it was not sent **");
    alice.send("and still here");
    bob.expect_next("alice [Lobby]: and still here");

    // At the nickname prompt too.
    let mut carol = Client::connect(&server);
    carol.expect_prompt(NICK_PROMPT);
    carol.send(&"c".repeat(15 * 1024));
    carol.expect_line("** ERROR: line too long (more than 1024 bytes); it was not sent **");
    // … and the prompt again, as after any other mistake there.
    carol.expect_prompt(NICK_PROMPT);
    carol.send("carol");
    carol.expect_line("Log in successful. Welcome carol.");
    bob.expect_next("<carol has entered Lobby>");
}

#[test]
fn who_and_whois_tell_who_is_on_line() {
    let server = TestServer::start();
    let mut alice = Client::logged_in(&server, "alice");
    let mut bob = Client::logged_in(&server, "bob");
    bob.send("/join pets");
    bob.expect_line("Welcome to the Pets Channel (1 user)");

    alice.send("/who");
    expect_shape(&mut alice, &who_line("alice", "Lobby"));
    expect_next_shape(&mut alice, &who_line("bob", "Pets Lobby"));
    alice.expect_next("2 users online");

    alice.send("/whois BOB");
    expect_next_shape(
        &mut alice,
        "bob is on line since ####-##-## ##:##:## UTC (on ##:##:##), idle ##:##:##",
    );
    alice.expect_next("bob is in channels: Pets Lobby");

    alice.send("/whois nobody");
    expect_error(&mut alice, "nobody: not logged in");

    bob.send("/quit");
    alice.expect_line("<bob has left Lobby (quit)>");
    alice.send("/who");
    expect_shape(&mut alice, &who_line("alice", "Lobby"));
    alice.expect_next("1 user online");
}

#[test]
fn mistakes_get_an_error_that_says_what_to_do() {
    let server = TestServer::start();
    let mut alice = Client::logged_in(&server, "alice");
    alice.expect_line("Welcome to the Lobby Channel (1 user)");
    for (typed, error) in [
        ("/join nosuch", "no channel named nosuch"),
        ("/part pets", "you are not in Pets"),
        ("/part nosuch", "no channel named nosuch"),
        ("/frob", "/frob: unknown command, try /help"),
        ("/join", "usage: /join <channel>"),
        ("/whois", "usage: /whois <nick>"),
        ("/msg bob", "usage: /private <nick> <text>"),
        ("/msg nobody hello", "nobody: not logged in"),
        ("/me", "usage: /me <action>"),
    ] {
        alice.send(typed);
        expect_error(&mut alice, error);
    }

    // Out of every channel, a plain line has nowhere to go.
    alice.send("/part");
    alice.expect_line("You have left the Lobby Channel");
    alice.send("hello?");
    expect_error(&mut alice, "no current channel");
    alice.send("/users");
    expect_error(&mut alice, "no current channel");
    alice.send("/whois alice");
    alice.expect_line("alice is in channels: (none)");
}

/// The commands the text door has had from the start, the book's and a few.
const CORE_COMMANDS: [&str; 10] = [
    "/channels",
    "/join",
    "/part",
    "/users",
    "/who",
    "/whois",
    "/private",
    "/me",
    "/help",
    "/quit",
];

/// Reads a `/help` answer (it ends with the `<text>` line), checks that
/// each line is a usage and what it does, and returns the commands it
/// names (`/op, /deop <nick>` names two).
#[track_caller]
fn expect_help(client: &mut Client) -> Vec<String> {
    let first = client.expect_where("the first /help line", |l| l.starts_with('/'));
    let mut lines = vec![first];
    while !lines.last().is_some_and(|l| l.starts_with("<text> ")) {
        lines.push(client.next_line());
    }
    let mut commands = Vec::new();
    for line in &lines[..lines.len() - 1] {
        // "%-24s %s": the usage, then at least one space, then what it does.
        let (usage, what) = match line.get(..24) {
            Some(column) if !column.ends_with(' ') => line.split_once(' ').unwrap_or((line, "")),
            _ => line.split_at(24.min(line.len())),
        };
        if !usage.starts_with('/') || what.trim().is_empty() {
            client.fail(&format!(
                "a /help line that is not a usage and what it does: {line:?}"
            ));
        }
        for name in usage.split(", ") {
            commands.push(name.split(' ').next().unwrap_or(name).to_string());
        }
    }
    for core in CORE_COMMANDS {
        if !commands.iter().any(|c| c == core) {
            client.fail(&format!("/help does not list {core}"));
        }
    }
    commands
}

#[test]
fn help_lists_every_command() {
    // Flood control off: this test types every command there is.
    let server = TestServer::start_with("[limits]\nflood_rate = 1000.0\nflood_burst = 1000.0");
    let mut alice = Client::connect(&server);
    alice.expect_prompt(NICK_PROMPT);
    // Help works before login too, and then asks again.
    alice.send("/help");
    let before_login = expect_help(&mut alice);
    alice.login("alice"); // at the prompt that follows the list
    alice.send("/HELP");
    let commands = expect_help(&mut alice);
    assert_eq!(before_login, commands);

    // Every command listed is one the server knows (the answers vary: a
    // usage, a refusal, a list), and one that isn't is answered as such.
    for command in commands
        .iter()
        .filter(|c| !["/quit", "/help"].contains(&c.as_str()))
    {
        alice.send(command);
        let answer = alice.sync();
        if let Some(line) = answer.iter().find(|l| l.contains("unknown command")) {
            alice.fail(&format!(
                "/help lists {command}, but the server says {line:?}"
            ));
        }
    }
    alice.send("/frobnicate");
    expect_error(&mut alice, "/frobnicate: unknown command");
}

#[test]
fn joining_channels_and_actions() {
    let server = TestServer::start();
    let mut alice = Client::logged_in(&server, "alice");
    let mut bob = Client::logged_in(&server, "bob");
    alice.expect_line("<bob has entered Lobby>");

    alice.send("/me waves");
    alice.expect_line("* alice [Lobby] waves");
    bob.expect_line("* alice [Lobby] waves");

    // Channel names ignore case and take IRC's leading #.
    alice.send("/join #WEATHER");
    alice.expect_line("Welcome to the Weather Channel (1 user)");
    alice.send("sunny");
    alice.expect_line("alice [Weather]: sunny");
    bob.expect_no("sunny");

    // Joining a channel you are in only makes it current again: no notice.
    let bob_before = bob.mark();
    alice.send("/join lobby");
    alice.expect_line("Welcome to the Lobby Channel (2 users)");
    alice.send("back");
    bob.expect_line("alice [Lobby]: back");
    bob.expect_no_since(bob_before, "has entered");
    alice.send("/users");
    expect_shape(&mut alice, &users_line("alice", "Lobby Weather"));
    expect_next_shape(&mut alice, &users_line("bob", "Lobby"));

    // A leading / is sent by doubling it.
    alice.send("//etc/motd is not a command");
    bob.expect_line("alice [Lobby]: /etc/motd is not a command");

    // The short spellings.
    alice.send("/j pets");
    alice.expect_line("Welcome to the Pets Channel (1 user)");
    alice.send("/leave");
    alice.expect_line("You have left the Pets Channel");
    alice.expect_next("Your current channel is now Lobby (2 users)");
    alice.send("/m bob psst");
    bob.expect_line("alice [**private**]: psst");
}

#[test]
fn line_editing_odd_bytes_and_bare_newlines() {
    let server = TestServer::start();
    let mut bob = Client::logged_in(&server, "bob");
    let mut alice = Client::connect(&server);
    // netcat ends lines with a bare LF.
    alice.login_raw(b"alice\n", "alice");
    bob.expect_line("<alice has entered Lobby>");

    alice.send_raw(b"from netcat\n");
    bob.expect_line("alice [Lobby]: from netcat");
    // Backspace and DEL edit the line being typed.
    alice.send_raw(b"abc\x08d\r\n");
    bob.expect_line("alice [Lobby]: abd");
    alice.send_raw(b"oops\x7f\x7f\x7f\x7fok\r\n");
    bob.expect_line("alice [Lobby]: ok");
    // Invalid UTF-8 is replaced, not fatal.
    alice.send_raw(b"caf\xe9 au lait\r\n");
    bob.expect_line("alice [Lobby]: caf\u{fffd} au lait");
    alice.send("caf\u{e9} au lait");
    bob.expect_line("alice [Lobby]: caf\u{e9} au lait");
    // Half a line waits for the rest; telnet's CR NUL ends one too.
    alice.send_raw(b"half a ");
    alice.send_raw(b"line\r\0next\r\n");
    bob.expect_line("alice [Lobby]: half a line");
    bob.expect_next("alice [Lobby]: next");
}

#[test]
fn a_silent_connection_is_logged_out_after_the_idle_timeout() {
    let server = TestServer::start_with(r#"idle_timeout = "10s""#);
    let before_login = Instant::now();
    let mut sleepy = Client::logged_in(&server, "sleepy");
    // One that never even gives a nickname times out as well.
    let mut lurker = Client::connect(&server);
    lurker.expect_prompt(NICK_PROMPT);
    let mut bob = Client::logged_in(&server, "bob");

    // bob keeps talking (to himself) while he waits, so only the silent two
    // time out.
    let notice = loop {
        if let Some(line) = bob.wait_for("<sleepy has left Lobby", Duration::from_secs(1)) {
            break line;
        }
        if before_login.elapsed() > Duration::from_secs(30) {
            bob.fail("sleepy was not logged out within 30 s; idle_timeout is 10 s");
        }
        // The notice may arrive while bob syncs: look among those lines too.
        let synced = bob.sync();
        if let Some(line) = synced
            .into_iter()
            .find(|l| l.starts_with("<sleepy has left Lobby"))
        {
            break line;
        }
    };
    assert_eq!(
        notice,
        "<sleepy has left Lobby (idle timeout (no input for 00:00:10))>"
    );
    // Not before its time. (Both clocks are the system's monotonic clock.)
    assert!(before_login.elapsed() >= Duration::from_secs(10));
    sleepy.expect_line("** idle timeout (no input for 00:00:10) **");
    sleepy.expect_closed();
    lurker.expect_line("** idle timeout (no input for 00:00:10) **");
    lurker.expect_closed();
    server.wait_for_log("logout sleepy from 127.0.0.1:");

    bob.send("/who");
    expect_shape(&mut bob, &who_line("bob", "Lobby"));
    bob.expect_next("1 user online");
}

#[test]
fn a_reader_too_slow_for_its_queue_is_cut_off_and_the_rest_chat_on() {
    // A small queue; flood control off, or it would slow the flooder down
    // long before anyone's queue filled.
    let server = TestServer::start_with(
        "[limits]\nsend_queue = \"64KiB\"\nflood_rate = 1000000.0\nflood_burst = 1000000.0",
    );
    let mut flooder = Client::logged_in(&server, "flooder");
    let mut reader = Client::logged_in(&server, "reader");
    flooder.expect_line("<reader has entered Lobby>");
    // slowpoke logs in, then never reads a byte.
    let mut slowpoke = TcpStream::connect(server.addr()).expect("connect slowpoke");
    let slowpoke_addr = slowpoke.local_addr().expect("slowpoke's address");
    slowpoke
        .write_all(b"slowpoke\r\n")
        .expect("send slowpoke's nickname");
    flooder.expect_line("<slowpoke has entered Lobby>");
    reader.expect_line("<slowpoke has entered Lobby>");
    let flooder_start = flooder.mark();
    let reader_start = reader.mark();

    // Lines of ~1 KB until the server gives up on slowpoke: enough to fill
    // slowpoke's receive buffer and the server's own small send buffer, then
    // its 64 KiB queue. Only a few lines are ever in flight to the clients
    // that do read (the flooder waits for both to receive each), so only
    // the one that doesn't read can fall that far behind.
    const IN_FLIGHT: usize = 4;
    const MOST: usize = 20_000;
    let filler = "f".repeat(990);
    let mut sent = 0;
    while !server.has_logged("send queue exceeded") {
        if sent == MOST {
            server.fail(&format!(
                "slowpoke was not cut off after {MOST} lines of 1 KB"
            ));
        }
        sent += 1;
        flooder.send(&format!("{sent:05} {filler}"));
        if sent > IN_FLIGHT {
            let echo = format!("flooder [Lobby]: {:05} ", sent - IN_FLIGHT);
            flooder.expect(&echo);
            reader.expect(&echo);
        }
    }
    let cut = server.wait_for_log("send queue exceeded");
    // Issue #12: cut within its queue's bytes plus the kernel's buffers
    // (ours: 64 KiB asked, 128 KiB given; slowpoke's receive buffer, which
    // never grows for a reader that never reads: 128 KiB by default), not
    // after megabytes.
    const MOST_BYTES: usize = 64 * 1024 + 2 * 128 * 1024 + 128 * 1024;
    if sent * 1000 > MOST_BYTES {
        server.fail(&format!(
            "slowpoke was sent {sent} lines of 1 KB before the cut; expected at most {MOST_BYTES} bytes"
        ));
    }
    if !cut.contains(&format!(
        "disconnecting {slowpoke_addr}: send queue exceeded"
    )) {
        server.fail(&format!(
            "expected slowpoke ({slowpoke_addr}) to be cut off, not: {cut}"
        ));
    }
    // Cut off, slowpoke gets what was already in the socket, then the end
    // (perhaps nothing at all, if its writer never got to run).
    if let Err(e) = read_until_closed(&mut slowpoke) {
        server.fail(&format!("slowpoke's connection did not end: {e}"));
    }

    // Both readers heard slowpoke go, and every flooded line, in order.
    reader.expect(&format!("flooder [Lobby]: {sent:05} "));
    let notice = "<slowpoke has left Lobby (send queue exceeded)>";
    for (client, start) in [(&mut flooder, flooder_start), (&mut reader, reader_start)] {
        client.sync();
        let lines = client.lines_since(start);
        if !lines.iter().any(|l| l == notice) {
            client.fail(&format!(
                "expected {notice:?} among the lines since the flood began"
            ));
        }
        let flood: Vec<&String> = lines
            .iter()
            .filter(|l| l.starts_with("flooder [Lobby]: "))
            .collect();
        let in_order = flood.len() == sent
            && flood
                .iter()
                .zip(1..)
                .all(|(line, n)| **line == format!("flooder [Lobby]: {n:05} {filler}"));
        if !in_order {
            client.fail(&format!(
                "expected the {sent} flooded lines in order, got {} lines",
                flood.len()
            ));
        }
    }

    // The others chat on.
    reader.send("is it quiet now?");
    flooder.expect_line("reader [Lobby]: is it quiet now?");
    flooder.send("/who");
    flooder.expect_line("2 users online");
    let cut_offs: Vec<String> = server
        .log_lines()
        .into_iter()
        .filter(|l| l.contains("disconnecting") && l.contains("send queue exceeded"))
        .collect();
    if cut_offs.len() != 1 {
        server.fail(&format!(
            "expected only slowpoke to be cut off, got {cut_offs:#?}"
        ));
    }
}

#[test]
fn connections_beyond_the_per_address_limit_are_refused() {
    let server = TestServer::start_with("[limits]\nconnections_per_ip = 2");
    let mut first = Client::connect(&server);
    first.expect_prompt(NICK_PROMPT);
    let mut second = Client::logged_in(&server, "second");

    let mut third = Client::connect(&server);
    third.expect_next("** ERROR: too many connections from your address (at most 2) **");
    third.expect_closed();
    server.wait_for_log("too many connections from your address");

    // The two let in are not disturbed.
    first.send("first");
    first.expect_line("Log in successful. Welcome first.");
    second.expect_line("<first has entered Lobby>");

    // A place given back can be taken again. The server logs the disconnect
    // just before it counts the connection out, so a connection made right
    // after the log line may still be refused: try again, a few times.
    let second_addr = second.local_addr();
    second.send("/quit");
    second.expect_closed();
    server.wait_for_log(&format!("disconnect {second_addr} "));
    let mut admitted = None;
    for _ in 0..20 {
        let mut again = Client::connect(&server);
        let first_line = again.next_line();
        if first_line.starts_with("Welcome to chatd.") {
            admitted = Some(again);
            break;
        }
        assert!(first_line.contains("too many connections from your address"));
        again.expect_closed();
    }
    let Some(mut again) = admitted else {
        server.fail("no place came free after a /quit");
    };
    again.login("again");
}

#[test]
fn sigterm_tells_everyone_and_closes_cleanly() {
    let mut server = TestServer::start();
    let mut alice = Client::logged_in(&server, "alice");
    let mut lurker = Client::connect(&server);
    lurker.expect_prompt(NICK_PROMPT);
    server.terminate();
    for client in [&mut alice, &mut lurker] {
        client.expect_line("** server shutting down **");
        client.expect_closed();
    }
    assert!(server.has_logged("all connections closed; bye"));
}

/// The harness itself: a killed server starts again on the same directory
/// and database (later tests need that to prove accounts persist).
#[test]
fn a_killed_server_restarts_on_the_same_directory() {
    let mut server = TestServer::start();
    let mut alice = Client::logged_in(&server, "alice");
    server.kill_hard();
    alice.expect_closed();
    server.restart();
    let mut alice = Client::logged_in(&server, "alice");
    alice.expect_line("Welcome to the Lobby Channel (1 user)");
}
