//! One connection's session, the same under every door: who it is (nickname,
//! account), how it logs in (nickname and password prompts, registration,
//! guests, PASS, SASL PLAIN and SCRAM-SHA-256, the hub's answer) and its account commands
//! (register, NickServ IDENTIFY, nickname change, oper, password change).
//! Pure: no sockets, no store, no clock, no hub. (IRC's negotiated
//! capabilities live with its renderer, in `door/irc/cap.rs`.)
//!
//! A door feeds it [`Input`]s (what its command table made of a client's
//! line) and carries out the [`Output`]s in order:
//! - [`Output::Say`]: a [`Reply`] to the client, which the door puts in its
//!   own words and queues with [`driver::Connection::say`];
//! - [`Output::Hub`]: a [`Command`] for the hub;
//! - [`Output::Ask`]: a [`Request`] for the world (a store lookup, an argon2
//!   check, the hub's answer to a login). The door does it and feeds the
//!   result back as [`Input::Answer`] before anything else; nothing else is
//!   output until then.
//!
//! [`driver::Connection`] does all of that for a TCP door's reader thread,
//! blocking where the session asks; a door without a thread per connection
//! (UDP) answers requests later, from wherever the answer arrives.

pub mod carry;
pub mod driver;
pub mod sasl;
#[cfg(test)]
mod tests;

use crate::hub::{AccountId, ChatError, Command, Event, Identity};
use crate::model::name::Nick;
use crate::model::{AccountRecord, ScramCredential};
use crate::runtime::accounts::AccountRules;

/// What decides how a session may log in, from chat.toml.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// A nickname nobody registered may be used without a password.
    pub allow_guests: bool,
    pub min_password_length: usize,
    pub nick_length: usize,
}

impl Rules {
    /// The rules of a door whose nicknames may be `nick_length` long.
    pub fn new(accounts: AccountRules, nick_length: usize) -> Rules {
        Rules {
            allow_guests: accounts.allow_guests,
            min_password_length: accounts.min_password_length,
            nick_length,
        }
    }
}

/// What a door with a login dialogue asks its client for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// For a nickname; `first` adds the greeting.
    Nick { first: bool },
    /// For the password of a registered nickname (typing hidden).
    Password { nick: String },
    /// For a new password to register `nick` with (typing hidden).
    NewPassword { nick: String, min_length: usize },
    /// For the new password once more.
    RepeatPassword,
}

/// What the session tells its client. Each door puts it in its own words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// As the hub would say it: an error, a notice, `Registered`.
    Event(Event),
    Prompt(Prompt),
    /// The hidden answer to a password prompt has been read.
    EchoOn,
    /// `asked` is registered (as `owner`) and needs its owner's password.
    NickRegistered {
        asked: String,
        owner: String,
    },
    /// `nick` is not registered, and this server takes no guests.
    NoGuests {
        nick: String,
    },
    /// `nick`, the nickname in use, is registered to this session already.
    AlreadyRegistered {
        nick: String,
    },
    /// The password given with the login ([`Input::Credentials`]) was not
    /// accepted, for this reason.
    PasswordRefused(ChatError),
    /// How a SASL exchange goes ([`Input::Authenticate`]).
    Sasl(SaslReply),
    /// `IDENTIFY` proved the account registered as `nick`, now in use.
    Identified {
        nick: String,
    },
    /// `IDENTIFY` named a nickname nobody registered.
    NoSuchAccount {
        nick: String,
    },
}

/// A SASL exchange's answers, as IRCv3 `sasl-3.1` has them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaslReply {
    /// Go on: send the credentials (`AUTHENTICATE +`).
    Continue,
    /// The server's next message of the exchange (SCRAM), base64.
    Challenge(String),
    /// Only [`sasl::MECHANISMS`] are offered (and this try failed).
    Mechanisms,
    Aborted,
    /// The session is logged in already.
    AlreadyAuthenticated,
    /// The account registered as `nick` is proved; the login uses it.
    Succeeded {
        nick: String,
    },
    Failed,
}

