//! The browser door: a person with nothing but a web browser. One listener
//! serves the page ([`page`]), `/health`, and one WebSocket endpoint that
//! carries JSON ([`protocol`] in, [`render`] out; docs/web-protocol.md).
//! Like every TCP door, a connection is one thread: it reads HTTP requests
//! ([`http`]) until one is a WebSocket handshake, then becomes that
//! session's reader ([`frames`] decodes) on the same engine as the text
//! and IRC doors, with the same line, flood and byte budgets.

pub mod frames;
pub mod http;
pub mod page;
pub mod protocol;
pub mod render;

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use log::{info, warn};

use self::frames::{WsDecoder, WsInput};
use self::http::{AddressRange, Head, Request, Response, Route};
use self::protocol::Asked;
use super::flood::FloodRule;
use super::lines::{read_lines, Flow, LineConnection};
use super::session::driver::{Connection, Wording};
use super::session::{self, Expect, Input, Prompt, Reply, Session};
use super::{Admission, ConnectionLimits};
use crate::engine::{Engine, Said};
use crate::hub::{ChatError, Command, Event};
use crate::runtime::accounts::Accounts;
use crate::runtime::HubHandle;

/// The browser door's settings.
#[derive(Clone, Debug)]
pub struct WebDoorConfig {
    /// The longest line said, as on the other doors.
    pub max_line: usize,
    /// Silence after which a session is logged out.
    pub idle_timeout: Duration,
    pub nick_length: usize,
    pub flood: FloodRule,
    /// Origins besides the page's own whose pages may open the WebSocket.
    pub allowed_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<AddressRange>,
}

/// What a connection needs from the rest of the server.
#[derive(Clone)]
pub struct WebDoor {
    pub hub: HubHandle,
    pub accounts: Arc<Accounts>,
    pub config: WebDoorConfig,
    pub engine: Engine,
    pub limits: Arc<ConnectionLimits>,
}

/// How long a connection may take over a request head, and stay open
/// between requests: a browser that keeps a connection for the next file
/// asks within a moment; a client that dribbles bytes is cut off.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests on one connection before it is closed (the browser opens
/// another): one connection can't hold its thread for ever with requests.
const MAX_REQUESTS: usize = 100;
/// A JSON request may be this much longer than the text it carries.
const JSON_ROOM: usize = 512;

/// The answer a refused connection gets before it is closed.
pub fn refusal(why: &str) -> String {
    String::from_utf8_lossy(&Response::text(503, &format!("{why}\n")).to_bytes()).into_owned()
}

impl WebDoor {
    /// Serves one connection until it closes, on its own thread: HTTP
    /// requests, then (after a handshake) the WebSocket's reader.
    pub fn serve(&self, stream: TcpStream, peer: SocketAddr, admission: Admission) {
        let _ = stream.set_nodelay(true);
        let _ = stream.set_read_timeout(Some(HTTP_TIMEOUT));
        let mut buffer = Vec::new();
        for _ in 0..MAX_REQUESTS {
            let (request, taken) = match read_head(&stream, &mut buffer) {
                Ok(head) => head,
                Err(Some(response)) => {
                    warn!("web door: bad request from {peer}");
                    let _ = (&stream).write_all(&response);
                    return;
                }
                Err(None) => return,
            };
            buffer.drain(..taken);
            if Route::of(&request.path) == Some(Route::Socket) && request.is_upgrade() {
                return self.upgrade(stream, peer, admission, &request, buffer);
            }
            let response = answer(&request);
            if (&stream).write_all(&response).is_err() || !request.keep_alive() {
                return;
            }
        }
    }

    /// Completes a WebSocket handshake, or refuses it, and serves the
    /// session that follows.
    fn upgrade(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
        admission: Admission,
        request: &Request,
        already: Vec<u8>,
    ) {
        let refuse = |status: u16, why: &str| {
            warn!("web door: refused {peer}: {why}");
            let _ = (&stream).write_all(&Response::text(status, &format!("{why}\n")).to_bytes());
        };
        let key = match http::check_handshake(request, &self.config.allowed_origins) {
            Ok(key) => key,
            Err(refusal) => return refuse(refusal.status(), &refusal.to_string()),
        };
        let client = http::client_address(peer.ip(), request, &self.config.trusted_proxies);
        // Behind a proxy the person's own address counts, not the proxy's.
        let admission = match self.readmit(admission, client) {
            Ok(admission) => admission,
            Err(why) => return refuse(503, &why),
        };
        if (&stream)
            .write_all(&http::switching_protocols(key))
            .is_err()
        {
            return;
        }
        let _ = stream.set_read_timeout(None);
        let peer = SocketAddr::new(client, peer.port());
        let setup = super::DoorSetup {
            name: "web",
            idle_timeout: self.config.idle_timeout,
            hub: &self.hub,
            engine: &self.engine,
        };
        let max_message = self.config.max_line + JSON_ROOM;
        super::serve_connection(setup, stream, peer, render::Renderer, |attached| {
            let rules = session::Rules::new(self.accounts.rules, self.config.nick_length);
            let accounts = Arc::clone(&self.accounts);
            let conn = Connection::new(
                Session::new(rules),
                &attached,
                client,
                accounts,
                self.hub.clone(),
            );
            let mut reader = Reader {
                door: self,
                conn,
                words: Words::default(),
            };
            let decoder = WsDecoder::new(max_message, already);
            read_lines(
                &attached.stream,
                decoder,
                self.config.flood,
                peer,
                &mut reader,
            )
        });
        drop(admission);
    }

