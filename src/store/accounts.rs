//! Accounts (registered nicknames with their argon2id hashes) and each
//! account's hot list. Nicknames match ignoring ASCII case (`COLLATE NOCASE`),
//! as they do on line.

use rusqlite::{params, OptionalExtension, Row};

use super::{Store, StoreError};
use crate::model::AccountId;

/// One row of `accounts`.
#[derive(Clone, Debug)]
pub struct AccountRecord {
    pub id: AccountId,
    pub nick: String,
    pub password_hash: String,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    pub last_login_from: Option<String>,
    pub last_seen_at: Option<i64>,
    pub login_count: i64,
}

const COLUMNS: &str = "id, nick, password_hash, created_at, last_login_at, last_login_from, \
                       last_seen_at, login_count";

fn record(row: &Row) -> rusqlite::Result<AccountRecord> {
    Ok(AccountRecord {
        id: AccountId(row.get(0)?),
        nick: row.get(1)?,
        password_hash: row.get(2)?,
        created_at: row.get(3)?,
        last_login_at: row.get(4)?,
        last_login_from: row.get(5)?,
        last_seen_at: row.get(6)?,
        login_count: row.get(7)?,
    })
}

impl Store {
    /// The account registered under `nick` (any case), if there is one.
    pub fn account(&self, nick: &str) -> Result<Option<AccountRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM accounts WHERE nick = ?1");
        Ok(self.conn()?.query_row(&sql, [nick], record).optional()?)
    }

    /// The account with this id, if it still exists.
    pub fn account_by_id(&self, id: AccountId) -> Result<Option<AccountRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = ?1");
        Ok(self.read()?.query_row(&sql, [id.0], record).optional()?)
    }

    /// Every account, by nickname.
    pub fn accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM accounts ORDER BY nick");
        let conn = self.read()?;
        let mut statement = conn.prepare(&sql)?;
        let rows = statement.query_map([], record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Registers `nick`; [`StoreError::NickTaken`] if it (in any case) is.
    pub fn create_account(
        &self,
        nick: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<AccountId, StoreError> {
        let conn = self.conn()?;
        let inserted = conn.execute(
            "INSERT INTO accounts (nick, password_hash, created_at) VALUES (?1, ?2, ?3)",
            params![nick, password_hash, now],
        );
        match inserted {
            Ok(_) => Ok(AccountId(conn.last_insert_rowid())),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(StoreError::NickTaken)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces an account's password hash; false if the account is gone.
    pub fn set_password(&self, id: AccountId, password_hash: &str) -> Result<bool, StoreError> {
        let changed = self.conn()?.execute(
            "UPDATE accounts SET password_hash = ?2 WHERE id = ?1",
            params![id.0, password_hash],
        )?;
        Ok(changed == 1)
    }

    /// Deletes the account registered as `nick`, with its hot list; false if
    /// there was none.
    pub fn delete_account(&self, nick: &str) -> Result<bool, StoreError> {
        let deleted = self
            .conn()?
            .execute("DELETE FROM accounts WHERE nick = ?1", [nick])?;
        Ok(deleted == 1)
    }

    /// Notes a successful login.
    pub fn record_login(&self, id: AccountId, from: &str, at: i64) -> Result<(), StoreError> {
        self.conn()?.execute(
            "UPDATE accounts SET last_login_at = ?2, last_login_from = ?3, \
             login_count = login_count + 1 WHERE id = ?1",
            params![id.0, at, from],
        )?;
        Ok(())
    }

    /// Notes a logout, for "last seen".
    pub fn record_logout(&self, id: AccountId, at: i64) -> Result<(), StoreError> {
        self.conn()?.execute(
            "UPDATE accounts SET last_seen_at = ?2 WHERE id = ?1",
            params![id.0, at],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NickList;

    use crate::store::temp_store as store;

    #[test]
    fn nicknames_are_unique_ignoring_case() {
        let (_dir, store) = store();
        let id = store.create_account("Lincoln", "$hash", 100).unwrap();
        assert!(matches!(
            store.create_account("lINCOLN", "$other", 101),
            Err(StoreError::NickTaken)
        ));
        let found = store.account("LINCOLN").unwrap().unwrap();
        assert_eq!(found.id, id);
        assert_eq!(found.nick, "Lincoln");
        assert_eq!(found.created_at, 100);
        assert!(store.account("bayla").unwrap().is_none());
    }

    #[test]
    fn logins_and_logouts_are_counted_and_dated() {
        let (_dir, store) = store();
        let id = store.create_account("rufus", "$h", 1).unwrap();
        store.record_login(id, "127.0.0.1:5000", 10).unwrap();
        store.record_login(id, "127.0.0.1:5001", 20).unwrap();
        store.record_logout(id, 30).unwrap();
        let r = store.account_by_id(id).unwrap().unwrap();
        assert_eq!(r.login_count, 2);
        assert_eq!(r.last_login_at, Some(20));
        assert_eq!(r.last_login_from.as_deref(), Some("127.0.0.1:5001"));
        assert_eq!(r.last_seen_at, Some(30));
    }

    #[test]
    fn watches_belong_to_their_account_and_go_with_it() {
        let (_dir, store) = store();
        let id = store.create_account("a", "$h", 1).unwrap();
        store.add_to_list(NickList::Watches, id, "Bob", 2).unwrap();
        store.add_to_list(NickList::Watches, id, "bob", 3).unwrap();
        store
            .add_to_list(NickList::Watches, id, "carol", 4)
            .unwrap();
        assert_eq!(
            store.nick_list(NickList::Watches, id).unwrap(),
            ["Bob", "carol"]
        );
        store
            .remove_from_list(NickList::Watches, id, "BOB")
            .unwrap();
        assert_eq!(store.nick_list(NickList::Watches, id).unwrap(), ["carol"]);
        assert!(store.delete_account("A").unwrap());
        assert!(store.nick_list(NickList::Watches, id).unwrap().is_empty());
        assert!(!store.delete_account("a").unwrap());
    }

    #[test]
    fn passwords_can_be_replaced() {
        let (_dir, store) = store();
        let id = store.create_account("a", "$old", 1).unwrap();
        assert!(store.set_password(id, "$new").unwrap());
        assert_eq!(store.account("a").unwrap().unwrap().password_hash, "$new");
    }

    #[test]
    fn an_older_schema_is_upgraded_and_a_newer_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chat.db");
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            super::super::migrate::to_version(&mut conn, 1).unwrap();
        }
        let store = Store::open(&path).unwrap();
        let version: usize = store
            .conn()
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, super::super::migrate::LATEST);
        drop(store);
        rusqlite::Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = Store::open(&path).err().expect("a newer schema is refused");
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
        assert!(err.to_string().contains("newer chatd"));
    }
}
