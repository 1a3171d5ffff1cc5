//! Issue 16, nicknames that look alike (`bill`, `biII`, `B1ll`; `Bob`,
//! `B0b`): one of each look-alike class on line and one registered. Refused
//! at registration (text door, IRC's NickServ, `chatd admin`) and to guests
//! at every door; the owner still logs in by their own nickname; the refusal
//! outlives a restart; accounts that collided before the rule stay usable.

use std::path::Path;

use rusqlite::Connection;

use crate::support::irc::{mask, Irc, SERVER};
use crate::support::udp::*;
use crate::support::{
    admin, admin_ok, owner, register_and_leave, registered_guest, Client, TestServer, CHEAP,
    NICK_PROMPT,
};

const PASSWORD: &str = "correct-horse";

/// The text door's refusal of `wanted`, a look-alike of the registered
/// `existing`.
fn registered_look_alike(wanted: &str, existing: &str) -> String {
    format!(
        "** ERROR: '{wanted}' looks too much like the registered nickname '{existing}'; \
         choose another **"
    )
}

/// The text door's refusal of `wanted`, a look-alike of `existing` on line.
fn online_look_alike(wanted: &str, existing: &str) -> String {
    format!("** ERROR: '{wanted}' looks too much like '{existing}', a nickname in use; choose another **")
}

/// At the nickname prompt, types `wanted` and expects `refusal`, then the
/// prompt again.
#[track_caller]
fn refused_at_the_prompt(client: &mut Client, wanted: &str, refusal: &str) {
    client.send(wanted);
    client.expect_line(refusal);
    client.expect_prompt(NICK_PROMPT);
}

/// An IRC client that has sent NICK `wanted` and USER and expects 433
/// saying `why` (the text after `433 * wanted :`).
#[track_caller]
fn irc_refused(server: &TestServer, wanted: &str, why: &str) -> Irc {
    let mut irc = Irc::connect(server, wanted);
    irc.send(&format!("NICK {wanted}"));
    irc.send(&format!("USER {wanted} 0 * :{wanted}"));
    let refused = irc.expect_numeric("433", &["*", wanted]);
    if refused.last() != why {
        irc.fail(&format!("433 should say {why:?}: {:?}", refused.raw));
    }
    irc
}

fn skeleton_in_db(db: &Path, nick: &str) -> Option<String> {
    let conn = Connection::open(db).expect("open the database as sqlite3 would");
    conn.query_row(
        "SELECT nick_skeleton FROM accounts WHERE nick = ?1",
        [nick],
        |row| row.get(0),
    )
    .expect("an admin's query of the accounts table")
}

#[test]
fn registering_a_look_alike_is_refused_at_the_text_and_irc_doors() {
    let server = TestServer::start_with(CHEAP);
    // Guests that took their nicknames while nothing looked like them.
    let mut text = Client::logged_in(&server, "biII");
    let mut irc = Irc::logged_in(&server, "B0b");
    // Then an admin registers bill and bob, with the server running.
    admin_ok(&server, &["register", "bill"], "bill-password\n");
    admin_ok(&server, &["register", "bob"], "bob-password\n");

    text.send(&format!("/register {PASSWORD}"));
    text.expect_line(&registered_look_alike("biII", "bill"));
    irc.send(&format!("PRIVMSG NickServ :REGISTER {PASSWORD}"));
    irc.expect_line(&format!(
        ":NickServ!NickServ@{SERVER} NOTICE B0b :'B0b' looks too much like the registered \
         nickname 'bob'; choose another"
    ));
    // Neither became an account.
    let list = admin_ok(&server, &["list"], "");
    assert!(list.ends_with("2 accounts\n"), "{list}");

    // Nor does an admin make one by mistake, and is told before typing a
    // password.
    let refused = admin(&server, &["register", "B1LL"], "");
    assert!(!refused.status.success(), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr
            .contains("'B1LL' looks too much like the registered nickname 'bill'; choose another"),
        "{stderr}"
    );
}

#[test]
fn without_guests_a_look_alike_is_refused_before_a_password_is_asked() {
    let server = TestServer::start_with(&format!("{CHEAP}allow_guests = false\n"));
    let mut bill = Client::connect(&server);
    bill.login_raw(
        format!("bill\r\n{PASSWORD}\r\n{PASSWORD}\r\n").as_bytes(),
        "bill",
    );
    let mut other = Client::connect(&server);
    other.expect_prompt(NICK_PROMPT);
    refused_at_the_prompt(&mut other, "biII", &registered_look_alike("biII", "bill"));
    other.send("rufus");
    other.expect_prompt(
        "rufus is not registered yet. Choose a password to register it (at least 8 characters): ",
    );
    bill.send("/quit");
    bill.expect_closed();
}

