//! IRCv3 capability negotiation (`CAP`, ircv3.net "Capability Negotiation"):
//! the registry of what chatd offers, with the values `CAP LS 302` shows,
//! and one connection's negotiated set. Pure: the reader feeds it `CAP`
//! subcommands and sends the lines it answers with; the renderer reads the
//! set through [`SharedCaps`] to decide which tags and extra lines to write.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// One capability chatd can offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    AwayNotify,
    Batch,
    CapNotify,
    Chathistory,
    EchoMessage,
    InviteNotify,
    LabeledResponse,
    MessageTags,
    MultiPrefix,
    Sasl,
    ServerTime,
    UserhostInNames,
}

impl Cap {
    /// Every capability, in the order `CAP LS` lists them.
    pub const ALL: [Cap; 12] = [
        Cap::AwayNotify,
        Cap::Batch,
        Cap::CapNotify,
        Cap::Chathistory,
        Cap::EchoMessage,
        Cap::InviteNotify,
        Cap::LabeledResponse,
        Cap::MessageTags,
        Cap::MultiPrefix,
        Cap::Sasl,
        Cap::ServerTime,
        Cap::UserhostInNames,
    ];

    /// The name clients ask for.
    pub fn name(self) -> &'static str {
        match self {
            Cap::AwayNotify => "away-notify",
            Cap::Batch => "batch",
            Cap::CapNotify => "cap-notify",
            // Still a draft: the spec asks for the prefixed name.
            Cap::Chathistory => "draft/chathistory",
            Cap::EchoMessage => "echo-message",
            Cap::InviteNotify => "invite-notify",
            Cap::LabeledResponse => "labeled-response",
            Cap::MessageTags => "message-tags",
            Cap::MultiPrefix => "multi-prefix",
            Cap::Sasl => "sasl",
            Cap::ServerTime => "server-time",
            Cap::UserhostInNames => "userhost-in-names",
        }
    }

    /// The value `CAP LS 302` shows after `=`, if the capability has one.
    pub fn value(self) -> Option<&'static str> {
        match self {
            // sasl-3.2: the mechanisms, so a client need not ask with 908.
            Cap::Sasl => Some(crate::door::session::sasl::MECHANISMS),
            _ => None,
        }
    }

    pub fn from_name(name: &str) -> Option<Cap> {
        Cap::ALL.into_iter().find(|cap| cap.name() == name)
    }

    fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// A set of capabilities, small enough to copy and to share atomically.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapSet(u32);

impl CapSet {
    pub const EMPTY: CapSet = CapSet(0);

    pub fn has(self, cap: Cap) -> bool {
        self.0 & cap.bit() != 0
    }

    pub fn with(self, cap: Cap) -> CapSet {
        CapSet(self.0 | cap.bit())
    }

    pub fn without(self, cap: Cap) -> CapSet {
        CapSet(self.0 & !cap.bit())
    }

    /// The capabilities in the set, in `Cap::ALL` order.
    pub fn iter(self) -> impl Iterator<Item = Cap> {
        Cap::ALL.into_iter().filter(move |cap| self.has(*cap))
    }

    /// A number that differs between sets, for keying renderings that
    /// depend on the set.
    pub fn bits(self) -> u32 {
        self.0
    }
}

/// The negotiated set as the connection's reader writes it and its writer
/// (the renderer, on another thread) reads it.
#[derive(Clone, Debug, Default)]
pub struct SharedCaps(Arc<AtomicU32>);

impl SharedCaps {
    pub fn get(&self) -> CapSet {
        CapSet(self.0.load(Ordering::Acquire))
    }

    fn set(&self, caps: CapSet) {
        self.0.store(caps.0, Ordering::Release);
    }
}

/// The longest `CAP` reply line before it is split, leaving room in 512
/// bytes for `:server CAP nick LS * :` (cap 3.2: split long LS replies).
const CAP_LINE_ROOM: usize = 400;

/// What a `CAP` subcommand needs from the reader besides the state here.
#[derive(Debug, PartialEq, Eq)]
pub enum CapReply {
    /// Lines to send, each without `:server CAP nick ` in front.
    Lines(Vec<String>),
    /// `CAP END`: registration may go on.
    End,
    /// Not a subcommand of CAP (ERR_INVALIDCAPCMD).
    Invalid(String),
}

/// One connection's capability negotiation.
#[derive(Debug, Default)]
pub struct Negotiation {
    /// The highest `CAP LS` version the client said (0: none said).
    version: u32,
    enabled: SharedCaps,
    /// Capabilities withdrawn from offer (cap-notify DEL); none are today.
    withdrawn: CapSet,
}

