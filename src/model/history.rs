//! Asking for a stretch of a channel's kept history, in no protocol's words:
//! the points a request counts from (a line's id or an instant), what it
//! asks for around them, and the answer to "which channels had lines
//! then". IRCv3 `draft/chathistory` is the IRC door's spelling of these.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::MessageId;

/// A point in a channel's history that a request counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryPoint {
    /// The line with this id (IRC's `msgid=`).
    Line(MessageId),
    /// An instant, in Unix milliseconds (IRC's `timestamp=`).
    Time(i64),
}

/// Which lines, relative to the points given. Every answer is oldest line
/// first, at most the request's limit, and never includes the lines at its
/// points except for [`HistoryQuery::Around`], whose middle is included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryQuery {
    /// The newest lines; with a point, only lines after it.
    Latest(Option<HistoryPoint>),
    /// The lines just before the point.
    Before(HistoryPoint),
    /// The lines just after the point.
    After(HistoryPoint),
    /// About half before the point, the rest from it on.
    Around(HistoryPoint),
    /// The lines strictly between the two, nearest the first: counted
    /// forwards when the first is the earlier, backwards when it is the
    /// later.
    Between(HistoryPoint, HistoryPoint),
}

/// A channel with lines in a stretch of time, and when its newest line
/// there was said (Unix milliseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryTarget {
    pub channel: String,
    pub latest: i64,
}

impl HistoryTarget {
    /// When the channel's newest line in the stretch was said.
    pub fn time(&self) -> SystemTime {
        time_of_unix_millis(self.latest)
    }
}

/// The instant `millis` Unix milliseconds name.
pub(super) fn time_of_unix_millis(millis: i64) -> SystemTime {
    match u64::try_from(millis) {
        Ok(after) => UNIX_EPOCH + Duration::from_millis(after),
        Err(_) => UNIX_EPOCH - Duration::from_millis(millis.unsigned_abs()),
    }
}
