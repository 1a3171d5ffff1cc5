//! The hub thread: doors send it [`Command`]s over a crossbeam channel; it
//! runs them through the pure [`Hub`] state machine in batches and carries
//! out the effects — queueing events on each session's bounded outbound
//! queue, answering logins, closing connections. A session whose queue is
//! full is a slow consumer: it is cut off, so that nobody else ever waits for
//! it. What must be saved or looked up goes to the store worker thread, so
//! the hub never waits for the disk either.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError};
use log::{info, warn};

use super::store_worker::{self, StoreJob};
use crate::clock::Now;
use crate::hub::{Command, Effect, Event, Hub, HubConfig, Memo, SessionId, SessionMap};
use crate::store::Store;

/// Where a session's events go: for a TCP door, the connection's outbound
/// bytes (see `crate::engine`), for UDP the door's send queue.
pub trait Outbox: Send + Sync {
    /// Queues an event. `Err(QueueFull)` marks a slow consumer, which the hub
    /// then cuts off; a session already gone just drops the event.
    fn push(&self, event: Arc<Event>) -> Result<Pushed, QueueFull>;

    /// Writes what `push` queued (called by [`Outbox::deliver`] when a push
    /// answered [`Pushed::NeedsFlush`]).
    fn flush(&self) {}

    /// The hub is done with this session: write what is queued, then close.
    fn close(&self) {}

    /// The hub has carried out the first `count` commands its door sent
    /// with [`HubHandle::send_in_order`]: the door's own replies that
    /// waited for them may go out now.
    fn handled(&self, _count: u64) -> Result<Pushed, QueueFull> {
        Ok(Pushed::Done)
    }

    /// Whether the door keeps a reply to one of its client's lines aside
    /// (see `engine::Said::OpenReply`): then the hub queues a
    /// [`Queued::Starting`] before each of its commands.
    fn replying(&self) -> bool {
        false
    }

    /// This session's part of a batch, in order, then written: called once
    /// per batch for each session that has any. Leaves `items` empty.
    fn deliver(&self, items: &mut Vec<Queued>) -> Result<(), QueueFull> {
        let mut flush = false;
        for item in items.drain(..) {
            let pushed = match item {
                Queued::Event(event) => self.push(event)?,
                Queued::Starting(_) => Pushed::Done,
                Queued::Handled(count) => self.handled(count)?,
            };
            flush |= pushed == Pushed::NeedsFlush;
        }
        if flush {
            self.flush();
        }
        Ok(())
    }
}

/// What waits for a session until the end of the hub's batch, in order.
#[derive(Debug)]
pub enum Queued {
    /// An event for it.
    Event(Arc<Event>),
    /// The hub starts the door's command with this number: the events up
    /// to the next `Handled` answer it.
    Starting(u64),
    /// The hub has carried out this many of its door's commands
    /// ([`Outbox::handled`]).
    Handled(u64),
}

/// What a push left to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Nothing: it is on its way, or someone else writes it.
    Done,
    /// Call [`Outbox::flush`] once this batch of commands is handled.
    NeedsFlush,
}

/// The outbound queue of a session is full.
#[derive(Debug)]
pub struct QueueFull;

impl Outbox for Sender<Arc<Event>> {
    fn push(&self, event: Arc<Event>) -> Result<Pushed, QueueFull> {
        match self.try_send(event) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => Ok(Pushed::Done),
            Err(TrySendError::Full(_)) => Err(QueueFull),
        }
    }
}

/// How a door's session hears from the hub.
pub struct Link {
    pub outbox: Arc<dyn Outbox>,
    /// Hears the hub's answers to `Command::Login` and `ChangeNick` (true:
    /// the nickname is taken). Called on the hub thread, so it must only
    /// hand the answer on: a TCP reader waits on a channel for it, the UDP
    /// door feeds it to the session as its next input.
    pub login: Option<LoginAnswers>,
    /// Cuts the connection off at once, even while its writer is blocked.
    pub kill: Box<dyn Fn() + Send>,
}

/// See [`Link::login`].
pub type LoginAnswers = Box<dyn Fn(bool) + Send>;

enum Message {
    Attach {
        session: SessionId,
        peer: SocketAddr,
        idle_timeout: Duration,
        link: Link,
    },
    Command {
        session: SessionId,
        command: Command,
        /// Which of its door's commands this is (from 1), for the door's
        /// replies that wait for it; 0 when nobody waits.
        seq: u64,
    },
    Tick,
    Shutdown {
        reason: String,
    },
}

