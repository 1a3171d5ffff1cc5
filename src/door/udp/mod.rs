//! The UDP door: the chat protocol of *Network Programming with Perl*'s own
//! client, so that `chat_client.pl` works against chatd unmodified. One
//! socket; each client address is one session. A reader thread decodes
//! datagrams ([`wire`]) into hub commands; a writer thread renders every UDP
//! session's events into datagrams and sends them from the same socket, so
//! replies leave from the address the client sent to.

pub mod wire;

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use log::{debug, info, warn};

use self::wire::Request;
use super::accounts::Accounts;
use super::flood::{FloodRule, TokenBucket, Verdict};
use super::{sanitize, Admission, ConnectionLimits};
use crate::hub::{ChatError, Command, Event, SessionId};
use crate::runtime::{HubHandle, Link, Outbox, Pushed, QueueFull};

/// Datagrams waiting for the writer, for all UDP sessions together. UDP is
/// lossy anyway: past this, datagrams are dropped rather than anyone waiting.
const SEND_QUEUE: usize = 64 * 1024;

/// What the UDP door needs from the rest of the server.
pub struct UdpDoor {
    pub hub: HubHandle,
    pub accounts: Arc<Accounts>,
    pub limits: Arc<ConnectionLimits>,
    pub flood: FloodRule,
    /// Silence after which a session is logged out: the book's clients send
    /// nothing while their user only listens (the timed client says
    /// STILL_HERE about once a minute).
    pub idle_timeout: Duration,
}

/// One client address.
struct Client {
    session: SessionId,
    /// Set once the hub has logged the session in.
    nick: Option<String>,
    flood: TokenBucket,
    _admission: Admission,
}

type Clients = Arc<Mutex<HashMap<SocketAddr, Client>>>;

fn lock(clients: &Clients) -> MutexGuard<'_, HashMap<SocketAddr, Client>> {
    clients.lock().unwrap_or_else(|e| e.into_inner())
}

/// An outgoing event for one address.
struct Outgoing {
    to: SocketAddr,
    session: SessionId,
    event: Arc<Event>,
}

/// A UDP session's outbox: a tag on the shared send queue.
struct UdpOutbox {
    to: SocketAddr,
    session: SessionId,
    queue: Sender<Outgoing>,
}

impl Outbox for UdpOutbox {
    fn push(&self, event: Arc<Event>) -> Result<Pushed, QueueFull> {
        let outgoing = Outgoing {
            to: self.to,
            session: self.session,
            event,
        };
        if let Err(TrySendError::Full(_)) = self.queue.try_send(outgoing) {
            debug!("UDP send queue full: dropped a datagram for {}", self.to);
        }
        // Never a slow consumer: a UDP client can't hold anyone up.
        Ok(Pushed::Done)
    }
}

/// Binds the UDP door and logs the address it got.
pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind(addr)?;
    info!("udp door listening on {}", socket.local_addr()?);
    Ok(socket)
}

/// Starts the reader and writer threads on `socket`.
pub fn start(socket: UdpSocket, door: UdpDoor) -> io::Result<()> {
    let clients: Clients = Arc::default();
    let (queue, queued) = crossbeam_channel::bounded(SEND_QUEUE);
    let writer_socket = socket.try_clone()?;
    let writer_clients = Arc::clone(&clients);
    thread::Builder::new()
        .name("udp-writer".into())
        .spawn(move || write_loop(&writer_socket, &writer_clients, queued))?;
    thread::Builder::new()
        .name("udp-reader".into())
        .spawn(move || {
            let reader = Reader {
                door,
                socket,
                clients,
                queue,
            };
            reader.run()
        })?;
    Ok(())
}

struct Reader {
    door: UdpDoor,
    socket: UdpSocket,
    clients: Clients,
    queue: Sender<Outgoing>,
}

