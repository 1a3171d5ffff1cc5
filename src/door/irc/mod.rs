//! The IRC door: irssi, weechat, HexChat and friends, on the same hub as the
//! other doors (RFC 1459/2812 as modern servers speak it, with IRCv3 CAP,
//! SASL PLAIN and SCRAM-SHA-256, MONITOR). Per connection the reader parses
//! messages ([`message`]), runs registration and account commands, and
//! sends commands to the hub; the writer renders events ([`render`]).
//!
//! A registered nickname needs its password before it is used: SASL (PLAIN
//! or SCRAM-SHA-256), `PASS`, or — with another nickname first — `PRIVMSG
//! NickServ :IDENTIFY`.
//! Without one, registration is refused with ERR_NICKNAMEINUSE saying so, and
//! the client picks another nickname (as irssi and weechat do by themselves).

pub mod cap;
pub mod chathistory;
pub mod message;
pub mod numeric;
pub mod render;
pub mod tags;
mod v3;

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use self::cap::{Cap, CapReply, Negotiation};
use self::message::{Message, ParseError};
use self::numeric::*;
use self::render::{Renderer, ServerInfo};
use super::flood::FloodRule;
use super::lines::{read_lines, Flow, LineConnection};
use super::modes::{self, ModeRequest};
use super::session::driver::{Connection, Wording};
use super::session::sasl::MECHANISMS;
use super::session::{self, Input, Reply, SaslReply, Session};
use super::text::codec::{self, LineDecoder};
use super::{sanitize, Admission};
use crate::engine::{Engine, Said};
use crate::hub::{Aside, Command, Event, Target, Watch};
use crate::model::name::Nick;
use crate::model::ClientTags;
use crate::runtime::accounts::Accounts;
use crate::runtime::HubHandle;

/// The IRC door's settings.
#[derive(Clone, Debug)]
pub struct IrcDoorConfig {
    pub server: ServerInfo,
    pub flood: FloodRule,
    /// Silence after which the server sends PING; as long again without an
    /// answer and the client is gone ("Ping timeout").
    pub ping_interval: Duration,
    /// Silence after which a session is logged out (answers to the door's
    /// PINGs count as words).
    pub idle_timeout: Duration,
}

/// What a connection needs from the rest of the server.
#[derive(Clone)]
pub struct IrcDoor {
    pub hub: HubHandle,
    pub accounts: Arc<Accounts>,
    pub config: IrcDoorConfig,
    pub engine: Engine,
}

/// The line a refused connection gets before it is closed.
pub fn refusal(why: &str) -> String {
    format!("ERROR :Closing Link: {why}\r\n")
}

/// Tags may add up to 8191 bytes before the 512 of the message itself.
const MAX_TAGGED_LINE: usize = 8191 + message::MAX_LINE;

impl IrcDoor {
    /// Serves one connection until it closes, on its own thread (the
    /// reader), with a writer thread beside it.
    pub fn serve(&self, stream: TcpStream, peer: SocketAddr, admission: Admission) {
        let caps = Negotiation::default();
        let renderer = Renderer::new(self.config.server.clone(), caps.shared());
        let setup = super::DoorSetup {
            name: "irc",
            idle_timeout: self.config.idle_timeout,
            hub: &self.hub,
            engine: &self.engine,
        };
        super::serve_connection(setup, stream, peer, renderer, |attached| {
            let rules = session::Rules::new(self.accounts.rules, self.config.server.nick_length);
            let accounts = Arc::clone(&self.accounts);
            let session = Session::new(rules);
            Reader {
                door: self,
                peer,
                conn: Connection::new(session, &attached, peer.ip(), accounts, self.hub.clone()),
                pinged: false,
                asked: None,
                user: None,
                negotiating: false,
                caps,
                wallops: false,
            }
            .run(&attached.stream)
        });
        drop(admission);
    }
}

/// What a group of commands made of a message: a command for the hub, or
/// the door's own answer already given.
enum Step {
    Hub(Command),
    Done(Flow),
}

struct Reader<'a> {
    door: &'a IrcDoor,
    peer: SocketAddr,
    /// The session: nickname, account, PASS, SASL.
    conn: Connection,
    /// A PING went out for silence and nothing has come since.
    pinged: bool,
    /// The nickname asked for before registration.
    asked: Option<String>,
    /// The user name (cleaned for masks; empty if nothing was left) and
    /// real name USER gave.
    user: Option<(String, String)>,
    /// Between CAP LS/REQ and CAP END registration waits.
    negotiating: bool,
    /// The capabilities asked for and agreed (shared with the renderer).
    caps: Negotiation,
    /// User mode +w: this connection hears WALLOPS.
    wallops: bool,
}