/// What a door feeds its session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The connection is open: a door with a dialogue asks for a nickname.
    Start,
    /// A nickname typed at the nickname prompt.
    Nick(String),
    /// Ask for the nickname again (the door refused a line itself).
    AskAgain,
    /// A line typed at a password prompt.
    Password(String),
    /// The client has been quiet since a failed password step: what it
    /// typed ahead is gone ([`Session::discarding`]).
    Quiet,
    /// Log in as `nick` all at once (IRC registration, a UDP LOGIN): with
    /// the account SASL proved, or `password`, or the one given with
    /// [`Input::Pass`] — which is only used up on a registered nickname.
    Credentials {
        nick: String,
        password: Option<String>,
    },
    /// A password to log in with, for the [`Input::Credentials`] to come.
    Pass(String),
    /// One `AUTHENTICATE` argument of a SASL exchange (PLAIN or
    /// SCRAM-SHA-256).
    Authenticate(String),
    /// Prove the account registered as `nick` (default: the nickname in
    /// use) and take that nickname.
    Identify {
        nick: Option<String>,
        password: String,
    },
    /// Register the nickname in use with `password`.
    Register {
        password: String,
    },
    ChangeNick {
        nick: String,
    },
    Oper {
        name: String,
        password: String,
    },
    ChangePassword {
        old: String,
        new: String,
    },
    /// The outcome of the last [`Request`].
    Answer(Answer),
}

/// What the session needs done before it can go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// The account registered exactly as this name (SASL, IDENTIFY):
    /// [`Answer::Account`].
    Account(String),
    /// The account a person must own to use this nickname (the one
    /// registered as it; one it only looks like refuses it, issue 16):
    /// [`Answer::Account`].
    Owner(String),
    /// The account registered exactly as this name with its SCRAM
    /// credential (or a stand-in), and a fresh server nonce:
    /// [`Answer::Scram`].
    ScramAccount(String),
    /// A SCRAM proof for `account` was checked (`proved`: it held); count
    /// it like a password check: [`Answer::Identity`].
    ScramLogIn {
        account: AccountRecord,
        proved: bool,
    },
    /// Whether the failed-login limit lets this client try the account's
    /// password: [`Answer::Done`].
    Throttle(AccountRecord),
    /// Check the account's password: [`Answer::Identity`].
    Password {
        account: AccountRecord,
        password: String,
    },
    /// Register a nickname: [`Answer::Registered`].
    Register { nick: String, password: String },
    /// Check a server operator's name and password: [`Answer::Done`].
    Oper { name: String, password: String },
    /// Replace an account's password: [`Answer::Done`].
    ChangePassword {
        account: AccountId,
        old: String,
        new: String,
    },
    /// The hub's answer to the `Login` or `ChangeNick` just sent:
    /// [`Answer::Hub`].
    HubAnswer,
}

/// The outcome of a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Account(Result<Option<AccountRecord>, ChatError>),
    Scram {
        /// The account (none: a stand-in credential no proof matches).
        found: Result<(Option<AccountRecord>, ScramCredential), ChatError>,
        nonce: String,
    },
    Identity(Result<Identity, ChatError>),
    Registered(Result<AccountId, ChatError>),
    Done(Result<(), ChatError>),
    /// True: the hub took the nickname; false: it said why not.
    Hub(bool),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    Say(Reply),
    Hub(Command),
    Ask(Request),
}

/// What the next line from the client means, for a door's command table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A nickname (or a command that makes sense before login).
    Nick,
    /// A password (typing hidden): feed it as [`Input::Password`].
    Password,
    /// Nothing: lines typed ahead of a failed password step are dropped
    /// until the client is quiet (issue #17: a typed-ahead password must
    /// never become a guest's nickname, announced to the Lobby).
    Discard,
    /// Chat: the session is logged in.
    Chat,
}

/// Where a session is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    Nick,
    /// The nickname is registered: the next line is its password.
    Password(AccountRecord),
    /// Guests are off: the next line is a password to register `nick` with.
    NewPassword(String),
    /// … and the line after that, the same password again.
    RepeatPassword {
        nick: String,
        password: String,
    },
    Discard,
    Chat,
}