impl Reader {
    fn run(&self) {
        // Room for more than the 1024 bytes we read, to see what is cut.
        let mut buf = [0u8; 2048];
        loop {
            let (n, from) = match self.socket.recv_from(&mut buf) {
                Ok(received) => received,
                // ICMP errors from earlier sends surface here: not ours to stop for.
                Err(e) => {
                    debug!("udp receive: {e}");
                    continue;
                }
            };
            let request = wire::decode(&buf[..n]);
            self.request(from, request);
        }
    }

    fn request(&self, from: SocketAddr, request: Request) {
        let mut clients = lock(&self.clients);
        let Some(client) = clients.get_mut(&from) else {
            drop(clients);
            return match request {
                Request::Login { nick, password } => self.log_in(from, None, nick, password),
                // §3.4 step 2: anything else from an unknown address.
                _ => self.send_now(from, &Event::Error(ChatError::NotLoggedIn)),
            };
        };
        let session = client.session;
        match client.flood.take(Instant::now()) {
            Verdict::Pass => {}
            Verdict::Slow(_) => {
                drop(clients);
                let error = ChatError::Server("too fast: that was dropped; slow down".into());
                return self.push(from, session, Event::Error(error));
            }
            Verdict::Excess => {
                clients.remove(&from);
                drop(clients);
                warn!("logging off {from}: Excess flood");
                // Straight out: the address is forgotten already, and the
                // writer drops goodbyes for forgotten addresses.
                let goodbye = Event::Closing {
                    reason: "Excess flood".into(),
                };
                self.send_now(from, &goodbye);
                let reason = "Excess flood".into();
                self.door
                    .hub
                    .send(session, Command::Disconnected { reason });
                return;
            }
        }
        let logged_in_as = client.nick.clone();
        drop(clients);
        let command = match request {
            Request::Login { nick, password } => {
                return match logged_in_as {
                    // The first LOGIN_ACK may have been lost: ack again.
                    Some(current) if current.eq_ignore_ascii_case(&nick) => {
                        self.push(from, session, Event::LoggedIn { nick: current })
                    }
                    // Another nickname from the same address: log the old one off.
                    Some(_) => {
                        lock(&self.clients).remove(&from);
                        self.door.hub.send(session, Command::Quit { message: None });
                        self.log_in(from, None, nick, password)
                    }
                    None => self.log_in(from, Some(session), nick, password),
                };
            }
            Request::Logoff => {
                // No reply (§3.4): forgetting the address first keeps the
                // hub's goodbye from reaching a client that may log in again.
                lock(&self.clients).remove(&from);
                Command::Quit { message: None }
            }
            Request::Join(channel) => Command::Join { channel },
            Request::Part(channel) => Command::Part {
                channel,
                reason: None,
            },
            Request::Public(text) => Command::Say {
                channel: None,
                text: sanitize::clean(&text),
                action: false,
            },
            Request::Private { to, .. } if to.is_empty() => {
                return self.push(from, session, Event::Error(ChatError::NoRecipient));
            }
            Request::Private { to, text } => Command::Private {
                to,
                text: sanitize::clean(&text),
                action: false,
            },
            Request::ListChannels => Command::ListChannels,
            Request::ListUsers => Command::Names { channel: None },
            Request::StillHere => Command::Ping,
            Request::Unimplemented => {
                self.door.hub.send(session, Command::Ping);
                let error = ChatError::Server("unimplemented event code".into());
                return self.push(from, session, Event::Error(error));
            }
        };
        self.door.hub.send(session, command);
    }

