//! IRC messages by the grammar of RFC 1459/2812 and the IRCv3 message-tags
//! spec: `[@tags ] [:prefix ] COMMAND [params…] [:trailing]`. Pure. Tags
//! are parsed by [`super::tags`].

use super::tags::{self, Tag};

/// The longest message without tags, CR LF included (RFC 2812 §2.3).
pub const MAX_LINE: usize = 512;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The client's tags, unescaped (message-tags).
    pub tags: Vec<Tag>,
    /// Upper-cased.
    pub command: String,
    pub params: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Nothing but spaces (or tags and a prefix).
    Empty,
    /// The message, tags aside, is longer than 512 bytes, or its tags are
    /// longer than 4094.
    TooLong,
}

impl Message {
    /// Parses one line (without its CR LF).
    pub fn parse(line: &str) -> Result<Message, ParseError> {
        let mut rest = line;
        let mut tags = Vec::new();
        if let Some(tagged) = rest.strip_prefix('@') {
            // Tags end at the first space.
            let (data, after) = tagged.split_once(' ').unwrap_or((tagged, ""));
            tags = tags::parse(data).map_err(|_| ParseError::TooLong)?;
            rest = after;
        }
        // The 512-byte limit counts what follows the tags, CR LF included.
        if rest.len() + 2 > MAX_LINE {
            return Err(ParseError::TooLong);
        }
        rest = rest.trim_start_matches(' ');
        if let Some(prefixed) = rest.strip_prefix(':') {
            rest = prefixed.split_once(' ').map(|(_, r)| r).unwrap_or("");
            rest = rest.trim_start_matches(' ');
        }
        let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
        if command.is_empty() {
            return Err(ParseError::Empty);
        }
        let mut params = Vec::new();
        loop {
            rest = rest.trim_start_matches(' ');
            if rest.is_empty() {
                break;
            }
            if let Some(trailing) = rest.strip_prefix(':') {
                params.push(trailing.to_string());
                break;
            }
            let (param, after) = rest.split_once(' ').unwrap_or((rest, ""));
            params.push(param.to_string());
            rest = after;
        }
        Ok(Message {
            tags,
            command: command.to_ascii_uppercase(),
            params,
        })
    }

    /// Parameter `i`, or `""`.
    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map(String::as_str).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Message {
        Message::parse(line).unwrap()
    }

    #[test]
    fn command_and_middle_params() {
        let m = parse("USER guest 0 * :Ronnie Reagan");
        assert_eq!(m.command, "USER");
        assert_eq!(m.params, ["guest", "0", "*", "Ronnie Reagan"]);
    }

    #[test]
    fn commands_are_case_insensitive() {
        assert_eq!(parse("privmsg #a :hi").command, "PRIVMSG");
    }

    #[test]
    fn prefix_and_tags_are_skipped() {
        let m = parse("@time=2023-01-01T00:00:00Z;msgid=x :nick!u@h PRIVMSG #chan :hello there");
        assert_eq!(m.command, "PRIVMSG");
        assert_eq!(m.params, ["#chan", "hello there"]);
    }

    #[test]
    fn tags_are_kept_unescaped() {
        let m = parse(r"@+draft/reply=a\sb;time=x PRIVMSG #chan :hi");
        assert_eq!(m.tags.len(), 2);
        assert_eq!(
            (m.tags[0].key.as_str(), m.tags[0].value.as_str()),
            ("+draft/reply", "a b")
        );
        let huge = format!("@+a={} PRIVMSG #a :hi", "x".repeat(5000));
        assert_eq!(Message::parse(&huge), Err(ParseError::TooLong));
    }

    #[test]
    fn trailing_keeps_colons_and_spaces() {
        let m = parse("PRIVMSG bob :: smile  :)");
        assert_eq!(m.params, ["bob", ": smile  :)"]);
        assert_eq!(parse("TOPIC #a :").params, ["#a", ""]);
    }

    #[test]
    fn extra_spaces_between_params_are_ignored() {
        assert_eq!(parse("JOIN   #a,#b    key").params, ["#a,#b", "key"]);
    }

    #[test]
    fn empty_and_prefix_only_lines_are_errors() {
        assert_eq!(Message::parse(""), Err(ParseError::Empty));
        assert_eq!(Message::parse("   "), Err(ParseError::Empty));
        assert_eq!(Message::parse(":prefix"), Err(ParseError::Empty));
        assert_eq!(Message::parse("@tags"), Err(ParseError::Empty));
    }

    #[test]
    fn over_512_bytes_is_too_long_but_tags_do_not_count() {
        let long = format!("PRIVMSG #a :{}", "x".repeat(500));
        assert_eq!(Message::parse(&long), Err(ParseError::TooLong));
        let fits = format!("PRIVMSG #a :{}", "x".repeat(498));
        assert!(Message::parse(&fits).is_ok());
        let tagged = format!("@+{} {fits}", "t".repeat(3000));
        assert!(Message::parse(&tagged).is_ok());
    }
}
