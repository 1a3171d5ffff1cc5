//! The text door's decoder: raw telnet/netcat bytes in, lines out. Pure: no
//! sockets. Telnet negotiation (RFC 854/855) is consumed, backspace and DEL
//! edit the line being typed, any of CR LF, LF, CR NUL or a bare CR ends a
//! line, and invalid UTF-8 becomes U+FFFD instead of an error.

/// What the decoder found in the bytes fed to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Line(String),
    /// A line longer than the limit ended; its bytes were dropped. The next
    /// line starts clean, so the stream stays in sync.
    TooLong,
    /// A telnet option request (`WILL`/`WONT`/`DO`/`DONT`, option).
    Negotiation {
        verb: u8,
        option: u8,
    },
}

pub const IAC: u8 = 255;
pub const WILL: u8 = 251;
pub const WONT: u8 = 252;
pub const DO: u8 = 253;
pub const DONT: u8 = 254;
/// The telnet ECHO option (RFC 857).
pub const ECHO: u8 = 1;
const SB: u8 = 250;
const SE: u8 = 240;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Telnet {
    Data,
    /// Just saw IAC.
    Command,
    /// Saw IAC WILL/WONT/DO/DONT; the option byte comes next.
    Option(u8),
    /// Inside IAC SB … IAC SE: consumed, never stored, so it costs no memory.
    Sub,
    SubCommand,
}

pub struct LineDecoder {
    max_line: usize,
    /// Telnet mode: IAC sequences are commands and backspace edits. Off for
    /// protocols whose clients send neither (IRC).
    telnet_mode: bool,
    line: Vec<u8>,
    overflow: bool,
    /// Bytes of the line being received, kept or dropped.
    unterminated: usize,
    /// The previous byte ended a line with CR: a following LF or NUL belongs to it.
    after_cr: bool,
    telnet: Telnet,
}

impl LineDecoder {
    /// `max_line` is the longest line, in bytes, that is passed on.
    pub fn new(max_line: usize) -> LineDecoder {
        LineDecoder {
            max_line,
            telnet_mode: true,
            line: Vec::new(),
            overflow: false,
            unterminated: 0,
            after_cr: false,
            telnet: Telnet::Data,
        }
    }

    /// A decoder for plain lines: every byte but CR, LF and NUL is data.
    pub fn plain(max_line: usize) -> LineDecoder {
        LineDecoder {
            telnet_mode: false,
            ..LineDecoder::new(max_line)
        }
    }

