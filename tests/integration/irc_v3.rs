//! IRCv3 over the IRC door, a capability at a time: how `CAP LS 302`
//! offers them, that `CAP REQ` takes a set whole or not at all, and what
//! each one changes on the wire for the client that asked (and not for the
//! ones that did not). Each test has its own server.

use crate::support::irc::{mask, Irc, Line, SERVER};
use crate::support::{Client, TestServer};

/// Connects with `CAP LS 302`, asks for `caps`, registers as `nick` and
/// waits for the lobby's NAMES.
#[track_caller]
fn with_caps(server: &TestServer, nick: &str, caps: &str) -> Irc {
    let mut irc = Irc::connect(server, nick);
    irc.send("CAP LS 302");
    irc.send(&format!("CAP REQ :{caps}"));
    irc.expect_where("the ACK", |l| {
        l.untagged() == format!(":{SERVER} CAP * ACK :{caps}")
    });
    irc.send("CAP END");
    irc.send(&format!("NICK {nick}"));
    irc.send(&format!("USER {nick} 0 * :{nick} the tester"));
    irc.expect_where("001", |l| l.is_reply("001", &[nick]));
    expect_untagged(
        &mut irc,
        &format!(":{SERVER} 366 {nick} #Lobby :End of /NAMES list."),
    );
    irc
}

/// Waits for a line that reads `untagged` once its tags are taken off.
#[track_caller]
fn expect_untagged(irc: &mut Irc, untagged: &str) -> Line {
    irc.expect_where(&format!("a line {untagged:?} with any tags"), |l| {
        l.untagged() == untagged
    })
}

/// `YYYY-MM-DDThh:mm:ss.sssZ`, as server-time writes it.
fn is_server_time(value: &str) -> bool {
    let b = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.into_iter().all(|i| b[i].is_ascii_digit());
    b.len() == 24
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..23)
        && b[23] == b'Z'
}

#[test]
fn cap_ls_302_offers_capabilities_with_values_and_older_ls_without() {
    let server = TestServer::start();
    let mut carl = Irc::connect(&server, "carl");
    carl.send("CAP LS 302");
    let ls = carl.expect_where("CAP LS", |l| l.command == "CAP" && l.param(1) == "LS");
    let offered: Vec<&str> = ls.last().split(' ').collect();
    for wanted in [
        "away-notify",
        "cap-notify",
        "echo-message",
        "invite-notify",
        "message-tags",
        "multi-prefix",
        "sasl=PLAIN,SCRAM-SHA-256",
        "server-time",
        "userhost-in-names",
    ] {
        if !offered.contains(&wanted) {
            carl.fail(&format!("CAP LS 302 lacks {wanted}: {offered:?}"));
        }
    }
    // 302 turns cap-notify on by itself.
    carl.send("CAP LIST");
    carl.expect_next(&format!(":{SERVER} CAP * LIST :cap-notify"));

    let mut dora = Irc::connect(&server, "dora");
    dora.send("CAP LS");
    let ls = dora.expect_where("CAP LS", |l| l.command == "CAP" && l.param(1) == "LS");
    if ls.last().contains('=') || !ls.last().split(' ').any(|c| c == "sasl") {
        dora.fail(&format!("CAP LS without 302 shows values: {:?}", ls.raw));
    }
    dora.send("CAP LIST");
    dora.expect_next(&format!(":{SERVER} CAP * LIST :"));
}

#[test]
fn cap_req_takes_the_whole_set_or_none_and_minus_turns_one_off() {
    let server = TestServer::start();
    let mut carl = Irc::connect(&server, "carl");
    carl.send("CAP LS 302");
    carl.send("CAP REQ :server-time no-such-cap");
    carl.expect_line(&format!(":{SERVER} CAP * NAK :server-time no-such-cap"));
    carl.send("CAP LIST");
    carl.expect_next(&format!(":{SERVER} CAP * LIST :cap-notify"));
    carl.send("CAP REQ :echo-message userhost-in-names");
    carl.expect_next(&format!(
        ":{SERVER} CAP * ACK :echo-message userhost-in-names"
    ));
    carl.send("CAP REQ :-echo-message");
    carl.expect_next(&format!(":{SERVER} CAP * ACK :-echo-message"));
    carl.send("CAP LIST");
    carl.expect_next(&format!(
        ":{SERVER} CAP * LIST :cap-notify userhost-in-names"
    ));
    // Still negotiating: no welcome until CAP END.
    carl.send("NICK carl");
    carl.send("USER carl 0 * :Carl");
    carl.expect_no(" 001 ");
    carl.send("CAP FROB");
    carl.expect_next_numeric("410", &["*", "FROB"]);
    carl.send("CAP END");
    carl.welcome("carl");
}

