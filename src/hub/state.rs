//! The hub's state machine: every user, channel and session of the server, and
//! the rules of the chat. Pure: commands and the time come in, effects go out;
//! no sockets, no clock, no disk. Logging through `log` is its only side channel.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use log::info;

use super::channel::{Channel, ChannelSummary, Channels, Lifetime, Who};
use super::command::{Command, DoorKind, Identity, SessionId, SessionMap, Watch};
use super::event::{ChatError, Departed, Departure, Event, UserSummary};
use crate::clock::{self, Now};
use crate::model::name::{check_channel_name, Nick};
use crate::model::{
    AccountId, ChannelRecord, ChannelSpec, Gline, HistoryConfig, HistoryLine, Memo,
};

mod moderation;

/// What the hub needs to know from the configuration.
#[derive(Clone, Debug)]
pub struct HubConfig {
    pub nick_length: usize,
    pub idle_timeout: Duration,
    /// For the book's UDP clients, which send nothing while their user only
    /// listens (the timed client says STILL_HERE about once a minute).
    pub udp_idle_timeout: Duration,
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
    AddWatch {
        account: AccountId,
        nick: String,
        at: i64,
    },
    RemoveWatch {
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
    AddIgnore {
        account: AccountId,
        nick: String,
        at: i64,
    },
    RemoveIgnore {
        account: AccountId,
        nick: String,
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
    /// Logged-in sessions by case-folded nickname.
    nicks: HashMap<String, SessionId>,
    /// chat.toml's first, in its order (the order `/channels` lists them
    /// in), then the others as they were made.
    channels: Channels,
    glines: Vec<Gline>,
    /// Most recent last.
    departed: VecDeque<Departed>,
    next_prune: Option<Instant>,
    /// Case-folded nickname to the sessions that have it on their hot list.
    watchers: HashMap<String, BTreeSet<SessionId>>,
}

struct Session {
    peer: SocketAddr,
    door: DoorKind,
    /// Last anything (a keepalive too): for the idle timeout.
    last_active: Instant,
    /// Last thing the user did (not a keepalive): the idle time people see.
    last_input: Instant,
    /// Told that the idle timeout is near (since `last_active`).
    warned: bool,
    user: Option<User>,
}

struct User {
    nick: Nick,
    since: Now,
    /// Channel indices, least recently joined first: the last is current.
    channels: Vec<usize>,
    /// Set when the nickname is registered and its password was checked.
    account: Option<AccountId>,
    /// The hot list, as the user spelled the nicknames.
    watch: Vec<String>,
    away: Option<String>,
    /// A server operator (/oper).
    oper: bool,
    /// Nicknames (as typed) whose lines never reach this user.
    ignore: Vec<String>,
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
            config,
            sessions: SessionMap::default(),
            nicks: HashMap::new(),
            channels,
            watchers: HashMap::new(),
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
            Command::Connect { peer, door } => {
                let ip = peer.ip().to_string();
                let who = Who {
                    nick: "",
                    host: &ip,
                    account: None,
                };
                if let Some(gline) = self.glines.iter().find(|g| who.matches(&g.mask)) {
                    info!("refused {peer}: banned from this server ({})", gline.reason);
                    let reason = format!("You are banned from this server: {}", gline.reason);
                    out.send(from, Event::Closing { reason });
                    out.0.push(Effect::Close { session: from });
                    return;
                }
                self.sessions.insert(
                    from,
                    Session {
                        peer,
                        door,
                        last_active: now.mono,
                        last_input: now.mono,
                        warned: false,
                        user: None,
                    },
                );
                return;
            }
            Command::Disconnected { reason } => {
                self.remove(now, from, Departure::Lost(reason), &mut out);
                return;
            }
            _ => {}
        }
        let Some(session) = self.sessions.get_mut(&from) else {
            // A command racing its own connection's removal: nothing to do.
            return;
        };
        session.last_active = now.mono;
        session.warned = false;
        // Keepalives and a door's own replies are not the user doing anything.
        if !matches!(command, Command::Ping | Command::Relay(_)) {
            session.last_input = now.mono;
        }
        let logged_in = session.user.is_some();
        match command {
            Command::Connect { .. } | Command::Disconnected { .. } => unreachable!(),
            Command::Login { nick, identity } => self.login(now, from, &nick, identity, &mut out),
            Command::Quit { message } => {
                out.send(
                    from,
                    Event::Closing {
                        reason: "Goodbye.".into(),
                    },
                );
                self.remove(now, from, Departure::Quit(message), &mut out);
            }
            Command::Ping => {}
            Command::Relay(event) => out.send(from, *event),
            _ if !logged_in => out.error(from, ChatError::NotLoggedIn),
            Command::Say { text, action } => self.say(now, from, text, action, &mut out),
            Command::Private { to, text, action } => {
                self.private(now, from, &to, text, action, &mut out)
            }
            Command::Join { channel } => self.join(from, &channel, None, false, &mut out),
            Command::JoinWith {
                channel,
                key,
                create,
            } => self.join(from, &channel, key.as_deref(), create, &mut out),
            Command::Create {
                channel,
                description,
            } => self.create(now, from, &channel, description, &mut out),
            Command::Drop { channel } => self.drop_channel(from, &channel, &mut out),
            Command::SetTopic { channel, text } => {
                self.set_topic(now, from, channel.as_deref(), text, &mut out)
            }
            Command::Mode { channel, changes } => self.mode(now, from, &channel, changes, &mut out),
            Command::MaskList { channel, kind } => self.mask_list(from, &channel, kind, &mut out),
            Command::Kick {
                channel,
                nick,
                reason,
            } => self.kick(from, channel.as_deref(), &nick, reason, &mut out),
            Command::Invite { nick, channel } => {
                self.invite(from, &nick, channel.as_deref(), &mut out)
            }
            Command::Oper { name } => {
                let user = self.user_mut(from);
                user.oper = true;
                info!("{} is now a server operator (as {name})", user.nick);
                out.send(from, Event::YouAreOper);
            }
            Command::Kill { nick, reason } => self.kill(now, from, &nick, &reason, &mut out),
            Command::Wallops { text } => self.wallops(from, text, &mut out),
            Command::Gline { mask, reason } => self.gline(now, from, &mask, reason, &mut out),
            Command::Ungline { mask } => self.ungline(from, &mask, &mut out),
            Command::Identified { account } => {
                let user = self.user_mut(from);
                user.account = Some(account);
                let nick = user.nick.to_string();
                let write = StoreWrite::SaveWatches {
                    account,
                    nicks: user.watch.clone(),
                    at: clock::unix_seconds(now.wall),
                };
                let ack = Some((from, Arc::new(Event::Registered { nick })));
                out.0.push(Effect::Store { write, ack });
            }
            Command::Watch(change) => self.watch(now, from, change, &mut out),
            Command::Ignore(change) => self.ignore(now, from, change, &mut out),
            Command::Whowas { nick } => {
                // Addresses are for server operators only, as in /whois.
                let oper = self.user(from).oper;
                let found: Vec<Departed> = self
                    .departed
                    .iter()
                    .rev()
                    .filter(|d| d.nick.eq_ignore_ascii_case(&nick))
                    .map(|d| Departed {
                        host: d.host.clone().filter(|_| oper),
                        ..d.clone()
                    })
                    .collect();
                match found.is_empty() {
                    true => out.error(from, ChatError::WasNoSuchNick(nick)),
                    false => out.send(from, Event::Whowas(found)),
                }
            }
            Command::Memos { clear } => match self.user(from).account {
                Some(account) => out.0.push(Effect::Memos {
                    from,
                    account,
                    clear,
                }),
                None => out.error(from, ChatError::NotRegistered),
            },
            Command::Part { channel } => self.part(from, channel.as_deref(), &mut out),
            Command::ListChannels => {
                let oper = self.user(from).oper;
                // Secret channels are listed only to their members.
                let list = self
                    .channels
                    .iter()
                    .filter(|(_, c)| !c.modes.secret || oper || c.members.contains(&from))
                    .map(|(_, c)| c.summary())
                    .collect();
                out.send(from, Event::ChannelList(list));
            }
            Command::Users => match self.current_channel(from) {
                Some(index) => out.send(from, self.channel_users(now, index, from)),
                None => out.error(from, ChatError::NoCurrentChannel),
            },
            Command::SayIn {
                channel,
                text,
                action,
            } => match self.channels.find(&channel) {
                Some(index) => self.say_in(now, from, index, text, action, &mut out),
                None => out.error(from, ChatError::NoSuchChannel(channel)),
            },
            Command::CurrentTopic => match self.current_channel(from) {
                Some(index) => self.send_topic(from, index, &mut out),
                None => out.error(from, ChatError::NoCurrentChannel),
            },
            Command::Topic { channel } => match self.channels.find(&channel) {
                Some(index) => self.send_topic(from, index, &mut out),
                None => out.error(from, ChatError::NoSuchChannel(channel)),
            },
            Command::WhoMask { mask } => {
                let users = self.who_mask(now, &mask, from);
                out.send(from, Event::WhoReply { mask, users });
            }
            Command::Stats => {
                let stats = Event::Stats {
                    users: self.nicks.len(),
                    channels: self.channels.len(),
                };
                out.send(from, stats);
            }
            Command::Names { channel } => match self.channels.find(&channel) {
                // A secret channel's members are its own business.
                Some(index)
                    if self.channels[index].modes.secret
                        && !self.channels[index].members.contains(&from)
                        && !self.user(from).oper =>
                {
                    let names = Event::Names {
                        channel: self.channels[index].name.clone(),
                        nicks: Vec::new(),
                    };
                    out.send(from, names)
                }
                Some(index) => out.send(from, self.names(index)),
                None => out.error(from, ChatError::NoSuchChannel(channel)),
            },
            Command::Ison { nicks } => {
                let online = nicks
                    .iter()
                    .filter_map(|nick| self.nicks.get(&nick.to_ascii_lowercase()))
                    .map(|&id| self.nick_of(id).to_string())
                    .collect();
                out.send(from, Event::Ison(online));
            }
            Command::Away { message } => {
                let message = message.filter(|m| !m.trim().is_empty());
                self.user_mut(from).away = message.clone();
                out.send(from, Event::Away(message));
            }
            Command::ChangeNick { nick, identity } => {
                self.change_nick(now, from, &nick, identity, &mut out)
            }
            Command::Who => {
                let mut everyone: Vec<(&String, &SessionId)> = self.nicks.iter().collect();
                everyone.sort();
                let users = everyone
                    .into_iter()
                    .filter_map(|(_, id)| self.summary(now, *id, from))
                    .collect();
                out.send(from, Event::Who(users));
            }
            Command::Whois { nick } => match self.nicks.get(&nick.to_ascii_lowercase()) {
                Some(&id) => {
                    let summary = self
                        .summary(now, id, from)
                        .expect("nick index points at a user");
                    let nick = summary.nick.clone();
                    out.send(from, Event::Whois(summary));
                    // The web chat of old had "query IP": operators see it.
                    if self.user(from).oper {
                        let address = self.sessions[&id].peer.to_string();
                        out.send(from, Event::WhoisAddress { nick, address });
                    }
                }
                None => out.0.push(Effect::WhoisOffline { to: from, nick }),
            },
        }
    }

