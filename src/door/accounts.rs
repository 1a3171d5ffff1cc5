//! What every door does with accounts: look a nickname up, check a password
//! (with the failure limit per address and nickname), register, change a password. Runs on
//! the calling connection's thread; argon2 itself runs in the bounded pool,
//! and the hub only ever hears the outcome.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use log::{error, info, warn};

use crate::auth::{AuthError, AuthPool, LoginThrottle};
use crate::clock;
use crate::hub::{AccountId, ChatError, Identity};
use crate::store::{AccountRecord, NickList, Store, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountRules {
    pub allow_guests: bool,
    pub min_password_length: usize,
}

/// A server operator named in chat.toml, with an argon2 PHC hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperSpec {
    pub name: String,
    pub password_hash: String,
}

/// Whose failed logins count together: an address's, for one nickname
/// (ASCII-lowercased), so one person's typos don't lock out everyone else
/// behind the same address (issue #17).
type LoginKey = (IpAddr, String);

pub struct Accounts {
    store: Arc<Store>,
    pool: AuthPool,
    throttle: LoginThrottle<LoginKey>,
    /// Failed `/oper` attempts, per address: kept apart from the login
    /// limit, so a logged-in user's `/oper` typos never lock them (or their
    /// address) out of logging in (issue #17).
    oper_throttle: LoginThrottle,
    pub rules: AccountRules,
    opers: Vec<OperSpec>,
}

impl Accounts {
    pub fn new(
        store: Arc<Store>,
        pool: AuthPool,
        throttle: LoginThrottle,
        rules: AccountRules,
        opers: Vec<OperSpec>,
    ) -> Accounts {
        Accounts {
            store,
            pool,
            throttle: throttle.alike(),
            oper_throttle: throttle,
            rules,
            opers,
        }
    }

    /// Checks a server operator's name and password: one from chat.toml, or
    /// an account flagged with `chatd admin oper`. Failures count toward the
    /// address's own `/oper` limit, not toward its logins.
    pub fn check_oper(&self, ip: IpAddr, name: &str, password: &str) -> Result<(), ChatError> {
        throttled(self.oper_throttle.check(ip, Instant::now()))?;
        let hash = match self.opers.iter().find(|o| o.name == name) {
            Some(oper) => Some(oper.password_hash.clone()),
            None => match self.store.is_oper(name).map_err(store_failed)? {
                true => self.lookup(name)?.map(|a| a.password_hash),
                false => None,
            },
        };
        let right = match hash {
            Some(hash) => self
                .pool
                .verify(hash, password.to_string())
                .map_err(auth_failed)?,
            None => false,
        };
        if !right {
            self.oper_throttle.record_failure(ip, Instant::now());
            warn!("failed /oper as {name} from {ip}");
            return Err(ChatError::NoOperHost);
        }
        info!("{name} authenticated as a server operator from {ip}");
        Ok(())
    }

    /// The account registered as `nick`, if any.
    pub fn lookup(&self, nick: &str) -> Result<Option<AccountRecord>, ChatError> {
        self.store.account(nick).map_err(store_failed)
    }

    /// Refuses an address that has failed to log in as `nick` too often
    /// lately.
    pub fn check_throttle(&self, ip: IpAddr, nick: &str) -> Result<(), ChatError> {
        throttled(self.throttle.check(login_key(ip, nick), Instant::now()))
    }

    /// Checks the password for `account`; on success returns the identity the
    /// hub logs the session in with. Blocks the calling thread.
    pub fn log_in(
        self: &Arc<Self>,
        ip: IpAddr,
        account: &AccountRecord,
        password: &str,
    ) -> Result<Identity, ChatError> {
        crate::auth::wait(|done| self.log_in_then(ip, account.clone(), password.to_string(), done))
    }

    /// [`Accounts::log_in`] without blocking: `done` gets the outcome, on an
    /// argon2 worker thread (or at once when the address must wait).
    pub fn log_in_then(
        self: &Arc<Self>,
        ip: IpAddr,
        account: AccountRecord,
        password: String,
        done: impl FnOnce(Result<Identity, ChatError>) + Send + 'static,
    ) {
        if let Err(error) = self.check_throttle(ip, &account.nick) {
            return done(Err(error));
        }
        let accounts = Arc::clone(self);
        let phc = account.password_hash.clone();
        self.pool.verify_then(phc, password, move |right| {
            done(match right {
                Ok(true) => accounts.identity(&account),
                Ok(false) => {
                    let key = login_key(ip, &account.nick);
                    accounts.throttle.record_failure(key, Instant::now());
                    warn!("failed login as {} from {ip}", account.nick);
                    Err(ChatError::WrongPassword)
                }
                Err(e) => Err(auth_failed(e)),
            })
        });
    }

    /// The identity of an account whose password was right.
    fn identity(&self, account: &AccountRecord) -> Result<Identity, ChatError> {
        let id = account.id;
        Ok(Identity {
            account: id,
            watch: self
                .store
                .nick_list(NickList::Watches, id)
                .map_err(store_failed)?,
            ignore: self
                .store
                .nick_list(NickList::Ignores, id)
                .map_err(store_failed)?,
            memos: self.store.memos(id, true).map_err(store_failed)?,
        })
    }

    /// Refuses a new password that is too short.
    pub fn check_new_password(&self, password: &str) -> Result<(), ChatError> {
        let min = self.rules.min_password_length;
        match password.chars().count() < min {
            true => Err(ChatError::PasswordTooShort { min }),
            false => Ok(()),
        }
    }

    /// Registers `nick` with `password`. Returns once the account is on disk.
    pub fn register(&self, nick: &str, password: &str) -> Result<AccountId, ChatError> {
        self.check_new_password(password)?;
        if self.lookup(nick)?.is_some() {
            return Err(ChatError::AlreadyRegistered);
        }
        let hash = self.pool.hash(password.to_string()).map_err(auth_failed)?;
        let now = clock::unix_seconds(std::time::SystemTime::now());
        match self.store.create_account(nick, &hash, now) {
            Ok(id) => {
                info!("registered {nick}");
                Ok(id)
            }
            Err(StoreError::NickTaken) => Err(ChatError::AlreadyRegistered),
            Err(e) => Err(store_failed(e)),
        }
    }

    /// Replaces the password of `account` after checking the old one.
    pub fn change_password(
        self: &Arc<Self>,
        ip: IpAddr,
        account: AccountId,
        old: &str,
        new: &str,
    ) -> Result<(), ChatError> {
        self.check_new_password(new)?;
        let record = self
            .store
            .account_by_id(account)
            .map_err(store_failed)?
            .ok_or(ChatError::NotRegistered)?;
        self.log_in(ip, &record, old)?;
        let hash = self.pool.hash(new.to_string()).map_err(auth_failed)?;
        match self.store.set_password(account, &hash) {
            Ok(true) => {
                info!("password changed for {}", record.nick);
                Ok(())
            }
            Ok(false) => Err(ChatError::NotRegistered),
            Err(e) => Err(store_failed(e)),
        }
    }
}

fn login_key(ip: IpAddr, nick: &str) -> LoginKey {
    (ip, nick.to_ascii_lowercase())
}

fn throttled(check: Result<(), std::time::Duration>) -> Result<(), ChatError> {
    check.map_err(|wait| ChatError::LoginsThrottled {
        wait_secs: wait.as_secs().max(1),
    })
}

fn store_failed(e: StoreError) -> ChatError {
    error!("{e}");
    ChatError::Server("the account database is not answering; try again later".into())
}

fn auth_failed(e: AuthError) -> ChatError {
    ChatError::Server(e.to_string())
}
