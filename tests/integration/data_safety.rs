//! Issue 16, data safety and security, as an attacker and an admin would try
//! it: the failed-login limit under concurrent guessing, chat.db complete
//! after a clean stop, `chatd admin backup` of a live database, one server
//! per database, damaged and unusable databases reported at start, and
//! hidden characters (bidi overrides, zero-width marks) kept from others.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::irc::{Irc, SERVER};
use crate::support::udp::*;
use crate::support::{
    admin, owner, register_and_leave, registered, run_to_end, Client, TestServer, CHEAP,
    NICK_PROMPT, SERVER_TIMEOUT,
};

/// Every character `sanitize::clean` removes as hidden, as a test spells
/// them: the bidi controls and marks, the zero-width ones, the BOM.
const HIDDEN: &[char] = &[
    '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}',
    '\u{2069}', '\u{200e}', '\u{200f}', '\u{61c}', '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}',
    '\u{feff}',
];

/// Fails if `client` received a hidden character anywhere but the one
/// zero-width joiner of the emoji sequence "👨\u{200d}👩".
#[track_caller]
fn nothing_hidden_reached(client: &Client) {
    let raw = String::from_utf8_lossy(&client.received_raw()).replace("👨\u{200d}👩", "");
    if let Some(c) = raw.chars().find(|c| HIDDEN.contains(c)) {
        client.fail(&format!("{} reached this client", c.escape_unicode()));
    }
}

