//! Channels people own and run, and the server's operators, over real
//! sockets: `/create`, topics, channel operators, kicks, bans, invitations
//! and every channel mode through the telnet door and the IRC door, with
//! their errors; a made channel surviving `kill -9`; and `/oper`, `/kill`,
//! `/wall` and server bans (`/gline`), which take effect, are logged, and are
//! refused to everyone else. Telnet users are the harness's [`Client`], IRC
//! users its [`Irc`].

use std::process::Command;
use std::time::Duration;

use crate::support::irc::{mask, Irc, SERVER};
use crate::support::{
    admin_ok, owner, registered_guest, run_to_end, Client, TestServer, NICK_PROMPT,
};

/// A small argon2 cost (these servers register accounts), and flood limits
/// that never slow a test's quick commands down.
const CONFIG: &str = "[accounts]\nargon2_memory_kib = 64\nargon2_iterations = 1\n\
                      [limits]\nflood_rate = 100.0\nflood_burst = 200.0\n";

/// Every registered test user's password.
const PASSWORD: &str = "correct-horse";

/// A text-door error line.
fn error(text: &str) -> String {
    format!("** ERROR: {text} **")
}

fn not_op(channel: &str) -> String {
    error(&format!("{channel}: you are not a channel operator"))
}

const NOT_OPER: &str = "** ERROR: permission denied: you are not a server operator (/oper) **";

/// Waits for the line `first`, then makes sure `also` came too, before or
/// after it: for a store's acknowledgement, which races the hub's own lines.
fn expect_both(client: &mut Client, first: &str, also: &str) {
    let mark = client.mark();
    client.expect_line(first);
    client.sync();
    if !client.lines_since(mark).iter().any(|l| l == also) {
        client.fail(&format!("expected the line {also:?} too"));
    }
}

/// `/create`s `channel` and waits for both the join and the confirmation.
fn create(client: &mut Client, channel: &str, description: &str) {
    client.send(&format!("/create {channel} {description}"));
    expect_both(
        client,
        &format!("Channel {channel} created; you are its founder. It is kept until you /drop it."),
        &format!("Welcome to the {channel} Channel (1 user)"),
    );
}

/// An argon2 PHC hash of `password` at the tests' cost, from `chatd admin
/// hash`, for an `[[opers]]` entry in chat.toml.
fn oper_hash(password: &str) -> String {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = dir.path().join("chat.toml");
    std::fs::write(&config, CONFIG).expect("write a chat.toml");
    let mut command = Command::new(env!("CARGO_BIN_EXE_chatd"));
    command
        .arg("admin")
        .arg("--config")
        .arg(&config)
        .arg("hash");
    let stdin = format!("{password}\n");
    let output = run_to_end(command, stdin.as_bytes(), Duration::from_secs(10));
    assert!(output.status.success(), "chatd admin hash: {output:?}");
    let hash = String::from_utf8(output.stdout).expect("a hash is ASCII");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    hash.trim().to_string()
}

/// This file's chat.toml with one operator from chat.toml: `admin`,
/// password `s3cret-pw`.
pub(crate) fn oper_config() -> String {
    let hash = oper_hash("s3cret-pw");
    format!("{CONFIG}[[opers]]\nname = \"admin\"\npassword_hash = \"{hash}\"\n")
}

// ---------------------------------------------------------------------------
// The telnet door
// ---------------------------------------------------------------------------

