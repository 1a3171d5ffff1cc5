//! SASL as IRCv3 `sasl-3.1` frames it: `AUTHENTICATE <mechanism>`, then
//! base64 in chunks of up to 400 bytes (a chunk of exactly 400 says more
//! follows; `+` is an empty one; `*` aborts). Two mechanisms:
//! - PLAIN: one message, `authzid NUL authcid NUL password`;
//! - SCRAM-SHA-256 (RFC 5802, RFC 7677): client-first `n,,n=user,r=nonce`,
//!   the server's salt, iteration count and nonce, client-final with the
//!   proof, the server's signature, and the client's empty `+` to end it.
//!
//! Pure: it takes the messages apart and checks the proof ([`crate::scram`]);
//! the session fetches the account's credential between the steps.

use base64::Engine as _;

use crate::model::{AccountRecord, ScramCredential};
use crate::scram;

/// What `sasl=` and numeric 908 list.
pub const MECHANISMS: &str = "PLAIN,SCRAM-SHA-256";

/// The exchange so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exchange {
    stage: Stage,
    buffer: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Stage {
    /// No mechanism chosen.
    #[default]
    Idle,
    /// PLAIN accepted: its one message comes next.
    Plain,
    /// SCRAM accepted: client-first comes next.
    ScramFirst,
    /// Client-first read; the session fetches the credential.
    ScramCredential(ClientFirst),
    /// Server-first sent: client-final, with the proof, comes next.
    ScramFinal(Box<Challenged>),
    /// The server's signature sent: the client's `+` ends it.
    ScramDone,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ClientFirst {
    /// The GS2 header as sent (`n,,`), which client-final repeats.
    gs2_header: String,
    /// `n=user,r=nonce`: part of what the proof signs.
    bare: String,
    client_nonce: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Challenged {
    first: ClientFirst,
    server_first: String,
    /// `None`: no account has a credential for that name; the exchange
    /// fails at the proof, as for a wrong password.
    account: Option<AccountRecord>,
    credential: ScramCredential,
}

/// What one `AUTHENTICATE` argument comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The client gave up (`*`).
    Aborted,
    /// A mechanism accepted: send the first message.
    Continue,
    /// A mechanism chatd doesn't offer.
    UnknownMechanism,
    /// A full chunk: more follows.
    More,
    /// PLAIN's credentials, whole.
    Plain { authcid: String, password: String },
    /// SCRAM's client-first for `authcid`: answer with
    /// [`Exchange::challenge`] once its credential is found.
    ScramFirst { authcid: String },
    /// SCRAM's client-final: whether its proof holds for `account` (none:
    /// the name has no credential, and no proof holds). If it does,
    /// [`Exchange::server_final`] is the server's last message.
    ScramProof {
        account: Option<AccountRecord>,
        proved: bool,
    },
    /// The client's `+` after the server's signature: done.
    ScramDone,
    /// Not what the mechanism's next message should be.
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
        if self.stage == Stage::Idle {
            self.stage = match data.to_ascii_uppercase().as_str() {
                "PLAIN" => Stage::Plain,
                scram::MECHANISM => Stage::ScramFirst,
                _ => return Step::UnknownMechanism,
            };
            return Step::Continue;
        }
        if data != "+" {
            self.buffer.push_str(data);
        }
        if data.len() == CHUNK {
            return Step::More;
        }
        let encoded = std::mem::take(&mut self.buffer);
        let message = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let stage = std::mem::take(&mut self.stage);
        let step = message.and_then(|message| match stage {
            Stage::Plain => plain(&message),
            Stage::ScramFirst => {
                let (first, authcid) = client_first(&message)?;
                self.stage = Stage::ScramCredential(first);
                Some(Step::ScramFirst { authcid })
            }
            Stage::ScramFinal(challenged) => {
                let account = challenged.account.clone();
                let proved = client_final(&challenged, &message)? && account.is_some();
                if proved {
                    self.stage = Stage::ScramFinal(challenged);
                }
                Some(Step::ScramProof { account, proved })
            }
            Stage::ScramDone if message.is_empty() => Some(Step::ScramDone),
            _ => None,
        });
        step.unwrap_or_else(|| {
            *self = Exchange::default();
            Step::Malformed
        })
    }

    /// SCRAM's server-first for the client-first just read: the combined
    /// nonce, the salt and the iteration count (RFC 5802 §5.1), base64 for
    /// `AUTHENTICATE`. `None` when no client-first waits for it.
    pub fn challenge(
        &mut self,
        account: Option<AccountRecord>,
        credential: ScramCredential,
        server_nonce: &str,
    ) -> Option<String> {
        let Stage::ScramCredential(first) = std::mem::take(&mut self.stage) else {
            return None;
        };
        let b64 = base64::engine::general_purpose::STANDARD;
        let server_first = format!(
            "r={}{server_nonce},s={},i={}",
            first.client_nonce,
            b64.encode(&credential.salt),
            credential.iterations
        );
        let encoded = b64.encode(&server_first);
        self.stage = Stage::ScramFinal(Box::new(Challenged {
            first,
            server_first,
            account,
            credential,
        }));
        Some(encoded)
    }

    /// SCRAM's server-final after a proof that held: `v=` and the server's
    /// signature (RFC 5802 §3), base64 for `AUTHENTICATE`; the client's `+`
    /// comes next.
    pub fn server_final(&mut self) -> Option<String> {
        let Stage::ScramFinal(challenged) = std::mem::take(&mut self.stage) else {
            return None;
        };
        let b64 = base64::engine::general_purpose::STANDARD;
        let without_proof = format!(
            "c={},r={}",
            b64.encode(&challenged.first.gs2_header),
            nonce_of(&challenged.server_first)
        );
        let signature = scram::server_signature(
            &challenged.credential,
            &auth_message(&challenged, &without_proof),
        );
        self.stage = Stage::ScramDone;
        Some(b64.encode(format!("v={}", b64.encode(signature))))
    }
}