/// Waits until the database says `nick` last logged in from `ip` (the
/// store saves a login just after the welcome).
#[track_caller]
fn wait_for_last_login(server: &TestServer, nick: &str, ip: &str) {
    let db = rusqlite::Connection::open(server.db_path()).expect("open chat.db");
    let deadline = Instant::now() + SERVER_TIMEOUT;
    loop {
        let from: Option<String> = db
            .query_row(
                "SELECT last_login_from FROM accounts WHERE nick = ?1",
                [nick],
                |row| row.get(0),
            )
            .unwrap_or(None);
        if from.is_some_and(|f| f.starts_with(&format!("{ip}:"))) {
            return;
        }
        if Instant::now() > deadline {
            server.fail(&format!("{nick}'s login from {ip} was never saved"));
        }
        thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------
// The failed-login limit
// ---------------------------------------------------------------------------

#[test]
fn sixteen_guesses_at_once_get_at_most_five_checks_and_the_owner_still_logs_in() {
    const GUESSERS: usize = 16;
    let server = TestServer::start_with(&format!(
        "{CHEAP}max_login_failures = 5\nlogin_failure_window = \"1h\"\n"
    ));
    // alice registers and logs in from her usual address, 127.0.0.2.
    let mut alice = Client::connect_from(&server, [127, 0, 0, 2]);
    alice.login("alice");
    alice.register("correct-horse");
    alice.send("/quit");
    alice.expect_closed();
    let mut alice = Client::connect_from(&server, [127, 0, 0, 2]);
    alice.log_in_as_owner("alice", "correct-horse", "alice");
    alice.send("/quit");
    alice.expect_closed();
    wait_for_last_login(&server, "alice", "127.0.0.2");

    // 16 connections from 127.0.0.1 at alice's password prompt guess at once.
    let mut guessers: Vec<Client> = (0..GUESSERS).map(|_| Client::connect(&server)).collect();
    for guesser in &mut guessers {
        guesser.expect_prompt(NICK_PROMPT);
        guesser.send("alice");
        guesser.expect_prompt("Password for alice: ");
    }
    let go = Barrier::new(GUESSERS);
    let answers: Vec<String> = thread::scope(|scope| {
        let threads: Vec<_> = guessers
            .iter_mut()
            .enumerate()
            .map(|(n, guesser)| {
                let go = &go;
                scope.spawn(move || {
                    go.wait();
                    guesser.send(&format!("guess-{n:02}"));
                    guesser.expect_where("a wrong password or a refusal", |l| {
                        l.starts_with("** ERROR: wrong password")
                            || l.starts_with("** ERROR: too many failed logins")
                    })
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let checked = answers
        .iter()
        .filter(|a| a.contains("wrong password"))
        .count();
    // The log is read by another thread of this test, so the last lines may
    // arrive a moment after the answers: wait for as many as were answered.
    let failures = server.wait_for_log_count("failed login as alice from 127.0.0.1", checked);
    if !(1..=5).contains(&checked) || failures != checked {
        server.fail(&format!(
            "{checked} guesses were checked ({failures} failures logged), at most 5 may be"
        ));
    }

    // A stranger on a fresh address waits for the account's limit too…
    let mut stranger = Client::connect_from(&server, [127, 0, 0, 3]);
    stranger.expect_prompt(NICK_PROMPT);
    stranger.send("alice");
    stranger.expect("** ERROR: too many failed logins at this nickname lately");
    // …but alice, from where she logs in, is not locked out by any of them.
    let mut alice = Client::connect_from(&server, [127, 0, 0, 2]);
    alice.log_in_as_owner("alice", "correct-horse", "alice");
}

// ---------------------------------------------------------------------------
// Hidden characters
// ---------------------------------------------------------------------------

#[test]
fn bidi_overrides_and_zero_width_characters_never_reach_another_user() {
    let server = TestServer::start_with(CHEAP);
    let mut bob = Client::logged_in(&server, "bob");
    let mut alice = Client::logged_in(&server, "alice");
    bob.expect_line("<alice has entered Lobby>");

    // The text door: the override goes, an emoji's joiner stays.
    alice.send("see evil\u{202e}gnp.exe\u{200b} and 👨\u{200d}👩");
    bob.expect_line("alice [Lobby]: see evilgnp.exe and 👨\u{200d}👩");
    alice.send("/private bob \u{2067}secret\u{2069} \u{feff}note\u{200f}");
    bob.expect_line("alice [**private**]: secret note");

    // The IRC door: a message, and a quit message.
    let mut ian = Irc::logged_in(&server, "ian");
    bob.expect_line("<ian has entered Lobby>");
    ian.send("PRIVMSG #Lobby :irc \u{202d}x\u{202c} \u{2060}y\u{61c}");
    bob.expect_line("ian [Lobby]: irc x y");
    ian.send("QUIT :bye \u{202e}now");
    ian.expect_closed();
    bob.expect_line("<ian has left Lobby (quit: bye now)>");

    // The book's UDP door.
    let mut una = Udp::logged_in(&server, "una");
    bob.expect_line("<una has entered Lobby>");
    una.send(SEND_PUBLIC, "udp \u{202b}z\u{200c}");
    bob.expect_line("una [Lobby]: udp z");
    una.send(SEND_PRIVATE, "bob \u{202a}psst");
    bob.expect_line("una [**private**]: psst");

    bob.sync();
    nothing_hidden_reached(&bob);
}

#[test]
fn a_nickname_with_a_hidden_character_is_refused_at_every_door() {
    let server = TestServer::start_with(CHEAP);
    let refusal = |code: &str| {
        format!("a nickname can't contain U+{code}; use ASCII letters, digits and -_[]{{}}|^")
    };
    let mut bob = Client::logged_in(&server, "bob");

    // The text door's prompt: refused, not quietly cleaned to "evilgnp".
    let mut eve = Client::connect(&server);
    eve.expect_prompt(NICK_PROMPT);
    eve.send("evil\u{202e}gnp");
    eve.expect_line(&format!("** ERROR: {} **", refusal("202E")));
    eve.expect_prompt(NICK_PROMPT);
    eve.send("eve");
    eve.expect_line("Log in successful. Welcome eve.");
    bob.expect_line("<eve has entered Lobby>");
    // /nick, once logged in.
    eve.send("/nick b\u{200b}ob");
    eve.expect_line(&format!("** ERROR: {} **", refusal("200B")));

    // IRC: ERR_ERRONEUSNICKNAME, with the nickname echoed cleaned.
    let mut ian = Irc::connect(&server, "ian");
    ian.send("NICK i\u{2066}an");
    let line = ian.expect_numeric("432", &["*", "ian"]);
    assert!(line.last().contains(&refusal("2066")), "{}", line.raw);
    ian.register("ian");
    ian.send("NICK b\u{feff}ob");
    ian.expect_line(&format!(
        ":{SERVER} 432 ian bob :Erroneous nickname: {}",
        refusal("FEFF")
    ));

    // The book's UDP door.
    let mut una = Udp::new(&server, "una");
    una.send(LOGIN_REQ, "u\u{200d}na");
    una.expect_error_containing(&refusal("200D"));

    // chatd admin register.
    let out = admin(&server, &["register", "adm\u{202e}in"], "correct-horse\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "chatd admin register succeeded");
    assert!(stderr.contains(&refusal("202E")), "{stderr}");

    bob.sync();
    nothing_hidden_reached(&bob);
    nothing_hidden_reached(&eve);
}

// ---------------------------------------------------------------------------
// The database file
// ---------------------------------------------------------------------------

/// The nicknames in the `accounts` table of the database at `path`, in
/// order, after checking the file's integrity.
#[track_caller]
fn accounts_in(path: &Path) -> Vec<String> {
    let db =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|e| panic!("can't open {}: {e}", path.display()));
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap_or_else(|e| panic!("integrity_check of {}: {e}", path.display()));
    assert_eq!(check, "ok", "integrity_check of {}", path.display());
    let mut query = db
        .prepare("SELECT nick FROM accounts ORDER BY nick")
        .unwrap();
    let nicks = query.query_map([], |row| row.get(0)).unwrap();
    nicks.map(Result::unwrap).collect()
}

#[test]
fn after_sigterm_a_copy_of_chat_db_alone_lists_every_account() {
    let mut server = TestServer::start_with(CHEAP);
    let nicks = ["alice", "bob", "carol"];
    for nick in nicks {
        register_and_leave(&server, nick, "correct-horse");
    }
    server.terminate();
    let wal = server.dir().join("chat.db-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "chat.db-wal still holds {wal_len} bytes");

    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("copy.db");
    std::fs::copy(server.db_path(), &copy).unwrap();
    assert_eq!(accounts_in(&copy), nicks);
}

#[test]
fn admin_backup_during_writes_holds_every_acknowledged_account() {
    let server = TestServer::start_with(CHEAP);
    for n in 0..5 {
        register_and_leave(&server, &format!("early{n}"), "correct-horse");
    }
    let dest = server.dir().join("backup.db");
    let stop = AtomicBool::new(false);
    let (acknowledged, out) = thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut acknowledged = Vec::new();
            let mut client = Client::logged_in(&server, "writer");
            for n in 0.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                client.send(&format!("/nick during{n}"));
                client.expect(&format!("is now known as during{n}"));
                client.send("/register correct-horse");
                client.expect_line(&registered(&format!("during{n}")));
                acknowledged.push(format!("during{n}"));
            }
            acknowledged
        });
        // Some registrations land before the backup, more during it.
        server.wait_for_log("registered during2");
        let before: Vec<String> = server
            .log_lines()
            .iter()
            .filter_map(|l| l.split("registered ").nth(1).map(|n| n.trim().to_string()))
            .collect();
        let out = admin(&server, &["backup", dest.to_str().unwrap()], "");
        stop.store(true, Ordering::SeqCst);
        writer.join().unwrap();
        (before, out)
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "chatd admin backup failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("integrity ok"), "{stdout}");
    let kept = accounts_in(&dest);
    for nick in &acknowledged {
        assert!(
            kept.contains(nick),
            "{nick} is missing from the backup: {kept:?}"
        );
    }
    assert!(!server.dir().join("backup.db-wal").exists());
    // Never over an existing file.
    let again = admin(&server, &["backup", dest.to_str().unwrap()], "");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
}

/// `chatd serve` on `server`'s configuration and database, run to its end.
fn serve_again(server: &TestServer) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chatd"));
    command
        .arg("serve")
        .arg("--config")
        .arg(server.dir().join("chat.toml"))
        .arg("--db")
        .arg(server.db_path())
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(server.dir());
    let out = run_to_end(command, b"", SERVER_TIMEOUT);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_second_server_on_the_same_database_exits_at_once_and_admin_still_works() {
    let server = TestServer::start_with(CHEAP);
    register_and_leave(&server, "alice", "correct-horse");
    let (ok, stderr) = serve_again(&server);
    assert!(!ok, "a second chatd serve on one database ran");
    let wanted = format!(
        "{} is in use by another chatd (pid {})",
        server.db_path().display(),
        server.pid()
    );
    assert!(stderr.contains(&wanted), "wanted {wanted:?} in:\n{stderr}");

    // The first one goes on; chatd admin and SQLite readers still work.
    let listed = crate::support::admin_ok(&server, &["list"], "");
    assert!(listed.contains("alice"), "{listed}");
    let db = rusqlite::Connection::open(server.db_path()).unwrap();
    let count: i64 = db
        .query_row("SELECT count(*) FROM accounts", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 1);
    owner(&server, "alice", "correct-horse");
}

/// Stops `server` cleanly, so that chat.db holds everything, and returns it.
fn stopped_with_accounts() -> TestServer {
    let mut server = TestServer::start_with(CHEAP);
    for n in 0..20 {
        register_and_leave(&server, &format!("user{n}"), "correct-horse");
    }
    server.terminate();
    server
}

#[track_caller]
fn refused_at_start(server: &TestServer, wanted: &[&str]) -> String {
    let (ok, stderr) = serve_again(server);
    assert!(!ok, "chatd started on a bad database:\n{stderr}");
    let path = server.db_path().display().to_string();
    for text in wanted.iter().copied().chain([path.as_str()]) {
        assert!(stderr.contains(text), "wanted {text:?} in:\n{stderr}");
    }
    for sql in ["CREATE TABLE", "INSERT", "ALTER"] {
        assert!(!stderr.contains(sql), "SQL in the message:\n{stderr}");
    }
    stderr
}

#[test]
fn a_corrupted_page_is_reported_at_start() {
    let server = stopped_with_accounts();
    let db = server.db_path();
    let mut bytes = std::fs::read(&db).unwrap();
    let page = 4096;
    assert!(
        bytes.len() >= 4 * page,
        "a database of {} bytes",
        bytes.len()
    );
    // Page 3 onwards hold the tables' b-trees; garbage over one of them.
    bytes[2 * page..3 * page].fill(0xa5);
    std::fs::write(&db, bytes).unwrap();
    refused_at_start(&server, &["is damaged", "restore it from a backup"]);
}

#[test]
fn a_junk_file_is_named_and_not_taken_for_a_database() {
    let server = stopped_with_accounts();
    std::fs::write(
        server.db_path(),
        "this is a shopping list, not a database\n".repeat(200),
    )
    .unwrap();
    refused_at_start(
        &server,
        &["is not an SQLite database", "restore it from a backup"],
    );
}

/// Whether this test runs as root, whom file permissions don't stop.
fn as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The uid and gid chatd runs as in [`serve_in`] when the test is root.
const NOBODY: u32 = 65534;

/// `chatd serve` on `dir/chat.db` with `dir/chat.toml`, run to its end; as
/// root, through setpriv as nobody, so that permissions count.
fn serve_in(dir: &Path) -> (bool, String) {
    let chatd = env!("CARGO_BIN_EXE_chatd");
    let mut command = match as_root() {
        true => {
            let mut command = Command::new("setpriv");
            let id = NOBODY.to_string();
            command.args(["--reuid", &id, "--regid", &id, "--clear-groups", chatd]);
            command
        }
        false => Command::new(chatd),
    };
    command
        .arg("serve")
        .arg("--config")
        .arg(dir.join("chat.toml"))
        .arg("--db")
        .arg(dir.join("chat.db"))
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(dir);
    let out = run_to_end(command, b"", SERVER_TIMEOUT);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A world-readable directory with a copy of `server`'s database and
/// configuration, for [`serve_in`].
fn copied_to_open_dir(server: &TestServer) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for file in ["chat.db", "chat.toml"] {
        std::fs::copy(server.dir().join(file), dir.path().join(file)).unwrap();
    }
    dir
}

#[test]
fn a_read_only_database_file_is_named_with_what_to_do() {
    use std::os::unix::fs::PermissionsExt;
    let server = stopped_with_accounts();
    let dir = copied_to_open_dir(&server);
    let db = dir.path().join("chat.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    if as_root() {
        // nobody may write the directory, not the file.
        std::os::unix::fs::chown(dir.path(), Some(NOBODY), Some(NOBODY)).unwrap();
    }
    let (ok, stderr) = serve_in(dir.path());
    assert!(!ok, "chatd started on a read-only database:\n{stderr}");
    let wanted = format!("{} is read-only for this user", db.display());
    assert!(stderr.contains(&wanted), "wanted {wanted:?} in:\n{stderr}");
    assert!(!stderr.contains("CREATE"), "SQL in the message:\n{stderr}");
}

#[test]
fn a_database_in_an_unwritable_directory_is_named_with_what_to_do() {
    use std::os::unix::fs::PermissionsExt;
    let server = stopped_with_accounts();
    let dir = copied_to_open_dir(&server);
    let db = dir.path().join("chat.db");
    match as_root() {
        // nobody may write the file, not the directory (root's, 0755).
        true => std::os::unix::fs::chown(&db, Some(NOBODY), Some(NOBODY)).unwrap(),
        false => {
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap()
        }
    }
    let (ok, stderr) = serve_in(dir.path());
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(!ok, "chatd started without a writable directory:\n{stderr}");
    for wanted in [
        format!("{}.lock", db.display()),
        "must be able to write in the database's directory".to_string(),
    ] {
        assert!(stderr.contains(&wanted), "wanted {wanted:?} in:\n{stderr}");
    }
}