/// What to do with the answer to the request in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pending {
    /// The account of a nickname typed at the prompt.
    NickAccount(String),
    /// The failed-login limit, before the password prompt.
    Throttle(AccountRecord),
    /// The password typed for a registered nickname.
    LoginPassword(String),
    /// Registration from the nickname prompt (no guests).
    NewAccount(String),
    /// The hub's answer to `Login`.
    HubLogin {
        nick: String,
        account: Option<AccountId>,
        /// A dialogue asks for another nickname when the hub refuses one.
        ask_again: bool,
    },
    /// The account of a nickname to log in as all at once.
    Credentials {
        nick: String,
        password: Option<String>,
    },
    /// The password given with credentials, for the account of this nickname.
    CredentialsPassword(String),
    /// The account SASL names, and the password to check for it.
    SaslAccount(String),
    SaslPassword(AccountRecord),
    /// The SCRAM credential of the account a client-first names.
    ScramAccount,
    /// The outcome of a SCRAM proof for this account.
    ScramLogIn(AccountRecord),
    IdentifyAccount {
        target: String,
        password: String,
    },
    IdentifyPassword(AccountRecord),
    /// `/register` while logged in.
    Register,
    /// The account of a nickname asked for with `/nick`.
    NickChange(String),
    /// The hub's answer to `ChangeNick`.
    /// … with the account the change proved (IDENTIFY), if any.
    HubNickChange {
        wanted: String,
        proved: Option<AccountId>,
    },
    Oper(String),
    ChangePassword,
}

/// One connection's session. See the module doc for how a door drives it.
#[derive(Clone, Debug)]
pub struct Session {
    rules: Rules,
    stage: Stage,
    /// The nickname held, once logged in.
    nick: Option<String>,
    account: Option<AccountId>,
    pending: Option<Pending>,
    /// A login has completed since the door last asked.
    logged_in_now: bool,
    /// Given with `PASS`, for the login.
    pass: Option<String>,
    sasl: sasl::Exchange,
    /// The account a SASL exchange proved, for the login.
    proved: Option<(AccountRecord, Identity)>,
}

impl Session {
    pub fn new(rules: Rules) -> Session {
        Session {
            rules,
            stage: Stage::Nick,
            nick: None,
            account: None,
            pending: None,
            logged_in_now: false,
            pass: None,
            sasl: sasl::Exchange::default(),
            proved: None,
        }
    }

    /// Logged in: the hub took a nickname for this session.
    pub fn logged_in(&self) -> bool {
        self.stage == Stage::Chat
    }

    /// The nickname this session holds in the hub, once logged in.
    pub fn nick(&self) -> Option<&str> {
        self.nick.as_deref()
    }

    /// The account the session is logged in to, if any.
    pub fn account(&self) -> Option<AccountId> {
        self.account
    }

    pub fn rules(&self) -> Rules {
        self.rules
    }

    pub fn expects(&self) -> Expect {
        match self.stage {
            Stage::Nick => Expect::Nick,
            Stage::Password(_) | Stage::NewPassword(_) | Stage::RepeatPassword { .. } => {
                Expect::Password
            }
            Stage::Discard => Expect::Discard,
            Stage::Chat => Expect::Chat,
        }
    }

    /// Dropping typed-ahead lines until the client is quiet.
    pub fn discarding(&self) -> bool {
        self.stage == Stage::Discard
    }

    /// True once after each completed login: the door's reader may give
    /// back the stack the login's lookups and hashing touched.
    pub fn take_logged_in_now(&mut self) -> bool {
        std::mem::take(&mut self.logged_in_now)
    }

    /// A request is in flight: only its [`Input::Answer`] may come next.
    pub fn waiting(&self) -> bool {
        self.pending.is_some()
    }

