//! IRC (RFC 1459/2812, as chatd's IRC door, ngIRCd and InspIRCd speak it):
//! `NICK`/`USER` registration, `JOIN #chan`, `PRIVMSG #chan :text`,
//! `PRIVMSG nick :text`, `QUIT`; what is delivered reads
//!
//! ```text
//! :rufus!rufus@127.0.0.1 PRIVMSG #Weather :is it true about the rain in spain?
//! :wondergirl!~wg@localhost PRIVMSG b1 :that's for you to figure out
//! ERROR :Closing link: (b1@127.0.0.1) [Excess Flood]
//! ```
//!
//! No IRC server echoes a sender's own channel lines unless the client
//! negotiates IRCv3 `echo-message`, so [`Protocol::echoes_own`] is false and
//! fan-out counts a line as delivered once every *other* member has it.
//! `--protocol irc-echo` asks for `echo-message` (chatd's door has it): the
//! server then sends each line back to its sender too, as the text and
//! browser doors always do, so the three do the same work per message.
//!
//! A server PINGs a client that has been silent for a while (ngIRCd after
//! `PingTimeout`, InspIRCd every `pingfreq`, chatd after `[irc]
//! ping_interval`) and drops it when no PONG comes: [`Protocol::answer`]
//! writes the PONG, for the idle clients of the connections scenario and the
//! receivers of fan-out.

use crate::protocol::{Conn, Line, Protocol, TIMED_OUT};

pub struct Irc {
    /// Ask for IRCv3 `echo-message` at login.
    pub echo_message: bool,
}

/// One IRC message, borrowed from its line: tags skipped, the prefix's
/// nickname, the command and up to three parameters (the last may be the
/// trailing one, with spaces).
#[derive(Debug, Default, PartialEq, Eq)]
struct Message<'a> {
    nick: &'a [u8],
    command: &'a [u8],
    params: [&'a [u8]; 3],
    count: usize,
}

impl<'a> Message<'a> {
    fn parse(mut line: &'a [u8]) -> Option<Message<'a>> {
        let mut m = Message::default();
        if line.first() == Some(&b'@') {
            let space = line.iter().position(|&b| b == b' ')?;
            line = trim_spaces(&line[space..]);
        }
        if let Some(rest) = line.strip_prefix(b":") {
            let space = rest.iter().position(|&b| b == b' ')?;
            let prefix = &rest[..space];
            let end = prefix
                .iter()
                .position(|&b| b == b'!' || b == b'@')
                .unwrap_or(prefix.len());
            m.nick = &prefix[..end];
            line = trim_spaces(&rest[space..]);
        }
        let end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
        m.command = &line[..end];
        if m.command.is_empty() {
            return None;
        }
        line = trim_spaces(&line[end..]);
        while !line.is_empty() && m.count < m.params.len() {
            if let Some(trailing) = line.strip_prefix(b":") {
                m.params[m.count] = trailing;
                m.count += 1;
                break;
            }
            let end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
            // The last slot takes the rest of the line when there is more.
            let end = if m.count == m.params.len() - 1 {
                line.len()
            } else {
                end
            };
            m.params[m.count] = &line[..end];
            m.count += 1;
            line = trim_spaces(&line[end..]);
        }
        Some(m)
    }

    fn param(&self, i: usize) -> &'a [u8] {
        if i < self.count {
            self.params[i]
        } else {
            b""
        }
    }

    /// A numeric reply (three digits), as a number.
    fn numeric(&self) -> Option<u16> {
        match self.command {
            [a, b, c] if self.command.iter().all(u8::is_ascii_digit) => {
                Some((*a - b'0') as u16 * 100 + (*b - b'0') as u16 * 10 + (*c - b'0') as u16)
            }
            _ => None,
        }
    }
}

