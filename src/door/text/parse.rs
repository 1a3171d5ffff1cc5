//! The text door's command language: a typed line in, what it asks for out.
//! Pure. A line starting with `/` is a command (`//` sends a line that starts
//! with `/`); any other line is said in the current channel.

use crate::door::modes::{self, ModeRequest};
use crate::door::session::Input;
use crate::hub::{ChannelMode, ChatError, Command, MaskKind, ModeChange, Watch};

/// What one typed line means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Typed {
    /// Nothing to do (an empty line).
    Blank,
    Hub(Command),
    /// An account command, which the door carries out itself.
    Account(AccountCommand),
    Help,
    /// `/help <command>`: that command's line of [`HELP`].
    HelpOn(&'static str, &'static str),
    Error(ChatError),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountCommand {
    Register {
        password: String,
    },
    ChangePassword {
        old: String,
        new: String,
    },
    /// A new nickname: the door checks it is not someone's registered one.
    ChangeNick {
        nick: String,
    },
    /// Become a server operator: the door checks the password.
    Oper {
        name: String,
        password: String,
    },
}

impl AccountCommand {
    /// What the session is fed for this command, when it holds the
    /// nickname `current`. Exactly the nickname one has is refused: nothing
    /// would change (a change of case is a change).
    pub fn into_input(self, current: Option<&str>) -> Result<Input, ChatError> {
        Ok(match self {
            AccountCommand::Register { password } => Input::Register { password },
            AccountCommand::ChangeNick { nick } if current == Some(nick.as_str()) => {
                return Err(ChatError::SameNick(nick))
            }
            AccountCommand::ChangeNick { nick } => Input::ChangeNick { nick },
            AccountCommand::Oper { name, password } => Input::Oper { name, password },
            AccountCommand::ChangePassword { old, new } => Input::ChangePassword { old, new },
        })
    }
}

/// One line of the command list, shown by `/help`.
pub const HELP: &[(&str, &str)] = &[
    (
        "/channels",
        "list the channels with their descriptions and users",
    ),
    (
        "/join <channel> [key]",
        "join a channel, or make one you are in current",
    ),
    (
        "/part [channel]",
        "leave a channel (the current one by default)",
    ),
    ("/users", "who is in your current channel, and for how long"),
    ("/who", "everyone online, their channels and idle time"),
    (
        "/whois <nick>",
        "when someone logged in, their idle time and channels",
    ),
    (
        "/private <nick> <text>",
        "a message only <nick> sees (also /msg)",
    ),
    (
        "/me <action>",
        "an action in the current channel: * you <action>",
    ),
    (
        "/away [message]",
        "mark yourself away; private messages get the message back",
    ),
    ("/back", "you are no longer away"),
    ("/nick <nick>", "change your nickname"),
    (
        "/watch [[-]nick]",
        "tell me when <nick> logs in or out; -nick stops; alone: the list",
    ),
    (
        "/register <password>",
        "register your nickname, so only you can use it",
    ),
    ("/password <old> <new>", "change your password"),
    (
        "/create <chan> [about]",
        "make a channel that stays (registered users); you run it",
    ),
    ("/drop <channel>", "remove a channel you created"),
    ("/topic [text]", "show or set the current channel's topic"),
    (
        "/op, /deop <nick>",
        "make someone a channel operator, or not (operators only)",
    ),
    (
        "/voice, /devoice <nick>",
        "let someone speak in a moderated channel, or not",
    ),
    (
        "/kick <nick> [reason]",
        "put someone out of the current channel (operators)",
    ),
    (
        "/ban [nick|mask]",
        "ban a nickname or mask from the channel; alone: the ban list",
    ),
    ("/unban <mask>", "lift a ban"),
    (
        "/invite <nick> [channel]",
        "invite someone (needed for +i channels)",
    ),
    (
        "/mode [channel] [modes]",
        "show or set modes: +i invite, +k key, +l limit, +m, +n, +s, +t, +C",
    ),
    ("/oper <name> <password>", "become a server operator"),
    (
        "/kill <nick> [reason]",
        "disconnect someone (server operators)",
    ),
    (
        "/wall <text>",
        "a message to everyone on line (server operators)",
    ),
    (
        "/gline <mask> [reason]",
        "ban an address, nick or mask from the whole server (server operators)",
    ),
    ("/ungline <mask>", "lift a server ban"),
    (
        "/ignore [nick]",
        "never see <nick>'s lines (kept if you are registered); alone: the list",
    ),
    ("/unignore <nick>", "see <nick>'s lines again"),
    (
        "/memos [clear]",
        "messages kept for you while you were off line; clear deletes them",
    ),
    (
        "/whowas <nick>",
        "who used a nickname lately, and when they left",
    ),
    ("/help [command]", "this list, or what one command does"),
    ("/quit [message]", "say goodbye and disconnect (also /bye)"),
    (
        "<text>",
        "say <text> in your current channel (//text for a leading /)",
    ),
];

