//! chatd: a self-hosted chat server.
//!
//! ```text
//!  client sockets                 one hub thread                    client sockets
//!  reader thread ──Command──▶  Hub (pure state machine)  ──Arc<Event>──▶ writer thread
//!  per client      crossbeam   users, channels, sessions    bounded queue  per client
//! ```
//!
//! - [`door`]: front doors. Each protocol turns bytes into [`hub::Command`]s
//!   and renders [`hub::Event`]s back into bytes; the text door (telnet,
//!   netcat) is the first.
//! - [`hub`]: the single owner of chat state, a pure state machine.
//! - [`runtime`]: the hub's thread and its store worker; the handle doors
//!   send commands through.
//! - [`model`]: the plain types that the hub, the store and the
//!   configuration share, so that none of them imports another.
//! - [`config`]: `chat.toml`, checked.
//! - [`scram`]: SASL SCRAM-SHA-256's arithmetic (RFC 5802/7677).
//! - [`server`]: wiring and life cycle.

pub mod admin;
pub mod auth;
pub mod clock;
pub mod config;
pub mod door;
pub mod engine;
pub mod hub;
pub mod model;
pub mod runtime;
pub mod scram;
pub mod server;
pub mod store;
