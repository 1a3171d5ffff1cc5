//! The IRC door's renderer: hub events in, IRC lines out (RFC 2812 numerics,
//! IRCv3 MONITOR). Pure, with the little state a connection's writer keeps:
//! its own nickname (numerics are addressed to it), the channels it is in
//! (a JOIN of one it is in already is not echoed), and the last QUIT (the hub
//! tells each shared channel; IRC says QUIT once).

use std::collections::HashSet;
use std::io::Write;

use super::numeric::*;
use crate::clock::utc;
use crate::hub::{ChatError, Departure, Event, MaskKind, UserSummary};

/// What the renderer says about the server.
#[derive(Clone, Debug)]
pub struct ServerInfo {
    pub name: String,
    pub network: String,
    pub version: String,
    /// Unix time the server started.
    pub created: i64,
    /// Message of the day, a line each; empty means none (ERR_NOMOTD).
    pub motd: Vec<String>,
    pub nick_length: usize,
    pub channel_length: usize,
    pub max_watch: usize,
}

pub struct Renderer {
    server: ServerInfo,
    nick: Option<String>,
    joined: HashSet<String>,
    last_quit: Option<String>,
    /// Just joined: (channel, description), until its topic has been told.
    untold_topic: Option<(String, String)>,
}

/// `#Name`: chatd's channels as IRC spells them.
pub fn channel(name: &str) -> String {
    format!("#{name}")
}

/// The rest of a numeric after the target nickname, for the RPL_ISUPPORT
/// tokens (005).
pub fn isupport(server: &ServerInfo) -> String {
    format!(
        "CASEMAPPING=ascii CHANTYPES=# CHANNELLEN={} NICKLEN={} NETWORK={} PREFIX=(ov)@+ \
         CHANMODES=Ib,k,l,Cimnst INVEX=I MODES=12 MONITOR={} AWAYLEN=390 \
         :are supported by this server",
        server.channel_length + 1,
        server.nick_length,
        server.network,
        server.max_watch
    )
}

/// RPL_MOTDSTART, RPL_MOTD…, RPL_ENDOFMOTD; or ERR_NOMOTD when there is none.
pub fn motd(server: &ServerInfo, me: &str, out: &mut Vec<u8>) {
    let name = &server.name;
    if server.motd.is_empty() {
        let _ = write!(out, ":{name} 422 {me} :MOTD File is missing\r\n");
        return;
    }
    let _ = write!(out, ":{name} 375 {me} :- {name} Message of the day - \r\n");
    for line in &server.motd {
        let _ = write!(out, ":{name} 372 {me} :- {line}\r\n");
    }
    let _ = write!(out, ":{name} 376 {me} :End of /MOTD command.\r\n");
}

/// Channel lines, joins and parts read the same for every IRC client but
/// the one who said them, so the engine renders them once per line.
impl crate::engine::Render for Renderer {
    fn render(&mut self, event: &Event, out: &mut Vec<u8>) {
        Renderer::render(self, event, out)
    }

    fn shares(&mut self, event: &Event) -> bool {
        match event {
            Event::Public { from, .. } => {
                // As `render` would: this is no QUIT to fold with the next.
                self.last_quit = None;
                Some(from.as_str()) != self.nick.as_deref()
            }
            Event::MemberJoined { .. } => {
                self.last_quit = None;
                true
            }
            _ => false,
        }
    }
}

impl Renderer {
    pub fn new(server: ServerInfo) -> Renderer {
        Renderer {
            server,
            nick: None,
            joined: HashSet::new(),
            last_quit: None,
            untold_topic: None,
        }
    }

    /// The connection's nickname, `*` before it has one.
    pub fn me(&self) -> &str {
        self.nick.as_deref().unwrap_or("*")
    }

    /// `nick!nick@server`: chatd keeps no user or host names to show.
    fn mask(&self, nick: &str) -> String {
        format!("{nick}!{nick}@{}", self.server.name)
    }

