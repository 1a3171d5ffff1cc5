//! The IRC door as IRC clients see it: registration and its numerics, CAP
//! and SASL PLAIN, NickServ, MONITOR, the queries and the errors, PING, and
//! IRC and telnet users in one channel. Each test has its own server; the
//! IRC users are the harness's [`Irc`], the telnet users its [`Client`].
//! The last test lets an IRC library written by others (Python's `irc`) talk
//! to a telnet user.

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine;

use crate::support::irc::{mask, Irc, SERVER};
use crate::support::python::{python_package, ChildGuard};
use crate::support::{owner, register_and_leave, registered_guest, Client, TestServer, CHEAP};

/// The base64 of a SASL PLAIN exchange: `authzid NUL authcid NUL password`.
fn sasl_plain(nick: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("\0{nick}\0{password}"))
}

// ---------------------------------------------------------------------------
// IRC and telnet users together
// ---------------------------------------------------------------------------

#[test]
fn irc_and_telnet_users_talk_in_one_channel() {
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "tina");
    tina.send("/join weather");
    tina.expect_line("Welcome to the Weather Channel (1 user)");

    let mut ian = Irc::logged_in(&server, "ian");
    tina.expect_line("<ian has entered Lobby>");
    ian.send("JOIN #Weather");
    ian.expect_line(&format!(":{} JOIN #Weather", mask("ian")));
    ian.expect_next_numeric("332", &["ian", "#Weather", "Talk about the weather"]);
    ian.expect_next_numeric("353", &["ian", "=", "#Weather", "tina ian"]);
    ian.expect_next_numeric("366", &["ian", "#Weather"]);
    tina.expect_line("<ian has entered Weather>");

    // Public lines, both ways; IRC clients show their own lines themselves.
    tina.send("hi");
    ian.expect_line(&format!(":{} PRIVMSG #Weather :hi", mask("tina")));
    ian.send("PRIVMSG #Weather :hello from irc");
    tina.expect_line("ian [Weather]: hello from irc");
    ian.expect_no("hello from irc");

    // Private lines, both ways.
    tina.send("/msg ian psst");
    tina.expect_line("-> ian [**private**]: psst");
    ian.expect_line(&format!(":{} PRIVMSG ian :psst", mask("tina")));
    ian.send("PRIVMSG tina :psst yourself");
    tina.expect_line("ian [**private**]: psst yourself");

    // /me is CTCP ACTION, both ways, in a channel and in private.
    tina.send("/me waves");
    ian.expect_line(&format!(
        ":{} PRIVMSG #Weather :\u{1}ACTION waves\u{1}",
        mask("tina")
    ));
    ian.send("PRIVMSG #Weather :\u{1}ACTION waves back\u{1}");
    tina.expect_line("* ian [Weather] waves back");
    ian.send("PRIVMSG tina :\u{1}ACTION nods\u{1}");
    tina.expect_line("* ian [**private**] nods");

    // Each is in the other's WHO.
    let who = ian.query("WHO #Weather", "315");
    let members: BTreeSet<&str> = who
        .iter()
        .filter(|l| l.is_reply("352", &["ian", "#Weather"]))
        .map(|l| l.param(5))
        .collect();
    if members != BTreeSet::from(["ian", "tina"]) {
        ian.fail(&format!(
            "WHO #Weather: expected 352 for ian and tina, got {members:?}"
        ));
    }
    tina.send("/who");
    tina.expect_where("ian in /who, in Weather and the Lobby", |l| {
        l.starts_with("ian ") && l.ends_with("Channels: Weather Lobby")
    });
    tina.expect_line("2 users online");

    // Parts and joins, both ways.
    ian.send("PART #Weather");
    ian.expect_line(&format!(":{} PART #Weather", mask("ian")));
    tina.expect_line("<ian has left Weather>");
    ian.send("join #weather");
    ian.expect_line(&format!(":{} JOIN #Weather", mask("ian")));
    tina.expect_line("<ian has entered Weather>");
    tina.send("/part weather");
    tina.expect_line("You have left the Weather Channel");
    ian.expect_line(&format!(":{} PART #Weather", mask("tina")));
    tina.send("/join Weather");
    tina.expect_line("Welcome to the Weather Channel (2 users)");
    ian.expect_line(&format!(":{} JOIN #Weather", mask("tina")));

    // A telnet user's quit is one IRC QUIT, however many channels it left.
    let mut tom = Client::logged_in(&server, "tom");
    ian.expect_line(&format!(":{} JOIN #Lobby", mask("tom")));
    tom.send("/join weather");
    ian.expect_line(&format!(":{} JOIN #Weather", mask("tom")));
    tom.send("/quit see you");
    tom.expect_closed();
    ian.expect_line(&format!(":{} QUIT :Quit: see you", mask("tom")));
    ian.expect_no(&format!(":{} QUIT", mask("tom")));

    // An IRC user's quit, with its message, in each channel.
    ian.send("QUIT :bye");
    ian.expect_line("ERROR :Closing Link: Goodbye.");
    ian.expect_closed();
    tina.expect_line("<ian has left Weather (quit: bye)>");
    tina.expect_next("<ian has left Lobby (quit: bye)>");
}

