//! Nicknames and channel names: what a valid one looks like, and identity that
//! ignores case (`Lincoln` and `lincoln` are the same person, `#weather` and
//! `Weather` the same channel). ASCII case-folding, announced to IRC clients as
//! `CASEMAPPING=ascii`. Uniqueness goes one step further: nicknames that look
//! alike (`bill`, `biII`, `B1ll`) share a [`skeleton`], and only one of them
//! may be on line or registered at a time (issue 16).

use std::fmt;

/// A validated nickname: keeps the spelling its owner chose for display, and
/// compares by its lowercase key.
#[derive(Clone, Debug)]
pub struct Nick {
    display: String,
    key: String,
}

/// Why a nickname was refused; the text says what a valid one looks like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NickError {
    Empty,
    TooLong { max: usize },
    BadFirst(char),
    BadChar(char),
}

impl fmt::Display for NickError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NickError::Empty => write!(f, "a nickname can't be empty"),
            NickError::TooLong { max } => write!(f, "a nickname has at most {max} characters"),
            NickError::BadFirst(c) => {
                write!(f, "a nickname can't start with '{c}'; start with a letter")
            }
            // Shown by code point when not ASCII: an invisible or
            // direction-changing character (issue 16) can't be shown itself.
            NickError::BadChar(c) if !c.is_ascii() => write!(
                f,
                "a nickname can't contain U+{:04X}; use ASCII letters, digits and -_[]{{}}|^",
                *c as u32
            ),
            NickError::BadChar(c) => write!(
                f,
                "a nickname can't contain '{}'; use letters, digits and -_[]{{}}|^",
                c.escape_default()
            ),
        }
    }
}

