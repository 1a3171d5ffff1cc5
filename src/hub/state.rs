//! The hub's state machine: every user, channel and session of the server, and
//! the rules of the chat. Pure: commands and the time come in, effects go out;
//! no sockets, no clock, no disk. Logging through `log` is its only side channel.
//!
//! This file holds the state itself and [`Hub::handle`], which only hands
//! each command to the one function that runs it. Those live in the child
//! modules, by concern: `sessions` (connections arriving, idling and going),
//! `accounts` (logging in, nicknames, operators, away, memos), `chat` (lines
//! to channels and people), `channels` (joining and parting), `moderation`
//! (running channels and the server), `lists` (hot and ignore lists),
//! `history` (kept history asked for) and `queries` (questions that change
//! nothing).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::channel::{Channel, Channels, Lifetime};
use super::command::{Command, Identity};
use super::event::{ChatError, Departed, Departure, Event};
use super::kinds::{HistoryRequest, ListKind};
use super::message_ids::MessageIds;
use super::nick_index::NickIndex;
use super::session_id::{SessionId, SessionMap};
use super::stored::Stored;
use crate::clock::Now;
use crate::model::name::Nick;
use crate::model::{
    AccountId, ChannelRecord, ChannelSpec, Gline, HistoryConfig, HistoryLine, Memo, MessageId,
};

mod accounts;
mod channels;
mod chat;
mod history;
mod lists;
mod moderation;
mod queries;
mod sessions;

use chat::{AsideLine, Utterance};

pub use history::MAX_HISTORY_PAGE;
use lists::Nicknames;

/// What the hub needs to know from the configuration.
#[derive(Clone, Debug)]
pub struct HubConfig {
    pub nick_length: usize,
    pub channel_length: usize,
    /// Channel joined at login, if any; must be one of `channels`.
    pub lobby: Option<String>,
    /// The permanent channels, from chat.toml.
    pub channels: Vec<ChannelSpec>,
    /// What the database kept: channels made with /create, and the topics,
    /// modes, operators and bans of permanent ones.
    pub saved_channels: Vec<ChannelRecord>,
    pub glines: Vec<Gline>,
    pub history: HistoryConfig,
    /// Each channel's last lines, as the database kept them, oldest first.
    pub saved_history: Vec<(String, Vec<HistoryLine>)>,
    /// Where message ids go on from: above every id the store knows was
    /// handed out, with what the server reserved at start.
    pub message_ids: MessageIds,
}

/// What the hub asks the world to do, in order.
#[derive(Clone, Debug)]
pub enum Effect {
    /// Queue an event for one session.
    Deliver { to: SessionId, event: Arc<Event> },
    /// Answer a `Login` or `ChangeNick`: whether the session now has the
    /// nickname it asked for.
    LoginReply { to: SessionId, accepted: bool },
    /// The hub has forgotten this session: close its connection once what
    /// was delivered before has been written.
    Close { session: SessionId },
    /// Save something to the database, off the hub thread; once it is saved,
    /// deliver `ack` (so what a user is told has happened survives a crash).
    Store {
        write: StoreWrite,
        ack: Option<(SessionId, Arc<Event>)>,
    },
    /// `/whois` of a nickname that is not on line: the store knows whether it
    /// is registered and when it was last seen; the answer goes to `to`.
    WhoisOffline { to: SessionId, nick: String },
    /// A private message to someone off line: kept as a memo if `to` is a
    /// registered nickname with room for it (`from` hears which).
    PrivateOffline {
        from: SessionId,
        sender: String,
        to: String,
        text: String,
        at: i64,
    },
    /// `from` may read this history: the store looks it up in `readable`,
    /// the channels of the request that `from` may read (a Lines request's
    /// one, a Targets request's every one), and its answer comes back as
    /// `Stored::History`.
    History {
        from: SessionId,
        request: HistoryRequest,
        readable: Vec<String>,
    },
    /// `from` asks for their memos (or, `clear`, to delete them).
    Memos {
        from: SessionId,
        account: AccountId,
        clear: bool,
    },
}

/// Departed users remembered for WHOWAS.
const WHOWAS_KEPT: usize = 200;

