//! The connection engine under every TCP door: what a connection costs and
//! how bytes leave it.
//!
//! - One thread per connection, its reader, blocking in `read`.
//! - No writer threads: an [`Outbound`] holds a connection's rendered bytes
//!   (bounded in bytes: `[limits] send_queue`) and whoever queues writes them
//!   without blocking — the hub once per batch of commands, so a receiver's
//!   lines from that batch leave in one `send`. A socket that is full is
//!   finished by the one [`Drainer`] thread when the kernel says it has room.
//! - A reader gives back the stack pages its login touched ([`stack`]).
//! - Our own small kernel send buffer ([`SOCKET_SEND_BUFFER`]), so a reader
//!   that never reads is cut off after its queue's bytes plus that buffer.
//!
//! Measured in BENCHMARKS.md ("The connection engine").

mod drainer;
mod outbound;
pub mod stack;

pub use drainer::Drainer;
pub use outbound::{Outbound, Render, Said};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The kernel send buffer asked for on every TCP connection (Linux doubles
/// it for its own bookkeeping). Small enough that a client who never reads
/// holds little of the kernel's memory; large enough that a burst to a
/// client who does read fits without a trip through the drainer.
pub const SOCKET_SEND_BUFFER: usize = 64 * 1024;

/// What every TCP door shares: the drainer, the byte budget of a connection's
/// queue, and the count of open connections (for shutdown to wait on).
#[derive(Clone)]
pub struct Engine {
    pub drainer: Drainer,
    pub send_queue: usize,
    pub open: OpenConnections,
}

impl Engine {
    pub fn start(send_queue: usize) -> std::io::Result<Engine> {
        Ok(Engine {
            drainer: Drainer::start()?,
            send_queue,
            open: OpenConnections::default(),
        })
    }
}

/// Counts connections whose outbound side still exists, so shutdown can wait
/// (for a bounded time) until their last lines have been written.
#[derive(Clone, Default)]
pub struct OpenConnections(Arc<AtomicUsize>);

/// Held by an open connection's [`Outbound`].
pub struct OpenGuard(Arc<AtomicUsize>);

impl OpenConnections {
    fn enter(&self) -> OpenGuard {
        self.0.fetch_add(1, Ordering::SeqCst);
        OpenGuard(Arc::clone(&self.0))
    }

    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