    /// Logs out every session that has been silent for the idle timeout.
    pub fn tick(&mut self, now: Now, effects: &mut Vec<Effect>) {
        let timeout = |door| match door {
            DoorKind::Udp => self.config.udp_idle_timeout,
            // IRC clients answer the door's PINGs, which count here.
            DoorKind::Text | DoorKind::Irc => self.config.idle_timeout,
        };
        let mut idle: Vec<(SessionId, Duration)> = self
            .sessions
            .iter()
            .map(|(id, s)| (*id, s.last_active, timeout(s.door)))
            .filter(|(_, last, timeout)| now.mono.saturating_duration_since(*last) >= *timeout)
            .map(|(id, _, timeout)| (id, timeout))
            .collect();
        idle.sort();
        let mut out = Out(effects);
        // A minute's warning (a third of the time for short timeouts).
        let mut warn: Vec<(SessionId, Duration)> = self
            .sessions
            .iter()
            .filter(|(_, s)| !s.warned && s.user.is_some())
            .map(|(id, s)| {
                let timeout = timeout(s.door);
                let notice = Duration::from_secs(60).min(timeout / 3);
                (*id, s.last_active, timeout, notice)
            })
            .filter(|(_, last, timeout, notice)| {
                let silent = now.mono.saturating_duration_since(*last);
                silent + *notice >= *timeout && silent < *timeout
            })
            .map(|(id, last, timeout, _)| {
                (
                    id,
                    timeout.saturating_sub(now.mono.saturating_duration_since(last)),
                )
            })
            .collect();
        warn.sort();
        for (id, left) in warn {
            if let Some(session) = self.sessions.get_mut(&id) {
                session.warned = true;
            }
            let seconds = left.as_secs().max(1);
            out.send(id, Event::IdleWarning { seconds });
        }
        if self.config.history.keep > 0 && self.next_prune.is_none_or(|t| now.mono >= t) {
            self.next_prune = Some(now.mono + PRUNE_EVERY);
            let age = self.config.history.max_age;
            let before = clock::unix_seconds(now.wall) - age.as_secs() as i64;
            let write = StoreWrite::PruneHistory {
                keep: self.config.history.keep,
                before,
            };
            out.0.push(Effect::Store { write, ack: None });
        }
        for (id, timeout) in idle {
            let reason = format!("idle timeout (no input for {})", clock::hms(timeout));
            out.send(
                id,
                Event::Closing {
                    reason: reason.clone(),
                },
            );
            self.remove(now, id, Departure::Lost(reason), &mut out);
        }
    }

