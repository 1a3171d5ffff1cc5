//! Front doors: each protocol is a thin adapter between sockets and the hub.
//! This file holds what every TCP door shares — binding, the accept loop and
//! the connection limits (total and per address).

pub mod family;
pub mod flood;
pub mod irc;
pub mod lines;
pub mod modes;
pub mod sanitize;
pub mod session;
pub mod text;
pub mod udp;
pub mod web;
mod wording;

use std::collections::HashMap;
use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use log::{error, info, warn};

use crate::engine::{Engine, Outbound, Render, SOCKET_SEND_BUFFER};
use crate::hub::Command;
use crate::runtime::{HubHandle, Link, Outbox};

/// Stack for each connection's thread (its reader; there is no writer
/// thread). Buffers live on the heap; only the pages touched count.
pub const CONNECTION_STACK: usize = 256 * 1024;

/// Counts open connections, in total and per address, and refuses more than
/// the configured limits.
pub struct ConnectionLimits {
    total: usize,
    per_address: usize,
    /// Reverse proxies: many people share their address, so it has no limit
    /// of its own; the browser door counts the forwarded address instead.
    proxies: Vec<crate::model::AddressRange>,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One admitted connection; dropping it gives its place back.
pub struct Admission {
    limits: Arc<ConnectionLimits>,
    ip: IpAddr,
}

impl ConnectionLimits {
    pub fn new(total: usize, per_address: usize) -> Arc<ConnectionLimits> {
        ConnectionLimits::behind_proxies(total, per_address, Vec::new())
    }

    /// Limits where `proxies` (`[web] trusted_proxies`) count only in the total.
    pub fn behind_proxies(
        total: usize,
        per_address: usize,
        proxies: Vec<crate::model::AddressRange>,
    ) -> Arc<ConnectionLimits> {
        Arc::new(ConnectionLimits {
            total,
            per_address,
            proxies,
            open: Mutex::new((0, HashMap::new())),
        })
    }

    /// Admits a connection from `ip`, or says why not.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Admission, String> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let (total, by_ip) = &mut *open;
        if *total >= self.total {
            return Err(format!(
                "the server is full ({} connections); try again later",
                self.total
            ));
        }
        let from_ip = by_ip.entry(ip).or_insert(0);
        let proxy = self.proxies.iter().any(|range| range.contains(ip));
        if *from_ip >= self.per_address && !proxy {
            return Err(format!(
                "too many connections from your address (at most {})",
                self.per_address
            ));
        }
        *from_ip += 1;
        *total += 1;
        Ok(Admission {
            limits: Arc::clone(self),
            ip,
        })
    }
}

impl Admission {
    /// The address this connection counts against.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut open = self.limits.open.lock().unwrap_or_else(|e| e.into_inner());
        let (total, by_ip) = &mut *open;
        *total -= 1;
        if let Some(n) = by_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                by_ip.remove(&self.ip);
            }
        }
    }
}

/// Asks the kernel to probe a silent peer, so that a half-open connection (a
/// peer that vanished without a FIN) is noticed even before the idle timeout.
pub fn keep_alive(stream: &TcpStream) {
    let probe = socket2::TcpKeepalive::new()
        .with_time(std::time::Duration::from_secs(60))
        .with_interval(std::time::Duration::from_secs(10))
        .with_retries(3);
    if let Err(e) = socket2::SockRef::from(stream).set_tcp_keepalive(&probe) {
        warn!("can't turn on TCP keepalive: {e}");
    }
}

/// Raises the soft limit on open files to the hard limit where allowed and
/// returns how many connections fit in it (one descriptor each, and some
/// room for the listeners and the database).
pub fn raise_open_files_limit() -> u64 {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            warn!("can't raise the open files limit: {e}");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .map(|(soft, _)| soft)
                .unwrap_or(1024)
        }
    };
    limit.saturating_sub(64)
}

/// Memory mappings one connection costs: its one thread's stack with a guard
/// page and a signal stack with its own (measured: 4 per thread).
const MAPS_PER_CONNECTION: u64 = 4;

/// How many connections fit under the kernel's limit on memory mappings
/// (`vm.max_map_count`), leaving room for the rest of the process; `None`
/// where there is no such limit to read.
pub fn memory_map_room() -> Option<u64> {
    let limit: u64 = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(limit.saturating_sub(2048) / MAPS_PER_CONNECTION)
}