    /// `:server CODE me rest`.
    fn numeric(&self, out: &mut Vec<u8>, code: &str, rest: &str) {
        let _ = write!(out, ":{} {code} {} {rest}\r\n", self.server.name, self.me());
    }

    /// `:server NOTICE me :text`.
    pub fn notice(&self, out: &mut Vec<u8>, text: &str) {
        let _ = write!(
            out,
            ":{} NOTICE {} :{text}\r\n",
            self.server.name,
            self.me()
        );
    }

    /// The welcome burst: 001–005 and the MOTD.
    fn welcome(&self, out: &mut Vec<u8>) {
        let s = &self.server;
        let me = self.me().to_string();
        self.numeric(
            out,
            RPL_WELCOME,
            &format!(":Welcome to the {} IRC network, {me}", s.network),
        );
        self.numeric(
            out,
            RPL_YOURHOST,
            &format!(":Your host is {}, running version {}", s.name, s.version),
        );
        self.numeric(
            out,
            RPL_CREATED,
            &format!(":This server was created {}", utc(s.created)),
        );
        self.numeric(
            out,
            RPL_MYINFO,
            &format!("{} {} iow CIbiklmnostv", s.name, s.version),
        );
        self.numeric(out, RPL_ISUPPORT, &isupport(s));
        self.motd(out);
    }

    pub fn motd(&self, out: &mut Vec<u8>) {
        motd(&self.server, self.me(), out);
    }

    fn who_line(&self, out: &mut Vec<u8>, context: &str, u: &UserSummary) {
        let here = if u.away.is_some() { "G" } else { "H" };
        let line = format!(
            "{context} {nick} {host} {host} {nick} {here} :0 {nick}",
            nick = u.nick,
            host = self.server.name
        );
        self.numeric(out, RPL_WHOREPLY, &line);
    }

