//! Which family each hub event belongs to. The IRC and text renderers keep a
//! file per family, the UDP one a function per family, and all three
//! dispatch on this, so a new event is placed here once (the match has no
//! catch-all: the compiler asks) rather than in each door.

use crate::hub::Event;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// The connection's own account and session: logging in, registering,
    /// nickname changes, away, memos, becoming an operator.
    Account,
    /// Joining and leaving, who enters and leaves, who is in a channel, the
    /// channel list, topics, the current channel, invitations.
    Channel,
    /// Lines people say: to a channel, privately, notices and CTCP, history
    /// (replayed on join, or asked for), WALLOPS.
    Chat,
    /// Running a channel: kicks, modes, ban and invite-exception lists.
    Moderation,
    /// Answers about people and the server: who, whois, whowas, counts.
    Query,
    /// The connection's own watch and ignore lists.
    List,
    /// What the server says to this connection: notices, errors, the idle
    /// warning, closing, a door's raw line.
    Connection,
}

pub fn family(event: &Event) -> Family {
    match event {
        Event::LoggedIn { .. }
        | Event::Registered { .. }
        | Event::NickChanged { .. }
        | Event::Away(_)
        | Event::Memos(_)
        | Event::MemoStored { .. }
        | Event::MemosCleared
        | Event::YouAreOper => Family::Account,
        Event::Joined(_)
        | Event::Parted { .. }
        | Event::MemberJoined { .. }
        | Event::MemberLeft { .. }
        | Event::Members { .. }
        | Event::MemberAway { .. }
        | Event::MemberInvited { .. }
        | Event::Topic { .. }
        | Event::TopicWho { .. }
        | Event::TopicSet { .. }
        | Event::ChannelList(_)
        | Event::ChannelCreated { .. }
        | Event::ChannelDropped { .. }
        | Event::Invited { .. }
        | Event::Inviting { .. }
        | Event::CurrentChannel(_) => Family::Channel,
        Event::Public { .. }
        | Event::Private { .. }
        | Event::PrivateSent { .. }
        | Event::Aside { .. }
        | Event::AsideSent { .. }
        | Event::History { .. }
        | Event::HistoryLines { .. }
        | Event::HistoryTargets(_)
        | Event::Wallops { .. } => Family::Chat,
        Event::Kicked { .. }
        | Event::ModeChanged { .. }
        | Event::ChannelModes { .. }
        | Event::MaskList { .. } => Family::Moderation,
        Event::Who { .. }
        | Event::Whois(_)
        | Event::WhoisOffline { .. }
        | Event::WhoisAddress { .. }
        | Event::Whowas(_)
        | Event::Ison(_)
        | Event::Userhost(_)
        | Event::AwayReply { .. }
        | Event::Stats { .. } => Family::Query,
        Event::WatchList(_)
        | Event::WatchStatuses(_)
        | Event::WatchedAtLogin(_)
        | Event::Watching { .. }
        | Event::Unwatched { .. }
        | Event::WatchedLogin { .. }
        | Event::WatchedLogout { .. }
        | Event::IgnoreList(_)
        | Event::Ignoring { .. }
        | Event::Unignored { .. } => Family::List,
        Event::Notice(_) | Event::Error(_) | Event::IdleWarning { .. } | Event::Closing { .. } => {
            Family::Connection
        }
    }
}
