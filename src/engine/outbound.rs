//! One TCP connection's outbound side: events rendered into bytes as they are
//! queued, written to the socket without ever blocking, and bounded in bytes.
//!
//! Whoever queues (the hub, the connection's own reader) renders under the
//! connection's lock. The hub hands each receiver its part of a batch of
//! commands at the batch's end ([`Outbox::deliver`]): rendered under one
//! lock, a line to many rendered once per door for the whole batch, and
//! written in one `send`.
//! Writes use `MSG_DONTWAIT` on a socket whose reader blocks: when the
//! kernel's buffer is full the rest waits here and the [`Drainer`] sends it
//! once the socket has room. No thread is woken per receiver per line.
//!
//! The door's own replies (prompts, parse errors, PONG, numerics) come here
//! too, and only here: [`Outbound::say`] takes how many commands the door
//! had sent the hub before the reply, and holds the reply until the hub has
//! carried out that many ([`Outbox::handled`]). A reply never overtakes the
//! answers to the commands before it, and never travels through the hub.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use log::warn;

use super::drainer::{Drain, Drainer, Registration};
use super::OpenConnections;
use crate::hub::Event;
use crate::runtime::{Outbox, Pushed, QueueFull, Queued};

/// What a door says to its own client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Said {
    /// An event the hub could also have sent (an error, a notice, a
    /// goodbye), rendered by the connection's renderer like the hub's.
    Event(Event),
    /// Bytes already in the door's protocol, as they are (a prompt, a
    /// WebSocket frame).
    Bytes(Vec<u8>),
    /// One line the door wrote in its protocol (a numeric, PONG), without
    /// its line end: the renderer ends it, and adds what it adds to every
    /// line (IRC's tags) — [`Render::render_line`].
    Line(String),
    /// What follows, up to [`Said::CloseReply`], is the reply to one line
    /// of the client's, named by it (IRCv3 labeled-response): the door's
    /// own lines and the hub's answers to the commands the door sends
    /// meanwhile — not what others' commands bring — are kept aside and
    /// handed to [`Render::reply`] whole.
    OpenReply(String),
    /// The end of the reply [`Said::OpenReply`] began.
    CloseReply,
}

/// A connection's renderer: its protocol's bytes for each event.
pub trait Render: Send {
    /// Appends this connection's bytes for `event` to `out`.
    fn render(&mut self, event: &Event, out: &mut Vec<u8>);

    /// Appends a line the door wrote itself ([`Said::Line`]) with its line
    /// end and whatever this connection puts on every line.
    fn render_line(&mut self, line: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }

    /// True when this connection's bytes for `event` are the same as those
    /// of every other connection with this renderer's type, so a line to a
    /// channel is rendered once per door, not once per member. May update
    /// the renderer's state as `render` would have.
    fn shares(&mut self, _event: &Event) -> bool {
        false
    }

    /// Which rendering a shared event gets among connections of this type:
    /// those whose options differ (an IRC client's capabilities) differ here.
    fn variant(&self) -> u32 {
        0
    }

    /// Appends the reply to the client's line named `label` (the bytes
    /// kept between [`Said::OpenReply`] and [`Said::CloseReply`], maybe
    /// none), in whatever wrapping the protocol gives such a reply.
    fn reply(&mut self, _label: &str, lines: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(lines);
    }
}

/// Any closure renders, sharing nothing.
impl<F: FnMut(&Event, &mut Vec<u8>) + Send> Render for F {
    fn render(&mut self, event: &Event, out: &mut Vec<u8>) {
        self(event, out)
    }
}

thread_local! {
    /// The bytes of the events being delivered to many, per renderer type,
    /// by event. The hub delivers a batch session by session, each session's
    /// events in order, so the events of a whole batch are in use at once.
    /// Holding each event keeps its address from being reused meanwhile.
    static SHARED: RefCell<SharedEvents> = RefCell::new(SharedEvents::default());
}

/// Events in the order first seen, found by address; `last` is where the
/// last one was found: the next session of a batch asks for the same events
/// in the same order, so the one after it is nearly always the next asked.
#[derive(Default)]
struct SharedEvents {
    events: Vec<Shared>,
    by_address: HashMap<usize, usize, BuildHasherDefault<AddressHasher>>,
    last: usize,
}

struct Shared {
    event: Arc<Event>,
    rendered: Vec<((TypeId, u32), Vec<u8>)>,
}

