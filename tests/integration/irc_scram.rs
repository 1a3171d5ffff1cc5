//! SASL SCRAM-SHA-256 over the IRC door (issue 14; RFC 5802, RFC 7677):
//! the client's side of the exchange computed here, a wrong proof (904),
//! a name with no account failing the same way, a restart of the server
//! process (the credential is on disk), and an account from before SCRAM,
//! which gains its credential at its next password login. A small iteration count from the test's own config.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::support::irc::{mask, Irc, SERVER};
use crate::support::{register_and_leave, TestServer, CHEAP};

/// RFC 7677's example client nonce.
const CLIENT_NONCE: &str = "rOprNGfwEbeRWgbNEkqO";

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// How an exchange ended, with what the server showed of the credential.
#[derive(Debug, PartialEq)]
enum Scram {
    /// 900 and 903, after the server's signature checked out.
    LoggedIn { salt: String, iterations: u32 },
    /// 904 after the proof: a wrong password, no such account, or one
    /// without a credential yet (a stranger can't tell which).
    WrongProof,
}

/// Starts IRC registration with `CAP REQ sasl` and runs a SCRAM-SHA-256
/// exchange as `user` with `password`; the caller ends registration.
fn scram(irc: &mut Irc, user: &str, password: &str) -> Scram {
    irc.send("CAP LS 302");
    irc.expect_next_where("CAP LS with sasl=PLAIN,SCRAM-SHA-256", |l| {
        let offered = |c: &str| c == "sasl=PLAIN,SCRAM-SHA-256";
        l.command == "CAP" && l.last().split(' ').any(offered)
    });
    irc.send(&format!("NICK {user}"));
    irc.send(&format!("USER {user} 0 * :{user}"));
    irc.send("CAP REQ :sasl");
    irc.expect_next(&format!(":{SERVER} CAP * ACK :sasl"));
    irc.send("AUTHENTICATE SCRAM-SHA-256");
    irc.expect_next("AUTHENTICATE +");

    let bare = format!("n={user},r={CLIENT_NONCE}");
    irc.send(&format!(
        "AUTHENTICATE {}",
        b64().encode(format!("n,,{bare}"))
    ));
    // Always a challenge, for a name with no account too: failing here
    // would tell a stranger which names have accounts.
    let line = irc.expect_next_where("server-first", |l| l.command == "AUTHENTICATE");
    let server_first = String::from_utf8(b64().decode(line.param(0)).unwrap()).unwrap();
    let field = |name: &str| {
        server_first
            .split(',')
            .find_map(|f| f.strip_prefix(name))
            .unwrap_or_else(|| irc.fail(&format!("server-first lacks {name}: {server_first}")))
            .to_string()
    };
    let (nonce, salt, iterations) = (field("r="), field("s="), field("i="));
    if !nonce.starts_with(CLIENT_NONCE) || nonce.len() <= CLIENT_NONCE.len() {
        irc.fail(&format!("the nonce must extend ours: {server_first}"));
    }
    let iterations: u32 = iterations.parse().unwrap();

    // RFC 5802 §3, the client's side.
    let mut salted = [0u8; 32];
    let salt_bytes = b64().decode(&salt).unwrap();
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), &salt_bytes, iterations, &mut salted);
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(&client_key);
    let without_proof = format!("c=biws,r={nonce}");
    let auth_message = format!("{bare},{server_first},{without_proof}");
    let signature = hmac(&stored_key, auth_message.as_bytes());
    let proof: Vec<u8> = client_key
        .iter()
        .zip(&signature)
        .map(|(k, s)| k ^ s)
        .collect();
    irc.send(&format!(
        "AUTHENTICATE {}",
        b64().encode(format!("{without_proof},p={}", b64().encode(proof)))
    ));

    let line = irc.expect_next_where("server-final or 904", |l| {
        l.command == "AUTHENTICATE" || l.command == "904"
    });
    if line.command == "904" {
        return Scram::WrongProof;
    }
    let server_key = hmac(&salted, b"Server Key");
    let verifier = b64().encode(hmac(&server_key, auth_message.as_bytes()));
    let server_final = String::from_utf8(b64().decode(line.param(0)).unwrap()).unwrap();
    if server_final != format!("v={verifier}") {
        irc.fail(&format!("the server's signature is wrong: {server_final}"));
    }
    irc.send("AUTHENTICATE +");
    let logged_in = format!("You are now logged in as {user}");
    irc.expect_next_numeric("900", &["*", &mask(user), user, &logged_in]);
    irc.expect_next_numeric("903", &["*", "SASL authentication successful"]);
    Scram::LoggedIn { salt, iterations }
}