impl Nick {
    /// Checks a nickname: 1..=`max_len` of letters, digits and `-_[]{}|^`, not
    /// starting with a digit or `-` (so it can never be mistaken for a number
    /// or an option, and is a valid IRC nickname too).
    pub fn parse(raw: &str, max_len: usize) -> Result<Nick, NickError> {
        let mut chars = raw.chars();
        let first = chars.next().ok_or(NickError::Empty)?;
        if let Some(bad) = raw.chars().find(|c| !is_nick_char(*c)) {
            return Err(NickError::BadChar(bad));
        }
        if first.is_ascii_digit() || first == '-' {
            return Err(NickError::BadFirst(first));
        }
        if raw.len() > max_len {
            return Err(NickError::TooLong { max: max_len });
        }
        Ok(Nick {
            display: raw.to_string(),
            key: raw.to_ascii_lowercase(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The case-folded form, for maps and for the database.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl PartialEq for Nick {
    fn eq(&self, other: &Nick) -> bool {
        self.key == other.key
    }
}
impl Eq for Nick {}

impl fmt::Display for Nick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

fn is_nick_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_[]{}|^".contains(c)
}

/// The look-alike class of a nickname (issue 16): two nicknames with the
/// same skeleton are too easily taken for each other to be held by two
/// people. The rule is cheap and stated in full:
///
/// 1. ASCII case is folded, as for identity (`Bill` is `bill`);
/// 2. `i`, `l`, `1` and `|` are one letter (capital `I` folds to `i`, and
///    looks like `l`, so lowercase `i` joins them: `ali` and `all` count as
///    alike too, the price of a rule that ignores case);
/// 3. `o` and `0` are one letter;
/// 4. `rn` is `m` (`rnike` is `mike`).
///
/// Nicknames are ASCII only ([`Nick::parse`]), so no letter of another
/// script (Cyrillic `а`, Greek `ο`) can pass for a Latin one, and the rule
/// needs no Unicode confusables table. The skeleton is a function of the
/// case-folded key, so nicknames that are the same are always alike.
pub fn skeleton(nick: &str) -> String {
    let mut out = String::with_capacity(nick.len());
    for c in nick.chars() {
        let c = match c.to_ascii_lowercase() {
            'i' | '1' | '|' => 'l',
            '0' => 'o',
            c => c,
        };
        if c == 'n' && out.ends_with('r') {
            out.pop();
            out.push('m');
        } else {
            out.push(c);
        }
    }
    out
}

/// The lookup key for a channel name as a person types it: case-folded, with
/// one leading `#` (the IRC spelling) removed.
pub fn channel_key(typed: &str) -> String {
    typed
        .strip_prefix('#')
        .unwrap_or(typed)
        .to_ascii_lowercase()
}

/// Checks a channel name as it is configured: 1..=`max_len` of letters,
/// digits and `-_`, so that it fits every door (the book's protocol splits on
/// spaces; IRC adds the `#`).
pub fn check_channel_name(name: &str, max_len: usize) -> Result<(), String> {
    if name.is_empty() {
        return Err("a channel name can't be empty".into());
    }
    if name.len() > max_len {
        return Err(format!("a channel name has at most {max_len} characters"));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        Some(bad) => Err(format!(
            "a channel name can't contain '{}'; use letters, digits, - and _",
            bad.escape_default()
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_irc_nick_alphabet() {
        for ok in ["lincoln", "L", "bayla_2", "[away]", "a-b{c}|d^"] {
            assert!(Nick::parse(ok, 30).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_bad_nicks_with_reasons() {
        assert_eq!(Nick::parse("", 30), Err(NickError::Empty));
        assert_eq!(Nick::parse("9lives", 30), Err(NickError::BadFirst('9')));
        assert_eq!(Nick::parse("-x", 30), Err(NickError::BadFirst('-')));
        assert_eq!(Nick::parse("two words", 30), Err(NickError::BadChar(' ')));
        assert_eq!(Nick::parse("é", 30), Err(NickError::BadChar('é')));
        assert_eq!(
            Nick::parse(&"a".repeat(31), 30),
            Err(NickError::TooLong { max: 30 })
        );
        assert!(Nick::parse(&"a".repeat(30), 30).is_ok());
    }

    #[test]
    fn nicks_compare_without_case_but_keep_their_spelling() {
        let a = Nick::parse("Lincoln", 30).unwrap();
        let b = Nick::parse("lINCOLN", 30).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "Lincoln");
        assert_eq!(a.key(), "lincoln");
    }

    #[test]
    fn look_alikes_share_a_skeleton() {
        for (a, b) in [
            ("bill", "biII"),
            ("bill", "B1ll"),
            ("bill", "b|l1"),
            ("Bob", "B0B"),
            ("mike", "rnike"),
            ("Lincoln", "lINCOLN"),
            ("ali", "all"),
        ] {
            assert_eq!(skeleton(a), skeleton(b), "{a} and {b} look alike");
        }
        for (a, b) in [
            ("bill", "bull"),
            ("bob", "bop"),
            ("rn", "r_n"),
            ("ann", "arm"),
        ] {
            assert_ne!(skeleton(a), skeleton(b), "{a} and {b} look different");
        }
        assert_eq!(skeleton("B1ll_0rn"), "blll_om");
    }

    #[test]
    fn the_skeleton_follows_from_the_key() {
        for raw in ["BiLL", "IOlo", "RN", "[Away]|^"] {
            let nick = Nick::parse(raw, 30).unwrap();
            assert_eq!(skeleton(nick.as_str()), skeleton(nick.key()), "{raw}");
        }
    }

    #[test]
    fn channel_keys_ignore_case_and_one_hash() {
        assert_eq!(channel_key("#Weather"), "weather");
        assert_eq!(channel_key("WEATHER"), "weather");
        assert_eq!(channel_key("##x"), "#x");
    }

    #[test]
    fn channel_names_are_checked() {
        assert!(check_channel_name("CurrentEvents", 32).is_ok());
        assert!(check_channel_name("", 32).is_err());
        assert!(check_channel_name("two words", 32).is_err());
        assert!(check_channel_name(&"c".repeat(33), 32).is_err());
    }
}