/// Parses a line typed after login.
pub fn parse_chat(line: &str) -> Typed {
    if line.trim().is_empty() {
        return Typed::Blank;
    }
    let Some(command) = line.strip_prefix('/') else {
        return say(line);
    };
    if command.starts_with('/') {
        return say(command);
    }
    let (word, rest) = split_word(command);
    let name = word.to_ascii_lowercase();
    match COMMANDS
        .iter()
        .find(|(names, _)| names.contains(&name.as_str()))
    {
        Some((_, parse)) => parse(&name, rest.trim()),
        None => Typed::Error(ChatError::UnknownCommand(format!("/{word}"))),
    }
}

/// Parses what follows a command's name: gets the name as typed, in lower
/// case (some parsers serve several), and the rest of the line, trimmed.
type Parser = fn(&str, &str) -> Typed;

/// Every command after login: its name and aliases, and its parser.
const COMMANDS: &[(&[&str], Parser)] = &[
    (&["channels", "list"], |_, _| {
        hub(Command::ListChannels { only: None })
    }),
    (&["join", "j"], join),
    (&["create"], create),
    (&["drop"], drop_channel),
    (&["topic"], topic),
    (&["op", "deop", "voice", "devoice"], op_or_voice),
    (&["ban", "unban"], ban),
    (&["kick"], kick),
    (&["invite"], invite),
    (&["mode"], mode),
    (&["oper"], oper),
    (&["kill"], kill),
    (&["wall", "wallops"], wall),
    (&["gline"], gline),
    (&["ungline"], ungline),
    (&["part", "leave"], |_, channel| {
        hub(Command::Part {
            channel: (!channel.is_empty()).then(|| channel.to_string()),
            reason: None,
        })
    }),
    (&["users", "names"], |_, _| {
        hub(Command::Names {
            channel: None,
            unknown_is_empty: false,
        })
    }),
    (&["who"], |_, _| hub(Command::Who { mask: None })),
    (&["whois"], whois),
    (&["private", "msg", "m"], private),
    (&["me"], me),
    (&["watch"], watch),
    (&["register"], register),
    (&["password"], password),
    (&["away"], |_, message| {
        hub(Command::Away {
            message: Some(typed_or(message, "away")),
        })
    }),
    (&["back"], |_, _| hub(Command::Away { message: None })),
    (&["nick"], nick),
    (&["ignore"], ignore),
    (&["unignore"], unignore),
    (&["memos"], memos),
    (&["whowas"], whowas),
    (&["help", "?"], |_, topic| help(topic)),
    (&["quit", "bye", "exit"], |_, message| {
        hub(Command::Quit {
            message: (!message.is_empty()).then(|| message.to_string()),
        })
    }),
];

fn hub(command: Command) -> Typed {
    Typed::Hub(command)
}

/// A command of one argument: `command` made with it, or the usage line
/// when there is none.
fn needs(argument: &str, usage_line: &'static str, command: fn(String) -> Command) -> Typed {
    match argument {
        "" => usage(usage_line),
        argument => hub(command(argument.to_string())),
    }
}

/// What was typed, or `default` when nothing was.
fn typed_or(typed: &str, default: &str) -> String {
    match typed {
        "" => default.to_string(),
        typed => typed.to_string(),
    }
}

fn join(_: &str, rest: &str) -> Typed {
    match split_word(rest) {
        ("", _) => usage("/join <channel> [key]"),
        (channel, "") => hub(Command::Join {
            channel: channel.to_string(),
        }),
        (channel, key) => hub(Command::JoinWith {
            channel: channel.to_string(),
            key: Some(key.to_string()),
            create: false,
        }),
    }
}

fn create(_: &str, rest: &str) -> Typed {
    match split_word(rest) {
        ("", _) => usage("/create <channel> [description]"),
        (channel, description) => hub(Command::Create {
            channel: channel.to_string(),
            description: description.to_string(),
        }),
    }
}

fn drop_channel(_: &str, channel: &str) -> Typed {
    needs(channel, "/drop <channel>", |channel| Command::Drop {
        channel,
    })
}

fn topic(_: &str, text: &str) -> Typed {
    match text {
        "" => hub(Command::Topic { channel: None }),
        text => hub(Command::SetTopic {
            channel: None,
            text: text.to_string(),
        }),
    }
}