#[test]
fn telnet_users_create_a_channel_set_its_topic_and_op_kick_and_ban() {
    let server = TestServer::start_with(CONFIG);
    let mut alice = registered_guest(&server, "alice", PASSWORD);
    let mut bob = registered_guest(&server, "bob", PASSWORD);
    let mut carol = Client::logged_in(&server, "carol");

    // What can't be made, and why.
    carol.send("/create Books");
    carol.expect_line(&error(
        "only registered users can make channels; /register <password> first",
    ));
    alice.send("/create Weather mine now");
    alice.expect_line(&error("a channel named Weather exists already"));
    alice.send("/create bad!name");
    alice.expect_line(&error(
        "a channel name can't contain '!'; use letters, digits, - and _",
    ));
    carol.send("/join Books");
    carol.expect_line(&error(
        "no channel named Books; /channels lists them, /create Books makes one",
    ));

    create(&mut alice, "Books", "All about books");
    alice.send("/create books again");
    alice.expect_line(&error("a channel named Books exists already"));
    for client in [&mut bob, &mut carol] {
        client.send("/join books");
        client.expect("Welcome to the Books Channel");
    }
    alice.expect_line("<carol has entered Books>");
    carol.send("/channels");
    carol.expect_line(&format!(
        "{:<20} {:<40} {:>3} users",
        "[Books]", "All about books", 3
    ));

    // The topic: +t from the start, so the founder's to set.
    carol.send("/topic my topic");
    carol.expect_line(&not_op("Books"));
    alice.send("/topic Dune this month");
    for client in [&mut alice, &mut bob, &mut carol] {
        client.expect_line("<alice has set the topic of Books to: Dune this month>");
    }
    carol.send("/topic");
    carol.expect_line("Topic of Books: Dune this month");
    carol.expect("Topic of Books set by alice on ");

    // Nobody else runs it...
    for line in ["/kick bob", "/voice carol"] {
        carol.send(line);
        carol.expect_line(&not_op("Books"));
    }
    for line in ["/op bob", "/ban carol!*@*", "/mode +i"] {
        bob.send(line);
        bob.expect_line(&not_op("Books"));
    }
    carol.send("/drop Books");
    carol.expect_line(&error("only the founder of Books can do that"));
    alice.send("/drop Weather");
    alice.expect_line(&error("Weather is one of the server's permanent channels"));

    // ... until the founder makes them an operator.
    alice.send("/op bob");
    for client in [&mut alice, &mut bob, &mut carol] {
        client.expect_line("<alice sets mode +o bob on Books>");
    }
    bob.send("/kick carol reading too loud");
    for client in [&mut alice, &mut bob, &mut carol] {
        client.expect_line("<carol was kicked from Books by bob (reading too loud)>");
    }
    carol.send("/kick bob");
    carol.expect_line(&not_op("Lobby"));
    bob.send("/kick carol");
    bob.expect_line(&error("carol is not in Books"));
    bob.send("/ban carol!*@*");
    alice.expect_line("<bob sets mode +b carol!*@* on Books>");
    carol.send("/join Books");
    carol.expect_line(&error("Books: you are banned from this channel"));
    alice.send("/ban");
    alice.expect("carol!*@* (set by bob on ");
    alice.expect_line("1 ban in Books");

    // A ban by the nickname of a registered user is a ban of the account.
    alice.send("/deop bob");
    bob.expect_line("<alice sets mode -o bob on Books>");
    bob.send("/kick alice");
    bob.expect_line(&not_op("Books"));
    alice.send("/ban bob");
    bob.expect_line("<alice sets mode +b $a:bob on Books>");
    alice.send("/kick bob");
    // No reason given: none made up (issue #17).
    bob.expect_line("<bob was kicked from Books by alice>");
    bob.send("/join Books");
    bob.expect_line(&error("Books: you are banned from this channel"));
    alice.send("/unban carol!*@*");
    alice.expect_line("<alice sets mode -b carol!*@* on Books>");
    carol.send("/join Books");
    carol.expect_line("Welcome to the Books Channel (2 users)");
    carol.expect_line("Topic of Books: Dune this month");

    // The founder drops it: everyone in it is told, and it is gone.
    alice.send("/drop Books");
    carol.expect_line("<Books was dropped by alice; you are no longer in it>");
    alice.expect_line("<Books was dropped by alice; you are no longer in it>");
    carol.send("/join Books");
    carol.expect_line(&error(
        "no channel named Books; /channels lists them, /create Books makes one",
    ));
}

