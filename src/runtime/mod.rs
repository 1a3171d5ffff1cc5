//! The runtime: the threads that run the pure hub. `hub_thread` owns the
//! [`Hub`](crate::hub::Hub), takes commands from every door in batches, and
//! carries out its effects — queueing events on each session's [`Outbox`],
//! answering logins, closing connections, cutting off slow consumers.
//! `store_worker` does what the hub asks of the disk on a thread of its own,
//! so the hub never waits for SQLite, and sends each answer back to the hub
//! as a `Command::Stored`.

pub mod accounts;
mod hub_thread;
mod store_worker;

pub use hub_thread::{
    spawn, HubHandle, HubThreads, Link, LoginAnswers, Outbox, Pushed, QueueFull, Queued,
};