    /// Appends the lines for `event` to `out`.
    pub fn render(&mut self, event: &Event, out: &mut Vec<u8>) {
        let quit_before = self.last_quit.take();
        match event {
            Event::LoggedIn { nick } => {
                self.nick = Some(nick.clone());
                self.welcome(out);
            }
            Event::Joined(c) => {
                let name = channel(&c.name);
                if self.joined.insert(name.to_ascii_lowercase()) {
                    let _ = write!(out, ":{} JOIN {name}\r\n", self.mask(self.me()));
                    // The topic comes next if one was set; else the description
                    // stands in for it, just before the names.
                    self.untold_topic = Some((name, c.description.clone()));
                }
            }
            Event::Topic { channel: c, topic } => {
                self.untold_topic = None;
                self.topic(out, &channel(c), topic)
            }
            Event::Names { channel: c, nicks } => {
                let name = channel(c);
                if let Some((joined, description)) = self.untold_topic.take() {
                    if joined == name {
                        self.topic(out, &name, &description);
                    }
                }
                // 353 lines stay under 512 bytes whatever the nickname length.
                let mut line = String::new();
                for nick in nicks {
                    if !line.is_empty() && line.len() + nick.len() > 380 {
                        self.numeric(out, RPL_NAMREPLY, &format!("= {name} :{line}"));
                        line.clear();
                    }
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(nick);
                }
                if !line.is_empty() {
                    self.numeric(out, RPL_NAMREPLY, &format!("= {name} :{line}"));
                }
                self.numeric(out, RPL_ENDOFNAMES, &format!("{name} :End of /NAMES list."));
            }
            Event::Parted { left, .. } => {
                let name = channel(&left.name);
                self.joined.remove(&name.to_ascii_lowercase());
                let _ = write!(out, ":{} PART {name}\r\n", self.mask(self.me()));
            }
            Event::MemberJoined { channel: c, nick } => {
                let _ = write!(out, ":{} JOIN {}\r\n", self.mask(nick), channel(c));
            }
            Event::MemberLeft {
                channel: c,
                nick,
                why,
            } => {
                let reason = match why {
                    Departure::Parted => {
                        let _ = write!(out, ":{} PART {}\r\n", self.mask(nick), channel(c));
                        return;
                    }
                    Departure::Quit(Some(message)) => format!("Quit: {message}"),
                    Departure::Quit(None) => "Quit".to_string(),
                    Departure::Lost(reason) => reason.clone(),
                };
                // One QUIT, however many channels we shared.
                if quit_before.as_deref() != Some(nick.as_str()) {
                    let _ = write!(out, ":{} QUIT :{reason}\r\n", self.mask(nick));
                }
                self.last_quit = Some(nick.clone());
            }
            Event::Public {
                channel: c,
                from,
                text,
                action,
            } => {
                // IRC clients show their own lines themselves.
                if Some(from.as_str()) != self.nick.as_deref() {
                    let text = ctcp_action(text, *action);
                    let _ = write!(
                        out,
                        ":{} PRIVMSG {} :{text}\r\n",
                        self.mask(from),
                        channel(c)
                    );
                }
            }
            Event::Private { from, text, action } => {
                let text = ctcp_action(text, *action);
                let _ = write!(
                    out,
                    ":{} PRIVMSG {} :{text}\r\n",
                    self.mask(from),
                    self.me()
                );
            }
            Event::ChannelList(channels) => {
                self.numeric(out, RPL_LISTSTART, "Channel :Users  Name");
                for c in channels {
                    let line = format!("{} {} :{}", channel(&c.name), c.users, c.description);
                    self.numeric(out, RPL_LIST, &line);
                }
                self.numeric(out, RPL_LISTEND, ":End of /LIST");
            }
            Event::WhoReply { mask, users } => {
                for u in users {
                    let context = match mask.starts_with('#') {
                        true => mask.clone(),
                        false => u.channels.first().map(|c| channel(c)).unwrap_or("*".into()),
                    };
                    self.who_line(out, &context, u);
                }
                self.numeric(out, RPL_ENDOFWHO, &format!("{mask} :End of /WHO list."));
            }
            Event::Users {
                channel: c, users, ..
            } => {
                for u in users {
                    self.who_line(out, &channel(c), u);
                }
                self.numeric(
                    out,
                    RPL_ENDOFWHO,
                    &format!("{} :End of /WHO list.", channel(c)),
                );
            }
            Event::Who(users) => {
                for u in users {
                    self.who_line(out, "*", u);
                }
                self.numeric(out, RPL_ENDOFWHO, "* :End of /WHO list.");
            }
            Event::Whois(u) => {
                let nick = &u.nick;
                let host = &self.server.name;
                self.numeric(
                    out,
                    RPL_WHOISUSER,
                    &format!("{nick} {nick} {host} * :{nick}"),
                );
                if !u.channels.is_empty() {
                    let channels: Vec<String> = u.channels.iter().map(|c| channel(c)).collect();
                    self.numeric(
                        out,
                        RPL_WHOISCHANNELS,
                        &format!("{nick} :{}", channels.join(" ")),
                    );
                }
                self.numeric(
                    out,
                    RPL_WHOISSERVER,
                    &format!("{nick} {host} :{}", self.server.network),
                );
                if let Some(message) = &u.away {
                    self.numeric(out, RPL_AWAY, &format!("{nick} :{message}"));
                }
                let idle = format!(
                    "{nick} {} {} :seconds idle, signon time",
                    u.idle.as_secs(),
                    u.since
                );
                self.numeric(out, RPL_WHOISIDLE, &idle);
                self.numeric(out, RPL_ENDOFWHOIS, &format!("{nick} :End of /WHOIS list."));
            }
            Event::WhoisOffline {
                nick,
                registered,
                last_seen,
            } => {
                let seen = match last_seen {
                    Some(at) => format!("last seen {}", utc(*at)),
                    None => "never seen".into(),
                };
                let text = format!(
                    "{nick} :No such nick (registered since {}, {seen})",
                    utc(*registered)
                );
                self.numeric(out, ERR_NOSUCHNICK, &text);
                self.numeric(out, RPL_ENDOFWHOIS, &format!("{nick} :End of /WHOIS list."));
            }
            Event::Ison(nicks) => self.numeric(out, RPL_ISON, &format!(":{}", nicks.join(" "))),
            Event::Away(Some(_)) => {
                self.numeric(out, RPL_NOWAWAY, ":You have been marked as being away")
            }
            Event::Away(None) => {
                self.numeric(out, RPL_UNAWAY, ":You are no longer marked as being away")
            }
            Event::AwayReply { nick, message } => {
                self.numeric(out, RPL_AWAY, &format!("{nick} :{message}"))
            }
            Event::NickChanged { old, new } => {
                let _ = write!(out, ":{} NICK :{new}\r\n", self.mask(old));
                if self.nick.as_deref() == Some(old.as_str()) {
                    self.nick = Some(new.clone());
                }
            }
            Event::WatchList(entries) => {
                let (online, offline): (Vec<_>, Vec<_>) = entries.iter().partition(|(_, on)| *on);
                let masks: Vec<String> = online.iter().map(|(n, _)| self.mask(n)).collect();
                if !masks.is_empty() {
                    self.numeric(out, RPL_MONONLINE, &format!(":{}", masks.join(",")));
                }
                let nicks: Vec<&str> = offline.iter().map(|(n, _)| n.as_str()).collect();
                if !nicks.is_empty() {
                    self.numeric(out, RPL_MONOFFLINE, &format!(":{}", nicks.join(",")));
                }
                let all: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
                if !all.is_empty() {
                    self.numeric(out, RPL_MONLIST, &format!(":{}", all.join(",")));
                }
                self.numeric(out, RPL_ENDOFMONLIST, ":End of MONITOR list");
            }
            // The client sends its own MONITOR list after it connects;
            // an unasked copy would be shown twice (irssi).
            Event::WatchedAtLogin(_) => {}
            Event::Watching { nick, online: true } | Event::WatchedLogin { nick } => {
                self.numeric(out, RPL_MONONLINE, &format!(":{}", self.mask(nick)))
            }
            Event::Watching {
                nick,
                online: false,
            }
            | Event::WatchedLogout { nick } => {
                self.numeric(out, RPL_MONOFFLINE, &format!(":{nick}"))
            }
            Event::Registered { nick } => {
                let _ = write!(
                    out,
                    ":NickServ!NickServ@{} NOTICE {} :Your nickname {nick} is now registered.\r\n",
                    self.server.name,
                    self.me()
                );
            }
            Event::Stats { users, channels } => {
                let users_line = format!(":There are {users} users and 0 invisible on 1 servers");
                self.numeric(out, RPL_LUSERCLIENT, &users_line);
                self.numeric(
                    out,
                    RPL_LUSERCHANNELS,
                    &format!("{channels} :channels formed"),
                );
                self.numeric(
                    out,
                    RPL_LUSERME,
                    &format!(":I have {users} clients and 0 servers"),
                );
            }
            Event::TopicWho {
                channel: c,
                set_by,
                at,
            } => self.numeric(
                out,
                RPL_TOPICWHOTIME,
                &format!("{} {set_by} {at}", channel(c)),
            ),
            Event::TopicSet {
                channel: c,
                by,
                text,
            } => {
                let _ = write!(out, ":{} TOPIC {} :{text}\r\n", self.mask(by), channel(c));
            }
            Event::Kicked {
                channel: c,
                nick,
                by,
                reason,
            } => {
                let name = channel(c);
                if Some(nick.as_str()) == self.nick.as_deref() {
                    self.joined.remove(&name.to_ascii_lowercase());
                }
                // RFC 2812 §3.2.8: the comment is optional; none is made up.
                let _ = match reason {
                    Some(reason) => {
                        write!(out, ":{} KICK {name} {nick} :{reason}\r\n", self.mask(by))
                    }
                    None => write!(out, ":{} KICK {name} {nick}\r\n", self.mask(by)),
                };
            }
            Event::ModeChanged {
                channel: c,
                by,
                modes,
                params,
            } => {
                let mut line = format!(":{} MODE {} {modes}", self.mask(by), channel(c));
                for param in params {
                    line.push(' ');
                    line.push_str(param);
                }
                let _ = write!(out, "{line}\r\n");
            }
            Event::ChannelModes {
                channel: c,
                modes,
                params,
            } => {
                let mut rest = format!("{} {modes}", channel(c));
                for param in params {
                    rest.push(' ');
                    rest.push_str(param);
                }
                self.numeric(out, RPL_CHANNELMODEIS, &rest);
            }
            Event::MaskList {
                channel: c,
                kind,
                entries,
            } => {
                let name = channel(c);
                let (item, end, text) = match kind {
                    MaskKind::Bans => (RPL_BANLIST, RPL_ENDOFBANLIST, "End of channel ban list"),
                    MaskKind::InviteExceptions => (
                        RPL_INVITELIST,
                        RPL_ENDOFINVITELIST,
                        "End of Channel Invite Exception List",
                    ),
                };
                for e in entries {
                    self.numeric(
                        out,
                        item,
                        &format!("{name} {} {} {}", e.mask, e.set_by, e.at),
                    );
                }
                self.numeric(out, end, &format!("{name} :{text}"));
            }
            Event::Invited { channel: c, by } => {
                let _ = write!(
                    out,
                    ":{} INVITE {} {}\r\n",
                    self.mask(by),
                    self.me(),
                    channel(c)
                );
            }
            Event::Inviting { nick, channel: c } => {
                self.numeric(out, RPL_INVITING, &format!("{nick} {}", channel(c)))
            }
            Event::Wallops { from, text } => {
                let _ = write!(out, ":{} WALLOPS :{text}\r\n", self.mask(from));
            }
            Event::YouAreOper => self.numeric(out, RPL_YOUREOPER, ":You are now an IRC operator"),
            Event::ChannelCreated { channel: c } => self.notice(
                out,
                &format!("{} is registered: you are its founder", channel(c)),
            ),
            Event::ChannelDropped { channel: c, by } => {
                let name = channel(c);
                self.joined.remove(&name.to_ascii_lowercase());
                self.notice(out, &format!("{name} was dropped by {by}"));
                let _ = write!(out, ":{} PART {name} :dropped\r\n", self.mask(self.me()));
            }
            Event::History { channel: c, lines } => {
                let name = channel(c);
                for line in lines {
                    // The time goes inside the CTCP: an ACTION must be the whole message.
                    let text = format!("[{}] {}", utc(line.at), line.text);
                    let text = ctcp_action(&text, line.action);
                    let _ = write!(out, ":{} PRIVMSG {name} :{text}\r\n", self.mask(&line.nick));
                }
            }
            Event::Memos(memos) if memos.is_empty() => self.memo_serv(out, "You have no memos."),
            Event::Memos(memos) => {
                for memo in memos {
                    let text = format!("From {} at {}: {}", memo.from, utc(memo.at), memo.text);
                    self.memo_serv(out, &text);
                }
            }
            Event::MemoStored { to } => self.memo_serv(
                out,
                &format!("{to} is not on line: your message was kept for their next login."),
            ),
            Event::MemosCleared => self.memo_serv(out, "Your memos were deleted."),
            Event::IgnoreList(nicks) => {
                self.notice(out, &format!("You ignore: {}", nicks.join(" ")))
            }
            Event::Ignoring { nick } => self.notice(out, &format!("Ignoring {nick}")),
            Event::Unignored { nick } => self.notice(out, &format!("No longer ignoring {nick}")),
            Event::Whowas(departed) => {
                let host = self.server.name.clone();
                for d in departed {
                    let nick = &d.nick;
                    self.numeric(
                        out,
                        RPL_WHOWASUSER,
                        &format!("{nick} {nick} {host} * :{nick}"),
                    );
                    let left = format!("{nick} {host} :{}", utc(d.left_at));
                    self.numeric(out, RPL_WHOISSERVER, &left);
                }
                if let Some(first) = departed.first() {
                    self.numeric(
                        out,
                        RPL_ENDOFWHOWAS,
                        &format!("{} :End of WHOWAS", first.nick),
                    );
                }
            }
            Event::IdleWarning { seconds } => self.notice(
                out,
                &format!("You will be disconnected in {seconds} seconds for being idle."),
            ),
            Event::WhoisAddress { nick, address } => self.numeric(
                out,
                RPL_WHOISACTUALLY,
                &format!("{nick} {address} :actually using host"),
            ),
            Event::Error(error) => self.error(out, error),
            Event::Notice(text) => self.notice(out, text),
            Event::Closing { reason } => {
                // Clients show ERROR in the server window only; a NOTICE
                // first tells the person in the window they are looking at.
                if self.nick.is_some() {
                    self.notice(out, &format!("*** {reason}"));
                }
                let _ = write!(out, "ERROR :Closing Link: {reason}\r\n");
            }
            Event::Raw(line) => {
                let _ = write!(out, "{line}\r\n");
            }
            // The sender's copy of a private line: IRC clients show it themselves.
            Event::PrivateSent { .. }
            | Event::Unwatched { .. }
            | Event::Prompt(_)
            | Event::EchoOn
            | Event::Help => {}
            // IRC has no current channel: the client's window is the channel.
            Event::CurrentChannel(_) => {}
        }
    }

