//! An IRC user for the tests: [`Irc`] is a harness connection (the same
//! transcript, the same failure report as a telnet [`Client`]) to the IRC
//! door, that speaks and reads IRC. The lines it reads are parsed as
//! [`Line`]s by the library's own message grammar.

use std::time::Duration;

use chatd::door::irc::message::Message;
use chatd::door::irc::tags::Tag;

use super::{Client, Mark, TestServer, LINE_TIMEOUT};

/// The shipped `[irc] server_name`: every reply comes from it, and it is
/// the host part of every `nick!user@host`.
pub const SERVER: &str = "chatd";

/// `nick!nick@chatd`, as chatd spells a user's prefix.
pub fn mask(nick: &str) -> String {
    format!("{nick}!{nick}@{SERVER}")
}

/// One line from the server, parsed: `[:prefix] COMMAND params… [:trailing]`
/// (the trailing parameter is the last of `params`).
#[derive(Clone, Debug)]
pub struct Line {
    pub raw: String,
    /// The IRCv3 tags in front, unescaped.
    pub tags: Vec<Tag>,
    pub prefix: String,
    pub command: String,
    pub params: Vec<String>,
}

impl Line {
    /// Parses `raw`; a line that is no IRC message (empty, or too long)
    /// has no command and no parameters.
    pub fn parse(raw: &str) -> Line {
        let untagged = match raw.strip_prefix('@') {
            Some(tagged) => tagged.split_once(' ').map_or("", |(_, rest)| rest),
            None => raw,
        };
        let prefix = untagged
            .strip_prefix(':')
            .map(|rest| rest.split_once(' ').map_or(rest, |(prefix, _)| prefix))
            .unwrap_or("");
        let Message {
            tags,
            command,
            params,
        } = Message::parse(raw).unwrap_or(Message {
            tags: Vec::new(),
            command: String::new(),
            params: Vec::new(),
        });
        Line {
            raw: raw.to_string(),
            tags,
            prefix: prefix.to_string(),
            command,
            params,
        }
    }

    /// Parameter `i`, or `""`.
    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map(String::as_str).unwrap_or("")
    }

    /// The value of tag `key`, if the line has it.
    pub fn tag(&self, key: &str) -> Option<&str> {
        let tag = self.tags.iter().find(|t| t.key == key)?;
        Some(tag.value.as_str())
    }

    /// The line without its tags, as a client without capabilities reads it.
    pub fn untagged(&self) -> &str {
        match self.raw.strip_prefix('@') {
            Some(tagged) => tagged.split_once(' ').map_or("", |(_, rest)| rest),
            None => &self.raw,
        }
    }

    /// The last parameter (the trailing one, if there is one).
    pub fn last(&self) -> &str {
        self.params.last().map(String::as_str).unwrap_or("")
    }

    /// Whether this is the reply `code` from the server whose parameters
    /// start with `params` (the first is the target, the user's nickname).
    pub fn is_reply(&self, code: &str, params: &[&str]) -> bool {
        self.prefix == SERVER
            && self.command == code
            && params.iter().enumerate().all(|(i, p)| self.param(i) == *p)
    }
}

/// An IRC user over a real socket. Every `expect…` reads forward, passing
/// over (and keeping for the transcript) the lines before the one it wants;
/// a failing test reports it with the telnet users and the server's log.
pub struct Irc {
    client: Client,
    /// The nickname it registered (until then, the name it connected as).
    nick: String,
    syncs: u32,
}

impl Irc {
    /// Connects to the IRC door; `name` is for the transcript.
    #[track_caller]
    pub fn connect(server: &TestServer, name: &str) -> Irc {
        let client = Client::connect_to(server, server.irc_addr(), Some(format!("IRC {name}")));
        Irc {
            client,
            nick: name.to_string(),
            syncs: 0,
        }
    }

    /// Connects, registers as `nick` and waits for the lobby's NAMES.
    #[track_caller]
    pub fn logged_in(server: &TestServer, nick: &str) -> Irc {
        let mut irc = Irc::connect(server, nick);
        irc.register(nick);
        irc.expect_line(&format!(":{SERVER} 366 {nick} #Lobby :End of /NAMES list."));
        irc
    }

    /// NICK and USER, then the [`Irc::welcome`].
    #[track_caller]
    pub fn register(&mut self, nick: &str) {
        self.send(&format!("NICK {nick}"));
        self.send(&format!("USER {nick} 0 * :{nick} the tester"));
        self.welcome(nick);
    }

    /// Waits for 001 to `nick`, then for the end of the MOTD (376).
    #[track_caller]
    pub fn welcome(&mut self, nick: &str) {
        self.expect_numeric("001", &[nick]);
        self.expect_numeric("376", &[nick]);
        self.nick = nick.to_string();
    }

    /// The socket itself, for writing bytes the helpers would not.
    pub fn stream(&self) -> &std::net::TcpStream {
        self.client.stream()
    }

    /// Sends `line` and CR LF.
    #[track_caller]
    pub fn send(&mut self, line: &str) {
        self.client.send(line);
    }

    /// Waits for the next line that is exactly `raw`.
    #[track_caller]
    pub fn expect_line(&mut self, raw: &str) -> Line {
        Line::parse(&self.client.expect_line(raw))
    }

