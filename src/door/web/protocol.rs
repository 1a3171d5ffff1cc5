//! The browser door's command table: one JSON request (a WebSocket text
//! message) in, what it asks for out. Pure. The schema is
//! docs/web-protocol.md; a typed line (`{"type":"line"}`) means what it
//! means on telnet, through the text door's own parser, so the page has the
//! same /commands.

use serde::Deserialize;

use crate::door::sanitize;
use crate::door::text::parse::{self, AccountCommand, Typed};
use crate::hub::{ChannelMode, ChatError, Command, ModeChange, Watch};

/// A request as the page sends it.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Request {
    /// Log in: with a password for a registered nickname, without as a guest.
    Login {
        nick: String,
        #[serde(default)]
        password: Option<String>,
    },
    /// Register a new nickname with a password and log in.
    Register {
        nick: String,
        password: String,
    },
    /// A line typed in the talk box, as on telnet.
    Line {
        text: String,
    },
    /// A line for a channel (default: the current one).
    Say {
        #[serde(default)]
        channel: Option<String>,
        text: String,
        #[serde(default)]
        action: bool,
    },
    Private {
        to: String,
        text: String,
        #[serde(default)]
        action: bool,
    },
    /// Join a channel, or make one you are in current.
    Join {
        channel: String,
        #[serde(default)]
        key: Option<String>,
    },
    Part {
        #[serde(default)]
        channel: Option<String>,
    },
    Channels,
    /// Members of the current channel.
    Users,
    Who,
    Whois {
        nick: String,
    },
    Ignore {
        nick: String,
    },
    Unignore {
        nick: String,
    },
    Kick {
        nick: String,
        #[serde(default)]
        channel: Option<String>,
        #[serde(default)]
        reason: Option<String>,
    },
    Ban {
        mask: String,
        #[serde(default)]
        channel: Option<String>,
    },
    Away {
        #[serde(default)]
        message: Option<String>,
    },
    Quit {
        #[serde(default)]
        message: Option<String>,
    },
    /// A sign of life that resets idle time, as an empty telnet line does.
    Ping,
}

/// What one request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Asked {
    /// Log in (`password` for a registered nickname).
    Login {
        nick: String,
        password: Option<String>,
    },
    Register {
        nick: String,
        password: String,
    },
    Hub(Command),
    /// An account command (`/register`, `/nick`, `/oper`, `/password`).
    Account(AccountCommand),
    Help,
    HelpOn(&'static str, &'static str),
    Error(ChatError),
    /// A blank line: nothing but a sign of life.
    Nothing,
}

/// Reads one request. `max_line` is the longest text the other doors take.
pub fn interpret(json: &str, max_line: usize) -> Asked {
    let request: Request = match serde_json::from_str(json) {
        Ok(request) => request,
        Err(e) => {
            return Asked::Error(ChatError::Server(format!(
                "not a request this server knows ({e}); see docs/web-protocol.md"
            )))
        }
    };
    if too_long(&request, max_line) {
        return Asked::Error(ChatError::LineTooLong { max: max_line });
    }
    let hub = Asked::Hub;
    let clean = |text: &str| sanitize::clean(text);
    match request {
        Request::Login { nick, password } => Asked::Login { nick, password },
        Request::Register { nick, password } => Asked::Register { nick, password },
        Request::Line { text } => typed(&clean(&text)),
        Request::Say { text, .. } if clean(&text).trim().is_empty() => {
            Asked::Error(ChatError::EmptyMessage)
        }
        Request::Say {
            channel,
            text,
            action,
        } => hub(Command::Say {
            tags: crate::model::ClientTags::NONE,
            channel,
            text: clean(&text),
            action,
        }),
        Request::Private { to, text, action } => hub(Command::Private {
            tags: crate::model::ClientTags::NONE,
            to,
            text: clean(&text),
            action,
        }),
        Request::Join { channel, key: None } => hub(Command::Join { channel }),
        Request::Join { channel, key } => hub(Command::JoinWith {
            channel,
            key,
            create: false,
        }),
        Request::Part { channel } => hub(Command::Part {
            channel,
            reason: None,
        }),
        Request::Channels => hub(Command::ListChannels { only: None }),
        Request::Users => hub(Command::Names {
            channel: None,
            unknown_is_empty: false,
        }),
        Request::Who => hub(Command::Who { mask: None }),
        Request::Whois { nick } => hub(Command::Whois { nick }),
        Request::Ignore { nick } => hub(Command::Ignore(Watch::Add(nick))),
        Request::Unignore { nick } => hub(Command::Ignore(Watch::Remove(nick))),
        Request::Kick {
            nick,
            channel,
            reason,
        } => hub(Command::Kick {
            channel,
            nick,
            reason: reason.map(|r| clean(&r)).filter(|r| !r.is_empty()),
        }),
        Request::Ban { mask, channel } => hub(Command::Mode {
            // Empty: the current channel, as /ban has it.
            channel: channel.unwrap_or_default(),
            changes: vec![ModeChange {
                add: true,
                mode: ChannelMode::Ban(mask),
            }],
        }),
        Request::Away { message } => hub(Command::Away {
            message: message.map(|m| clean(&m)),
        }),
        Request::Quit { message } => hub(Command::Quit {
            message: message.map(|m| clean(&m)),
        }),
        Request::Ping => Asked::Nothing,
    }
}

