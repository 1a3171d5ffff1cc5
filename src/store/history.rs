//! Look-ups in kept channel history for IRCv3 chathistory: a channel's lines
//! before, after, around or between points (a line's id or an instant), and
//! which channels had lines in a stretch of time. Lines come back in the
//! order the hub stamped them (id order), oldest first. Whether the asker
//! may see them is the hub's business, not the store's.

use rusqlite::{params_from_iter, Connection};

use super::messages::{history_line, HISTORY_LINE};
use super::{Store, StoreError};
use crate::model::name::channel_key;
use crate::model::{HistoryLine, HistoryPoint, HistoryQuery, HistoryTarget, MessageId};

/// A line's exact time in SQL, in Unix milliseconds (see migration 0007).
const LINE_MILLIS: &str = "(at * 1000 + millis)";

/// Which lines a bound keeps, relative to its point.
#[derive(Clone, Copy)]
enum Side {
    Before,
    AtOrAfter,
    After,
}

/// Keeps the lines on one side of a point.
#[derive(Clone, Copy)]
struct Bound(Side, HistoryPoint);

impl Bound {
    /// The SQL condition, with `?` for [`Bound::value`].
    fn condition(self) -> String {
        let op = match self.0 {
            Side::Before => "<",
            Side::AtOrAfter => ">=",
            Side::After => ">",
        };
        match self.1 {
            HistoryPoint::Line(_) => format!("message_id {op} ?"),
            HistoryPoint::Time(_) => format!("{LINE_MILLIS} {op} ?"),
        }
    }

    fn value(self) -> i64 {
        match self.1 {
            // Ids are microseconds since 1970 at most: far inside i64.
            HistoryPoint::Line(MessageId(id)) => id.min(i64::MAX as u64) as i64,
            HistoryPoint::Time(millis) => millis,
        }
    }
}

/// From which end lines are counted up to the limit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Oldest,
    Newest,
}

impl Store {
    /// Up to `limit` lines of `channel`, as `query` asks, oldest first.
    pub fn history_lines(
        &self,
        channel: &str,
        query: HistoryQuery,
        limit: usize,
    ) -> Result<Vec<HistoryLine>, StoreError> {
        use {End::*, Side::*};
        let conn = self.read()?;
        let lines =
            |bounds: &[Bound], from: End, limit: usize| select(&conn, channel, bounds, from, limit);
        match query {
            HistoryQuery::Latest(None) => lines(&[], Newest, limit),
            HistoryQuery::Latest(Some(after)) => lines(&[Bound(After, after)], Newest, limit),
            HistoryQuery::Before(point) => lines(&[Bound(Before, point)], Newest, limit),
            HistoryQuery::After(point) => lines(&[Bound(After, point)], Oldest, limit),
            HistoryQuery::Around(point) => {
                let mut around = lines(&[Bound(Before, point)], Newest, limit / 2)?;
                let rest = limit - around.len();
                around.extend(lines(&[Bound(AtOrAfter, point)], Oldest, rest)?);
                Ok(around)
            }
            HistoryQuery::Between(first, second) => {
                match earlier(&conn, channel, first, second)? {
                    Some(true) => {
                        lines(&[Bound(After, first), Bound(Before, second)], Oldest, limit)
                    }
                    Some(false) => {
                        lines(&[Bound(Before, first), Bound(After, second)], Newest, limit)
                    }
                    // A point names a line this channel does not have.
                    None => Ok(Vec::new()),
                }
            }
        }
    }

