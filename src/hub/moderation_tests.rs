//! Unit tests of the hub's moderation rules (channels people run, server operators).