    /// Tells everyone the server is going down and forgets every session;
    /// registered users are recorded as last seen now.
    pub fn shutdown(&mut self, now: Now, reason: &str, effects: &mut Vec<Effect>) {
        let mut out = Out(effects);
        let mut ids: Vec<SessionId> = self.sessions.keys().copied().collect();
        ids.sort();
        for id in ids {
            let session = self.sessions.remove(&id).expect("listed above");
            if let Some(account) = session.user.and_then(|u| u.account) {
                let at = clock::unix_seconds(now.wall);
                let write = StoreWrite::Logout { account, at };
                out.0.push(Effect::Store { write, ack: None });
            }
            out.send(
                id,
                Event::Closing {
                    reason: reason.to_string(),
                },
            );
            out.0.push(Effect::Close { session: id });
        }
        self.nicks.clear();
        self.watchers.clear();
        for channel in self.channels.iter_mut() {
            channel.members.clear();
            channel.op_sessions.clear();
            channel.voiced.clear();
        }
    }

    fn login(
        &mut self,
        now: Now,
        from: SessionId,
        typed: &str,
        identity: Option<Identity>,
        out: &mut Out,
    ) {
        if self.sessions[&from].user.is_some() {
            return self.refuse_login(from, ChatError::AlreadyLoggedIn, out);
        }
        let nick = match Nick::parse(typed, self.config.nick_length) {
            Ok(nick) => nick,
            Err(why) => return self.refuse_login(from, ChatError::BadNick(why), out),
        };
        if let Some(reason) = self.glined(from, nick.as_str(), identity.is_some()) {
            out.send(from, Event::Closing { reason });
            out.0.push(Effect::LoginReply {
                to: from,
                accepted: false,
            });
            return self.remove(now, from, Departure::Lost("banned".into()), out);
        }
        if let Some(&holder) = self.nicks.get(nick.key()) {
            if identity.is_none() {
                return self.refuse_login(from, ChatError::NickInUse(nick.to_string()), out);
            }
            // The owner proved who they are: the older connection goes.
            let reason = "logged in again from elsewhere".to_string();
            out.send(
                holder,
                Event::Closing {
                    reason: reason.clone(),
                },
            );
            self.remove(now, holder, Departure::Lost(reason), out);
        }
        let session = self.sessions.get_mut(&from).expect("caller checked");
        let (account, watch, ignore, memos) = match identity {
            Some(identity) => (
                Some(identity.account),
                identity.watch,
                identity.ignore,
                identity.memos,
            ),
            None => (None, Vec::new(), Vec::new(), Vec::new()),
        };
        info!(
            "login {nick} from {}{}",
            session.peer,
            if account.is_some() {
                " (registered)"
            } else {
                ""
            }
        );
        if let Some(account) = account {
            let write = StoreWrite::Login {
                account,
                from: session.peer.to_string(),
                at: clock::unix_seconds(now.wall),
            };
            out.0.push(Effect::Store { write, ack: None });
        }
        out.send(
            from,
            Event::LoggedIn {
                nick: nick.to_string(),
            },
        );
        out.0.push(Effect::LoginReply {
            to: from,
            accepted: true,
        });
        if let Some(watchers) = self.watchers.get(nick.key()) {
            let watchers: Vec<SessionId> = watchers.iter().copied().collect();
            out.broadcast(
                &watchers,
                Event::WatchedLogin {
                    nick: nick.to_string(),
                },
            );
        }
        for watched in &watch {
            self.watchers
                .entry(watched.to_ascii_lowercase())
                .or_default()
                .insert(from);
        }
        self.nicks.insert(nick.key().to_string(), from);
        session.user = Some(User {
            nick,
            since: now,
            channels: Vec::new(),
            account,
            watch,
            away: None,
            oper: false,
            ignore,
        });
        if let Some(account) = account {
            self.deliver_memos(from, account, memos, out);
        }
        if !self.user_mut(from).watch.is_empty() {
            let entries = self.watch_entries(from);
            out.send(from, Event::WatchedAtLogin(entries));
        }
        if let Some(lobby) = self.config.lobby.clone() {
            self.join(from, &lobby, None, false, out);
        }
    }

