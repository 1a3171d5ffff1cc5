//! The text door: telnet and netcat users. Per connection, the reader thread
//! decodes lines ([`codec`]) and parses them with the door's command table
//! ([`parse`]) into hub commands or input for the connection's session
//! (`door::session`: the login dialogue and account commands); the
//! connection's outbound side renders events ([`render`]).

pub mod codec;
pub mod parse;
pub mod render;

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use self::codec::LineDecoder;
use self::parse::{AccountCommand, Typed};
use super::flood::FloodRule;
use super::lines::{read_lines, Flow, LineConnection};
use super::session::driver::{Connection, Wording};
use super::session::{self, Expect, Input, Reply, Session};
use super::{sanitize, Admission};
use crate::engine::{Engine, Said};
use crate::hub::{ChatError, Command, Event};
use crate::model::name::NickError;
use crate::runtime::accounts::Accounts;
use crate::runtime::HubHandle;

/// The text door's settings.
#[derive(Clone, Debug)]
pub struct TextDoorConfig {
    pub max_line: usize,
    /// Silence after which a session is logged out.
    pub idle_timeout: Duration,
    pub flood: FloodRule,
    pub nick_length: usize,
}

/// How long a client must be silent after a failed password step before
/// the nickname prompt returns; what it typed ahead meanwhile is dropped.
const QUIET: Duration = Duration::from_millis(250);

/// What a connection needs from the rest of the server.
#[derive(Clone)]
pub struct TextDoor {
    pub hub: HubHandle,
    pub accounts: Arc<Accounts>,
    pub config: TextDoorConfig,
    pub engine: Engine,
}

/// The refusal of a nickname typed with `hidden`, a character cleaning removes.
fn hidden_in_nick(hidden: Option<char>) -> ChatError {
    ChatError::BadNick(NickError::BadChar(hidden.unwrap_or('\u{fffd}')))
}

/// The line a refused connection gets before it is closed.
pub fn refusal(why: &str) -> String {
    format!("** ERROR: {why} **\r\n")
}

impl TextDoor {
    /// Serves one connection until it closes, on the connection's own
    /// thread (its reader).
    pub fn serve(&self, stream: TcpStream, peer: SocketAddr, admission: Admission) {
        let setup = super::DoorSetup {
            name: "text",
            idle_timeout: self.config.idle_timeout,
            hub: &self.hub,
            engine: &self.engine,
        };
        super::serve_connection(setup, stream, peer, render::Renderer, |attached| {
            let rules = session::Rules::new(self.accounts.rules, self.config.nick_length);
            let session = Session::new(rules);
            let accounts = Arc::clone(&self.accounts);
            Reader {
                door: self,
                peer,
                conn: Connection::new(session, &attached, peer.ip(), accounts, self.hub.clone()),
                stream: Arc::clone(&attached.stream),
            }
            .run(attached.stream)
        });
        drop(admission);
    }
}

/// The text door's words for what the session says.
struct Words;

impl Wording for Words {
    fn word(&self, _session: &Session, reply: Reply, out: &mut Vec<Said>) -> Flow {
        let mut bytes = Vec::new();
        let event = match reply {
            Reply::Event(event) => event,
            Reply::NickRegistered { owner, .. } => Event::Error(ChatError::NickRegistered(owner)),
            Reply::NoGuests { .. } => Event::Error(ChatError::GuestsNotAllowed),
            Reply::PasswordRefused(why) => Event::Error(why),
            Reply::AlreadyRegistered { .. } => Event::Error(ChatError::AlreadyRegistered),
            Reply::Prompt(prompt) => {
                render::prompt(&prompt, &mut bytes);
                return said(out, bytes);
            }
            Reply::EchoOn => {
                render::echo_on(&mut bytes);
                return said(out, bytes);
            }
            // No SASL or NickServ here.
            Reply::Sasl(_) | Reply::Identified { .. } | Reply::NoSuchAccount { .. } => {
                return Flow::Continue
            }
        };
        out.push(Said::Event(event));
        Flow::Continue
    }
}

fn said(out: &mut Vec<Said>, bytes: Vec<u8>) -> Flow {
    out.push(Said::Bytes(bytes));
    Flow::Continue
}

struct Reader<'a> {
    door: &'a TextDoor,
    peer: SocketAddr,
    conn: Connection,
    /// For the read timeout that ends the session's discarding of lines
    /// typed ahead of a failed password step.
    stream: Arc<TcpStream>,
}

