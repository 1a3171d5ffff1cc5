//! Who a session is: logging in with a nickname (and the account a password
//! proved), changing it, registering it, operator status, away messages, and
//! the memos an account receives. Pure like the rest of `state`.

use std::collections::BTreeSet;
use std::sync::Arc;

use log::info;

use super::{Effect, Hub, Nicknames, Out, StoreWrite, User};
use crate::clock::{self, Now};
use crate::hub::command::Identity;
use crate::hub::event::{ChatError, Departure, Event};
use crate::hub::session_id::SessionId;
use crate::model::name::Nick;
use crate::model::{AccountId, Memo};

impl Hub {
    pub(super) fn login(
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
        if let Some(error) = self.looks_taken(from, &nick, identity.is_some()) {
            return self.refuse_login(from, error, out);
        }
        let session = self.sessions.get_mut(&from).expect("caller checked");
        let (account, watch, ignore, memos) = match identity {
            Some(identity) => (
                Some(identity.account),
                Nicknames::saved(identity.watch),
                Nicknames::saved(identity.ignore),
                identity.memos,
            ),
            None => (None, Nicknames::default(), Nicknames::default(), Vec::new()),
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
                ident: super::ident_and_realname(&session.about, &nick).0,
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
        for watched in watch.iter() {
            self.watchers
                .entry(watched.to_ascii_lowercase())
                .or_default()
                .insert(from);
        }
        self.nicks.insert(nick.key().to_string(), from);
        self.peak_users = self.peak_users.max(self.nicks.len());
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
            self.join(now, from, &lobby, None, false, out);
        }
    }

    /// Refuses `nick` to `from` when someone else on line has a look-alike
    /// of it (issue 16). Not to an account's proved owner: the store refused
    /// look-alikes at registration, so two on line are accounts from before
    /// the rule, and both stay usable.
    fn looks_taken(&self, from: SessionId, nick: &Nick, proved: bool) -> Option<ChatError> {
        if proved {
            return None;
        }
        let holder = self.nicks.look_alike(nick.key(), from)?;
        Some(ChatError::NickLooksLike {
            wanted: nick.to_string(),
            existing: self.user(holder).nick.to_string(),
            registered: false,
        })
    }

    fn refuse_login(&mut self, from: SessionId, why: ChatError, out: &mut Out) {
        out.error(from, why);
        out.0.push(Effect::LoginReply {
            to: from,
            accepted: false,
        });
    }

    /// Renames a logged-in user. Everyone who shares a channel with them (and
    /// they themselves) hears it once; watchers of either name hear a logout
    /// and a login.
    pub(super) fn change_nick(
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
        if let Some(error) = self.looks_taken(from, &nick, identity.is_some()) {
            return self.refuse_login(from, error, out);
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
        let (memos, merged_watch) = match identity {
            Some(identity) => user.adopt(identity, at),
            None => {
                if old.key() != nick.key() {
                    // A new name: whatever account the old one had stays with it.
                    user.account = None;
                }
                (Vec::new(), None)
            }
        };
        let new_account = user.account;
        let watch = user.watch.to_vec();
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
        self.announce_nick_change(from, &old, &nick, &channels, out);
        if let Some(account) = new_account {
            self.deliver_memos(from, account, memos, out);
        }
    }

    /// Everyone who shares a channel with `from` (and `from`) hears the new
    /// name once; watchers of either name hear a logout and a login.
    fn announce_nick_change(
        &self,
        from: SessionId,
        old: &Nick,
        nick: &Nick,
        channels: &[usize],
        out: &mut Out,
    ) {
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
    }

    /// A guest registered their nickname: the hot list they built is saved
    /// with the new account before they hear it worked.
    pub(super) fn identified(
        &mut self,
        now: Now,
        from: SessionId,
        account: AccountId,
        out: &mut Out,
    ) {
        let user = self.user_mut(from);
        user.account = Some(account);
        let nick = user.nick.to_string();
        let write = StoreWrite::SaveWatches {
            account,
            nicks: user.watch.to_vec(),
            at: clock::unix_seconds(now.wall),
        };
        let ack = Some((from, Arc::new(Event::Registered { nick })));
        out.0.push(Effect::Store { write, ack });
    }

    pub(super) fn oper(&mut self, from: SessionId, name: &str, out: &mut Out) {
        let user = self.user_mut(from);
        user.oper = true;
        info!("{} is now a server operator (as {name})", user.nick);
        out.send(from, Event::YouAreOper);
    }

    pub(super) fn away(&mut self, from: SessionId, message: Option<String>, out: &mut Out) {
        let message = message.filter(|m| !m.trim().is_empty());
        self.user_mut(from).away = message.clone();
        out.send(from, Event::Away(message.clone()));
        // Channel-mates hear it too (IRCv3 away-notify); once each.
        let hearers: BTreeSet<SessionId> = self
            .user(from)
            .channels
            .iter()
            .flat_map(|&i| self.channels[i].members.iter().copied())
            .filter(|&id| id != from)
            .collect();
        let hearers: Vec<SessionId> = hearers.into_iter().collect();
        let nick = self.user(from).nick.to_string();
        out.broadcast(&hearers, Event::MemberAway { nick, message });
    }

    pub(super) fn memos(&self, from: SessionId, clear: bool, out: &mut Out) {
        match self.user(from).account {
            Some(account) => out.0.push(Effect::Memos {
                from,
                account,
                clear,
            }),
            None => out.error(from, ChatError::NotRegistered),
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
}
