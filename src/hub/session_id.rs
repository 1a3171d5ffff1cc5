//! How the hub names a connection: ids handed out in sequence by the runtime,
//! and the map keyed by them that the hub looks up for every receiver.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Identifies one connection (or one UDP address) for its whole life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u64);

/// A map keyed by session. The hub looks a session up for every receiver of
/// every line (a fifth of its time in a 500-member channel went to SipHash),
/// and ids are handed out by us in sequence, never chosen by a client, so a
/// multiply is hash enough.
pub type SessionMap<V> = HashMap<SessionId, V, BuildHasherDefault<SessionHasher>>;

/// Fibonacci hashing of a session id: sequential ids spread over the table.
#[derive(Default)]
pub struct SessionHasher(u64);

impl Hasher for SessionHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