    fn refuse_login(&mut self, from: SessionId, why: ChatError, out: &mut Out) {
        out.error(from, why);
        out.0.push(Effect::LoginReply {
            to: from,
            accepted: false,
        });
    }

    fn watch(&mut self, now: Now, from: SessionId, change: Watch, out: &mut Out) {
        let nick_length = self.config.nick_length;
        // Borrowed field by field: the user, and the nick index beside it.
        let user = self
            .sessions
            .get_mut(&from)
            .and_then(|s| s.user.as_mut())
            .expect("caller checked the session is logged in");
        let account = user.account;
        let position =
            |user: &User, nick: &str| user.watch.iter().position(|w| w.eq_ignore_ascii_case(nick));
        let (ack, write) = match change {
            Watch::List => {
                let entries = self.watch_entries(from);
                return out.send(from, Event::WatchList(entries));
            }
            Watch::Add(typed) => {
                let nick = match Nick::parse(&typed, nick_length) {
                    Ok(nick) => nick,
                    Err(why) => return out.error(from, ChatError::BadNick(why)),
                };
                let online = self.nicks.contains_key(nick.key());
                let ack = Event::Watching {
                    nick: nick.to_string(),
                    online,
                };
                if position(user, nick.as_str()).is_some() {
                    return out.send(from, ack);
                }
                if user.watch.len() >= MAX_WATCH {
                    return out.error(from, ChatError::WatchListFull { max: MAX_WATCH });
                }
                user.watch.push(nick.to_string());
                self.watchers
                    .entry(nick.key().to_string())
                    .or_default()
                    .insert(from);
                let write = account.map(|account| StoreWrite::AddWatch {
                    account,
                    nick: nick.to_string(),
                    at: clock::unix_seconds(now.wall),
                });
                (ack, write)
            }
            Watch::Clear => {
                let cleared = std::mem::take(&mut user.watch);
                for nick in &cleared {
                    self.unwatch(from, nick);
                }
                if let Some(account) = account {
                    for nick in cleared {
                        let write = StoreWrite::RemoveWatch { account, nick };
                        out.0.push(Effect::Store { write, ack: None });
                    }
                }
                return out.send(from, Event::WatchList(Vec::new()));
            }
            Watch::Remove(typed) => {
                let Some(index) = position(user, &typed) else {
                    return out.error(from, ChatError::NotWatching(typed));
                };
                let nick = user.watch.remove(index);
                self.unwatch(from, &nick);
                let write = account.map(|account| StoreWrite::RemoveWatch {
                    account,
                    nick: nick.clone(),
                });
                (Event::Unwatched { nick }, write)
            }
        };
        out.saved_then(from, write, ack);
    }