#[test]
fn a_guest_cannot_take_a_look_alike_of_an_online_or_registered_nickname() {
    let server = TestServer::start_with(CHEAP);
    let mut bill = registered_guest(&server, "bill", PASSWORD);
    let mut bob = Client::logged_in(&server, "Bob");

    // On line: Bob is a guest, bill is registered too.
    let mut guest = Client::connect(&server);
    guest.expect_prompt(NICK_PROMPT);
    refused_at_the_prompt(&mut guest, "B0b", &online_look_alike("B0b", "Bob"));
    refused_at_the_prompt(&mut guest, "BiIl", &registered_look_alike("BiIl", "bill"));
    irc_refused(
        &server,
        "b0b",
        "Nickname looks too much like Bob, which is in use; choose another",
    );
    let mut udp = Udp::new(&server, "b0B (udp)");
    udp.send(LOGIN_REQ, "b0B");
    udp.expect(
        ERROR,
        "'b0B' looks too much like 'Bob', a nickname in use; choose another",
    );

    // Off line, registered: still bill's. Unregistered: free again.
    bill.send("/quit");
    bill.expect_closed();
    bob.send("/quit");
    bob.expect_closed();
    refused_at_the_prompt(&mut guest, "b1ll", &registered_look_alike("b1ll", "bill"));
    irc_refused(
        &server,
        "bi1l",
        "Nickname looks too much like the registered nickname bill; choose another",
    );
    udp.send(LOGIN_REQ, "BILI");
    udp.expect(
        ERROR,
        "'BILI' looks too much like the registered nickname 'bill'; choose another",
    );
    udp.send(LOGIN_REQ, "b0B");
    udp.expect(LOGIN_ACK, "b0B");

    // Nor by renaming, at either door.
    guest.send("rufus");
    guest.expect_line("Log in successful. Welcome rufus.");
    guest.send("/nick Bi1L");
    guest.expect_line(&registered_look_alike("Bi1L", "bill"));
    guest.send("/nick bob");
    guest.expect_line(&online_look_alike("bob", "b0B"));
    let mut irc = Irc::logged_in(&server, "rosa");
    irc.send("NICK b1ll");
    irc.numeric(
        "433",
        "b1ll :Nickname looks too much like the registered nickname bill; choose another",
    );
    irc.send("NICK BOB");
    irc.numeric(
        "433",
        "BOB :Nickname looks too much like b0B, which is in use; choose another",
    );
    irc.send("NICK rosa_");
    irc.expect_line(&format!(":{} NICK :rosa_", mask("rosa")));
}

#[test]
fn the_owner_logs_in_and_a_restart_keeps_the_refusal() {
    let mut server = TestServer::start_with(CHEAP);
    register_and_leave(&server, "bill", PASSWORD);
    server.restart();

    // The owner, by exactly their nickname in any case; not by a look-alike.
    let mut bill = owner(&server, "bill", PASSWORD);
    bill.send("/quit");
    bill.expect_closed();
    let mut again = Client::connect(&server);
    again.log_in_as_owner("BILL", PASSWORD, "bill");
    again.send("/quit");
    again.expect_closed();
    let mut guest = Client::connect(&server);
    guest.expect_prompt(NICK_PROMPT);
    refused_at_the_prompt(&mut guest, "biII", &registered_look_alike("biII", "bill"));
    irc_refused(
        &server,
        "B1LL",
        "Nickname looks too much like the registered nickname bill; choose another",
    );
    // What an admin's sqlite3 sees: the class, beside the nickname.
    assert_eq!(
        skeleton_in_db(&server.db_path(), "bill").as_deref(),
        Some("blll")
    );
}

#[test]
fn accounts_that_collided_before_the_rule_stay_usable() {
    let mut server = TestServer::start_with(CHEAP);
    register_and_leave(&server, "bill", PASSWORD);
    server.terminate();
    // As an older chatd (or an admin's sqlite3) could have left it: a
    // look-alike account, with the same password, and no skeleton.
    let db = server.db_path();
    Connection::open(&db)
        .expect("open the database")
        .execute(
            "INSERT INTO accounts (nick, password_hash, created_at) \
             SELECT 'biII', password_hash, created_at FROM accounts WHERE nick = 'bill'",
            [],
        )
        .expect("insert a look-alike account by hand");
    server.restart();
    server.wait_for_log("filled the look-alike class (nick_skeleton) of 1 accounts");
    assert_eq!(skeleton_in_db(&db, "biII").as_deref(), Some("blll"));

    // Both owners log in, at once.
    let mut bill = owner(&server, "bill", PASSWORD);
    let mut bi_ii = owner(&server, "biII", PASSWORD);
    bill.expect_line("<biII has entered Lobby>");
    bi_ii.send("hello");
    bill.expect_line("biII [Lobby]: hello");
    // Nobody else gets a third.
    let mut guest = Client::connect(&server);
    guest.expect_prompt(NICK_PROMPT);
    refused_at_the_prompt(&mut guest, "B1ll", &registered_look_alike("B1ll", "bill"));
}
