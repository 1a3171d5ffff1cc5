//! The text door: telnet and netcat users. Per connection, the reader thread
//! decodes lines ([`codec`]), parses them ([`parse`]), runs the login dialogue
//! and account commands, and sends commands to the hub; the writer thread
//! renders events ([`render`]) and writes everything queued in one write per
//! wake-up.

pub mod codec;
pub mod parse;
pub mod render;

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Receiver;

use self::codec::{Input, LineDecoder};
use self::parse::{AccountCommand, Typed};
use super::accounts::Accounts;
use super::flood::FloodRule;
use super::lines::{read_lines, Flow, LineConnection};
use super::{sanitize, Admission};
use crate::engine::{Engine, Outbound};
use crate::hub::{AccountId, ChatError, Command, DoorKind, Event, Identity, Prompt, SessionId};
use crate::model::name::{Nick, NickError};
use crate::runtime::HubHandle;
use crate::store::AccountRecord;

/// The text door's settings.
#[derive(Clone, Debug)]
pub struct TextDoorConfig {
    pub max_line: usize,
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
    /// Serves one connection until it closes. Runs on the connection's own
    /// thread (which becomes the reader) and starts the writer.
    pub fn serve(&self, stream: TcpStream, peer: SocketAddr, admission: Admission) {
        let setup = super::DoorSetup {
            door: DoorKind::Text,
            hub: &self.hub,
            engine: &self.engine,
        };
        super::serve_connection(setup, stream, peer, render::Renderer, |attached| {
            Reader {
                door: self,
                session: attached.session,
                peer,
                own: attached.own,
                login: attached.replies,
                phase: Phase::Nick,
                went_deep: false,
                stream: Arc::clone(&attached.stream),
            }
            .run(attached.stream)
        });
        drop(admission);
    }
}

/// Where a connection is in its life; decides what a typed line means.
enum Phase {
    /// At the nickname prompt.
    Nick,
    /// The nickname is registered: the next line is its password.
    Password(AccountRecord),
    /// Guests are off: the next line is a password to register `nick` with.
    NewPassword(String),
    /// … and the line after that, the same password again.
    RepeatPassword { nick: String, password: String },
    /// A password step failed while more lines may have been typed ahead
    /// (piped, or typed fast): they are dropped until the client has been
    /// quiet for [`QUIET`], then the nickname prompt returns. Otherwise a
    /// typed-ahead password would become a guest's nickname, announced to
    /// the Lobby (issue #17).
    Discard,
    /// Logged in as `nick`.
    Chat {
        nick: String,
        account: Option<AccountId>,
    },
}

struct Reader<'a> {
    door: &'a TextDoor,
    session: SessionId,
    peer: SocketAddr,
    /// This connection's own queue, for what the door says itself (prompts,
    /// help, parse errors), so it is ordered with what the hub says.
    own: Arc<Outbound>,
    login: Receiver<bool>,
    phase: Phase,
    /// A login has just completed ([`LineConnection::went_deep`]).
    went_deep: bool,
    /// For the read timeout that ends [`Phase::Discard`].
    stream: Arc<TcpStream>,
}

impl Reader<'_> {
    /// Reads until the connection ends; returns why it ended.
    fn run(&mut self, stream: Arc<TcpStream>) -> String {
        self.say(Event::Prompt(Prompt::Nick { first: true }));
        let decoder = LineDecoder::new(self.door.config.max_line);
        let (flood, peer) = (self.door.config.flood, self.peer);
        read_lines(&stream, decoder, flood, peer, self)
    }
}