    /// `:MemoServ!… NOTICE me :text`.
    fn memo_serv(&self, out: &mut Vec<u8>, text: &str) {
        let _ = write!(
            out,
            ":MemoServ!MemoServ@{} NOTICE {} :{text}\r\n",
            self.server.name,
            self.me()
        );
    }

    fn topic(&self, out: &mut Vec<u8>, name: &str, topic: &str) {
        match topic.is_empty() {
            true => self.numeric(out, RPL_NOTOPIC, &format!("{name} :No topic is set")),
            false => self.numeric(out, RPL_TOPIC, &format!("{name} :{topic}")),
        }
    }

    fn error(&self, out: &mut Vec<u8>, error: &ChatError) {
        let (code, rest) = match error {
            ChatError::NoSuchChannel(c) => {
                (ERR_NOSUCHCHANNEL, format!("{} :No such channel", hashed(c)))
            }
            ChatError::NotInChannel(c) => (
                ERR_NOTONCHANNEL,
                format!("{} :You're not on that channel", hashed(c)),
            ),
            ChatError::NoSuchNick(n) => (ERR_NOSUCHNICK, format!("{n} :No such nick/channel")),
            ChatError::NickInUse(n) => (
                ERR_NICKNAMEINUSE,
                format!("{n} :Nickname is already in use"),
            ),
            ChatError::NickRegistered(n) | ChatError::PasswordRequired(n) => (
                ERR_NICKNAMEINUSE,
                format!("{n} :Nickname is registered: log in with SASL or PASS, or pick another"),
            ),
            ChatError::BadNick(why) => (
                ERR_ERRONEUSNICKNAME,
                format!("* :Erroneous nickname: {why}"),
            ),
            ChatError::EmptyMessage => (ERR_NOTEXTTOSEND, ":No text to send".to_string()),
            ChatError::NoRecipient => {
                (ERR_NORECIPIENT, ":No recipient given (PRIVMSG)".to_string())
            }
            ChatError::NotLoggedIn => (ERR_NOTREGISTERED, ":You have not registered".to_string()),
            ChatError::AlreadyLoggedIn => {
                (ERR_ALREADYREGISTERED, ":You may not reregister".to_string())
            }
            ChatError::UnknownCommand(c) => (ERR_UNKNOWNCOMMAND, format!("{c} :Unknown command")),
            ChatError::LineTooLong { .. } => {
                (ERR_INPUTTOOLONG, ":Input line was too long".to_string())
            }
            ChatError::WatchListFull { max } => {
                (ERR_MONLISTFULL, format!("{max} * :Monitor list is full."))
            }
            ChatError::ChanOpPrivsNeeded(c) => (
                ERR_CHANOPRIVSNEEDED,
                format!("{} :You're not channel operator", hashed(c)),
            ),
            ChatError::BannedFromChan(c) => (
                ERR_BANNEDFROMCHAN,
                format!("{} :Cannot join channel (+b)", hashed(c)),
            ),
            ChatError::InviteOnlyChan(c) => (
                ERR_INVITEONLYCHAN,
                format!("{} :Cannot join channel (+i)", hashed(c)),
            ),
            ChatError::BadChannelKey(c) | ChatError::ChannelNeedsKey(c) => (
                ERR_BADCHANNELKEY,
                format!("{} :Cannot join channel (+k)", hashed(c)),
            ),
            ChatError::ChannelIsFull(c) => (
                ERR_CHANNELISFULL,
                format!("{} :Cannot join channel (+l)", hashed(c)),
            ),
            ChatError::CannotSendToChan(c) => (
                ERR_CANNOTSENDTOCHAN,
                format!("{} :Cannot send to channel", hashed(c)),
            ),
            ChatError::NoPrivileges => (
                ERR_NOPRIVILEGES,
                ":Permission Denied- You're not an IRC operator".to_string(),
            ),
            ChatError::UserNotInChannel { nick, channel: c } => (
                ERR_USERNOTINCHANNEL,
                format!("{nick} {} :They aren't on that channel", hashed(c)),
            ),
            ChatError::UserOnChannel { nick, channel: c } => (
                ERR_USERONCHANNEL,
                format!("{nick} {} :is already on channel", hashed(c)),
            ),
            ChatError::NoOperHost => (ERR_NOOPERHOST, ":No O-lines for your host".to_string()),
            ChatError::BadChannelName(why) => {
                (ERR_BADCHANNAME, format!("* :Illegal channel name: {why}"))
            }
            ChatError::WasNoSuchNick(n) => {
                self.numeric(
                    out,
                    ERR_WASNOSUCHNICK,
                    &format!("{n} :There was no such nickname"),
                );
                (RPL_ENDOFWHOWAS, format!("{n} :End of WHOWAS"))
            }
            other => return self.notice(out, &other.to_string()),
        };
        self.numeric(out, code, &rest);
    }
}