/// How often old history is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// What the hub asks the store to remember.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreWrite {
    Login {
        account: AccountId,
        from: String,
        at: i64,
    },
    Logout {
        account: AccountId,
        at: i64,
    },
    /// `nick` goes on one of the account's lists.
    AddToList {
        list: ListKind,
        account: AccountId,
        nick: String,
        at: i64,
    },
    RemoveFromList {
        list: ListKind,
        account: AccountId,
        nick: String,
    },
    /// A channel's kept state, all of it (replacing what was there).
    SaveChannel(Box<ChannelRecord>),
    DropChannel {
        name: String,
    },
    AddGline(Gline),
    RemoveGline {
        mask: String,
    },
    /// A line of channel history; the store writes these in batches.
    AppendHistory {
        channel: String,
        line: HistoryLine,
    },
    /// Retention: keep the newest `keep` lines of each channel, none older
    /// than `before`.
    PruneHistory {
        keep: usize,
        before: i64,
    },
    /// The memos delivered at login are read now.
    MarkMemosRead {
        account: AccountId,
    },
    /// Message ids up to `up_to` may be handed out: the next run starts
    /// above it (see [`MessageIds`]).
    ReserveMessageIds {
        up_to: MessageId,
    },
    /// A newly registered account keeps the hot list it built as a guest.
    SaveWatches {
        account: AccountId,
        nicks: Vec<String>,
        at: i64,
    },
}

/// Longest hot list a user may keep.
pub const MAX_WATCH: usize = 100;

pub struct Hub {
    config: HubConfig,
    sessions: SessionMap<Session>,
    /// Logged-in sessions by case-folded nickname (and by look-alike class).
    nicks: NickIndex<SessionId>,
    /// chat.toml's first, in its order (the order `/channels` lists them
    /// in), then the others as they were made.
    channels: Channels,
    glines: Vec<Gline>,
    /// Most recent last.
    departed: VecDeque<Departed>,
    next_prune: Option<Instant>,
    /// Case-folded nickname to the sessions that have it on their hot list.
    watchers: HashMap<String, BTreeSet<SessionId>>,
    message_ids: MessageIds,
    /// The most users on line at once since start (LUSERS).
    peak_users: usize,
}

struct Session {
    peer: SocketAddr,
    /// Silence (since `last_active`) after which the session is logged out.
    idle_timeout: Duration,
    /// Last anything (a keepalive too): for the idle timeout.
    last_active: Instant,
    /// Last thing the user did (not a keepalive): the idle time people see.
    last_input: Instant,
    /// Told that the idle timeout is near (since `last_active`).
    warned: bool,
    /// Hears WALLOPS (IRC's user mode +w): see [`Command::HearWallops`].
    hears_wallops: bool,
    /// The ident and real name the session gave ([`Command::About`]).
    about: Option<(String, String)>,
    user: Option<User>,
}

struct User {
    nick: Nick,
    since: Now,
    /// Channel indices, least recently joined first: the last is current.
    channels: Vec<usize>,
    /// Set when the nickname is registered and its password was checked.
    account: Option<AccountId>,
    /// The hot list.
    watch: Nicknames,
    away: Option<String>,
    /// A server operator (/oper).
    oper: bool,
    /// Nicknames whose lines never reach this user.
    ignore: Nicknames,
}

/// The ident and real name to show for user `nick`, from what its session
/// said ([`Session::about`]).
fn ident_and_realname(about: &Option<(String, String)>, nick: &Nick) -> (String, String) {
    match about {
        Some((ident, realname)) => (ident.clone(), realname.clone()),
        None => (nick.to_string(), nick.to_string()),
    }
}

impl User {
    /// Takes on the account `identity` proved: its saved ignore and hot
    /// lists merge into what the user built as a guest. Returns the memos
    /// waiting for the account, and the merged hot list to save if the
    /// guest had one.
    fn adopt(&mut self, identity: Identity, at: i64) -> (Vec<Memo>, Option<StoreWrite>) {
        self.account = Some(identity.account);
        self.ignore.absorb(identity.ignore);
        let had_watches = !self.watch.is_empty();
        self.watch.absorb(identity.watch);
        // What the user watched as a guest joins the account's saved list.
        let merged_watch = had_watches.then(|| StoreWrite::SaveWatches {
            account: identity.account,
            nicks: self.watch.to_vec(),
            at,
        });
        (identity.memos, merged_watch)
    }
}

/// Collects effects; a broadcast shares one `Arc<Event>` among its receivers.
struct Out<'a>(&'a mut Vec<Effect>);