#[test]
fn telnet_modes_keep_people_out_and_quiet() {
    let server = TestServer::start_with(CONFIG);
    let mut alice = registered_guest(&server, "alice", PASSWORD);
    let mut bob = Client::logged_in(&server, "bob");
    let mut carol = Client::logged_in(&server, "carol");
    let mut dave = Client::logged_in(&server, "dave");
    create(&mut alice, "Books", "About books");
    alice.send("/mode");
    alice.expect_line("Modes of Books: +nt");

    // +i: only by invitation, and only operators invite.
    alice.send("/mode +i");
    alice.expect_line("<alice sets mode +i on Books>");
    bob.send("/join Books");
    bob.expect_line(&error(
        "Books: the channel is invite only; ask an operator to /invite you",
    ));
    alice.send("/invite bob");
    alice.expect_line("Invited bob to Books");
    bob.expect_line("<alice invites you to Books: /join Books>");
    bob.send("/join Books");
    bob.expect_line("Welcome to the Books Channel (2 users)");
    bob.send("/invite carol");
    bob.expect_line(&not_op("Books"));
    alice.send("/invite bob Books");
    alice.expect_line(&error("bob is already in Books"));
    alice.send("/invite nobody");
    alice.expect_line(&error("nobody: not logged in"));

    // +k: the key.
    alice.send("/mode -i+k sesame");
    bob.expect_line("<alice sets mode -i+k sesame on Books>");
    carol.send("/join Books");
    carol.expect_line(&error("Books needs a key: /join Books <key>"));
    carol.send("/join Books open");
    carol.expect_line(&error("Books: wrong channel key; /join Books <key>"));
    carol.send("/join Books sesame");
    carol.expect_line("Welcome to the Books Channel (3 users)");

    // +l: the limit.
    // (-k takes a parameter, as RFC 2811 has it: the key, or anything.)
    alice.send("/mode +l-k 3 sesame");
    // Telnet users never see IRC's `*` placeholder for the key (issue #17).
    bob.expect_line("<alice sets mode +l-k 3 on Books>");
    dave.send("/join Books");
    dave.expect_line(&error("Books: the channel is full"));

    // +m: only operators and voiced members speak.
    alice.send("/mode -l+m");
    bob.expect_line("<alice sets mode -l+m on Books>");
    carol.send("hello?");
    carol.expect_line(&error("Books: you can't send to this channel"));
    alice.send("/voice carol");
    carol.expect_line("<alice sets mode +v carol on Books>");
    carol.send("hello");
    bob.expect_line("carol [Books]: hello");
    bob.send("me too");
    bob.expect_line(&error("Books: you can't send to this channel"));
    alice.send("/devoice carol");
    carol.expect_line("<alice sets mode -v carol on Books>");
    carol.send("again?");
    carol.expect_line(&error("Books: you can't send to this channel"));

    // +s hides it from /channels for everyone not in it; +C refuses CTCP
    // (which only IRC clients send), not /me.
    alice.send("/mode -m+sC");
    bob.expect_line("<alice sets mode -m+sC on Books>");
    let mark = dave.mark();
    dave.send("/channels");
    dave.expect("[Pets]");
    dave.expect_no_since(mark, "[Books]");
    bob.send("/channels");
    bob.expect("[Books]");
    bob.send("/me waves");
    alice.expect_line("* bob [Books] waves");
    bob.send("plain words");
    alice.expect_line("bob [Books]: plain words");

    // +n and +t are set like any other flag; the modes show as set.
    alice.send("/mode -nt");
    bob.expect_line("<alice sets mode -nt on Books>");
    alice.send("/mode +n");
    bob.expect_line("<alice sets mode +n on Books>");
    dave.send("/mode Books");
    dave.expect_line("Modes of Books: +Cns");
    // Flags already set are not announced again.
    let mark = bob.mark();
    alice.send("/mode +n");
    alice.send("/topic anyone may now");
    bob.expect_line("<alice has set the topic of Books to: anyone may now>");
    bob.expect_no_since(mark, "sets mode");
    carol.send("/topic mine now");
    bob.expect_line("<carol has set the topic of Books to: mine now>");
    alice.send("/mode +q");
    alice.expect_line(&error(
        "usage: /mode [channel] [+-][imnstCkl|o nick|v nick|b mask|I mask] ...",
    ));
}

#[test]
fn a_transient_channel_made_by_irc_join_goes_with_its_last_member() {
    let server = TestServer::start_with(CONFIG);
    let mut carol = Client::logged_in(&server, "carol");
    let mut ivan = Irc::logged_in(&server, "ivan");
    // Over telnet an unknown name says how to make one...
    carol.send("/join Pop");
    carol.expect_line(&error(
        "no channel named Pop; /channels lists them, /create Pop makes one",
    ));
    // ... over IRC, JOIN makes it, and its first member runs it.
    ivan.send("JOIN #Pop");
    ivan.expect_line(&format!(":{} JOIN #Pop", mask("ivan")));
    ivan.numeric("353", "= #Pop :@ivan");
    carol.send("/join pop");
    carol.expect_line("Welcome to the Pop Channel (2 users)");
    ivan.expect_line(&format!(":{} JOIN #Pop", mask("carol")));
    ivan.send("MODE #Pop +v carol");
    carol.expect_line("<ivan sets mode +v carol on Pop>");
    ivan.send("PART #Pop");
    carol.expect_line("<ivan has left Pop>");
    carol.send("/channels");
    carol.expect("[Pop]");
    carol.send("/part Pop");
    carol.expect_line("You have left the Pop Channel");
    carol.send("/join Pop");
    carol.expect_line(&error(
        "no channel named Pop; /channels lists them, /create Pop makes one",
    ));
    let list = ivan.list();
    assert!(
        !list.iter().any(|l| l.raw.contains("#Pop")),
        "the channel is gone: {list:?}"
    );
}