impl LineConnection for Reader<'_> {
    fn went_deep(&mut self) -> bool {
        std::mem::take(&mut self.went_deep)
    }

    fn closing(&mut self, reason: &str) {
        self.say(Event::Closing {
            reason: reason.to_string(),
        });
    }

    fn silence(&mut self) -> Flow {
        if matches!(self.phase, Phase::Discard) {
            // Nothing waits to be read any more: the next line is an answer.
            let _ = self.stream.set_read_timeout(None);
            return self.prompt_nick();
        }
        Flow::Continue
    }

    fn input(&mut self, input: Input) -> Flow {
        if matches!(self.phase, Phase::Discard) {
            // Typed before the failure was shown: never a nickname or a line.
            return Flow::Continue;
        }
        // Issue 16: a nickname with a hidden character is refused, not
        // quietly shortened by the cleaning that chat text gets.
        let (line, hidden) = match input {
            Input::Line(line) => (sanitize::clean(&line), sanitize::first_hidden(&line)),
            Input::TooLong => {
                let max = self.door.config.max_line;
                self.say(Event::Error(ChatError::LineTooLong { max }));
                if matches!(self.phase, Phase::Nick) {
                    self.say(Event::Prompt(Prompt::Nick { first: false }));
                }
                return Flow::Continue;
            }
            // Options we never asked for stay off: saying nothing is a refusal
            // a telnet client accepts, and can't start a negotiation loop.
            Input::Negotiation { .. } => return Flow::Continue,
        };
        match std::mem::replace(&mut self.phase, Phase::Nick) {
            // Dropped above; kept so for the next line too.
            Phase::Discard => {
                self.phase = Phase::Discard;
                Flow::Continue
            }
            Phase::Nick => self.nick_line(&line, hidden),
            Phase::Password(account) => {
                self.say(Event::EchoOn);
                let ip = self.peer.ip();
                match self.door.accounts.log_in(ip, &account, &line) {
                    Ok(identity) => self.log_in(account.nick, Some(identity)),
                    Err(error) => self.refuse_typed_ahead(error),
                }
            }
            Phase::NewPassword(nick) => {
                self.say(Event::EchoOn);
                match self.door.accounts.check_new_password(&line) {
                    Ok(()) => {
                        self.say(Event::Prompt(Prompt::RepeatPassword));
                        self.phase = Phase::RepeatPassword {
                            nick,
                            password: line,
                        };
                        Flow::Continue
                    }
                    Err(error) => self.refuse_typed_ahead(error),
                }
            }
            Phase::RepeatPassword { nick, password } => {
                self.say(Event::EchoOn);
                if line != password {
                    return self.refuse_typed_ahead(ChatError::PasswordsDiffer);
                }
                match self.door.accounts.register(&nick, &password) {
                    Ok(account) => {
                        let identity = Identity {
                            account,
                            watch: Vec::new(),
                            ignore: Vec::new(),
                            memos: Vec::new(),
                        };
                        // As /register says it: the person should know the
                        // nickname now needs this password (issue #17).
                        self.say(Event::Registered { nick: nick.clone() });
                        self.log_in(nick, Some(identity))
                    }
                    Err(error) => self.refuse(error),
                }
            }
            Phase::Chat { nick, account } => {
                self.phase = Phase::Chat {
                    nick: nick.clone(),
                    account,
                };
                match parse::parse_chat(&line) {
                    // An empty line is input too: it keeps the connection alive.
                    Typed::Blank => self.to_hub(Command::Ping),
                    Typed::Help => self.relay(Event::Help),
                    Typed::HelpOn(command, what) => {
                        self.relay(Event::Notice(parse::help_line(command, what)))
                    }
                    Typed::Error(error) => self.relay(Event::Error(error)),
                    Typed::Account(AccountCommand::ChangeNick { .. }) if hidden.is_some() => {
                        self.say(Event::Error(hidden_in_nick(hidden)))
                    }
                    Typed::Hub(command) => self.to_hub(command),
                    Typed::Account(command) => self.account_command(&nick, account, command),
                }
            }
        }
    }
}