    /// Of `channels`, those with lines said after `from` and before `to`
    /// (Unix milliseconds, either way round), each with its newest line's
    /// time in that stretch; up to `limit` of them, counted from `from`'s
    /// end, in the order of those times.
    pub fn history_targets(
        &self,
        channels: &[String],
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<Vec<HistoryTarget>, StoreError> {
        let conn = self.read()?;
        let mut statement = conn.prepare(&format!(
            "SELECT channel, max({LINE_MILLIS}) AS latest FROM history \
             WHERE {LINE_MILLIS} > ?1 AND {LINE_MILLIS} < ?2 GROUP BY channel ORDER BY latest"
        ))?;
        let wanted: Vec<String> = channels.iter().map(|c| channel_key(c)).collect();
        let rows = statement.query_map([from.min(to), from.max(to)], |row| {
            Ok(HistoryTarget {
                channel: row.get(0)?,
                latest: row.get(1)?,
            })
        })?;
        let mut targets = Vec::new();
        for target in rows {
            let target = target?;
            if wanted.contains(&channel_key(&target.channel)) {
                targets.push(target);
            }
        }
        if from > to {
            let skip = targets.len().saturating_sub(limit);
            targets.drain(..skip);
        } else {
            targets.truncate(limit);
        }
        Ok(targets)
    }
}

/// Whether `first` comes before `second` in `channel`'s history; `None`
/// when either names a line the channel does not have (then nothing is
/// between them). A line and an instant compare by the line's time.
fn earlier(
    conn: &Connection,
    channel: &str,
    first: HistoryPoint,
    second: HistoryPoint,
) -> Result<Option<bool>, StoreError> {
    if let (HistoryPoint::Line(a), HistoryPoint::Line(b)) = (first, second) {
        return Ok(Some(a < b));
    }
    let (Some(a), Some(b)) = (
        millis_of(conn, channel, first)?,
        millis_of(conn, channel, second)?,
    ) else {
        return Ok(None);
    };
    Ok(Some(a < b))
}

/// A point's time in Unix milliseconds: a line's own, or the instant.
fn millis_of(
    conn: &Connection,
    channel: &str,
    point: HistoryPoint,
) -> Result<Option<i64>, StoreError> {
    let HistoryPoint::Line(MessageId(id)) = point else {
        return Ok(Some(Bound(Side::Before, point).value()));
    };
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {LINE_MILLIS} FROM history WHERE channel = ?1 AND message_id = ?2"
    ))?;
    let mut rows = statement.query(rusqlite::params![channel, id])?;
    Ok(match rows.next()? {
        Some(row) => Some(row.get(0)?),
        None => None,
    })
}