fn hashed(name: &str) -> String {
    match name.starts_with('#') {
        true => name.to_string(),
        false => channel(name),
    }
}

/// CTCP ACTION framing for `/me` lines.
fn ctcp_action(text: &str, action: bool) -> String {
    match action {
        true => format!("\u{1}ACTION {text}\u{1}"),
        false => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::ChannelSummary;
    use std::time::Duration;

    fn renderer() -> Renderer {
        Renderer::new(ServerInfo {
            name: "chatd.test".into(),
            network: "ChatNet".into(),
            version: "chatd-0.1.0".into(),
            created: 0,
            motd: vec!["hello".into()],
            nick_length: 30,
            channel_length: 32,
            max_watch: 100,
        })
    }

    fn lines(r: &mut Renderer, event: Event) -> Vec<String> {
        let mut out = Vec::new();
        r.render(&event, &mut out);
        String::from_utf8(out)
            .unwrap()
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn logged_in(nick: &str) -> Renderer {
        let mut r = renderer();
        lines(&mut r, Event::LoggedIn { nick: nick.into() });
        r
    }

    #[test]
    fn welcome_has_001_to_005_and_the_motd() {
        let mut r = renderer();
        let welcome = lines(
            &mut r,
            Event::LoggedIn {
                nick: "alice".into(),
            },
        );
        let codes: Vec<&str> = welcome
            .iter()
            .map(|l| l.split(' ').nth(1).unwrap())
            .collect();
        assert_eq!(
            codes,
            ["001", "002", "003", "004", "005", "375", "372", "376"]
        );
        assert!(welcome[0].starts_with(":chatd.test 001 alice :Welcome to the ChatNet"));
        assert!(welcome[4].contains("CASEMAPPING=ascii"), "{}", welcome[4]);
        assert!(welcome[4].contains("NICKLEN=30"));
    }

    #[test]
    fn joining_echoes_join_topic_then_names() {
        let mut r = logged_in("alice");
        let joined = Event::Joined(ChannelSummary {
            name: "Weather".into(),
            description: "Talk about the weather".into(),
            users: 2,
        });
        assert_eq!(
            lines(&mut r, joined.clone()),
            [":alice!alice@chatd.test JOIN #Weather"]
        );
        assert!(lines(&mut r, joined).is_empty(), "no second JOIN echo");
        let names = Event::Names {
            channel: "Weather".into(),
            nicks: vec!["alice".into(), "bob".into()],
        };
        // No topic was set: the description stands in, before the names.
        assert_eq!(
            lines(&mut r, names),
            [
                ":chatd.test 332 alice #Weather :Talk about the weather",
                ":chatd.test 353 alice = #Weather :alice bob",
                ":chatd.test 366 alice #Weather :End of /NAMES list."
            ]
        );
    }

    #[test]
    fn one_quit_for_many_shared_channels() {
        let mut r = logged_in("alice");
        let left = |c: &str| Event::MemberLeft {
            channel: c.into(),
            nick: "bob".into(),
            why: Departure::Quit(Some("bye".into())),
        };
        assert_eq!(
            lines(&mut r, left("Weather")),
            [":bob!bob@chatd.test QUIT :Quit: bye"]
        );
        assert!(lines(&mut r, left("Pets")).is_empty());
    }

    #[test]
    fn own_public_lines_are_not_echoed_and_actions_are_ctcp() {
        let mut r = logged_in("alice");
        let say = |from: &str, action| Event::Public {
            channel: "Weather".into(),
            from: from.into(),
            text: "waves".into(),
            action,
        };
        assert!(lines(&mut r, say("alice", false)).is_empty());
        assert_eq!(
            lines(&mut r, say("bob", true)),
            [":bob!bob@chatd.test PRIVMSG #Weather :\u{1}ACTION waves\u{1}"]
        );
    }

    #[test]
    fn errors_become_numerics() {
        let mut r = logged_in("alice");
        let error = |r: &mut Renderer, e| lines(r, Event::Error(e));
        assert_eq!(
            error(&mut r, ChatError::NoSuchNick("carl".into())),
            [":chatd.test 401 alice carl :No such nick/channel"]
        );
        assert_eq!(
            error(&mut r, ChatError::NoSuchChannel("#nosuch".into())),
            [":chatd.test 403 alice #nosuch :No such channel"]
        );
        assert_eq!(
            error(&mut r, ChatError::NotInChannel("Pets".into())),
            [":chatd.test 442 alice #Pets :You're not on that channel"]
        );
        let mut fresh = renderer();
        assert_eq!(
            error(&mut fresh, ChatError::NickInUse("bob".into())),
            [":chatd.test 433 * bob :Nickname is already in use"]
        );
    }

    #[test]
    fn whois_lines_end_with_318() {
        let mut r = logged_in("alice");
        let whois = Event::Whois(UserSummary {
            nick: "bob".into(),
            online: Duration::from_secs(60),
            idle: Duration::from_secs(5),
            since: 1000,
            channels: vec!["Weather".into()],
            away: Some("lunch".into()),
        });
        let codes: Vec<String> = lines(&mut r, whois)
            .iter()
            .map(|l| l.split(' ').nth(1).unwrap().to_string())
            .collect();
        assert_eq!(codes, ["311", "319", "312", "301", "317", "318"]);
    }

    #[test]
    fn nick_changes_follow_our_own_nick() {
        let mut r = logged_in("alice");
        let changed = Event::NickChanged {
            old: "alice".into(),
            new: "alicia".into(),
        };
        assert_eq!(
            lines(&mut r, changed),
            [":alice!alice@chatd.test NICK :alicia"]
        );
        assert_eq!(r.me(), "alicia");
    }
}