/// What doors hold to talk to the hub; cheap to clone.
#[derive(Clone)]
pub struct HubHandle {
    messages: Sender<Message>,
    next_session: Arc<AtomicU64>,
}

impl HubHandle {
    /// Registers a new connection and returns its session id; it is logged
    /// out after `idle_timeout` without a word. `link` is made for the new
    /// session's id.
    pub fn attach(
        &self,
        peer: SocketAddr,
        idle_timeout: Duration,
        link: impl FnOnce(SessionId) -> Link,
    ) -> SessionId {
        let session = SessionId(self.next_session.fetch_add(1, Ordering::Relaxed));
        let link = link(session);
        let _ = self.messages.send(Message::Attach {
            session,
            peer,
            idle_timeout,
            link,
        });
        session
    }

    /// Sends a command; false when the hub has stopped.
    pub fn send(&self, session: SessionId, command: Command) -> bool {
        self.send_in_order(session, 0, command)
    }

    /// Sends the door's `seq`th command (counting from 1): once the hub has
    /// carried it out it tells the session's outbox ([`Outbox::handled`]),
    /// which lets out the door's own replies that were waiting for it.
    pub fn send_in_order(&self, session: SessionId, seq: u64, command: Command) -> bool {
        self.messages
            .send(Message::Command {
                session,
                command,
                seq,
            })
            .is_ok()
    }

    /// Asks the hub to tell everyone `reason`, close every session and stop.
    pub fn shutdown(&self, reason: &str) {
        let _ = self.messages.send(Message::Shutdown {
            reason: reason.to_string(),
        });
    }
}

/// The hub's threads, to wait for at shutdown.
pub struct HubThreads {
    pub hub: JoinHandle<()>,
    /// Ends after the hub, once every write it was given is on disk.
    pub store: JoinHandle<()>,
}

/// Starts the hub thread, its store worker and its idle-check ticker.
/// `memo_limit` is how many memos may wait for one person.
pub fn spawn(
    config: HubConfig,
    store: Arc<Store>,
    memo_limit: usize,
) -> std::io::Result<(HubHandle, HubThreads)> {
    // Bounded: a reader whose client outruns the hub waits in `send` (and
    // so stops reading its socket) instead of growing this queue.
    let (tx, rx) = crossbeam_channel::bounded(INBOX);
    let handle = HubHandle {
        messages: tx.clone(),
        next_session: Arc::new(AtomicU64::new(1)),
    };
    let (jobs, queued_jobs) = crossbeam_channel::unbounded();
    let answers = handle.clone();
    let store = thread::Builder::new()
        .name("store".into())
        .spawn(move || store_worker::run(&store, &queued_jobs, &answers, memo_limit))?;
    let hub = Hub::new(config);
    let hub = thread::Builder::new()
        .name("hub".into())
        .spawn(move || run(hub, rx, jobs))?;
    let ticker = tx;
    thread::Builder::new()
        .name("hub-ticker".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            // Ends when the hub stops and the send fails.
            while ticker.send(Message::Tick).is_ok() {
                thread::sleep(Duration::from_secs(1));
            }
        })?;
    Ok((handle, HubThreads { hub, store }))
}

/// Commands that may wait for the hub, from every door together.
const INBOX: usize = 4096;

/// Commands handled before the outboxes they filled are written: enough that
/// a receiver's lines from a busy moment leave in one `send`, few enough that
/// none waits long for it.
const BATCH: usize = 256;

struct Attached {
    peer: SocketAddr,
    link: Link,
    /// What this batch has for it so far (see [`Batch`]).
    queued: Vec<Queued>,
}

/// A batch's deliveries, kept per session and handed over at its end: each
/// receiver's lines from the batch are rendered under one lock and leave in
/// one `send`, and its connection's memory is touched once per batch rather
/// than once per line (in a 500-member channel, six cache misses a
/// receiver a line were most of the hub's time).
#[derive(Default)]
struct Batch {
    /// Sessions with something queued, in the order they first got it.
    touched: Vec<SessionId>,
    /// Emptied queues, kept for the next sessions that need one.
    spare: Vec<Vec<Queued>>,
}