    /// Logs `from` in as `nick`: a new session, or `session` again after a
    /// refused try. A registered nickname needs its password, checked on the
    /// argon2 pool; the hub hears the outcome from there.
    fn log_in(
        &self,
        from: SocketAddr,
        session: Option<SessionId>,
        nick: String,
        password: Option<String>,
    ) {
        let session = match session {
            Some(session) => session,
            None => match self.attach(from) {
                Some(session) => session,
                None => return,
            },
        };
        let hub = self.door.hub.clone();
        let accounts = &self.door.accounts;
        let account = match accounts.owner_of(&nick) {
            Ok(account) => account,
            Err(error) => return self.push(from, session, Event::Error(error)),
        };
        match (account, password) {
            (Some(account), None) => {
                let error = ChatError::PasswordRequired(account.nick);
                self.push(from, session, Event::Error(error));
            }
            (Some(account), Some(password)) => {
                let outbox = self.outbox(from, session);
                let nick = account.nick.clone();
                accounts.log_in_then(from.ip(), account, password, move |outcome| match outcome {
                    Ok(identity) => {
                        let identity = Some(identity);
                        hub.send(session, Command::Login { nick, identity });
                    }
                    Err(error) => {
                        let _ = outbox.push(Arc::new(Event::Error(error)));
                    }
                });
            }
            (None, _) if accounts.rules.allow_guests => {
                hub.send(
                    session,
                    Command::Login {
                        nick,
                        identity: None,
                    },
                );
            }
            (None, _) => {
                let error = ChatError::Server(format!(
                    "{nick} is not registered, and this server has no guests: register it \
                     over telnet first"
                ));
                self.push(from, session, Event::Error(error));
            }
        }
    }

    /// A new session for `from`, within the connection limits.
    fn attach(&self, from: SocketAddr) -> Option<SessionId> {
        let admission = match self.door.limits.admit(from.ip()) {
            Ok(admission) => admission,
            Err(why) => {
                warn!("refused {from} at the udp door: {why}");
                self.send_now(from, &Event::Error(ChatError::Server(why)));
                return None;
            }
        };
        let queue = self.queue.clone();
        let session = self
            .door
            .hub
            .attach(from, self.door.idle_timeout, |session| Link {
                outbox: Arc::new(UdpOutbox {
                    to: from,
                    session,
                    queue,
                }),
                login: None,
                // Nothing to cut: a UDP session can't block its writer.
                kill: Box::new(|| {}),
            });
        info!("connect {from} (udp)");
        lock(&self.clients).insert(
            from,
            Client {
                session,
                nick: None,
                flood: TokenBucket::new(self.door.flood, Instant::now()),
                _admission: admission,
            },
        );
        Some(session)
    }

    fn outbox(&self, to: SocketAddr, session: SessionId) -> UdpOutbox {
        UdpOutbox {
            to,
            session,
            queue: self.queue.clone(),
        }
    }

    /// Queues an event for a session, in order with what the hub sends it.
    fn push(&self, to: SocketAddr, session: SessionId, event: Event) {
        let _ = self.outbox(to, session).push(Arc::new(event));
    }

    /// Answers an address that has no session.
    fn send_now(&self, to: SocketAddr, event: &Event) {
        let mut datagrams = Vec::new();
        wire::render(event, &mut datagrams);
        for datagram in datagrams {
            let _ = self.socket.send_to(&datagram, to);
        }
    }
}

/// Renders and sends queued events. It also keeps the address table in step
/// with the hub: a login names the address's nickname, a goodbye forgets it.
fn write_loop(socket: &UdpSocket, clients: &Clients, queued: Receiver<Outgoing>) {
    let mut datagrams = Vec::new();
    for Outgoing { to, session, event } in queued {
        match &*event {
            Event::LoggedIn { nick } => {
                if let Some(client) = lock(clients).get_mut(&to) {
                    if client.session == session {
                        client.nick = Some(nick.clone());
                    }
                }
            }
            Event::Closing { reason } => {
                let mut clients = lock(clients);
                match clients.get(&to) {
                    Some(client) if client.session == session => {
                        clients.remove(&to);
                        info!("disconnect {to} (udp): {reason}");
                    }
                    // Logged off already (or the address has a new session):
                    // a late goodbye would confuse the client's next login.
                    _ => continue,
                }
            }
            _ => {}
        }
        datagrams.clear();
        wire::render(&event, &mut datagrams);
        for datagram in &datagrams {
            if let Err(e) = socket.send_to(datagram, to) {
                debug!("udp send to {to}: {e}");
            }
        }
    }
}