impl Out<'_> {
    /// Tells `to` what happened: once `write` is saved when there is one
    /// (so a crash can't lose what we confirmed), else at once.
    fn saved_then(&mut self, to: SessionId, write: Option<StoreWrite>, ack: Event) {
        match write {
            Some(write) => self.0.push(Effect::Store {
                write,
                ack: Some((to, Arc::new(ack))),
            }),
            None => self.send(to, ack),
        }
    }

    fn send(&mut self, to: SessionId, event: Event) {
        self.0.push(Effect::Deliver {
            to,
            event: Arc::new(event),
        });
    }

    fn error(&mut self, to: SessionId, error: ChatError) {
        self.send(to, Event::Error(error));
    }

    fn broadcast(&mut self, to: &[SessionId], event: Event) {
        let event = Arc::new(event);
        self.0.extend(to.iter().map(|&to| Effect::Deliver {
            to,
            event: Arc::clone(&event),
        }));
    }
}

impl Hub {
    pub fn new(config: HubConfig) -> Hub {
        let mut channels = Channels::default();
        for spec in &config.channels {
            let channel = Channel::new(
                spec.name.clone(),
                spec.description.clone(),
                Lifetime::Permanent,
                0,
            );
            channels.insert(channel);
        }
        for record in &config.saved_channels {
            match channels.find(&record.name) {
                Some(index) => channels[index].restore(record.clone()),
                None => {
                    let mut channel = Channel::new(
                        record.name.clone(),
                        String::new(),
                        Lifetime::Registered,
                        record.created_at,
                    );
                    channel.restore(record.clone());
                    channels.insert(channel);
                }
            }
        }
        for (name, lines) in &config.saved_history {
            if let Some(index) = channels.find(name) {
                let keep = config.history.replay;
                let skip = lines.len().saturating_sub(keep);
                channels[index].history = lines.iter().skip(skip).cloned().collect();
            }
        }
        Hub {
            departed: VecDeque::new(),
            next_prune: None,
            glines: config.glines.clone(),
            message_ids: config.message_ids.clone(),
            config,
            sessions: SessionMap::default(),
            nicks: NickIndex::default(),
            channels,
            watchers: HashMap::new(),
            peak_users: 0,
        }
    }

    /// Number of logged-in users.
    pub fn users_online(&self) -> usize {
        self.nicks.len()
    }

    /// Applies one command from one session, appending what follows to `effects`.
    pub fn handle(
        &mut self,
        now: Now,
        from: SessionId,
        command: Command,
        effects: &mut Vec<Effect>,
    ) {
        let mut out = Out(effects);
        match command {
            Command::Connect { peer, idle_timeout } => {
                return self.connect(now, from, peer, idle_timeout, &mut out)
            }
            Command::Disconnected { reason } => {
                return self.remove(now, from, Departure::Lost(reason), &mut out)
            }
            // History is checked again: who may read it can have changed
            // while the store looked.
            Command::Stored(Stored::History { request, found }) => {
                return self.history_found(from, request, found, &mut out)
            }
            // An answer from the disk is not the user doing anything, and
            // still reaches a session that logged out meanwhile.
            Command::Stored(stored) => {
                let event = stored.into_event();
                return out.0.push(Effect::Deliver { to: from, event });
            }
            _ => {}
        }
        let Some(logged_in) = self.touch(now, from, &command) else {
            // A command racing its own connection's removal: nothing to do.
            return;
        };
        match command {
            Command::Login { nick, identity } => self.login(now, from, &nick, identity, &mut out),
            Command::Quit { message } => self.quit(now, from, message, &mut out),
            Command::Ping => {}
            Command::HearWallops(on) => {
                if let Some(session) = self.sessions.get_mut(&from) {
                    session.hears_wallops = on;
                }
            }
            Command::About { ident, realname } => {
                if let Some(session) = self.sessions.get_mut(&from) {
                    session.about = Some((ident, realname));
                }
            }
            _ if !logged_in => out.error(from, ChatError::NotLoggedIn),
            command => self.user_command(now, from, command, &mut out),
        }
    }