/// `authzid NUL authcid NUL password`.
fn plain(message: &str) -> Option<Step> {
    let mut fields = message.splitn(3, '\0');
    let (_authzid, authcid, password) = (fields.next()?, fields.next()?, fields.next()?);
    Some(Step::Plain {
        authcid: authcid.to_string(),
        password: password.to_string(),
    })
}

/// `gs2-header client-first-bare`, as RFC 5802 §7 has them: `n,,` or `y,,`
/// (`p=`, channel binding, is not offered), then `n=user,r=nonce`.
fn client_first(message: &str) -> Option<(ClientFirst, String)> {
    let mut parts = message.splitn(3, ',');
    let (binding, authzid, bare) = (parts.next()?, parts.next()?, parts.next()?);
    if !matches!(binding, "n" | "y") || !(authzid.is_empty() || authzid.starts_with("a=")) {
        return None;
    }
    let mut attributes = bare.split(',');
    let user = attributes.next()?.strip_prefix("n=")?;
    let client_nonce = attributes.next()?.strip_prefix("r=")?;
    // RFC 5802 §5.1: `=2C` and `=3D` stand for `,` and `=` in a name.
    let authcid = user.replace("=2C", ",").replace("=3D", "=");
    if authcid.is_empty() || client_nonce.is_empty() {
        return None;
    }
    let first = ClientFirst {
        gs2_header: format!("{binding},{authzid},"),
        bare: bare.to_string(),
        client_nonce: client_nonce.to_string(),
    };
    Some((first, authcid))
}

/// `c=<gs2 header>,r=<nonce>,p=<proof>`: whether the proof holds. `None`
/// when the message does not repeat the header and nonce it must.
fn client_final(challenged: &Challenged, message: &str) -> Option<bool> {
    let (without_proof, proof) = message.rsplit_once(",p=")?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let expected = format!(
        "c={},r={}",
        b64.encode(&challenged.first.gs2_header),
        nonce_of(&challenged.server_first)
    );
    if without_proof != expected {
        return None;
    }
    let proof = b64.decode(proof).ok()?;
    let auth_message = auth_message(challenged, without_proof);
    Some(scram::proof_holds(
        &challenged.credential,
        &auth_message,
        &proof,
    ))
}

/// AuthMessage = client-first-bare "," server-first "," client-final-
/// without-proof (RFC 5802 §3): what both proofs sign.
fn auth_message(challenged: &Challenged, without_proof: &str) -> String {
    format!(
        "{},{},{without_proof}",
        challenged.first.bare, challenged.server_first
    )
}

/// The combined nonce of a server-first (`r=...,s=...,i=...`).
fn nonce_of(server_first: &str) -> &str {
    let first = server_first.split(',').next().unwrap_or_default();
    first.strip_prefix("r=").unwrap_or_default()
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
