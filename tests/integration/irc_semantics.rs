//! IRC as clients and bots expect it (issue 14), checked against RFC 2812 and
//! the Modern IRC client protocol: NOTICE stays NOTICE and is never answered,
//! CTCP is passed on, and the smaller commands and numerics clients rely on.
//! Each test has its own server; telnet users ([`Client`]) share channels
//! with the IRC users ([`Irc`]) to show that both doors see the same events.

use crate::moderation::oper_config;
use crate::support::irc::{mask, Irc, SERVER};
use crate::support::{Client, TestServer};

// ---------------------------------------------------------------------------
// NOTICE
// ---------------------------------------------------------------------------

#[test]
fn a_notice_is_relayed_as_a_notice_to_channels_and_people() {
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "tina");
    let mut ian = Irc::logged_in(&server, "ian");
    let mut bot = Irc::logged_in(&server, "bot");
    ian.expect_line(&format!(":{} JOIN #Lobby", mask("bot")));

    bot.send("NOTICE #Lobby :the build is green");
    ian.expect_line(&format!(
        ":{} NOTICE #Lobby :the build is green",
        mask("bot")
    ));
    tina.expect_line("-bot [Lobby]- the build is green");
    // A client shows its own notice itself, as it does its PRIVMSG.
    bot.expect_no("the build is green");

    bot.send("NOTICE ian :you have mail");
    ian.expect_line(&format!(":{} NOTICE ian :you have mail", mask("bot")));
    bot.send("NOTICE tina :you have mail too");
    tina.expect_line("-bot [**private**]- you have mail too");
    ian.expect_no("PRIVMSG");
}

#[test]
fn a_notice_is_never_answered_not_even_with_an_error() {
    let server = TestServer::start();
    let mut ian = Irc::logged_in(&server, "ian");
    let mut bot = Irc::logged_in(&server, "bot");
    ian.send("JOIN #quiet");
    ian.numeric("366", "#quiet ");
    ian.send("MODE #quiet +m");
    ian.expect_line(&format!(":{} MODE #quiet +m", mask("ian")));
    ian.send("AWAY :gone fishing");
    ian.numeric("306", ":");

    let from = bot.mark();
    for line in [
        "NOTICE",
        "NOTICE nobody",
        "NOTICE nobody :hello?",
        "NOTICE #nosuch :hello?",
        // +n (bot is outside) and +m alike.
        "NOTICE #quiet :hello?",
        "NOTICE NickServ :help",
        // Away: no RPL_AWAY for a notice.
        "NOTICE ian :are you there",
    ] {
        bot.send(line);
    }
    bot.sync();
    let answers = bot.lines_read_since(from);
    // Only the PONG of the sync itself came back.
    if answers.len() != 1 {
        bot.fail(&format!(
            "expected no answer to any NOTICE, got {answers:?}"
        ));
    }
    ian.expect_line(&format!(":{} NOTICE ian :are you there", mask("bot")));
    ian.expect_no("hello?");

    // A PRIVMSG to the same targets is answered, as before.
    bot.send("PRIVMSG nobody :hello?");
    bot.numeric("401", "nobody :");
    bot.send("PRIVMSG ian :are you there");
    bot.numeric("301", "ian :gone fishing");
}

#[test]
fn an_ignored_users_notice_does_not_arrive() {
    let server = TestServer::start();
    let mut ian = Irc::logged_in(&server, "ian");
    let mut spammer = Irc::logged_in(&server, "spammer");
    ian.send("SILENCE +spammer");
    ian.expect_line(&format!(":{SERVER} NOTICE ian :Ignoring spammer"));
    spammer.send("NOTICE ian :buy now");
    spammer.send("NOTICE #Lobby :buy now");
    spammer.expect_no("buy now");
    ian.expect_no("buy now");
}

// ---------------------------------------------------------------------------
// CTCP
// ---------------------------------------------------------------------------

