//! What the text door does to a typed line: `sanitize::clean`, then
//! `parse_login` or `parse_chat`. Run on the whole input taken as UTF-8
//! (lossily), and on every line a `LineDecoder` (max_line 1024, the default
//! limit) makes of it.
//!
//! Checked for `clean`:
//! - the output holds no control character: no C0 (a tab becomes a space),
//!   no ESC, no DEL, no C1 (U+0080..=U+009F);
//! - it is a subsequence of the input (tabs read as spaces): clean only drops;
//! - no hidden character (bidi control, zero-width mark) is left but a
//!   zero-width joiner between two emoji;
//! - it is idempotent, and text without controls or hidden characters comes
//!   back unchanged.
//!
//! Checked for the parsers: `Blank` exactly for blank lines; a plain line (or
//! `//…`) is said verbatim; every argument the parser pulls out is non-empty
//! and trimmed where the command needs one, a nickname/password argument holds
//! no space, and the login prompt's nickname is the trimmed line. Commands
//! added later than this target are only run, not checked.
//!
//! Checked for `door::modes::parse` (the line's words as a mode string and
//! its parameters): an error names a letter of the mode string that is not a
//! mode; a change list has at most one change per mode letter.
#![no_main]

use chatd::door::modes::{self, ModeRequest};
use chatd::door::sanitize::{clean, is_hidden};
use chatd::door::text::codec::{Input, LineDecoder};
use chatd::door::text::parse::{parse_chat, parse_login, AccountCommand, Typed};
use chatd::hub::{ChatError, Command, Watch};
use libfuzzer_sys::fuzz_target;

fn check_clean(input: &str) -> String {
    let out = clean(input);
    for c in out.chars() {
        assert!(
            !c.is_control()
                && c != '\u{1b}'
                && c != '\u{7f}'
                && !('\u{0}'..='\u{1f}').contains(&c)
                && !('\u{80}'..='\u{9f}').contains(&c),
            "clean left {c:?} in {out:?} (from {input:?})"
        );
    }
    let kept: Vec<char> = out.chars().collect();
    for (i, &c) in kept.iter().enumerate() {
        let joins = c == '\u{200d}' && i > 0 && i + 1 < kept.len();
        assert!(!is_hidden(c) || joins, "clean left {c:?} in {out:?}");
    }
    let mut source = input.chars().map(|c| if c == '\t' { ' ' } else { c });
    for c in out.chars() {
        assert!(
            source.any(|s| s == c),
            "clean made {out:?}, not a subsequence of {input:?}"
        );
    }
    assert_eq!(clean(&out), out, "clean is not idempotent on {input:?}");
    if !input.chars().any(|c| c.is_control() || is_hidden(c)) {
        assert_eq!(out, input, "clean changed text without controls");
    }
    out
}

fn nonempty_trimmed(what: &str, s: &str, line: &str) {
    assert!(!s.is_empty(), "{what} is empty for {line:?}");
    assert_eq!(s, s.trim(), "{what} {s:?} not trimmed for {line:?}");
}

fn one_word(what: &str, s: &str, line: &str) {
    assert!(!s.is_empty(), "{what} is empty for {line:?}");
    assert!(!s.contains(' '), "{what} {s:?} holds a space for {line:?}");
}