    /// The ignore list: kept in the hub (it filters lines there), saved for
    /// registered users.
    fn ignore(&mut self, now: Now, from: SessionId, change: Watch, out: &mut Out) {
        let nick_length = self.config.nick_length;
        let at = clock::unix_seconds(now.wall);
        let user = self.user_mut(from);
        let account = user.account;
        let position = user.ignore.iter().position(|i| match &change {
            Watch::Add(nick) | Watch::Remove(nick) => i.eq_ignore_ascii_case(nick),
            _ => false,
        });
        let (ack, write) = match change {
            Watch::List => return out.send(from, Event::IgnoreList(user.ignore.clone())),
            Watch::Clear => {
                let cleared = std::mem::take(&mut user.ignore);
                if let Some(account) = account {
                    for nick in cleared {
                        let write = StoreWrite::RemoveIgnore { account, nick };
                        out.0.push(Effect::Store { write, ack: None });
                    }
                }
                return out.send(from, Event::IgnoreList(Vec::new()));
            }
            Watch::Add(typed) => {
                let nick = match Nick::parse(&typed, nick_length) {
                    Ok(nick) => nick.to_string(),
                    Err(why) => return out.error(from, ChatError::BadNick(why)),
                };
                if position.is_some() {
                    return out.send(from, Event::Ignoring { nick });
                }
                if user.ignore.len() >= MAX_WATCH {
                    return out.error(from, ChatError::WatchListFull { max: MAX_WATCH });
                }
                user.ignore.push(nick.clone());
                let write = account.map(|account| StoreWrite::AddIgnore {
                    account,
                    nick: nick.clone(),
                    at,
                });
                (Event::Ignoring { nick }, write)
            }
            Watch::Remove(typed) => {
                let Some(index) = position else {
                    return out.error(from, ChatError::NotIgnoring(typed));
                };
                let nick = user.ignore.remove(index);
                let write = account.map(|account| StoreWrite::RemoveIgnore {
                    account,
                    nick: nick.clone(),
                });
                (Event::Unignored { nick }, write)
            }
        };
        out.saved_then(from, write, ack);
    }

    /// Takes `watcher` off the index of who watches `nick`.
    fn unwatch(&mut self, watcher: SessionId, nick: &str) {
        let key = nick.to_ascii_lowercase();
        if let Some(set) = self.watchers.get_mut(&key) {
            set.remove(&watcher);
            if set.is_empty() {
                self.watchers.remove(&key);
            }
        }
    }

    fn say(&mut self, now: Now, from: SessionId, text: String, action: bool, out: &mut Out) {
        if text.is_empty() {
            return out.error(from, ChatError::EmptyMessage);
        }
        let Some(index) = self.current_channel(from) else {
            return out.error(from, ChatError::NoCurrentChannel);
        };
        self.say_in(now, from, index, text, action, out);
    }

    /// A line to channel `index`, if its modes let `from` say it.
    fn say_in(
        &mut self,
        now: Now,
        from: SessionId,
        index: usize,
        text: String,
        action: bool,
        out: &mut Out,
    ) {
        if text.is_empty() {
            return out.error(from, ChatError::EmptyMessage);
        }
        let channel = &self.channels[index];
        let member = channel.members.contains(&from);
        let user = self.user(from);
        let op = channel.is_op(from, user.account, user.oper);
        let voiced = channel.voiced.contains(&from);
        // RFC 2812: ERR_CANNOTSENDTOCHAN for +n, +m, +C and the banned alike;
        // a banned member stays but is silent unless voiced, as on IRC servers.
        let refused = (!member && channel.modes.no_outside)
            || (!op && !voiced && self.banned_here(from, index))
            || (channel.modes.moderated && !op && !voiced)
            || (channel.modes.no_ctcp && action);
        if refused {
            return out.error(from, ChatError::CannotSendToChan(channel.name.clone()));
        }
        let nick = self.nick_of(from).to_string();
        // Ignoring is done here, not by clients: the line never leaves.
        let hearers: Vec<SessionId> = channel
            .members
            .iter()
            .copied()
            .filter(|&m| !self.ignores(m, &nick))
            .collect();
        let name = channel.name.clone();
        if self.config.history.replay > 0 {
            let line = HistoryLine {
                at: clock::unix_seconds(now.wall),
                nick: nick.clone(),
                text: text.clone(),
                action,
            };
            let replay = self.config.history.replay;
            let history = &mut self.channels[index].history;
            if history.len() >= replay {
                history.pop_front();
            }
            history.push_back(line.clone());
            if self.channels[index].is_saved() {
                let write = StoreWrite::AppendHistory {
                    channel: name.clone(),
                    line,
                };
                out.0.push(Effect::Store { write, ack: None });
            }
        }
        let event = Event::Public {
            channel: name,
            from: nick,
            text,
            action,
        };
        // The sender hears its own line too: the book's client shows nothing
        // else to confirm it was sent.
        out.broadcast(&hearers, event);
    }

    /// Whether `listener` has `nick` on their ignore list.
    /// The session's hot list, with who on it is on line.
    fn watch_entries(&self, session: SessionId) -> Vec<(String, bool)> {
        let Some(user) = self.sessions[&session].user.as_ref() else {
            return Vec::new();
        };
        user.watch
            .iter()
            .map(|nick| {
                let online = self.nicks.contains_key(&nick.to_ascii_lowercase());
                (nick.clone(), online)
            })
            .collect()
    }

    fn ignores(&self, listener: SessionId, nick: &str) -> bool {
        self.sessions[&listener]
            .user
            .as_ref()
            .is_some_and(|u| u.ignore.iter().any(|i| i.eq_ignore_ascii_case(nick)))
    }

