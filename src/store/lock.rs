//! One server per database (issue 16: two servers on one chat.db both ran,
//! and one's writes silently overwrote the other's): an advisory lock
//! (`flock`, through std's `File::try_lock`) on `chat.db.lock` beside the
//! database, taken at start and held while the server runs. SQLite itself
//! never looks at it, so `chatd admin` and `sqlite3` on the live database
//! keep working; the kernel drops the lock when the process ends, however
//! it ends, so a `kill -9` leaves nothing stale behind.

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DbLock {
    _file: File,
}

#[derive(Debug)]
pub enum LockError {
    /// Another process holds the lock; `pid` is what it wrote in the file.
    InUse {
        db: PathBuf,
        lock: PathBuf,
        pid: Option<u32>,
    },
    /// The lock file can't be made or locked.
    Io {
        lock: PathBuf,
        source: std::io::Error,
    },
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::InUse { db, lock, pid } => {
                let pid = pid.map_or("pid unknown".to_string(), |pid| format!("pid {pid}"));
                write!(
                    f,
                    "{} is in use by another chatd ({pid}): stop that server first, or point \
                     --db at another file (it holds the lock on {})",
                    db.display(),
                    lock.display()
                )
            }
            LockError::Io { lock, source } => write!(
                f,
                "can't create or lock {}: {source}; chatd must be able to write in the \
                 database's directory (for this lock and for the -wal and -shm files): check \
                 that it exists and is writable",
                lock.display()
            ),
        }
    }
}

impl std::error::Error for LockError {}

impl DbLock {
    /// Takes the lock for the database at `db`, or says which process has it.
    pub fn take(db: &Path) -> Result<DbLock, LockError> {
        let lock = lock_path(db);
        let io = |source| LockError::Io {
            lock: lock.clone(),
            source,
        };
        // Not truncated on open: the holder's pid must survive our look.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(LockError::InUse {
                    db: db.to_path_buf(),
                    lock,
                    pid: holder.trim().parse().ok(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(DbLock { _file: file })
    }
}

/// `chat.db` → `chat.db.lock`.
fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_database_is_refused_with_the_holders_pid() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("chat.db");
        let held = DbLock::take(&db).unwrap();
        match DbLock::take(&db) {
            Err(LockError::InUse { pid, lock, .. }) => {
                assert_eq!(pid, Some(std::process::id()));
                assert_eq!(lock, dir.path().join("chat.db.lock"));
            }
            other => panic!("expected InUse, got {other:?}"),
        }
        drop(held);
        DbLock::take(&db).expect("free again once dropped");
    }
}