/// Whether a request's text is longer than a line may be on any door.
fn too_long(request: &Request, max_line: usize) -> bool {
    let text = match request {
        Request::Line { text } | Request::Say { text, .. } | Request::Private { text, .. } => text,
        Request::Kick {
            reason: Some(text), ..
        }
        | Request::Away {
            message: Some(text),
        }
        | Request::Quit {
            message: Some(text),
        } => text,
        _ => return false,
    };
    text.len() > max_line
}

/// A typed line, read as the text door reads it.
fn typed(line: &str) -> Asked {
    match parse::parse_chat(line) {
        Typed::Blank => Asked::Nothing,
        Typed::Hub(command) => Asked::Hub(command),
        Typed::Account(command) => Asked::Account(command),
        Typed::Help => Asked::Help,
        Typed::HelpOn(command, what) => Asked::HelpOn(command, what),
        Typed::Error(error) => Asked::Error(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(json: &str) -> Asked {
        interpret(json, 64)
    }

    #[test]
    fn typed_lines_mean_what_they_mean_on_telnet() {
        assert_eq!(
            asked(r#"{"type":"line","text":"/join weather"}"#),
            Asked::Hub(Command::Join {
                channel: "weather".into()
            })
        );
        assert_eq!(
            asked(r#"{"type":"line","text":"/me waves"}"#),
            Asked::Hub(Command::Say {
                tags: crate::model::ClientTags::NONE,
                channel: None,
                text: "waves".into(),
                action: true
            })
        );
        assert_eq!(
            asked(r#"{"type":"line","text":"hi \u001b[31mred"}"#),
            Asked::Hub(Command::Say {
                tags: crate::model::ClientTags::NONE,
                channel: None,
                text: "hi red".into(),
                action: false
            })
        );
        assert_eq!(asked(r#"{"type":"line","text":"  "}"#), Asked::Nothing);
    }

    #[test]
    fn structured_requests_are_commands() {
        assert_eq!(
            asked(r#"{"type":"say","channel":"Pets","text":"meow","action":true}"#),
            Asked::Hub(Command::Say {
                tags: crate::model::ClientTags::NONE,
                channel: Some("Pets".into()),
                text: "meow".into(),
                action: true
            })
        );
        assert_eq!(
            asked(r#"{"type":"private","to":"bob","text":"psst"}"#),
            Asked::Hub(Command::Private {
                tags: crate::model::ClientTags::NONE,
                to: "bob".into(),
                text: "psst".into(),
                action: false
            })
        );
        assert_eq!(
            asked(r#"{"type":"login","nick":"ann"}"#),
            Asked::Login {
                nick: "ann".into(),
                password: None
            }
        );
    }

    #[test]
    fn unknown_malformed_and_overlong_requests_are_errors() {
        assert!(matches!(
            asked(r#"{"type":"fly"}"#),
            Asked::Error(ChatError::Server(_))
        ));
        assert!(matches!(asked("not json"), Asked::Error(_)));
        assert!(matches!(
            asked(r#"{"type":"join","channel":"x","extra":1}"#),
            Asked::Error(_)
        ));
        let long = format!(r#"{{"type":"line","text":"{}"}}"#, "a".repeat(65));
        assert_eq!(
            asked(&long),
            Asked::Error(ChatError::LineTooLong { max: 64 })
        );
    }
}