#[test]
fn server_time_tags_lines_and_history_carries_its_own_time() {
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "tina");
    tina.send("/join weather");
    tina.expect_line("Welcome to the Weather Channel (1 user)");
    tina.send("it rains");
    tina.expect_line("tina [Weather]: it rains");

    let mut tim = with_caps(&server, "tim", "server-time");
    tim.send("JOIN #Weather");
    // History: the time is in the tag, not in the text.
    let replayed = expect_untagged(
        &mut tim,
        &format!(":{} PRIVMSG #Weather :it rains", mask("tina")),
    );
    if !replayed.tag("time").is_some_and(is_server_time) {
        tim.fail(&format!(
            "history line without server-time: {:?}",
            replayed.raw
        ));
    }
    tina.send("still raining");
    let live = expect_untagged(
        &mut tim,
        &format!(":{} PRIVMSG #Weather :still raining", mask("tina")),
    );
    if !live.tag("time").is_some_and(is_server_time) {
        tim.fail(&format!("live line without server-time: {:?}", live.raw));
    }
    // Numerics too.
    let pong = tim.query("PING :x", "PONG");
    if !pong
        .last()
        .and_then(|l| l.tag("time"))
        .is_some_and(is_server_time)
    {
        tim.fail("PONG without server-time");
    }

    // A client that did not ask sees no tags, and history's time in the text.
    let mut ivy = Irc::logged_in(&server, "ivy");
    ivy.send("JOIN #Weather");
    let plain = ivy.expect_where("a history line", |l| l.raw.contains("it rains"));
    if !plain.tags.is_empty() || !plain.last().starts_with('[') {
        ivy.fail(&format!(
            "untagged history line expected, got {:?}",
            plain.raw
        ));
    }
    tina.send("and again");
    ivy.expect_line(&format!(":{} PRIVMSG #Weather :and again", mask("tina")));
}

#[test]
fn echo_message_gives_the_sender_its_own_lines() {
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "tina");
    let mut eve = with_caps(&server, "eve", "echo-message");
    tina.expect_line("<eve has entered Lobby>");
    eve.send("PRIVMSG #Lobby :hello all");
    eve.expect_line(&format!(":{} PRIVMSG #Lobby :hello all", mask("eve")));
    tina.expect_line("eve [Lobby]: hello all");
    eve.send("PRIVMSG tina :just you");
    eve.expect_line(&format!(":{} PRIVMSG tina :just you", mask("eve")));
    tina.expect_line("eve [**private**]: just you");
    eve.send("PRIVMSG #Lobby :\u{1}ACTION waves\u{1}");
    eve.expect_line(&format!(
        ":{} PRIVMSG #Lobby :\u{1}ACTION waves\u{1}",
        mask("eve")
    ));

    // Without it, no echo.
    let mut ian = Irc::logged_in(&server, "ian");
    ian.send("PRIVMSG #Lobby :quietly");
    tina.expect_line("ian [Lobby]: quietly");
    eve.expect_line(&format!(":{} PRIVMSG #Lobby :quietly", mask("ian")));
    ian.expect_no("quietly");
}

