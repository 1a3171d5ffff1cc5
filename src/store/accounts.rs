//! Accounts (registered nicknames with their argon2id hashes) and each
//! account's hot list. Nicknames match ignoring ASCII case (`COLLATE NOCASE`),
//! as they do on line, and a new one is refused when it looks like one
//! registered already (`nick_skeleton`, issue 16).

use log::info;
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::{Store, StoreError};
use crate::model::name::skeleton;
use crate::model::{AccountId, AccountRecord, ScramCredential};

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

    /// An account registered under a nickname that looks like `nick` (the
    /// same [`skeleton`]) but is not it; the oldest if there are several.
    pub fn account_like(&self, nick: &str) -> Result<Option<AccountRecord>, StoreError> {
        look_alike(&*self.read()?, nick)
    }

    /// Registers `nick`; [`StoreError::NickTaken`] if it (in any case) is,
    /// [`StoreError::LooksLike`] if a look-alike of it is.
    pub fn create_account(
        &self,
        nick: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<AccountId, StoreError> {
        let mut conn = self.conn()?;
        // Immediate: the look-alike check and the insert see the same table.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        fill_skeletons(&tx)?;
        if let Some(existing) = look_alike(&tx, nick)? {
            return Err(StoreError::LooksLike {
                wanted: nick.to_string(),
                existing: existing.nick,
            });
        }
        let inserted = tx.execute(
            "INSERT INTO accounts (nick, password_hash, created_at, nick_skeleton) \
             VALUES (?1, ?2, ?3, ?4)",
            params![nick, password_hash, now, skeleton(nick)],
        );
        match inserted {
            Ok(_) => {
                let id = AccountId(tx.last_insert_rowid());
                tx.commit()?;
                Ok(id)
            }
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

    /// The SCRAM-SHA-256 credential of an account, if it has one yet.
    pub fn scram_credential(&self, id: AccountId) -> Result<Option<ScramCredential>, StoreError> {
        let row = self
            .read()?
            .query_row(
                "SELECT salt, iterations, stored_key, server_key FROM scram_credentials \
                 WHERE account_id = ?1",
                [id.0],
                |row| {
                    Ok(ScramCredential {
                        salt: row.get(0)?,
                        iterations: row.get(1)?,
                        stored_key: row.get(2)?,
                        server_key: row.get(3)?,
                    })
                },
            )
            .optional()?;
        Ok(row)
    }

    /// Keeps an account's SCRAM-SHA-256 credential, replacing the one it had.
    pub fn set_scram_credential(
        &self,
        id: AccountId,
        credential: &ScramCredential,
    ) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT OR REPLACE INTO scram_credentials \
             (account_id, salt, iterations, stored_key, server_key) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                id.0,
                credential.salt,
                credential.iterations,
                credential.stored_key,
                credential.server_key
            ],
        )?;
        Ok(())
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

fn look_alike(conn: &Connection, nick: &str) -> Result<Option<AccountRecord>, StoreError> {
    // `nick <> ?2` compares NOCASE, the column's collation: the account
    // that is `nick` itself is not a look-alike of it.
    let sql = format!(
        "SELECT {COLUMNS} FROM accounts WHERE nick_skeleton = ?1 AND nick <> ?2 \
         ORDER BY id LIMIT 1"
    );
    let found = conn.query_row(&sql, params![skeleton(nick), nick], record);
    Ok(found.optional()?)
}

/// [`fill_skeletons`] at start, in one transaction (one sync, however many
/// accounts an upgrade fills).
pub(super) fn fill_skeletons_at_open(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    let filled = fill_skeletons(&tx)?;
    tx.commit()?;
    if filled > 0 {
        info!("filled the look-alike class (nick_skeleton) of {filled} accounts");
    }
    Ok(())
}

/// Fills `nick_skeleton` where it is NULL: rows from before migration 0005,
/// or inserted by hand with sqlite3. The rule is Rust code ([`skeleton`]),
/// so SQL can't fill them itself. Returns how many rows it filled.
pub(super) fn fill_skeletons(conn: &Connection) -> Result<usize, StoreError> {
    let missing: Vec<(i64, String)> = conn
        .prepare("SELECT id, nick FROM accounts WHERE nick_skeleton IS NULL")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut update = conn.prepare("UPDATE accounts SET nick_skeleton = ?2 WHERE id = ?1")?;
    for (id, nick) in &missing {
        update.execute(params![id, skeleton(nick)])?;
    }
    Ok(missing.len())
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
    fn a_look_alike_of_a_registered_nickname_is_refused() {
        let (_dir, store) = store();
        let bill = store.create_account("bill", "$hash", 100).unwrap();
        match store.create_account("biII", "$other", 101) {
            Err(StoreError::LooksLike { wanted, existing }) => {
                assert_eq!((wanted.as_str(), existing.as_str()), ("biII", "bill"));
            }
            other => panic!("a look-alike was not refused: {other:?}"),
        }
        assert!(matches!(
            store.create_account("BILL", "$other", 102),
            Err(StoreError::NickTaken)
        ));
        assert_eq!(store.account_like("B1LL").unwrap().unwrap().id, bill);
        assert!(store.account_like("bill").unwrap().is_none(), "not itself");
        assert!(store.account_like("bull").unwrap().is_none());
        assert!(
            store.account("biII").unwrap().is_none(),
            "login stays exact"
        );
        assert_eq!(store.accounts().unwrap().len(), 1);
    }

    #[test]
    fn accounts_from_before_the_rule_get_skeletons_and_stay() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chat.db");
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            super::super::migrate::to_version(&mut conn, 4).unwrap();
            for nick in ["bill", "biII", "Bob"] {
                conn.execute(
                    "INSERT INTO accounts (nick, password_hash, created_at) VALUES (?1, '$h', 1)",
                    [nick],
                )
                .unwrap();
            }
        }
        let store = Store::open(&path).unwrap();
        let nulls: i64 = store
            .read()
            .unwrap()
            .query_row(
                "SELECT count(*) FROM accounts WHERE nick_skeleton IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(nulls, 0);
        // Both colliding accounts are still there, each found by its own name.
        assert_eq!(store.account("biII").unwrap().unwrap().nick, "biII");
        assert_eq!(store.account("bill").unwrap().unwrap().nick, "bill");
        assert!(matches!(
            store.create_account("B1ll", "$h", 2),
            Err(StoreError::LooksLike { .. })
        ));
        assert!(matches!(
            store.create_account("B0b", "$h", 2),
            Err(StoreError::LooksLike { .. })
        ));
        // A row an admin adds by hand is checked against from the next write on.
        store
            .conn()
            .unwrap()
            .execute(
                "INSERT INTO accounts (nick, password_hash, created_at) VALUES ('lincoln', '$h', 3)",
                [],
            )
            .unwrap();
        assert!(matches!(
            store.create_account("Linc0ln", "$h", 4),
            Err(StoreError::LooksLike { .. })
        ));
        assert!(store.create_account("Lincon", "$h", 4).is_ok());
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
