//! The one place that reads the wall clock, the time that is shown and saved.
//! The hub above all is handed a [`Now`] so that it can be tested with any
//! time it likes; everything else that needs the date asks [`unix_now`].
//! Only spans are measured elsewhere with `Instant::now` — flood buckets,
//! login throttles, the shutdown deadline — since they never say when
//! something happened.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A moment, seen by both clocks: `mono` for measuring spans (time on line,
/// idle time, timeouts) and `wall` for telling people when something happened.
#[derive(Clone, Copy, Debug)]
pub struct Now {
    pub mono: Instant,
    pub wall: SystemTime,
}

impl Now {
    /// Reads both clocks.
    pub fn read() -> Now {
        Now {
            mono: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    /// The same moment `by` later, for tests and for the hub's own bookkeeping.
    pub fn later(self, by: Duration) -> Now {
        Now {
            mono: self.mono + by,
            wall: self.wall + by,
        }
    }
}

/// The wall clock now, in seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    unix_seconds(SystemTime::now())
}

/// The wall clock now, for the IRC door's server-time on lines that carry
/// no time of their own (numerics, joins).
pub fn wall_now() -> SystemTime {
    SystemTime::now()
}

/// Seconds since the Unix epoch, as stored in the database.
pub fn unix_seconds(at: SystemTime) -> i64 {
    match at.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
    }
}

/// Milliseconds since the Unix epoch: a chat line's exact time, as history
/// keeps it for IRCv3 chathistory.
pub fn unix_millis(at: SystemTime) -> i64 {
    match at.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_millis() as i64,
        Err(before) => -(before.duration().as_millis() as i64),
    }
}

/// `HH:MM:SS`, the book's format for time on line; hours keep counting past 99.
pub fn hms(span: Duration) -> String {
    let secs = span.as_secs();
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// `YYYY-MM-DD HH:MM:SS UTC` for a Unix time, without pulling in a date crate.
pub fn utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `YYYY-MM-DDThh:mm:ss.sssZ` (ISO 8601 in UTC with milliseconds), as
/// IRCv3 server-time writes it. Times before 1970 are written as 1970.
pub fn iso8601_millis(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let unix = since.as_secs() as i64;
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        since.subsec_millis()
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a proleptic
/// Gregorian (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hms_pads_and_keeps_counting_hours() {
        assert_eq!(hms(Duration::from_secs(0)), "00:00:00");
        assert_eq!(hms(Duration::from_secs(5 * 60 + 24)), "00:05:24");
        assert_eq!(hms(Duration::from_secs(100 * 3600 + 1)), "100:00:01");
    }

    #[test]
    fn utc_formats_known_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_795_000_000), "2026-11-18 11:06:40 UTC");
    }
}