/// Issue 13: the door answers PING itself, straight into the connection's
/// queue, yet never ahead of the hub's answer to a line sent before it.
#[test]
fn the_doors_own_answer_waits_for_the_hubs_answers_to_earlier_lines() {
    let server = TestServer::start();
    let mut rita = Irc::logged_in(&server, "rita");
    let mark = rita.mark();
    // One write: the JOIN is the hub's to answer, the PONG the door's.
    rita.send("JOIN #order\r\nPING :sync");
    rita.expect_line(&format!(":{SERVER} PONG {SERVER} :sync"));
    let lines = rita.lines_read_since(mark);
    let joined = format!(":{} JOIN #order", mask("rita"));
    let joined = lines.iter().position(|l| l.raw == joined);
    let named = lines
        .iter()
        .position(|l| l.is_reply("366", &["rita", "#order"]));
    match (joined, named) {
        (Some(joined), Some(named)) if joined < named => {}
        _ => rita.fail("the JOIN and its NAMES must come before the PONG"),
    }
}

// ---------------------------------------------------------------------------
// Registration, CAP, PING
// ---------------------------------------------------------------------------

#[test]
fn registration_gives_the_welcome_numerics_and_the_motd() {
    let server = TestServer::start();
    let mut rita = Irc::connect(&server, "rita");
    rita.send("NICK rita");
    rita.send("USER rita 0 * :Rita Hayworth");
    for code in ["001", "002", "003", "004"] {
        rita.expect_next_numeric(code, &["rita"]);
    }
    let isupport = rita.expect_next_numeric("005", &["rita"]).raw;
    for token in [
        "CASEMAPPING=ascii",
        "CHANTYPES=#",
        "CHANNELLEN=",
        "NICKLEN=",
        "NETWORK=",
    ] {
        if !isupport.split(' ').any(|t| t.starts_with(token)) {
            rita.fail(&format!("005 has no {token}: {isupport:?}"));
        }
    }
    rita.expect_next_numeric("375", &["rita"]);
    rita.expect_next_numeric(
        "372",
        &[
            "rita",
            "- Welcome to chatd. The channels are those of the book's chat server:",
        ],
    );
    rita.expect_next_numeric(
        "372",
        &[
            "rita",
            "- /list shows them; telnet and UDP users are in them too.",
        ],
    );
    rita.expect_next_numeric("376", &["rita"]);
    // Then the lobby, as for a JOIN.
    rita.expect_next(&format!(":{} JOIN #Lobby", mask("rita")));
    rita.expect_next_numeric("332", &["rita", "#Lobby"]);
    rita.expect_next_numeric("353", &["rita", "=", "#Lobby", "rita"]);
    rita.expect_next_numeric("366", &["rita", "#Lobby"]);

    // MOTD again on request; PING from the client gets its token back.
    rita.send("MOTD");
    rita.expect_next_numeric("375", &["rita"]);
    rita.expect_numeric("376", &["rita"]);
    rita.send("PING :abc123");
    rita.expect_next(&format!(":{SERVER} PONG {SERVER} :abc123"));

    // A QUIT's message reaches the others.
    let mut sam = Irc::logged_in(&server, "sam");
    rita.expect_line(&format!(":{} JOIN #Lobby", mask("sam")));
    sam.send("QUIT :gone fishing");
    sam.expect_line("ERROR :Closing Link: Goodbye.");
    sam.expect_closed();
    rita.expect_line(&format!(":{} QUIT :Quit: gone fishing", mask("sam")));
}