#[test]
fn ctcp_version_reaches_the_target_and_its_notice_reply_comes_back() {
    let server = TestServer::start();
    let mut ian = Irc::logged_in(&server, "ian");
    let mut bot = Irc::logged_in(&server, "bot");

    // A bot-style client: it answers CTCP VERSION and PING by NOTICE.
    ian.send("PRIVMSG bot :\u{1}VERSION\u{1}");
    let request = bot.expect_where("a CTCP request", |l| l.command == "PRIVMSG");
    if request.raw != format!(":{} PRIVMSG bot :\u{1}VERSION\u{1}", mask("ian")) {
        bot.fail(&format!(
            "expected ian's CTCP VERSION, got {:?}",
            request.raw
        ));
    }
    bot.send("NOTICE ian :\u{1}VERSION chatbot 1.0\u{1}");
    ian.expect_line(&format!(
        ":{} NOTICE ian :\u{1}VERSION chatbot 1.0\u{1}",
        mask("bot")
    ));

    ian.send("PRIVMSG bot :\u{1}PING 1733280000 123\u{1}");
    bot.expect_line(&format!(
        ":{} PRIVMSG bot :\u{1}PING 1733280000 123\u{1}",
        mask("ian")
    ));
    bot.send("NOTICE ian :\u{1}PING 1733280000 123\u{1}");
    ian.expect_line(&format!(
        ":{} NOTICE ian :\u{1}PING 1733280000 123\u{1}",
        mask("bot")
    ));

    // A DCC offer is a CTCP too; a channel CTCP reaches everyone but its sender.
    ian.send("PRIVMSG bot :\u{1}DCC SEND notes.txt 2130706433 5000 1024\u{1}");
    bot.expect_line(&format!(
        ":{} PRIVMSG bot :\u{1}DCC SEND notes.txt 2130706433 5000 1024\u{1}",
        mask("ian")
    ));
    ian.send("PRIVMSG #Lobby :\u{1}VERSION\u{1}");
    bot.expect_line(&format!(
        ":{} PRIVMSG #Lobby :\u{1}VERSION\u{1}",
        mask("ian")
    ));
    ian.expect_no("VERSION");

    // A CTCP request to nobody is a PRIVMSG: it gets its 401.
    ian.send("PRIVMSG nobody :\u{1}VERSION\u{1}");
    ian.numeric("401", "nobody :");
}

#[test]
fn a_telnet_user_is_told_of_a_ctcp_it_cannot_answer() {
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "tina");
    let mut ian = Irc::logged_in(&server, "ian");
    tina.expect_line("<ian has entered Lobby>");
    // Only the request's command: a PING's timestamp or a DCC offer's
    // address and port are for a client.
    ian.send("PRIVMSG tina :\u{1}DCC SEND notes.txt 2130706433 5000 1024\u{1}");
    tina.expect_line("* CTCP DCC from ian [**private**]");
    ian.send("PRIVMSG #Lobby :\u{1}VERSION\u{1}");
    tina.expect_line("* CTCP VERSION from ian [Lobby]");
    ian.send("NOTICE tina :\u{1}VERSION irssi 1.4.3\u{1}");
    tina.expect_line("* CTCP VERSION reply from ian [**private**]: irssi 1.4.3");
}

#[test]
fn plus_c_refuses_ctcp_but_not_actions() {
    let server = TestServer::start();
    let mut ian = Irc::logged_in(&server, "ian");
    let mut bot = Irc::logged_in(&server, "bot");
    ian.send("JOIN #quiet");
    ian.numeric("366", "#quiet ");
    bot.send("JOIN #quiet");
    bot.numeric("366", "#quiet ");
    ian.send("MODE #quiet +C");
    bot.expect_line(&format!(":{} MODE #quiet +C", mask("ian")));

    bot.send("PRIVMSG #quiet :\u{1}VERSION\u{1}");
    bot.numeric("404", "#quiet :Cannot send to channel");
    // A CTCP reply is a NOTICE: refused without a word.
    bot.send("NOTICE #quiet :\u{1}VERSION chatbot\u{1}");
    bot.expect_no("404");
    bot.send("PRIVMSG #quiet :\u{1}ACTION waves\u{1}");
    ian.expect_line(&format!(
        ":{} PRIVMSG #quiet :\u{1}ACTION waves\u{1}",
        mask("bot")
    ));
    ian.expect_no("VERSION");
}

// ---------------------------------------------------------------------------
// Server queries: INFO, TIME, LUSERS, USERHOST, PING
// ---------------------------------------------------------------------------