// ---------------------------------------------------------------------------
// The IRC door
// ---------------------------------------------------------------------------

#[test]
fn irc_users_run_a_channel_with_topic_modes_kicks_and_invitations() {
    let server = TestServer::start_with(CONFIG);
    let mut alice = Irc::logged_in(&server, "alice");
    let mut bob = Irc::logged_in(&server, "bob");
    let mut carol = Irc::logged_in(&server, "carol");
    alice.send("JOIN #fresh");
    alice.expect_line(&format!(":{} JOIN #fresh", mask("alice")));
    alice.numeric("353", "= #fresh :@alice");
    bob.send("JOIN #fresh");
    bob.numeric("353", "= #fresh :@alice bob");
    alice.expect_line(&format!(":{} JOIN #fresh", mask("bob")));

    // Not an operator: ERR_CHANOPRIVSNEEDED.
    for line in [
        "KICK #fresh alice :bye",
        "MODE #fresh +i",
        "MODE #fresh +o bob",
        "TOPIC #fresh :mine",
        "MODE #fresh +b alice!*@*",
    ] {
        bob.send(line);
        bob.numeric("482", "#fresh :You're not channel operator");
    }

    // TOPIC.
    alice.send("TOPIC #fresh :Fresh things");
    bob.expect_line(&format!(":{} TOPIC #fresh :Fresh things", mask("alice")));
    bob.send("TOPIC #fresh");
    bob.numeric("332", "#fresh :Fresh things");
    bob.numeric("333", "#fresh alice ");

    // +o, -o.
    alice.send("MODE #fresh +o bob");
    bob.expect_line(&format!(":{} MODE #fresh +o bob", mask("alice")));
    bob.send("NAMES #fresh");
    bob.numeric("353", "= #fresh :@alice @bob");
    alice.send("MODE #fresh -o bob");
    bob.expect_line(&format!(":{} MODE #fresh -o bob", mask("alice")));
    bob.send("KICK #fresh alice");
    bob.numeric("482", "#fresh :You're not channel operator");

    // +b, and its list; a banned user can't join.
    alice.send("MODE #fresh +b carol!*@*");
    bob.expect_line(&format!(":{} MODE #fresh +b carol!*@*", mask("alice")));
    let list = alice.query("MODE #fresh +b", "368");
    assert!(
        list.iter().any(|l| l
            .raw
            .starts_with(&format!(":{SERVER} 367 alice #fresh carol!*@* alice "))),
        "{list:?}"
    );
    assert!(list
        .last()
        .unwrap()
        .raw
        .ends_with("368 alice #fresh :End of channel ban list"));
    carol.send("JOIN #fresh");
    carol.numeric("474", "#fresh :Cannot join channel (+b)");

    // +I lifts the ban for whoever it names.
    alice.send("MODE #fresh +I carol!*@*");
    bob.expect_line(&format!(":{} MODE #fresh +I carol!*@*", mask("alice")));
    let list = alice.query("MODE #fresh I", "347");
    assert!(
        list.iter()
            .any(|l| l.raw.contains(" 346 alice #fresh carol!*@* alice ")),
        "{list:?}"
    );
    carol.send("JOIN #fresh");
    carol.expect_line(&format!(":{} JOIN #fresh", mask("carol")));

    // KICK: everyone in it sees it, the one kicked too.
    alice.send("KICK #fresh carol :out you go");
    for irc in [&mut alice, &mut bob, &mut carol] {
        irc.expect_line(&format!(":{} KICK #fresh carol :out you go", mask("alice")));
    }
    alice.send("KICK #fresh carol");
    alice.numeric("441", "carol #fresh :They aren't on that channel");
    alice.send("MODE #fresh -I+i carol!*@*");
    bob.expect_line(&format!(":{} MODE #fresh -I+i carol!*@*", mask("alice")));
    alice.send("MODE #fresh -b carol!*@*");
    bob.expect_line(&format!(":{} MODE #fresh -b carol!*@*", mask("alice")));

    // +i and INVITE.
    carol.send("JOIN #fresh");
    carol.numeric("473", "#fresh :Cannot join channel (+i)");
    bob.send("INVITE carol #fresh");
    bob.numeric("482", "#fresh :You're not channel operator");
    alice.send("INVITE bob #fresh");
    alice.numeric("443", "bob #fresh :is already on channel");
    alice.send("INVITE nobody #fresh");
    alice.numeric("401", "nobody :No such nick/channel");
    alice.send("INVITE carol #fresh");
    alice.numeric("341", "carol #fresh");
    carol.expect_line(&format!(":{} INVITE carol #fresh", mask("alice")));
    carol.send("JOIN #fresh");
    carol.expect_line(&format!(":{} JOIN #fresh", mask("carol")));
    carol.send("PART #fresh");
    carol.expect_line(&format!(":{} PART #fresh", mask("carol")));

    // +k: JOIN with the key.
    alice.send("MODE #fresh -i+k sesame");
    bob.expect_line(&format!(":{} MODE #fresh -i+k sesame", mask("alice")));
    carol.send("JOIN #fresh");
    carol.numeric("475", "#fresh :Cannot join channel (+k)");
    carol.send("JOIN #fresh wrong");
    carol.numeric("475", "#fresh :Cannot join channel (+k)");
    carol.send("JOIN #fresh sesame");
    carol.expect_line(&format!(":{} JOIN #fresh", mask("carol")));

    // +l.
    alice.send("MODE #fresh +l-k 3 sesame");
    bob.expect_line(&format!(":{} MODE #fresh +l-k 3 *", mask("alice")));
    let mut dave = Irc::logged_in(&server, "dave");
    dave.send("JOIN #fresh");
    dave.numeric("471", "#fresh :Cannot join channel (+l)");

    // +m and +v.
    alice.send("MODE #fresh -l+m");
    bob.expect_line(&format!(":{} MODE #fresh -l+m", mask("alice")));
    carol.send("PRIVMSG #fresh :hello?");
    carol.numeric("404", "#fresh :Cannot send to channel");
    alice.send("MODE #fresh +v carol");
    carol.expect_line(&format!(":{} MODE #fresh +v carol", mask("alice")));
    carol.send("PRIVMSG #fresh :hello");
    bob.expect_line(&format!(":{} PRIVMSG #fresh :hello", mask("carol")));
    bob.send("PRIVMSG #fresh :me too");
    bob.numeric("404", "#fresh :Cannot send to channel");

    // -n lets outsiders talk in; +n doesn't.
    alice.send("MODE #fresh -mn");
    bob.expect_line(&format!(":{} MODE #fresh -mn", mask("alice")));
    dave.send("PRIVMSG #fresh :from outside");
    bob.expect_line(&format!(":{} PRIVMSG #fresh :from outside", mask("dave")));
    alice.send("MODE #fresh +n");
    bob.expect_line(&format!(":{} MODE #fresh +n", mask("alice")));
    dave.send("PRIVMSG #fresh :from outside again");
    dave.expect_where("an error numeric for #fresh", |l| {
        l.raw.starts_with(&format!(":{SERVER} 442 dave #fresh "))
            || l.raw.starts_with(&format!(":{SERVER} 404 dave #fresh "))
    });
    bob.expect_no("from outside again");

    // +s: not in LIST for those outside.
    alice.send("MODE #fresh +s");
    bob.expect_line(&format!(":{} MODE #fresh +s", mask("alice")));
    let list = dave.list();
    assert!(!list.iter().any(|l| l.raw.contains("#fresh")), "{list:?}");
    let list = bob.list();
    assert!(
        list.iter()
            .any(|l| l.raw.starts_with(&format!(":{SERVER} 322 bob #fresh 3 :"))),
        "{list:?}"
    );

    // +C: no CTCP (ACTION is talk, and passes).
    alice.send("MODE #fresh +C");
    bob.expect_line(&format!(":{} MODE #fresh +C", mask("alice")));
    bob.send("PRIVMSG #fresh :\u{1}VERSION\u{1}");
    bob.numeric("404", "#fresh :Cannot send to channel");
    alice.expect_no("VERSION");

    // RPL_CHANNELMODEIS, for anyone.
    dave.send("MODE #fresh");
    dave.numeric("324", "#fresh +Cnst");
    dave.send("MODE #fresh +z");
    dave.numeric("472", "z :is unknown mode char to me");
}