/// Binds a door's listener and logs the address it got (which matters when
/// the port asked for was 0).
pub fn bind(door: &str, addr: SocketAddr) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)?;
    info!("{door} door listening on {}", listener.local_addr()?);
    Ok(listener)
}

/// Accepts connections for ever, each on its own thread running `serve`.
/// A refused connection is told why in `refusal`'s words and closed.
pub fn accept_loop<F>(
    door: &'static str,
    listener: TcpListener,
    limits: Arc<ConnectionLimits>,
    refusal: fn(&str) -> String,
    serve: F,
) where
    F: Fn(TcpStream, SocketAddr, Admission) + Send + Sync + Clone + 'static,
{
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(e) => {
                // EMFILE and friends: the listener is still good; go on.
                warn!("{door} door: accept failed: {e}");
                thread::sleep(std::time::Duration::from_millis(50));
                continue;
            }
        };
        let Ok(peer) = stream.peer_addr() else {
            continue;
        };
        let admission = match limits.admit(peer.ip()) {
            Ok(admission) => admission,
            Err(why) => {
                warn!("refused {peer} at the {door} door: {why}");
                // A fresh socket's send buffer is empty: this cannot block.
                let _ = (&stream).write_all(refusal(&why).as_bytes());
                continue;
            }
        };
        let serve = serve.clone();
        let spawned = thread::Builder::new()
            .name(format!("{door}-{peer}"))
            .stack_size(CONNECTION_STACK)
            .spawn(move || serve(stream, peer, admission));
        if let Err(e) = spawned {
            error!("{door} door: can't start a thread for {peer}: {e}");
        }
    }
}

/// A TCP connection attached to the hub.
pub struct Attached {
    pub session: crate::hub::SessionId,
    pub stream: Arc<TcpStream>,
    /// The connection's outbound side, for what the door says itself
    /// (prompts, errors), ordered with what the hub says.
    pub own: Arc<Outbound>,
    /// The hub's answers to Login and ChangeNick.
    pub replies: crossbeam_channel::Receiver<bool>,
}

/// What a TCP door brings to each of its connections.
pub struct DoorSetup<'a> {
    /// The door's name in the log.
    pub name: &'static str,
    /// Silence after which the hub logs a session out (see `Command::Connect`).
    pub idle_timeout: Duration,
    pub hub: &'a HubHandle,
    pub engine: &'a Engine,
}

/// The life of a TCP door's connection: set the socket up, attach a session
/// to the hub with an outbound side that renders with `render`, run `read`
/// on this thread (the connection's only one), then tell the hub the
/// connection is gone. Logged at both ends.
pub fn serve_connection(
    setup: DoorSetup,
    stream: TcpStream,
    peer: SocketAddr,
    render: impl Render + 'static,
    read: impl FnOnce(Attached) -> String,
) {
    let DoorSetup {
        name,
        idle_timeout,
        hub,
        engine,
    } = setup;
    info!("connect {peer} ({name})");
    // Chat lines are small: without NODELAY they wait for the peer's
    // delayed ACK and latency sits near 40 ms.
    let _ = stream.set_nodelay(true);
    keep_alive(&stream);
    if let Err(e) = socket2::SockRef::from(&stream).set_send_buffer_size(SOCKET_SEND_BUFFER) {
        warn!("can't set the send buffer of {peer}: {e}");
    }
    // The reader, the outbound side and the hub's kill switch share one
    // descriptor (`&TcpStream` reads and writes), so a connection costs one.
    let stream = Arc::new(stream);
    let own = Outbound::new(
        Arc::clone(&stream),
        engine.send_queue,
        render,
        engine.drainer.clone(),
        &engine.open,
    );
    let (reply_tx, replies) = crossbeam_channel::bounded(1);
    let for_kill = Arc::clone(&own);
    let outbox: Arc<dyn Outbox> = own.clone();
    let link = Link {
        outbox,
        // Bounded(1) and never blocking: a reader has one login in flight.
        login: Some(Box::new(move |taken| {
            let _ = reply_tx.try_send(taken);
        })),
        kill: Box::new(move || for_kill.kill()),
    };
    let session = hub.attach(peer, idle_timeout, |_| link);
    let reason = read(Attached {
        session,
        stream,
        own,
        replies,
    });
    hub.send(
        session,
        Command::Disconnected {
            reason: reason.clone(),
        },
    );
    info!("disconnect {peer} ({reason})");
}