impl Negotiation {
    /// The set the renderer reads.
    pub fn shared(&self) -> SharedCaps {
        self.enabled.clone()
    }

    pub fn enabled(&self) -> CapSet {
        self.enabled.get()
    }

    /// Answers one `CAP` subcommand with its parameters.
    pub fn handle(&mut self, subcommand: &str, argument: &str) -> CapReply {
        match subcommand.to_ascii_uppercase().as_str() {
            "LS" => {
                let version = argument.parse().unwrap_or(0);
                self.version = self.version.max(version);
                // cap-notify: a 302 client has it without asking for it.
                if version >= 302 {
                    self.enabled.set(self.enabled().with(Cap::CapNotify));
                }
                CapReply::Lines(self.ls())
            }
            "LIST" => {
                let names: Vec<&str> = self.enabled().iter().map(Cap::name).collect();
                CapReply::Lines(vec![format!("LIST :{}", names.join(" "))])
            }
            "REQ" => CapReply::Lines(vec![self.req(argument)]),
            "END" => CapReply::End,
            other => CapReply::Invalid(other.to_string()),
        }
    }

    fn offered(&self) -> impl Iterator<Item = Cap> + '_ {
        Cap::ALL.into_iter().filter(|cap| !self.withdrawn.has(*cap))
    }

    /// `LS` lines: with values for 302, split with `*` when long.
    fn ls(&self) -> Vec<String> {
        let words: Vec<String> = self.offered().map(|cap| self.word(cap)).collect();
        let chunks = split_words(&words);
        let last = chunks.len() - 1;
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, chunk)| match i == last || self.version < 302 {
                true => format!("LS :{chunk}"),
                false => format!("LS * :{chunk}"),
            })
            .collect()
    }

    fn word(&self, cap: Cap) -> String {
        match cap.value().filter(|_| self.version >= 302) {
            Some(value) => format!("{}={value}", cap.name()),
            None => cap.name().to_string(),
        }
    }

    /// `REQ`: all the changes or none (cap 3.1: "the ACK or NAK is for the
    /// whole set"); `-name` turns one off.
    fn req(&mut self, argument: &str) -> String {
        let mut caps = self.enabled();
        for word in argument.split(' ').filter(|w| !w.is_empty()) {
            let (off, name) = match word.strip_prefix('-') {
                Some(name) => (true, name),
                None => (false, word),
            };
            let cap = Cap::from_name(name).filter(|cap| !self.withdrawn.has(*cap));
            caps = match (cap, off) {
                // cap-notify-3.2: a 302 client cannot turn it off.
                (Some(Cap::CapNotify), true) if self.version >= 302 => {
                    return format!("NAK :{}", argument.trim())
                }
                (Some(cap), true) => caps.without(cap),
                (Some(cap), false) => caps.with(cap),
                (None, _) => return format!("NAK :{}", argument.trim()),
            };
        }
        self.enabled.set(caps);
        format!("ACK :{}", argument.trim())
    }

    /// Withdraws capabilities from offer and turns them off: the `DEL`
    /// line, for a client with cap-notify, or `None`.
    pub fn withdraw(&mut self, caps: &[Cap]) -> Option<String> {
        let mut enabled = self.enabled();
        for cap in caps {
            self.withdrawn = self.withdrawn.with(*cap);
            enabled = enabled.without(*cap);
        }
        self.enabled.set(enabled);
        self.notify("DEL", caps)
    }

    /// Offers capabilities again: the `NEW` line, for a client with
    /// cap-notify, or `None`.
    pub fn offer(&mut self, caps: &[Cap]) -> Option<String> {
        for cap in caps {
            self.withdrawn = self.withdrawn.without(*cap);
        }
        self.notify("NEW", caps)
    }

    fn notify(&self, verb: &str, caps: &[Cap]) -> Option<String> {
        if !self.enabled().has(Cap::CapNotify) || caps.is_empty() {
            return None;
        }
        // NEW gives values as LS does; DEL names only.
        let words: Vec<String> = match verb {
            "NEW" => caps.iter().map(|cap| self.word(*cap)).collect(),
            _ => caps.iter().map(|cap| cap.name().to_string()).collect(),
        };
        Some(format!("{verb} :{}", words.join(" ")))
    }
}