#[test]
fn echo_message_gives_the_sender_its_notices_ctcps_and_tagmsgs_too() {
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "tina");
    let mut eve = with_caps(&server, "eve", "echo-message message-tags");
    let mut max = with_caps(&server, "max", "message-tags");
    tina.expect_line("<max has entered Lobby>");

    eve.send("NOTICE #Lobby :heads up");
    let echo = expect_untagged(
        &mut eve,
        &format!(":{} NOTICE #Lobby :heads up", mask("eve")),
    );
    let relayed = expect_untagged(
        &mut max,
        &format!(":{} NOTICE #Lobby :heads up", mask("eve")),
    );
    if echo.tag("msgid").is_none() || echo.tag("msgid") != relayed.tag("msgid") {
        eve.fail(&format!(
            "echo and relay differ: {:?} {:?}",
            echo.raw, relayed.raw
        ));
    }
    tina.expect_line("-eve [Lobby]- heads up");

    eve.send("NOTICE max :only you");
    expect_untagged(&mut eve, &format!(":{} NOTICE max :only you", mask("eve")));
    expect_untagged(&mut max, &format!(":{} NOTICE max :only you", mask("eve")));

    eve.send("PRIVMSG max :\u{1}VERSION\u{1}");
    expect_untagged(
        &mut eve,
        &format!(":{} PRIVMSG max :\u{1}VERSION\u{1}", mask("eve")),
    );

    eve.send("@+typing=active TAGMSG #Lobby");
    let echo = expect_untagged(&mut eve, &format!(":{} TAGMSG #Lobby", mask("eve")));
    if echo.tag("+typing") != Some("active") {
        eve.fail(&format!("TAGMSG echo without its tags: {:?}", echo.raw));
    }
    expect_untagged(&mut max, &format!(":{} TAGMSG #Lobby", mask("eve")));

    // Without echo-message the sender hears nothing of its own.
    max.send("NOTICE #Lobby :from max");
    expect_untagged(
        &mut eve,
        &format!(":{} NOTICE #Lobby :from max", mask("max")),
    );
    max.send("@+typing=done TAGMSG eve");
    expect_untagged(&mut eve, &format!(":{} TAGMSG eve", mask("max")));
    max.expect_no("from max");
    max.expect_no("TAGMSG");
}

/// labeled-response: the spec's example, an echoed PRIVMSG carrying the
/// label; a one-line reply labelled, a longer one in a batch, none an ACK.
#[test]
fn labeled_response_labels_replies_and_the_echo() {
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "tina");
    let mut lee = with_caps(&server, "lee", "batch echo-message labeled-response");
    let mut ian = Irc::logged_in(&server, "ian");

    lee.send("@label=pQraCjj82e PRIVMSG #Lobby :Hello!");
    let echo = expect_untagged(
        &mut lee,
        &format!(":{} PRIVMSG #Lobby :Hello!", mask("lee")),
    );
    if echo.tag("label") != Some("pQraCjj82e") {
        lee.fail(&format!("the echo lacks the label: {:?}", echo.raw));
    }
    // The others' copy has no label.
    ian.expect_line(&format!(":{} PRIVMSG #Lobby :Hello!", mask("lee")));
    tina.expect_line("lee [Lobby]: Hello!");

    lee.send("@label=p1 PING :x");
    let pong = lee.expect_next(&format!("@label=p1 :{SERVER} PONG {SERVER} :x"));
    if pong.tag("label") != Some("p1") {
        lee.fail("PONG without its label");
    }

    lee.send("@label=n1 NAMES #Lobby");
    let open = lee.expect_next_where("a labeled-response batch", |l| {
        l.command == "BATCH" && l.param(1) == "labeled-response" && l.tag("label") == Some("n1")
    });
    let id = open
        .param(0)
        .strip_prefix('+')
        .unwrap_or_default()
        .to_string();
    let names = lee.expect_next_numeric("353", &["lee"]);
    let end = lee.expect_next_numeric("366", &["lee", "#Lobby"]);
    if names.tag("batch") != Some(id.as_str()) || end.tag("batch") != Some(id.as_str()) {
        lee.fail(&format!("NAMES lines outside batch {id:?}"));
    }
    lee.expect_next(&format!(":{SERVER} BATCH -{id}"));

    // Nothing to say back: an ACK.
    lee.send("@label=a1 PONG :x");
    lee.expect_next(&format!("@label=a1 :{SERVER} ACK"));
    // A notice: the echo alone, labelled.
    lee.send("@label=e2 NOTICE ian :hi");
    lee.expect_next(&format!("@label=e2 :{} NOTICE ian :hi", mask("lee")));
    ian.expect_line(&format!(":{} NOTICE ian :hi", mask("lee")));

    // Without the capability a label is only a tag, and dropped.
    ian.send("@label=z PING :y");
    ian.expect_next(&format!(":{SERVER} PONG {SERVER} :y"));
}

#[test]
fn userhost_in_names_shows_each_members_mask() {
    let server = TestServer::start();
    let _tina = Client::logged_in(&server, "tina");
    let mut una = Irc::connect(&server, "una");
    una.send("CAP LS 302");
    una.send("CAP REQ :userhost-in-names");
    una.send("CAP END");
    una.register("una");
    let names = una.expect_numeric("353", &["una", "=", "#Lobby"]);
    let mut members: Vec<&str> = names.last().split(' ').collect();
    members.sort();
    if members != [mask("tina"), mask("una")] {
        una.fail(&format!("NAMES with userhost-in-names: {members:?}"));
    }
}

