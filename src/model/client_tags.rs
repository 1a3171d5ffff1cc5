//! Metadata a client attaches to a line for the other clients to read
//! (IRCv3's client-only tags: typing notices, reactions, replies). The hub
//! passes it on with the line without reading it; a door whose clients
//! read such things writes it, the others leave it out.

use std::sync::Arc;

/// The key-value pairs a client put on one line, in its order. Empty costs
/// nothing: most lines have none, and every event of a line carries this.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientTags(Option<Arc<[(String, String)]>>);

impl ClientTags {
    /// No tags.
    pub const NONE: ClientTags = ClientTags(None);

    pub fn new(pairs: Vec<(String, String)>) -> ClientTags {
        match pairs.is_empty() {
            true => ClientTags::NONE,
            false => ClientTags(Some(pairs.into())),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .flat_map(|pairs| pairs.iter())
            .map(|(key, value)| (key.as_str(), value.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_pairs_is_none_and_pairs_keep_their_order() {
        assert!(ClientTags::new(Vec::new()).is_empty());
        let tags = ClientTags::new(vec![("+b".into(), "1".into()), ("+a".into(), "".into())]);
        assert!(!tags.is_empty());
        assert_eq!(tags.iter().collect::<Vec<_>>(), [("+b", "1"), ("+a", "")]);
    }
}