/// Events whose rendering is kept at once: more than a batch holds, few
/// enough that what is kept stays small. Past it, all are forgotten.
const SHARED_EVENTS: usize = 1024;

impl SharedEvents {
    /// Where `event` is, added if it is new.
    fn find(&mut self, event: &Arc<Event>) -> usize {
        let next = self.last + 1;
        if self
            .events
            .get(next)
            .is_some_and(|e| Arc::ptr_eq(&e.event, event))
        {
            self.last = next;
            return next;
        }
        let address = Arc::as_ptr(event) as usize;
        let at = match self.by_address.get(&address) {
            Some(&at) => at,
            None => {
                if self.events.len() >= SHARED_EVENTS {
                    self.events.clear();
                    self.by_address.clear();
                }
                self.events.push(Shared {
                    event: Arc::clone(event),
                    rendered: Vec::new(),
                });
                self.by_address.insert(address, self.events.len() - 1);
                self.events.len() - 1
            }
        };
        self.last = at;
        at
    }
}

/// An event's address is its key: a multiply spreads addresses over the
/// table (they are ours, never chosen by a client).
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_usize(usize::from(byte));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Appends `render`'s bytes for an event that renders the same for every
/// connection of its type, rendering it only the first time.
fn render_shared(render: &mut dyn Render, kind: TypeId, event: &Arc<Event>, out: &mut Vec<u8>) {
    SHARED.with(|shared| {
        let mut shared = shared.borrow_mut();
        let at = shared.find(event);
        let entry = &mut shared.events[at];
        let kind = (kind, render.variant());
        match entry.rendered.iter().find(|(k, _)| *k == kind) {
            Some((_, bytes)) => out.extend_from_slice(bytes),
            None => {
                let mut bytes = Vec::new();
                render.render(event, &mut bytes);
                out.extend_from_slice(&bytes);
                entry.rendered.push((kind, bytes));
            }
        }
    });
}

/// A drained buffer bigger than this is given back, so an idle connection
/// holds little memory whatever it once had queued.
const KEEP_CAPACITY: usize = 1024;

pub struct Outbound {
    /// This outbound itself, for registering with the drainer.
    me: Weak<Outbound>,
    stream: Arc<TcpStream>,
    /// Bytes that may wait for this client before it is cut off.
    limit: usize,
    drainer: Drainer,
    state: Mutex<State>,
    /// How many of the door's commands the hub has carried out.
    handled: AtomicU64,
    /// Replies wait in `State::held`; read by the hub without the lock.
    holding: AtomicBool,
    /// Replies opened by the door and not yet closed: while there are, the
    /// hub says when it starts each of this door's commands.
    replies: AtomicU64,
    _open: super::OpenGuard,
}

struct State {
    render: Box<dyn Render>,
    /// The renderer's type: connections of one type share rendered bytes.
    kind: TypeId,
    /// Rendered bytes not yet written; `pending[written..]` is what is left.
    pending: Vec<u8>,
    written: usize,
    /// In the hub's list of connections to write after this batch.
    dirty: bool,
    /// Bytes the hub's last batch rendered here: room made at once for the
    /// next, instead of the buffer growing by doubling every batch.
    last_batch: usize,
    /// The socket said "full": the drainer writes the rest when it has room.
    full: bool,
    /// Registered with the drainer (done the first time the socket fills).
    registration: Option<Registration>,
    /// Close once everything pending is written.
    closing: bool,
    /// Nothing more goes out: the peer is gone or we have closed.
    closed: bool,
    /// The door's replies waiting for the hub: each goes out once the hub
    /// has carried out the number of commands it names.
    held: VecDeque<(u64, Said)>,
    /// A reply being kept aside ([`Said::OpenReply`]): its name and bytes.
    reply: Option<(String, Vec<u8>)>,
    /// The hub is carrying out one of this door's commands sent since the
    /// reply opened: what it delivers now is part of the reply.
    own: bool,
}