fn trim_spaces(mut s: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    s
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Protocol for Irc {
    fn name(&self) -> &'static str {
        match self.echo_message {
            true => "irc-echo",
            false => "irc",
        }
    }

    fn login(&self, conn: &mut Conn, nick: &str) -> Result<(), String> {
        let registration = format!("NICK {nick}\r\nUSER {nick} 0 * :chatd-bench {nick}\r\n");
        match self.echo_message {
            // Registration waits for CAP END (IRCv3 capability negotiation).
            true => {
                conn.send(format!("CAP REQ :echo-message\r\n{registration}CAP END\r\n").as_bytes())?
            }
            false => conn.send(registration.as_bytes())?,
        }
        let mut pong = Vec::new();
        loop {
            let line = conn.read_line().map_err(|e| {
                if e == TIMED_OUT {
                    format!("{e} (no 001 welcome)")
                } else {
                    e
                }
            })?;
            let Some(m) = Message::parse(line) else {
                continue;
            };
            match (m.command, m.numeric()) {
                (b"PING", _) => self.answer(line, &mut pong),
                (b"ERROR", _) => return Err(text(line)),
                (b"CAP", _) if m.param(1) == b"NAK" => {
                    return Err(format!("the server refused echo-message: {}", text(line)))
                }
                (_, Some(1)) => return Ok(()),
                // ERR_NICKNAMEINUSE, ERR_ERRONEUSNICKNAME, ERR_NICKCOLLISION,
                // ERR_PASSWDMISMATCH, ERR_YOUREBANNEDCREEP…
                (_, Some(n)) if (400..600).contains(&n) => return Err(text(line)),
                _ => {}
            }
            if !pong.is_empty() {
                conn.send(&pong)?;
                pong.clear();
            }
        }
    }

    fn join(&self, conn: &mut Conn, channel: &str) -> Result<String, String> {
        let wanted = format!("#{}", channel.trim_start_matches('#'));
        conn.send(format!("JOIN {wanted}\r\n").as_bytes())?;
        // The name as the server spells it, from the echo of our own JOIN;
        // the join is complete at the end of the NAMES list (366).
        let mut name: Option<String> = None;
        let mut pong = Vec::new();
        loop {
            if !pong.is_empty() {
                conn.send(&pong)?;
                pong.clear();
            }
            let line = conn.read_line()?;
            let Some(m) = Message::parse(line) else {
                continue;
            };
            match (m.command, m.numeric()) {
                (b"PING", _) => self.answer(line, &mut pong),
                (b"ERROR", _) => return Err(text(line)),
                (b"JOIN", _) if m.param(0).eq_ignore_ascii_case(wanted.as_bytes()) => {
                    name.get_or_insert_with(|| text(m.param(0)));
                }
                (_, Some(366)) if m.param(1).eq_ignore_ascii_case(wanted.as_bytes()) => {
                    return Ok(name.unwrap_or_else(|| text(m.param(1))));
                }
                // ERR_NOSUCHCHANNEL, ERR_TOOMANYCHANNELS, ERR_CHANNELISFULL,
                // ERR_INVITEONLYCHAN, ERR_BANNEDFROMCHAN, ERR_BADCHANNELKEY…
                (_, Some(n)) if (400..600).contains(&n) => return Err(text(line)),
                _ => {}
            }
        }
    }

    fn say(&self, channel: &str, text: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(b"PRIVMSG ");
        if !channel.starts_with('#') {
            out.push(b'#');
        }
        out.extend_from_slice(channel.as_bytes());
        out.extend_from_slice(b" :");
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(b"\r\n");
    }

    fn private(&self, nick: &str, text: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(b"PRIVMSG ");
        out.extend_from_slice(nick.as_bytes());
        out.extend_from_slice(b" :");
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(b"\r\n");
    }

    fn quit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"QUIT :chatd-bench done\r\n");
    }

    fn classify<'a>(&self, line: &'a [u8]) -> Line<'a> {
        let Some(m) = Message::parse(line) else {
            return Line::Other;
        };
        match (m.command, m.numeric()) {
            (b"PRIVMSG", _) if m.count == 2 && !m.nick.is_empty() => {
                let (target, text) = (m.param(0), m.param(1));
                if matches!(target.first(), Some(b'#' | b'&' | b'+' | b'!')) {
                    Line::Public {
                        channel: target,
                        from: m.nick,
                        text,
                    }
                } else {
                    Line::Private { from: m.nick, text }
                }
            }
            (b"ERROR", _) => Line::ServerError(line),
            (_, Some(n)) if (400..600).contains(&n) => Line::ServerError(line),
            _ => Line::Other,
        }
    }

    fn echoes_own(&self) -> bool {
        self.echo_message
    }

    fn answer(&self, line: &[u8], out: &mut Vec<u8>) {
        if let Some(m) = Message::parse(line) {
            if m.command == b"PING" {
                out.extend_from_slice(b"PONG :");
                out.extend_from_slice(m.param(0));
                out.extend_from_slice(b"\r\n");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IRC: Irc = Irc {
        echo_message: false,
    };

    #[test]
    fn classifies_what_irc_servers_send() {
        let i = IRC;
        assert_eq!(
            i.classify(b":rufus!rufus@127.0.0.1 PRIVMSG #Weather :is it: true about the rain?"),
            Line::Public {
                channel: b"#Weather",
                from: b"rufus",
                text: b"is it: true about the rain?"
            }
        );
        assert_eq!(
            i.classify(b"@time=2026-01-01T00:00:00Z :wg!~wg@localhost PRIVMSG b1 :3 4"),
            Line::Private {
                from: b"wg",
                text: b"3 4"
            }
        );
        // A one-word text need not be a trailing parameter.
        assert_eq!(
            i.classify(b":rufus!r@h PRIVMSG #w hello"),
            Line::Public {
                channel: b"#w",
                from: b"rufus",
                text: b"hello"
            }
        );
        assert_eq!(
            i.classify(b"ERROR :Closing link: (b1@127.0.0.1) [Excess Flood]"),
            Line::ServerError(b"ERROR :Closing link: (b1@127.0.0.1) [Excess Flood]")
        );
        assert_eq!(
            i.classify(b":irc.test 404 b1 #Weather :Cannot send to channel"),
            Line::ServerError(b":irc.test 404 b1 #Weather :Cannot send to channel")
        );
        for other in [
            &b":irc.test 001 b1 :Welcome to the Internet Relay Network b1"[..],
            b":b2!b2@h JOIN #Weather",
            b":b2!b2@h JOIN :#Weather",
            b":irc.test 353 b1 = #Weather :b1 b2",
            b"PING :irc.test",
            b":chatd NOTICE b1 :hello",
            b":irc.test PRIVMSG",
            b"",
        ] {
            assert_eq!(i.classify(other), Line::Other, "{other:?}");
        }
    }

    #[test]
    fn writes_commands_and_answers_pings() {
        let mut out = Vec::new();
        IRC.say("Weather", "1 2 3", &mut out);
        IRC.say("#Weather", ":)", &mut out);
        IRC.private("b1", "1 2", &mut out);
        IRC.quit(&mut out);
        assert_eq!(
            out,
            b"PRIVMSG #Weather :1 2 3\r\nPRIVMSG #Weather ::)\r\nPRIVMSG b1 :1 2\r\n\
              QUIT :chatd-bench done\r\n"
        );
        out.clear();
        IRC.answer(b"PING :irc.test", &mut out);
        IRC.answer(b":irc.test PING irc.test", &mut out);
        IRC.answer(b":b2!b2@h PRIVMSG #Weather :PING", &mut out);
        assert_eq!(out, b"PONG :irc.test\r\nPONG :irc.test\r\n");
    }

    #[test]
    fn numerics_and_parameters() {
        let m = Message::parse(b":srv 366 b1 #Weather :End of /NAMES list.").unwrap();
        assert_eq!(m.numeric(), Some(366));
        assert_eq!(m.param(1), b"#Weather");
        assert_eq!(m.param(2), b"End of /NAMES list.");
        assert_eq!(Message::parse(b"PRIVMSG x").unwrap().numeric(), None);
        assert!(Message::parse(b":prefix-only").is_none());
    }
}
