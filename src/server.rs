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

use crate::auth::{AuthPool, LoginThrottle};
use crate::clock::Now;
use crate::config::{Config, Limits};
use crate::door::flood::FloodRule;
use crate::door::irc::{self, render::ServerInfo};
use crate::door::{self, text, udp, web, ConnectionLimits};
use crate::engine::Engine;
use crate::hub::{self, MessageIds};
use crate::runtime;
use crate::runtime::accounts::{AccountRules, Accounts};
use crate::store::{DbLock, LockError, Store, StoreError};

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
    Store(StoreError),
    /// Another chatd has the database (issue 16: one server per database).
    Lock(LockError),
    Auth(String),
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::Listen { door, addr, source } => write!(
                f,
                "can't listen on {addr} for the {door} door: {source}; \
                 is another server running there? Choose another address with {} or in chat.toml",
                match *door {
                    "text" => "--listen",
                    "udp" => "--udp-listen",
                    "web" => "--web-listen",
                    _ => "--irc-listen",
                }
            ),
            ServerError::Start(source) => write!(f, "can't start the server: {source}"),
            ServerError::Store(source) => write!(f, "{source}"),
            ServerError::Lock(source) => write!(f, "{source}"),
            ServerError::Auth(why) => write!(f, "{why}"),
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
    /// Where the text door listens (useful when it was given port 0).
    pub text_addr: SocketAddr,
    /// Where the UDP door listens, when it is on.
    pub udp_addr: Option<SocketAddr>,
    /// Where the IRC door listens, when it is on.
    pub irc_addr: Option<SocketAddr>,
    /// Where the browser door listens, when it is on.
    pub web_addr: Option<SocketAddr>,
    hub: runtime::HubHandle,
    threads: runtime::HubThreads,
    engine: Engine,
    store: Arc<Store>,
    /// Held until the database is closed.
    lock: DbLock,
}

