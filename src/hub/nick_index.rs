//! The hub's index of who is on line by nickname: by case-folded key for
//! every lookup, and by look-alike class ([`skeleton`]) so that one class
//! has one holder at a time (issue 16).

use std::collections::HashMap;

use crate::model::name::skeleton;

/// Logged-in sessions by nickname: by case-folded key for lookups, and by
/// [`skeleton`] so that a look-alike of someone on line is found without a
/// scan. Keyed by the key alone (`Nick::key`): the skeleton follows from it.
#[derive(Debug)]
pub struct NickIndex<T> {
    by_key: HashMap<String, T>,
    /// Usually one holder each; more only for accounts registered before the
    /// rule, which stay usable (issue 16: nobody is locked out).
    by_skeleton: HashMap<String, Vec<(String, T)>>,
}

impl<T> Default for NickIndex<T> {
    fn default() -> Self {
        NickIndex {
            by_key: HashMap::new(),
            by_skeleton: HashMap::new(),
        }
    }
}

impl<T: Copy + PartialEq> NickIndex<T> {
    pub fn get(&self, key: &str) -> Option<&T> {
        self.by_key.get(key)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &T)> {
        self.by_key.iter()
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.by_key.values()
    }

    pub fn clear(&mut self) {
        self.by_key.clear();
        self.by_skeleton.clear();
    }

    /// Files `holder` under the case-folded `key`.
    pub fn insert(&mut self, key: String, holder: T) {
        let holders = self.by_skeleton.entry(skeleton(&key)).or_default();
        holders.retain(|(k, _)| *k != key);
        holders.push((key.clone(), holder));
        self.by_key.insert(key, holder);
    }

    pub fn remove(&mut self, key: &str) -> Option<T> {
        let skeleton = skeleton(key);
        if let Some(holders) = self.by_skeleton.get_mut(&skeleton) {
            holders.retain(|(k, _)| k != key);
            if holders.is_empty() {
                self.by_skeleton.remove(&skeleton);
            }
        }
        self.by_key.remove(key)
    }

    /// Someone on line, other than `asking`, whose nickname looks like (but
    /// is not) the one keyed `key`.
    pub fn look_alike(&self, key: &str, asking: T) -> Option<T> {
        self.by_skeleton
            .get(&skeleton(key))?
            .iter()
            .find(|(k, holder)| k != key && *holder != asking)
            .map(|&(_, holder)| holder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::test_support::*;
    use crate::hub::{ChatError, Command, Event};

    #[test]
    fn the_index_finds_look_alikes_of_others_only() {
        let mut index = NickIndex::default();
        index.insert("bill".to_string(), 1);
        assert_eq!(index.look_alike("biil", 2), Some(1));
        assert_eq!(index.look_alike("biil", 1), None, "one's own name");
        assert_eq!(
            index.look_alike("bill", 2),
            None,
            "the same name is not a look-alike"
        );
        assert_eq!(index.look_alike("bull", 2), None);
        // Two accounts from before the rule, both on line.
        index.insert("b1ll".to_string(), 3);
        assert_eq!(index.look_alike("bill", 1), Some(3));
        assert_eq!(index.remove("bill"), Some(1));
        assert_eq!(index.look_alike("biil", 2), Some(3));
        index.remove("b1ll");
        assert_eq!(index.look_alike("biil", 2), None);
        assert_eq!(index.len(), 0);
        assert!(index.by_skeleton.is_empty(), "nothing left behind");
    }

    fn looks_like(wanted: &str, existing: &str) -> Event {
        err(ChatError::NickLooksLike {
            wanted: wanted.into(),
            existing: existing.into(),
            registered: false,
        })
    }

    #[test]
    fn a_guest_cannot_log_in_as_a_look_alike_of_someone_on_line() {
        let mut w = World::new();
        let bill = w.connect("bill");
        let other = w.open();
        let effects = w.login(other, "biII");
        assert_eq!(events_for(&effects, other), [looks_like("biII", "bill")]);
        assert_eq!(replies(&effects), [(other, false)]);
        assert!(events_for(&effects, bill).is_empty(), "bill hears nothing");
        assert_eq!(w.hub.users_online(), 1);
        // Free again once bill has gone.
        w.run(bill, Command::Quit { message: None });
        assert_eq!(replies(&w.login(other, "biII")), [(other, true)]);
    }

    #[test]
    fn nobody_renames_to_a_look_alike_of_someone_else() {
        let mut w = World::new();
        w.connect("Bob");
        let rufus = w.connect("rufus");
        let nick = "B0B".to_string();
        let effects = w.run(
            rufus,
            Command::ChangeNick {
                nick,
                identity: None,
            },
        );
        assert_eq!(events_for(&effects, rufus), [looks_like("B0B", "Bob")]);
        assert_eq!(replies(&effects), [(rufus, false)]);
        // A look-alike of one's own name is one's own to take.
        for nick in ["rufusl", "RUFUS1"] {
            let effects = w.run(
                rufus,
                Command::ChangeNick {
                    nick: nick.into(),
                    identity: None,
                },
            );
            assert_eq!(replies(&effects), [(rufus, true)], "{nick}");
        }
    }

    #[test]
    fn owners_of_accounts_that_collided_before_the_rule_both_log_in() {
        let mut w = World::new();
        w.connect_registered("bill", 1);
        let (other, _) = w.connect_as("biII", identity(2));
        assert_eq!(w.hub.users_online(), 2);
        // A guest still can't take a third look-alike of either.
        let guest = w.open();
        let effects = w.login(guest, "b1ll");
        assert_eq!(replies(&effects), [(guest, false)]);
        assert!(matches!(
            &events_for(&effects, guest)[..],
            [Event::Error(ChatError::NickLooksLike { .. })]
        ));
        w.run(other, Command::Quit { message: None });
        assert_eq!(w.hub.users_online(), 1);
    }
}