#[test]
fn message_tags_give_msgids_and_tagmsg_carries_client_tags_to_those_who_read_them() {
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "tina");
    let mut mia = with_caps(&server, "mia", "message-tags");
    let mut max = with_caps(&server, "max", "message-tags server-time");
    let mut ian = Irc::logged_in(&server, "ian");

    // Every chat line has its id.
    tina.send("hello");
    tina.expect_line("tina [Lobby]: hello");
    let line = expect_untagged(
        &mut mia,
        &format!(":{} PRIVMSG #Lobby :hello", mask("tina")),
    );
    let id = line.tag("msgid").unwrap_or_default().to_string();
    if id.is_empty() {
        mia.fail(&format!("no msgid on {:?}", line.raw));
    }
    let same = expect_untagged(
        &mut max,
        &format!(":{} PRIVMSG #Lobby :hello", mask("tina")),
    );
    if same.tag("msgid") != Some(id.as_str()) {
        max.fail(&format!("one line, two msgids: {id:?} and {:?}", same.raw));
    }
    ian.expect_line(&format!(":{} PRIVMSG #Lobby :hello", mask("tina")));

    // TAGMSG: the client-only tags travel, escaped; a server tag does not.
    let before = tina.mark();
    mia.send("@+typing=active;+draft/react=a\\sb;label=x TAGMSG #Lobby");
    let tagged = expect_untagged(&mut max, &format!(":{} TAGMSG #Lobby", mask("mia")));
    if tagged.tag("+typing") != Some("active")
        || tagged.tag("+draft/react") != Some("a b")
        || tagged.tag("label").is_some()
        || !tagged.tag("time").is_some_and(is_server_time)
        || tagged.tag("msgid").is_none()
    {
        max.fail(&format!("TAGMSG tags wrong: {:?}", tagged.raw));
    }
    mia.send("@+typing=done TAGMSG max");
    let private = expect_untagged(&mut max, &format!(":{} TAGMSG max", mask("mia")));
    if private.tag("+typing") != Some("done") {
        max.fail(&format!("private TAGMSG tags wrong: {:?}", private.raw));
    }
    // Nothing for those who do not read tags, on IRC or telnet.
    ian.expect_no("TAGMSG");
    tina.expect_no_since(before, "mia");

    // Without message-tags there is no TAGMSG to send.
    ian.send("@+typing=active TAGMSG #Lobby");
    ian.numeric("421", "TAGMSG :Unknown command");
    mia.expect_no("TAGMSG");
    // Over 4094 bytes of tags: refused, and nothing said.
    mia.send(&format!("@+x={} PRIVMSG #Lobby :big", "y".repeat(4100)));
    mia.numeric("417", ":Input line was too long");
    max.expect_no("big");
}

#[test]
fn client_tags_on_privmsg_and_notice_reach_only_clients_that_read_tags() {
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "tina");
    let mut mia = with_caps(&server, "mia", "message-tags");
    let mut max = with_caps(&server, "max", "message-tags");
    let mut ian = Irc::logged_in(&server, "ian");

    mia.send("@+draft/reply=5;+example.com/x=a\\sb;label=no PRIVMSG #Lobby :tagged");
    let relayed = expect_untagged(
        &mut max,
        &format!(":{} PRIVMSG #Lobby :tagged", mask("mia")),
    );
    if relayed.tag("+draft/reply") != Some("5")
        || relayed.tag("+example.com/x") != Some("a b")
        || relayed.tag("label").is_some()
        || relayed.tag("msgid").is_none()
    {
        max.fail(&format!("client tags not relayed: {:?}", relayed.raw));
    }
    // Stripped for a client without message-tags, and for telnet.
    ian.expect_line(&format!(":{} PRIVMSG #Lobby :tagged", mask("mia")));
    tina.expect_line("mia [Lobby]: tagged");

    mia.send("@+draft/react=yes NOTICE #Lobby :noted");
    let notice = expect_untagged(&mut max, &format!(":{} NOTICE #Lobby :noted", mask("mia")));
    if notice.tag("+draft/react") != Some("yes") || notice.tag("msgid").is_none() {
        max.fail(&format!("NOTICE lost its tags: {:?}", notice.raw));
    }
    ian.expect_line(&format!(":{} NOTICE #Lobby :noted", mask("mia")));

    mia.send("@+draft/reply=9 PRIVMSG max :just you");
    let private = expect_untagged(&mut max, &format!(":{} PRIVMSG max :just you", mask("mia")));
    if private.tag("+draft/reply") != Some("9") {
        max.fail(&format!("private line lost its tags: {:?}", private.raw));
    }
    mia.send("@+draft/reply=9 NOTICE ian :psst");
    ian.expect_line(&format!(":{} NOTICE ian :psst", mask("mia")));
}