    fn readmit(&self, admission: Admission, client: IpAddr) -> Result<Admission, String> {
        if client == admission.ip() {
            return Ok(admission);
        }
        info!("web door: {} forwards for {client}", admission.ip());
        let forwarded = self.limits.admit(client);
        drop(admission);
        forwarded
    }
}

/// Reads one request head into `buffer` (which may hold bytes already).
/// `Err(Some(bytes))`: answer with these and close; `Err(None)`: the
/// connection ended or went quiet between requests.
fn read_head(
    stream: &TcpStream,
    buffer: &mut Vec<u8>,
) -> Result<(Request, usize), Option<Vec<u8>>> {
    let mut chunk = [0u8; 2048];
    loop {
        match http::parse_head(buffer) {
            Head::Complete(request, taken) => return Ok((request, taken)),
            Head::Malformed(why) => {
                let body = format!("malformed HTTP request: {why}\n");
                return Err(Some(Response::text(400, &body).to_bytes()));
            }
            Head::Partial if buffer.len() >= http::MAX_HEAD => {
                let body = format!("request head over {} bytes\n", http::MAX_HEAD);
                return Err(Some(Response::text(431, &body).to_bytes()));
            }
            Head::Partial => {}
        }
        let n = match (&*stream).read(&mut chunk) {
            Ok(0) => return Err(None),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(None),
        };
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// The answer to a request that is not a WebSocket handshake.
fn answer(request: &Request) -> Vec<u8> {
    let head_only = request.method == "HEAD";
    if request.method != "GET" && !head_only {
        return Response::text(405, "only GET and HEAD are served here\n").to_bytes();
    }
    let file = match Route::of(&request.path) {
        None => return Response::text(404, "no such page; the chat is at /\n").to_bytes(),
        Some(Route::Socket) => {
            return Response::text(426, "this is the WebSocket endpoint; open / instead\n")
                .to_bytes()
        }
        Some(Route::Health) => {
            let mut response = Response::text(200, "ok\n");
            response.keep_alive = request.keep_alive();
            response.head_only = head_only;
            return response.to_bytes();
        }
        Some(Route::Page) => page::PAGE,
        Some(Route::Script) => page::SCRIPT,
        Some(Route::Style) => page::STYLE,
    };
    let etag = file.etag();
    let unchanged = request.header("if-none-match") == Some(etag.as_str());
    Response {
        status: if unchanged { 304 } else { 200 },
        content_type: file.content_type,
        body: file.body.as_bytes(),
        cache: http::Cache::Revalidate,
        etag: Some(&etag),
        keep_alive: request.keep_alive(),
        head_only,
    }
    .to_bytes()
}

/// The browser door's words for what the session says. The page has no
/// prompts: the session's prompts are kept for the reader, which answers
/// them from the request itself (a login carries its password).
#[derive(Default)]
struct Words {
    prompt: Cell<Option<Prompt>>,
}

impl Wording for Words {
    fn word(&self, _session: &Session, reply: Reply, out: &mut Vec<Said>) -> Flow {
        let error = match reply {
            Reply::Event(event) => {
                out.push(Said::Event(event));
                return Flow::Continue;
            }
            Reply::Prompt(prompt) => {
                self.prompt.set(Some(prompt));
                return Flow::Continue;
            }
            Reply::NickRegistered { owner, .. } => ChatError::NickRegistered(owner),
            Reply::NoGuests { .. } => ChatError::GuestsNotAllowed,
            Reply::AlreadyRegistered { .. } => ChatError::AlreadyRegistered,
            Reply::PasswordRefused(why) => why,
            // No SASL or NickServ on the page.
            Reply::EchoOn
            | Reply::Sasl(_)
            | Reply::Identified { .. }
            | Reply::NoSuchAccount { .. } => return Flow::Continue,
        };
        out.push(Said::Event(Event::Error(error)));
        Flow::Continue
    }
}

/// The reading half of one browser session, on the session core every
/// door shares (`door::session`): the page's login and register requests
/// are fed to it as the text door feeds typed lines.
struct Reader<'a> {
    door: &'a WebDoor,
    conn: Connection,
    words: Words,
}

impl LineConnection<WsInput> for Reader<'_> {
    fn input(&mut self, input: WsInput) -> Flow {
        match input {
            WsInput::Text(json) => self.request(&json),
            WsInput::Send(bytes) => {
                // The protocol's own answer (pong, close): in order with
                // the door's other replies.
                self.conn.say(Said::Bytes(bytes));
                Flow::Continue
            }
            // A browser answers pings by itself: not a sign the person is there.
            WsInput::Alive => Flow::Continue,
            WsInput::Closed => Flow::Stop("connection closed".into()),
            WsInput::Binary => self.stop(frames::BINARY_REFUSED),
            WsInput::TooBig => self.stop(frames::TOO_BIG),
            WsInput::Broken(why) => self.stop(&format!("{} ({why})", frames::BROKEN)),
        }
    }

    fn closing(&mut self, reason: &str) {
        self.say(Event::Closing {
            reason: reason.to_string(),
        });
    }

    fn went_deep(&mut self) -> bool {
        self.conn.session.take_logged_in_now()
    }
}