/// Starts the hub and binds every door; returns once all are listening.
pub fn start(config: &Config) -> Result<Running, ServerError> {
    let max_connections = connection_capacity(config.limits.max_connections);
    let lock = DbLock::take(&config.database).map_err(ServerError::Lock)?;
    let store = Arc::new(Store::open(&config.database).map_err(ServerError::Store)?);
    info!(
        "database {}",
        crate::config::absolute(&config.database).display()
    );
    let settings = &config.accounts;
    // Bounded: past this many waiting, a login is told the server is busy.
    let queue = 64 * settings.max_concurrent_hashes;
    let pool = AuthPool::new(settings.argon2, settings.max_concurrent_hashes, queue)
        .map_err(ServerError::Auth)?;
    let throttle = LoginThrottle::new(settings.max_login_failures, settings.login_failure_window);
    let rules = AccountRules {
        allow_guests: settings.allow_guests,
        min_password_length: settings.min_password_length,
        scram_iterations: settings.scram_iterations,
    };
    let accounts = Arc::new(Accounts::new(
        Arc::clone(&store),
        pool,
        throttle,
        rules,
        config.opers.clone(),
    ));
    let hub_config = hub_config(config, &store).map_err(ServerError::Store)?;
    let (hub, threads) = runtime::spawn(hub_config, Arc::clone(&store), config.memos_per_recipient)
        .map_err(ServerError::Start)?;
    let engine = Engine::start(config.limits.send_queue.0).map_err(ServerError::Start)?;
    let listener =
        door::bind("text", config.text_listen).map_err(|source| ServerError::Listen {
            door: "text",
            addr: config.text_listen,
            source,
        })?;
    let text_addr = listener.local_addr().map_err(ServerError::Start)?;
    // One budget for every door: a person's connections count the same
    // whichever protocol they speak.
    let limits = ConnectionLimits::behind_proxies(
        max_connections,
        config.limits.connections_per_ip,
        config.web.trusted_proxies.clone(),
    );
    let udp_addr = match config.udp_listen {
        Some(addr) => {
            let socket = udp::bind(addr).map_err(|source| ServerError::Listen {
                door: "udp",
                addr,
                source,
            })?;
            let bound = socket.local_addr().map_err(ServerError::Start)?;
            let door = udp::UdpDoor {
                hub: hub.clone(),
                accounts: Arc::clone(&accounts),
                nick_length: config.limits.nick_length,
                limits: Arc::clone(&limits),
                flood: flood_rule(&config.limits),
                idle_timeout: config.udp_idle_timeout,
            };
            udp::start(socket, door).map_err(ServerError::Start)?;
            Some(bound)
        }
        None => None,
    };
    let text_door = Arc::new(text::TextDoor {
        hub: hub.clone(),
        accounts: Arc::clone(&accounts),
        config: text::TextDoorConfig {
            max_line: config.limits.line_length,
            idle_timeout: config.idle_timeout,
            flood: flood_rule(&config.limits),
            nick_length: config.limits.nick_length,
        },
        engine: engine.clone(),
    });
    let serve = move |stream, peer, admission| text_door.serve(stream, peer, admission);
    let text_limits = Arc::clone(&limits);
    thread::Builder::new()
        .name("text-accept".into())
        .spawn(move || door::accept_loop("text", listener, text_limits, text::refusal, serve))
        .map_err(ServerError::Start)?;
    let web_addr = match config.web_listen {
        Some(addr) => Some(start_web(config, addr, &hub, &accounts, &engine, &limits)?),
        None => None,
    };
    let irc_addr = match config.irc_listen {
        Some(addr) => {
            let listener = door::bind("irc", addr).map_err(|source| ServerError::Listen {
                door: "irc",
                addr,
                source,
            })?;
            let bound = listener.local_addr().map_err(ServerError::Start)?;
            let irc_door = Arc::new(irc::IrcDoor {
                hub: hub.clone(),
                accounts: Arc::clone(&accounts),
                config: irc::IrcDoorConfig {
                    server: ServerInfo {
                        name: config.irc.server_name.clone(),
                        network: config.irc.network.clone(),
                        version: format!("chatd-{}", env!("CARGO_PKG_VERSION")),
                        created: crate::clock::unix_now(),
                        motd: config.irc.motd.clone(),
                        nick_length: config.limits.nick_length,
                        channel_length: config.limits.channel_length,
                        max_watch: hub::MAX_WATCH,
                    },
                    flood: flood_rule(&config.limits),
                    ping_interval: config.irc.ping_interval,
                    idle_timeout: config.idle_timeout,
                },
                engine: engine.clone(),
            });
            let serve = move |stream, peer, admission| irc_door.serve(stream, peer, admission);
            thread::Builder::new()
                .name("irc-accept".into())
                .spawn(move || door::accept_loop("irc", listener, limits, irc::refusal, serve))
                .map_err(ServerError::Start)?;
            Some(bound)
        }
        None => None,
    };
    Ok(Running {
        text_addr,
        udp_addr,
        irc_addr,
        web_addr,
        hub,
        threads,
        engine,
        store,
        lock,
    })
}

/// How fast a client may send, from `[limits]`.
fn flood_rule(limits: &Limits) -> FloodRule {
    FloodRule {
        rate: limits.flood_rate,
        burst: limits.flood_burst,
    }
}

/// What the hub needs of the configuration, and what the database kept:
/// channels made with /create, permanent channels' topics and modes,
/// server-wide bans, and the history replayed on join.
fn hub_config(config: &Config, store: &Store) -> Result<hub::HubConfig, StoreError> {
    let saved_history = match config.history.replay {
        0 => Vec::new(),
        replay => store.recent_history(replay)?,
    };
    // Reserved before the hub hands out any id: see `MessageIds`.
    let handed_out = store.highest_message_id()?;
    let reserved = MessageIds::reservation_at_start(handed_out, Now::read().wall);
    store.reserve_message_ids(reserved)?;
    Ok(hub::HubConfig {
        nick_length: config.limits.nick_length,
        channel_length: config.limits.channel_length,
        lobby: config.lobby.clone(),
        channels: config.channels.clone(),
        saved_channels: store.channels()?,
        glines: store.glines()?,
        history: config.history.clone(),
        saved_history,
        message_ids: MessageIds::resume(handed_out, reserved),
    })
}