    /// Decodes `bytes`, appending what they complete to `out`. A partial line
    /// waits for the next call.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Input>) {
        for &byte in bytes {
            match self.telnet {
                Telnet::Data => self.data(byte, out),
                Telnet::Command => {
                    self.telnet = match byte {
                        // IAC IAC is a literal 255; in UTF-8 text it can only be
                        // garbage, and it ends up as U+FFFD.
                        IAC => {
                            self.push(IAC);
                            Telnet::Data
                        }
                        WILL | WONT | DO | DONT => Telnet::Option(byte),
                        SB => Telnet::Sub,
                        // NOP, AYT, GA, IP, …: two-byte commands, dropped.
                        _ => Telnet::Data,
                    }
                }
                Telnet::Option(verb) => {
                    out.push(Input::Negotiation { verb, option: byte });
                    self.telnet = Telnet::Data;
                }
                Telnet::Sub => {
                    if byte == IAC {
                        self.telnet = Telnet::SubCommand;
                    }
                }
                Telnet::SubCommand => {
                    self.telnet = if byte == SE {
                        Telnet::Data
                    } else {
                        Telnet::Sub
                    };
                }
            }
        }
    }

    fn data(&mut self, byte: u8, out: &mut Vec<Input>) {
        let after_cr = std::mem::take(&mut self.after_cr);
        match byte {
            IAC if self.telnet_mode => self.telnet = Telnet::Command,
            b'\n' | 0 if after_cr => {}
            b'\n' => self.end_line(out),
            b'\r' => {
                self.end_line(out);
                self.after_cr = true;
            }
            0x08 | 0x7f if self.telnet_mode => self.erase_char(),
            _ => self.push(byte),
        }
    }

    /// The longest line passed on, in bytes.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// How many bytes the line being received has had so far, including
    /// those dropped because it is too long: a stream without line ends
    /// shows here, since it never completes an input.
    pub fn unterminated(&self) -> usize {
        self.unterminated
    }

    fn push(&mut self, byte: u8) {
        self.unterminated += 1;
        if self.line.len() >= self.max_line {
            self.overflow = true;
            self.line.clear();
        }
        if !self.overflow {
            self.line.push(byte);
        }
    }

    /// Removes the last character typed, all of its UTF-8 bytes.
    fn erase_char(&mut self) {
        while let Some(byte) = self.line.pop() {
            if byte & 0b1100_0000 != 0b1000_0000 {
                break;
            }
        }
    }

    fn end_line(&mut self, out: &mut Vec<Input>) {
        self.unterminated = 0;
        let overflow = std::mem::take(&mut self.overflow);
        let line = String::from_utf8_lossy(&self.line);
        // Each invalid byte becomes a 3-byte U+FFFD: the limit holds for
        // what is passed on, not only for what was received (found by fuzzing).
        if overflow || line.len() > self.max_line {
            out.push(Input::TooLong);
        } else {
            out.push(Input::Line(line.into_owned()));
        }
        self.line.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(chunks: &[&[u8]]) -> Vec<Input> {
        let mut decoder = LineDecoder::new(16);
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk, &mut out);
        }
        out
    }

    fn line(s: &str) -> Input {
        Input::Line(s.to_string())
    }

    #[test]
    fn every_line_ending_ends_a_line_once() {
        assert_eq!(
            decode(&[b"a\r\nb\nc\r\0d\re\n"]),
            vec![line("a"), line("b"), line("c"), line("d"), line("e")]
        );
    }

    #[test]
    fn half_a_line_waits_for_the_rest() {
        assert_eq!(decode(&[b"hel", b"lo\r", b"\nx"]), vec![line("hello")]);
    }

    #[test]
    fn bytes_without_a_line_end_are_counted_even_when_dropped() {
        let mut decoder = LineDecoder::new(16);
        let mut out = Vec::new();
        decoder.feed(&[b'x'; 100], &mut out);
        assert_eq!((out.len(), decoder.unterminated()), (0, 100));
        decoder.feed(b"\nab", &mut out);
        assert_eq!(out, vec![Input::TooLong]);
        assert_eq!(decoder.unterminated(), 2);
    }

    #[test]
    fn empty_lines_are_lines() {
        assert_eq!(decode(&[b"\r\n\n"]), vec![line(""), line("")]);
    }

    #[test]
    fn telnet_negotiation_is_consumed() {
        let out = decode(&[&[IAC, WILL, 1, b'h', IAC, DO, 3, b'i', b'\n']]);
        assert_eq!(
            out,
            vec![
                Input::Negotiation {
                    verb: WILL,
                    option: 1
                },
                Input::Negotiation {
                    verb: DO,
                    option: 3
                },
                line("hi"),
            ]
        );
    }

    #[test]
    fn subnegotiation_and_two_byte_commands_vanish() {
        let bytes = [
            IAC, SB, 24, 0, b'x', b't', b'e', b'r', b'm', IAC, SE, b'o', IAC, 241, b'k', b'\n',
        ];
        assert_eq!(decode(&[&bytes]), vec![line("ok")]);
    }

    #[test]
    fn a_command_split_across_reads_is_still_consumed() {
        assert_eq!(
            decode(&[&[b'a', IAC], &[WONT], &[1, b'b', b'\n']])[1],
            line("ab")
        );
    }

    #[test]
    fn backspace_and_del_erase_whole_characters() {
        assert_eq!(decode(&[b"abx\x08c\x7f\x7fd\n"]), vec![line("ad")]);
        assert_eq!(decode(&["né\x7f\n".as_bytes()]), vec![line("n")]);
        assert_eq!(decode(&[b"\x08\x08a\n"]), vec![line("a")]);
    }

    #[test]
    fn plain_mode_passes_iac_and_backspace_through() {
        let mut decoder = LineDecoder::plain(16);
        let mut out = Vec::new();
        decoder.feed(&[b'a', IAC, WILL, 1, 0x08, b'\n'], &mut out);
        assert_eq!(
            out,
            vec![Input::Line(
                String::from_utf8_lossy(&[b'a', IAC, WILL, 1, 0x08]).into_owned()
            )]
        );
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(
            decode(&[b"a\xc3(\xfeb\n"]),
            vec![line("a\u{fffd}(\u{fffd}b")]
        );
    }

    #[test]
    fn an_overlong_line_is_reported_and_the_next_one_is_clean() {
        let long = vec![b'x'; 100_000];
        let out = decode(&[&long, b"\r\nshort\r\n"]);
        assert_eq!(out, vec![Input::TooLong, line("short")]);
    }

    #[test]
    fn invalid_utf8_cannot_stretch_a_line_past_the_limit() {
        let mut raw = vec![0x80u8; 16];
        raw.push(b'\n');
        assert_eq!(decode(&[&raw]), vec![Input::TooLong]);
        let mut fits = vec![0x80u8; 5];
        fits.push(b'\n');
        assert_eq!(decode(&[&fits]), vec![line(&"\u{fffd}".repeat(5))]);
    }

    #[test]
    fn a_line_of_exactly_the_limit_passes() {
        assert_eq!(decode(&[&[b'y'; 16], b"\n"]), vec![line(&"y".repeat(16))]);
        assert_eq!(decode(&[&[b'y'; 17], b"\n"]), vec![Input::TooLong]);
    }
}
