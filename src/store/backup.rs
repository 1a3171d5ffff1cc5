//! `chatd admin backup FILE`: a consistent copy of the database, safe while
//! the server runs (issue 16). SQLite's online backup API copies every page
//! in one step inside one read transaction, so the copy is one moment of the
//! database, and in WAL mode the server's writes go on meanwhile. The copy
//! is written beside FILE, checked with `integrity_check`, made a single
//! file (journal mode DELETE: no -wal to forget), then renamed into place.

use std::fmt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::StoreError;

/// What a finished backup holds.
#[derive(Debug)]
pub struct BackupReport {
    pub pages: i64,
    pub accounts: i64,
}

#[derive(Debug)]
pub enum BackupError {
    /// The database to copy can't be read.
    Source(StoreError),
    /// FILE is there already; a backup never overwrites one.
    Exists(PathBuf),
    Write {
        dest: PathBuf,
        source: rusqlite::Error,
    },
    /// The copy failed its integrity check; it was deleted.
    Check { detail: String },
}

impl fmt::Display for BackupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackupError::Source(e) => write!(f, "{e}"),
            BackupError::Exists(dest) => write!(
                f,
                "{} exists already: choose a new name, or delete it first",
                dest.display()
            ),
            BackupError::Write { dest, source } => write!(
                f,
                "can't write the backup {}: {source}; check that its directory exists, is \
                 writable and has room",
                dest.display()
            ),
            BackupError::Check { detail } => write!(
                f,
                "the copy failed its integrity check ({detail}), so the database itself may be \
                 damaged; nothing was written. Check it with sqlite3 chat.db 'PRAGMA \
                 integrity_check'"
            ),
        }
    }
}

impl std::error::Error for BackupError {}

/// Copies the database at `db` to a new file `dest`.
pub fn backup(db: &Path, dest: &Path) -> Result<BackupReport, BackupError> {
    if dest.exists() {
        return Err(BackupError::Exists(dest.to_path_buf()));
    }
    let source_error = |e: rusqlite::Error| BackupError::Source(StoreError::Sqlite(e).at(db));
    // Read-only, and never created: a mistyped --db must not make an
    // empty database and "back it up".
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let source = Connection::open_with_flags(db, flags).map_err(source_error)?;
    source
        .busy_timeout(Duration::from_secs(5))
        .map_err(source_error)?;
    let mut partial = dest.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    let written = copy(&source, &partial, source_error);
    let report = match written {
        Ok(report) => report,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, dest).map_err(|e| BackupError::Write {
        dest: dest.to_path_buf(),
        source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
    })?;
    Ok(report)
}

fn copy(
    source: &Connection,
    partial: &Path,
    source_error: impl Fn(rusqlite::Error) -> BackupError,
) -> Result<BackupReport, BackupError> {
    let write_error = |source| BackupError::Write {
        dest: partial.to_path_buf(),
        source,
    };
    let mut copy = Connection::open(partial).map_err(write_error)?;
    {
        let backup = Backup::new(source, &mut copy).map_err(write_error)?;
        // -1: every page in one step, so the copy is one snapshot; a step
        // split in parts restarts whenever the server writes in between.
        loop {
            match backup.step(-1).map_err(&source_error)? {
                StepResult::Done => break,
                StepResult::More => {}
                // Busy or Locked: the server is writing; try again shortly.
                _ => thread::sleep(Duration::from_millis(50)),
            }
        }
    }
    copy.pragma_update(None, "journal_mode", "DELETE")
        .map_err(write_error)?;
    let check: String = copy
        .query_row("PRAGMA integrity_check(1)", [], |row| row.get(0))
        .map_err(write_error)?;
    if check != "ok" {
        return Err(BackupError::Check { detail: check });
    }
    let pages = copy
        .query_row("PRAGMA page_count", [], |row| row.get(0))
        .map_err(write_error)?;
    let accounts = copy
        .query_row("SELECT count(*) FROM accounts", [], |row| row.get(0))
        .unwrap_or(0);
    copy.close().map_err(|(_, e)| write_error(e))?;
    Ok(BackupReport { pages, accounts })
}