/// Queues kept in [`Batch::spare`], and the longest kept.
const SPARE_QUEUES: usize = 64;
const SPARE_CAPACITY: usize = 1024;

impl Batch {
    fn queue(&mut self, session: SessionId, attached: &mut Attached, item: Queued) {
        if attached.queued.is_empty() {
            self.touched.push(session);
            if attached.queued.capacity() == 0 {
                attached.queued = self.spare.pop().unwrap_or_default();
            }
        }
        attached.queued.push(item);
    }

    /// Gives back a queue its session is done with.
    fn recycle(&mut self, mut queue: Vec<Queued>) {
        queue.clear();
        if self.spare.len() < SPARE_QUEUES && queue.capacity() <= SPARE_CAPACITY {
            self.spare.push(queue);
        }
    }
}

fn run(mut hub: Hub, messages: Receiver<Message>, store: Sender<StoreJob>) {
    let mut links: SessionMap<Attached> = SessionMap::default();
    let mut effects = Vec::new();
    let mut batch = Batch::default();
    let mut stopping = false;
    while !stopping {
        let Ok(first) = messages.recv() else { break };
        let mut next = Some(first);
        let mut handled = 0;
        while let Some(message) = next.take() {
            stopping = handle(
                &mut hub,
                message,
                &mut links,
                &store,
                &mut effects,
                &mut batch,
            );
            handled += 1;
            if !stopping && handled < BATCH {
                next = messages.try_recv().ok();
            }
        }
        deliver_batch(&mut hub, &mut links, &store, &mut effects, &mut batch);
    }
}

/// Hands every session its part of the batch. A session over its byte
/// budget is cut off, and what its going says to others joins the batch.
fn deliver_batch(
    hub: &mut Hub,
    links: &mut SessionMap<Attached>,
    store: &Sender<StoreJob>,
    effects: &mut Vec<Effect>,
    batch: &mut Batch,
) {
    let mut touched = Vec::new();
    while !batch.touched.is_empty() {
        std::mem::swap(&mut touched, &mut batch.touched);
        for session in touched.drain(..) {
            // Gone, or handed its part early (see `deliver_now`).
            let Some(attached) = links.get_mut(&session).filter(|a| !a.queued.is_empty()) else {
                continue;
            };
            let mut items = std::mem::take(&mut attached.queued);
            let delivered = attached.link.outbox.deliver(&mut items);
            batch.recycle(items);
            if let Err(QueueFull) = delivered {
                let now = Now::read();
                cut_off(hub, now, session, links, effects);
                carry_out(hub, now, links, store, effects, batch);
            }
        }
    }
}

/// Hands `session` what the batch has for it now, before something that
/// must come after it (its login answer, its close).
fn deliver_now(attached: &mut Attached, batch: &mut Batch) -> Result<(), QueueFull> {
    if attached.queued.is_empty() {
        return Ok(());
    }
    let mut items = std::mem::take(&mut attached.queued);
    let delivered = attached.link.outbox.deliver(&mut items);
    batch.recycle(items);
    delivered
}

/// Runs one message through the hub and carries out its effects; true when
/// it was the order to stop.
fn handle(
    hub: &mut Hub,
    message: Message,
    links: &mut SessionMap<Attached>,
    store: &Sender<StoreJob>,
    effects: &mut Vec<Effect>,
    batch: &mut Batch,
) -> bool {
    let now = Now::read();
    let mut stopping = false;
    let mut handled = None;
    match message {
        Message::Attach {
            session,
            peer,
            idle_timeout,
            link,
        } => {
            let queued = Vec::new();
            links.insert(session, Attached { peer, link, queued });
            let connect = Command::Connect { peer, idle_timeout };
            hub.handle(now, session, connect, effects);
        }
        Message::Command {
            session,
            command,
            seq,
        } => {
            if let Some(attached) = links.get_mut(&session).filter(|_| seq > 0) {
                if attached.link.outbox.replying() {
                    batch.queue(session, attached, Queued::Starting(seq));
                }
            }
            hub.handle(now, session, command, effects);
            handled = Some((session, seq)).filter(|_| seq > 0);
        }
        Message::Tick => hub.tick(now, effects),
        Message::Shutdown { reason } => {
            info!("shutting down: telling {} users", hub.users_online());
            hub.shutdown(now, &reason, effects);
            stopping = true;
        }
    }
    carry_out(hub, now, links, store, effects, batch);
    if let Some((session, seq)) = handled {
        // After its effects: the door's replies follow the hub's answers.
        if let Some(attached) = links.get_mut(&session) {
            batch.queue(session, attached, Queued::Handled(seq));
        }
    }
    stopping
}