/// `/op`, `/deop`, `/voice`, `/devoice`: one mode change in the current channel.
fn op_or_voice(name: &str, nick: &str) -> Typed {
    if nick.is_empty() {
        return usage("/op <nick> (also /deop, /voice, /devoice)");
    }
    let add = !name.starts_with("de");
    let mode = match name.ends_with("op") {
        true => ChannelMode::Op(nick.to_string()),
        false => ChannelMode::Voice(nick.to_string()),
    };
    hub(Command::Mode {
        channel: String::new(),
        changes: vec![ModeChange { add, mode }],
    })
}

/// `/ban <mask>`, `/unban <mask>`; either alone asks for the ban list.
fn ban(name: &str, mask: &str) -> Typed {
    if mask.is_empty() {
        return hub(Command::MaskList {
            channel: String::new(),
            kind: MaskKind::Bans,
        });
    }
    hub(Command::Mode {
        channel: String::new(),
        changes: vec![ModeChange {
            add: name == "ban",
            mode: ChannelMode::Ban(mask.to_string()),
        }],
    })
}

fn kick(_: &str, rest: &str) -> Typed {
    match split_word(rest) {
        ("", _) => usage("/kick <nick> [reason]"),
        (nick, reason) => hub(Command::Kick {
            channel: None,
            nick: nick.to_string(),
            reason: (!reason.is_empty()).then(|| reason.to_string()),
        }),
    }
}

fn invite(_: &str, rest: &str) -> Typed {
    match split_word(rest) {
        ("", _) => usage("/invite <nick> [channel]"),
        (nick, channel) => hub(Command::Invite {
            nick: nick.to_string(),
            channel: (!channel.is_empty()).then(|| channel.to_string()),
        }),
    }
}

fn mode(_: &str, rest: &str) -> Typed {
    let mut words: Vec<&str> = rest.split_whitespace().collect();
    // A first word that is not a mode string names the channel.
    let channel = match words.first() {
        Some(first) if !first.starts_with(['+', '-']) => words.remove(0).to_string(),
        _ => String::new(),
    };
    match modes::parse(&words) {
        Ok(ModeRequest::Query) => hub(Command::Mode {
            channel,
            changes: Vec::new(),
        }),
        Ok(ModeRequest::List(kind)) => hub(Command::MaskList { channel, kind }),
        Ok(ModeRequest::Change(changes)) => hub(Command::Mode { channel, changes }),
        Err(_) => usage("/mode [channel] [+-][imnstCkl|o nick|v nick|b mask|I mask] ..."),
    }
}

fn oper(_: &str, rest: &str) -> Typed {
    match split_word(rest) {
        (name, password) if !name.is_empty() && !password.is_empty() => {
            Typed::Account(AccountCommand::Oper {
                name: name.to_string(),
                password: password.to_string(),
            })
        }
        _ => usage("/oper <name> <password>"),
    }
}

fn kill(_: &str, rest: &str) -> Typed {
    match split_word(rest) {
        ("", _) => usage("/kill <nick> [reason]"),
        (nick, reason) => hub(Command::Kill {
            nick: nick.to_string(),
            reason: typed_or(reason, "no reason"),
        }),
    }
}

fn wall(_: &str, text: &str) -> Typed {
    needs(text, "/wall <text>", |text| Command::Wallops { text })
}

fn gline(_: &str, rest: &str) -> Typed {
    match split_word(rest) {
        ("", _) => usage("/gline <address, nick or mask> [reason]"),
        (mask, reason) => hub(Command::Gline {
            mask: mask.to_string(),
            reason: typed_or(reason, "banned"),
        }),
    }
}

fn ungline(_: &str, mask: &str) -> Typed {
    needs(mask, "/ungline <mask>", |mask| Command::Ungline { mask })
}

fn whois(_: &str, nick: &str) -> Typed {
    needs(nick, "/whois <nick>", |nick| Command::Whois { nick })
}

fn private(_: &str, rest: &str) -> Typed {
    match split_word(rest) {
        (_, "") => usage("/private <nick> <text>"),
        (to, text) => hub(Command::Private {
            tags: crate::model::ClientTags::NONE,
            to: to.to_string(),
            text: text.to_string(),
            action: false,
        }),
    }
}

fn me(_: &str, action: &str) -> Typed {
    needs(action, "/me <action>", |text| Command::Say {
        tags: crate::model::ClientTags::NONE,
        channel: None,
        text,
        action: true,
    })
}

fn watch(_: &str, rest: &str) -> Typed {
    hub(Command::Watch(match rest {
        "" => Watch::List,
        _ => match rest.strip_prefix('-') {
            Some(nick) => Watch::Remove(nick.trim().to_string()),
            None => Watch::Add(rest.to_string()),
        },
    }))
}

