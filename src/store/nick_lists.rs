//! An account's lists of nicknames: the hot list (`watches`) and the ignore
//! list (`ignores`). Two tables of the same shape — account, nickname (no
//! case), when added — so one piece of code serves both.

use rusqlite::params;

use super::{Store, StoreError};
use crate::model::AccountId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NickList {
    Watches,
    Ignores,
}

impl NickList {
    /// The table; a fixed name, never from input.
    fn table(self) -> &'static str {
        match self {
            NickList::Watches => "watches",
            NickList::Ignores => "ignores",
        }
    }
}

impl Store {
    /// The list's nicknames, in the order they were added.
    pub fn nick_list(&self, list: NickList, id: AccountId) -> Result<Vec<String>, StoreError> {
        let conn = self.read()?;
        let sql = format!(
            "SELECT nick FROM {} WHERE account_id = ?1 ORDER BY added_at, nick",
            list.table()
        );
        let mut statement = conn.prepare(&sql)?;
        let rows = statement.query_map([id.0], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds `nick` (a nickname already there, in any case, stays as it was).
    pub fn add_to_list(
        &self,
        list: NickList,
        id: AccountId,
        nick: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT OR IGNORE INTO {} (account_id, nick, added_at) VALUES (?1, ?2, ?3)",
            list.table()
        );
        self.conn()?.execute(&sql, params![id.0, nick, at])?;
        Ok(())
    }

    pub fn remove_from_list(
        &self,
        list: NickList,
        id: AccountId,
        nick: &str,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "DELETE FROM {} WHERE account_id = ?1 AND nick = ?2",
            list.table()
        );
        self.conn()?.execute(&sql, params![id.0, nick])?;
        Ok(())
    }
}
