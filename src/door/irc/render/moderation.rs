//! The IRC renderer for running a channel: KICK, MODE changes, a channel's
//! modes (324) and its ban and invite-exception lists.

use std::io::Write;

use super::{channel, Renderer};
use crate::door::irc::numeric::*;
use crate::hub::{Event, MaskKind};

impl Renderer {
    /// Renders the channel moderation events.
    pub(super) fn render_moderation(&mut self, event: &Event, out: &mut Vec<u8>) {
        match event {
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
            // `render` sends every other event elsewhere.
            _ => {}
        }
    }
}