impl Reader<'_> {
    /// Says why the connection ends, closes it, and stops reading.
    fn stop(&mut self, reason: &str) -> Flow {
        warn!("web door: closing a session: {reason}");
        self.closing(reason);
        Flow::Stop(reason.to_string())
    }

    fn request(&mut self, json: &str) -> Flow {
        let logged_in = self.conn.session.expects() == Expect::Chat;
        match protocol::interpret(json, self.door.config.max_line) {
            Asked::Login { .. } | Asked::Register { .. } if logged_in => {
                self.say(Event::Error(ChatError::AlreadyLoggedIn))
            }
            Asked::Login { nick, password } => self.log_in(nick, password),
            Asked::Register { nick, password } => self.register(nick, password),
            Asked::Account(_) if !logged_in => self.say(Event::Error(ChatError::NotLoggedIn)),
            Asked::Account(command) => match command.into_input(self.conn.session.nick()) {
                Ok(input) => self.step(input),
                Err(refused) => self.say(Event::Error(refused)),
            },
            Asked::Hub(command) => self.conn.to_hub(command),
            Asked::Help => {
                let mut frame = Vec::new();
                render::help(&mut frame);
                self.answer(Said::Bytes(frame))
            }
            Asked::HelpOn(command, what) => self.answer(Said::Event(Event::Notice(
                crate::door::text::parse::help_line(command, what),
            ))),
            Asked::Error(error) => self.answer(Said::Event(Event::Error(error))),
            Asked::Nothing if logged_in => self.conn.to_hub(Command::Ping),
            Asked::Nothing => Flow::Continue,
        }
    }

    /// A login: the nickname, then — when the session asks for the
    /// registered nickname's password — the password that came with it.
    fn log_in(&mut self, nick: String, password: Option<String>) -> Flow {
        if let Flow::Stop(reason) = self.step(Input::Nick(nick.clone())) {
            return Flow::Stop(reason);
        }
        let flow = match (self.words.prompt.take(), password) {
            (Some(Prompt::Password { .. }), Some(password)) => self.step(Input::Password(password)),
            (Some(Prompt::Password { nick }), None) => {
                self.say(Event::Error(ChatError::PasswordRequired(nick)))
            }
            // No guests here: registering is the page's other button.
            (Some(Prompt::NewPassword { .. }), _) => {
                self.say(Event::Error(ChatError::GuestsNotAllowed))
            }
            (_, Some(_)) if self.conn.session.account().is_none() && self.logged_in() => {
                self.say(Event::Notice(format!(
                    "{nick} is not registered, so you are a guest; /register <password> keeps \
                     the nickname for you"
                )))
            }
            _ => Flow::Continue,
        };
        self.settle();
        flow
    }

    /// Registers a nickname from the login form: as the telnet prompt does
    /// where guests are off; elsewhere as a guest's `/register` right after
    /// logging in.
    fn register(&mut self, nick: String, password: String) -> Flow {
        if let Flow::Stop(reason) = self.step(Input::Nick(nick.clone())) {
            return Flow::Stop(reason);
        }
        let flow = match self.words.prompt.take() {
            Some(Prompt::NewPassword { .. }) => {
                match self.step(Input::Password(password.clone())) {
                    Flow::Continue if self.words.prompt.take() == Some(Prompt::RepeatPassword) => {
                        self.step(Input::Password(password))
                    }
                    flow => flow,
                }
            }
            Some(Prompt::Password { nick }) => {
                self.say(Event::Error(ChatError::NickRegistered(nick)))
            }
            _ if self.logged_in() => self.step(Input::Register { password }),
            _ => Flow::Continue,
        };
        self.settle();
        flow
    }

    fn logged_in(&self) -> bool {
        self.conn.session.expects() == Expect::Chat
    }

    /// A login request is answered whole: a session left waiting for a
    /// password, or dropping typed-ahead lines (which a page never sends),
    /// starts again at the nickname.
    fn settle(&mut self) {
        if self.conn.session.discarding() {
            let _ = self.step(Input::Quiet);
        }
        if self.conn.session.expects() == Expect::Password {
            self.conn.session = Session::new(self.conn.session.rules());
        }
        self.words.prompt.take();
    }

    fn step(&mut self, input: Input) -> Flow {
        self.conn.step(input, &self.words)
    }

    /// The door's own answer to a request the hub never sees.
    fn answer(&mut self, said: Said) -> Flow {
        match self.logged_in() {
            true => self.conn.answer(said),
            false => {
                self.conn.say(said);
                Flow::Continue
            }
        }
    }

    fn say(&self, event: Event) -> Flow {
        self.conn.say(Said::Event(event));
        Flow::Continue
    }
}