impl Reader<'_> {
    /// Reads until the connection ends; returns why it ended.
    fn run(&mut self, stream: Arc<TcpStream>) -> String {
        if let Flow::Stop(reason) = self.step(Input::Start) {
            return reason;
        }
        let decoder = LineDecoder::new(self.door.config.max_line);
        let (flood, peer) = (self.door.config.flood, self.peer);
        read_lines(&stream, decoder, flood, peer, self)
    }

    /// Runs `input` through the session. Once the session drops typed-ahead
    /// lines, the client must be silent for [`QUIET`] before it goes on.
    fn step(&mut self, input: Input) -> Flow {
        let flow = self.conn.step(input, &Words);
        if !self.conn.session.discarding() || matches!(flow, Flow::Stop(_)) {
            return flow;
        }
        match self.stream.set_read_timeout(Some(QUIET)) {
            Ok(()) => Flow::Continue,
            Err(_) => self.conn.step(Input::Quiet, &Words),
        }
    }

    fn say(&self, event: Event) -> Flow {
        self.conn.say(Said::Event(event));
        Flow::Continue
    }
}

impl LineConnection for Reader<'_> {
    fn went_deep(&mut self) -> bool {
        self.conn.session.take_logged_in_now()
    }

    fn closing(&mut self, reason: &str) {
        self.say(Event::Closing {
            reason: reason.to_string(),
        });
    }

    fn silence(&mut self) -> Flow {
        if self.conn.session.discarding() {
            // Nothing waits to be read any more: the next line is an answer.
            let _ = self.stream.set_read_timeout(None);
            return self.step(Input::Quiet);
        }
        Flow::Continue
    }

    fn input(&mut self, input: codec::Input) -> Flow {
        let expects = self.conn.session.expects();
        if expects == Expect::Discard {
            // Typed before the failure was shown: never a nickname or a line.
            return Flow::Continue;
        }
        // Issue 16: a nickname with a hidden character is refused, not
        // quietly shortened by the cleaning that chat text gets.
        let (line, hidden) = match input {
            codec::Input::Line(line) => (sanitize::clean(&line), sanitize::first_hidden(&line)),
            codec::Input::TooLong => {
                let max = self.door.config.max_line;
                self.say(Event::Error(ChatError::LineTooLong { max }));
                return match expects {
                    Expect::Nick => self.step(Input::AskAgain),
                    _ => Flow::Continue,
                };
            }
            // Options we never asked for stay off: saying nothing is a refusal
            // a telnet client accepts, and can't start a negotiation loop.
            codec::Input::Negotiation { .. } => return Flow::Continue,
        };
        match expects {
            Expect::Discard => Flow::Continue,
            Expect::Nick => self.nick_line(&line, hidden),
            Expect::Password => self.step(Input::Password(line)),
            Expect::Chat => self.chat_line(&line, hidden),
        }
    }
}

impl Reader<'_> {
    /// A line at the nickname prompt.
    fn nick_line(&mut self, line: &str, hidden: Option<char>) -> Flow {
        match parse::parse_login(line) {
            Typed::Hub(Command::Login { .. }) if hidden.is_some() => {
                self.refuse(hidden_in_nick(hidden))
            }
            Typed::Hub(Command::Login { nick, .. }) => self.step(Input::Nick(nick)),
            Typed::Hub(command) => self.conn.to_hub(command),
            Typed::Help => {
                self.conn.say(Said::Bytes(help()));
                self.step(Input::AskAgain)
            }
            Typed::HelpOn(command, what) => {
                self.say(Event::Notice(parse::help_line(command, what)));
                self.step(Input::AskAgain)
            }
            Typed::Error(error) => self.refuse(error),
            Typed::Blank | Typed::Account(_) => self.step(Input::AskAgain),
        }
    }

    /// A line typed once logged in.
    fn chat_line(&mut self, line: &str, hidden: Option<char>) -> Flow {
        match parse::parse_chat(line) {
            // An empty line is input too: it keeps the connection alive.
            Typed::Blank => self.conn.to_hub(Command::Ping),
            Typed::Help => self.conn.answer(Said::Bytes(help())),
            Typed::HelpOn(command, what) => {
                let notice = Event::Notice(parse::help_line(command, what));
                self.conn.answer(Said::Event(notice))
            }
            Typed::Error(error) => self.conn.answer(Said::Event(Event::Error(error))),
            Typed::Account(AccountCommand::ChangeNick { .. }) if hidden.is_some() => {
                self.say(Event::Error(hidden_in_nick(hidden)))
            }
            Typed::Hub(command) => self.conn.to_hub(command),
            Typed::Account(command) => match command.into_input(self.conn.session.nick()) {
                Ok(input) => self.step(input),
                Err(refused) => self.say(Event::Error(refused)),
            },
        }
    }

    /// Says why a line at the nickname prompt was refused and asks again.
    fn refuse(&mut self, error: ChatError) -> Flow {
        self.say(Event::Error(error));
        self.step(Input::AskAgain)
    }
}

/// The door's command list, from its command table.
fn help() -> Vec<u8> {
    let mut out = Vec::new();
    render::help(&mut out);
    out
}