impl Reader<'_> {
    fn run(&mut self, stream: &TcpStream) -> String {
        let _ = stream.set_read_timeout(Some(self.door.config.ping_interval));
        let decoder = LineDecoder::plain(MAX_TAGGED_LINE);
        let (flood, peer) = (self.door.config.flood, self.peer);
        read_lines(stream, decoder, flood, peer, self)
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

    /// A silent client is PINGed; silent again, it is gone.
    fn silence(&mut self) -> Flow {
        let interval = self.door.config.ping_interval;
        if self.pinged {
            let reason = format!("Ping timeout: {} seconds", interval.as_secs() * 2);
            self.closing(&reason);
            return Flow::Stop(reason);
        }
        let name = &self.door.config.server.name;
        self.raw(format!("PING :{name}"));
        self.pinged = true;
        Flow::Continue
    }

    fn input(&mut self, input: codec::Input) -> Flow {
        // Anything at all answers a PING.
        self.pinged = false;
        let line = match input {
            codec::Input::Line(line) => line,
            codec::Input::TooLong => {
                self.reply(ERR_INPUTTOOLONG, ":Input line was too long");
                return self.hub(Command::Ping);
            }
            codec::Input::Negotiation { .. } => return Flow::Continue,
        };
        let message = match Message::parse(&line) {
            Ok(message) => message,
            Err(ParseError::Empty) => return Flow::Continue,
            Err(ParseError::TooLong) => {
                self.reply(ERR_INPUTTOOLONG, ":Input line was too long");
                return self.hub(Command::Ping);
            }
        };
        // labeled-response (with batch, which it needs for replies of
        // several lines): everything this line brings back carries its label.
        // Not CHATHISTORY: its answer comes from the store after the hub is
        // done with the command, so the reply would be an ACK (which says
        // "no answer") and the batch would come unlabelled.
        let caps = self.caps.enabled();
        let label = message
            .tags
            .iter()
            .find(|tag| tag.key == "label" && !tag.value.is_empty())
            .filter(|_| caps.has(Cap::LabeledResponse) && caps.has(Cap::Batch))
            .filter(|_| message.command != "CHATHISTORY")
            .map(|tag| tag.value.clone());
        if let Some(label) = &label {
            self.conn.say(Said::OpenReply(label.clone()));
        }
        let sent = self.conn.sent();
        let mut flow = self.message(message);
        if matches!(flow, Flow::Continue) && self.conn.sent() == sent {
            // A line the hub never heard of is still a sign of life: the
            // hub's idle clock starts again (not its /whois idle time).
            flow = self.hub(Command::Ping);
        }
        if label.is_some() {
            self.conn.say(Said::CloseReply);
        }
        flow
    }
}

