//! A connection's life in the hub: its arrival (refused if its address is
//! banned server-wide), leaving by /quit, the idle timeout and its warning,
//! being forgotten (its channels and watchers hear how it left), and the
//! server's shutdown. Pure like the rest of `state`.

use std::net::SocketAddr;
use std::time::Duration;

use log::info;

use super::{Effect, Hub, Out, Session, StoreWrite, PRUNE_EVERY, WHOWAS_KEPT};
use crate::clock::{self, Now};
use crate::hub::channel::Who;
use crate::hub::event::{Departed, Departure, Event};
use crate::hub::session_id::SessionId;

impl Hub {
    pub(super) fn connect(
        &mut self,
        now: Now,
        from: SessionId,
        peer: SocketAddr,
        idle_timeout: Duration,
        out: &mut Out,
    ) {
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
                idle_timeout,
                last_active: now.mono,
                last_input: now.mono,
                warned: false,
                hears_wallops: true,
                about: None,
                user: None,
            },
        );
    }

    pub(super) fn quit(
        &mut self,
        now: Now,
        from: SessionId,
        message: Option<String>,
        out: &mut Out,
    ) {
        out.send(
            from,
            Event::Closing {
                reason: "Goodbye.".into(),
            },
        );
        self.remove(now, from, Departure::Quit(message), out);
    }

    /// Logs out every session that has been silent for the idle timeout.
    pub fn tick(&mut self, now: Now, effects: &mut Vec<Effect>) {
        let mut idle: Vec<(SessionId, Duration)> = self
            .sessions
            .iter()
            .map(|(id, s)| (*id, s.last_active, s.idle_timeout))
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
                let timeout = s.idle_timeout;
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

    /// Forgets a session; a logged-in user's channels hear how they left.
    pub(super) fn remove(&mut self, now: Now, id: SessionId, why: Departure, out: &mut Out) {
        let Some(session) = self.sessions.remove(&id) else {
            return;
        };
        if let Some(user) = session.user {
            let how = match &why {
                Departure::Quit(Some(message)) => format!("quit: {message}"),
                Departure::Quit(None) | Departure::Parted(_) => "quit".to_string(),
                Departure::Lost(reason) => reason.clone(),
            };
            info!("logout {} from {} ({how})", user.nick, session.peer);
            if self.departed.len() >= WHOWAS_KEPT {
                self.departed.pop_front();
            }
            let (ident, realname) = super::ident_and_realname(&session.about, &user.nick);
            self.departed.push_back(Departed {
                nick: user.nick.to_string(),
                ident,
                realname,
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
            for watched in user.watch.iter() {
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
}