fn register(_: &str, rest: &str) -> Typed {
    match split_word(rest) {
        (password, "") if !password.is_empty() => Typed::Account(AccountCommand::Register {
            password: password.to_string(),
        }),
        _ => usage("/register <password>"),
    }
}

fn password(_: &str, rest: &str) -> Typed {
    match split_word(rest) {
        (old, new) if !old.is_empty() && !new.is_empty() && !new.contains(' ') => {
            Typed::Account(AccountCommand::ChangePassword {
                old: old.to_string(),
                new: new.to_string(),
            })
        }
        _ => usage("/password <old> <new>"),
    }
}

fn nick(_: &str, nick: &str) -> Typed {
    match nick {
        "" => usage("/nick <nick>"),
        nick => Typed::Account(AccountCommand::ChangeNick {
            nick: nick.to_string(),
        }),
    }
}

fn ignore(_: &str, nick: &str) -> Typed {
    hub(Command::Ignore(match nick {
        "" => Watch::List,
        nick => Watch::Add(nick.to_string()),
    }))
}

fn unignore(_: &str, nick: &str) -> Typed {
    needs(nick, "/unignore <nick>", |nick| {
        Command::Ignore(Watch::Remove(nick))
    })
}

fn memos(_: &str, rest: &str) -> Typed {
    match rest {
        "" => hub(Command::Memos { clear: false }),
        "clear" => hub(Command::Memos { clear: true }),
        _ => usage("/memos [clear]"),
    }
}

fn whowas(_: &str, nick: &str) -> Typed {
    needs(nick, "/whowas <nick>", |nick| Command::Whowas { nick })
}

/// Parses a line typed at the nickname prompt: a nickname, or one of the few
/// commands that make sense before login.
pub fn parse_login(line: &str) -> Typed {
    let line = line.trim();
    if line.is_empty() {
        return Typed::Blank;
    }
    match line.strip_prefix('/').map(split_word) {
        None => Typed::Hub(Command::Login {
            nick: line.to_string(),
            identity: None,
        }),
        Some((word, rest)) => match word.to_ascii_lowercase().as_str() {
            "help" | "?" => help(rest.trim()),
            "quit" | "bye" | "exit" => Typed::Hub(Command::Quit {
                message: (!rest.trim().is_empty()).then(|| rest.trim().to_string()),
            }),
            _ => Typed::Error(ChatError::NotLoggedIn),
        },
    }
}

/// The width of [`HELP`]'s command column; every command fits in it.
pub const HELP_COLUMN: usize = 24;

/// One line of `/help`.
pub fn help_line(command: &str, what: &str) -> String {
    format!("{command:<HELP_COLUMN$} {what}")
}

/// `/help`, or `/help <command>` (with or without its `/`, aliases too):
/// the line that names it, first where it is the command, then where it
/// is an alias ("also /msg").
fn help(topic: &str) -> Typed {
    if topic.is_empty() {
        return Typed::Help;
    }
    let wanted = format!("/{}", topic.trim_start_matches('/').to_ascii_lowercase());
    let names = |text: &str| {
        text.split([' ', ',', '(', ')'])
            .any(|word| word.eq_ignore_ascii_case(&wanted))
    };
    let found = HELP.iter().find(|(command, _)| names(command)).or_else(|| {
        HELP.iter()
            .find(|(_, what)| what.contains("also") && names(what))
    });
    match found {
        Some(&(command, what)) => Typed::HelpOn(command, what),
        None => Typed::Error(ChatError::UnknownCommand(wanted)),
    }
}

fn say(text: &str) -> Typed {
    Typed::Hub(Command::Say {
        tags: crate::model::ClientTags::NONE,
        channel: None,
        text: text.to_string(),
        action: false,
    })
}

fn usage(text: &'static str) -> Typed {
    Typed::Error(ChatError::Usage(text))
}