#[test]
fn irc_a_line_from_outside_a_plus_n_channel_is_err_cannotsendtochan() {
    let server = TestServer::start_with(CONFIG);
    let mut alice = Irc::logged_in(&server, "alice");
    let mut dave = Irc::logged_in(&server, "dave");
    alice.send("JOIN #fresh");
    alice.numeric("366", "#fresh ");
    dave.send("PRIVMSG #fresh :from outside");
    let line = dave
        .expect_where("a reply about #fresh", |l| l.raw.contains(" dave #fresh :"))
        .raw;
    if !line.starts_with(&format!(":{SERVER} 404 dave #fresh ")) {
        dave.fail(&format!("expected 404 ERR_CANNOTSENDTOCHAN, got {line:?}"));
    }
}

#[test]
fn irc_join_shows_the_topic_once() {
    let server = TestServer::start_with(CONFIG);
    let mut alice = registered_guest(&server, "alice", PASSWORD);
    create(&mut alice, "Books", "About books");
    alice.send("/topic Dune");
    alice.expect_line("<alice has set the topic of Books to: Dune>");
    let mut bob = Irc::logged_in(&server, "bob");
    let burst = bob.query("JOIN #Books", "333");
    let topics: Vec<&str> = burst
        .iter()
        .map(|l| l.raw.as_str())
        .filter(|l| l.contains(" 331 ") || l.contains(" 332 "))
        .collect();
    if topics != [":chatd 332 bob #Books :Dune"] {
        bob.fail(&format!("expected one 332 with the topic, got {topics:?}"));
    }
}