#[test]
fn without_a_motd_the_welcome_ends_with_err_nomotd() {
    let server = TestServer::start_with("[irc]\nmotd = []\n");
    let mut rita = Irc::connect(&server, "rita");
    let start = rita.mark();
    rita.send("NICK rita");
    rita.send("USER rita 0 * :rita the tester");
    rita.expect_numeric("001", &["rita"]);
    rita.expect_numeric("422", &["rita"]);
    let codes: Vec<String> = rita
        .lines_read_since(start)
        .into_iter()
        .map(|l| l.command)
        .collect();
    if codes != ["001", "002", "003", "004", "005", "422"] {
        rita.fail(&format!("expected 001-005 and 422, got {codes:?}"));
    }
    rita.send("MOTD");
    rita.expect_numeric("422", &["rita", "MOTD File is missing"]);
}

#[test]
fn cap_negotiation_holds_registration_until_cap_end() {
    let server = TestServer::start();
    let mut carl = Irc::connect(&server, "carl");
    carl.send("CAP LS 302");
    carl.expect_next_where("CAP LS with sasl=PLAIN,SCRAM-SHA-256", |l| {
        let offered = |c: &str| c == "sasl=PLAIN,SCRAM-SHA-256";
        l.command == "CAP" && l.last().split(' ').any(offered)
    });
    carl.send("NICK carl");
    carl.send("USER carl 0 * :Carl");
    carl.send("CAP REQ :sasl");
    carl.expect_next(&format!(":{SERVER} CAP * ACK :sasl"));
    carl.send("CAP REQ :no-such-cap");
    carl.expect_next(&format!(":{SERVER} CAP * NAK :no-such-cap"));
    // Still negotiating: no welcome yet.
    carl.expect_no(" 001 ");
    carl.send("CAP END");
    carl.welcome("carl");

    // Without 302, the capability has no value.
    let mut dora = Irc::connect(&server, "dora");
    dora.send("CAP LS");
    dora.expect_next_where("CAP LS with sasl", |l| {
        l.command == "CAP" && l.last().split(' ').any(|c| c == "sasl")
    });
    dora.send("NICK dora");
    dora.send("USER dora 0 * :Dora");
    dora.expect_no(" 001 ");
    dora.send("CAP END");
    dora.welcome("dora");
}

#[test]
fn a_silent_client_is_pinged_and_dropped_unless_it_answers() {
    // The shortest interval allowed: PING after 10 s of silence, and
    // dropped after 10 s more without an answer.
    let server = TestServer::start_with("[irc]\nping_interval = \"10s\"\n");
    let mut sleepy = Irc::logged_in(&server, "sleepy");
    let mut awake = Irc::logged_in(&server, "awake");
    sleepy.expect_line(&format!(":{} JOIN #Lobby", mask("awake")));
    let ping = format!("PING :{SERVER}");
    let patience = Duration::from_secs(15);

    awake.expect_within(patience, "a PING from the server", |l| l.raw == ping);
    awake.send(&format!("PONG :{SERVER}"));
    sleepy.expect_within(patience, "a PING from the server", |l| l.raw == ping);
    // sleepy never answers. (That it is told why first is the ignored test
    // a_ping_timeout_says_why_before_closing.)
    sleepy.expect_closed_within(patience);
    // awake, silent as long as sleepy but for its PONG, is still here: it
    // hears of sleepy's departure and is PINGed again (in either order).
    let quit = format!(":{} QUIT :Ping timeout: 20 seconds", mask("sleepy"));
    let mut heard = BTreeSet::new();
    while heard.len() < 2 {
        let what = format!("{quit:?} and a second {ping:?}");
        let line = awake.expect_within(patience, &what, |l| l.raw == quit || l.raw == ping);
        heard.insert(line.raw);
    }
    awake.send(&format!("PONG :{SERVER}"));
    awake.sync();
}