impl Reader<'_> {
    fn message(&mut self, m: Message) -> Flow {
        let name = self.door.config.server.name.clone();
        match m.command.as_str() {
            "CAP" => return self.cap(&m),
            "AUTHENTICATE" => return self.authenticate(&m),
            "PASS" if self.registered() => {
                self.reply(ERR_ALREADYREGISTERED, ":You may not reregister")
            }
            "PASS" => return self.session(Input::Pass(m.param(0).to_string())),
            "NICK" => return self.nick(m.param(0)),
            "USER" if self.registered() => {
                self.reply(ERR_ALREADYREGISTERED, ":You may not reregister")
            }
            // Modern IRC: `USER <username> 0 * <realname>`, neither empty.
            "USER" if m.params.len() < 4 || m.param(0).is_empty() || m.param(3).is_empty() => {
                return self.need_more("USER")
            }
            "USER" => {
                let ident = ident(m.param(0), self.door.config.server.nick_length);
                self.user = Some((ident, chat_text(m.param(3))));
                return self.try_register();
            }
            // Modern IRC: PING takes a token, the one PONG sends back.
            "PING" if m.params.is_empty() => return self.need_more("PING"),
            "PING" => self.raw(format!(":{name} PONG {name} :{}", m.param(0))),
            // Proof of life: the hub's idle clock starts again.
            "PONG" => return self.hub(Command::Ping),
            "QUIT" => {
                let message = Some(chat_text(m.param(0))).filter(|q| !q.is_empty());
                return self.hub(Command::Quit { message });
            }
            _ if !self.registered() => self.reply(ERR_NOTREGISTERED, ":You have not registered"),
            _ => return self.command(m),
        }
        Flow::Continue
    }

    /// Commands for a registered connection: each group of commands knows
    /// its own, in turn; none knowing it is ERR_UNKNOWNCOMMAND.
    fn command(&mut self, m: Message) -> Flow {
        type Group<'r> = fn(&mut Reader<'r>, &Message) -> Option<Step>;
        let groups: [Group<'_>; 5] = [
            Self::channel_command,
            Self::message_command,
            Self::query_command,
            Self::operator_command,
            Self::server_command,
        ];
        for group in groups {
            match group(self, &m) {
                Some(Step::Hub(command)) => return self.hub(command),
                Some(Step::Done(flow)) => return flow,
                None => {}
            }
        }
        let rest = format!("{} :Unknown command", m.command);
        self.reply(ERR_UNKNOWNCOMMAND, &rest);
        Flow::Continue
    }

    /// Joining, leaving and running channels.
    fn channel_command(&mut self, m: &Message) -> Option<Step> {
        let command = match m.command.as_str() {
            "JOIN" if m.params.is_empty() => return Some(Step::Done(self.need_more("JOIN"))),
            "JOIN" => {
                let mut keys = m.param(1).split(',');
                for target in m.param(0).split(',').filter(|t| !t.is_empty()) {
                    let key = keys.next().filter(|k| !k.is_empty()).map(str::to_string);
                    // An unknown #name makes a channel, as on any IRC server.
                    let flow = self.hub(Command::JoinWith {
                        channel: target.to_string(),
                        key,
                        create: true,
                    });
                    if let Flow::Stop(reason) = flow {
                        return Some(Step::Done(Flow::Stop(reason)));
                    }
                }
                return Some(Step::Done(Flow::Continue));
            }
            "PART" if m.params.is_empty() => return Some(Step::Done(self.need_more("PART"))),
            "PART" => {
                let reason = Some(m.param(1)).filter(|r| !r.is_empty());
                for target in m.param(0).split(',').filter(|t| !t.is_empty()) {
                    let channel = Some(target.to_string());
                    let reason = reason.map(str::to_string);
                    if let Flow::Stop(reason) = self.hub(Command::Part { channel, reason }) {
                        return Some(Step::Done(Flow::Stop(reason)));
                    }
                }
                return Some(Step::Done(Flow::Continue));
            }
            "TOPIC" if m.params.is_empty() => return Some(Step::Done(self.need_more("TOPIC"))),
            "TOPIC" if m.params.len() > 1 => Command::SetTopic {
                channel: Some(m.param(0).to_string()),
                text: chat_text(m.param(1)),
            },
            "TOPIC" => Command::Topic {
                channel: Some(m.param(0).to_string()),
            },
            "KICK" if m.params.len() < 2 => return Some(Step::Done(self.need_more("KICK"))),
            "KICK" => Command::Kick {
                channel: Some(m.param(0).to_string()),
                nick: m.param(1).to_string(),
                reason: Some(chat_text(m.param(2))).filter(|r| !r.is_empty()),
            },
            "INVITE" if m.params.len() < 2 => return Some(Step::Done(self.need_more("INVITE"))),
            "INVITE" => Command::Invite {
                nick: m.param(0).to_string(),
                channel: Some(m.param(1).to_string()),
            },
            "NAMES" if m.params.is_empty() => {
                self.reply(RPL_ENDOFNAMES, "* :End of /NAMES list.");
                return Some(Step::Done(Flow::Continue));
            }
            "NAMES" => {
                let first = m.param(0).split(',').next().unwrap_or("");
                // The hub's names have no `#`; the answer puts it back.
                let channel = first.strip_prefix('#').unwrap_or(first).to_string();
                Command::Names {
                    channel: Some(channel),
                    unknown_is_empty: true,
                }
            }
            "LIST" => Command::ListChannels {
                only: Some(m.param(0)).filter(|l| !l.is_empty()).map(|list| {
                    list.split(',')
                        .filter(|t| !t.is_empty())
                        .map(str::to_string)
                        .collect()
                }),
            },
            "MODE" => return Some(Step::Done(self.mode(m))),
            _ => return None,
        };
        Some(Step::Hub(command))
    }

    /// Talk and what goes with it: messages, history, away, hot and ignore lists.
    fn message_command(&mut self, m: &Message) -> Option<Step> {
        let command = match m.command.as_str() {
            "PRIVMSG" | "NOTICE" => return Some(Step::Done(self.privmsg(m))),
            "TAGMSG" => return Some(Step::Done(self.tagmsg(m))),
            "CHATHISTORY" => return Some(Step::Done(self.chathistory(m))),
            "AWAY" => Command::Away {
                message: Some(chat_text(m.param(0))).filter(|a| !a.is_empty()),
            },
            "MONITOR" => return Some(Step::Done(self.monitor(m))),
            "SILENCE" => Command::Ignore(match m.param(0) {
                "" => Watch::List,
                target => match target.strip_prefix('-') {
                    Some(nick) => Watch::Remove(nick.to_string()),
                    None => Watch::Add(target.trim_start_matches('+').to_string()),
                },
            }),
            _ => return None,
        };
        Some(Step::Hub(command))
    }

    /// Questions about users.
    fn query_command(&mut self, m: &Message) -> Option<Step> {
        let command = match m.command.as_str() {
            "WHO" => Command::Who {
                // A bare WHO is everyone, answered as `WHO *` is.
                mask: Some(match m.param(0) {
                    "" => "*".to_string(),
                    mask => mask.to_string(),
                }),
            },
            "WHOIS" | "WHOWAS" if m.params.is_empty() => {
                self.reply(ERR_NONICKNAMEGIVEN, ":No nickname given");
                return Some(Step::Done(Flow::Continue));
            }
            // WHOIS [server] nick: the nickname is the last parameter.
            "WHOIS" => Command::Whois {
                nick: m.params.last().cloned().unwrap_or_default(),
            },
            "WHOWAS" => Command::Whowas {
                nick: m.param(0).to_string(),
            },
            "ISON" if m.params.is_empty() => return Some(Step::Done(self.need_more("ISON"))),
            "ISON" => Command::Ison {
                nicks: m
                    .params
                    .iter()
                    .flat_map(|p| p.split(' '))
                    .map(str::to_string)
                    .collect(),
            },
            "USERHOST" if m.params.is_empty() => {
                return Some(Step::Done(self.need_more("USERHOST")))
            }
            // RFC 2812 §4.8: up to five nicknames.
            "USERHOST" => Command::Userhost {
                nicks: m
                    .params
                    .iter()
                    .flat_map(|p| p.split(' '))
                    .filter(|n| !n.is_empty())
                    .take(5)
                    .map(str::to_string)
                    .collect(),
            },
            "LUSERS" => Command::Stats,
            _ => return None,
        };
        Some(Step::Hub(command))
    }

    /// What server operators do.
    fn operator_command(&mut self, m: &Message) -> Option<Step> {
        let command = match m.command.as_str() {
            "OPER" if m.params.len() < 2 => return Some(Step::Done(self.need_more("OPER"))),
            "OPER" => {
                return Some(Step::Done(self.session(Input::Oper {
                    name: m.param(0).to_string(),
                    password: m.param(1).to_string(),
                })))
            }
            "KILL" if m.params.is_empty() => return Some(Step::Done(self.need_more("KILL"))),
            "KILL" => Command::Kill {
                nick: m.param(0).to_string(),
                reason: Some(chat_text(m.param(1)))
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| "no reason".into()),
            },
            "WALLOPS" if m.params.is_empty() => return Some(Step::Done(self.need_more("WALLOPS"))),
            "WALLOPS" => Command::Wallops {
                text: chat_text(m.param(0)),
            },
            _ => return None,
        };
        Some(Step::Hub(command))
    }

    /// Questions about the server, answered by the door itself.
    fn server_command(&mut self, m: &Message) -> Option<Step> {
        let name = &self.door.config.server.name;
        match m.command.as_str() {
            "HELP" | "HELPOP" => return Some(Step::Done(self.help(m.param(0)))),
            "MOTD" => {
                let mut out = Vec::new();
                render::motd(&self.door.config.server, self.me(), &mut out);
                self.raw(String::from_utf8_lossy(&out).trim_end().to_string());
            }
            "INFO" => self.info(),
            "TIME" => {
                let now = crate::clock::utc(crate::clock::unix_now());
                self.reply(RPL_TIME, &format!("{name} :{now}"));
            }
            "VERSION" => {
                let version = &self.door.config.server.version;
                self.reply(RPL_VERSION, &format!("{version} {name} :chatd"));
                self.reply(RPL_ISUPPORT, &render::isupport(&self.door.config.server));
            }
            _ => return None,
        }
        Some(Step::Done(Flow::Continue))
    }

    /// `CAP LS/REQ/LIST/END` ([`cap`]): LS and REQ before registration hold
    /// it until END.
    fn cap(&mut self, m: &Message) -> Flow {
        let name = self.door.config.server.name.clone();
        let me = self.me().to_string();
        match self.caps.handle(m.param(0), m.param(1)) {
            CapReply::Lines(lines) => {
                if !self.registered() && !m.param(0).eq_ignore_ascii_case("LIST") {
                    self.negotiating = true;
                }
                for line in lines {
                    self.raw(format!(":{name} CAP {me} {line}"));
                }
            }
            CapReply::End => {
                self.negotiating = false;
                return self.try_register();
            }
            CapReply::Invalid(other) => {
                self.reply(ERR_INVALIDCAPCMD, &format!("{other} :Invalid CAP command"))
            }
        }
        Flow::Continue
    }

    /// SASL PLAIN and SCRAM-SHA-256, run by the session (`door::session::sasl`).
    fn authenticate(&mut self, m: &Message) -> Flow {
        self.session(Input::Authenticate(m.param(0).to_string()))
    }

    fn nick(&mut self, wanted: &str) -> Flow {
        if wanted.is_empty() {
            self.reply(ERR_NONICKNAMEGIVEN, ":No nickname given");
            return Flow::Continue;
        }
        if let Err(why) = Nick::parse(wanted, self.door.config.server.nick_length) {
            // Echoed cleaned: the refusal must not carry a hidden character either.
            let shown = sanitize::clean(wanted);
            self.reply(
                ERR_ERRONEUSNICKNAME,
                &format!("{shown} :Erroneous nickname: {why}"),
            );
            return Flow::Continue;
        }
        if !self.registered() {
            self.asked = Some(wanted.to_string());
            return self.try_register();
        }
        self.session(Input::ChangeNick {
            nick: wanted.to_string(),
        })
    }

    /// Completes registration once NICK and USER are in and CAP is done.
    fn try_register(&mut self) -> Flow {
        if self.registered() || self.negotiating {
            return Flow::Continue;
        }
        let (Some((ident, realname)), Some(nick)) = (self.user.clone(), self.asked.clone()) else {
            return Flow::Continue;
        };
        // What is left of a user name made only of characters a mask can't
        // hold is the nickname.
        let ident = Some(ident)
            .filter(|i| !i.is_empty())
            .unwrap_or(nick.clone());
        if let Flow::Stop(reason) = self.hub(Command::About { ident, realname }) {
            return Flow::Stop(reason);
        }
        // An IRC user hears WALLOPS once it sets +w (issue 14); the hub's
        // default (everyone hears them) is for doors without user modes.
        if let Flow::Stop(reason) = self.hub(Command::HearWallops(false)) {
            return Flow::Stop(reason);
        }
        // The hub says why it refuses a nickname (433, 432); the client may
        // try another NICK.
        self.session(Input::Credentials {
            nick,
            password: None,
        })
    }

    /// PRIVMSG and NOTICE, to channels and nicknames (comma lists). A NOTICE
    /// is never answered (RFC 2812 §3.3.2): whatever would be an error for a
    /// PRIVMSG drops it without a word.
    fn privmsg(&mut self, m: &Message) -> Flow {
        let notice = m.command == "NOTICE";
        if m.params.is_empty() {
            if !notice {
                let rest = format!(":No recipient given ({})", m.command);
                self.reply(ERR_NORECIPIENT, &rest);
            }
            return Flow::Continue;
        }
        if m.param(1).is_empty() {
            if !notice {
                self.reply(ERR_NOTEXTTOSEND, ":No text to send");
            }
            return Flow::Continue;
        }
        let line = Line::read(m.param(1), notice);
        let tags = tags::client_only(&m.tags);
        for target in m.param(0).split(',').filter(|t| !t.is_empty()) {
            let flow = match &line {
                Line::Said { text, action } => self.say_to(target, text, *action, tags.clone()),
                Line::Aside { text, kind } => {
                    let to = match target.starts_with('#') {
                        true => Target::Channel(target.to_string()),
                        false => Target::Nick(target.to_string()),
                    };
                    // The services answer PRIVMSG only; a NOTICE to them is dropped.
                    let service = target.eq_ignore_ascii_case("NickServ")
                        || target.eq_ignore_ascii_case("MemoServ");
                    match service {
                        true => Flow::Continue,
                        false => self.hub(Command::Aside {
                            tags: tags.clone(),
                            to,
                            text: text.clone(),
                            kind: *kind,
                        }),
                    }
                }
            };
            if let Flow::Stop(reason) = flow {
                return Flow::Stop(reason);
            }
        }
        Flow::Continue
    }

    /// A PRIVMSG (or `/me`) to one target: a channel, a service, or a person.
    fn say_to(&mut self, target: &str, text: &str, action: bool, tags: ClientTags) -> Flow {
        let text = text.to_string();
        let command = if target.starts_with('#') {
            Command::Say {
                tags,
                channel: Some(target.to_string()),
                text,
                action,
            }
        } else if target.eq_ignore_ascii_case("MemoServ") {
            let clear = text.trim().eq_ignore_ascii_case("CLEAR");
            Command::Memos { clear }
        } else if target.eq_ignore_ascii_case("NickServ") {
            return self.nickserv(&text);
        } else {
            Command::Private {
                tags,
                to: target.to_string(),
                text,
                action,
            }
        };
        self.hub(command)
    }

    /// NickServ for clients without SASL: REGISTER, IDENTIFY, HELP.
    fn nickserv(&mut self, text: &str) -> Flow {
        let words: Vec<&str> = text.split_whitespace().collect();
        let input = match words.first().map(|w| w.to_ascii_uppercase()).as_deref() {
            Some("REGISTER") => match words.get(1) {
                Some(password) => Input::Register {
                    password: password.to_string(),
                },
                None => return self.nickserv_says("Syntax: REGISTER <password>"),
            },
            Some("IDENTIFY") => match words.as_slice() {
                [_, password] => Input::Identify {
                    nick: None,
                    password: password.to_string(),
                },
                [_, target, password] => Input::Identify {
                    nick: Some(target.to_string()),
                    password: password.to_string(),
                },
                _ => return self.nickserv_says("Syntax: IDENTIFY [nick] <password>"),
            },
            _ => {
                return self.nickserv_says(
                    "Commands: REGISTER <password> (registers your current nickname), \
                     IDENTIFY [nick] <password> (logs you in to it)",
                )
            }
        };
        let words = Words {
            server: &self.door.config.server,
            nickserv: true,
        };
        self.conn.step(input, &words)
    }

    fn nickserv_says(&self, text: &str) -> Flow {
        let words = Words {
            server: &self.door.config.server,
            nickserv: true,
        };
        self.conn.say(words.nickserv(self.me(), text));
        Flow::Continue
    }

    fn mode(&mut self, m: &Message) -> Flow {
        let target = m.param(0);
        let me = self.me().to_string();
        if target.is_empty() {
            return self.need_more("MODE");
        }
        if target.starts_with('#') {
            let words: Vec<&str> = m.params[1..].iter().map(String::as_str).collect();
            let command = match modes::parse(&words) {
                Ok(ModeRequest::Query) => Command::Mode {
                    channel: target.to_string(),
                    changes: Vec::new(),
                },
                Ok(ModeRequest::List(kind)) => Command::MaskList {
                    channel: target.to_string(),
                    kind,
                },
                Ok(ModeRequest::Change(changes)) => Command::Mode {
                    channel: target.to_string(),
                    changes,
                },
                Err(letter) => {
                    self.reply(
                        ERR_UNKNOWNMODE,
                        &format!("{letter} :is unknown mode char to me"),
                    );
                    return Flow::Continue;
                }
            };
            return self.hub(command);
        }
        if !target.eq_ignore_ascii_case(&me) {
            self.reply(ERR_USERSDONTMATCH, ":Can't change mode for other users");
            return Flow::Continue;
        }
        match m.param(1) {
            "" => {
                let modes = self.user_modes();
                self.reply(RPL_UMODEIS, &modes);
                Flow::Continue
            }
            changes => self.change_user_modes(changes),
        }
    }

    /// `+w` for WALLOPS. (The session core knows of OPER, and the renderer
    /// tells `MODE nick :+o` when it succeeds; 221 does not show it yet.)
    fn user_modes(&self) -> String {
        let mut modes = String::from("+");
        if self.wallops {
            modes.push('w');
        }
        modes
    }

    /// `MODE me +w-i…`. Clients set +i at connect: everyone here is as
    /// visible as anyone, so it is accepted and changes nothing; +o comes
    /// with OPER only (RFC 2812 §3.1.5), so `+o` is ignored and `-o` too
    /// (an operator stays one for the session). Only a real change of +w is
    /// told back, as a MODE line.
    fn change_user_modes(&mut self, changes: &str) -> Flow {
        let mut add = true;
        let mut wallops = self.wallops;
        for letter in changes.chars() {
            match letter {
                '+' => add = true,
                '-' => add = false,
                'w' => wallops = add,
                'i' | 'o' => {}
                _ => {
                    self.reply(ERR_UMODEUNKNOWNFLAG, ":Unknown MODE flag");
                    return Flow::Continue;
                }
            }
        }
        if wallops == self.wallops {
            return Flow::Continue;
        }
        self.wallops = wallops;
        let me = self.me().to_string();
        let sign = if wallops { "+" } else { "-" };
        let name = &self.door.config.server.name;
        // The hub hears first: a client that reads the MODE line hears
        // (or no longer hears) every WALLOPS sent after it.
        let flow = self.hub(Command::HearWallops(wallops));
        self.raw(format!(":{me}!{me}@{name} MODE {me} :{sign}w"));
        flow
    }

    /// RPL_INFO lines, then RPL_ENDOFINFO.
    fn info(&self) {
        let server = &self.door.config.server;
        let started = crate::clock::utc(server.created);
        for line in [
            format!(
                "{} ({}), a self-hosted chat server",
                server.name, server.version
            ),
            "Telnet, IRC, UDP and browser users in the same channels.".to_string(),
            format!("On line since {started}."),
        ] {
            self.reply(RPL_INFO, &format!(":{line}"));
        }
        self.reply(RPL_ENDOFINFO, ":End of INFO list");
    }

    /// IRCv3 MONITOR, on the same hot list as the text door's /watch.
    fn monitor(&mut self, m: &Message) -> Flow {
        let targets = || {
            m.param(1)
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let changes: Vec<Watch> = match m.param(0) {
            "+" => targets().into_iter().map(Watch::Add).collect(),
            "-" => targets().into_iter().map(Watch::Remove).collect(),
            "C" | "c" => vec![Watch::Clear],
            "L" | "l" => vec![Watch::List],
            "S" | "s" => vec![Watch::Statuses],
            _ => return self.need_more("MONITOR"),
        };
        for change in changes {
            if let Flow::Stop(reason) = self.hub(Command::Watch(change)) {
                return Flow::Stop(reason);
            }
        }
        Flow::Continue
    }

    fn me(&self) -> &str {
        self.conn.session.nick().unwrap_or("*")
    }

    fn registered(&self) -> bool {
        self.conn.session.logged_in()
    }

    /// Runs `input` through the session, in IRC's words.
    fn session(&mut self, input: Input) -> Flow {
        let words = Words {
            server: &self.door.config.server,
            nickserv: false,
        };
        self.conn.step(input, &words)
    }

    fn need_more(&self, command: &str) -> Flow {
        self.reply(
            ERR_NEEDMOREPARAMS,
            &format!("{command} :Not enough parameters"),
        );
        Flow::Continue
    }

    /// `:server CODE me rest`, in order with the hub's lines.
    fn reply(&self, code: &str, rest: &str) {
        let name = &self.door.config.server.name;
        self.raw(format!(":{name} {code} {} {rest}", self.me()));
    }

    /// Queues a line of our own, behind the hub's answers to earlier commands.
    fn raw(&self, line: String) {
        self.conn.say(Said::Line(line));
    }

    fn hub(&mut self, command: Command) -> Flow {
        self.conn.to_hub(command)
    }

    fn say(&self, event: Event) -> Flow {
        self.conn.say(Said::Event(event));
        Flow::Continue
    }
}