    fn private(
        &mut self,
        now: Now,
        from: SessionId,
        to: &str,
        text: String,
        action: bool,
        out: &mut Out,
    ) {
        if to.is_empty() {
            return out.error(from, ChatError::NoRecipient);
        }
        if text.is_empty() {
            return out.error(from, ChatError::EmptyMessage);
        }
        let Some(&target) = self.nicks.get(&to.to_ascii_lowercase()) else {
            // The store keeps it if `to` is registered, or says no such nick.
            let sender = self.nick_of(from).to_string();
            return out.0.push(Effect::PrivateOffline {
                from,
                sender,
                to: to.to_string(),
                text,
                at: clock::unix_seconds(now.wall),
            });
        };
        let sender = self.nick_of(from).to_string();
        if self.ignores(target, &sender) {
            // The sender is not told: ignoring is not announced.
            let to = self.nick_of(target).to_string();
            return out.send(from, Event::PrivateSent { to, text, action });
        }
        let recipient = self.nick_of(target).to_string();
        let away = self.sessions[&target]
            .user
            .as_ref()
            .and_then(|u| u.away.clone());
        out.send(
            target,
            Event::Private {
                from: sender,
                text: text.clone(),
                action,
            },
        );
        out.send(
            from,
            Event::PrivateSent {
                to: recipient.clone(),
                text,
                action,
            },
        );
        if let Some(message) = away {
            out.send(
                from,
                Event::AwayReply {
                    nick: recipient,
                    message,
                },
            );
        }
    }

    /// Joins (or, for a channel `from` is in, makes current) a channel, if
    /// its bans, invitation, key and limit allow. With `create`, an unknown
    /// name makes a transient channel whose first member is its operator.
    fn join(
        &mut self,
        from: SessionId,
        typed: &str,
        key: Option<&str>,
        create: bool,
        out: &mut Out,
    ) {
        let index = match self.channels.find(typed) {
            Some(index) => index,
            None if create => {
                let name = typed.strip_prefix('#').unwrap_or(typed);
                if let Err(why) = check_channel_name(name, self.config.channel_length) {
                    return out.error(from, ChatError::BadChannelName(why));
                }
                let channel = Channel::new(name.to_string(), String::new(), Lifetime::Transient, 0);
                let index = self.channels.insert(channel);
                self.channels[index].op_sessions.insert(from);
                index
            }
            None => return out.error(from, ChatError::NoSuchChannel(typed.to_string())),
        };
        let user = self.user(from);
        if let Some(pos) = user.channels.iter().position(|&c| c == index) {
            // Already a member: joining again only makes it current.
            let user = self.user_mut(from);
            user.channels.remove(pos);
            user.channels.push(index);
            return out.send(from, Event::Joined(self.channels[index].summary()));
        }
        if let Some(error) = self.join_refusal(from, index, key) {
            return out.error(from, error);
        }
        let user = self.user_mut(from);
        user.channels.push(index);
        let nick = user.nick.to_string();
        let channel = &mut self.channels[index];
        channel.invited.remove(&nick.to_ascii_lowercase());
        out.broadcast(
            &channel.members,
            Event::MemberJoined {
                channel: channel.name.clone(),
                nick,
            },
        );
        channel.members.push(from);
        out.send(from, Event::Joined(self.channels[index].summary()));
        // A topic someone set is shown on join, before the names as on IRC.
        if self.channels[index].topic.is_some() {
            self.send_topic(from, index, out);
        }
        out.send(from, self.names(index));
        let channel = &self.channels[index];
        let lines: Vec<HistoryLine> = channel
            .history
            .iter()
            .filter(|line| !self.ignores(from, &line.nick))
            .cloned()
            .collect();
        if !lines.is_empty() {
            let history = Event::History {
                channel: channel.name.clone(),
                lines,
            };
            out.send(from, history);
        }
    }

    /// Hands over the memos kept for a user who just proved who they are
    /// (none from nicknames they ignore), then marks them all read.
    fn deliver_memos(
        &mut self,
        to: SessionId,
        account: AccountId,
        memos: Vec<Memo>,
        out: &mut Out,
    ) {
        if memos.is_empty() {
            return;
        }
        let memos: Vec<_> = memos
            .into_iter()
            .filter(|memo| !self.ignores(to, &memo.from))
            .collect();
        if !memos.is_empty() {
            out.send(to, Event::Memos(memos));
        }
        let write = StoreWrite::MarkMemosRead { account };
        out.0.push(Effect::Store { write, ack: None });
    }

    /// Why `from` may not join channel `index`, if they may not. Operators
    /// (of the server or the channel) go where they like.
    fn join_refusal(&self, from: SessionId, index: usize, key: Option<&str>) -> Option<ChatError> {
        let channel = &self.channels[index];
        let user = self.user(from);
        if channel.is_op(from, user.account, user.oper) {
            return None;
        }
        let host = self.sessions[&from].peer.ip().to_string();
        let who = Who {
            nick: user.nick.as_str(),
            host: &host,
            account: user.account.map(|_| user.nick.as_str()),
        };
        let name = channel.name.clone();
        if channel.is_banned(&who) {
            Some(ChatError::BannedFromChan(name))
        } else if channel.modes.invite_only && !channel.is_invited(&who) {
            Some(ChatError::InviteOnlyChan(name))
        } else if channel.modes.key.is_some() && key.is_none() {
            Some(ChatError::ChannelNeedsKey(name))
        } else if channel.modes.key.is_some() && channel.modes.key.as_deref() != key {
            Some(ChatError::BadChannelKey(name))
        } else if channel
            .modes
            .limit
            .is_some_and(|limit| channel.members.len() >= limit)
        {
            Some(ChatError::ChannelIsFull(name))
        } else {
            None
        }
    }

