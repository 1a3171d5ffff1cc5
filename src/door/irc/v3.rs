//! IRC commands the reader answers beyond RFC 2812's: `TAGMSG` (IRCv3
//! message-tags: client-only tags with no text, passed on to those who
//! read tags), `CHATHISTORY` (IRCv3 draft/chathistory, parsed in
//! [`chathistory`](super::chathistory)) and `HELP`/`HELPOP` (the command
//! list, as Modern IRC's help numerics give it).

use super::cap::Cap;
use super::chathistory;
use super::message::Message;
use super::numeric::*;
use super::tags;
use super::Reader;
use crate::door::lines::Flow;
use crate::hub::{Aside, Command, HistoryRequest, Target};

/// Every command the IRC door answers once registered, with what it does:
/// what HELP lists and HELP <command> tells.
const COMMANDS: &[(&str, &str)] = &[
    (
        "AWAY",
        "AWAY [:message] - mark yourself away, or back without one",
    ),
    (
        "CAP",
        "CAP LS [302] | REQ :caps | LIST | END - negotiate IRCv3 capabilities",
    ),
    (
        "CHATHISTORY",
        "CHATHISTORY LATEST|BEFORE|AFTER|AROUND #channel msgid=id|timestamp=time|* limit, \
         BETWEEN #channel ref ref limit, TARGETS timestamp=a timestamp=b limit - kept lines",
    ),
    ("HELP", "HELP [command] - this list, or one command"),
    (
        "INVITE",
        "INVITE nick #channel - invite someone to a channel",
    ),
    ("ISON", "ISON nick... - which of these are on line"),
    (
        "JOIN",
        "JOIN #channel[,#channel] [key] - join (or make) channels",
    ),
    (
        "KICK",
        "KICK #channel nick [:reason] - remove someone from a channel",
    ),
    (
        "KILL",
        "KILL nick [:reason] - disconnect someone (operators)",
    ),
    ("LIST", "LIST - the channels and their descriptions"),
    ("LUSERS", "LUSERS - how many are on line"),
    (
        "MODE",
        "MODE #channel [changes] | MODE nick - channel and user modes",
    ),
    (
        "MONITOR",
        "MONITOR + nick,... | - nick,... | C | L | S - hear when people come and go",
    ),
    ("MOTD", "MOTD - the message of the day"),
    ("NAMES", "NAMES #channel - who is in a channel"),
    ("NICK", "NICK nick - change your nickname"),
    ("NOTICE", "NOTICE target :text - a notice, never answered"),
    ("OPER", "OPER name password - become an operator"),
    (
        "PART",
        "PART #channel[,#channel] [:reason] - leave channels",
    ),
    ("PING", "PING token - the server answers PONG"),
    (
        "PRIVMSG",
        "PRIVMSG target :text - talk to a channel or a person (NickServ, MemoServ too)",
    ),
    ("QUIT", "QUIT [:message] - leave the server"),
    (
        "SILENCE",
        "SILENCE [+nick | -nick] - ignore someone, or list whom you ignore",
    ),
    (
        "TAGMSG",
        "TAGMSG target - client-only tags and no text (with message-tags)",
    ),
    (
        "TOPIC",
        "TOPIC #channel [:topic] - show or set a channel's topic",
    ),
    ("USERHOST", "USERHOST nick... - the masks of people on line"),
    ("VERSION", "VERSION - the server's version and ISUPPORT"),
    ("WALLOPS", "WALLOPS :text - tell every operator (operators)"),
    ("WHO", "WHO mask - people matching a mask or in a channel"),
    ("WHOIS", "WHOIS nick - about someone on line"),
    ("WHOWAS", "WHOWAS nick - about someone who was on line"),
];

impl Reader<'_> {
    /// `CHATHISTORY subcommand …`: a request the hub answers (or refuses)
    /// once the store has looked, or a FAIL for what does not parse.
    /// Answered with or without the capability: the spec asks servers not
    /// to insist on it.
    pub(super) fn chathistory(&mut self, m: &Message) -> Flow {
        let server = self.door.config.server.name.clone();
        match chathistory::parse(&m.params) {
            // chatd keeps no private lines: only channels have history.
            Ok(request @ HistoryRequest::Lines { .. }) if !m.param(1).starts_with('#') => {
                let context = [
                    chathistory::subcommand(&request).to_string(),
                    m.param(1).to_string(),
                ];
                let description = "Only channels have history here";
                self.raw(chathistory::fail_line(
                    &server,
                    "INVALID_TARGET",
                    &context,
                    description,
                ));
                Flow::Continue
            }
            Ok(request) => self.hub(Command::History(request)),
            Err(refusal) => {
                let line = chathistory::fail_line(
                    &server,
                    refusal.code,
                    &refusal.context,
                    refusal.description,
                );
                self.raw(line);
                Flow::Continue
            }
        }
    }

    /// `TAGMSG target`: only the client-only tags travel; with none there is
    /// nothing to pass on. Only a client that negotiated message-tags may
    /// send it (the spec's condition for it to exist at all).
    pub(super) fn tagmsg(&mut self, m: &Message) -> Flow {
        if !self.caps.enabled().has(Cap::MessageTags) {
            self.reply(ERR_UNKNOWNCOMMAND, "TAGMSG :Unknown command");
            return Flow::Continue;
        }
        if m.params.is_empty() {
            self.reply(ERR_NORECIPIENT, ":No recipient given (TAGMSG)");
            return Flow::Continue;
        }
        let tags = tags::client_only(&m.tags);
        if tags.is_empty() {
            return Flow::Continue;
        }
        for target in m.param(0).split(',').filter(|t| !t.is_empty()) {
            let to = match target.starts_with('#') {
                true => Target::Channel(target.to_string()),
                false => Target::Nick(target.to_string()),
            };
            let command = Command::Aside {
                to,
                text: String::new(),
                kind: Aside::Tags,
                tags: tags.clone(),
            };
            if let Flow::Stop(reason) = self.hub(command) {
                return Flow::Stop(reason);
            }
        }
        Flow::Continue
    }

    /// `HELP [command]` (and `HELPOP`): 704, 705 lines, 706; 524 for a
    /// command the door does not know.
    pub(super) fn help(&mut self, subject: &str) -> Flow {
        let wanted = subject.to_ascii_uppercase();
        if wanted.is_empty() {
            self.reply(
                RPL_HELPSTART,
                "* :chatd's IRC commands (HELP <command> for one):",
            );
            for (_, line) in COMMANDS {
                self.reply(RPL_HELPTXT, &format!("* :{line}"));
            }
            self.reply(RPL_ENDOFHELP, "* :End of /HELP");
            return Flow::Continue;
        }
        match COMMANDS.iter().find(|(name, _)| *name == wanted) {
            Some((name, line)) => {
                self.reply(RPL_HELPSTART, &format!("{name} :{line}"));
                self.reply(RPL_ENDOFHELP, &format!("{name} :End of /HELP"));
            }
            None => self.reply(
                ERR_HELPNOTFOUND,
                &format!("{wanted} :No help available on this topic"),
            ),
        }
        Flow::Continue
    }
}