// ---------------------------------------------------------------------------
// Restart
// ---------------------------------------------------------------------------

#[test]
fn a_created_channel_is_back_exactly_after_kill_9() {
    let mut server = TestServer::start_with(CONFIG);
    let (topic_who, bans) = {
        let mut alice = registered_guest(&server, "alice", PASSWORD);
        let mut bob = registered_guest(&server, "bob", PASSWORD);
        create(&mut alice, "Books", "About books");
        bob.send("/join Books");
        bob.expect_line("Welcome to the Books Channel (2 users)");
        alice.send("/topic Dune this month");
        bob.expect_line("<alice has set the topic of Books to: Dune this month>");
        alice.send("/op bob");
        bob.expect_line("<alice sets mode +o bob on Books>");
        alice.send("/ban mallory!*@*");
        bob.expect_line("<alice sets mode +b mallory!*@* on Books>");
        bob.send("/ban eve");
        alice.expect_line("<bob sets mode +b eve!*@* on Books>");
        alice.send("/mode +imsCk sesame");
        bob.expect_line("<alice sets mode +imsCk sesame on Books>");
        alice.send("/mode Books +l 10");
        bob.expect_line("<alice sets mode +l 10 on Books>");
        alice.send("/mode");
        alice.expect_line("Modes of Books: +Ciklmnst sesame 10");
        alice.send("/topic");
        alice.expect_line("Topic of Books: Dune this month");
        let topic_who = alice.expect("Topic of Books set by alice on ");
        let mark = alice.mark();
        alice.send("/ban");
        alice.expect_line("2 bans in Books");
        let mut bans = alice.lines_since(mark);
        bans.sort();
        // Channel saves carry no acknowledgement; a watch does, and the
        // store works in order: once it is confirmed, all above is on disk.
        alice.send("/watch nobody");
        alice.expect_line("Watching nobody (off line now)");
        (topic_who, bans)
    };
    server.kill_hard();
    server.restart();

    let mut alice = owner(&server, "alice", PASSWORD);
    alice.send("/join Books");
    alice.expect_line("Welcome to the Books Channel (1 user)");
    alice.expect_line("Topic of Books: Dune this month");
    alice.expect_line(&topic_who);
    alice.send("/mode");
    alice.expect_line("Modes of Books: +Ciklmnst sesame 10");
    let mark = alice.mark();
    alice.send("/ban");
    alice.expect_line("2 bans in Books");
    // The same entries (their order is another matter: see
    // the_ban_list_keeps_its_order_across_a_restart).
    let mut after = alice.lines_since(mark);
    after.sort();
    if after != bans {
        alice.fail(&format!(
            "bans before the restart {bans:?}, after {after:?}"
        ));
    }
    alice.send("/channels");
    alice.expect_line(&format!(
        "{:<20} {:<40} {:>3} user",
        "[Books]", "About books", 1
    ));

    // Bob is still an operator: past +i and +k, and he kicks.
    let mut bob = owner(&server, "bob", PASSWORD);
    bob.send("/join Books");
    bob.expect_line("Welcome to the Books Channel (2 users)");
    let mut carol = Client::logged_in(&server, "carol");
    carol.send("/join Books sesame");
    carol.expect_line(&error(
        "Books: the channel is invite only; ask an operator to /invite you",
    ));
    bob.send("/invite carol");
    carol.expect_line("<bob invites you to Books: /join Books>");
    carol.send("/join Books sesame");
    carol.expect_line("Welcome to the Books Channel (3 users)");
    bob.send("/kick carol bye");
    alice.expect_line("<carol was kicked from Books by bob (bye)>");
    // The bans hold.
    let mut mallory = Client::logged_in(&server, "mallory");
    bob.send("/invite mallory");
    mallory.send("/join Books sesame");
    mallory.expect_line(&error("Books: you are banned from this channel"));
    // And IRC sees the same channel.
    let mut dave = Irc::logged_in(&server, "dave");
    // +s: the members are the channel's own business.
    dave.send("NAMES #Books");
    dave.numeric("366", "#Books :End of /NAMES list.");
    dave.send("MODE #Books");
    dave.numeric("324", "#Books +Ciklmnst 10");
    dave.send("JOIN #Books sesame");
    dave.numeric("473", "#Books :Cannot join channel (+i)");
}

