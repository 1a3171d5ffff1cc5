//! Kept channels (their topic, modes, operators and bans) and server-wide
//! bans. A channel is saved whole: its row and lists are replaced together in
//! one transaction, so what is on disk is always one consistent state.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};
use crate::model::{AccountId, ChannelRecord, Gline, MaskEntry, Topic};

impl Store {
    pub fn save_channel(&self, record: &ChannelRecord) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let topic = record.topic.as_ref();
        tx.execute(
            "INSERT INTO channels (name, description, founder_id, created_at, topic, topic_by, \
             topic_at, modes, channel_key, user_limit) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             ON CONFLICT (name) DO UPDATE SET description = excluded.description, \
             founder_id = excluded.founder_id, created_at = excluded.created_at, \
             topic = excluded.topic, topic_by = excluded.topic_by, topic_at = excluded.topic_at, \
             modes = excluded.modes, channel_key = excluded.channel_key, user_limit = excluded.user_limit",
            params![
                record.name,
                record.description,
                record.founder.map(|a| a.0),
                record.created_at,
                topic.map(|t| &t.text),
                topic.map(|t| &t.set_by),
                topic.map(|t| t.at),
                record.modes,
                record.key,
                record.limit.map(|l| l as i64),
            ],
        )?;
        tx.execute("DELETE FROM channel_ops WHERE channel = ?1", [&record.name])?;
        tx.execute(
            "DELETE FROM channel_masks WHERE channel = ?1",
            [&record.name],
        )?;
        for op in &record.ops {
            tx.execute(
                "INSERT OR IGNORE INTO channel_ops (channel, account_id) VALUES (?1, ?2)",
                params![record.name, op.0],
            )?;
        }
        for (kind, list) in [("ban", &record.bans), ("invex", &record.invite_exceptions)] {
            for (position, entry) in list.iter().enumerate() {
                tx.execute(
                    "INSERT OR IGNORE INTO channel_masks (channel, kind, mask, set_by, set_at, \
                     position) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        record.name,
                        kind,
                        entry.mask,
                        entry.set_by,
                        entry.at,
                        position as i64
                    ],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn drop_channel(&self, name: &str) -> Result<(), StoreError> {
        self.conn()?
            .execute("DELETE FROM channels WHERE name = ?1", [name])?;
        Ok(())
    }

    /// Every kept channel, oldest first.
    pub fn channels(&self) -> Result<Vec<ChannelRecord>, StoreError> {
        let conn = self.read()?;
        let mut statement = conn.prepare(
            "SELECT name, description, founder_id, created_at, topic, topic_by, topic_at, modes, \
             channel_key, user_limit FROM channels ORDER BY created_at, name",
        )?;
        let mut records: Vec<ChannelRecord> = statement
            .query_map([], |row| {
                let topic: Option<String> = row.get(4)?;
                let limit: Option<i64> = row.get(9)?;
                Ok(ChannelRecord {
                    name: row.get(0)?,
                    description: row.get(1)?,
                    founder: row.get::<_, Option<i64>>(2)?.map(AccountId),
                    created_at: row.get(3)?,
                    topic: match topic {
                        Some(text) => Some(Topic {
                            text,
                            set_by: row.get::<_, Option<String>>(5)?.unwrap_or_default(),
                            at: row.get::<_, Option<i64>>(6)?.unwrap_or_default(),
                        }),
                        None => None,
                    },
                    modes: row.get(7)?,
                    key: row.get(8)?,
                    limit: limit.map(|l| l.max(0) as usize),
                    ops: Vec::new(),
                    bans: Vec::new(),
                    invite_exceptions: Vec::new(),
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut ops = conn.prepare("SELECT account_id FROM channel_ops WHERE channel = ?1")?;
        let mut masks = conn.prepare(
            "SELECT kind, mask, set_by, set_at FROM channel_masks WHERE channel = ?1 \
             ORDER BY position",
        )?;
        for record in &mut records {
            record.ops = ops
                .query_map([&record.name], |row| Ok(AccountId(row.get(0)?)))?
                .collect::<Result<_, _>>()?;
            let rows = masks.query_map([&record.name], |row| {
                let kind: String = row.get(0)?;
                let entry = MaskEntry {
                    mask: row.get(1)?,
                    set_by: row.get(2)?,
                    at: row.get(3)?,
                };
                Ok((kind, entry))
            })?;
            for row in rows {
                let (kind, entry) = row?;
                match kind.as_str() {
                    "ban" => record.bans.push(entry),
                    _ => record.invite_exceptions.push(entry),
                }
            }
        }
        Ok(records)
    }

    pub fn add_gline(&self, gline: &Gline) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO server_bans (mask, reason, set_by, set_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (mask) DO UPDATE SET reason = excluded.reason, set_by = excluded.set_by, \
             set_at = excluded.set_at",
            params![gline.mask, gline.reason, gline.set_by, gline.at],
        )?;
        Ok(())
    }

    pub fn remove_gline(&self, mask: &str) -> Result<(), StoreError> {
        self.conn()?
            .execute("DELETE FROM server_bans WHERE mask = ?1", [mask])?;
        Ok(())
    }

    pub fn glines(&self) -> Result<Vec<Gline>, StoreError> {
        let conn = self.read()?;
        let mut statement =
            conn.prepare("SELECT mask, reason, set_by, set_at FROM server_bans ORDER BY set_at")?;
        let rows = statement.query_map([], |row| {
            Ok(Gline {
                mask: row.get(0)?,
                reason: row.get(1)?,
                set_by: row.get(2)?,
                at: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether the account registered as `nick` is a server operator.
    pub fn is_oper(&self, nick: &str) -> Result<bool, StoreError> {
        let oper: Option<i64> = self
            .read()?
            .query_row(
                "SELECT is_oper FROM accounts WHERE nick = ?1",
                [nick],
                |r| r.get(0),
            )
            .optional()?;
        Ok(oper == Some(1))
    }

    /// Makes (or unmakes) an account a server operator; false if no account.
    pub fn set_oper(&self, nick: &str, oper: bool) -> Result<bool, StoreError> {
        let changed = self.conn()?.execute(
            "UPDATE accounts SET is_oper = ?2 WHERE nick = ?1",
            params![nick, oper as i64],
        )?;
        Ok(changed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_comes_back_as_it_was_saved() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("chat.db")).unwrap();
        let founder = store.create_account("alice", "$h", 1).unwrap();
        let entry = |mask: &str| MaskEntry {
            mask: mask.into(),
            set_by: "alice".into(),
            at: 5,
        };
        let record = ChannelRecord {
            name: "Books".into(),
            description: "Reading".into(),
            founder: Some(founder),
            created_at: 3,
            topic: Some(Topic {
                text: "Dune".into(),
                set_by: "alice".into(),
                at: 4,
            }),
            modes: "+iklnt".into(),
            key: Some("sesame".into()),
            limit: Some(10),
            ops: vec![founder],
            bans: vec![entry("*!*@192.0.2.*")],
            invite_exceptions: vec![entry("$a:bob")],
        };
        store.save_channel(&record).unwrap();
        store.save_channel(&record).unwrap();
        assert_eq!(store.channels().unwrap(), std::slice::from_ref(&record));
        store.drop_channel("books").unwrap();
        assert!(store.channels().unwrap().is_empty());
    }

    #[test]
    fn server_bans_and_operators() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("chat.db")).unwrap();
        let gline = Gline {
            mask: "*!*@192.0.2.9".into(),
            reason: "spam".into(),
            set_by: "root".into(),
            at: 1,
        };
        store.add_gline(&gline).unwrap();
        assert_eq!(store.glines().unwrap(), [gline]);
        store.remove_gline("*!*@192.0.2.9").unwrap();
        assert!(store.glines().unwrap().is_empty());
        store.create_account("root", "$h", 1).unwrap();
        assert!(!store.is_oper("root").unwrap());
        assert!(store.set_oper("ROOT", true).unwrap());
        assert!(store.is_oper("root").unwrap());
        assert!(!store.set_oper("nobody", true).unwrap());
    }
}