/// IRC's words for what the session says: numerics from the server, and
/// NOTICEs from NickServ for what was asked of NickServ.
struct Words<'a> {
    server: &'a ServerInfo,
    /// The input came from `PRIVMSG NickServ`: NickServ answers.
    nickserv: bool,
}

impl Words<'_> {
    /// `:server CODE me rest`.
    fn numeric(&self, me: &str, code: &str, rest: &str) -> Said {
        Said::Line(format!(":{} {code} {me} {rest}", self.server.name))
    }

    fn nickserv(&self, me: &str, text: &str) -> Said {
        let name = &self.server.name;
        Said::Line(format!(":NickServ!NickServ@{name} NOTICE {me} :{text}"))
    }

    /// RPL_LOGGEDIN for the account `nick`.
    fn logged_in(&self, me: &str, nick: &str) -> Said {
        let mask = format!("{nick}!{nick}@{}", self.server.name);
        let rest = format!("{mask} {nick} :You are now logged in as {nick}");
        self.numeric(me, RPL_LOGGEDIN, &rest)
    }

    fn sasl(&self, me: &str, reply: SaslReply, out: &mut Vec<Said>) {
        let failed = || self.numeric(me, ERR_SASLFAIL, ":SASL authentication failed");
        match reply {
            SaslReply::Continue => out.push(Said::Line("AUTHENTICATE +".into())),
            SaslReply::Challenge(data) => out.push(Said::Line(format!("AUTHENTICATE {data}"))),
            SaslReply::Mechanisms => {
                let rest = format!("{MECHANISMS} :are available SASL mechanisms");
                out.push(self.numeric(me, RPL_SASLMECHS, &rest));
                out.push(failed());
            }
            SaslReply::Aborted => {
                out.push(self.numeric(me, ERR_SASLABORTED, ":SASL authentication aborted"))
            }
            SaslReply::AlreadyAuthenticated => out.push(self.numeric(
                me,
                ERR_SASLALREADY,
                ":You have already authenticated using SASL",
            )),
            SaslReply::Succeeded { nick } => {
                out.push(self.logged_in(me, &nick));
                let rest = ":SASL authentication successful";
                out.push(self.numeric(me, RPL_SASLSUCCESS, rest));
            }
            SaslReply::Failed => out.push(failed()),
        }
    }
}

