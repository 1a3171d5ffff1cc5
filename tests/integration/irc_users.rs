//! What IRC shows of people (issue 14, point 1): the user name and real name
//! USER gives, in masks, WHO, WHOIS and WHOWAS, checked against RFC 2812 and
//! the Modern IRC client protocol. Telnet users ([`Client`]) have their
//! nickname for both, as IRC users ([`Irc`]) see them.

use std::collections::BTreeMap;

use crate::moderation::oper_config;
use crate::support::irc::{Irc, Line, SERVER};
use crate::support::{Client, TestServer};

/// An IRC user registered with `USER ident 0 * :realname`.
#[track_caller]
fn registered_as(server: &TestServer, nick: &str, ident: &str, realname: &str) -> Irc {
    let mut irc = Irc::connect(server, nick);
    irc.send(&format!("NICK {nick}"));
    irc.send(&format!("USER {ident} 0 * :{realname}"));
    irc.welcome(nick);
    irc.expect_line(&format!(":{SERVER} 366 {nick} #Lobby :End of /NAMES list."));
    irc
}

/// The first reply `code` among `lines` (a query's answer, with whatever
/// else came meanwhile).
#[track_caller]
fn first_reply<'l>(lines: &'l [Line], code: &str) -> &'l Line {
    match lines
        .iter()
        .find(|l| l.prefix == SERVER && l.command == code)
    {
        Some(line) => line,
        None => panic!("no {code} among {lines:?}"),
    }
}

#[test]
fn user_without_all_its_parameters_or_with_an_empty_realname_is_461() {
    let server = TestServer::start();
    let mut ian = Irc::connect(&server, "ian");
    ian.send("NICK ian");
    for line in ["USER ian", "USER ian 0 *", "USER ian 0 * :"] {
        ian.send(line);
        ian.expect_line(&format!(":{SERVER} 461 * USER :Not enough parameters"));
    }
    // Not registered yet: the right USER completes it.
    ian.send("USER ian 0 * :Ian");
    ian.welcome("ian");
}

#[test]
fn the_ident_and_realname_of_user_show_in_masks_who_whois_userhost_and_whowas() {
    let server = TestServer::start();
    let mut ian = registered_as(&server, "ian", "gandalf", "Ian McKellen");
    let mut bob = Irc::logged_in(&server, "bob");
    let _tina = Client::logged_in(&server, "tina");

    // Its own mask has its ident.
    ian.send("JOIN #fellowship");
    ian.expect_line(&format!(":ian!gandalf@{SERVER} JOIN #fellowship"));

    // WHO: `<channel> <user> <host> <server> <nick> <flags> :<hopcount> <realname>`.
    let who = bob.query("WHO ian", "315");
    let reply = first_reply(&who, "352");
    assert!(
        reply.is_reply(
            "352",
            // H: here; @: it made the channel, so it is its operator.
            &["bob", "#fellowship", "gandalf", SERVER, SERVER, "ian", "H@"]
        ),
        "{reply:?}"
    );
    assert_eq!(reply.last(), "0 Ian McKellen", "{reply:?}");
    // A telnet user has the nickname for both.
    let who = bob.query("WHO tina", "315");
    assert!(
        who[0].is_reply("352", &["bob", "#Lobby", "tina"]),
        "{:?}",
        who[0]
    );
    assert_eq!(who[0].last(), "0 tina", "{:?}", who[0]);

    // WHOIS: 311 `<nick> <user> <host> * :<realname>`.
    bob.send("WHOIS ian");
    let whois = bob.expect_numeric("311", &["bob", "ian", "gandalf", SERVER, "*"]);
    assert_eq!(whois.last(), "Ian McKellen", "{whois:?}");

    // USERHOST: `nick=+user@host`.
    bob.send("USERHOST ian");
    bob.expect_line(&format!(":{SERVER} 302 bob :ian=+gandalf@{SERVER}"));

    // userhost-in-names: the full mask.
    bob.send("CAP REQ :userhost-in-names");
    bob.expect_line(&format!(":{SERVER} CAP bob ACK :userhost-in-names"));
    let names = bob.query("NAMES #Lobby", "366");
    assert!(
        names.iter().any(|l| l.is_reply("353", &["bob"])
            && l.last()
                .split(' ')
                .any(|m| m == format!("ian!gandalf@{SERVER}"))),
        "NAMES #Lobby: expected ian!gandalf@{SERVER} in {names:?}"
    );

    // WHOWAS after it has gone: 314 `<nick> <user> <host> * :<realname>`.
    ian.send("QUIT :bye");
    ian.expect_closed();
    bob.expect_where("ian's QUIT", |l| l.command == "QUIT");
    bob.send("WHOWAS ian");
    let was = bob.expect_numeric("314", &["bob", "ian", "gandalf", SERVER, "*"]);
    assert_eq!(was.last(), "Ian McKellen", "{was:?}");
}

