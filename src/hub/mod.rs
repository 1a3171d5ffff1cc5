//! The hub: all chat state, as a pure state machine. [`Hub::handle`] takes a
//! [`Command`] from one session and the time, and appends [`Effect`]s: events
//! for sessions, writes and look-ups for the store, logins to answer,
//! connections to close. No threads, sockets, clock or disk here: the
//! runtime (`src/runtime/`) runs it on its thread, carries the effects out,
//! and brings the store's answers back as [`Command::Stored`].

pub mod channel;
mod command;
mod event;
#[cfg(test)]
mod history_tests;
mod kinds;
mod message_ids;
#[cfg(test)]
mod moderation_tests;
mod nick_index;
#[cfg(test)]
mod offline_tests;
mod session_id;
#[cfg(test)]
mod stamp_tests;
mod state;
mod stored;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use channel::{ChannelSummary, MaskKind};
pub use command::{ChannelMode, Command, Identity, ModeChange, Target, Watch};
pub use event::{ChatError, Departed, Departure, Event, Member, Membership, Presence, UserSummary};
pub use kinds::{Aside, HistoryRequest, ListKind};
pub use message_ids::MessageIds;
pub use session_id::{SessionId, SessionMap};
pub use state::{Effect, Hub, HubConfig, StoreWrite, MAX_HISTORY_PAGE, MAX_WATCH};
pub use stored::{HistoryFound, OfflineAccount, Stored};
// The shared types that the hub's commands, events and configuration carry.
pub use crate::model::{
    AccountId, ChannelSpec, HistoryConfig, HistoryLine, HistoryPoint, HistoryQuery, HistoryTarget,
    Memo, MessageId, Stamp,
};