/// Space-joined runs of `words`, each short enough for one line.
fn split_words(words: &[String]) -> Vec<String> {
    let mut chunks = vec![String::new()];
    for word in words {
        let chunk = chunks.last_mut().expect("never empty");
        if !chunk.is_empty() && chunk.len() + 1 + word.len() > CAP_LINE_ROOM {
            chunks.push(word.clone());
            continue;
        }
        if !chunk.is_empty() {
            chunk.push(' ');
        }
        chunk.push_str(word);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(reply: CapReply) -> Vec<String> {
        match reply {
            CapReply::Lines(lines) => lines,
            other => panic!("expected lines, got {other:?}"),
        }
    }

    #[test]
    fn ls_302_shows_values_and_older_ls_does_not() {
        let mut old = Negotiation::default();
        let ls = lines(old.handle("LS", ""));
        assert_eq!(ls.len(), 1);
        assert!(ls[0].contains(" sasl "), "{ls:?}");
        assert!(!ls[0].contains('='), "{ls:?}");
        assert!(!old.enabled().has(Cap::CapNotify));

        let mut new = Negotiation::default();
        let ls = lines(new.handle("ls", "302"));
        assert!(
            ls[0].starts_with("LS :away-notify batch cap-notify "),
            "{ls:?}"
        );
        assert!(ls[0].contains(" sasl=PLAIN,SCRAM-SHA-256 "), "{ls:?}");
        assert!(ls[0].contains("server-time"), "{ls:?}");
        assert!(new.enabled().has(Cap::CapNotify), "302 implies cap-notify");
    }

    #[test]
    fn req_is_all_or_nothing() {
        let mut n = Negotiation::default();
        assert_eq!(
            lines(n.handle("REQ", "server-time bogus")),
            ["NAK :server-time bogus"]
        );
        assert_eq!(n.enabled(), CapSet::EMPTY);
        assert_eq!(
            lines(n.handle("REQ", "server-time echo-message")),
            ["ACK :server-time echo-message"]
        );
        assert!(n.enabled().has(Cap::ServerTime));
        assert!(n.enabled().has(Cap::EchoMessage));
        assert_eq!(
            lines(n.handle("LIST", "")),
            ["LIST :echo-message server-time"]
        );
    }

    #[test]
    fn minus_turns_a_capability_off() {
        let mut n = Negotiation::default();
        lines(n.handle("REQ", "echo-message server-time"));
        assert_eq!(
            lines(n.handle("REQ", "-server-time")),
            ["ACK :-server-time"]
        );
        assert!(n.enabled().has(Cap::EchoMessage));
        assert!(!n.enabled().has(Cap::ServerTime));
    }

    #[test]
    fn a_302_client_keeps_cap_notify() {
        let mut n = Negotiation::default();
        lines(n.handle("LS", "302"));
        assert_eq!(lines(n.handle("REQ", "-cap-notify")), ["NAK :-cap-notify"]);
        assert!(n.enabled().has(Cap::CapNotify));
    }

    #[test]
    fn end_and_unknown_subcommands() {
        let mut n = Negotiation::default();
        assert_eq!(n.handle("END", ""), CapReply::End);
        assert_eq!(n.handle("FOO", ""), CapReply::Invalid("FOO".into()));
    }

    #[test]
    fn del_and_new_reach_only_cap_notify_clients() {
        let mut quiet = Negotiation::default();
        lines(quiet.handle("REQ", "sasl"));
        assert_eq!(quiet.withdraw(&[Cap::Sasl]), None);
        assert!(!quiet.enabled().has(Cap::Sasl), "withdrawn is off");

        let mut n = Negotiation::default();
        lines(n.handle("LS", "302"));
        lines(n.handle("REQ", "sasl"));
        assert_eq!(n.withdraw(&[Cap::Sasl]).as_deref(), Some("DEL :sasl"));
        assert!(!lines(n.handle("LS", "302"))[0].contains("sasl"));
        assert_eq!(lines(n.handle("REQ", "sasl")), ["NAK :sasl"]);
        assert_eq!(
            n.offer(&[Cap::Sasl]).as_deref(),
            Some("NEW :sasl=PLAIN,SCRAM-SHA-256")
        );
        assert_eq!(lines(n.handle("REQ", "sasl")), ["ACK :sasl"]);
    }

    #[test]
    fn long_ls_replies_are_split_with_a_star() {
        let words: Vec<String> = (0..100).map(|i| format!("cap-{i}")).collect();
        let chunks = split_words(&words);
        assert!(chunks.len() > 1);
        assert!(chunks.iter().all(|c| c.len() <= CAP_LINE_ROOM));
        assert_eq!(chunks.join(" "), words.join(" "));
    }

    #[test]
    fn the_renderer_sees_what_the_reader_negotiates() {
        let mut n = Negotiation::default();
        let seen = n.shared();
        lines(n.handle("REQ", "server-time"));
        assert!(seen.get().has(Cap::ServerTime));
    }
}
