//! Unit tests of the hub's offline features: history, memos, ignore, WHOWAS, idle warnings.