#[test]
fn the_ban_list_keeps_its_order_across_a_restart() {
    let mut server = TestServer::start_with(CONFIG);
    let before = {
        let mut alice = registered_guest(&server, "alice", PASSWORD);
        create(&mut alice, "Books", "");
        for mask in ["zed!*@*", "amy!*@*"] {
            alice.send(&format!("/ban {mask}"));
            alice.expect_line(&format!("<alice sets mode +b {mask} on Books>"));
            alice.expect(&format!(
                "The ban {mask} on Books covers whoever matches {mask}"
            ));
        }
        let mark = alice.mark();
        alice.send("/ban");
        alice.expect_line("2 bans in Books");
        let before = alice.lines_since(mark);
        alice.send("/watch nobody");
        alice.expect_line("Watching nobody (off line now)");
        before
    };
    server.restart();
    let mut alice = owner(&server, "alice", PASSWORD);
    alice.send("/join Books");
    alice.expect_line("Welcome to the Books Channel (1 user)");
    let mark = alice.mark();
    alice.send("/ban");
    alice.expect_line("2 bans in Books");
    let after = alice.lines_since(mark);
    if after != before {
        alice.fail(&format!(
            "bans before the restart {before:?}, after {after:?}"
        ));
    }
}

// ---------------------------------------------------------------------------
// Server operators
// ---------------------------------------------------------------------------

