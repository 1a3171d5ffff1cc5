//! Channel mode strings as IRC writes them (`+o-v alice bob`, `+k key`,
//! `+l 10`, `+b` alone for the ban list), for every door that takes them,
//! and the mark a member's modes put before their nickname. Pure.

use crate::hub::{ChannelMode, MaskKind, Member, ModeChange};

/// `@` before a channel operator, `+` before a voiced member, as IRC's
/// NAMES shows them (and the other doors' member lists too).
pub fn member_prefix(member: &Member) -> &'static str {
    if member.op {
        "@"
    } else if member.voiced {
        "+"
    } else {
        ""
    }
}

/// The member's nickname after their [`member_prefix`].
pub fn prefixed_nick(member: &Member) -> String {
    format!("{}{}", member_prefix(member), member.user.nick)
}

/// What a mode string asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModeRequest {
    /// No changes: what are the modes?
    Query,
    /// `+b` or `+I` without a mask: show that list.
    List(MaskKind),
    Change(Vec<ModeChange>),
}

/// Parses `words` (the mode string and its parameters). Unknown letters are
/// returned as the error so the door can name them.
pub fn parse(words: &[&str]) -> Result<ModeRequest, char> {
    let Some((modes, params)) = words.split_first() else {
        return Ok(ModeRequest::Query);
    };
    let mut params = params.iter().map(|p| p.to_string());
    let mut add = true;
    let mut changes = Vec::new();
    for letter in modes.chars() {
        let mode = match letter {
            '+' => {
                add = true;
                continue;
            }
            '-' => {
                add = false;
                continue;
            }
            'o' => ChannelMode::Op(params.next().unwrap_or_default()),
            'v' => ChannelMode::Voice(params.next().unwrap_or_default()),
            'b' | 'I' => match params.next() {
                Some(mask) if letter == 'b' => ChannelMode::Ban(mask),
                Some(mask) => ChannelMode::InviteException(mask),
                None if changes.is_empty() => {
                    return Ok(ModeRequest::List(match letter {
                        'b' => MaskKind::Bans,
                        _ => MaskKind::InviteExceptions,
                    }))
                }
                None => continue,
            },
            // RFC 2811 wants the key with -k too; take it if it is there.
            'k' => ChannelMode::Key(params.next()),
            'l' if add => ChannelMode::Limit(params.next().and_then(|l| l.parse().ok())),
            'l' => ChannelMode::Limit(None),
            'i' => ChannelMode::InviteOnly,
            'm' => ChannelMode::Moderated,
            'n' => ChannelMode::NoOutside,
            's' => ChannelMode::Secret,
            'C' => ChannelMode::NoCtcp,
            't' => ChannelMode::TopicOps,
            other => return Err(other),
        };
        changes.push(ModeChange { add, mode });
    }
    Ok(ModeRequest::Change(changes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(add: bool, mode: ChannelMode) -> ModeChange {
        ModeChange { add, mode }
    }

    #[test]
    fn flags_and_parameters_pair_up_in_order() {
        assert_eq!(
            parse(&["+o-v+k", "alice", "bob", "sesame"]),
            Ok(ModeRequest::Change(vec![
                change(true, ChannelMode::Op("alice".into())),
                change(false, ChannelMode::Voice("bob".into())),
                change(true, ChannelMode::Key(Some("sesame".into()))),
            ]))
        );
        assert_eq!(
            parse(&["+imnstCl", "5"]),
            Ok(ModeRequest::Change(vec![
                change(true, ChannelMode::InviteOnly),
                change(true, ChannelMode::Moderated),
                change(true, ChannelMode::NoOutside),
                change(true, ChannelMode::Secret),
                change(true, ChannelMode::TopicOps),
                change(true, ChannelMode::NoCtcp),
                change(true, ChannelMode::Limit(Some(5))),
            ]))
        );
        assert_eq!(
            parse(&["-lk"]),
            Ok(ModeRequest::Change(vec![
                change(false, ChannelMode::Limit(None)),
                change(false, ChannelMode::Key(None)),
            ]))
        );
    }

    #[test]
    fn a_list_mode_without_a_mask_asks_for_the_list() {
        assert_eq!(parse(&["+b"]), Ok(ModeRequest::List(MaskKind::Bans)));
        assert_eq!(
            parse(&["I"]),
            Ok(ModeRequest::List(MaskKind::InviteExceptions))
        );
        assert_eq!(
            parse(&["+b", "*!*@192.0.2.*"]),
            Ok(ModeRequest::Change(vec![change(
                true,
                ChannelMode::Ban("*!*@192.0.2.*".into())
            )]))
        );
        assert_eq!(parse(&[]), Ok(ModeRequest::Query));
    }

    #[test]
    fn unknown_letters_are_named() {
        assert_eq!(parse(&["+q"]), Err('q'));
    }
}
