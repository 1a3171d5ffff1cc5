//! chatd's integration tests: one test binary that starts the real `chatd`
//! (port 0, a fresh temp dir each) and talks to it over real sockets. The
//! harness lives in `support`; each other module is one concern.

mod support;

mod accounts;
mod browser;
mod data_safety;
mod engine;
mod irc_chathistory;
mod irc_door;
mod irc_scram;
mod irc_semantics;
mod irc_users;
mod irc_v3;
mod look_alike;
mod message_ids;
mod moderation;
mod newcomer;
mod offline;
mod robustness;
mod text_door;
mod udp_door;
mod web_door;