#[test]
fn server_operators_kill_wall_and_ban_and_nobody_else_can() {
    let hash = oper_hash("s3cret-pw");
    let mut server = TestServer::start_with(&format!(
        "{CONFIG}[[opers]]\nname = \"admin\"\npassword_hash = \"{hash}\"\n"
    ));
    {
        let mut root = Client::logged_in(&server, "root");
        let mut carol = Client::logged_in(&server, "carol");
        let mut ivan = Irc::logged_in(&server, "ivan");

        // Not operators: a clear error, ERR_NOPRIVILEGES over IRC.
        for line in ["/kill root", "/wall hello", "/gline root", "/ungline x!*@*"] {
            carol.send(line);
            carol.expect_line(NOT_OPER);
        }
        carol.send("/oper admin wrong-password");
        carol.expect_line(&error("no such operator, or a wrong password"));
        for line in ["KILL root :x", "WALLOPS :hello"] {
            ivan.send(line);
            ivan.numeric("481", ":Permission Denied- You're not an IRC operator");
        }
        ivan.send("OPER admin wrong-password");
        ivan.numeric("491", ":No O-lines for your host");
        carol.send("/whois root");
        carol.expect("root is in channels: Lobby");
        carol.expect_no("connects from");

        // An operator from chat.toml, over telnet.
        root.send("/oper admin s3cret-pw");
        root.expect_line("You are now a server operator.");
        server.wait_for_log("admin authenticated as a server operator");
        // An account made one with `chatd admin oper`, over IRC.
        let mut opal = registered_guest(&server, "opal", PASSWORD);
        let said = admin_ok(&server, &["oper", "opal"], "");
        assert!(said.contains("opal is a server operator"), "{said}");
        ivan.send(&format!("OPER opal {PASSWORD}"));
        ivan.numeric("381", ":You are now an IRC operator");
        ivan.expect_next(&format!(":{} MODE ivan :+o", mask("ivan")));
        // IRC users hear WALLOPS with user mode +w (issue 14).
        ivan.send("MODE ivan +w");
        ivan.expect_line(&format!(":{} MODE ivan :+w", mask("ivan")));

        // /wall and WALLOPS reach everyone who hears them.
        root.send("/wall restart at noon");
        for client in [&mut carol, &mut opal, &mut root] {
            client.expect_line("** WALL from root: restart at noon **");
        }
        ivan.expect_line(&format!(":{} WALLOPS :restart at noon", mask("root")));
        ivan.send("WALLOPS :back soon");
        carol.expect_line("** WALL from ivan: back soon **");

        // Operators see where people connect from.
        root.send("/whois carol");
        root.expect(&format!("carol connects from {}", carol.local_addr()));
        ivan.send("WHOIS carol");
        ivan.numeric(
            "338",
            &format!("carol {} :actually using host", carol.local_addr()),
        );

        // /kill: gone with the reason, and logged.
        root.send("/kill carol flooding the lobby");
        carol.expect_line("** Killed by root (flooding the lobby) **");
        carol.expect_closed();
        opal.expect_line("<carol has left Lobby (Killed by root (flooding the lobby))>");
        server.wait_for_log("root killed carol from 127.0.0.1:");
        // KILL over IRC.
        let mut dave = Irc::logged_in(&server, "dave");
        ivan.send("KILL dave :go away");
        dave.expect_line("ERROR :Closing Link: Killed by ivan (go away)");
        dave.expect_closed();
        server.wait_for_log("ivan killed dave from 127.0.0.1:");
        ivan.send("KILL dave :again");
        ivan.numeric("401", "dave :No such nick/channel");

        // A server ban of an account: out now, and refused at login.
        let mut mallory = registered_guest(&server, "mallory", PASSWORD);
        root.send("/gline mallory abuse");
        mallory.expect_line("** Banned from this server: abuse **");
        mallory.expect_closed();
        root.expect_line("$a:mallory is banned from the server: abuse");
        server.wait_for_log("root banned $a:mallory from the server: abuse");
        let mut again = Client::connect(&server);
        again.expect_prompt(NICK_PROMPT);
        again.send_raw(format!("mallory\r\n{PASSWORD}\r\n").as_bytes());
        again.expect("** You are banned from this server: abuse **");
        again.expect_closed();
        root.send("/ungline $a:mallory");
        root.expect_line("$a:mallory is no longer banned from the server");
        drop(owner(&server, "mallory", PASSWORD));
        root.send("/ungline $a:mallory");
        root.expect_line(&error("no server ban on $a:mallory"));

        // Last, the address every test client comes from: everyone goes,
        // the operator who set it too.
        root.send("/gline *!*@127.0.0.1 local test over");
        root.expect_line("** Banned from this server: local test over **");
        ivan.expect_line("ERROR :Closing Link: Banned from this server: local test over");
        opal.expect_closed();
        server.wait_for_log("root banned *!*@127.0.0.1 from the server: local test over");

        // Refused at connect, with the reason, at both doors.
        let mut late = Client::connect(&server);
        late.expect("** You are banned from this server: local test over **");
        late.expect_closed();
        let mut irc = Irc::connect(&server, "late");
        irc.expect_line("ERROR :Closing Link: You are banned from this server: local test over");
        irc.expect_closed();
        server.wait_for_log("banned from this server (local test over)");
    }
    let logged = server.log_lines();
    for wanted in [
        "killed carol",
        "killed dave",
        "banned $a:mallory",
        "banned *!*@127.0.0.1",
    ] {
        assert!(
            logged.iter().any(|l| l.contains(wanted)),
            "no log line with {wanted:?}"
        );
    }

    // The ban is in the database: still refused after a restart. (Its
    // confirmation went to nobody, the operator being banned too: a clean
    // stop lets the store finish what it was given.)
    server.terminate();
    server.restart();
    let mut late = Client::connect(&server);
    late.expect("** You are banned from this server: local test over **");
    late.expect_closed();
}
