//! The store: accounts and the hot list in SQLite. All SQL lives here. Opened
//! in WAL mode, so admins can run `sqlite3 chat.db` queries while chatd runs.
//! Calls are short; writes go through one connection and reads through
//! another, so a login's lookup never queues behind another write's fsync.
//! Chat never waits on either: the hub thread never calls the store.

mod accounts;
mod channels;
mod messages;
pub mod migrate;
mod nick_lists;

pub use crate::hub::AccountId;
pub use accounts::AccountRecord;
pub use messages::MemoKept;
pub use nick_lists::NickList;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::Connection;

/// Errors reduced to what callers act on.
#[derive(Debug)]
pub enum StoreError {
    /// The nickname is registered already.
    NickTaken,
    /// The database was written by a newer chatd.
    TooNew {
        found: usize,
        known: usize,
    },
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    Sqlite(rusqlite::Error),
    Migration(rusqlite_migration::Error),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NickTaken => write!(f, "that nickname is registered already"),
            StoreError::TooNew { found, known } => write!(
                f,
                "the database has schema version {found}, but this chatd knows versions up to \
                 {known}: it was written by a newer chatd. Run that version, or point --db at \
                 another file"
            ),
            StoreError::Open { path, source } => write!(
                f,
                "can't open the database {}: {source}; check the path and its permissions \
                 (--db or [database] path in chat.toml)",
                path.display()
            ),
            StoreError::Sqlite(e) => write!(f, "database error: {e}"),
            StoreError::Migration(e) => write!(f, "can't upgrade the database schema: {e}"),
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
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut writer = Connection::open(path).map_err(open_error)?;
        configure(&writer)?;
        // WAL: readers (ours, and an admin's sqlite3) never block the writer
        // and are never blocked by it.
        writer.pragma_update(None, "journal_mode", "WAL")?;
        migrate::to_latest(&mut writer)?;
        let reader = Connection::open(path).map_err(open_error)?;
        configure(&reader)?;
        Ok(Store {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    /// The connection for statements that change the database.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (statements
        // are atomic), so the connection is still good to use.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection for queries.
    fn read(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|e| e.into_inner())
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