#[test]
fn characters_a_mask_cannot_hold_are_left_out_of_the_ident() {
    let server = TestServer::start();
    let mut ian = registered_as(&server, "ian", "g@nd!alf", "Ian");
    ian.send("JOIN #x");
    ian.expect_line(&format!(":ian!gndalf@{SERVER} JOIN #x"));
    // Nothing left of it: the nickname stands in.
    let mut eve = registered_as(&server, "eve", "@!*", "Eve");
    eve.send("JOIN #x");
    eve.expect_line(&format!(":eve!eve@{SERVER} JOIN #x"));
}

/// The WHO replies of `asker` for `mask`, nickname to (channel, flags),
/// checking that RPL_ENDOFWHO with the mask comes last.
#[track_caller]
fn who(asker: &mut Irc, me: &str, mask: &str) -> BTreeMap<String, (String, String)> {
    let lines = asker.query(&format!("WHO {mask}"), "315");
    let end = lines.last().expect("the query ends with 315");
    assert!(end.is_reply("315", &[me, mask]), "{end:?}");
    lines
        .iter()
        .filter(|l| l.is_reply("352", &[me]))
        .map(|l| {
            (
                l.param(5).to_string(),
                (l.param(1).to_string(), l.param(6).to_string()),
            )
        })
        .collect()
}

fn entry(channel: &str, flags: &str) -> (String, String) {
    (channel.to_string(), flags.to_string())
}

#[test]
fn who_matches_masks_on_nick_ident_and_realname_with_away_oper_and_channel_flags() {
    let server = TestServer::start_with(&oper_config());
    let mut bea = registered_as(&server, "bea", "bee", "Beatrice Keeper");
    let mut bob = registered_as(&server, "bob", "builder", "Bob the Builder");
    let mut ian = Irc::logged_in(&server, "ian");
    let mut root = Irc::logged_in(&server, "root");
    let _tina = Client::logged_in(&server, "tina");
    root.send("OPER admin s3cret-pw");
    root.numeric("381", ":You are now an IRC operator");
    root.send("AWAY :lunch");
    root.numeric("306", ":");
    bea.send("JOIN #hive");
    bea.numeric("366", "#hive ");
    bob.send("JOIN #hive");
    bob.numeric("366", "#hive ");
    bea.send("MODE #hive +v bob");
    bea.expect_line(&format!(":bea!bee@{SERVER} MODE #hive +v bob"));

    // A channel: its members, with their status there.
    assert_eq!(
        who(&mut ian, "ian", "#hive"),
        BTreeMap::from([
            ("bea".into(), entry("#hive", "H@")),
            ("bob".into(), entry("#hive", "H+")),
        ])
    );
    // Wildcards match nicknames, idents and real names.
    let matched = who(&mut ian, "ian", "b*");
    assert_eq!(
        matched.keys().collect::<Vec<_>>(),
        ["bea", "bob"],
        "{matched:?}"
    );
    let matched = who(&mut ian, "ian", "*builder");
    assert_eq!(matched.keys().collect::<Vec<_>>(), ["bob"], "{matched:?}");
    let matched = who(&mut ian, "ian", "BEE");
    assert_eq!(matched.keys().collect::<Vec<_>>(), ["bea"], "{matched:?}");
    // G: away; *: a server operator. Shown in its current channel.
    assert_eq!(
        who(&mut ian, "ian", "root"),
        BTreeMap::from([("root".into(), entry("#Lobby", "G*"))])
    );
    // Everyone, telnet users too.
    let everyone = who(&mut ian, "ian", "*");
    assert_eq!(
        everyone.keys().collect::<Vec<_>>(),
        ["bea", "bob", "ian", "root", "tina"],
        "{everyone:?}"
    );
    assert!(who(&mut ian, "ian", "nobody*").is_empty());

    // With multi-prefix, every status a member has.
    bea.send("MODE #hive +v bea");
    bea.expect_line(&format!(":bea!bee@{SERVER} MODE #hive +v bea"));
    ian.send("CAP REQ :multi-prefix");
    ian.expect_line(&format!(":{SERVER} CAP ian ACK :multi-prefix"));
    assert_eq!(who(&mut ian, "ian", "#hive")["bea"], entry("#hive", "H@+"));
}
