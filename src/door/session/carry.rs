//! Carrying out what a session asks of the accounts ([`Request`]), the same
//! for every door: the answer goes to a callback, so a TCP reader can wait
//! for it on its own thread while the UDP door, one thread for every
//! client, never waits for an argon2 check — its answer comes back later as
//! that session's next input ([`super::Input::Answer`]).

use std::net::IpAddr;
use std::sync::Arc;

use super::{Answer, Request};
use crate::runtime::accounts::Accounts;

/// Carries out `request` for a client at `ip`; `done` gets the answer: at
/// once for a lookup, on an argon2 worker for a password or operator check.
/// Registering and changing a password still wait for their new hash on
/// the calling thread; only the TCP doors, each reader a thread of its own,
/// offer them. [`Request::HubAnswer`] is the hub's to answer, not this.
pub fn carry_out_then(
    accounts: &Arc<Accounts>,
    ip: IpAddr,
    request: Request,
    done: impl FnOnce(Answer) + Send + 'static,
) {
    match request {
        Request::Owner(nick) => done(Answer::Account(accounts.owner_of(&nick))),
        Request::Account(name) => done(Answer::Account(accounts.lookup(&name))),
        Request::ScramAccount(name) => done(Answer::Scram {
            found: accounts.scram_account(&name),
            nonce: crate::scram::nonce(),
        }),
        Request::ScramLogIn { account, proved } => done(Answer::Identity(
            accounts.scram_log_in(ip, &account, proved),
        )),
        Request::Throttle(account) => done(Answer::Done(accounts.check_throttle(ip, &account))),
        Request::Password { account, password } => {
            accounts.log_in_then(ip, account, password, |checked| {
                done(Answer::Identity(checked))
            })
        }
        Request::Register { nick, password } => {
            done(Answer::Registered(accounts.register(&nick, &password)))
        }
        Request::Oper { name, password } => {
            accounts.check_oper_then(ip, &name, password, |checked| done(Answer::Done(checked)))
        }
        Request::ChangePassword { account, old, new } => done(Answer::Done(
            accounts.change_password(ip, account, &old, &new),
        )),
        Request::HubAnswer => {
            debug_assert!(false, "the hub answers HubAnswer, not the accounts");
        }
    }
}