impl Outbound {
    pub fn new(
        stream: Arc<TcpStream>,
        limit: usize,
        render: impl Render + 'static,
        drainer: Drainer,
        open: &OpenConnections,
    ) -> Arc<Outbound> {
        Arc::new_cyclic(|me| Outbound {
            me: me.clone(),
            stream,
            limit,
            drainer,
            state: Mutex::new(State {
                kind: render.type_id(),
                render: Box::new(render),
                pending: Vec::new(),
                written: 0,
                dirty: false,
                last_batch: 0,
                full: false,
                registration: None,
                closing: false,
                closed: false,
                held: VecDeque::new(),
                reply: None,
                own: false,
            }),
            handled: AtomicU64::new(0),
            holding: AtomicBool::new(false),
            replies: AtomicU64::new(0),
            _open: open.enter(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The door's own reply to its client, after the hub's answers to the
    /// first `after` commands the door sent it: written at once when the
    /// hub has carried those out, else held until it has.
    pub fn say(&self, after: u64, said: Said) {
        if matches!(said, Said::OpenReply(_)) {
            // Before the door sends the reply's commands: the hub sees it.
            self.replies.fetch_add(1, Ordering::SeqCst);
        }
        let mut state = self.lock();
        if state.held.is_empty() {
            // Set before reading `handled`, while the hub sets `handled`
            // before reading this: one of the two sees the other, so a held
            // reply is never left behind (SeqCst orders the four).
            self.holding.store(true, Ordering::SeqCst);
            if self.handled.load(Ordering::SeqCst) >= after {
                self.holding.store(false, Ordering::SeqCst);
                // Over its byte budget: the hub cuts it off at its next
                // delivery; what the door says meanwhile is dropped.
                let _ = self.queue_said(&mut state, &said);
                self.write(&mut state);
                return;
            }
        }
        state.held.push_back((after, said));
    }

    fn queue_said(&self, state: &mut State, said: &Said) -> Result<(), QueueFull> {
        if state.closed || state.closing {
            return Ok(());
        }
        match said {
            Said::Event(event) => return self.queue(state, event, None, true),
            Said::Bytes(bytes) => into(state, true).1.extend_from_slice(bytes),
            Said::Line(line) => {
                let (render, out) = into(state, true);
                render.render_line(line, out);
            }
            Said::OpenReply(label) => state.reply = Some((label.clone(), Vec::new())),
            Said::CloseReply => {
                self.replies.fetch_sub(1, Ordering::SeqCst);
                if let Some((label, lines)) = state.reply.take() {
                    let State {
                        render, pending, ..
                    } = state;
                    render.reply(&label, &lines, pending);
                }
            }
        }
        self.check_limit(state)
    }

    fn check_limit(&self, state: &State) -> Result<(), QueueFull> {
        let kept = state.reply.as_ref().map_or(0, |(_, lines)| lines.len());
        match state.pending.len() - state.written + kept > self.limit {
            true => Err(QueueFull),
            false => Ok(()),
        }
    }

    /// Renders `event` into the pending bytes (or, `ours` — the door's or
    /// the hub's answer to this door — into an open reply), unless the
    /// connection has closed. Lines that render to nothing cost nothing.
    fn queue(
        &self,
        state: &mut State,
        event: &Event,
        to_many: Option<&Arc<Event>>,
        ours: bool,
    ) -> Result<(), QueueFull> {
        if state.closed || state.closing {
            return Ok(());
        }
        let kind = state.kind;
        let (render, out) = into(state, ours);
        match to_many {
            Some(shared) if render.shares(event) => {
                render_shared(render.as_mut(), kind, shared, out)
            }
            _ => render.render(event, out),
        }
        self.check_limit(state)
    }

    /// Writes what is pending without blocking. A full socket is handed to
    /// the drainer; a broken one is closed.
    fn write(&self, state: &mut State) {
        state.dirty = false;
        if state.full || state.closed {
            return;
        }
        while state.written < state.pending.len() {
            match send_now(&self.stream, &state.pending[state.written..]) {
                Ok(n) => state.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    state.full = true;
                    if state.registration.is_none() {
                        match self
                            .drainer
                            .register(self.me.clone() as Weak<dyn Drain>, &self.stream)
                        {
                            Ok(registration) => state.registration = Some(registration),
                            Err(e) => {
                                warn!("can't watch a full socket: {e}; closing it");
                                self.close_now(state);
                            }
                        }
                    }
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    // The peer is gone; its reader sees the end and says so.
                    self.close_now(state);
                    return;
                }
            }
        }
        state.written = 0;
        if state.pending.capacity() > KEEP_CAPACITY {
            state.pending = Vec::new();
        } else {
            state.pending.clear();
        }
        if state.closing {
            self.close_now(state);
        }
    }

    /// Queues the held replies that waited for no more than `count` of the
    /// door's commands; true when any was queued. Called with `handled`
    /// already at `count`.
    fn release_held(&self, state: &mut State, count: u64) -> Result<bool, QueueFull> {
        let mut queued = false;
        while state.held.front().is_some_and(|(after, _)| *after <= count) {
            let (_, said) = state.held.pop_front().expect("looked at the front");
            self.queue_said(state, &said)?;
            queued = true;
        }
        if state.held.is_empty() {
            self.holding.store(false, Ordering::SeqCst);
        }
        Ok(queued)
    }

    /// Shuts both directions: the peer sees the end of the stream after the
    /// bytes already written, and the reader's blocking read returns.
    fn close_now(&self, state: &mut State) {
        state.closed = true;
        state.pending = Vec::new();
        state.written = 0;
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    /// Cuts the connection off at once, dropping what is pending.
    pub fn kill(&self) {
        let mut state = self.lock();
        self.close_now(&mut state);
    }
}

impl Drain for Outbound {
    /// Called by the drainer when the socket has room again.
    fn writable(&self) {
        let mut state = self.lock();
        if state.full {
            state.full = false;
            self.write(&mut state);
        }
    }
}

impl Outbox for Outbound {
    fn push(&self, event: Arc<Event>) -> Result<Pushed, QueueFull> {
        let mut state = self.lock();
        let own = state.own;
        self.queue(&mut state, &event, Some(&event), own)?;
        if state.dirty || state.full || state.written == state.pending.len() {
            return Ok(Pushed::Done);
        }
        state.dirty = true;
        Ok(Pushed::NeedsFlush)
    }

    fn flush(&self) {
        let mut state = self.lock();
        self.write(&mut state);
    }

    fn replying(&self) -> bool {
        self.replies.load(Ordering::SeqCst) > 0
    }

    /// Lets out the replies that waited for the hub's first `count`
    /// commands (see [`Outbound::say`]).
    fn handled(&self, count: u64) -> Result<Pushed, QueueFull> {
        self.handled.fetch_max(count, Ordering::SeqCst);
        if !self.holding.load(Ordering::SeqCst) && !self.replying() {
            return Ok(Pushed::Done);
        }
        let mut state = self.lock();
        state.own = false;
        if !self.release_held(&mut state, count)?
            || state.dirty
            || state.full
            || state.written == state.pending.len()
        {
            return Ok(Pushed::Done);
        }
        state.dirty = true;
        Ok(Pushed::NeedsFlush)
    }

    /// A session's part of a batch under one lock: every event rendered,
    /// the held replies let out in their places, then one `send`.
    fn deliver(&self, items: &mut Vec<Queued>) -> Result<(), QueueFull> {
        let mut state = self.lock();
        let start = state.pending.len();
        let guess = state.last_batch;
        state.pending.reserve(guess);
        for item in items.drain(..) {
            match item {
                Queued::Event(event) => {
                    let own = state.own;
                    self.queue(&mut state, &event, Some(&event), own)?
                }
                Queued::Starting(_) => state.own = state.reply.is_some(),
                Queued::Handled(count) => {
                    state.own = false;
                    self.handled.fetch_max(count, Ordering::SeqCst);
                    if self.holding.load(Ordering::SeqCst) {
                        self.release_held(&mut state, count)?;
                    }
                }
            }
        }
        state.last_batch = state.pending.len().saturating_sub(start);
        self.write(&mut state);
        Ok(())
    }

    /// Writes what is pending, then closes (however long the client takes
    /// to read it, within its byte budget).
    fn close(&self) {
        let mut state = self.lock();
        state.closing = true;
        self.write(&mut state);
    }
}

/// The renderer, and where its bytes go: an open reply's for what is
/// `ours`, else the pending bytes.
fn into(state: &mut State, ours: bool) -> (&mut Box<dyn Render>, &mut Vec<u8>) {
    let State {
        render,
        pending,
        reply,
        ..
    } = state;
    match reply {
        Some((_, lines)) if ours => (render, lines),
        _ => (render, pending),
    }
}

/// `send` that never waits: the reader shares this socket and blocks in
/// `read`, so the descriptor itself must stay blocking.
fn send_now(stream: &TcpStream, bytes: &[u8]) -> io::Result<usize> {
    socket2::SockRef::from(stream).send_with_flags(bytes, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
}