#[test]
fn a_ping_timeout_says_why_before_closing() {
    let server = TestServer::start_with("[irc]\nping_interval = \"10s\"\n");
    let mut sleepy = Irc::logged_in(&server, "sleepy");
    let patience = Duration::from_secs(15);
    sleepy.expect_within(patience, "a PING from the server", |l| {
        l.raw == format!("PING :{SERVER}")
    });
    sleepy.expect_within(patience, "ERROR :Closing Link: Ping timeout…", |l| {
        l.raw.starts_with("ERROR :Closing Link: Ping timeout")
    });
    sleepy.expect_closed();
}

// ---------------------------------------------------------------------------
// Accounts: SASL, PASS, NickServ
// ---------------------------------------------------------------------------

#[test]
fn sasl_plain_logs_in_to_a_registered_nickname() {
    let server = TestServer::start_with(CHEAP);
    register_and_leave(&server, "lincoln", "password");

    // A wrong password fails; without a proof the nickname is refused.
    let mut impostor = Irc::connect(&server, "impostor");
    impostor.send("CAP LS 302");
    impostor.send("NICK lincoln");
    impostor.send("USER lincoln 0 * :Abe");
    impostor.send("CAP REQ :sasl");
    impostor.expect_line(&format!(":{SERVER} CAP * ACK :sasl"));
    impostor.send("AUTHENTICATE PLAIN");
    impostor.expect_next("AUTHENTICATE +");
    impostor.send(&format!(
        "AUTHENTICATE {}",
        sasl_plain("lincoln", "not-the-password")
    ));
    impostor.expect_next_numeric("904", &["*", "SASL authentication failed"]);
    impostor.send("CAP END");
    let refused = impostor.expect_next_numeric("433", &["*", "lincoln"]);
    if !refused.last().starts_with("Nickname is registered") {
        impostor.fail(&format!("433 should say why: {:?}", refused.raw));
    }
    // Another nickname is fine.
    impostor.send("NICK notlincoln");
    impostor.welcome("notlincoln");

    // Nor does any other case of it pass without a password.
    let mut shouter = Irc::connect(&server, "shouter");
    shouter.send("NICK LINCOLN");
    shouter.send("USER x 0 * :x");
    let refused = shouter.expect_numeric("433", &["*", "LINCOLN"]);
    if !refused.last().starts_with("Nickname is registered") {
        shouter.fail(&format!("433 should say why: {:?}", refused.raw));
    }

    let mut lincoln = Irc::connect(&server, "lincoln");
    lincoln.send("CAP LS 302");
    lincoln.expect_next_where("CAP LS with sasl=PLAIN,SCRAM-SHA-256", |l| {
        let offered = |c: &str| c == "sasl=PLAIN,SCRAM-SHA-256";
        l.command == "CAP" && l.last().split(' ').any(offered)
    });
    lincoln.send("NICK lincoln");
    lincoln.send("USER lincoln 0 * :Abraham Lincoln");
    lincoln.send("CAP REQ :sasl");
    lincoln.expect_next(&format!(":{SERVER} CAP * ACK :sasl"));
    lincoln.send("AUTHENTICATE PLAIN");
    lincoln.expect_next("AUTHENTICATE +");
    lincoln.send(&format!(
        "AUTHENTICATE {}",
        sasl_plain("lincoln", "password")
    ));
    lincoln.expect_next_numeric(
        "900",
        &[
            "*",
            &mask("lincoln"),
            "lincoln",
            "You are now logged in as lincoln",
        ],
    );
    lincoln.expect_next_numeric("903", &["*", "SASL authentication successful"]);
    lincoln.send("CAP END");
    lincoln.welcome("lincoln");
    lincoln.expect_numeric("366", &["lincoln", "#Lobby"]);
    impostor.expect_line(&format!(":{} JOIN #Lobby", mask("lincoln")));

    // PASS works too; the owner logging in again replaces the older login.
    let mut again = Irc::connect(&server, "lincoln (PASS)");
    again.send("PASS password");
    again.send("NICK lincoln");
    again.send("USER lincoln 0 * :Abraham Lincoln");
    again.welcome("lincoln");
    lincoln.expect_line("ERROR :Closing Link: logged in again from elsewhere");
    lincoln.expect_closed();

    // A wrong PASS is refused.
    let mut guesser = Irc::connect(&server, "guesser");
    guesser.send("PASS hunter22");
    guesser.send("NICK lincoln");
    guesser.send("USER lincoln 0 * :Abe");
    guesser.expect_numeric("464", &["*"]);
}

