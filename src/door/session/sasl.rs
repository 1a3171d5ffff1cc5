//! SASL PLAIN as IRCv3 `sasl-3.1` frames it: `AUTHENTICATE PLAIN`, then the
//! base64 of `authzid NUL authcid NUL password` in chunks of up to 400
//! bytes (a chunk of exactly 400 says more follows; `+` is an empty one;
//! `*` aborts). Pure: it only takes the exchange apart.

use base64::Engine as _;

/// The exchange so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exchange {
    /// `AUTHENTICATE PLAIN` was accepted; base64 chunks come next.
    started: bool,
    buffer: String,
}

/// What one `AUTHENTICATE` argument comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The client gave up (`*`).
    Aborted,
    /// PLAIN accepted: send the credentials.
    Continue,
    /// A mechanism other than PLAIN.
    UnknownMechanism,
    /// A full chunk: more follows.
    More,
    /// The credentials, whole.
    Plain { authcid: String, password: String },
    /// Not base64 of `authzid NUL authcid NUL password`.
    Malformed,
}

/// Longest chunk: one this long says another follows.
const CHUNK: usize = 400;

impl Exchange {
    pub fn feed(&mut self, data: &str) -> Step {
        if data == "*" {
            *self = Exchange::default();
            return Step::Aborted;
        }
        if !self.started {
            if data.eq_ignore_ascii_case("PLAIN") {
                self.started = true;
                return Step::Continue;
            }
            return Step::UnknownMechanism;
        }
        if data != "+" {
            self.buffer.push_str(data);
        }
        if data.len() == CHUNK {
            return Step::More;
        }
        let encoded = std::mem::take(&mut self.buffer);
        self.started = false;
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .ok()
            .and_then(|plain| String::from_utf8(plain).ok())
            .and_then(|plain| {
                let mut fields = plain.splitn(3, '\0');
                let (_authzid, authcid, password) =
                    (fields.next()?, fields.next()?, fields.next()?);
                Some(Step::Plain {
                    authcid: authcid.to_string(),
                    password: password.to_string(),
                })
            })
            .unwrap_or(Step::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    #[test]
    fn plain_in_one_chunk() {
        let mut x = Exchange::default();
        assert_eq!(x.feed("plain"), Step::Continue);
        assert_eq!(
            x.feed(&plain("\0alice\0secret")),
            Step::Plain {
                authcid: "alice".into(),
                password: "secret".into()
            }
        );
    }

    #[test]
    fn a_full_chunk_waits_for_the_next_and_plus_ends_it() {
        let password = "p".repeat(400);
        let encoded = plain(&format!("alice\0alice\0{password}"));
        let (first, rest) = encoded.split_at(400);
        let mut x = Exchange::default();
        x.feed("PLAIN");
        assert_eq!(x.feed(first), Step::More);
        let step = match rest.len() {
            400 => {
                x.feed(rest);
                x.feed("+")
            }
            _ => x.feed(rest),
        };
        assert_eq!(
            step,
            Step::Plain {
                authcid: "alice".into(),
                password
            }
        );
    }

    #[test]
    fn other_mechanisms_garbage_and_aborts() {
        let mut x = Exchange::default();
        assert_eq!(x.feed("EXTERNAL"), Step::UnknownMechanism);
        x.feed("PLAIN");
        assert_eq!(x.feed("!!!"), Step::Malformed);
        x.feed("PLAIN");
        assert_eq!(x.feed("*"), Step::Aborted);
        assert_eq!(x, Exchange::default());
    }
}