/// Binds the browser door and starts its accept loop; returns its address.
fn start_web(
    config: &Config,
    addr: SocketAddr,
    hub: &runtime::HubHandle,
    accounts: &Arc<Accounts>,
    engine: &Engine,
    limits: &Arc<ConnectionLimits>,
) -> Result<SocketAddr, ServerError> {
    let listener = door::bind("web", addr).map_err(|source| ServerError::Listen {
        door: "web",
        addr,
        source,
    })?;
    let bound = listener.local_addr().map_err(ServerError::Start)?;
    let web_door = Arc::new(web::WebDoor {
        hub: hub.clone(),
        accounts: Arc::clone(accounts),
        config: web::WebDoorConfig {
            max_line: config.limits.line_length,
            idle_timeout: config.idle_timeout,
            nick_length: config.limits.nick_length,
            flood: flood_rule(&config.limits),
            allowed_origins: config.web.allowed_origins.clone(),
            trusted_proxies: config.web.trusted_proxies.clone(),
        },
        engine: engine.clone(),
        limits: Arc::clone(limits),
    });
    let serve = move |stream, peer, admission| web_door.serve(stream, peer, admission);
    let web_limits = Arc::clone(limits);
    thread::Builder::new()
        .name("web-accept".into())
        .spawn(move || door::accept_loop("web", listener, web_limits, web::refusal, serve))
        .map_err(ServerError::Start)?;
    Ok(bound)
}

/// How many connections this process can really hold: `configured`, or
/// fewer when the open-files limit or the kernel's memory-map limit says so.
/// Past the map limit a new thread aborts the whole process, so beyond it a
/// connection must be refused ("the server is full") instead.
fn connection_capacity(configured: usize) -> usize {
    let files = door::raise_open_files_limit();
    let maps = door::memory_map_room();
    let capacity = (configured as u64).min(files).min(maps.unwrap_or(u64::MAX)) as usize;
    if (files as usize) < configured {
        warn!(
            "the open files limit leaves room for {files} connections, fewer than \
             max_connections = {configured}; raise it with ulimit -n"
        );
    }
    if let Some(maps) = maps.filter(|&m| (m as usize) < configured) {
        warn!(
            "vm.max_map_count leaves room for {maps} connections (4 memory maps each), fewer \
             than max_connections = {configured}; raise it with \
             sysctl -w vm.max_map_count=262144"
        );
    }
    info!(
        "can hold {capacity} connections (max_connections {configured}, open files allow \
         {files}, memory maps allow {})",
        maps.map_or("any number".to_string(), |m| m.to_string())
    );
    capacity
}

impl Running {
    /// Tells everyone the server is going down, waits for the hub to stop and
    /// for the writers to drain their queues (at most [`DRAIN_TIME`]).
    pub fn stop(self) {
        info!("shutting down");
        self.hub.shutdown("server shutting down");
        let _ = self.threads.hub.join();
        let deadline = Instant::now() + DRAIN_TIME;
        while self.engine.open.count() > 0 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        match self.engine.open.count() {
            0 => info!("all connections closed; bye"),
            n => warn!("{n} connections still writing after {DRAIN_TIME:?}; leaving them"),
        }
        // The hub has stopped, so the store worker ends once it has saved
        // everything it was given; then the WAL goes into the database file
        // and the lock is let go, in that order (issue 16).
        let _ = self.threads.store.join();
        self.store.close();
        drop(self.lock);
    }
}
