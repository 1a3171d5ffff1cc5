//! The IRC renderer for a person's own account and session: the welcome
//! burst (001–005, the MOTD), nickname changes, away, NickServ's and
//! MemoServ's notices, and becoming an operator.

use std::io::Write;

use super::{Renderer, ServerInfo};
use crate::clock::utc;
use crate::door::irc::numeric::*;
use crate::hub::Event;

impl Renderer {
    /// Renders the events about the connection's own account and session.
    pub(super) fn render_accounts(&mut self, event: &Event, out: &mut Vec<u8>) {
        match event {
            Event::LoggedIn { nick, ident } => {
                self.nick = Some(nick.clone());
                self.ident = Some(ident.clone());
                self.welcome(out);
            }
            Event::Away(Some(_)) => {
                self.numeric(out, RPL_NOWAWAY, ":You have been marked as being away")
            }
            Event::Away(None) => {
                self.numeric(out, RPL_UNAWAY, ":You are no longer marked as being away")
            }
            Event::NickChanged { old, new } => {
                let _ = write!(out, ":{} NICK :{new}\r\n", self.mask(old));
                if self.nick.as_deref() == Some(old.as_str()) {
                    self.nick = Some(new.clone());
                }
            }
            Event::Registered { nick } => {
                let _ = write!(
                    out,
                    ":NickServ!NickServ@{} NOTICE {} :Your nickname {nick} is now registered.\r\n",
                    self.server.name,
                    self.me()
                );
            }
            Event::YouAreOper => {
                self.numeric(out, RPL_YOUREOPER, ":You are now an IRC operator");
                // Modern IRC: the new user mode follows, as any mode change.
                let me = self.me().to_string();
                let _ = write!(out, ":{} MODE {me} :+o\r\n", self.mask(&me));
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
            // `render` sends every other event elsewhere.
            _ => {}
        }
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

    /// `:MemoServ!… NOTICE me :text`.
    fn memo_serv(&self, out: &mut Vec<u8>, text: &str) {
        let _ = write!(
            out,
            ":MemoServ!MemoServ@{} NOTICE {} :{text}\r\n",
            self.server.name,
            self.me()
        );
    }
}

/// The rest of a numeric after the target nickname, for the RPL_ISUPPORT
/// tokens (005).
pub fn isupport(server: &ServerInfo) -> String {
    format!(
        "CASEMAPPING=ascii CHANTYPES=# CHANNELLEN={} NICKLEN={} NETWORK={} PREFIX=(ov)@+ \
         CHANMODES=Ib,k,l,Cimnst INVEX=I MODES=12 MONITOR={} AWAYLEN=390 \
         CHATHISTORY={} MSGREFTYPES=msgid,timestamp :are supported by this server",
        server.channel_length + 1,
        server.nick_length,
        server.network,
        server.max_watch,
        crate::hub::MAX_HISTORY_PAGE
    )
}

/// RPL_MOTDSTART, RPL_MOTD…, RPL_ENDOFMOTD; or ERR_NOMOTD when there is none.
pub fn motd(server: &ServerInfo, me: &str, out: &mut Vec<u8>) {
    let name = &server.name;
    if server.motd.is_empty() {
        let _ = write!(out, ":{name} {ERR_NOMOTD} {me} :MOTD File is missing\r\n");
        return;
    }
    let _ = write!(
        out,
        ":{name} {RPL_MOTDSTART} {me} :- {name} Message of the day - \r\n"
    );
    for line in &server.motd {
        let _ = write!(out, ":{name} {RPL_MOTD} {me} :- {line}\r\n");
    }
    let _ = write!(
        out,
        ":{name} {RPL_ENDOFMOTD} {me} :End of /MOTD command.\r\n"
    );
}