/// Up to `limit` of `channel`'s lines within `bounds`, counted from one
/// end, oldest first.
fn select(
    conn: &Connection,
    channel: &str,
    bounds: &[Bound],
    from: End,
    limit: usize,
) -> Result<Vec<HistoryLine>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let conditions: String = bounds
        .iter()
        .map(|bound| format!(" AND {}", bound.condition()))
        .collect();
    let order = match from {
        End::Oldest => "ASC",
        End::Newest => "DESC",
    };
    // Only fixed text goes into the SQL; the values are bound.
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {HISTORY_LINE} FROM history WHERE channel = ?{conditions} \
         ORDER BY message_id {order} LIMIT ?"
    ))?;
    let values: Vec<rusqlite::types::Value> = std::iter::once(channel.to_string().into())
        .chain(bounds.iter().map(|bound| bound.value().into()))
        .chain(std::iter::once(
            (limit.min(i64::MAX as usize) as i64).into(),
        ))
        .collect();
    let mut lines: Vec<HistoryLine> = statement
        .query_map(params_from_iter(values), history_line)?
        .collect::<Result<_, _>>()?;
    if from == End::Newest {
        lines.reverse();
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::temp_store;

    /// Line `n` of a channel: id `n`, said at second `1000 + n`, and
    /// `n` milliseconds into it.
    fn line(n: u64) -> HistoryLine {
        HistoryLine {
            id: MessageId(n),
            at: 1000 + n as i64,
            millis: n as u16,
            nick: "ann".into(),
            text: format!("line {n}"),
            action: false,
        }
    }

    /// A store with lines 1..=10 in Weather and 11..=12 in Pets.
    fn store() -> (tempfile::TempDir, Store) {
        let (dir, store) = temp_store();
        let mut lines: Vec<(String, HistoryLine)> =
            (1..=10).map(|n| ("Weather".to_string(), line(n))).collect();
        lines.extend((11..=12).map(|n| ("Pets".to_string(), line(n))));
        store.append_history(&lines).unwrap();
        (dir, store)
    }

    fn ids(lines: Vec<HistoryLine>) -> Vec<u64> {
        lines.iter().map(|line| line.id.0).collect()
    }

    fn millis(n: u64) -> i64 {
        line(n).unix_millis()
    }

    fn asked(store: &Store, query: HistoryQuery, limit: usize) -> Vec<u64> {
        ids(store.history_lines("weather", query, limit).unwrap())
    }

    use HistoryPoint::{Line, Time};

    #[test]
    fn latest_is_the_newest_lines_oldest_first() {
        let (_dir, store) = store();
        assert_eq!(asked(&store, HistoryQuery::Latest(None), 3), [8, 9, 10]);
        let after = HistoryQuery::Latest(Some(Line(MessageId(8))));
        assert_eq!(
            asked(&store, after, 5),
            [9, 10],
            "only lines after the point"
        );
        let after = HistoryQuery::Latest(Some(Time(millis(9))));
        assert_eq!(asked(&store, after, 5), [10]);
    }

    #[test]
    fn before_and_after_leave_their_point_out() {
        let (_dir, store) = store();
        let point = Line(MessageId(5));
        assert_eq!(asked(&store, HistoryQuery::Before(point), 2), [3, 4]);
        assert_eq!(asked(&store, HistoryQuery::After(point), 2), [6, 7]);
        let point = Time(millis(5));
        assert_eq!(asked(&store, HistoryQuery::Before(point), 10), [1, 2, 3, 4]);
        assert_eq!(
            asked(&store, HistoryQuery::After(point), 10),
            [6, 7, 8, 9, 10]
        );
    }

    #[test]
    fn times_count_to_the_millisecond() {
        let (_dir, store) = store();
        let just_after_five = Time(millis(5) + 1);
        assert_eq!(asked(&store, HistoryQuery::Before(just_after_five), 1), [5]);
        let line = &store
            .history_lines("Weather", HistoryQuery::Latest(None), 1)
            .unwrap()[0];
        assert_eq!((line.at, line.millis), (1010, 10), "kept as said");
    }

    #[test]
    fn around_takes_half_before_and_the_rest_from_the_point_on() {
        let (_dir, store) = store();
        let point = Line(MessageId(5));
        assert_eq!(asked(&store, HistoryQuery::Around(point), 4), [3, 4, 5, 6]);
        assert_eq!(asked(&store, HistoryQuery::Around(point), 1), [5]);
        let near_start = Line(MessageId(1));
        assert_eq!(
            asked(&store, HistoryQuery::Around(near_start), 4),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn between_counts_from_the_first_point_either_way_round() {
        let (_dir, store) = store();
        let (two, nine) = (Line(MessageId(2)), Line(MessageId(9)));
        assert_eq!(
            asked(&store, HistoryQuery::Between(two, nine), 3),
            [3, 4, 5]
        );
        assert_eq!(
            asked(&store, HistoryQuery::Between(nine, two), 3),
            [6, 7, 8]
        );
        let mixed = HistoryQuery::Between(Time(millis(2)), nine);
        assert_eq!(asked(&store, mixed, 10), [3, 4, 5, 6, 7, 8]);
        let mixed = HistoryQuery::Between(nine, Time(millis(6)));
        assert_eq!(asked(&store, mixed, 10), [7, 8]);
        let elsewhere = HistoryQuery::Between(Line(MessageId(11)), Time(millis(1)));
        assert!(
            asked(&store, elsewhere, 10).is_empty(),
            "line 11 is in Pets"
        );
    }

    #[test]
    fn lines_are_those_of_the_channel_asked_about() {
        let (_dir, store) = store();
        let pets = store
            .history_lines("PETS", HistoryQuery::Latest(None), 10)
            .unwrap();
        assert_eq!(ids(pets), [11, 12]);
        let none = store
            .history_lines("Nowhere", HistoryQuery::Latest(None), 10)
            .unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn targets_are_the_channels_asked_about_with_their_newest_time() {
        let (_dir, store) = store();
        let both = ["weather".to_string(), "Pets".to_string()];
        let targets = store.history_targets(&both, 0, millis(12) + 1, 10).unwrap();
        let expected = [
            HistoryTarget {
                channel: "Weather".into(),
                latest: millis(10),
            },
            HistoryTarget {
                channel: "Pets".into(),
                latest: millis(12),
            },
        ];
        assert_eq!(targets, expected);
        let early = store.history_targets(&both, 0, millis(4), 10).unwrap();
        assert_eq!(early[0].latest, millis(3), "the newest line in the stretch");
        assert_eq!(early.len(), 1);
        let one = store.history_targets(&both, 0, i64::MAX, 1).unwrap();
        assert_eq!(one[0].channel, "Weather", "counted from the first time");
        let one = store.history_targets(&both, i64::MAX, 0, 1).unwrap();
        assert_eq!(one[0].channel, "Pets", "counted from the later end");
        let only_pets = store.history_targets(&both[1..], 0, i64::MAX, 10).unwrap();
        assert_eq!(only_pets.len(), 1, "channels not asked about are left out");
    }
}