    /// Runs one input; what follows from it is appended to `out`.
    pub fn step(&mut self, input: Input, out: &mut Vec<Output>) {
        if let Input::Answer(answer) = input {
            match self.pending.take() {
                Some(pending) => self.answer(pending, answer, out),
                None => debug_assert!(false, "an answer nobody asked for: {answer:?}"),
            }
            return;
        }
        debug_assert!(self.pending.is_none(), "{input:?} before the answer");
        match (input, &self.stage) {
            (Input::Start, _) => say(out, Reply::Prompt(Prompt::Nick { first: true })),
            (Input::AskAgain, Stage::Nick) | (Input::Quiet, Stage::Discard) => {
                self.prompt_nick(out)
            }
            (Input::Nick(nick), Stage::Nick) => self.ask(
                out,
                Pending::NickAccount(nick.clone()),
                Request::Owner(nick),
            ),
            (Input::Password(line), _) => self.password_line(line, out),
            (Input::Pass(password), _) => self.pass = Some(password),
            (Input::Authenticate(_), Stage::Chat) => {
                say(out, Reply::Sasl(SaslReply::AlreadyAuthenticated))
            }
            (Input::Authenticate(data), _) => self.authenticate(&data, out),
            (Input::Credentials { nick, password }, stage) if *stage != Stage::Chat => {
                match self.proved.take() {
                    Some((account, identity)) => {
                        self.log_in(account.nick, Some(identity), false, out)
                    }
                    None => {
                        let pending = Pending::Credentials {
                            nick: nick.clone(),
                            password,
                        };
                        self.ask(out, pending, Request::Owner(nick))
                    }
                }
            }
            (Input::Identify { nick, password }, Stage::Chat) => {
                let target = nick.or_else(|| self.nick.clone()).unwrap_or_default();
                let pending = Pending::IdentifyAccount {
                    target: target.clone(),
                    password,
                };
                self.ask(out, pending, Request::Account(target))
            }
            (Input::Register { password }, Stage::Chat) => self.register(password, out),
            (Input::ChangeNick { nick }, Stage::Chat) => self.change_nick(nick, out),
            (Input::Oper { name, password }, Stage::Chat) => {
                let request = Request::Oper {
                    name: name.clone(),
                    password,
                };
                self.ask(out, Pending::Oper(name), request)
            }
            (Input::ChangePassword { old, new }, Stage::Chat) => match self.account {
                None => error(out, ChatError::NotRegistered),
                Some(account) => {
                    let request = Request::ChangePassword { account, old, new };
                    self.ask(out, Pending::ChangePassword, request)
                }
            },
            // Out of place (a door's mistake, or a line raced a stage
            // change): nothing to do.
            _ => {}
        }
    }

    fn ask(&mut self, out: &mut Vec<Output>, pending: Pending, request: Request) {
        self.pending = Some(pending);
        out.push(Output::Ask(request));
    }

    fn password_line(&mut self, line: String, out: &mut Vec<Output>) {
        let stage = std::mem::replace(&mut self.stage, Stage::Nick);
        match stage {
            Stage::Password(account) => {
                say(out, Reply::EchoOn);
                let pending = Pending::LoginPassword(account.nick.clone());
                let request = Request::Password {
                    account,
                    password: line,
                };
                self.ask(out, pending, request);
            }
            Stage::NewPassword(nick) => {
                say(out, Reply::EchoOn);
                let min = self.rules.min_password_length;
                if line.chars().count() < min {
                    return self.refuse_typed_ahead(ChatError::PasswordTooShort { min }, out);
                }
                say(out, Reply::Prompt(Prompt::RepeatPassword));
                self.stage = Stage::RepeatPassword {
                    nick,
                    password: line,
                };
            }
            Stage::RepeatPassword { nick, password } => {
                say(out, Reply::EchoOn);
                if line != password {
                    return self.refuse_typed_ahead(ChatError::PasswordsDiffer, out);
                }
                let request = Request::Register {
                    nick: nick.clone(),
                    password,
                };
                self.ask(out, Pending::NewAccount(nick), request);
            }
            other => self.stage = other,
        }
    }

    fn register(&mut self, password: String, out: &mut Vec<Output>) {
        let nick = self.nick.clone().unwrap_or_default();
        if self.account.is_some() {
            return say(out, Reply::AlreadyRegistered { nick });
        }
        self.ask(out, Pending::Register, Request::Register { nick, password });
    }

