//! The UDP door: the chat protocol of *Network Programming with Perl*'s own
//! client, so that `chat_client.pl` works against chatd unmodified. One
//! socket; each client address is one session, run on the session core
//! every door shares (`door::session`). A reader thread decodes datagrams
//! ([`wire`]) and hands them to one session thread, which turns them into
//! hub commands or session input; a writer thread renders every UDP
//! session's events into datagrams and sends them from the same socket, so
//! replies leave from the address the client sent to.
//!
//! With no thread per client, nothing here may wait: a password check runs
//! on the argon2 pool and the hub's answer to a login arrives on the hub
//! thread, and each comes back to the session thread as that session's next
//! input ([`Arrival::Answer`]).

pub mod wire;

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use log::{debug, info, warn};

use self::wire::Request;
use super::flood::{FloodRule, TokenBucket, Verdict};
use super::session::carry::carry_out_then;
use super::session::{self, Answer, Input, Output, Reply, Rules, Session};
use super::{sanitize, Admission, ConnectionLimits};
use crate::hub::{ChatError, Command, Event, SessionId};
use crate::runtime::accounts::Accounts;
use crate::runtime::{HubHandle, Link, Outbox, Pushed, QueueFull};

/// Datagrams waiting for the writer, for all UDP sessions together. UDP is
/// lossy anyway: past this, datagrams are dropped rather than anyone waiting.
const SEND_QUEUE: usize = 64 * 1024;

/// Datagrams read but not yet handled: past this the reader waits, and the
/// kernel's receive buffer drops what comes next, as UDP may.
const RECEIVED: usize = 4096;

/// What the UDP door needs from the rest of the server.
pub struct UdpDoor {
    pub hub: HubHandle,
    pub accounts: Arc<Accounts>,
    pub nick_length: usize,
    pub limits: Arc<ConnectionLimits>,
    pub flood: FloodRule,
    /// Silence after which a session is logged out: the book's clients send
    /// nothing while their user only listens (the timed client says
    /// STILL_HERE about once a minute).
    pub idle_timeout: Duration,
}

/// One client address.
struct Client {
    id: SessionId,
    session: Session,
    outbox: Arc<UdpOutbox>,
    /// Commands sent to the hub so far (each door reply waits for them).
    sent: u64,
    /// A LOGIN_REQ that came while the last one was still being checked:
    /// run once the session has its answer (the client may have resent it).
    deferred: Option<Request>,
    flood: TokenBucket,
    _admission: Admission,
}

type Clients = Arc<Mutex<HashMap<SocketAddr, Client>>>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the session thread handles, in the order it comes.
enum Arrival {
    Datagram {
        from: SocketAddr,
        request: Request,
    },
    /// The answer to what a session asked (an argon2 check, the hub's
    /// answer to a login), for the session `session` at `from`.
    Answer {
        from: SocketAddr,
        session: SessionId,
        answer: Answer,
    },
}

/// An outgoing event for one address.
struct Outgoing {
    to: SocketAddr,
    session: SessionId,
    event: Arc<Event>,
}

/// A UDP session's outbox: a tag on the shared send queue, and the door's
/// own replies held until the hub has carried out the commands sent before
/// them (as a TCP door's `Outbound` holds them), so that a reply never
/// overtakes the hub's answers to the datagrams before it.
struct UdpOutbox {
    to: SocketAddr,
    session: SessionId,
    queue: Sender<Outgoing>,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    /// Commands the hub has carried out.
    handled: u64,
    /// Replies, each with the count of commands it waits for.
    replies: VecDeque<(u64, Arc<Event>)>,
}

impl UdpOutbox {
    fn send(&self, event: Arc<Event>) {
        let outgoing = Outgoing {
            to: self.to,
            session: self.session,
            event,
        };
        if let Err(TrySendError::Full(_)) = self.queue.try_send(outgoing) {
            debug!("UDP send queue full: dropped a datagram for {}", self.to);
        }
    }