#[test]
fn nickserv_identifies_and_registers() {
    let server = TestServer::start_with(CHEAP);
    register_and_leave(&server, "lincoln", "password");
    let mut watcher = Client::logged_in(&server, "watcher");
    let nickserv = format!(":NickServ!NickServ@{SERVER} NOTICE");

    let mut guest = Irc::logged_in(&server, "guest1");
    watcher.expect_line("<guest1 has entered Lobby>");
    guest.send("PRIVMSG NickServ :IDENTIFY lincoln hunter22");
    guest.expect_line(&format!("{nickserv} guest1 :wrong password"));
    guest.send("PRIVMSG NickServ :IDENTIFY lincoln password");
    guest.expect_line(&format!(":{} NICK :lincoln", mask("guest1")));
    guest.expect_next_numeric(
        "900",
        &[
            "lincoln",
            &mask("lincoln"),
            "lincoln",
            "You are now logged in as lincoln",
        ],
    );
    guest.expect_next(&format!(
        "{nickserv} lincoln :You are now identified for lincoln."
    ));
    watcher.expect_line("<guest1 is now known as lincoln>");
    guest.send("WHOIS lincoln");
    guest.expect_numeric("311", &["lincoln", "lincoln"]);

    // REGISTER registers the nickname one has.
    let mut rosa = Irc::logged_in(&server, "rosa");
    rosa.send("PRIVMSG NickServ :REGISTER rosepetal");
    rosa.expect_line(&format!(
        "{nickserv} rosa :Your nickname rosa is now registered."
    ));
    rosa.send("PRIVMSG NickServ :REGISTER again-and-again");
    rosa.expect_line(&format!("{nickserv} rosa :rosa is already registered."));
    rosa.send("QUIT");
    rosa.expect_closed();

    // From now on rosa needs her password.
    let mut rosa = Irc::connect(&server, "rosa again");
    rosa.send("NICK rosa");
    rosa.send("USER rosa 0 * :Rosa");
    let refused = rosa.expect_numeric("433", &["*", "rosa"]);
    if !refused.last().starts_with("Nickname is registered") {
        rosa.fail(&format!("433 should say why: {:?}", refused.raw));
    }
    rosa.send("NICK rosa_");
    rosa.welcome("rosa_");
    // Taking it later, without identifying, is refused too.
    rosa.send("NICK rosa");
    rosa.expect_numeric("433", &["rosa_", "rosa"]);
    rosa.send("PRIVMSG NickServ :IDENTIFY rosepetal");
    rosa.expect_line(&format!("{nickserv} rosa_ :rosa_ is not registered."));
    rosa.send("PRIVMSG NickServ :IDENTIFY rosa rosepetal");
    // The ident is USER's, whatever the nickname.
    rosa.expect_line(&format!(":rosa_!rosa@{SERVER} NICK :rosa"));
    rosa.expect_numeric("900", &["rosa"]);
}

// ---------------------------------------------------------------------------
// MONITOR
// ---------------------------------------------------------------------------