    fn change_nick(&mut self, wanted: String, out: &mut Vec<Output>) {
        let request = Request::Owner(wanted.clone());
        self.ask(out, Pending::NickChange(wanted), request);
    }

    fn answer(&mut self, pending: Pending, answer: Answer, out: &mut Vec<Output>) {
        match (pending, answer) {
            (Pending::NickAccount(nick), Answer::Account(found)) => {
                self.nick_account(nick, found, out)
            }
            (Pending::Throttle(account), Answer::Done(allowed)) => match allowed {
                Ok(()) => {
                    let nick = account.nick.clone();
                    say(out, Reply::Prompt(Prompt::Password { nick }));
                    self.stage = Stage::Password(account);
                }
                // The password typed after the nickname must not follow it.
                Err(why) => self.refuse_typed_ahead(why, out),
            },
            (Pending::LoginPassword(nick), Answer::Identity(checked)) => match checked {
                Ok(identity) => self.log_in(nick, Some(identity), true, out),
                Err(why) => self.refuse_typed_ahead(why, out),
            },
            (Pending::NewAccount(nick), Answer::Registered(registered)) => match registered {
                Ok(account) => {
                    // As /register says it: the person should know the
                    // nickname now needs this password (issue #17).
                    say(out, Reply::Event(Event::Registered { nick: nick.clone() }));
                    let identity = Identity {
                        account,
                        watch: Vec::new(),
                        ignore: Vec::new(),
                        memos: Vec::new(),
                    };
                    self.log_in(nick, Some(identity), true, out)
                }
                Err(why) => self.refuse(why, out),
            },
            (
                Pending::HubLogin {
                    nick,
                    account,
                    ask_again,
                },
                Answer::Hub(taken),
            ) => match taken {
                true => {
                    self.stage = Stage::Chat;
                    self.nick = Some(nick);
                    self.account = account;
                    self.logged_in_now = true;
                }
                // The hub has said why; ask again (or the client will).
                false if ask_again => self.prompt_nick(out),
                false => {}
            },
            (Pending::Credentials { nick, password }, Answer::Account(found)) => {
                self.credentials(nick, password, found, out)
            }
            (Pending::CredentialsPassword(nick), Answer::Identity(checked)) => match checked {
                Ok(identity) => self.log_in(nick, Some(identity), false, out),
                Err(why) => say(out, Reply::PasswordRefused(why)),
            },
            (Pending::SaslAccount(password), Answer::Account(found)) => match found {
                Ok(Some(account)) => {
                    let request = Request::Password {
                        account: account.clone(),
                        password,
                    };
                    self.ask(out, Pending::SaslPassword(account), request)
                }
                _ => say(out, Reply::Sasl(SaslReply::Failed)),
            },
            (Pending::SaslPassword(account), Answer::Identity(checked)) => match checked {
                Ok(identity) => {
                    let nick = account.nick.clone();
                    self.proved = Some((account, identity));
                    say(out, Reply::Sasl(SaslReply::Succeeded { nick }))
                }
                Err(_) => say(out, Reply::Sasl(SaslReply::Failed)),
            },
            (Pending::ScramAccount, Answer::Scram { found, nonce }) => {
                let challenge = found.ok().and_then(|(account, credential)| {
                    self.sasl.challenge(account, credential, &nonce)
                });
                let reply = challenge.map_or(SaslReply::Failed, SaslReply::Challenge);
                say(out, Reply::Sasl(reply))
            }
            (Pending::ScramLogIn(account), Answer::Identity(checked)) => {
                let last = checked.ok().and_then(|identity| {
                    self.proved = Some((account, identity));
                    self.sasl.server_final()
                });
                let reply = last.map_or(SaslReply::Failed, SaslReply::Challenge);
                say(out, Reply::Sasl(reply))
            }
            (Pending::IdentifyAccount { target, password }, Answer::Account(found)) => {
                self.identify_account(target, password, found, out)
            }
            (Pending::IdentifyPassword(account), Answer::Identity(checked)) => match checked {
                Ok(identity) => {
                    let wanted = account.nick;
                    out.push(Output::Hub(Command::ChangeNick {
                        nick: wanted.clone(),
                        identity: Some(identity),
                    }));
                    let pending = Pending::HubNickChange {
                        wanted,
                        proved: Some(account.id),
                    };
                    self.ask(out, pending, Request::HubAnswer)
                }
                Err(why) => error(out, why),
            },
            (Pending::Register, Answer::Registered(registered)) => match registered {
                Ok(account) => {
                    self.account = Some(account);
                    // The hub confirms once it has saved the hot list too.
                    out.push(Output::Hub(Command::Identified { account }));
                }
                Err(why) => error(out, why),
            },
            (Pending::NickChange(wanted), Answer::Account(found)) => {
                self.nick_change(wanted, found, out)
            }
            (Pending::HubNickChange { wanted, proved }, Answer::Hub(taken)) => {
                if taken {
                    let same = self
                        .nick
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&wanted));
                    self.account = proved.or(self.account.filter(|_| same));
                    self.nick = Some(wanted.clone());
                }
                if proved.is_some() && self.account == proved {
                    say(out, Reply::Identified { nick: wanted })
                }
            }
            (Pending::Oper(name), Answer::Done(checked)) => match checked {
                Ok(()) => out.push(Output::Hub(Command::Oper { name })),
                Err(why) => error(out, why),
            },
            (Pending::ChangePassword, Answer::Done(changed)) => match changed {
                Ok(()) => {
                    let notice = Event::Notice("Your password has been changed.".into());
                    say(out, Reply::Event(notice))
                }
                Err(why) => error(out, why),
            },
            (pending, answer) => {
                debug_assert!(false, "{answer:?} does not answer {pending:?}")
            }
        }
    }

    /// A nickname typed at the prompt, with its account if registered.
    fn nick_account(
        &mut self,
        nick: String,
        found: Result<Option<AccountRecord>, ChatError>,
        out: &mut Vec<Output>,
    ) {
        match found {
            Err(why) => self.refuse(why, out),
            Ok(Some(account)) => {
                let request = Request::Throttle(account.clone());
                self.ask(out, Pending::Throttle(account), request)
            }
            Ok(None) if self.rules.allow_guests => self.log_in(nick, None, true, out),
            Ok(None) => {
                // No guests: check the nickname before asking for a password.
                if let Err(why) = Nick::parse(&nick, self.rules.nick_length) {
                    return self.refuse(ChatError::BadNick(why), out);
                }
                let min_length = self.rules.min_password_length;
                let prompt = Prompt::NewPassword {
                    nick: nick.clone(),
                    min_length,
                };
                say(out, Reply::Prompt(prompt));
                self.stage = Stage::NewPassword(nick);
            }
        }
    }

    /// `/nick wanted`, with the account registered as `wanted` if any.
    fn nick_change(
        &mut self,
        wanted: String,
        found: Result<Option<AccountRecord>, ChatError>,
        out: &mut Vec<Output>,
    ) {
        match found {
            // A registered nickname is only for its owner.
            Ok(Some(owner)) if Some(owner.id) != self.account => say(
                out,
                Reply::NickRegistered {
                    asked: wanted,
                    owner: owner.nick,
                },
            ),
            // Without guests, every nickname in use is a registered one.
            Ok(None) if !self.rules.allow_guests => say(out, Reply::NoGuests { nick: wanted }),
            Ok(_) => {
                out.push(Output::Hub(Command::ChangeNick {
                    nick: wanted.clone(),
                    identity: None,
                }));
                // Wait for the hub's answer: /register must only ever name
                // the nickname this connection really holds.
                let pending = Pending::HubNickChange {
                    wanted,
                    proved: None,
                };
                self.ask(out, pending, Request::HubAnswer);
            }
            Err(why) => error(out, why),
        }
    }

    /// Asks the hub for the nickname and waits for its answer, so that lines
    /// typed (or pasted) after the nickname are read as chat, not nicknames.
    fn log_in(
        &mut self,
        nick: String,
        identity: Option<Identity>,
        ask_again: bool,
        out: &mut Vec<Output>,
    ) {
        let account = identity.as_ref().map(|i| i.account);
        out.push(Output::Hub(Command::Login {
            nick: nick.clone(),
            identity,
        }));
        let pending = Pending::HubLogin {
            nick,
            account,
            ask_again,
        };
        self.ask(out, pending, Request::HubAnswer);
    }

    /// Credentials for `nick`, with its account if registered.
    fn credentials(
        &mut self,
        nick: String,
        password: Option<String>,
        found: Result<Option<AccountRecord>, ChatError>,
        out: &mut Vec<Output>,
    ) {
        match found {
            Err(why) => error(out, why),
            Ok(Some(account)) => match password.or_else(|| self.pass.take()) {
                Some(password) => {
                    let pending = Pending::CredentialsPassword(account.nick.clone());
                    let request = Request::Password { account, password };
                    self.ask(out, pending, request)
                }
                None => say(
                    out,
                    Reply::NickRegistered {
                        asked: nick,
                        owner: account.nick,
                    },
                ),
            },
            Ok(None) if self.rules.allow_guests => self.log_in(nick, None, false, out),
            Ok(None) => say(out, Reply::NoGuests { nick }),
        }
    }

    /// `IDENTIFY`: the account registered as `target`, if any.
    fn identify_account(
        &mut self,
        target: String,
        password: String,
        found: Result<Option<AccountRecord>, ChatError>,
        out: &mut Vec<Output>,
    ) {
        match found {
            Ok(Some(account)) => {
                let request = Request::Password {
                    account: account.clone(),
                    password,
                };
                self.ask(out, Pending::IdentifyPassword(account), request)
            }
            Ok(None) => say(out, Reply::NoSuchAccount { nick: target }),
            Err(why) => error(out, why),
        }
    }

    /// One argument of `AUTHENTICATE`.
    fn authenticate(&mut self, data: &str, out: &mut Vec<Output>) {
        let reply = match self.sasl.feed(data) {
            sasl::Step::Aborted => SaslReply::Aborted,
            sasl::Step::Continue => SaslReply::Continue,
            sasl::Step::UnknownMechanism => SaslReply::Mechanisms,
            sasl::Step::More => return,
            sasl::Step::Malformed => SaslReply::Failed,
            sasl::Step::Plain { authcid, password } => {
                let request = Request::Account(authcid);
                return self.ask(out, Pending::SaslAccount(password), request);
            }
            sasl::Step::ScramFirst { authcid } => {
                let request = Request::ScramAccount(authcid);
                return self.ask(out, Pending::ScramAccount, request);
            }
            sasl::Step::ScramProof {
                account: Some(account),
                proved,
            } => {
                let pending = Pending::ScramLogIn(account.clone());
                return self.ask(out, pending, Request::ScramLogIn { account, proved });
            }
            sasl::Step::ScramProof { account: None, .. } => SaslReply::Failed,
            sasl::Step::ScramDone => match &self.proved {
                Some((account, _)) => SaslReply::Succeeded {
                    nick: account.nick.clone(),
                },
                None => SaslReply::Failed,
            },
        };
        say(out, Reply::Sasl(reply));
    }

    /// Says why a login step failed and starts the login again.
    fn refuse(&mut self, why: ChatError, out: &mut Vec<Output>) {
        error(out, why);
        self.prompt_nick(out);
    }

    /// [`Session::refuse`] for a step a password may follow: what was typed
    /// ahead is dropped before the nickname prompt returns ([`Input::Quiet`]).
    fn refuse_typed_ahead(&mut self, why: ChatError, out: &mut Vec<Output>) {
        error(out, why);
        self.stage = Stage::Discard;
    }

    fn prompt_nick(&mut self, out: &mut Vec<Output>) {
        self.stage = Stage::Nick;
        say(out, Reply::Prompt(Prompt::Nick { first: false }));
    }
}

fn say(out: &mut Vec<Output>, reply: Reply) {
    out.push(Output::Say(reply));
}

fn error(out: &mut Vec<Output>, why: ChatError) {
    say(out, Reply::Event(Event::Error(why)));
}