    /// Sends what the door says itself once the hub has carried out the
    /// first `after` commands it sent.
    fn say(&self, after: u64, event: Event) {
        let mut held = lock(&self.held);
        match held.handled >= after && held.replies.is_empty() {
            true => self.send(Arc::new(event)),
            false => held.replies.push_back((after, Arc::new(event))),
        }
    }
}

impl Outbox for UdpOutbox {
    fn push(&self, event: Arc<Event>) -> Result<Pushed, QueueFull> {
        self.send(event);
        // Never a slow consumer: a UDP client can't hold anyone up.
        Ok(Pushed::Done)
    }

    fn handled(&self, count: u64) -> Result<Pushed, QueueFull> {
        let mut held = lock(&self.held);
        held.handled = count;
        while held
            .replies
            .front()
            .is_some_and(|(after, _)| *after <= count)
        {
            if let Some((_, event)) = held.replies.pop_front() {
                self.send(event);
            }
        }
        Ok(Pushed::Done)
    }
}

/// Binds the UDP door and logs the address it got.
pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind(addr)?;
    info!("udp door listening on {}", socket.local_addr()?);
    Ok(socket)
}

/// Starts the reader, session and writer threads on `socket`.
pub fn start(socket: UdpSocket, door: UdpDoor) -> io::Result<()> {
    let clients: Clients = Arc::default();
    let (queue, queued) = crossbeam_channel::bounded(SEND_QUEUE);
    let (received, datagrams) = crossbeam_channel::bounded(RECEIVED);
    // Unbounded, but never long: at most one request in flight per session.
    let (answers, answered) = crossbeam_channel::unbounded();
    let writer_socket = socket.try_clone()?;
    let writer_clients = Arc::clone(&clients);
    thread::Builder::new()
        .name("udp-writer".into())
        .spawn(move || write_loop(&writer_socket, &writer_clients, queued))?;
    let reader_socket = socket.try_clone()?;
    thread::Builder::new()
        .name("udp-reader".into())
        .spawn(move || read_loop(&reader_socket, &received))?;
    thread::Builder::new()
        .name("udp-sessions".into())
        .spawn(move || {
            let sessions = Sessions {
                door,
                socket,
                clients,
                queue,
                answers,
            };
            sessions.run(&datagrams, &answered)
        })?;
    Ok(())
}

/// Reads datagrams and hands them on, decoded, until the session thread
/// has gone.
fn read_loop(socket: &UdpSocket, received: &Sender<Arrival>) {
    // Room for more than the 1024 bytes we read, to see what is cut.
    let mut buf = [0u8; 2048];
    loop {
        let (n, from) = match socket.recv_from(&mut buf) {
            Ok(received) => received,
            // ICMP errors from earlier sends surface here: not ours to stop for.
            Err(e) => {
                debug!("udp receive: {e}");
                continue;
            }
        };
        let request = wire::decode(&buf[..n]);
        if received.send(Arrival::Datagram { from, request }).is_err() {
            return;
        }
    }
}

/// The session thread: every UDP client's session.
struct Sessions {
    door: UdpDoor,
    socket: UdpSocket,
    clients: Clients,
    queue: Sender<Outgoing>,
    /// Where answers to the sessions' requests come back.
    answers: Sender<Arrival>,
}

impl Sessions {
    fn run(&self, datagrams: &Receiver<Arrival>, answered: &Receiver<Arrival>) {
        loop {
            let arrival = crossbeam_channel::select! {
                recv(answered) -> arrival => arrival,
                recv(datagrams) -> arrival => arrival,
            };
            match arrival {
                Ok(Arrival::Datagram { from, request }) => self.request(from, request),
                Ok(Arrival::Answer {
                    from,
                    session,
                    answer,
                }) => self.answer(from, session, answer),
                Err(_) => return,
            }
        }
    }

