//! The store: what chatd keeps in SQLite — accounts, hot and ignore lists,
//! registered channels with their topics, modes and bans, server-wide bans,
//! channel history and memos — with the lock that keeps a second server off
//! the file and the online backup. All SQL lives here. Opened in WAL mode,
//! so admins can run `sqlite3 chat.db` queries while chatd runs. Calls are
//! short; writes go through one connection and reads through another, so a
//! login's lookup never queues behind another write's fsync. Chat never
//! waits on either: the hub thread never calls the store (the runtime's
//! store worker does the hub's writes and look-ups), and the doors call it
//! only to check a login.

mod accounts;
mod backup;
mod channels;
mod history;
mod lock;
mod messages;
pub mod migrate;
mod nick_lists;

pub use crate::model::AccountId;
pub use crate::model::AccountRecord;
pub use backup::{backup, BackupError, BackupReport};
pub use lock::{DbLock, LockError};
pub use nick_lists::NickList;

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use log::{info, warn};
use rusqlite::{Connection, ErrorCode, MAIN_DB};

/// Above this size only the accounts table is checked at start: `PRAGMA
/// quick_check` of a whole database took 0.11–0.19 s for 100 MiB and
/// 0.54–0.58 s for 518 MiB of history here (2 shared cores, page cache
/// warm), so a full check stays near a third of a second; the accounts are
/// the data nothing else can rebuild.
pub const FULL_CHECK_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Errors reduced to what callers act on.
#[derive(Debug)]
pub enum StoreError {
    /// The nickname is registered already.
    NickTaken,
    /// The nickname looks too much like the registered `existing` (issue 16).
    LooksLike {
        wanted: String,
        existing: String,
    },
    /// The database was written by a newer chatd.
    TooNew {
        found: usize,
        known: usize,
    },
    /// The database file can't be used at all; says what to do.
    Unusable {
        path: PathBuf,
        problem: Problem,
    },
    /// The server has stopped and closed the database.
    Closed,
    Sqlite(rusqlite::Error),
    Migration(rusqlite_migration::Error),
}

/// Why a database file can't be used (issue 16: each names the path and
/// says what to do, and none shows SQL).
#[derive(Debug)]
pub enum Problem {
    /// Not an SQLite file: junk, or damaged in its first page.
    NotADatabase,
    /// `quick_check` (or a read) found damage; its first complaint.
    Corrupt(String),
    /// The file can't be written by this user.
    ReadOnly,
    /// The file, or its -wal and -shm beside it, can't be opened or made.
    CantOpen(rusqlite::Error),
    Other(rusqlite::Error),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NickTaken => write!(f, "that nickname is registered already"),
            StoreError::LooksLike { wanted, existing } => write!(
                f,
                "'{wanted}' looks too much like the registered nickname '{existing}'; choose \
                 another"
            ),
            StoreError::TooNew { found, known } => write!(
                f,
                "the database has schema version {found}, but this chatd knows versions up to \
                 {known}: it was written by a newer chatd. Run that version, or point --db at \
                 another file"
            ),
            StoreError::Unusable { path, problem } => {
                let path = path.display();
                match problem {
                    Problem::NotADatabase => write!(
                        f,
                        "{path} is not an SQLite database (it is another kind of file, or its \
                         first page is damaged): restore it from a backup (chatd admin \
                         backup makes one), or point --db at another file to start afresh"
                    ),
                    Problem::Corrupt(detail) => write!(
                        f,
                        "{path} is damaged ({detail}): stop using it and restore it from a \
                         backup (chatd admin backup makes one); sqlite3 {path} .recover may \
                         save what is left"
                    ),
                    Problem::ReadOnly => write!(
                        f,
                        "{path} is read-only for this user, and chatd must write to it: make \
                         it writable (chmod u+w {path}) or run chatd as the file's owner"
                    ),
                    Problem::CantOpen(e) => write!(
                        f,
                        "can't open {path}: {}; chatd must be able to read and write it and \
                         to create {path}-wal and {path}-shm beside it, so check that its \
                         directory exists and is writable (--db or [database] path in chat.toml)",
                        reason(e)
                    ),
                    Problem::Other(e) => write!(
                        f,
                        "can't use the database {path}: {}; if it is not chatd's, point --db \
                         at another file, otherwise restore it from a backup",
                        reason(e)
                    ),
                }
            }
            StoreError::Closed => write!(f, "the database is closed: the server is stopping"),
            StoreError::Sqlite(e) => write!(f, "database error: {}", reason(e)),
            // Never with the migration's SQL (issue 16): a person can't act on it.
            StoreError::Migration(rusqlite_migration::Error::RusqliteError { err, .. }) => {
                write!(f, "can't upgrade the database schema: {}", reason(err))
            }
            StoreError::Migration(e) => write!(f, "can't upgrade the database schema: {e}"),
        }
    }
}

/// SQLite's complaint without the statement it was about: an error a
/// person reads never shows SQL (issue 16).
fn reason(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        e => e.to_string(),
    }
}