fn check_chat(line: &str) {
    let typed = parse_chat(line);
    assert_eq!(
        typed == Typed::Blank,
        line.trim().is_empty(),
        "Blank vs blank line {line:?}: {typed:?}"
    );
    if typed == Typed::Blank {
        return;
    }
    match line.strip_prefix('/') {
        None => assert_eq!(
            typed,
            Typed::Hub(Command::Say {
                tags: chatd::model::ClientTags::NONE,
                channel: None,
                text: line.to_string(),
                action: false
            }),
            "a plain line is said as it is"
        ),
        Some(said) if said.starts_with('/') => assert_eq!(
            typed,
            Typed::Hub(Command::Say {
                tags: chatd::model::ClientTags::NONE,
                channel: None,
                text: said.to_string(),
                action: false
            }),
            "//text says /text"
        ),
        Some(_) => {}
    }
    match &typed {
        Typed::Blank | Typed::Help => {}
        Typed::Hub(command) => match command {
            Command::Join { channel } => nonempty_trimmed("channel", channel, line),
            Command::Part {
                channel: Some(c), ..
            } => nonempty_trimmed("channel", c, line),
            Command::Whois { nick } => nonempty_trimmed("nick", nick, line),
            Command::Private {
                tags: _,
                to,
                text,
                action,
            } => {
                assert!(!action);
                one_word("recipient", to, line);
                nonempty_trimmed("private text", text, line);
            }
            Command::Say {
                text, action: true, ..
            } => nonempty_trimmed("action", text, line),
            Command::Say {
                text,
                action: false,
                ..
            } => assert!(!text.trim().is_empty(), "blank Say for {line:?}"),
            Command::Watch(Watch::Add(nick)) => {
                nonempty_trimmed("watched nick", nick, line);
                assert!(!nick.starts_with('-'), "Add({nick:?}) for {line:?}");
            }
            Command::Watch(Watch::Remove(nick)) => {
                assert_eq!(nick, nick.trim(), "Remove({nick:?}) for {line:?}")
            }
            Command::Quit { message: Some(m) } => nonempty_trimmed("quit message", m, line),
            Command::Away { message: Some(m) } => nonempty_trimmed("away message", m, line),
            Command::Away { message: None } => {}
            Command::Part { channel: None, .. }
            | Command::Quit { message: None }
            | Command::ListChannels { .. }
            | Command::Names { channel: None, .. }
            | Command::Who { mask: None }
            | Command::Watch(Watch::List) => {}
            _ => {}
        },
        Typed::Account(AccountCommand::Register { password }) => {
            one_word("password", password, line)
        }
        Typed::Account(AccountCommand::ChangePassword { old, new }) => {
            one_word("old password", old, line);
            one_word("new password", new, line);
        }
        Typed::Account(AccountCommand::ChangeNick { nick }) => {
            nonempty_trimmed("new nick", nick, line)
        }
        Typed::Error(ChatError::UnknownCommand(word)) => {
            assert!(word.starts_with('/'), "unknown command {word:?}")
        }
        Typed::Error(ChatError::Usage(usage)) => assert!(usage.starts_with('/')),
        _ => {}
    }
}

fn check_login(line: &str) {
    let typed = parse_login(line);
    let trimmed = line.trim();
    match &typed {
        Typed::Blank => assert!(trimmed.is_empty(), "Blank for {line:?}"),
        Typed::Hub(Command::Login { nick, identity }) => {
            assert!(identity.is_none());
            assert_eq!(nick, trimmed, "the nickname is the trimmed line");
            assert!(!nick.is_empty() && !nick.starts_with('/'), "nick {nick:?}");
        }
        Typed::Hub(Command::Quit { message }) => {
            assert!(trimmed.starts_with('/'));
            if let Some(m) = message {
                nonempty_trimmed("quit message", m, line);
            }
        }
        Typed::Help | Typed::Error(ChatError::NotLoggedIn) => {
            assert!(trimmed.starts_with('/'), "{typed:?} for {line:?}")
        }
        other => panic!("parse_login made {other:?} of {line:?}"),
    }
}

fn check_modes(line: &str) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let letters = words
        .first()
        .map(|w| w.chars().filter(|c| !"+-".contains(*c)).count());
    match modes::parse(&words) {
        Err(letter) => {
            assert!(words[0].contains(letter), "{letter:?} not in {words:?}");
            assert!(!"+-ovbIklimnsCt".contains(letter), "{letter:?} is a mode");
        }
        Ok(ModeRequest::Change(changes)) => {
            assert!(
                changes.len() <= letters.unwrap_or(0),
                "{changes:?} from {words:?}"
            )
        }
        Ok(ModeRequest::Query) => assert!(words.is_empty()),
        Ok(ModeRequest::List(_)) => {}
    }
}

fn check_line(line: &str) {
    check_modes(line);
    let cleaned = check_clean(line);
    check_chat(line);
    check_login(line);
    check_chat(&cleaned);
    check_login(&cleaned);
}

fuzz_target!(|data: &[u8]| {
    check_line(&String::from_utf8_lossy(data));

    let mut decoder = LineDecoder::new(1024);
    let mut out = Vec::new();
    decoder.feed(data, &mut out);
    for input in out {
        if let Input::Line(line) = input {
            check_line(&line);
        }
    }
});
