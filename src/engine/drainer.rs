//! The drainer: one thread that finishes writes to sockets that were full.
//!
//! A connection is registered the first time its socket fills up and stays
//! registered (edge-triggered, for writability) until it closes. Linux only
//! reports such an edge after a `send` found no room, so connections that
//! keep up cost this thread nothing.

use std::collections::HashMap;
use std::io;
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, Mutex, Weak};
use std::thread;

use log::error;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token};

/// What the drainer finishes writing: a connection whose socket was full.
/// (A trait, so that the drainer needs nothing of the outbound side that
/// uses it.)
pub trait Drain: Send + Sync {
    /// The socket has room again: write what waits.
    fn writable(&self);
}

type Waiting = Arc<Mutex<Watched>>;

#[derive(Default)]
struct Watched {
    next_token: usize,
    by_token: HashMap<usize, Weak<dyn Drain>>,
}

/// A handle for registering full sockets; cheap to clone.
#[derive(Clone)]
pub struct Drainer {
    registry: Arc<Registry>,
    watched: Waiting,
}

/// A connection's place in the drainer, given back when dropped.
pub struct Registration {
    token: usize,
    fd: RawFd,
    /// Keeps the descriptor open until it has been deregistered, so a
    /// number the kernel hands out again is never deregistered by mistake.
    _stream: Arc<TcpStream>,
    drainer: Drainer,
}

impl Drainer {
    /// Starts the drainer thread.
    pub fn start() -> io::Result<Drainer> {
        let poll = Poll::new()?;
        let registry = Arc::new(poll.registry().try_clone()?);
        let watched = Waiting::default();
        let drainer = Drainer {
            registry,
            watched: Arc::clone(&watched),
        };
        thread::Builder::new()
            .name("drainer".into())
            .stack_size(128 * 1024)
            .spawn(move || run(poll, &watched))?;
        Ok(drainer)
    }

    /// Watches `outbound`'s socket for room to write.
    pub(super) fn register(
        &self,
        outbound: Weak<dyn Drain>,
        stream: &Arc<TcpStream>,
    ) -> io::Result<Registration> {
        let stream = Arc::clone(stream);
        let fd = stream.as_raw_fd();
        let token = {
            let mut watched = lock(&self.watched);
            watched.next_token += 1;
            let token = watched.next_token;
            watched.by_token.insert(token, outbound);
            token
        };
        let registered =
            self.registry
                .register(&mut SourceFd(&fd), Token(token), Interest::WRITABLE);
        if let Err(e) = registered {
            lock(&self.watched).by_token.remove(&token);
            return Err(e);
        }
        Ok(Registration {
            token,
            fd,
            _stream: stream,
            drainer: self.clone(),
        })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let _ = self.drainer.registry.deregister(&mut SourceFd(&self.fd));
        lock(&self.drainer.watched).by_token.remove(&self.token);
    }
}

fn lock(watched: &Waiting) -> std::sync::MutexGuard<'_, Watched> {
    watched.lock().unwrap_or_else(|e| e.into_inner())
}

fn run(mut poll: Poll, watched: &Waiting) {
    let mut events = Events::with_capacity(256);
    let mut ready = Vec::new();
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            error!("the drainer stopped: {e}; full sockets will not be written");
            return;
        }
        {
            let watched = lock(watched);
            ready.extend(
                events
                    .iter()
                    .filter_map(|event| watched.by_token.get(&event.token().0))
                    .filter_map(Weak::upgrade),
            );
        }
        for outbound in ready.drain(..) {
            outbound.writable();
        }
    }
}