#[test]
fn monitor_tells_when_a_nickname_comes_and_goes() {
    let server = TestServer::start();
    let mut wendy = Irc::logged_in(&server, "wendy");
    wendy.send("MONITOR + bob");
    wendy.expect_next_numeric("731", &["wendy", "bob"]);

    // bob over telnet.
    let mut bob = Client::logged_in(&server, "bob");
    wendy.expect_numeric("730", &["wendy", &mask("bob")]);
    bob.send("/quit");
    bob.expect_closed();
    wendy.expect_numeric("731", &["wendy", "bob"]);

    // bob over IRC.
    let mut bob = Irc::logged_in(&server, "bob");
    wendy.expect_numeric("730", &["wendy", &mask("bob")]);
    bob.send("QUIT :later");
    bob.expect_closed();
    wendy.expect_numeric("731", &["wendy", "bob"]);

    wendy.send("MONITOR + carol");
    wendy.expect_numeric("731", &["wendy", "carol"]);
    let list = wendy.query("MONITOR L", "733");
    let listed: Vec<&str> = list
        .iter()
        .filter(|l| l.is_reply("732", &["wendy"]))
        .flat_map(|l| l.last().split(','))
        .collect();
    if listed != ["bob", "carol"] {
        wendy.fail(&format!("MONITOR L: expected bob,carol, got {listed:?}"));
    }
    wendy.send("MONITOR - carol");
    let list = wendy.query("MONITOR L", "733");
    if !list.iter().any(|l| l.is_reply("732", &["wendy", "bob"])) {
        wendy.fail("MONITOR L after MONITOR - carol: expected 732 bob");
    }

    // Cleared: no more news of bob.
    wendy.send("MONITOR C");
    wendy.send("MONITOR L");
    let replies = wendy.sync();
    if let Some(l) = replies.iter().find(|l| l.command == "732") {
        wendy.fail(&format!("MONITOR L after C listed {:?}", l.raw));
    }
    let _bob = Client::logged_in(&server, "bob");
    wendy.expect_line(&format!(":{} JOIN #Lobby", mask("bob")));
    wendy.expect_no(" 730 ");
}

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

#[test]
fn names_who_whois_list_and_the_other_queries() {
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "tina");
    tina.send("/join weather");
    tina.expect_line("Welcome to the Weather Channel (1 user)");
    let mut ian = Irc::logged_in(&server, "ian");
    ian.send("JOIN #Weather");
    ian.expect_numeric("366", &["ian", "#Weather"]);

    let names = ian.query("NAMES #weather", "366");
    let nicks: BTreeSet<&str> = names
        .iter()
        .filter(|l| l.is_reply("353", &["ian", "=", "#Weather"]))
        .flat_map(|l| l.last().split(' '))
        .collect();
    if nicks != BTreeSet::from(["ian", "tina"]) {
        ian.fail(&format!(
            "NAMES #Weather: expected ian and tina, got {nicks:?}"
        ));
    }

    let who = ian.query("WHO #Weather", "315");
    for nick in ["tina", "ian"] {
        // 352 me #chan user host server nick H :hops realname
        let found = who
            .iter()
            .any(|l| l.is_reply("352", &["ian", "#Weather", nick, SERVER, SERVER, nick, "H"]));
        if !found {
            ian.fail(&format!("WHO #Weather has no 352 for {nick}"));
        }
    }
    if !who.last().unwrap().is_reply("315", &["ian", "#Weather"]) {
        ian.fail("WHO #Weather should end with 315 #Weather");
    }

    let whois = ian.query("WHOIS tina", "318");
    let codes: Vec<&str> = whois.iter().map(|l| l.command.as_str()).collect();
    if codes != ["311", "319", "312", "317", "318"] {
        ian.fail(&format!("WHOIS tina: got the replies {codes:?}"));
    }
    if !whois[0].is_reply("311", &["ian", "tina", "tina", SERVER, "*"])
        || whois[1].last() != "#Weather #Lobby"
    {
        ian.fail("WHOIS tina: 311 or 319 not as expected");
    }

    // Away: 306 and 305, 301 in WHOIS and in answer to a private line.
    ian.send("AWAY :lunch");
    ian.expect_next_numeric("306", &["ian"]);
    tina.send("/whois ian");
    tina.expect_line("ian is away: lunch");
    tina.send("/msg ian are you there?");
    tina.expect_line("ian is away: lunch");
    ian.expect_line(&format!(":{} PRIVMSG ian :are you there?", mask("tina")));
    tina.send("/away tea");
    tina.expect_line("You are marked as away: tea");
    let whois = ian.query("WHOIS tina", "318");
    let codes: Vec<&str> = whois.iter().map(|l| l.command.as_str()).collect();
    if codes != ["311", "319", "312", "301", "317", "318"]
        || !whois[3].is_reply("301", &["ian", "tina", "tea"])
    {
        ian.fail(&format!("WHOIS of an away user: got {codes:?}"));
    }
    ian.send("PRIVMSG tina :hello?");
    ian.expect_next_numeric("301", &["ian", "tina", "tea"]);
    ian.send("AWAY");
    ian.expect_next_numeric("305", &["ian"]);
    ian.send("WHOIS nobody");
    ian.expect_next_numeric("401", &["ian", "nobody", "No such nick/channel"]);

    let list = ian.query("LIST", "323");
    if !list[0].is_reply("321", &["ian"]) {
        ian.fail("LIST should start with 321");
    }
    for (channel, users, topic) in [
        ("#Lobby", "2", "Where everyone starts: say hello"),
        ("#Weather", "2", "Talk about the weather"),
        ("#Pets", "0", "For our furry and feathered friends"),
    ] {
        if !list
            .iter()
            .any(|l| l.is_reply("322", &["ian", channel, users, topic]))
        {
            ian.fail(&format!("LIST: no 322 {channel} {users} :{topic}"));
        }
    }

    ian.send("TOPIC #weather");
    ian.expect_next_numeric("332", &["ian", "#Weather", "Talk about the weather"]);
    ian.send("ISON tina nobody IAN");
    ian.expect_next_numeric("303", &["ian", "tina ian"]);
    ian.send("MODE #Weather");
    let modes = ian.expect_next_numeric("324", &["ian", "#Weather"]);
    if !modes.param(2).starts_with('+') {
        ian.fail(&format!(
            "MODE #Weather: expected +modes, got {:?}",
            modes.raw
        ));
    }
    ian.send("MODE ian");
    ian.expect_next_numeric("221", &["ian", "+"]);
    ian.send("MODE ian +i");
    ian.expect_no("MODE");
    ian.send("LUSERS");
    ian.expect_next_numeric(
        "251",
        &["ian", "There are 2 users and 0 invisible on 1 servers"],
    );
    ian.send("VERSION");
    let version = ian.expect_numeric("351", &["ian"]);
    if !version.param(1).starts_with("chatd") || version.param(2) != SERVER {
        ian.fail(&format!("VERSION: {:?}", version.raw));
    }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

