//! The text door: telnet and netcat users. Per connection, the reader thread
//! decodes lines ([`codec`]), parses them ([`parse`]) and sends commands to the
//! hub; the writer thread renders events ([`render`]) and writes everything
//! queued in one write per wake-up.

pub mod codec;
pub mod parse;
pub mod render;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;

use crossbeam_channel::{Receiver, Sender};
use log::{info, warn};

use self::codec::{Input, LineDecoder};
use self::parse::Typed;
use super::{sanitize, ActiveWriters, Admission, CONNECTION_STACK};
use crate::hub::{ChatError, Command, DoorKind, Event, HubHandle, Link, SessionId};

/// The text door's settings.
#[derive(Clone, Debug)]
pub struct TextDoorConfig {
    pub max_line: usize,
    pub queue_length: usize,
}

/// The line a refused connection gets before it is closed.
pub fn refusal(why: &str) -> String {
    format!("** ERROR: {why} **\r\n")
}

/// Serves one connection until it closes. Runs on the connection's own thread
/// (it becomes the reader) and starts the writer.
pub fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    admission: Admission,
    hub: HubHandle,
    config: TextDoorConfig,
    writers: ActiveWriters,
) {
    info!("connect {peer} (text)");
    // Chat lines are small: without NODELAY they wait for the peer's delayed
    // ACK and latency sits near 40 ms.
    let _ = stream.set_nodelay(true);
    let (events, queue) = crossbeam_channel::bounded(config.queue_length);
    let (login_tx, login_rx) = crossbeam_channel::bounded(1);
    let (Ok(for_writer), Ok(for_kill)) = (stream.try_clone(), stream.try_clone()) else {
        warn!("disconnect {peer}: can't duplicate the socket");
        return;
    };
    let link = Link {
        events: events.clone(),
        login: login_tx,
        kill: Box::new(move || {
            let _ = for_kill.shutdown(Shutdown::Both);
        }),
    };
    let session = hub.attach(peer, DoorKind::Text, link);
    let writing = writers.enter();
    let writer = thread::Builder::new()
        .name(format!("text-writer-{peer}"))
        .stack_size(CONNECTION_STACK)
        .spawn(move || {
            write_loop(for_writer, queue);
            drop(writing);
        });
    if writer.is_err() {
        hub.send(session, Command::Disconnected {
            reason: "server out of threads".into(),
        });
        return;
    }
    let mut reader = Reader {
        session,
        hub: &hub,
        own: events,
        login: login_rx,
        logged_in: false,
        max_line: config.max_line,
    };
    let reason = reader.run(stream);
    hub.send(session, Command::Disconnected {
        reason: reason.clone(),
    });
    info!("disconnect {peer} ({reason})");
    drop(admission);
}

struct Reader<'a> {
    session: SessionId,
    hub: &'a HubHandle,
    /// This connection's own queue, for what the door says itself (prompts,
    /// help, parse errors) so it is ordered with what the hub says.
    own: Sender<Arc<Event>>,
    login: Receiver<bool>,
    logged_in: bool,
    max_line: usize,
}

enum Flow {
    Continue,
    Stop(String),
}

impl Reader<'_> {
    /// Reads until the connection ends; returns why it ended.
    fn run(&mut self, mut stream: TcpStream) -> String {
        self.say(Event::NickPrompt { first: true });
        let mut decoder = LineDecoder::new(self.max_line);
        let mut buf = vec![0u8; 4096];
        let mut inputs = Vec::new();
        loop {
            let n = match stream.read(&mut buf) {
                Ok(0) => return "connection closed".into(),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return format!("read error: {e}"),
            };
            decoder.feed(&buf[..n], &mut inputs);
            for input in inputs.drain(..) {
                if let Flow::Stop(reason) = self.input(input) {
                    return reason;
                }
            }
        }
    }

    fn input(&mut self, input: Input) -> Flow {
        let line = match input {
            Input::Line(line) => sanitize::clean(&line),
            Input::TooLong => {
                self.say(Event::Error(ChatError::LineTooLong {
                    max: self.max_line,
                }));
                return Flow::Continue;
            }
            // Options we never asked for stay off: saying nothing is a refusal
            // a telnet client accepts, and can't start a negotiation loop.
            Input::Negotiation { .. } => return Flow::Continue,
        };
        let typed = match self.logged_in {
            true => parse::parse_chat(&line),
            false => parse::parse_login(&line),
        };
        match typed {
            Typed::Blank if !self.logged_in => self.say(Event::NickPrompt { first: false }),
            Typed::Blank => {}
            Typed::Help => self.say(Event::Help),
            Typed::Error(error) => {
                self.say(Event::Error(error));
                if !self.logged_in {
                    self.say(Event::NickPrompt { first: false });
                }
            }
            Typed::Hub(command) => {
                let login = matches!(command, Command::Login { .. });
                if !self.hub.send(self.session, command) {
                    return Flow::Stop("server shutting down".into());
                }
                if login {
                    // Wait for the answer, so that lines typed (or pasted)
                    // after the nickname are read as chat, not as nicknames.
                    match self.login.recv() {
                        Ok(true) => self.logged_in = true,
                        Ok(false) => self.say(Event::NickPrompt { first: false }),
                        Err(_) => return Flow::Stop("closed by the server".into()),
                    }
                }
            }
        }
        Flow::Continue
    }

    fn say(&self, event: Event) {
        // A full queue means the hub is about to cut this connection off.
        let _ = self.own.try_send(Arc::new(event));
    }
}

/// Drains the queue into the socket: everything waiting is rendered into one
/// buffer and written with one call, so a busy connection costs one syscall
/// per wake-up rather than one per event.
fn write_loop(mut stream: TcpStream, queue: Receiver<Arc<Event>>) {
    const BATCH: usize = 64 * 1024;
    let mut buf = Vec::with_capacity(4096);
    while let Ok(first) = queue.recv() {
        buf.clear();
        let mut closing = matches!(*first, Event::Closing { .. });
        render::render(&first, &mut buf);
        while !closing && buf.len() < BATCH {
            let Ok(event) = queue.try_recv() else { break };
            closing = matches!(*event, Event::Closing { .. });
            render::render(&event, &mut buf);
        }
        if stream.write_all(&buf).is_err() || closing {
            break;
        }
    }
    // The hub has let go of this session (or the peer is gone): closing both
    // directions also ends the reader's blocking read.
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}
