//! The hub's message id counter: the id and time of every chat line it
//! stamps (see `model::MessageId`), and the reservations that keep ids from
//! repeating across restarts. No clock is read here: the time comes in.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::model::{MessageId, Stamp};

/// How far ahead of the ids handed out the store is told to reserve: about
/// an hour of the wall clock's microseconds, so a busy server writes a
/// reservation about once an hour, and a restart skips at most this many.
const RESERVE_BLOCK: u64 = 3_600_000_000;

/// The hub's id counter. Its ids only grow and never repeat, across
/// restarts too:
/// - Within a run, each id is at least the one before plus one, whatever
///   the clock does: a clock that steps back only makes ids count up from
///   the last one instead of following the clock.
/// - Across a restart, the counter starts above everything the store knows
///   was handed out: the highest id kept with history, and the bound
///   *reserved* before any id near it was handed out. The reservation covers
///   the lines nothing stores (private lines, channels without history): the
///   server writes one at start, before the hub runs, and the hub asks for
///   the next half a block before the old one runs out, so it is long on disk
///   before any id past the old bound exists. A clock set back before the
///   restart therefore cannot bring an old id back.
/// - The ids also follow the wall clock (microseconds since 1970, when that
///   is ahead of the counter), so a database restored from an older backup
///   or replaced by an empty one still gets ids above the old ones, unless
///   the clock is set back as well.
///
/// The default has nothing handed out and nothing reserved: it asks for a
/// reservation with its first line.
#[derive(Clone, Debug, Default)]
pub struct MessageIds {
    last: MessageId,
    /// Ids up to this one may be handed out: the store has it on disk (or,
    /// for a reservation the hub asked for, is about to).
    reserved: MessageId,
}

impl MessageIds {
    /// What the server reserves at start, before the hub hands out any id:
    /// a block above both `handed_out`, the highest id the store knows of
    /// (kept with history or reserved), and the wall clock `now`.
    pub fn reservation_at_start(handed_out: MessageId, now: SystemTime) -> MessageId {
        let from = handed_out.0.max(micros_since_epoch(now));
        MessageId(from.saturating_add(RESERVE_BLOCK))
    }

    /// A counter that continues above `handed_out`, with ids up to
    /// `reserved` on disk as reserved.
    pub fn resume(handed_out: MessageId, reserved: MessageId) -> MessageIds {
        MessageIds {
            last: handed_out,
            reserved,
        }
    }

    /// Stamps a line the hub takes at `at`. `Some(bound)` asks the store to
    /// remember that ids up to `bound` may be handed out; the hub passes it
    /// on before the line leaves, but never waits for it.
    pub fn stamp(&mut self, at: SystemTime) -> (Stamp, Option<MessageId>) {
        let id = MessageId((self.last.0 + 1).max(micros_since_epoch(at)));
        self.last = id;
        let reserve = match id.0 >= self.reserved.0.saturating_sub(RESERVE_BLOCK / 2) {
            true => {
                self.reserved = MessageId(id.0.saturating_add(RESERVE_BLOCK));
                Some(self.reserved)
            }
            false => None,
        };
        (Stamp { id, at }, reserve)
    }
}

/// Microseconds since 1970; 0 for a clock set before it.
fn micros_since_epoch(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_micros() as u64)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn ids_strictly_increase_even_when_the_clock_steps_back() {
        let mut ids = MessageIds::default();
        let times = [1_000, 1_000, 1_001, 500, 500, 2_000, 0];
        let stamped: Vec<MessageId> = times.iter().map(|&t| ids.stamp(at(t)).0.id).collect();
        assert!(
            stamped.windows(2).all(|pair| pair[0] < pair[1]),
            "{stamped:?}"
        );
        assert_eq!(stamped[0], MessageId(1_000_000_000));
        assert_eq!(stamped[5], MessageId(2_000_000_000), "ids follow the clock");
    }

    #[test]
    fn a_restart_with_the_clock_set_back_goes_on_above_what_was_handed_out() {
        let handed_out = MessageId(5_000_000_000);
        let reserved = MessageIds::reservation_at_start(handed_out, at(10));
        assert_eq!(reserved, MessageId(5_000_000_000 + RESERVE_BLOCK));
        let mut ids = MessageIds::resume(handed_out, reserved);
        let (stamp, reserve) = ids.stamp(at(10));
        assert_eq!(stamp.id, MessageId(5_000_000_001));
        assert_eq!(stamp.at, at(10), "the hub's time is kept as it came");
        assert_eq!(reserve, None, "the start's reservation covers it");
    }

    #[test]
    fn a_start_reserves_above_the_wall_clock_when_it_is_ahead() {
        let reserved = MessageIds::reservation_at_start(MessageId(7), at(1_000));
        assert_eq!(reserved, MessageId(1_000_000_000 + RESERVE_BLOCK));
    }

    #[test]
    fn a_new_reservation_is_asked_for_half_a_block_before_it_is_needed() {
        let start = MessageIds::reservation_at_start(MessageId(0), at(100));
        let mut ids = MessageIds::resume(MessageId(0), start);
        let (_, reserve) = ids.stamp(at(100));
        assert_eq!(reserve, None);
        let just_before = at(100) + Duration::from_micros(RESERVE_BLOCK / 2 - 1);
        assert_eq!(ids.stamp(just_before).1, None);
        let (stamp, reserve) = ids.stamp(just_before);
        assert!(stamp.id.0 < start.0, "the old bound still covers this id");
        assert_eq!(reserve, Some(MessageId(stamp.id.0 + RESERVE_BLOCK)));
        assert_eq!(ids.stamp(just_before).1, None, "asked for once");
    }

    #[test]
    fn with_nothing_reserved_the_first_line_asks_for_a_reservation() {
        let mut ids = MessageIds::default();
        let (stamp, reserve) = ids.stamp(at(100));
        assert_eq!(reserve, Some(MessageId(stamp.id.0 + RESERVE_BLOCK)));
    }
}