#[test]
fn mistakes_get_the_numeric_that_says_what_went_wrong() {
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "Tina");

    let mut ian = Irc::connect(&server, "ian");
    ian.send("JOIN #Weather");
    ian.expect_next_numeric("451", &["*", "You have not registered"]);
    ian.send("NICK 9lives");
    ian.expect_next_numeric("432", &["*", "9lives"]);
    // The nickname a telnet user has, in any case.
    ian.send("NICK tINA");
    ian.send("USER ian 0 * :Ian");
    ian.expect_next_numeric("433", &["*", "tINA", "Nickname is already in use"]);
    ian.send("NICK ian");
    ian.welcome("ian");
    ian.expect_numeric("366", &["ian", "#Lobby"]);

    ian.send("NICK TINA");
    ian.expect_next_numeric("433", &["ian", "TINA"]);
    ian.send("JOIN");
    ian.expect_next_numeric("461", &["ian", "JOIN", "Not enough parameters"]);
    ian.send("PRIVMSG nobody :hello?");
    ian.expect_next_numeric("401", &["ian", "nobody", "No such nick/channel"]);
    // A JOIN makes a channel; other commands don't.
    ian.send("PART #nosuch");
    ian.expect_next_numeric("403", &["ian", "#nosuch", "No such channel"]);
    ian.send("TOPIC #nosuch");
    ian.expect_next_numeric("403", &["ian", "#nosuch", "No such channel"]);
    ian.send("PART #Pets");
    ian.expect_next_numeric("442", &["ian", "#Pets", "You're not on that channel"]);
    ian.send("FROB");
    ian.expect_next_numeric("421", &["ian", "FROB", "Unknown command"]);
    ian.send("PRIVMSG #Lobby");
    ian.expect_next_numeric("412", &["ian", "No text to send"]);
    ian.send("PRIVMSG");
    ian.expect_next_numeric("411", &["ian"]);
    // olga makes #den and is its operator; ian, a member only, can't
    // change its topic (+t) or modes.
    let mut olga = Irc::logged_in(&server, "olga");
    olga.send("JOIN #den");
    olga.expect_line(&format!(":{} JOIN #den", mask("olga")));
    olga.expect_numeric("366", &["olga", "#den"]);
    ian.send("JOIN #den");
    ian.expect_line(&format!(":{} JOIN #den", mask("ian")));
    ian.expect_numeric("366", &["ian", "#den"]);
    ian.send("TOPIC #den :new");
    ian.expect_next_numeric("482", &["ian", "#den", "You're not channel operator"]);
    ian.send("MODE #den +m");
    ian.expect_next_numeric("482", &["ian", "#den", "You're not channel operator"]);
    ian.send("USER again 0 * :again");
    ian.expect_next_numeric("462", &["ian"]);

    // Over 512 bytes: refused, and the connection carries on.
    ian.send(&format!("PRIVMSG #Lobby :{}", "x".repeat(600)));
    ian.expect_next_numeric("417", &["ian", "Input line was too long"]);
    ian.send(&format!("PRIVMSG #Lobby :{}", "y".repeat(20_000)));
    ian.expect_next_numeric("417", &["ian", "Input line was too long"]);
    ian.send("PRIVMSG #Lobby :still here");
    tina.expect_line("ian [Lobby]: still here");
    tina.expect_no("xxxx");
    tina.expect_no("yyyy");
    // The longest line allowed: 510 bytes and CR LF.
    let longest = format!("PRIVMSG #Lobby :{}", "z".repeat(510 - 16));
    ian.send(&longest);
    tina.expect_line(&format!("ian [Lobby]: {}", "z".repeat(494)));
}