#[test]
fn info_time_and_lusers_answer_with_their_numerics() {
    let server = TestServer::start();
    let mut ian = Irc::logged_in(&server, "ian");
    let info = ian.query("INFO", "374");
    if !info.iter().any(|l| l.is_reply("371", &["ian"])) {
        ian.fail("INFO: expected RPL_INFO (371) lines before 374");
    }
    let time = ian.query("TIME", "391");
    let reply = time.last().expect("the 391 itself");
    // 391 <me> <server> :<time>
    if reply.param(1) != SERVER || !reply.last().ends_with("UTC") {
        ian.fail(&format!("TIME: expected 391 ian {SERVER} :<time> UTC"));
    }

    let bob = Irc::logged_in(&server, "bob");
    drop(bob);
    let quit = format!(":{} QUIT ", mask("bob"));
    ian.expect_where("bob's QUIT", |l| l.raw.starts_with(&quit));
    // 265/266: <me> <users> <max> :text, the peak counting bob.
    ian.send("LUSERS");
    ian.numeric("251", ":There are 1 users");
    ian.expect_next_numeric("254", &["ian"]);
    ian.expect_next_numeric("255", &["ian"]);
    ian.expect_next_numeric("265", &["ian", "1", "2", "Current local users 1, max 2"]);
    ian.expect_next_numeric("266", &["ian", "1", "2", "Current global users 1, max 2"]);
}

#[test]
fn userhost_shows_operators_away_and_hosts() {
    let server = TestServer::start_with(&oper_config());
    let mut ian = Irc::logged_in(&server, "ian");
    let mut root = Irc::logged_in(&server, "root");
    root.send("OPER admin s3cret-pw");
    root.numeric("381", ":You are now an IRC operator");
    // Modern IRC: the user mode follows RPL_YOUREOPER.
    root.expect_next(&format!(":{} MODE root :+o", mask("root")));
    root.send("AWAY :lunch");
    root.numeric("306", ":");

    ian.send("USERHOST root nobody ian");
    ian.expect_numeric(
        "302",
        &["ian", &format!("root*=-root@{SERVER} ian=+ian@{SERVER}")],
    );
    ian.send("USERHOST");
    ian.numeric("461", "USERHOST :Not enough parameters");
}

#[test]
fn a_bare_ping_is_461_and_a_ping_with_a_token_is_ponged() {
    let server = TestServer::start();
    let mut ian = Irc::logged_in(&server, "ian");
    ian.send("PING");
    ian.numeric("461", "PING :Not enough parameters");
    ian.send("PING token");
    ian.expect_line(&format!(":{SERVER} PONG {SERVER} :token"));
}

// ---------------------------------------------------------------------------
// User modes: WALLOPS reaches +w only
// ---------------------------------------------------------------------------

#[test]
fn wallops_reach_irc_users_with_plus_w_and_every_telnet_user() {
    let server = TestServer::start_with(&oper_config());
    let mut tina = Client::logged_in(&server, "tina");
    let mut root = Irc::logged_in(&server, "root");
    let mut deaf = Irc::logged_in(&server, "deaf");
    let mut wally = Irc::logged_in(&server, "wally");
    root.send("OPER admin s3cret-pw");
    root.numeric("381", ":You are now an IRC operator");
    wally.send("MODE wally +iw");
    wally.expect_line(&format!(":{} MODE wally :+w", mask("wally")));
    wally.send("MODE wally");
    wally.numeric("221", "+w");
    // Setting what is set already changes nothing, and says nothing.
    wally.send("MODE wally +w");
    wally.expect_no("MODE wally :+w");
    deaf.send("MODE deaf +i");
    deaf.send("MODE deaf");
    deaf.numeric("221", "+");

    root.send("WALLOPS :restart at noon");
    wally.expect_line(&format!(":{} WALLOPS :restart at noon", mask("root")));
    tina.expect_line("** WALL from root: restart at noon **");
    deaf.expect_no("restart at noon");

    wally.send("MODE wally -w");
    wally.expect_line(&format!(":{} MODE wally :-w", mask("wally")));
    root.send("WALLOPS :restart now");
    tina.expect_line("** WALL from root: restart now **");
    wally.expect_no("restart now");
    wally.send("MODE wally +z");
    wally.numeric("501", ":Unknown MODE flag");
}

// ---------------------------------------------------------------------------
// MONITOR L and S
// ---------------------------------------------------------------------------

#[test]
fn monitor_l_is_the_list_alone_and_s_the_statuses_alone() {
    let server = TestServer::start();
    let mut wendy = Irc::logged_in(&server, "wendy");
    let _bob = Irc::logged_in(&server, "bob");
    wendy.send("MONITOR + bob,carol");
    wendy.numeric("731", ":carol");

    let statuses = wendy.query("MONITOR S", "731");
    let codes: Vec<&str> = statuses.iter().map(|l| l.command.as_str()).collect();
    if codes != ["730", "731"] {
        wendy.fail(&format!("MONITOR S: expected 730 then 731, got {codes:?}"));
    }
    if statuses[0].last() != mask("bob") {
        wendy.fail("MONITOR S: expected bob on line as a full mask");
    }
    wendy.expect_no("732");

    let list = wendy.query("MONITOR L", "733");
    let codes: Vec<&str> = list.iter().map(|l| l.command.as_str()).collect();
    if codes != ["732", "733"] || list[0].last() != "bob,carol" {
        wendy.fail(&format!(
            "MONITOR L: expected 732 bob,carol then 733, got {list:?}"
        ));
    }
}