    /// Waits for the next line that `wanted` accepts.
    #[track_caller]
    pub fn expect_where(&mut self, what: &str, wanted: impl Fn(&Line) -> bool) -> Line {
        self.expect_within(LINE_TIMEOUT, what, wanted)
    }

    /// [`Irc::expect_where`] with a deadline of its own.
    #[track_caller]
    pub fn expect_within(
        &mut self,
        timeout: Duration,
        what: &str,
        wanted: impl Fn(&Line) -> bool,
    ) -> Line {
        Line::parse(
            &self
                .client
                .expect_within(timeout, what, |raw| wanted(&Line::parse(raw))),
        )
    }

    /// Waits for the next reply `code` from the server whose parameters
    /// start with `params` (see [`Line::is_reply`]).
    #[track_caller]
    pub fn expect_numeric(&mut self, code: &str, params: &[&str]) -> Line {
        let what = format!("a {code} starting {params:?}");
        self.expect_where(&what, |l| l.is_reply(code, params))
    }

    /// Waits for the reply `code` to this user whose text after the
    /// nickname starts with `rest`, e.g.
    /// `numeric("482", "#x :You're not channel operator")`.
    #[track_caller]
    pub fn numeric(&mut self, code: &str, rest: &str) -> Line {
        let start = format!(":{SERVER} {code} {} {rest}", self.nick);
        self.expect_where(&format!("a line starting {start:?}"), |l| {
            l.raw.starts_with(&start)
        })
    }

    /// Expects the very next line to be exactly `raw`.
    #[track_caller]
    pub fn expect_next(&mut self, raw: &str) -> Line {
        Line::parse(&self.client.expect_next(raw))
    }

    /// Expects the very next line to be one that `wanted` accepts.
    #[track_caller]
    pub fn expect_next_where(&mut self, what: &str, wanted: impl Fn(&Line) -> bool) -> Line {
        Line::parse(
            &self
                .client
                .expect_next_where(what, |raw| wanted(&Line::parse(raw))),
        )
    }

    /// Expects the very next line to be reply `code` with `params` first.
    #[track_caller]
    pub fn expect_next_numeric(&mut self, code: &str, params: &[&str]) -> Line {
        let what = format!("the next line to be a {code} starting {params:?}");
        self.expect_next_where(&what, |l| l.is_reply(code, params))
    }

    /// Waits for the server to close the connection.
    #[track_caller]
    pub fn expect_closed(&mut self) {
        self.client.expect_closed();
    }

    /// [`Irc::expect_closed`] with a deadline of its own.
    #[track_caller]
    pub fn expect_closed_within(&mut self, timeout: Duration) {
        self.client.expect_closed_within(timeout);
    }

    /// Where the test has read up to, for [`Irc::lines_read_since`].
    pub fn mark(&self) -> Mark {
        self.client.mark()
    }

    /// The lines after `mark` that the test has read.
    pub fn lines_read_since(&self, mark: Mark) -> Vec<Line> {
        let lines = self.client.lines_read_since(mark);
        lines.iter().map(|l| Line::parse(l)).collect()
    }

    /// Proves that everything queued for this connection before now has
    /// arrived: the door answers a PING behind the hub's earlier lines.
    /// Returns the lines that came before the PONG.
    #[track_caller]
    pub fn sync(&mut self) -> Vec<Line> {
        self.syncs += 1;
        let token = format!("sync-{}", self.syncs);
        let from = self.mark();
        self.send(&format!("PING :{token}"));
        // Tagged or not (server-time may tag it).
        let pong = format!(":{SERVER} PONG {SERVER} :{token}");
        self.expect_where(&format!("the line {pong:?}"), |l| l.untagged() == pong);
        let mut lines = self.lines_read_since(from);
        lines.pop();
        lines
    }

    /// Asserts that no line containing `text` has come or is on its way
    /// (see [`Irc::sync`]), read by the test already or not.
    #[track_caller]
    pub fn expect_no(&mut self, text: &str) {
        if let Some(line) = self.sync().iter().find(|l| l.raw.contains(text)) {
            self.fail(&format!(
                "expected no line containing {text:?}, got {:?}",
                line.raw
            ));
        }
        self.client.note(format!("no line containing {text:?}"));
    }

    /// Sends `command` and collects the lines up to the server's reply
    /// `end`: the replies to a query, the end included.
    #[track_caller]
    pub fn query(&mut self, command: &str, end: &str) -> Vec<Line> {
        let from = self.mark();
        self.send(command);
        self.expect_where(&format!("the reply {end} to {command:?}"), |l| {
            l.prefix == SERVER && l.command == end
        });
        self.lines_read_since(from)
    }

    /// The channels LIST shows this user, as their RPL_LIST (322) lines.
    #[track_caller]
    pub fn list(&mut self) -> Vec<Line> {
        let nick = self.nick.clone();
        let mut lines = self.query("LIST", "323");
        lines.retain(|l| l.is_reply("322", &[&nick]));
        lines
    }

    /// Panics with `why`, this user's transcript first, then every other
    /// user's and the server's log.
    #[track_caller]
    pub fn fail(&self, why: &str) -> ! {
        self.client.fail(why)
    }
}