    fn part(&mut self, from: SessionId, typed: Option<&str>, out: &mut Out) {
        let index = match typed {
            None => match self.current_channel(from) {
                Some(index) => index,
                None => return out.error(from, ChatError::NoCurrentChannel),
            },
            Some(typed) => match self.channels.find(typed) {
                Some(index) => index,
                None => return out.error(from, ChatError::NoSuchChannel(typed.to_string())),
            },
        };
        let user = self.user_mut(from);
        let Some(pos) = user.channels.iter().position(|&c| c == index) else {
            let name = self.channels[index].name.clone();
            return out.error(from, ChatError::NotInChannel(name));
        };
        let was_current = pos + 1 == user.channels.len();
        user.channels.remove(pos);
        let new_current = user.channels.last().copied().filter(|_| was_current);
        let nick = user.nick.to_string();
        let left = self.channels[index].summary();
        self.leave_channel(from, index, nick, Departure::Parted, out);
        out.send(
            from,
            Event::Parted {
                left: ChannelSummary {
                    users: left.users - 1,
                    ..left
                },
                current: new_current.map(|i| self.channels[i].summary()),
            },
        );
    }

    /// Takes `id` out of channel `index`'s member list and tells the rest.
    fn leave_channel(
        &mut self,
        id: SessionId,
        index: usize,
        nick: String,
        why: Departure,
        out: &mut Out,
    ) {
        let channel = &mut self.channels[index];
        channel.members.retain(|&m| m != id);
        channel.op_sessions.remove(&id);
        channel.voiced.remove(&id);
        out.broadcast(
            &channel.members,
            Event::MemberLeft {
                channel: channel.name.clone(),
                nick,
                why,
            },
        );
        // As on IRC, a channel nobody made to last is gone with its last member.
        if channel.members.is_empty() && channel.lifetime == Lifetime::Transient {
            self.channels.remove(index);
        }
    }

    /// Forgets a session; a logged-in user's channels hear how they left.
    fn remove(&mut self, now: Now, id: SessionId, why: Departure, out: &mut Out) {
        let Some(session) = self.sessions.remove(&id) else {
            return;
        };
        if let Some(user) = session.user {
            let how = match &why {
                Departure::Quit(Some(message)) => format!("quit: {message}"),
                Departure::Quit(None) | Departure::Parted => "quit".to_string(),
                Departure::Lost(reason) => reason.clone(),
            };
            info!("logout {} from {} ({how})", user.nick, session.peer);
            if self.departed.len() >= WHOWAS_KEPT {
                self.departed.pop_front();
            }
            self.departed.push_back(Departed {
                nick: user.nick.to_string(),
                host: Some(session.peer.ip().to_string()),
                left_at: clock::unix_seconds(now.wall),
            });
            self.nicks.remove(user.nick.key());
            if let Some(account) = user.account {
                let write = StoreWrite::Logout {
                    account,
                    at: clock::unix_seconds(now.wall),
                };
                out.0.push(Effect::Store { write, ack: None });
            }
            for watched in &user.watch {
                self.unwatch(id, watched);
            }
            if let Some(watchers) = self.watchers.get(user.nick.key()) {
                let watchers: Vec<SessionId> = watchers.iter().copied().collect();
                out.broadcast(
                    &watchers,
                    Event::WatchedLogout {
                        nick: user.nick.to_string(),
                    },
                );
            }
            for &index in user.channels.iter().rev() {
                self.leave_channel(id, index, user.nick.to_string(), why.clone(), out);
            }
        }
        out.0.push(Effect::Close { session: id });
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

    /// What `viewer` may know of user `id`: secret channels only show to
    /// their members (and server operators).
    fn summary(&self, now: Now, id: SessionId, viewer: SessionId) -> Option<UserSummary> {
        let session = self.sessions.get(&id)?;
        let user = session.user.as_ref()?;
        let sees_all = self.sessions[&viewer].user.as_ref().is_some_and(|v| v.oper);
        Some(UserSummary {
            nick: user.nick.to_string(),
            online: now.mono.saturating_duration_since(user.since.mono),
            idle: now.mono.saturating_duration_since(session.last_input),
            since: clock::unix_seconds(user.since.wall),
            channels: user
                .channels
                .iter()
                .rev()
                .map(|&i| &self.channels[i])
                .filter(|c| sees_all || !c.modes.secret || c.members.contains(&viewer))
                .map(|c| c.name.clone())
                .collect(),
            away: user.away.clone(),
        })
    }

    /// Who `mask` names: `#channel` (or a channel name no one has as a
    /// nickname) its members, `*` or `0` everyone, else the one nickname.
    fn who_mask(&self, now: Now, mask: &str, viewer: SessionId) -> Vec<UserSummary> {
        let summaries = |ids: &mut dyn Iterator<Item = SessionId>| -> Vec<UserSummary> {
            ids.filter_map(|id| self.summary(now, id, viewer)).collect()
        };
        let as_nick = self.nicks.get(&mask.to_ascii_lowercase()).copied();
        if let Some(index) = self.channels.find(mask) {
            if mask.starts_with('#') || as_nick.is_none() {
                return summaries(&mut self.channels[index].members.iter().copied());
            }
        }
        if mask == "*" || mask == "0" {
            let mut everyone: Vec<(&String, &SessionId)> = self.nicks.iter().collect();
            everyone.sort();
            return summaries(&mut everyone.into_iter().map(|(_, id)| *id));
        }
        summaries(&mut as_nick.into_iter())
    }

    fn channel_users(&self, now: Now, index: usize, viewer: SessionId) -> Event {
        let channel = &self.channels[index];
        let (users, marks) = channel
            .members
            .iter()
            .filter_map(|&id| Some((self.summary(now, id, viewer)?, self.mark(index, id))))
            .unzip();
        Event::Users {
            channel: channel.name.clone(),
            users,
            marks,
        }
    }

    /// `@` before a channel operator, `+` before a voiced member.
    fn mark(&self, index: usize, id: SessionId) -> &'static str {
        let channel = &self.channels[index];
        let user = self.user(id);
        if channel.is_op(id, user.account, false) {
            "@"
        } else if channel.voiced.contains(&id) {
            "+"
        } else {
            ""
        }
    }