    fn request(&self, from: SocketAddr, request: Request) {
        let mut clients = lock(&self.clients);
        let Some(client) = clients.get_mut(&from) else {
            drop(clients);
            return match request {
                Request::Login { nick, password } => self.log_in_anew(from, nick, password),
                // §3.4 step 2: anything else from an unknown address.
                _ => self.send_now(from, &Event::Error(ChatError::NotLoggedIn)),
            };
        };
        match client.flood.take(Instant::now()) {
            Verdict::Pass => {}
            Verdict::Slow(_) => {
                let error = ChatError::Server("too fast: that was dropped; slow down".into());
                return client.say(Event::Error(error));
            }
            Verdict::Excess => {
                let session = client.id;
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
        let command = match request {
            Request::Login { nick, password } => {
                return match client.session.nick() {
                    // The first LOGIN_ACK may have been lost: ack again.
                    Some(current) if current.eq_ignore_ascii_case(&nick) => {
                        let nick = current.to_string();
                        let ident = nick.clone();
                        client.say(Event::LoggedIn { nick, ident })
                    }
                    // Another nickname from the same address: log the old one off.
                    Some(_) => {
                        let mut old = clients.remove(&from).expect("found above");
                        drop(clients);
                        old.send_hub(&self.door.hub, Command::Quit { message: None });
                        self.log_in_anew(from, nick, password)
                    }
                    None if client.session.waiting() => {
                        client.deferred = Some(Request::Login { nick, password });
                    }
                    None => {
                        let input = Input::Credentials { nick, password };
                        self.step(from, client, input)
                    }
                };
            }
            Request::Logoff => {
                // No reply (§3.4): forgetting the address first keeps the
                // hub's goodbye from reaching a client that may log in again.
                let mut old = clients.remove(&from).expect("found above");
                return old.send_hub(&self.door.hub, Command::Quit { message: None });
            }
            Request::Join(channel) => Command::Join { channel },
            Request::Part(channel) => Command::Part {
                channel,
                reason: None,
            },
            Request::Public(text) => Command::Say {
                tags: crate::model::ClientTags::NONE,
                channel: None,
                text: sanitize::clean(&text),
                action: false,
            },
            Request::Private { to, .. } if to.is_empty() => {
                return client.say(Event::Error(ChatError::NoRecipient));
            }
            Request::Private { to, text } => Command::Private {
                tags: crate::model::ClientTags::NONE,
                to,
                text: sanitize::clean(&text),
                action: false,
            },
            Request::ListChannels => Command::ListChannels { only: None },
            Request::ListUsers => Command::Names {
                channel: None,
                unknown_is_empty: false,
            },
            Request::StillHere => Command::Ping,
            Request::Unimplemented => {
                client.send_hub(&self.door.hub, Command::Ping);
                let error = ChatError::Server("unimplemented event code".into());
                return client.say(Event::Error(error));
            }
        };
        client.send_hub(&self.door.hub, command);
    }

    /// Logs `from` in as `nick` on a new session.
    fn log_in_anew(&self, from: SocketAddr, nick: String, password: Option<String>) {
        let Some(mut client) = self.attach(from) else {
            return;
        };
        self.step(from, &mut client, Input::Credentials { nick, password });
        lock(&self.clients).insert(from, client);
    }

    /// The answer to what the session at `from` asked, if it is still there.
    fn answer(&self, from: SocketAddr, session: SessionId, answer: Answer) {
        let mut clients = lock(&self.clients);
        let Some(client) = clients.get_mut(&from).filter(|c| c.id == session) else {
            // Logged off (or a new session at that address) meanwhile.
            return;
        };
        self.step(from, client, Input::Answer(answer));
        if client.session.waiting() {
            return;
        }
        if let Some(request) = client.deferred.take() {
            drop(clients);
            self.request(from, request);
        }
    }

    /// Runs `input` through the client's session and carries out what
    /// follows; what it asks for is answered later, as an [`Arrival`].
    fn step(&self, from: SocketAddr, client: &mut Client, input: Input) {
        let mut outputs = Vec::new();
        client.session.step(input, &mut outputs);
        for output in outputs {
            match output {
                Output::Say(reply) => {
                    if let Some(event) = worded(reply) {
                        client.say(event);
                    }
                }
                Output::Hub(command) => client.send_hub(&self.door.hub, command),
                // Comes through the session's link (see `attach`).
                Output::Ask(session::Request::HubAnswer) => {}
                Output::Ask(request) => {
                    let (answers, session) = (self.answers.clone(), client.id);
                    carry_out_then(&self.door.accounts, from.ip(), request, move |answer| {
                        let _ = answers.send(Arrival::Answer {
                            from,
                            session,
                            answer,
                        });
                    });
                }
            }
        }
    }

    /// A new session for `from`, within the connection limits.
    fn attach(&self, from: SocketAddr) -> Option<Client> {
        let admission = match self.door.limits.admit(from.ip()) {
            Ok(admission) => admission,
            Err(why) => {
                warn!("refused {from} at the udp door: {why}");
                self.send_now(from, &Event::Error(ChatError::Server(why)));
                return None;
            }
        };
        let mut outbox = None;
        let answers = self.answers.clone();
        let id = self
            .door
            .hub
            .attach(from, self.door.idle_timeout, |session| {
                let own = Arc::new(UdpOutbox {
                    to: from,
                    session,
                    queue: self.queue.clone(),
                    held: Mutex::default(),
                });
                outbox = Some(Arc::clone(&own));
                Link {
                    outbox: own,
                    login: Some(Box::new(move |taken| {
                        let answer = Answer::Hub(taken);
                        let _ = answers.send(Arrival::Answer {
                            from,
                            session,
                            answer,
                        });
                    })),
                    // Nothing to cut: a UDP session can't block its writer.
                    kill: Box::new(|| {}),
                }
            });
        info!("connect {from} (udp)");
        Some(Client {
            id,
            session: Session::new(Rules::new(self.door.accounts.rules, self.door.nick_length)),
            outbox: outbox.expect("attach makes the link"),
            sent: 0,
            deferred: None,
            flood: TokenBucket::new(self.door.flood, Instant::now()),
            _admission: admission,
        })
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

impl Client {
    /// Sends the hub a command, counted so that later replies wait for it.
    fn send_hub(&mut self, hub: &HubHandle, command: Command) {
        self.sent += 1;
        hub.send_in_order(self.id, self.sent, command);
    }

    /// Queues what the door says itself, after the hub's answers to every
    /// command sent before it.
    fn say(&self, event: Event) {
        self.outbox.say(self.sent, event);
    }
}

/// The session's replies in the book's words: all of them errors, the only
/// thing the book's client shows that the server did not relay.
fn worded(reply: Reply) -> Option<Event> {
    let error = match reply {
        Reply::Event(event) => return Some(event),
        Reply::NickRegistered { owner, .. } => ChatError::PasswordRequired(owner),
        Reply::NoGuests { nick } => ChatError::Server(format!(
            "{nick} is not registered, and this server has no guests: register it over \
             telnet first"
        )),
        Reply::PasswordRefused(why) => why,
        // The book's client has no dialogue, SASL or NickServ: it only
        // ever logs in all at once.
        Reply::Prompt(_)
        | Reply::EchoOn
        | Reply::AlreadyRegistered { .. }
        | Reply::Sasl(_)
        | Reply::Identified { .. }
        | Reply::NoSuchAccount { .. } => return None,
    };
    Some(Event::Error(error))
}

/// Renders and sends queued events. It also keeps the address table in step
/// with the hub: a goodbye forgets the address.
fn write_loop(socket: &UdpSocket, clients: &Clients, queued: Receiver<Outgoing>) {
    let mut datagrams = Vec::new();
    for Outgoing { to, session, event } in queued {
        if let Event::Closing { reason } = &*event {
            let mut clients = lock(clients);
            match clients.get(&to) {
                Some(client) if client.id == session => {
                    clients.remove(&to);
                    info!("disconnect {to} (udp): {reason}");
                }
                // Logged off already (or the address has a new session):
                // a late goodbye would confuse the client's next login.
                _ => continue,
            }
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
