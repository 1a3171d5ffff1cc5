//! Keeps one user's bytes from steering another user's terminal: control
//! characters and ANSI/OSC escape sequences are removed from text before the
//! hub ever sees it, whichever door it came through.

/// Returns `text` without C0/C1 control characters, DEL, or the escape
/// sequences that start with them (CSI `ESC [ … final`, OSC `ESC ] … BEL/ST`,
/// DCS/SOS/PM/APC strings, and two-character `ESC x`). A tab becomes a space.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push(' '),
            '\u{1b}' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                // Two-character sequences (ESC c, ESC 7, …) and a lone ESC.
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Skips a CSI sequence's parameter and intermediate bytes up to and
/// including its final byte (0x40..=0x7E), as ECMA-48 §5.4 defines it.
fn skip_csi(chars: &mut impl Iterator<Item = char>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

/// Skips a control string up to its terminator: BEL (xterm's OSC end), ST as
/// `ESC \`, or the C1 ST character.
fn skip_string(chars: &mut std::iter::Peekable<impl Iterator<Item = char>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn plain_text_is_untouched() {
        assert_eq!(clean("it's raining in NY — ☔"), "it's raining in NY — ☔");
    }

    #[test]
    fn colour_and_cursor_sequences_go() {
        assert_eq!(clean("\x1b[31mred\x1b[0m"), "red");
        assert_eq!(clean("a\x1b[2J\x1b[Hb"), "ab");
        assert_eq!(clean("x\u{9b}31my"), "xy");
    }

    #[test]
    fn osc_titles_and_hyperlinks_go() {
        assert_eq!(clean("\x1b]0;pwned\x07hi"), "hi");
        assert_eq!(clean("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"), "link");
        assert_eq!(clean("\x1bPq#0;2\x1b\\ok"), "ok");
    }

    #[test]
    fn control_characters_go_and_tabs_become_spaces() {
        assert_eq!(clean("a\x07b\x08c\x7fd\x00e"), "abcde");
        assert_eq!(clean("a\tb"), "a b");
        assert_eq!(clean("\x1bc reset"), " reset");
        assert_eq!(clean("dangling\x1b"), "dangling");
    }
}
