//! Each user's nickname lists: the hot list (whose logins and logouts they
//! hear) with the index of who watches whom, and the ignore list (whose lines
//! never reach them); both saved for registered users. Pure like the rest of
//! `state`.

use super::{Effect, Hub, Out, StoreWrite, User, MAX_WATCH};
use crate::clock::{self, Now};
use crate::hub::command::Watch;
use crate::hub::event::{ChatError, Event};
use crate::hub::session_id::SessionId;
use crate::model::name::Nick;

impl Hub {
    pub(super) fn watch(&mut self, now: Now, from: SessionId, change: Watch, out: &mut Out) {
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
    pub(super) fn ignore(&mut self, now: Now, from: SessionId, change: Watch, out: &mut Out) {
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
            .is_some_and(|u| u.ignore.iter().any(|i| i.eq_ignore_ascii_case(nick)))
    }
}