// ---------------------------------------------------------------------------
// A client written by others
// ---------------------------------------------------------------------------

/// The Python package the client test uses (a pip requirement).
const PYTHON_IRC: &str = "irc>=20,<21";

#[test]
fn a_python_irc_library_chats_with_a_telnet_user() {
    let site = python_package("python-irc", PYTHON_IRC, "irc.client");
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "tina");
    tina.send("/join weather");
    tina.expect_line("Welcome to the Weather Channel (1 user)");

    let args = [server.irc_addr().to_string()];
    let script = "tests/irc_client/chat.py";
    let mut python = ChildGuard::python(script, &args, &site, "the Python client");

    tina.expect_line("<pybot has entered Lobby>");
    tina.expect_line("<pybot has entered Weather>");
    tina.send("hi pybot, it's tina");
    tina.expect_line("pybot [Weather]: hello tina from python");
    tina.expect_line("<pybot has left Weather (quit: python says goodbye)>");
    let (status, output) = python.wait();
    if !status.success() {
        tina.fail(&format!("the Python client failed ({status}):\n{output}"));
    }
}

/// Issue 17: IRC clients show ERROR in the server window only, so the
/// reason for a shutdown comes first as a NOTICE, which they show where the
/// person is looking.
#[test]
fn a_shutdown_is_a_notice_then_error_over_irc() {
    let mut server = TestServer::start();
    let mut ian = Irc::logged_in(&server, "ian");
    server.terminate();
    ian.expect_line(":chatd NOTICE ian :*** server shutting down");
    ian.expect_line("ERROR :Closing Link: server shutting down");
    ian.expect_closed();
}

/// Issue 17: a registered user's hot list is shown at login over telnet,
/// but an IRC client keeps its own MONITOR list and sends it itself, so the
/// IRC door sends no MONITOR replies nobody asked for.
#[test]
fn no_monitor_replies_nobody_asked_for_at_login() {
    let server = TestServer::start_with(CHEAP);
    let mut lincoln = registered_guest(&server, "lincoln", "password");
    lincoln.send("/watch mary");
    lincoln.expect_line("Watching mary (off line now)");
    lincoln.send("/quit");
    lincoln.expect_closed();

    let mut telnet = owner(&server, "lincoln", "password");
    telnet.expect("mary");
    telnet.send("/quit");
    telnet.expect_closed();

    let mut irc = Irc::connect(&server, "lincoln");
    let from = irc.mark();
    irc.send("PASS password");
    irc.send("NICK lincoln");
    irc.send("USER lincoln 0 * :Abraham Lincoln");
    irc.welcome("lincoln");
    irc.expect_numeric("366", &["lincoln", "#Lobby"]);
    irc.sync();
    for line in irc.lines_read_since(from) {
        if ["730", "731", "732", "733"].contains(&line.command.as_str()) {
            irc.fail(&format!("a MONITOR reply nobody asked for: {:?}", line.raw));
        }
    }
}
