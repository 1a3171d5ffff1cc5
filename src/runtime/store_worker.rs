//! The hub's disk side: one store worker thread carries out what the hub
//! asks to save or look up, in order, so the hub thread never waits for
//! SQLite. History lines that arrive together are written in one
//! transaction (one fsync), so a busy channel costs the disk little. What a
//! session waits to hear goes back to the hub as a [`Command::Stored`], and
//! the hub tells the session.

use std::sync::Arc;

use crossbeam_channel::Receiver;
use log::error;

use super::HubHandle;
use crate::hub::{
    Command, Event, HistoryFound, HistoryRequest, ListKind, OfflineAccount, SessionId, StoreWrite,
    Stored,
};
use crate::model::{AccountId, HistoryLine, Memo};
use crate::store::{NickList, Store, StoreError};

/// Work for the store worker; `ack`, `to` and `from` name the session that
/// hears the answer.
pub(super) enum StoreJob {
    Write {
        write: StoreWrite,
        ack: Option<(SessionId, Arc<Event>)>,
    },
    WhoisOffline {
        nick: String,
        to: SessionId,
    },
    KeepMemo {
        to: String,
        memo: Memo,
        from: SessionId,
    },
    Memos {
        account: AccountId,
        clear: bool,
        from: SessionId,
    },
    /// Look up history in the `readable` channels (see `Effect::History`).
    History {
        request: HistoryRequest,
        readable: Vec<String>,
        from: SessionId,
    },
}

/// The most history lines written in one transaction.
const MAX_BATCH: usize = 4096;

/// Carries out store jobs in order until the hub stops.
pub(super) fn run(store: &Store, jobs: &Receiver<StoreJob>, hub: &HubHandle, memo_limit: usize) {
    let mut batch: Vec<(String, HistoryLine)> = Vec::new();
    for first in jobs.iter() {
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                StoreJob::Write {
                    write: StoreWrite::AppendHistory { channel, line },
                    ack: None,
                } => {
                    batch.push((channel, line));
                    // Gather what else is waiting before writing.
                    if batch.len() < MAX_BATCH {
                        next = jobs.try_recv().ok();
                    }
                    if next.is_none() {
                        flush(store, &mut batch);
                    }
                }
                other => {
                    flush(store, &mut batch);
                    if let Some((session, stored)) = carry_out(store, other, memo_limit) {
                        // Fails only once the hub has stopped, with nobody to tell.
                        hub.send(session, Command::Stored(stored));
                    }
                }
            }
        }
    }
    flush(store, &mut batch);
}

fn flush(store: &Store, batch: &mut Vec<(String, HistoryLine)>) {
    if batch.is_empty() {
        return;
    }
    if let Err(e) = store.append_history(batch) {
        error!("can't save {} lines of history: {e}", batch.len());
    }
    batch.clear();
}

/// Does one job; what it found or saved, and for which session, when
/// someone waits to hear.
fn carry_out(store: &Store, job: StoreJob, memo_limit: usize) -> Option<(SessionId, Stored)> {
    match job {
        StoreJob::Write { write, ack } => {
            let saved = save(store, &write);
            if let Err(e) = &saved {
                error!("can't save {write:?}: {e}");
            }
            let (to, ack) = ack?;
            let saved = saved.is_ok();
            Some((to, Stored::Write { saved, ack }))
        }
        StoreJob::WhoisOffline { nick, to } => {
            let account = match store.account(&nick) {
                Ok(account) => account,
                Err(e) => {
                    error!("can't look up {nick}: {e}");
                    None
                }
            };
            let account = account.map(|account| OfflineAccount {
                nick: account.nick,
                registered: account.created_at,
                last_seen: account.last_seen_at,
            });
            Some((to, Stored::WhoisOffline { nick, account }))
        }
        StoreJob::KeepMemo { to, memo, from } => {
            let kept = store.keep_memo(&to, &memo.from, &memo.text, memo.at, memo_limit);
            let kept = kept
                .map_err(|e| error!("can't keep a memo for {to}: {e}"))
                .ok();
            Some((from, Stored::MemoKept { to, kept }))
        }
        StoreJob::Memos {
            account,
            clear,
            from,
        } => {
            let stored = match clear {
                true => {
                    let cleared = store.clear_memos(account);
                    let cleared = cleared.map_err(|e| error!("can't read memos: {e}"));
                    Stored::MemosCleared {
                        cleared: cleared.is_ok(),
                    }
                }
                false => {
                    let memos = store.memos(account, false);
                    Stored::Memos(memos.map_err(|e| error!("can't read memos: {e}")).ok())
                }
            };
            Some((from, stored))
        }
        StoreJob::History {
            request,
            readable,
            from,
        } => {
            let found = look_up_history(store, &request, &readable)
                .map_err(|e| error!("can't read history for {request:?}: {e}"))
                .ok();
            Some((from, Stored::History { request, found }))
        }
    }
}

fn look_up_history(
    store: &Store,
    request: &HistoryRequest,
    readable: &[String],
) -> Result<HistoryFound, StoreError> {
    match request {
        HistoryRequest::Lines {
            channel,
            query,
            limit,
        } => {
            // `readable` is this channel: the hub asks only about one it
            // found readable.
            let lines = store.history_lines(channel, *query, *limit)?;
            Ok(HistoryFound::Lines(lines))
        }
        HistoryRequest::Targets { from, to, limit } => {
            let targets = store.history_targets(readable, *from, *to, *limit)?;
            Ok(HistoryFound::Targets(targets))
        }
    }
}

/// Where the store keeps the hub's list of that kind.
fn table(list: ListKind) -> NickList {
    match list {
        ListKind::Watch => NickList::Watches,
        ListKind::Ignore => NickList::Ignores,
    }
}

fn save(store: &Store, write: &StoreWrite) -> Result<(), StoreError> {
    match write {
        StoreWrite::Login { account, from, at } => store.record_login(*account, from, *at),
        StoreWrite::Logout { account, at } => store.record_logout(*account, *at),
        StoreWrite::AddToList {
            list,
            account,
            nick,
            at,
        } => store.add_to_list(table(*list), *account, nick, *at),
        StoreWrite::RemoveFromList {
            list,
            account,
            nick,
        } => store.remove_from_list(table(*list), *account, nick),
        StoreWrite::SaveWatches { account, nicks, at } => nicks
            .iter()
            .try_for_each(|nick| store.add_to_list(NickList::Watches, *account, nick, *at)),
        StoreWrite::SaveChannel(record) => store.save_channel(record),
        StoreWrite::DropChannel { name } => store.drop_channel(name),
        StoreWrite::AddGline(gline) => store.add_gline(gline),
        StoreWrite::RemoveGline { mask } => store.remove_gline(mask),
        StoreWrite::AppendHistory { channel, line } => {
            store.append_history(&[(channel.clone(), line.clone())])
        }
        StoreWrite::PruneHistory { keep, before } => {
            store.prune_history(*keep, *before).map(|_| ())
        }
        StoreWrite::MarkMemosRead { account } => store.mark_memos_read(*account),
        StoreWrite::ReserveMessageIds { up_to } => store.reserve_message_ids(*up_to),
    }
}
