//! What is said while people are away: channel history (written in batches,
//! pruned by count and age), memos for off-line registered users, and ignore
//! lists.

use rusqlite::params;

use super::{Store, StoreError};
use crate::model::{AccountId, HistoryLine, Memo, MemoKept, MessageId};

impl Store {
    /// Appends history lines in one transaction: one fsync for the batch.
    pub fn append_history(&self, lines: &[(String, HistoryLine)]) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO history (message_id, channel, at, millis, nick, text, action) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (channel, line) in lines {
                insert.execute(params![
                    line.id.0,
                    channel,
                    line.at,
                    line.millis,
                    line.nick,
                    line.text,
                    line.action as i64
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The newest `lines` lines of every channel that has history, oldest first.
    pub fn recent_history(
        &self,
        lines: usize,
    ) -> Result<Vec<(String, Vec<HistoryLine>)>, StoreError> {
        let conn = self.read()?;
        let mut channels = conn.prepare("SELECT DISTINCT channel FROM history")?;
        let names: Vec<String> = channels
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        let mut newest = conn.prepare(&format!(
            "SELECT {HISTORY_LINE} FROM history WHERE channel = ?1 ORDER BY id DESC LIMIT ?2"
        ))?;
        let mut all = Vec::new();
        for name in names {
            let mut rows: Vec<HistoryLine> = newest
                .query_map(params![name, lines as i64], history_line)?
                .collect::<Result<_, _>>()?;
            rows.reverse();
            all.push((name, rows));
        }
        Ok(all)
    }

    /// The highest message id handed out as far as the store knows: kept
    /// with history or reserved by the hub; 0 when there is neither.
    pub fn highest_message_id(&self) -> Result<MessageId, StoreError> {
        let conn = self.read()?;
        let highest: u64 = conn.query_row(
            "SELECT max(coalesce((SELECT max(message_id) FROM history), 0), \
             coalesce((SELECT reserved FROM message_ids), 0))",
            [],
            |row| row.get(0),
        )?;
        Ok(MessageId(highest))
    }

    /// Remembers that the hub may hand out ids up to `up_to`.
    pub fn reserve_message_ids(&self, up_to: MessageId) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO message_ids (only, reserved) VALUES (1, ?1) \
             ON CONFLICT (only) DO UPDATE SET reserved = max(reserved, excluded.reserved)",
            [up_to.0],
        )?;
        Ok(())
    }

    /// Retention: keeps each channel's newest `keep` lines, none older than
    /// `before` (Unix seconds).
    pub fn prune_history(&self, keep: usize, before: i64) -> Result<usize, StoreError> {
        let conn = self.conn()?;
        let old = conn.execute("DELETE FROM history WHERE at < ?1", [before])?;
        let over = conn.execute(
            "DELETE FROM history WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER \
             (PARTITION BY channel ORDER BY id DESC) AS n FROM history) WHERE n > ?1)",
            [keep as i64],
        )?;
        Ok(old + over)
    }

    /// Keeps a memo for the account registered as `to`, unless it has `max`
    /// unread ones already.
    pub fn keep_memo(
        &self,
        to: &str,
        sender: &str,
        text: &str,
        at: i64,
        max: usize,
    ) -> Result<MemoKept, StoreError> {
        let Some(account) = self.account(to)? else {
            return Ok(MemoKept::NoAccount);
        };
        let conn = self.conn()?;
        let waiting: i64 = conn.query_row(
            "SELECT count(*) FROM memos WHERE account_id = ?1 AND read = 0",
            [account.id.0],
            |row| row.get(0),
        )?;
        if waiting as usize >= max {
            return Ok(MemoKept::Full);
        }
        conn.execute(
            "INSERT INTO memos (account_id, sender, text, sent_at) VALUES (?1, ?2, ?3, ?4)",
            params![account.id.0, sender, text, at],
        )?;
        Ok(MemoKept::Kept)
    }

    /// The account's memos, oldest first: only unread ones, or all.
    pub fn memos(&self, account: AccountId, unread_only: bool) -> Result<Vec<Memo>, StoreError> {
        let conn = self.read()?;
        let mut statement = conn.prepare(
            "SELECT sender, text, sent_at FROM memos WHERE account_id = ?1 \
             AND (read = 0 OR ?2 = 0) ORDER BY id",
        )?;
        let rows = statement.query_map(params![account.0, unread_only as i64], |row| {
            Ok(Memo {
                from: row.get(0)?,
                text: row.get(1)?,
                at: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn mark_memos_read(&self, account: AccountId) -> Result<(), StoreError> {
        self.conn()?.execute(
            "UPDATE memos SET read = 1 WHERE account_id = ?1",
            [account.0],
        )?;
        Ok(())
    }

    pub fn clear_memos(&self, account: AccountId) -> Result<(), StoreError> {
        self.conn()?
            .execute("DELETE FROM memos WHERE account_id = ?1", [account.0])?;
        Ok(())
    }
}

/// The columns [`history_line`] reads, in its order.
pub(super) const HISTORY_LINE: &str = "message_id, at, millis, nick, text, action";

/// A history row selected as [`HISTORY_LINE`].
pub(super) fn history_line(row: &rusqlite::Row) -> rusqlite::Result<HistoryLine> {
    Ok(HistoryLine {
        id: MessageId(row.get(0)?),
        at: row.get(1)?,
        millis: row.get(2)?,
        nick: row.get(3)?,
        text: row.get(4)?,
        action: row.get::<_, i64>(5)? != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NickList;

    use crate::store::temp_store as store;

    fn line(at: i64, text: &str) -> HistoryLine {
        HistoryLine {
            id: MessageId(at as u64),
            at,
            millis: 0,
            nick: "rufus".into(),
            text: text.into(),
            action: false,
        }
    }

    #[test]
    fn history_comes_back_newest_lines_in_order_and_is_pruned() {
        let (_dir, store) = store();
        let lines: Vec<(String, HistoryLine)> = (0..10)
            .map(|i| ("Weather".to_string(), line(100 + i, &format!("line {i}"))))
            .collect();
        store.append_history(&lines).unwrap();
        store
            .append_history(&[("Pets".into(), line(50, "old"))])
            .unwrap();
        let recent = store.recent_history(3).unwrap();
        let weather = &recent.iter().find(|(c, _)| c == "Weather").unwrap().1;
        let texts: Vec<&str> = weather.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["line 7", "line 8", "line 9"]);
        assert_eq!(store.prune_history(5, 60).unwrap(), 1 + 5);
        let recent = store.recent_history(100).unwrap();
        assert_eq!(recent.len(), 1, "Pets' old line is gone");
        assert_eq!(recent[0].1.len(), 5);
    }

    #[test]
    fn history_keeps_the_message_id_of_each_line_and_refuses_one_twice() {
        let (_dir, store) = store();
        assert_eq!(store.highest_message_id().unwrap(), MessageId(0));
        store
            .append_history(&[("Weather".into(), line(100, "rain"))])
            .unwrap();
        let recent = store.recent_history(10).unwrap();
        assert_eq!(recent[0].1[0].id, MessageId(100));
        assert_eq!(store.highest_message_id().unwrap(), MessageId(100));
        let again = store.append_history(&[("Pets".into(), line(100, "dup"))]);
        assert!(again.is_err(), "a message id is unique");
    }

    #[test]
    fn the_highest_message_id_counts_reservations_which_only_grow() {
        let (_dir, store) = store();
        store
            .append_history(&[("Weather".into(), line(100, "rain"))])
            .unwrap();
        store.reserve_message_ids(MessageId(5_000)).unwrap();
        assert_eq!(store.highest_message_id().unwrap(), MessageId(5_000));
        store.reserve_message_ids(MessageId(4_000)).unwrap();
        assert_eq!(store.highest_message_id().unwrap(), MessageId(5_000));
        store
            .append_history(&[("Weather".into(), line(9_000, "later"))])
            .unwrap();
        assert_eq!(store.highest_message_id().unwrap(), MessageId(9_000));
    }

    #[test]
    fn history_kept_before_message_ids_gets_ids_in_the_order_it_was_said() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chat.db");
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            crate::store::migrate::to_version(&mut conn, 4).unwrap();
            for (at, text) in [(200, "first"), (100, "second, clock set back")] {
                conn.execute(
                    "INSERT INTO history (channel, at, nick, text) VALUES ('Weather', ?1, 'ann', ?2)",
                    params![at, text],
                )
                .unwrap();
            }
        }
        let store = Store::open(&path).unwrap();
        let recent = store.recent_history(10).unwrap();
        let ids: Vec<MessageId> = recent[0].1.iter().map(|l| l.id).collect();
        assert_eq!(ids, [MessageId(1), MessageId(2)]);
        assert_eq!(store.highest_message_id().unwrap(), MessageId(2));
    }

    #[test]
    fn memos_are_kept_for_accounts_up_to_a_limit() {
        let (_dir, store) = store();
        let id = store.create_account("Bob", "$h", 1).unwrap();
        assert_eq!(
            store.keep_memo("bob", "alice", "hi", 10, 2).unwrap(),
            MemoKept::Kept
        );
        assert_eq!(
            store.keep_memo("BOB", "carl", "yo", 11, 2).unwrap(),
            MemoKept::Kept
        );
        assert_eq!(
            store.keep_memo("bob", "dan", "x", 12, 2).unwrap(),
            MemoKept::Full
        );
        assert_eq!(
            store.keep_memo("nobody", "a", "x", 1, 2).unwrap(),
            MemoKept::NoAccount
        );
        let unread = store.memos(id, true).unwrap();
        assert_eq!(unread.len(), 2);
        assert_eq!(unread[0].from, "alice");
        store.mark_memos_read(id).unwrap();
        assert!(store.memos(id, true).unwrap().is_empty());
        assert_eq!(store.memos(id, false).unwrap().len(), 2);
        store.clear_memos(id).unwrap();
        assert!(store.memos(id, false).unwrap().is_empty());
    }

    #[test]
    fn ignores_are_kept_per_account() {
        let (_dir, store) = store();
        let id = store.create_account("a", "$h", 1).unwrap();
        store
            .add_to_list(NickList::Ignores, id, "Spammer", 1)
            .unwrap();
        store
            .add_to_list(NickList::Ignores, id, "spammer", 2)
            .unwrap();
        assert_eq!(store.nick_list(NickList::Ignores, id).unwrap(), ["Spammer"]);
        store
            .remove_from_list(NickList::Ignores, id, "SPAMMER")
            .unwrap();
        assert!(store.nick_list(NickList::Ignores, id).unwrap().is_empty());
    }
}