#[test]
fn help_lists_the_commands_and_tells_one() {
    let server = TestServer::start();
    let mut hal = Irc::logged_in(&server, "hal");
    let help = hal.query("HELP", "706");
    let listed: Vec<&str> = help
        .iter()
        .filter(|l| l.is_reply("705", &["hal"]))
        .map(|l| l.last().split(' ').next().unwrap_or(""))
        .collect();
    for command in ["JOIN", "PRIVMSG", "CAP", "TAGMSG", "WHOIS", "HELP"] {
        if !listed.contains(&command) {
            hal.fail(&format!("HELP does not list {command}: {listed:?}"));
        }
    }
    hal.send("HELPOP join");
    hal.numeric("704", "JOIN :JOIN #channel");
    hal.numeric("706", "JOIN :End of /HELP");
    hal.send("HELP FROBNICATE");
    hal.numeric("524", "FROBNICATE :No help available on this topic");
}

#[test]
fn away_notify_tells_channel_mates_who_asked() {
    let server = TestServer::start();
    let mut ann = with_caps(&server, "ann", "away-notify");
    let mut ian = Irc::logged_in(&server, "ian");
    let mut tina = Client::logged_in(&server, "tina");
    let mut bob = Irc::logged_in(&server, "bob");
    tina.expect_line("<bob has entered Lobby>");

    let before = tina.mark();
    bob.send("AWAY :lunch");
    bob.numeric("306", ":You have been marked as being away");
    ann.expect_line(&format!(":{} AWAY :lunch", mask("bob")));
    ian.expect_no("AWAY");
    // The text door shows what it always has: nothing.
    tina.expect_no_since(before, "bob");

    bob.send("AWAY");
    bob.numeric("305", ":You are no longer marked as being away");
    ann.expect_line(&format!(":{} AWAY", mask("bob")));

    // Joining while away: the JOIN, then the AWAY.
    ann.send("JOIN #Weather");
    ann.numeric("366", "#Weather");
    bob.send("AWAY :still lunch");
    bob.numeric("306", ":You have been marked");
    ann.expect_line(&format!(":{} AWAY :still lunch", mask("bob")));
    bob.send("JOIN #Weather");
    ann.expect_line(&format!(":{} JOIN #Weather", mask("bob")));
    ann.expect_next(&format!(":{} AWAY :still lunch", mask("bob")));
}

#[test]
fn multi_prefix_shows_every_status_in_names() {
    let server = TestServer::start();
    let mut mo = with_caps(&server, "mo", "multi-prefix");
    mo.send("JOIN #Den");
    mo.numeric("366", "#Den");
    mo.send("MODE #Den +v mo");
    mo.expect_where("the +v", |l| l.command == "MODE" && l.param(1) == "+v");
    let names = mo.query("NAMES #Den", "366");
    if !names
        .iter()
        .any(|l| l.is_reply("353", &["mo"]) && l.last() == "@+mo")
    {
        mo.fail("NAMES with multi-prefix should show @+mo");
    }

    // Without it, the highest only.
    let mut ian = Irc::logged_in(&server, "ian");
    ian.send("JOIN #Den");
    let names = ian.expect_numeric("353", &["ian"]);
    if !names.last().split(' ').any(|n| n == "@mo") {
        ian.fail(&format!("NAMES without multi-prefix: {:?}", names.raw));
    }
}

#[test]
fn invite_notify_tells_the_other_members_who_asked() {
    let server = TestServer::start();
    let mut op = Irc::logged_in(&server, "op");
    op.send("JOIN #Den");
    op.numeric("366", "#Den");
    let mut ann = with_caps(&server, "ann", "invite-notify");
    ann.send("JOIN #Den");
    ann.numeric("366", "#Den");
    let mut ian = Irc::logged_in(&server, "ian");
    ian.send("JOIN #Den");
    ian.numeric("366", "#Den");
    let mut tom = Irc::logged_in(&server, "tom");

    op.send("INVITE tom #Den");
    op.numeric("341", "tom #Den");
    tom.expect_line(&format!(":{} INVITE tom #Den", mask("op")));
    ann.expect_line(&format!(":{} INVITE tom #Den", mask("op")));
    ian.expect_no("INVITE");
    op.expect_no("INVITE tom");
}