#[test]
fn scram_sha_256_logs_in_a_wrong_proof_or_name_is_904_and_the_credential_survives_a_restart() {
    let mut server = TestServer::start_with(CHEAP);
    register_and_leave(&server, "lincoln", "four-score");

    let mut impostor = Irc::connect(&server, "impostor");
    assert_eq!(
        scram(&mut impostor, "lincoln", "seven-years"),
        Scram::WrongProof
    );
    impostor.send("CAP END");
    impostor.expect_next_numeric("433", &["*", "lincoln"]);
    // A name nobody registered fails just as late.
    let mut stranger = Irc::connect(&server, "stranger");
    assert_eq!(
        scram(&mut stranger, "nobody", "four-score"),
        Scram::WrongProof
    );

    let mut lincoln = Irc::connect(&server, "lincoln");
    let before = scram(&mut lincoln, "lincoln", "four-score");
    let Scram::LoggedIn { iterations, .. } = &before else {
        lincoln.fail(&format!("SCRAM should log lincoln in: {before:?}"));
    };
    assert_eq!(*iterations, 64, "the test's own scram_iterations");
    lincoln.send("CAP END");
    lincoln.welcome("lincoln");
    lincoln.send("QUIT");
    lincoln.expect_closed();

    // The credential is on disk: the same salt after a restart.
    server.restart();
    let mut again = Irc::connect(&server, "lincoln again");
    assert_eq!(scram(&mut again, "lincoln", "four-score"), before);
    again.send("CAP END");
    again.welcome("lincoln");
}

#[test]
fn an_account_from_before_scram_gains_its_credential_at_its_next_password_login() {
    let server = TestServer::start_with(CHEAP);
    register_and_leave(&server, "ada", "lovelace-1815");
    // As a database from before migration 0008 would have it.
    let db = rusqlite::Connection::open(server.db_path()).expect("open the database");
    let gone = db
        .execute("DELETE FROM scram_credentials", [])
        .expect("delete the credential");
    assert_eq!(gone, 1, "registering should have kept a SCRAM credential");

    let mut early = Irc::connect(&server, "early");
    assert_eq!(scram(&mut early, "ada", "lovelace-1815"), Scram::WrongProof);

    // A password login (SASL PLAIN here) keeps one...
    let mut ada = Irc::connect(&server, "ada");
    ada.send("CAP REQ :sasl");
    ada.expect_next(&format!(":{SERVER} CAP * ACK :sasl"));
    ada.send("AUTHENTICATE PLAIN");
    ada.expect_next("AUTHENTICATE +");
    ada.send(&format!(
        "AUTHENTICATE {}",
        b64().encode("\0ada\0lovelace-1815")
    ));
    ada.expect_next_numeric(
        "900",
        &["*", &mask("ada"), "ada", "You are now logged in as ada"],
    );
    ada.expect_next_numeric("903", &["*", "SASL authentication successful"]);

    // ... and the next SCRAM login works.
    let mut later = Irc::connect(&server, "later");
    let outcome = scram(&mut later, "ada", "lovelace-1815");
    if !matches!(outcome, Scram::LoggedIn { .. }) {
        later.fail(&format!(
            "SCRAM should work after a password login: {outcome:?}"
        ));
    }
}