    /// Member nicknames, `@` before channel operators and `+` before voiced
    /// members (as IRC's NAMES shows them).
    fn names(&self, index: usize) -> Event {
        let channel = &self.channels[index];
        Event::Names {
            channel: channel.name.clone(),
            nicks: channel
                .members
                .iter()
                .map(|&id| format!("{}{}", self.mark(index, id), self.user(id).nick))
                .collect(),
        }
    }

    /// Renames a logged-in user. Everyone who shares a channel with them (and
    /// they themselves) hears it once; watchers of either name hear a logout
    /// and a login.
    fn change_nick(
        &mut self,
        now: Now,
        from: SessionId,
        typed: &str,
        identity: Option<Identity>,
        out: &mut Out,
    ) {
        let nick = match Nick::parse(typed, self.config.nick_length) {
            Ok(nick) => nick,
            Err(why) => return self.refuse_login(from, ChatError::BadNick(why), out),
        };
        if let Some(&holder) = self.nicks.get(nick.key()) {
            if holder != from {
                let error = ChatError::NickInUse(nick.to_string());
                return self.refuse_login(from, error, out);
            }
        }
        out.0.push(Effect::LoginReply {
            to: from,
            accepted: true,
        });
        let at = clock::unix_seconds(now.wall);
        let peer = self.sessions[&from].peer.to_string();
        let user = self.user_mut(from);
        let old = std::mem::replace(&mut user.nick, nick.clone());
        let old_account = user.account;
        let mut merged_watch = None;
        let mut memos = Vec::new();
        if let Some(identity) = identity {
            user.account = Some(identity.account);
            memos = identity.memos;
            for ignored in identity.ignore {
                if !user.ignore.iter().any(|i| i.eq_ignore_ascii_case(&ignored)) {
                    user.ignore.push(ignored);
                }
            }
            let before = user.watch.len();
            for watched in identity.watch {
                let known = user.watch.iter().any(|w| w.eq_ignore_ascii_case(&watched));
                if !known && user.watch.len() < MAX_WATCH {
                    user.watch.push(watched);
                }
            }
            // What the user watched as a guest joins the account's saved list.
            if before > 0 {
                merged_watch = Some(StoreWrite::SaveWatches {
                    account: identity.account,
                    nicks: user.watch.clone(),
                    at: clock::unix_seconds(now.wall),
                });
            }
        } else if old.key() != nick.key() {
            // A new name: whatever account the old one had stays with it.
            user.account = None;
        }
        let new_account = user.account;
        let watch = user.watch.clone();
        let channels = user.channels.clone();
        for watched in &watch {
            self.watchers
                .entry(watched.to_ascii_lowercase())
                .or_default()
                .insert(from);
        }
        if old_account != new_account {
            if let Some(account) = old_account {
                out.0.push(Effect::Store {
                    write: StoreWrite::Logout { account, at },
                    ack: None,
                });
            }
            if let Some(account) = new_account {
                let write = StoreWrite::Login {
                    account,
                    from: peer,
                    at,
                };
                out.0.push(Effect::Store { write, ack: None });
            }
        }
        if let Some(write) = merged_watch {
            out.0.push(Effect::Store { write, ack: None });
        }
        self.nicks.remove(old.key());
        self.nicks.insert(nick.key().to_string(), from);
        if old.as_str() == nick.as_str() {
            // Same name, same spelling (NickServ IDENTIFY of one's own
            // nickname): nothing for anyone to see.
            if let Some(account) = new_account {
                self.deliver_memos(from, account, memos, out);
            }
            return;
        }
        info!("nick {old} is now {nick}");
        let mut hearers: BTreeSet<SessionId> = channels
            .iter()
            .flat_map(|&i| self.channels[i].members.iter().copied())
            .collect();
        hearers.insert(from);
        let hearers: Vec<SessionId> = hearers.into_iter().collect();
        out.broadcast(
            &hearers,
            Event::NickChanged {
                old: old.to_string(),
                new: nick.to_string(),
            },
        );
        if old.key() != nick.key() {
            for (name, event) in [
                (
                    &old,
                    Event::WatchedLogout {
                        nick: old.to_string(),
                    },
                ),
                (
                    &nick,
                    Event::WatchedLogin {
                        nick: nick.to_string(),
                    },
                ),
            ] {
                if let Some(watchers) = self.watchers.get(name.key()) {
                    let watchers: Vec<SessionId> = watchers.iter().copied().collect();
                    out.broadcast(&watchers, event);
                }
            }
        }
        if let Some(account) = new_account {
            self.deliver_memos(from, account, memos, out);
        }
    }
}
