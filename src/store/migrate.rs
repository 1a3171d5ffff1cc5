//! The schema: the numbered SQL files of `migrations/`, applied in order at
//! start inside one transaction, the version kept in SQLite's `user_version`.

use rusqlite::Connection;
use rusqlite_migration::{Migrations, SchemaVersion, M};

use super::StoreError;

/// Every migration, oldest first. Append only: a released file never changes.
const STEPS: &[&str] = &[
    include_str!("../../migrations/0001_accounts.sql"),
    include_str!("../../migrations/0002_watches.sql"),
    include_str!("../../migrations/0003_channels.sql"),
    include_str!("../../migrations/0004_history_memos_ignores.sql"),
    include_str!("../../migrations/0005_nick_skeleton.sql"),
    include_str!("../../migrations/0006_message_ids.sql"),
    include_str!("../../migrations/0007_history_millis.sql"),
    include_str!("../../migrations/0008_scram_credentials.sql"),
];

/// The schema version this chatd writes.
pub const LATEST: usize = STEPS.len();

/// Brings the database up to [`LATEST`]; refuses one written by a newer chatd.
pub fn to_latest(conn: &mut Connection) -> Result<(), StoreError> {
    let migrations = Migrations::new(STEPS.iter().map(|sql| M::up(sql)).collect());
    if let SchemaVersion::Outside(found) = migrations.current_version(conn)? {
        return Err(StoreError::TooNew {
            found: found.get(),
            known: LATEST,
        });
    }
    migrations.to_latest(conn)?;
    Ok(())
}

/// Brings the database up to `version` only; for tests of upgrades.
pub fn to_version(conn: &mut Connection, version: usize) -> Result<(), StoreError> {
    let migrations = Migrations::new(STEPS.iter().map(|sql| M::up(sql)).collect());
    migrations.to_version(conn, version)?;
    Ok(())
}
