//! Keeps one user's bytes from steering another user's terminal or display:
//! control characters, ANSI/OSC escape sequences, and the invisible
//! characters that reorder or hide text (bidi overrides, zero-width marks)
//! are removed from text before the hub ever sees it, whichever door it came
//! through.

/// Returns `text` without C0/C1 control characters, DEL, or the escape
/// sequences that start with them (CSI `ESC [ … final`, OSC `ESC ] … BEL/ST`,
/// DCS/SOS/PM/APC strings, and two-character `ESC x`), and without the
/// [`is_hidden`] characters. A tab becomes a space.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push(' '),
            // A zero-width joiner inside an emoji sequence (👨‍👩‍👧, 🏳️‍🌈) only
            // joins pictures; anywhere else it hides a character boundary.
            '\u{200d}'
                if out.chars().next_back().is_some_and(is_pictograph)
                    && chars.peek().copied().is_some_and(is_pictograph) =>
            {
                out.push(c)
            }
            c if is_hidden(c) => {}
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

/// The characters that change how the text around them is shown while not
/// being seen themselves (issue 16: "evil\u{202e}gnp.exe" shows as
/// "evilexe.png"): the bidi embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069) and marks (U+200E, U+200F, U+061C), the zero-width space,
/// joiners and word joiner (U+200B–U+200D, U+2060–U+2064), the byte-order
/// mark (U+FEFF), and the line and paragraph separators (U+2028, U+2029),
/// which some clients show as a line break: a fake line from someone else.
pub fn is_hidden(c: char) -> bool {
    matches!(
        c,
        '\u{61c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// The first [`is_hidden`] character of `text`, if any.
pub fn first_hidden(text: &str) -> Option<char> {
    text.chars().find(|&c| is_hidden(c))
}

/// Emoji a zero-width joiner may stand between, approximately (no Unicode
/// tables here): the pictograph blocks, with U+FE0F, the emoji presentation
/// selector that often comes just before the joiner.
fn is_pictograph(c: char) -> bool {
    matches!(c, '\u{2600}'..='\u{27bf}' | '\u{fe0f}' | '\u{1f000}'..='\u{1faff}')
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

    #[test]
    fn bidi_controls_and_zero_width_characters_go() {
        assert_eq!(clean("evil\u{202e}gnp.exe"), "evilgnp.exe");
        for hidden in [
            '\u{202a}', '\u{202d}', '\u{2066}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{61c}',
            '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{2028}',
        ] {
            assert_eq!(
                clean(&format!("a{hidden}b")),
                "ab",
                "{}",
                hidden.escape_unicode()
            );
        }
    }

    #[test]
    fn a_zero_width_joiner_inside_an_emoji_stays() {
        let family = "👨\u{200d}👩\u{200d}👧";
        assert_eq!(clean(family), family);
        let rainbow = "🏳\u{fe0f}\u{200d}🌈";
        assert_eq!(clean(rainbow), rainbow);
        assert_eq!(clean("👨\u{200d}x"), "👨x");
        assert_eq!(clean("x\u{200d}👩"), "x👩");
        assert_eq!(clean(&clean("👨\u{200d}\u{200b}👩")), "👨👩");
    }
}