impl Wording for Words<'_> {
    fn word(&self, session: &Session, reply: Reply, out: &mut Vec<Said>) -> Flow {
        let me = session.nick().unwrap_or("*");
        let nickserv = |text: &str| self.nickserv(me, text);
        match reply {
            Reply::Event(Event::Error(why)) if self.nickserv => {
                out.push(nickserv(&why.to_string()))
            }
            Reply::Event(event) => out.push(Said::Event(event)),
            Reply::AlreadyRegistered { nick } => {
                out.push(nickserv(&format!("{nick} is already registered.")))
            }
            // A registered nickname needs its password: which way to give
            // it depends on whether registration is done.
            Reply::NickRegistered { asked, .. } if session.logged_in() => {
                let rest = format!(
                    "{asked} :Nickname is registered: /msg NickServ IDENTIFY {asked} <password>"
                );
                out.push(self.numeric(me, ERR_NICKNAMEINUSE, &rest))
            }
            Reply::NickRegistered { asked, .. } => {
                let rest = format!(
                    "{asked} :Nickname is registered: log in with SASL or PASS, or pick another"
                );
                out.push(self.numeric(me, ERR_NICKNAMEINUSE, &rest))
            }
            Reply::NoGuests { nick } if session.logged_in() => {
                let rest = format!("{nick} :This server has no guests: only registered nicknames");
                out.push(self.numeric(me, ERR_ERRONEUSNICKNAME, &rest))
            }
            Reply::NoGuests { .. } => {
                out.push(Said::Event(Event::Closing {
                    reason: "this server has no guests: log in to an account with SASL \
                             (register one over telnet)"
                        .into(),
                }));
                return Flow::Stop("no account".into());
            }
            Reply::PasswordRefused(why) => {
                let rest = format!(":Password incorrect ({why})");
                out.push(self.numeric(me, ERR_PASSWDMISMATCH, &rest))
            }
            Reply::Sasl(reply) => self.sasl(me, reply, out),
            Reply::Identified { nick } => {
                out.push(self.logged_in(me, &nick));
                out.push(nickserv(&format!("You are now identified for {nick}.")));
            }
            Reply::NoSuchAccount { nick } => {
                out.push(nickserv(&format!("{nick} is not registered.")))
            }
            // IRC has no login dialogue.
            Reply::Prompt(_) | Reply::EchoOn => {}
        }
        Flow::Continue
    }
}