// ---------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------

#[test]
fn joining_a_channel_without_a_topic_sends_no_331() {
    let server = TestServer::start();
    let mut ian = Irc::logged_in(&server, "ian");
    ian.send("JOIN #fresh");
    ian.expect_line(&format!(":{} JOIN #fresh", mask("ian")));
    ian.expect_next_numeric("353", &["ian", "=", "#fresh", "@ian"]);
    ian.expect_next_numeric("366", &["ian", "#fresh"]);
    // Asked, it is 331.
    ian.send("TOPIC #fresh");
    ian.numeric("331", "#fresh :No topic is set");
}

#[test]
fn a_server_may_have_no_permanent_channels() {
    // The shipped chat.toml names its lobby, so this one says it has none.
    let server = TestServer::start_with("lobby = \"\"\nchannels = []\n");
    let mut ian = Irc::connect(&server, "ian");
    ian.register("ian");
    ian.send("LIST");
    ian.expect_next_numeric("321", &["ian"]);
    ian.expect_next_numeric("323", &["ian"]);
    ian.send("JOIN #made");
    ian.expect_line(&format!(":{} JOIN #made", mask("ian")));
    let mut tina = Client::logged_in(&server, "tina");
    tina.send("hello?");
    tina.expect_line("** ERROR: no current channel; /join one (see /channels) **");
    tina.send("/join made");
    tina.expect_line("Welcome to the made Channel (2 users)");
    ian.expect_line(&format!(":{} JOIN #made", mask("tina")));
}

#[test]
fn part_shows_its_reason_to_the_channel() {
    let server = TestServer::start();
    let mut tina = Client::logged_in(&server, "tina");
    let mut ian = Irc::logged_in(&server, "ian");
    let mut bob = Irc::logged_in(&server, "bob");
    ian.expect_line(&format!(":{} JOIN #Lobby", mask("bob")));
    tina.expect_line("<bob has entered Lobby>");

    bob.send("PART #Lobby :off to lunch");
    ian.expect_line(&format!(":{} PART #Lobby :off to lunch", mask("bob")));
    tina.expect_line("<bob has left Lobby (off to lunch)>");

    // Without a reason, the lines are as they always were.
    bob.send("JOIN #Lobby");
    ian.expect_line(&format!(":{} JOIN #Lobby", mask("bob")));
    bob.send("PART #Lobby");
    ian.expect_line(&format!(":{} PART #Lobby", mask("bob")));
    tina.expect_line("<bob has left Lobby>");
}

#[test]
fn invite_to_a_missing_channel_is_403() {
    let server = TestServer::start();
    let mut ian = Irc::logged_in(&server, "ian");
    let _bob = Irc::logged_in(&server, "bob");
    ian.expect_line(&format!(":{} JOIN #Lobby", mask("bob")));
    ian.send("INVITE bob #nosuch");
    ian.expect_next_numeric("403", &["ian", "#nosuch", "No such channel"]);
}

#[test]
fn list_with_channels_lists_only_those() {
    let server = TestServer::start();
    let mut ian = Irc::logged_in(&server, "ian");
    for name in ["#apples", "#bananas", "#cherries"] {
        ian.send(&format!("JOIN {name}"));
        ian.numeric("366", &format!("{name} "));
    }
    ian.send("LIST #cherries,#nosuch,#apples");
    ian.expect_next_numeric("321", &["ian", "Channel", "Users  Name"]);
    ian.expect_next_numeric("322", &["ian", "#cherries", "1"]);
    ian.expect_next_numeric("322", &["ian", "#apples", "1"]);
    ian.expect_next_numeric("323", &["ian", "End of /LIST"]);
}

#[test]
fn names_of_an_unknown_channel_is_only_its_end_of_list() {
    let server = TestServer::start();
    let mut ian = Irc::logged_in(&server, "ian");
    ian.send("NAMES #nosuch");
    ian.expect_next_numeric("366", &["ian", "#nosuch", "End of /NAMES list."]);
    ian.send("NAMES #Lobby");
    ian.expect_next_numeric("353", &["ian", "=", "#Lobby", "ian"]);
    ian.expect_next_numeric("366", &["ian", "#Lobby", "End of /NAMES list."]);
}
