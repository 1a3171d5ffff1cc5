//! SCRAM-SHA-256 (RFC 5802, with RFC 7677's SHA-256), the arithmetic only:
//! the credential a password makes, and the server's checks of a client's
//! proof. Pure apart from the random salt and nonce. The exchange's
//! messages are taken apart in `door::session::sasl`; the credential is
//! kept by the store (migration 0008).
//!
//! The password is used as its UTF-8 bytes, without SASLprep (RFC 4013):
//! the same bytes the client's library sends for an ASCII password, which
//! is all that chatd's own tests and the common clients use.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::model::ScramCredential;

/// The mechanism's name, as SASL and IRC's `sasl=` list it.
pub const MECHANISM: &str = "SCRAM-SHA-256";

/// The credential `password` makes with a fresh random salt (RFC 5802 §3:
/// SaltedPassword = Hi(password, salt, i); StoredKey = H(HMAC(SaltedPassword,
/// "Client Key")); ServerKey = HMAC(SaltedPassword, "Server Key")).
pub fn credential(password: &str, iterations: u32) -> ScramCredential {
    let mut salt = vec![0u8; 16];
    OsRng.fill_bytes(&mut salt);
    credential_with_salt(password, salt, iterations)
}

/// [`credential`] with a given salt (a client computes the same to prove it).
pub fn credential_with_salt(password: &str, salt: Vec<u8>, iterations: u32) -> ScramCredential {
    let salted = salted_password(password, &salt, iterations);
    ScramCredential {
        stored_key: Sha256::digest(hmac(&salted, b"Client Key")).to_vec(),
        server_key: hmac(&salted, b"Server Key").to_vec(),
        salt,
        iterations,
    }
}

/// Hi(password, salt, i) of RFC 5802 §2.2: PBKDF2 with HMAC-SHA-256.
pub fn salted_password(password: &str, salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut salted);
    salted
}

pub fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Whether `proof` (ClientKey XOR ClientSignature) shows the client knows
/// the password behind `credential`: H(proof XOR HMAC(StoredKey,
/// AuthMessage)) must be StoredKey (RFC 5802 §3). Compared in constant time.
pub fn proof_holds(credential: &ScramCredential, auth_message: &str, proof: &[u8]) -> bool {
    let signature = hmac(&credential.stored_key, auth_message.as_bytes());
    if proof.len() != signature.len() || credential.stored_key.len() != signature.len() {
        return false;
    }
    let client_key: Vec<u8> = proof.iter().zip(signature).map(|(p, s)| p ^ s).collect();
    let stored_key = Sha256::digest(client_key);
    let differ = stored_key
        .iter()
        .zip(&credential.stored_key)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    differ == 0
}

/// ServerSignature = HMAC(ServerKey, AuthMessage): the server's proof that
/// it holds the credential too (the client checks it).
pub fn server_signature(credential: &ScramCredential, auth_message: &str) -> [u8; 32] {
    hmac(&credential.server_key, auth_message.as_bytes())
}

/// A credential no password matches, for a name that has none (no such
/// account, or one made before SCRAM): the exchange goes on and fails at
/// the proof as a wrong password does, so a stranger can't tell which
/// names have accounts (STYLE.md: one answer for both login failures).
/// Its salt comes from `secret` and the name, so that asking twice shows
/// the same salt, as for a real account.
pub fn stand_in(secret: &[u8], name: &str, iterations: u32) -> ScramCredential {
    let salt = hmac(secret, name.to_ascii_lowercase().as_bytes())[..16].to_vec();
    let mut keys = [0u8; 64];
    OsRng.fill_bytes(&mut keys);
    ScramCredential {
        salt,
        iterations,
        stored_key: keys[..32].to_vec(),
        server_key: keys[32..].to_vec(),
    }
}

/// A fresh random key for [`stand_in`] salts, one per server run.
pub fn secret() -> [u8; 32] {
    let mut secret = [0u8; 32];
    OsRng.fill_bytes(&mut secret);
    secret
}

/// The server's part of the nonce: 18 random bytes, printable.
pub fn nonce() -> String {
    let mut bytes = [0u8; 18];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 §3's example: user "user", password "pencil".
    #[test]
    fn the_example_of_rfc_7677() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let salt = b64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let credential = credential_with_salt("pencil", salt, 4096);
        let auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO,\
                            r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                            s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,\
                            c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let proof = b64
            .decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
            .unwrap();
        assert!(proof_holds(&credential, auth_message, &proof));
        let mut wrong = proof.clone();
        wrong[0] ^= 1;
        assert!(!proof_holds(&credential, auth_message, &wrong));
        assert_eq!(
            b64.encode(server_signature(&credential, auth_message)),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
    }

    #[test]
    fn a_stand_in_shows_one_salt_per_name_and_fresh_keys() {
        let secret = secret();
        let (a, b) = (
            stand_in(&secret, "Nobody", 64),
            stand_in(&secret, "nobody", 64),
        );
        assert_eq!(a.salt, b.salt);
        assert_ne!(a.stored_key, b.stored_key);
        assert_ne!(stand_in(&secret, "somebody", 64).salt, a.salt);
    }
}