    /// A command only a logged-in user may give, to the function that runs it.
    fn user_command(&mut self, now: Now, from: SessionId, command: Command, out: &mut Out) {
        match command {
            Command::Connect { .. }
            | Command::Disconnected { .. }
            | Command::Stored(_)
            | Command::Login { .. }
            | Command::Quit { .. }
            | Command::Ping
            | Command::HearWallops(_)
            | Command::About { .. } => unreachable!("handled before login is checked"),
            Command::Say {
                channel,
                text,
                action,
                tags,
            } => {
                let line = Utterance { text, action, tags };
                self.say(now, from, channel.as_deref(), line, out)
            }
            Command::Private {
                to,
                text,
                action,
                tags,
            } => {
                let line = Utterance { text, action, tags };
                self.private(now, from, &to, line, out)
            }
            Command::Aside {
                to,
                text,
                kind,
                tags,
            } => {
                let line = AsideLine { text, kind, tags };
                self.aside(now, from, to, line, out)
            }
            Command::Join { channel } => self.join(now, from, &channel, None, false, out),
            Command::JoinWith {
                channel,
                key,
                create,
            } => self.join(now, from, &channel, key.as_deref(), create, out),
            Command::Part { channel, reason } => self.part(from, channel.as_deref(), reason, out),
            Command::Create {
                channel,
                description,
            } => self.create(now, from, &channel, description, out),
            Command::Drop { channel } => self.drop_channel(from, &channel, out),
            Command::Topic { channel } => self.show_topic(from, channel.as_deref(), out),
            Command::SetTopic { channel, text } => {
                self.set_topic(now, from, channel.as_deref(), text, out)
            }
            Command::Mode { channel, changes } => self.mode(now, from, &channel, changes, out),
            Command::MaskList { channel, kind } => self.mask_list(from, &channel, kind, out),
            Command::Kick {
                channel,
                nick,
                reason,
            } => self.kick(from, channel.as_deref(), &nick, reason, out),
            Command::Invite { nick, channel } => self.invite(from, &nick, channel.as_deref(), out),
            Command::Oper { name } => self.oper(from, &name, out),
            Command::Kill { nick, reason } => self.kill(now, from, &nick, &reason, out),
            Command::Wallops { text } => self.wallops(now, from, text, out),
            Command::Gline { mask, reason } => self.gline(now, from, &mask, reason, out),
            Command::Ungline { mask } => self.ungline(from, &mask, out),
            Command::Identified { account } => self.identified(now, from, account, out),
            Command::ChangeNick { nick, identity } => {
                self.change_nick(now, from, &nick, identity, out)
            }
            Command::Away { message } => self.away(from, message, out),
            Command::Memos { clear } => self.memos(from, clear, out),
            Command::Watch(change) => self.edit_list(now, from, ListKind::Watch, change, out),
            Command::Ignore(change) => self.edit_list(now, from, ListKind::Ignore, change, out),
            Command::ListChannels { only } => self.list_channels(from, only.as_deref(), out),
            Command::Names {
                channel,
                unknown_is_empty,
            } => self.names(now, from, channel.as_deref(), unknown_is_empty, out),
            Command::Who { mask } => self.who(now, from, mask, out),
            Command::Whois { nick } => self.whois(now, from, nick, out),
            Command::Whowas { nick } => self.whowas(from, nick, out),
            Command::Ison { nicks } => self.ison(from, &nicks, out),
            Command::Userhost { nicks } => self.userhost(from, &nicks, out),
            Command::Stats => self.stats(from, out),
            Command::History(request) => self.history(from, request, out),
        }
    }

    /// Marks `from` active for the idle timeout; whether it is logged in, or
    /// `None` for a session the hub has already forgotten.
    fn touch(&mut self, now: Now, from: SessionId, command: &Command) -> Option<bool> {
        let session = self.sessions.get_mut(&from)?;
        session.last_active = now.mono;
        session.warned = false;
        // Keepalives (a door sends one for a line it answered itself) are
        // not the user doing anything.
        if !matches!(command, Command::Ping) {
            session.last_input = now.mono;
        }
        Some(session.user.is_some())
    }

    fn current_channel(&self, id: SessionId) -> Option<usize> {
        self.sessions
            .get(&id)?
            .user
            .as_ref()?
            .channels
            .last()
            .copied()
    }

    fn user(&self, id: SessionId) -> &User {
        self.sessions[&id]
            .user
            .as_ref()
            .expect("caller checked the session is logged in")
    }

    fn nick_of(&self, id: SessionId) -> &Nick {
        &self.sessions[&id].user.as_ref().expect("logged in").nick
    }

    fn user_mut(&mut self, id: SessionId) -> &mut User {
        self.sessions
            .get_mut(&id)
            .and_then(|s| s.user.as_mut())
            .expect("caller checked the session is logged in")
    }
}
