//! The IRC renderer for a person's own lists: the watch list as IRCv3
//! MONITOR numerics, the ignore list as server notices.

use super::Renderer;
use crate::door::irc::numeric::*;
use crate::hub::Event;

impl Renderer {
    /// Renders the watch and ignore list events.
    pub(super) fn render_lists(&mut self, event: &Event, out: &mut Vec<u8>) {
        match event {
            // IRCv3 MONITOR: `L` is the list alone, `S` the statuses alone.
            Event::WatchStatuses(entries) => {
                let (online, offline): (Vec<_>, Vec<_>) = entries.iter().partition(|(_, on)| *on);
                let masks: Vec<String> = online.iter().map(|(n, _)| self.mask(n)).collect();
                if !masks.is_empty() {
                    self.numeric(out, RPL_MONONLINE, &format!(":{}", masks.join(",")));
                }
                let nicks: Vec<&str> = offline.iter().map(|(n, _)| n.as_str()).collect();
                if !nicks.is_empty() {
                    self.numeric(out, RPL_MONOFFLINE, &format!(":{}", nicks.join(",")));
                }
            }
            Event::WatchList(entries) => {
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
            Event::IgnoreList(nicks) => {
                self.notice(out, &format!("You ignore: {}", nicks.join(" ")))
            }
            Event::Ignoring { nick } => self.notice(out, &format!("Ignoring {nick}")),
            Event::Unignored { nick } => self.notice(out, &format!("No longer ignoring {nick}")),
            // MONITOR - has no reply.
            Event::Unwatched { .. } => {}
            // `render` sends every other event elsewhere.
            _ => {}
        }
    }
}
