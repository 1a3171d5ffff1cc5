//! The hub's disk side: one store worker thread carries out what the hub
//! asks to save or look up, in order, so the hub thread never waits for
//! SQLite. History lines that arrive together are written in one
//! transaction (one fsync), so a busy channel costs the disk little.

use std::sync::Arc;

use crossbeam_channel::Receiver;
use log::error;

use super::{ChatError, Event, HistoryLine, Memo, Outbox, StoreWrite};
use crate::hub::AccountId;
use crate::store::{MemoKept, NickList, Store, StoreError};

/// Work for the store worker; answers go straight to the session's queue.
pub(super) enum StoreJob {
    Write {
        write: StoreWrite,
        ack: Option<(Arc<dyn Outbox>, Arc<Event>)>,
    },
    WhoisOffline {
        nick: String,
        reply: Arc<dyn Outbox>,
    },
    KeepMemo {
        to: String,
        memo: Memo,
        reply: Arc<dyn Outbox>,
    },
    Memos {
        account: AccountId,
        clear: bool,
        reply: Arc<dyn Outbox>,
    },
}

/// The most history lines written in one transaction.
const MAX_BATCH: usize = 4096;

/// Carries out store jobs in order until the hub stops.
pub(super) fn store_worker(store: &Store, jobs: &Receiver<StoreJob>, memo_limit: usize) {
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
                    carry_out(store, other, memo_limit);
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

/// Queues an answer and writes it at once: the hub's batch that would have
/// written it is long over.
fn deliver(outbox: &dyn Outbox, event: Arc<Event>) {
    if outbox.push(event).is_ok() {
        outbox.flush();
    }
}

fn carry_out(store: &Store, job: StoreJob, memo_limit: usize) {
    match job {
        StoreJob::Write { write, ack } => {
            let saved = save(store, &write);
            let Some((queue, event)) = ack else {
                if let Err(e) = saved {
                    error!("can't save {write:?}: {e}");
                }
                return;
            };
            let event = match saved {
                Ok(()) => event,
                Err(e) => {
                    error!("can't save {write:?}: {e}");
                    Arc::new(Event::Error(ChatError::Server(
                        "that could not be saved; please try again".into(),
                    )))
                }
            };
            deliver(&*queue, event);
        }
        StoreJob::WhoisOffline { nick, reply } => {
            let event = match store.account(&nick) {
                Ok(Some(account)) => Event::WhoisOffline {
                    nick: account.nick,
                    registered: account.created_at,
                    last_seen: account.last_seen_at,
                },
                Ok(None) => Event::Error(ChatError::NoSuchNick(nick)),
                Err(e) => {
                    error!("can't look up {nick}: {e}");
                    Event::Error(ChatError::NoSuchNick(nick))
                }
            };
            deliver(&*reply, Arc::new(event));
        }
        StoreJob::KeepMemo { to, memo, reply } => {
            let kept = store.keep_memo(&to, &memo.from, &memo.text, memo.at, memo_limit);
            let event = match kept {
                Ok(MemoKept::Kept) => Event::MemoStored { to },
                Ok(MemoKept::NoAccount) => Event::Error(ChatError::NoSuchNick(to)),
                Ok(MemoKept::Full) => Event::Error(ChatError::MemoBoxFull(to)),
                Err(e) => {
                    error!("can't keep a memo for {to}: {e}");
                    Event::Error(ChatError::Server(
                        "the memo could not be kept; try again".into(),
                    ))
                }
            };
            deliver(&*reply, Arc::new(event));
        }
        StoreJob::Memos {
            account,
            clear,
            reply,
        } => {
            let event = match clear {
                true => store.clear_memos(account).map(|()| Event::MemosCleared),
                false => store.memos(account, false).map(Event::Memos),
            };
            let event = event.unwrap_or_else(|e| {
                error!("can't read memos: {e}");
                Event::Error(ChatError::Server(
                    "your memos could not be read; try again".into(),
                ))
            });
            deliver(&*reply, Arc::new(event));
        }
    }
}

fn save(store: &Store, write: &StoreWrite) -> Result<(), StoreError> {
    match write {
        StoreWrite::Login { account, from, at } => store.record_login(*account, from, *at),
        StoreWrite::Logout { account, at } => store.record_logout(*account, *at),
        StoreWrite::AddWatch { account, nick, at } => {
            store.add_to_list(NickList::Watches, *account, nick, *at)
        }
        StoreWrite::RemoveWatch { account, nick } => {
            store.remove_from_list(NickList::Watches, *account, nick)
        }
        StoreWrite::SaveWatches { account, nicks, at } => nicks
            .iter()
            .try_for_each(|nick| store.add_to_list(NickList::Watches, *account, nick, *at)),
        StoreWrite::SaveChannel(record) => store.save_channel(record),
        StoreWrite::DropChannel { name } => store.drop_channel(name),
        StoreWrite::AddGline(gline) => store.add_gline(gline),
        StoreWrite::RemoveGline { mask } => store.remove_gline(mask),
        StoreWrite::AddIgnore { account, nick, at } => {
            store.add_to_list(NickList::Ignores, *account, nick, *at)
        }
        StoreWrite::RemoveIgnore { account, nick } => {
            store.remove_from_list(NickList::Ignores, *account, nick)
        }
        StoreWrite::AppendHistory { channel, line } => {
            store.append_history(&[(channel.clone(), line.clone())])
        }
        StoreWrite::PruneHistory { keep, before } => {
            store.prune_history(*keep, *before).map(|_| ())
        }
        StoreWrite::MarkMemosRead { account } => store.mark_memos_read(*account),
    }
}