impl Reader<'_> {
    /// A line at the nickname prompt.
    fn nick_line(&mut self, line: &str, hidden: Option<char>) -> Flow {
        let nick = match parse::parse_login(line) {
            Typed::Hub(Command::Login { .. }) if hidden.is_some() => {
                return self.refuse(hidden_in_nick(hidden))
            }
            Typed::Hub(Command::Login { nick, .. }) => nick,
            Typed::Hub(command) => return self.to_hub(command),
            Typed::Help => {
                self.say(Event::Help);
                return self.prompt_nick();
            }
            Typed::HelpOn(command, what) => {
                self.say(Event::Notice(parse::help_line(command, what)));
                return self.prompt_nick();
            }
            Typed::Error(error) => return self.refuse(error),
            Typed::Blank | Typed::Account(_) => return self.prompt_nick(),
        };
        let rules = self.door.accounts.rules;
        match self.door.accounts.owner_of(&nick) {
            Err(error) => self.refuse(error),
            Ok(Some(account)) => {
                if let Err(error) = self.door.accounts.check_throttle(self.peer.ip(), &account) {
                    // The password typed after the nickname must not follow it.
                    return self.refuse_typed_ahead(error);
                }
                self.say(Event::Prompt(Prompt::Password {
                    nick: account.nick.clone(),
                }));
                self.phase = Phase::Password(account);
                Flow::Continue
            }
            Ok(None) if rules.allow_guests => self.log_in(nick, None),
            Ok(None) => {
                // No guests: check the nickname before asking for a password.
                if let Err(why) = Nick::parse(&nick, self.door.config.nick_length) {
                    return self.refuse(ChatError::BadNick(why));
                }
                self.say(Event::Prompt(Prompt::NewPassword {
                    nick: nick.clone(),
                    min_length: rules.min_password_length,
                }));
                self.phase = Phase::NewPassword(nick);
                Flow::Continue
            }
        }
    }

    /// Asks the hub for the nickname and waits for its answer, so that lines
    /// typed (or pasted) after the nickname are read as chat, not nicknames.
    fn log_in(&mut self, nick: String, identity: Option<Identity>) -> Flow {
        let account = identity.as_ref().map(|i| i.account);
        let command = Command::Login {
            nick: nick.clone(),
            identity,
        };
        if let Flow::Stop(reason) = self.to_hub(command) {
            return Flow::Stop(reason);
        }
        match self.login.recv() {
            Ok(true) => {
                self.phase = Phase::Chat { nick, account };
                self.went_deep = true;
                Flow::Continue
            }
            // The hub has said why; ask again.
            Ok(false) => self.prompt_nick(),
            Err(_) => Flow::Stop("closed by the server".into()),
        }
    }

    fn account_command(
        &mut self,
        nick: &str,
        account: Option<AccountId>,
        command: AccountCommand,
    ) -> Flow {
        let accounts = &self.door.accounts;
        match command {
            AccountCommand::Register { password } => {
                if account.is_some() {
                    return self.say(Event::Error(ChatError::AlreadyRegistered));
                }
                match accounts.register(nick, &password) {
                    Ok(account) => {
                        self.phase = Phase::Chat {
                            nick: nick.to_string(),
                            account: Some(account),
                        };
                        // The hub confirms once it has saved the hot list too.
                        self.to_hub(Command::Identified { account })
                    }
                    Err(error) => self.say(Event::Error(error)),
                }
            }
            // Exactly the nickname one has: nothing would change (a change of
            // case is a change).
            AccountCommand::ChangeNick { nick: wanted } if wanted == nick => {
                self.say(Event::Error(ChatError::SameNick(wanted)))
            }
            AccountCommand::ChangeNick { nick: wanted } => {
                // A registered nickname is only for its owner.
                match accounts.owner_of(&wanted) {
                    Ok(Some(owner)) if Some(owner.id) != account => {
                        let error = ChatError::NickRegistered(owner.nick);
                        self.say(Event::Error(error))
                    }
                    // Without guests, every nickname in use is a registered one.
                    Ok(None) if !accounts.rules.allow_guests => {
                        self.say(Event::Error(ChatError::GuestsNotAllowed))
                    }
                    Ok(_) => {
                        let command = Command::ChangeNick {
                            nick: wanted.clone(),
                            identity: None,
                        };
                        if let Flow::Stop(reason) = self.to_hub(command) {
                            return Flow::Stop(reason);
                        }
                        // Wait for the hub's answer: /register must only ever
                        // name the nickname this connection really holds.
                        match self.login.recv() {
                            Ok(true) => {
                                self.phase = Phase::Chat {
                                    account: account.filter(|_| wanted.eq_ignore_ascii_case(nick)),
                                    nick: wanted,
                                };
                                Flow::Continue
                            }
                            Ok(false) => Flow::Continue,
                            Err(_) => Flow::Stop("closed by the server".into()),
                        }
                    }
                    Err(error) => self.say(Event::Error(error)),
                }
            }
            AccountCommand::Oper { name, password } => {
                match accounts.check_oper(self.peer.ip(), &name, &password) {
                    Ok(()) => self.to_hub(Command::Oper { name }),
                    Err(error) => self.relay(Event::Error(error)),
                }
            }
            AccountCommand::ChangePassword { old, new } => {
                let Some(account) = account else {
                    return self.say(Event::Error(ChatError::NotRegistered));
                };
                match accounts.change_password(self.peer.ip(), account, &old, &new) {
                    Ok(()) => self.say(Event::Notice("Your password has been changed.".into())),
                    Err(error) => self.say(Event::Error(error)),
                }
            }
        }
    }

    /// Says why a login step failed and starts the login again.
    fn refuse(&mut self, error: ChatError) -> Flow {
        self.say(Event::Error(error));
        self.prompt_nick()
    }

    /// [`Reader::refuse`] for a step a password may follow: what was typed
    /// ahead is dropped before the nickname prompt returns.
    fn refuse_typed_ahead(&mut self, error: ChatError) -> Flow {
        self.say(Event::Error(error));
        match self.stream.set_read_timeout(Some(QUIET)) {
            Ok(()) => {
                self.phase = Phase::Discard;
                Flow::Continue
            }
            Err(_) => self.prompt_nick(),
        }
    }

    fn prompt_nick(&mut self) -> Flow {
        self.phase = Phase::Nick;
        self.say(Event::Prompt(Prompt::Nick { first: false }))
    }

    fn to_hub(&self, command: Command) -> Flow {
        match self.door.hub.send(self.session, command) {
            true => Flow::Continue,
            false => Flow::Stop("server shutting down".into()),
        }
    }

    /// Queues an answer of the door's own behind the hub's answers to
    /// earlier commands.
    fn relay(&self, event: Event) -> Flow {
        self.to_hub(Command::Relay(Box::new(event)))
    }

    fn say(&self, event: Event) -> Flow {
        // A full queue means the hub is about to cut this connection off.
        self.own.say(&event);
        Flow::Continue
    }
}
