//! `chatd admin`: what an admin should not do with SQL by hand — list
//! accounts, set a password (hashed with the configured argon2 cost), delete
//! an account, back the database up. Safe while the server runs: the
//! database is in WAL mode with a busy timeout, and the server's lock
//! (`chat.db.lock`) keeps out only a second server.

use std::fmt;
use std::io::{BufRead, IsTerminal};

use argon2::{Algorithm, Argon2, Version};

use crate::auth::hash_with;
use crate::clock::{self, utc};
use crate::config::Config;
use crate::model::name::{Nick, NickError};
use crate::store::{BackupError, Store, StoreError};

#[derive(Debug)]
pub enum AdminError {
    Store(StoreError),
    NoSuchAccount(String),
    Password(String),
    /// A nickname no door would accept (issue 16: nor one with hidden characters).
    BadNick(NickError),
    Backup(BackupError),
    /// Nothing at the database path: opening it would make an empty one.
    NoDatabase(std::path::PathBuf),
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminError::Store(e) => write!(f, "{e}"),
            AdminError::NoSuchAccount(nick) => {
                write!(
                    f,
                    "no account named {nick}; `chatd admin list` shows them all"
                )
            }
            AdminError::Password(why) => write!(f, "{why}"),
            AdminError::BadNick(why) => write!(f, "{why}; nothing changed"),
            AdminError::Backup(e) => write!(f, "{e}"),
            AdminError::NoDatabase(path) => write!(
                f,
                "there is no database at {}; name the server's with --db PATH (or \
                 [database] path in chat.toml), or run `chatd serve` once to make it",
                crate::config::absolute(path).display()
            ),
        }
    }
}

impl std::error::Error for AdminError {}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> AdminError {
        AdminError::Store(e)
    }
}

/// Opens the configured database; unless `create`, only one that exists, so
/// a mistyped path is said, not answered with an empty new database.
fn open(config: &Config, create: bool) -> Result<Store, AdminError> {
    if !create && !config.database.exists() {
        return Err(AdminError::NoDatabase(config.database.clone()));
    }
    Ok(Store::open(&config.database)?)
}

/// Prints every account, one per line, with a header.
pub fn list(config: &Config) -> Result<(), AdminError> {
    let store = open(config, false)?;
    let accounts = store.accounts()?;
    println!(
        "{:<20} {:<23} {:<23} {:>6}  {:<23} last login from",
        "nick", "registered", "last login", "logins", "last seen"
    );
    let date = |at: Option<i64>| at.map(utc).unwrap_or_else(|| "-".into());
    for a in &accounts {
        println!(
            "{:<20} {:<23} {:<23} {:>6}  {:<23} {}",
            a.nick,
            utc(a.created_at),
            date(a.last_login_at),
            a.login_count,
            date(a.last_seen_at),
            a.last_login_from.as_deref().unwrap_or("-")
        );
    }
    println!(
        "{} account{}",
        accounts.len(),
        if accounts.len() == 1 { "" } else { "s" }
    );
    Ok(())
}

/// Sets a new password for `nick`, or registers `nick` if `create` is set.
/// The password is read from the terminal (twice, hidden) or, when standard
/// input is not a terminal, as one line from it.
pub fn set_password(config: &Config, nick: &str, create: bool) -> Result<(), AdminError> {
    if create {
        Nick::parse(nick, config.limits.nick_length).map_err(AdminError::BadNick)?;
    }
    let store = open(config, create)?;
    let existing = store.account(nick)?;
    if existing.is_none() && !create {
        return Err(AdminError::NoSuchAccount(nick.to_string()));
    }
    if existing.is_some() && create {
        return Err(AdminError::Store(StoreError::NickTaken));
    }
    // Before the password is typed: create_account would refuse it anyway.
    let look_alike = match create {
        true => store.account_like(nick)?,
        false => None,
    };
    if let Some(like) = look_alike {
        let (wanted, existing) = (nick.to_string(), like.nick);
        return Err(AdminError::Store(StoreError::LooksLike {
            wanted,
            existing,
        }));
    }
    let password = read_password(config.accounts.min_password_length)?;
    let cost = config.accounts.argon2;
    let params = cost.params().map_err(AdminError::Password)?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let hash = hash_with(&argon2, &password).map_err(|e| AdminError::Password(e.to_string()))?;
    let id = match existing {
        Some(account) => {
            store.set_password(account.id, &hash)?;
            println!("password of {} changed", account.nick);
            account.id
        }
        None => {
            let now = clock::unix_now();
            let id = store.create_account(nick, &hash, now)?;
            println!("{nick} registered");
            id
        }
    };
    // SASL SCRAM-SHA-256 checks this one, not the argon2 hash.
    let scram = crate::scram::credential(&password, config.accounts.scram_iterations);
    store.set_scram_credential(id, &scram)?;
    Ok(())
}

/// Deletes the account registered as `nick`, with its hot list.
pub fn delete(config: &Config, nick: &str) -> Result<(), AdminError> {
    let store = open(config, false)?;
    match store.delete_account(nick)? {
        true => {
            println!("{nick} deleted");
            Ok(())
        }
        false => Err(AdminError::NoSuchAccount(nick.to_string())),
    }
}

/// Makes (or unmakes) an account a server operator.
pub fn oper(config: &Config, nick: &str, oper: bool) -> Result<(), AdminError> {
    let store = open(config, false)?;
    match store.set_oper(nick, oper)? {
        true if oper => println!("{nick} is a server operator: /oper {nick} <password>"),
        true => println!("{nick} is no longer a server operator"),
        false => return Err(AdminError::NoSuchAccount(nick.to_string())),
    }
    Ok(())
}

/// Copies the database to the new file `dest` with SQLite's online backup.
pub fn backup(config: &Config, dest: &std::path::Path) -> Result<(), AdminError> {
    let report = crate::store::backup(&config.database, dest).map_err(AdminError::Backup)?;
    println!(
        "{} backed up to {}: {} pages, {} account{}, integrity ok",
        config.database.display(),
        dest.display(),
        report.pages,
        report.accounts,
        if report.accounts == 1 { "" } else { "s" }
    );
    Ok(())
}

/// Prints the PHC string of a password read like [`set_password`] reads it.
pub fn hash(config: &Config) -> Result<(), AdminError> {
    let password = read_password(config.accounts.min_password_length)?;
    let params = config
        .accounts
        .argon2
        .params()
        .map_err(AdminError::Password)?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let hash = hash_with(&argon2, &password).map_err(|e| AdminError::Password(e.to_string()))?;
    println!("{hash}");
    Ok(())
}

fn read_password(min_length: usize) -> Result<String, AdminError> {
    let failed = |e: std::io::Error| AdminError::Password(format!("can't read the password: {e}"));
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ").map_err(failed)?;
        let again = rpassword::prompt_password("The same password again: ").map_err(failed)?;
        if first != again {
            return Err(AdminError::Password(
                "the two passwords differ; nothing changed".into(),
            ));
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(failed)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.chars().count() < min_length {
        return Err(AdminError::Password(format!(
            "a password needs at least {min_length} characters; nothing changed"
        )));
    }
    Ok(password)
}