/// Cuts off a slow consumer (its queue is full); the hub's effects of its
/// going are added to `effects`.
fn cut_off(
    hub: &mut Hub,
    now: Now,
    to: SessionId,
    links: &mut SessionMap<Attached>,
    effects: &mut Vec<Effect>,
) {
    let Some(attached) = links.remove(&to) else {
        return;
    };
    warn!(
        "disconnecting {}: send queue exceeded (slow reader)",
        attached.peer
    );
    (attached.link.kill)();
    let reason = "send queue exceeded".to_string();
    hub.handle(now, to, Command::Disconnected { reason }, effects);
}

/// Carries out effects in order. Cutting off a slow consumer is itself a
/// command to the hub, whose effects join the queue.
fn carry_out(
    hub: &mut Hub,
    now: Now,
    links: &mut SessionMap<Attached>,
    store: &Sender<StoreJob>,
    effects: &mut Vec<Effect>,
    batch: &mut Batch,
) {
    // Effects of a cut-off join `effects` while `current` is worked
    // through, and are carried out after it, in order; no copy of the
    // effects is made (one per command was 5 % of the hub's time in a
    // 500-member channel).
    let mut current = Vec::new();
    while !effects.is_empty() {
        std::mem::swap(&mut current, effects);
        for effect in current.drain(..) {
            carry_out_one(hub, now, links, store, effects, batch, effect);
        }
    }
    if current.capacity() > effects.capacity() {
        std::mem::swap(&mut current, effects);
    }
}

/// Carries out one effect; a cut-off's effects are added to `effects`.
fn carry_out_one(
    hub: &mut Hub,
    now: Now,
    links: &mut SessionMap<Attached>,
    store: &Sender<StoreJob>,
    effects: &mut Vec<Effect>,
    batch: &mut Batch,
    effect: Effect,
) {
    match effect {
        Effect::Deliver { to, event } => {
            if let Some(attached) = links.get_mut(&to) {
                batch.queue(to, attached, Queued::Event(event));
            }
        }
        Effect::LoginReply { to, accepted } => {
            let Some(attached) = links.get_mut(&to) else {
                return;
            };
            // The reader answers its client once it has this: what the
            // hub said before it must be queued first.
            if let Err(QueueFull) = deliver_now(attached, batch) {
                cut_off(hub, now, to, links, effects);
            } else if let Some(login) = &attached.link.login {
                login(accepted);
            }
        }
        Effect::Store { write, ack } => {
            let ack = ack.filter(|(to, _)| links.contains_key(to));
            let _ = store.send(StoreJob::Write { write, ack });
        }
        Effect::WhoisOffline { to, nick } => {
            if links.contains_key(&to) {
                let _ = store.send(StoreJob::WhoisOffline { nick, to });
            }
        }
        Effect::PrivateOffline {
            from,
            sender,
            to,
            text,
            at,
        } => {
            if links.contains_key(&from) {
                let memo = Memo {
                    from: sender,
                    text,
                    at,
                };
                let _ = store.send(StoreJob::KeepMemo { to, memo, from });
            }
        }
        Effect::Memos {
            from,
            account,
            clear,
        } => {
            if links.contains_key(&from) {
                let _ = store.send(StoreJob::Memos {
                    account,
                    clear,
                    from,
                });
            }
        }
        Effect::History {
            from,
            request,
            readable,
        } => {
            if links.contains_key(&from) {
                let _ = store.send(StoreJob::History {
                    request,
                    readable,
                    from,
                });
            }
        }
        Effect::Close { session } => {
            // What is queued is still written, then the connection closes.
            if let Some(mut attached) = links.remove(&session) {
                match deliver_now(&mut attached, batch) {
                    Ok(()) => attached.link.outbox.close(),
                    Err(QueueFull) => {
                        warn!(
                            "disconnecting {}: send queue exceeded (slow reader)",
                            attached.peer
                        );
                        (attached.link.kill)();
                    }
                }
            }
        }
    }
}