/// What a PRIVMSG or NOTICE carries, CTCP framing read.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// Talk: a PRIVMSG, or CTCP ACTION (`/me`).
    Said { text: String, action: bool },
    /// A NOTICE, or a CTCP other than ACTION: passed on, never kept.
    Aside { text: String, kind: Aside },
}

impl Line {
    /// Reads a message's text. CTCP is `\x01COMMAND args\x01`; the closing
    /// `\x01` is optional, as clients are lax about it.
    fn read(text: &str, notice: bool) -> Line {
        let Some(ctcp) = text.strip_prefix('\u{1}') else {
            let text = chat_text(text);
            return match notice {
                true => Line::Aside {
                    text,
                    kind: Aside::Notice,
                },
                false => Line::Said {
                    text,
                    action: false,
                },
            };
        };
        let ctcp = ctcp.strip_suffix('\u{1}').unwrap_or(ctcp);
        match ctcp.strip_prefix("ACTION ") {
            Some(action) if !notice => Line::Said {
                text: chat_text(action),
                action: true,
            },
            // Anything else is for the other client to read as it came
            // (less control characters): a DCC offer, a PING's timestamp.
            _ => Line::Aside {
                text: sanitize::clean(ctcp),
                kind: match notice {
                    true => Aside::CtcpReply,
                    false => Aside::Ctcp,
                },
            },
        }
    }
}