impl StoreError {
    /// The error as it concerns the database at `path`: SQLite's reasons
    /// for not using a file become [`StoreError::Unusable`].
    fn at(self, path: &Path) -> StoreError {
        let e = match self {
            StoreError::Sqlite(e) => e,
            StoreError::Migration(rusqlite_migration::Error::RusqliteError { err, .. }) => err,
            other => return other,
        };
        let problem = match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => Problem::NotADatabase,
            Some(ErrorCode::DatabaseCorrupt) => Problem::Corrupt(e.to_string()),
            Some(ErrorCode::ReadOnly) => Problem::ReadOnly,
            Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => Problem::CantOpen(e),
            _ => Problem::Other(e),
        };
        StoreError::Unusable {
            path: path.to_path_buf(),
            problem,
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Sqlite(e)
    }
}

impl From<rusqlite_migration::Error> for StoreError {
    fn from(e: rusqlite_migration::Error) -> StoreError {
        StoreError::Migration(e)
    }
}

pub struct Store {
    /// `None` once [`Store::close`] has run.
    writer: Mutex<Option<Connection>>,
    reader: Mutex<Option<Connection>>,
}

/// A connection taken from its lock; derefs to the connection.
struct Held<'a>(MutexGuard<'a, Option<Connection>>);

impl Deref for Held<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.0.as_ref().expect("checked open when taken")
    }
}

impl DerefMut for Held<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.0.as_mut().expect("checked open when taken")
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path`, checks it for
    /// damage and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_checked(path).map_err(|e| e.at(path))
    }

    fn open_checked(path: &Path) -> Result<Store, StoreError> {
        let mut writer = Connection::open(path)?;
        // SQLite opens a file it can't write read-only without a word; the
        // first write would fail halfway through the migrations.
        if writer.is_readonly(MAIN_DB)? {
            return Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
                None,
            )));
        }
        configure(&writer)?;
        quick_check(&writer, path)?;
        // WAL: readers (ours, and an admin's sqlite3) never block the writer
        // and are never blocked by it.
        writer.pragma_update(None, "journal_mode", "WAL")?;
        migrate::to_latest(&mut writer)?;
        accounts::fill_skeletons_at_open(&mut writer)?;
        let reader = Connection::open(path)?;
        configure(&reader)?;
        Ok(Store {
            writer: Mutex::new(Some(writer)),
            reader: Mutex::new(Some(reader)),
        })
    }

    /// Copies everything in the WAL into the database file and closes both
    /// connections, so the database file alone holds every change (issue
    /// 16: a backup that copies chat.db, or a deleted "stray" chat.db-wal,
    /// must lose nothing). Every later call gets [`StoreError::Closed`].
    pub fn close(&self) {
        let reader = lock(&self.reader).take();
        drop(reader);
        let Some(writer) = lock(&self.writer).take() else {
            return;
        };
        // TRUNCATE: the -wal file is left empty, even when an admin's
        // sqlite3 still has the database open and so keeps it from going.
        let checkpoint = writer.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
        });
        match checkpoint {
            Ok((0, _)) => info!("database checkpointed: the database file holds everything"),
            Ok((_, frames)) => warn!(
                "database checkpoint blocked by another reader ({frames} WAL frames left in \
                 the -wal file; the next start or the last connection to close copies them)"
            ),
            Err(e) => warn!("database checkpoint failed: {e}"),
        }
        if let Err((_, e)) = writer.close() {
            warn!("closing the database: {e}");
        }
    }

    /// The connection for statements that change the database.
    fn conn(&self) -> Result<Held<'_>, StoreError> {
        held(&self.writer)
    }

    /// The connection for queries.
    fn read(&self) -> Result<Held<'_>, StoreError> {
        held(&self.reader)
    }
}

fn lock(conn: &Mutex<Option<Connection>>) -> MutexGuard<'_, Option<Connection>> {
    // A panic while holding the lock leaves SQLite consistent (statements
    // are atomic), so the connection is still good to use.
    conn.lock().unwrap_or_else(|e| e.into_inner())
}

fn held(conn: &Mutex<Option<Connection>>) -> Result<Held<'_>, StoreError> {
    let guard = lock(conn);
    match guard.is_some() {
        true => Ok(Held(guard)),
        false => Err(StoreError::Closed),
    }
}

/// `PRAGMA quick_check`, bounded: the whole database up to
/// [`FULL_CHECK_MAX_BYTES`], only the accounts table above it (issue 16: a
/// damaged page found at start, not as every login failing later).
fn quick_check(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let has_accounts = conn
        .prepare("SELECT 1 FROM sqlite_schema WHERE name = 'accounts'")?
        .exists([])?;
    let sql = match size > FULL_CHECK_MAX_BYTES && has_accounts {
        false => "PRAGMA quick_check(1)",
        true => {
            info!(
                "{} is {} MiB: checking only its accounts table at start; check it all with \
                 sqlite3 {0} 'PRAGMA quick_check'",
                path.display(),
                size / (1024 * 1024)
            );
            "PRAGMA quick_check(accounts)"
        }
    };
    let first: String = conn.query_row(sql, [], |row| row.get(0))?;
    match first.as_str() {
        "ok" => Ok(()),
        _ => Err(StoreError::Unusable {
            path: path.to_path_buf(),
            problem: Problem::Corrupt(format!("quick_check: {first}")),
        }),
    }
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(Duration::from_secs(5))?;
    // FULL: a commit is on disk before we tell the user it happened, so
    // neither kill -9 nor a power cut loses an acknowledged registration.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// A store on a fresh database in a temp dir, for tests; keep the dir.
#[cfg(test)]
pub(crate) fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = Store::open(&dir.path().join("chat.db")).expect("a new database opens");
    (dir, store)
}
