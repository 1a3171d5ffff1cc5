//! IRCv3 message tags (ircv3.net "Message Tags"): the `@key=value;…` part
//! in front of a message. Parses a client's tags (escaping, the size limit,
//! keys by the grammar) and writes the server's. Pure.

use std::time::SystemTime;

use crate::model::ClientTags;

/// A client may send up to 4094 bytes of tag data, the `@` and the space
/// after it not counted; more is refused with ERR_INPUTTOOLONG.
pub const MAX_CLIENT_TAG_DATA: usize = 4094;

/// One tag: a key with `+` for a client-only tag, and its value unescaped
/// (a tag without a value has an empty one: the spec makes them the same).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Tag {
    /// A `+key`: made up by clients, for other clients; the server relays
    /// it without reading it.
    pub fn client_only(&self) -> bool {
        self.key.starts_with('+')
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagError {
    /// Over [`MAX_CLIENT_TAG_DATA`] bytes.
    TooLong,
}

/// Parses the tag data of a client's message (what follows `@`, up to the
/// space). A tag whose key breaks the grammar is dropped, not the message:
/// the spec lets a server ignore tags it cannot read; of a key given twice
/// the last value counts.
pub fn parse(data: &str) -> Result<Vec<Tag>, TagError> {
    if data.len() > MAX_CLIENT_TAG_DATA {
        return Err(TagError::TooLong);
    }
    let mut tags: Vec<Tag> = Vec::new();
    for item in data.split(';').filter(|item| !item.is_empty()) {
        let (key, value) = item.split_once('=').unwrap_or((item, ""));
        if !valid_key(key) {
            continue;
        }
        let value = unescape(value);
        match tags.iter_mut().find(|tag| tag.key == key) {
            Some(tag) => tag.value = value,
            None => tags.push(Tag {
                key: key.to_string(),
                value,
            }),
        }
    }
    Ok(tags)
}

/// `['+'] [vendor '/'] name`: the vendor a host name, the name letters,
/// digits and `-`.
fn valid_key(key: &str) -> bool {
    let key = key.strip_prefix('+').unwrap_or(key);
    let (vendor, name) = match key.rsplit_once('/') {
        Some((vendor, name)) => (Some(vendor), name),
        None => (None, key),
    };
    let name_ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let vendor_ok = vendor.is_none_or(|v| {
        !v.is_empty()
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    });
    name_ok && vendor_ok
}

/// The escaping of tag values: `\:` for `;`, `\s` for a space, `\\`, `\r`,
/// `\n`; any other escaped character stands for itself and a lone `\` at
/// the end is dropped.
pub fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(':') => out.push(';'),
            Some('s') => out.push(' '),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            ';' => out.push_str("\\:"),
            ' ' => out.push_str("\\s"),
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The client-only tags among a client's `tags`, to pass on with its line.
pub fn client_only(tags: &[Tag]) -> ClientTags {
    let pairs = tags.iter().filter(|tag| tag.client_only());
    ClientTags::new(pairs.map(|t| (t.key.clone(), t.value.clone())).collect())
}

/// The tags the server puts on one outgoing line, written as `@k=v;k2 `.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutTags(Vec<(String, String)>);

impl OutTags {
    pub fn new() -> OutTags {
        OutTags::default()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds `key=value`; an empty value is written as the key alone.
    pub fn add(&mut self, key: &str, value: &str) -> &mut OutTags {
        self.0.push((key.to_string(), value.to_string()));
        self
    }

    /// Adds the client-only tags a line came with, as a relay passes them on.
    pub fn relay(&mut self, tags: &ClientTags) -> &mut OutTags {
        for (key, value) in tags.iter() {
            self.add(key, value);
        }
        self
    }

    /// What goes in front of a line: empty, or the tags and a space.
    pub fn prefix(&self) -> String {
        match self.is_empty() {
            true => String::new(),
            false => format!("@{} ", self.data(&[])),
        }
    }

    /// `line` with these tags in front; a line that has tags already keeps
    /// them, and gets only those of these whose keys it lacks.
    pub fn apply(&self, line: &str) -> String {
        let Some(tagged) = line.strip_prefix('@') else {
            return format!("{}{line}", self.prefix());
        };
        let (data, rest) = tagged.split_once(' ').unwrap_or((tagged, ""));
        let present: Vec<&str> = data
            .split(';')
            .map(|item| item.split_once('=').map_or(item, |(key, _)| key))
            .collect();
        let added = self.data(&present);
        match added.is_empty() {
            true => line.to_string(),
            false => format!("@{added};{data} {rest}"),
        }
    }

    fn data(&self, except: &[&str]) -> String {
        let mut out = String::new();
        for (key, value) in self.0.iter().filter(|(k, _)| !except.contains(&k.as_str())) {
            if !out.is_empty() {
                out.push(';');
            }
            out.push_str(key);
            if !value.is_empty() {
                out.push('=');
                out.push_str(&escape(value));
            }
        }
        out
    }
}

/// The `time` tag's value (server-time): `YYYY-MM-DDThh:mm:ss.sssZ`, UTC.
pub fn server_time(at: SystemTime) -> String {
    crate::clock::iso8601_millis(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn tag(key: &str, value: &str) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }

    #[test]
    fn tags_with_and_without_values() {
        assert_eq!(
            parse("+draft/reply=12;+example.com/x;msgid=abc").unwrap(),
            [
                tag("+draft/reply", "12"),
                tag("+example.com/x", ""),
                tag("msgid", "abc")
            ]
        );
        assert_eq!(parse("a=;b").unwrap(), [tag("a", ""), tag("b", "")]);
    }

    #[test]
    fn values_are_unescaped() {
        assert_eq!(
            parse(r"+x=semi\:space\sback\\cr\rlf\n").unwrap(),
            [tag("+x", "semi;space back\\cr\rlf\n")]
        );
        // An unknown escape is the character; a trailing backslash goes.
        assert_eq!(unescape(r"\b\"), "b");
    }

    #[test]
    fn escaping_round_trips() {
        let value = "a;b c\\d\r\n";
        assert_eq!(unescape(&escape(value)), value);
        assert_eq!(escape(value), r"a\:b\sc\\d\r\n");
    }

    #[test]
    fn the_last_of_a_repeated_key_counts_and_bad_keys_are_dropped() {
        assert_eq!(parse("+a=1;+a=2").unwrap(), [tag("+a", "2")]);
        assert_eq!(
            parse("bad key=1;+ok=2;=3;+/x=4;+v/=5").unwrap(),
            [tag("+ok", "2")]
        );
    }

    #[test]
    fn over_4094_bytes_of_tag_data_is_refused() {
        let fits = format!("+a={}", "x".repeat(MAX_CLIENT_TAG_DATA - 3));
        assert!(parse(&fits).is_ok());
        let over = format!("+a={}", "x".repeat(MAX_CLIENT_TAG_DATA - 2));
        assert_eq!(parse(&over), Err(TagError::TooLong));
    }

    #[test]
    fn server_tags_are_written_escaped_and_only_client_tags_relayed() {
        assert_eq!(OutTags::new().prefix(), "");
        let from_client = [tag("+draft/react", "a b"), tag("label", "x")];
        let mut out = OutTags::new();
        out.add("time", "2026-12-04T02:00:00.000Z")
            .relay(&client_only(&from_client));
        assert_eq!(
            out.prefix(),
            r"@time=2026-12-04T02:00:00.000Z;+draft/react=a\sb "
        );
    }

    #[test]
    fn tags_merge_with_a_line_that_has_some() {
        let mut out = OutTags::new();
        out.add("time", "T").add("msgid", "7");
        assert_eq!(
            out.apply(":a PRIVMSG b :c"),
            "@time=T;msgid=7 :a PRIVMSG b :c"
        );
        assert_eq!(out.apply("@time=X :a B"), "@msgid=7;time=X :a B");
        assert_eq!(out.apply("@time=X;msgid=1 :a B"), "@time=X;msgid=1 :a B");
    }

    #[test]
    fn server_time_has_milliseconds_and_z() {
        let at = UNIX_EPOCH + Duration::from_millis(1_318_092_051_620);
        assert_eq!(server_time(at), "2011-10-08T16:40:51.620Z");
        assert_eq!(server_time(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }
}
