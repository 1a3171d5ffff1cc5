//! Wiring and life cycle: starts the hub and the doors, and on Ctrl-C or
//! SIGTERM tells everyone the server is going down, gives their queues a
//! bounded time to drain, and returns.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use log::{info, warn};

use crate::config::Config;
use crate::door::{self, text, ConnectionLimits};
use crate::hub;

/// How long queued lines get to reach their readers at shutdown.
const DRAIN_TIME: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub enum ServerError {
    Listen {
        door: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
    Start(std::io::Error),
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::Listen { door, addr, source } => write!(
                f,
                "can't listen on {addr} for the {door} door: {source}; \
                 is another server running there? Choose another address with --{door}-listen or in chat.toml"
            ),
            ServerError::Start(source) => write!(f, "can't start the server: {source}"),
        }
    }
}

impl std::error::Error for ServerError {}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(config: Config) -> Result<(), ServerError> {
    let (stop_tx, stop_rx) = crossbeam_channel::bounded::<()>(1);
    let signalled = Arc::new(AtomicBool::new(false));
    let handler = {
        let signalled = Arc::clone(&signalled);
        move || {
            if signalled.swap(true, Ordering::SeqCst) {
                // The second Ctrl-C: the operator is not waiting any longer.
                eprintln!("chatd: second interrupt, exiting at once");
                std::process::exit(130);
            }
            let _ = stop_tx.try_send(());
        }
    };
    if let Err(e) = ctrlc::set_handler(handler) {
        warn!("can't install the Ctrl-C/SIGTERM handler: {e}; stop chatd with SIGKILL");
    }
    let running = start(&config)?;
    let _ = stop_rx.recv();
    running.stop();
    Ok(())
}

/// A started server.
pub struct Running {
    hub: hub::HubHandle,
    hub_thread: thread::JoinHandle<()>,
    writers: door::ActiveWriters,
}

/// Starts the hub and binds every door; returns once all are listening.
pub fn start(config: &Config) -> Result<Running, ServerError> {
    let (hub, hub_thread) = hub::spawn(config.hub()).map_err(ServerError::Start)?;
    let writers = door::ActiveWriters::default();
    let listener =
        door::bind("text", config.text_listen).map_err(|source| ServerError::Listen {
            door: "text",
            addr: config.text_listen,
            source,
        })?;
    let limits = ConnectionLimits::new(
        config.limits.max_connections,
        config.limits.connections_per_ip,
    );
    let text_config = text::TextDoorConfig {
        max_line: config.limits.line_length,
        queue_length: config.limits.outbound_queue,
    };
    let serve = {
        let hub = hub.clone();
        let writers = writers.clone();
        move |stream, peer, admission| {
            text::serve(
                stream,
                peer,
                admission,
                hub.clone(),
                text_config.clone(),
                writers.clone(),
            )
        }
    };
    thread::Builder::new()
        .name("text-accept".into())
        .spawn(move || door::accept_loop("text", listener, limits, text::refusal, serve))
        .map_err(ServerError::Start)?;
    Ok(Running {
        hub,
        hub_thread,
        writers,
    })
}

impl Running {
    /// Tells everyone the server is going down, waits for the hub to stop and
    /// for the writers to drain their queues (at most [`DRAIN_TIME`]).
    pub fn stop(self) {
        info!("shutting down");
        self.hub.shutdown("server shutting down");
        let _ = self.hub_thread.join();
        let deadline = Instant::now() + DRAIN_TIME;
        while self.writers.count() > 0 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        match self.writers.count() {
            0 => info!("all connections closed; bye"),
            n => warn!("{n} connections still writing after {DRAIN_TIME:?}; leaving them"),
        }
    }
}
