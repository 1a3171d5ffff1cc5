//! The IRC renderer for questions about people and the server: WHO, WHOIS,
//! WHOWAS, ISON, an away reply, LUSERS.

use super::{channel, Renderer};
use crate::clock::utc;
use crate::door::irc::numeric::*;
use crate::hub::{Departed, Event, Membership, UserSummary};

impl Renderer {
    /// Renders the answers to questions about people and the server.
    pub(super) fn render_queries(&mut self, event: &Event, out: &mut Vec<u8>) {
        match event {
            Event::Who { mask, users } => {
                let mask = mask.as_deref().unwrap_or("*");
                for u in users {
                    // Modern IRC: the channel asked about, else one they
                    // are in (their current one), else `*`.
                    let context = match mask.strip_prefix('#') {
                        Some(asked) => u.membership(asked),
                        None => u.channels.first(),
                    };
                    self.who_line(out, context, u);
                }
                // Always last, with the mask as asked.
                self.numeric(out, RPL_ENDOFWHO, &format!("{mask} :End of /WHO list."));
            }
            Event::Whois(u) => self.whois(out, u),
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
            Event::AwayReply { nick, message } => {
                self.numeric(out, RPL_AWAY, &format!("{nick} :{message}"))
            }
            Event::Userhost(people) => {
                // RFC 2812 §4.8: nick, `*` for an operator, `=`, `-` away or
                // `+` here, then user@host.
                let replies: Vec<String> = people
                    .iter()
                    .map(|p| {
                        let oper = if p.oper { "*" } else { "" };
                        let here = if p.away { "-" } else { "+" };
                        let (nick, ident, host) = (&p.nick, &p.ident, &self.server.name);
                        format!("{nick}{oper}={here}{ident}@{host}")
                    })
                    .collect();
                self.numeric(out, RPL_USERHOST, &format!(":{}", replies.join(" ")));
            }
            Event::Stats {
                users,
                channels,
                peak,
            } => {
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
                // Modern IRC: the optional counts come before the text.
                let counts = format!("{users} {peak} :Current local users {users}, max {peak}");
                self.numeric(out, RPL_LOCALUSERS, &counts);
                let counts = format!("{users} {peak} :Current global users {users}, max {peak}");
                self.numeric(out, RPL_GLOBALUSERS, &counts);
            }
            Event::Whowas(departed) => self.whowas(out, departed),
            Event::WhoisAddress { nick, address } => self.numeric(
                out,
                RPL_WHOISACTUALLY,
                &format!("{nick} {address} :actually using host"),
            ),
            // `render` sends every other event elsewhere.
            _ => {}
        }
    }

    /// RPL_WHOISUSER … RPL_ENDOFWHOIS for someone on line.
    fn whois(&self, out: &mut Vec<u8>, u: &UserSummary) {
        let (nick, ident, realname) = (&u.nick, &u.ident, &u.realname);
        let host = &self.server.name;
        self.numeric(
            out,
            RPL_WHOISUSER,
            &format!("{nick} {ident} {host} * :{realname}"),
        );
        if !u.channels.is_empty() {
            let channels: Vec<String> = u.channels.iter().map(|c| channel(&c.channel)).collect();
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

    /// RPL_WHOWASUSER and the time they left, for each who used the nickname.
    fn whowas(&self, out: &mut Vec<u8>, departed: &[Departed]) {
        let host = self.server.name.clone();
        for d in departed {
            let (nick, ident, realname) = (&d.nick, &d.ident, &d.realname);
            self.numeric(
                out,
                RPL_WHOWASUSER,
                &format!("{nick} {ident} {host} * :{realname}"),
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

    /// RPL_WHOREPLY: `<channel> <user> <host> <server> <nick> <flags>
    /// :<hopcount> <realname>`, the flags `H` here or `G` gone (away), `*` a
    /// server operator, then their status in the channel shown.
    fn who_line(&self, out: &mut Vec<u8>, context: Option<&Membership>, u: &UserSummary) {
        let mut flags = String::from(if u.away.is_some() { "G" } else { "H" });
        if u.oper {
            flags.push('*');
        }
        if let Some(m) = context {
            flags.push_str(&self.status_marks(m.op, m.voiced));
        }
        let context = context.map_or("*".to_string(), |m| channel(&m.channel));
        let line = format!(
            "{context} {ident} {host} {host} {nick} {flags} :0 {realname}",
            nick = u.nick,
            ident = u.ident,
            realname = u.realname,
            host = self.server.name
        );
        self.numeric(out, RPL_WHOREPLY, &line);
    }
}
