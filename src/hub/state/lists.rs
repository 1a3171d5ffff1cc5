//! Each user's nickname lists: the hot list (whose logins and logouts they
//! hear) with the index of who watches whom, and the ignore list (whose lines
//! never reach them); both saved for registered users. The two are one
//! [`Nicknames`] type edited by one function; only what the hot list also
//! keeps (the index, who is on line) differs. Pure like the rest of `state`.

use super::{Effect, Hub, Out, StoreWrite, MAX_WATCH};
use crate::clock::{self, Now};
use crate::hub::command::Watch;
use crate::hub::event::{ChatError, Event};
use crate::hub::kinds::ListKind;
use crate::hub::session_id::SessionId;
use crate::model::name::Nick;

/// A hot or ignore list: nicknames as the user spelled them, in the order
/// they were added, matched without regard to case.
#[derive(Debug, Default)]
pub(super) struct Nicknames(Vec<String>);

/// What [`Nicknames::add`] did.
enum Added {
    New,
    AlreadyThere,
    /// The list has [`MAX_WATCH`] nicknames: nothing was added.
    Full,
}

impl Nicknames {
    /// A list as the store kept it.
    pub(super) fn saved(nicks: Vec<String>) -> Nicknames {
        Nicknames(nicks)
    }

    pub(super) fn contains(&self, nick: &str) -> bool {
        self.position(nick).is_some()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &String> {
        self.0.iter()
    }

    pub(super) fn to_vec(&self) -> Vec<String> {
        self.0.clone()
    }

    /// Adds the saved nicknames that are not there yet, as far as there is room.
    pub(super) fn absorb(&mut self, saved: Vec<String>) {
        for nick in saved {
            if !self.contains(&nick) && self.0.len() < MAX_WATCH {
                self.0.push(nick);
            }
        }
    }

    fn position(&self, nick: &str) -> Option<usize> {
        self.0.iter().position(|n| n.eq_ignore_ascii_case(nick))
    }

    fn add(&mut self, nick: &str) -> Added {
        if self.contains(nick) {
            Added::AlreadyThere
        } else if self.0.len() >= MAX_WATCH {
            Added::Full
        } else {
            self.0.push(nick.to_string());
            Added::New
        }
    }

    /// Takes `nick` off, returning it as it was spelled when added.
    fn remove(&mut self, nick: &str) -> Option<String> {
        Some(self.0.remove(self.position(nick)?))
    }

    fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.0)
    }
}

impl Hub {
    /// Looks at or changes one of `from`'s lists; for a registered user, a
    /// change is confirmed once it is saved.
    pub(super) fn edit_list(
        &mut self,
        now: Now,
        from: SessionId,
        list: ListKind,
        change: Watch,
        out: &mut Out,
    ) {
        let nick_length = self.config.nick_length;
        // Borrowed field by field: the user, and the nick index beside it.
        let user = self
            .sessions
            .get_mut(&from)
            .and_then(|s| s.user.as_mut())
            .expect("caller checked the session is logged in");
        let account = user.account;
        let nicks = match list {
            ListKind::Watch => &mut user.watch,
            ListKind::Ignore => &mut user.ignore,
        };
        let (ack, write) = match change {
            Watch::List => return out.send(from, self.list_of(from, list)),
            Watch::Statuses if list == ListKind::Watch => {
                return out.send(from, Event::WatchStatuses(self.watch_entries(from)))
            }
            Watch::Statuses => return out.send(from, self.list_of(from, list)),
            Watch::Clear => {
                let cleared = nicks.take();
                if list == ListKind::Watch {
                    for nick in &cleared {
                        self.unwatch(from, nick);
                    }
                }
                if let Some(account) = account {
                    for nick in cleared {
                        let write = StoreWrite::RemoveFromList {
                            list,
                            account,
                            nick,
                        };
                        out.0.push(Effect::Store { write, ack: None });
                    }
                }
                return out.send(from, self.list_of(from, list));
            }
            Watch::Add(typed) => {
                let nick = match Nick::parse(&typed, nick_length) {
                    Ok(nick) => nick,
                    Err(why) => return out.error(from, ChatError::BadNick(why)),
                };
                let ack = match list {
                    ListKind::Watch => Event::Watching {
                        nick: nick.to_string(),
                        online: self.nicks.contains_key(nick.key()),
                    },
                    ListKind::Ignore => Event::Ignoring {
                        nick: nick.to_string(),
                    },
                };
                match nicks.add(nick.as_str()) {
                    Added::New => {}
                    Added::AlreadyThere => return out.send(from, ack),
                    Added::Full => {
                        let nick = nick.to_string();
                        let max = MAX_WATCH;
                        return out.error(from, ChatError::ListFull { list, max, nick });
                    }
                }
                if list == ListKind::Watch {
                    self.watchers
                        .entry(nick.key().to_string())
                        .or_default()
                        .insert(from);
                }
                let at = clock::unix_seconds(now.wall);
                let write = account.map(|account| StoreWrite::AddToList {
                    list,
                    account,
                    nick: nick.to_string(),
                    at,
                });
                (ack, write)
            }
            Watch::Remove(typed) => {
                let Some(nick) = nicks.remove(&typed) else {
                    return out.error(from, ChatError::NotOnList { list, nick: typed });
                };
                let write = account.map(|account| StoreWrite::RemoveFromList {
                    list,
                    account,
                    nick: nick.clone(),
                });
                let ack = match list {
                    ListKind::Watch => {
                        self.unwatch(from, &nick);
                        Event::Unwatched { nick }
                    }
                    ListKind::Ignore => Event::Unignored { nick },
                };
                (ack, write)
            }
        };
        out.saved_then(from, write, ack);
    }

    /// The whole list, the hot list with who on it is on line.
    fn list_of(&self, session: SessionId, list: ListKind) -> Event {
        match list {
            ListKind::Watch => Event::WatchList(self.watch_entries(session)),
            ListKind::Ignore => Event::IgnoreList(self.user(session).ignore.to_vec()),
        }
    }

    /// Takes `watcher` off the index of who watches `nick`.
    pub(super) fn unwatch(&mut self, watcher: SessionId, nick: &str) {
        let key = nick.to_ascii_lowercase();
        if let Some(set) = self.watchers.get_mut(&key) {
            set.remove(&watcher);
            if set.is_empty() {
                self.watchers.remove(&key);
            }
        }
    }

    /// The session's hot list, with who on it is on line.
    pub(super) fn watch_entries(&self, session: SessionId) -> Vec<(String, bool)> {
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

    /// Whether `listener` has `nick` on their ignore list.
    pub(super) fn ignores(&self, listener: SessionId, nick: &str) -> bool {
        self.sessions[&listener]
            .user
            .as_ref()
            .is_some_and(|u| u.ignore.contains(nick))
    }
}