/// Splits off the first word; the rest keeps everything after the spaces
/// that follow it.
fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(' ') {
        Some(end) => (&s[..end], s[end..].trim_start()),
        None => (s, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(c: Command) -> Typed {
        Typed::Hub(c)
    }

    #[test]
    fn plain_lines_are_said_with_their_leading_spaces() {
        assert_eq!(
            parse_chat("  indented"),
            hub(Command::Say {
                tags: crate::model::ClientTags::NONE,
                channel: None,
                text: "  indented".into(),
                action: false
            })
        );
        assert_eq!(
            parse_chat("//etc/passwd"),
            hub(Command::Say {
                tags: crate::model::ClientTags::NONE,
                channel: None,
                text: "/etc/passwd".into(),
                action: false
            })
        );
        assert_eq!(parse_chat("   "), Typed::Blank);
    }

    #[test]
    fn commands_ignore_case_and_take_arguments() {
        assert_eq!(
            parse_chat("/JOIN #Weather "),
            hub(Command::Join {
                channel: "#Weather".into()
            })
        );
        assert_eq!(
            parse_chat("/part"),
            hub(Command::Part {
                channel: None,
                reason: None
            })
        );
        assert_eq!(
            parse_chat("/part pets"),
            hub(Command::Part {
                channel: Some("pets".into()),
                reason: None
            })
        );
        assert_eq!(
            parse_chat("/msg bob  hi  there"),
            hub(Command::Private {
                tags: crate::model::ClientTags::NONE,
                to: "bob".into(),
                text: "hi  there".into(),
                action: false
            })
        );
        assert_eq!(
            parse_chat("/me waves"),
            hub(Command::Say {
                tags: crate::model::ClientTags::NONE,
                channel: None,
                text: "waves".into(),
                action: true
            })
        );
        assert_eq!(
            parse_chat("/bye see you"),
            hub(Command::Quit {
                message: Some("see you".into())
            })
        );
        assert_eq!(parse_chat("/who"), hub(Command::Who { mask: None }));
        assert_eq!(
            parse_chat("/users"),
            hub(Command::Names {
                channel: None,
                unknown_is_empty: false
            })
        );
        assert_eq!(
            parse_chat("/channels"),
            hub(Command::ListChannels { only: None })
        );
        assert_eq!(parse_chat("/help"), Typed::Help);
        assert_eq!(
            parse_chat("/help kick"),
            Typed::HelpOn(
                "/kick <nick> [reason]",
                "put someone out of the current channel (operators)"
            )
        );
        assert!(matches!(
            parse_chat("/help /msg"),
            Typed::HelpOn("/private <nick> <text>", _)
        ));
        assert!(matches!(
            parse_chat("/help deop"),
            Typed::HelpOn("/op, /deop <nick>", _)
        ));
        assert_eq!(
            parse_chat("/help frobnicate"),
            Typed::Error(ChatError::UnknownCommand("/frobnicate".into()))
        );
        for (command, _) in HELP {
            assert!(command.len() <= HELP_COLUMN, "{command} breaks the column");
        }
    }

    #[test]
    fn missing_arguments_get_usage() {
        assert_eq!(parse_chat("/join"), usage("/join <channel> [key]"));
        assert_eq!(parse_chat("/private bob"), usage("/private <nick> <text>"));
        assert_eq!(parse_chat("/msg"), usage("/private <nick> <text>"));
        assert_eq!(parse_chat("/whois "), usage("/whois <nick>"));
        assert_eq!(parse_chat("/me"), usage("/me <action>"));
    }

    #[test]
    fn watch_and_account_commands() {
        assert_eq!(parse_chat("/watch"), hub(Command::Watch(Watch::List)));
        assert_eq!(
            parse_chat("/watch bob"),
            hub(Command::Watch(Watch::Add("bob".into())))
        );
        assert_eq!(
            parse_chat("/watch -bob"),
            hub(Command::Watch(Watch::Remove("bob".into())))
        );
        assert_eq!(
            parse_chat("/register s3cret!"),
            Typed::Account(AccountCommand::Register {
                password: "s3cret!".into()
            })
        );
        assert_eq!(parse_chat("/register"), usage("/register <password>"));
        assert_eq!(
            parse_chat("/register two words"),
            usage("/register <password>")
        );
        assert_eq!(
            parse_chat("/password old new"),
            Typed::Account(AccountCommand::ChangePassword {
                old: "old".into(),
                new: "new".into()
            })
        );
        assert_eq!(parse_chat("/password old"), usage("/password <old> <new>"));
    }

    #[test]
    fn unknown_commands_are_named() {
        assert_eq!(
            parse_chat("/frobnicate now"),
            Typed::Error(ChatError::UnknownCommand("/frobnicate".into()))
        );
    }

    #[test]
    fn the_login_prompt_takes_a_nickname_or_quit() {
        assert_eq!(
            parse_login(" lincoln "),
            hub(Command::Login {
                nick: "lincoln".into(),
                identity: None
            })
        );
        assert_eq!(parse_login("/quit"), hub(Command::Quit { message: None }));
        assert_eq!(parse_login("/join x"), Typed::Error(ChatError::NotLoggedIn));
        assert_eq!(parse_login(""), Typed::Blank);
    }
}
