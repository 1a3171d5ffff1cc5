//! IRC as clients and bots expect it (issue 14), checked against RFC 2812 and
//! the Modern IRC client protocol: NOTICE stays NOTICE and is never answered,
//! CTCP is passed on, and the smaller commands and numerics clients rely on.
//! Each test has its own server; telnet users ([`Client`]) share channels
//! with the IRC users ([`Irc`]) to show that both doors see the same events.

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