/// A user name as masks can show it (`nick!ident@host`): printable ASCII
/// without the characters masks and lists give a meaning to, at most `max`
/// characters (Modern IRC lets a server cut it to its USERLEN).
fn ident(asked: &str, max: usize) -> String {
    asked
        .chars()
        .filter(|c| c.is_ascii_graphic() && !matches!(c, '!' | '@' | '*' | '?' | ',' | ':'))
        .take(max)
        .collect()
}

/// Text another person will read (a message, topic, reason, away or quit
/// message): without mIRC formatting, control characters or hidden ones.
fn chat_text(text: &str) -> String {
    sanitize::clean(&strip_formatting(text))
}

/// Removes mIRC formatting (bold, colours, italics, …): IRC clients send it,
/// telnet users would see stray digits.
pub fn strip_formatting(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{3}' => {
                // ^C[fg[,bg]] with one or two digits each.
                for _ in 0..2 {
                    chars.next_if(char::is_ascii_digit);
                }
                if chars.peek() == Some(&',') {
                    let mut ahead = chars.clone();
                    ahead.next();
                    if ahead.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                        for _ in 0..2 {
                            chars.next_if(char::is_ascii_digit);
                        }
                    }
                }
            }
            '\u{4}' => {
                for _ in 0..6 {
                    chars.next_if(char::is_ascii_hexdigit);
                }
            }
            '\u{2}' | '\u{f}' | '\u{11}' | '\u{16}' | '\u{1d}' | '\u{1e}' | '\u{1f}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::strip_formatting;

    #[test]
    fn formatting_codes_are_stripped() {
        assert_eq!(
            strip_formatting("\u{2}bold\u{2} \u{3}04red\u{3} \u{3}4,12x"),
            "bold red x"
        );
        assert_eq!(strip_formatting("\u{3}1,a"), ",a");
        assert_eq!(strip_formatting("\u{4}ff0000hex\u{f}"), "hex");
        assert_eq!(strip_formatting("plain 5,3 text"), "plain 5,3 text");
    }
}
