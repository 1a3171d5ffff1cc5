//! The accounts, for every door's session: look a nickname up, check a
//! password (with the failed-login limit), register, change a password.
//! The doors ask this and never the store (protocol in the doors, SQL in
//! the store, the runtime between). Lookups run on the calling thread;
//! argon2 runs in the bounded pool, and the hub only ever hears the outcome.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use log::{error, info, warn};

use crate::auth::{AuthError, AuthPool, LoginThrottle, Refusal, Target};
use crate::clock;
use crate::hub::{AccountId, ChatError, Identity};
use crate::model::OperSpec;
use crate::model::{AccountRecord, ScramCredential};
use crate::scram;
use crate::store::{NickList, Store, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountRules {
    pub allow_guests: bool,
    pub min_password_length: usize,
    /// PBKDF2 rounds of new SCRAM credentials.
    pub scram_iterations: u32,
}

pub struct Accounts {
    store: Arc<Store>,
    pool: AuthPool,
    throttle: LoginThrottle,
    pub rules: AccountRules,
    opers: Vec<OperSpec>,
    /// Keys the salts of stand-in SCRAM credentials (`scram::stand_in`).
    scram_secret: [u8; 32],
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
            throttle,
            rules,
            opers,
            scram_secret: scram::secret(),
        }
    }

    /// Checks a server operator's name and password: one from chat.toml, or
    /// an account flagged with `chatd admin oper`. Failures count toward the
    /// failed-login limit like logins. `done` gets the outcome on an argon2
    /// worker (or at once, when the name or the limit settles it).
    pub fn check_oper_then(
        self: &Arc<Self>,
        ip: IpAddr,
        name: &str,
        password: String,
        done: impl FnOnce(Result<(), ChatError>) + Send + 'static,
    ) {
        let account = match self.lookup(name) {
            Ok(account) => account,
            Err(why) => return done(Err(why)),
        };
        let owner = account.as_ref().and_then(owner_address);
        let hash = match self.opers.iter().find(|o| o.name == name) {
            Some(oper) => Some(oper.password_hash.clone()),
            None => match self.store.is_oper(name).map_err(store_failed) {
                Ok(true) => account.map(|a| a.password_hash),
                Ok(false) => None,
                Err(why) => return done(Err(why)),
            },
        };
        let who = name.to_string();
        self.check_password_then(ip, name, owner, hash, password, move |right| {
            done(match right {
                Ok(true) => {
                    info!("{who} authenticated as a server operator from {ip}");
                    Ok(())
                }
                Ok(false) => {
                    warn!("failed /oper as {who} from {ip}");
                    Err(ChatError::NoOperHost)
                }
                Err(why) => Err(why),
            })
        });
    }

    /// Checks `password` against `phc` within the failed-login limit of
    /// `ip` and of the account `name` (whose owner last logged in from
    /// `owner`); `done` gets whether it was right, on an argon2 worker (or
    /// at once when the limit refuses it).
    fn check_password_then(
        self: &Arc<Self>,
        ip: IpAddr,
        name: &str,
        owner: Option<IpAddr>,
        phc: Option<String>,
        password: String,
        done: impl FnOnce(Result<bool, ChatError>) + Send + 'static,
    ) {
        let key = name.to_ascii_lowercase();
        let target = Target {
            key: &key,
            owner_address: owner,
        };
        // Refused at once when the limit is reached already; the slot itself
        // is taken on the worker, just before the check (issue 16).
        if let Err(refusal) = self.throttle.check(ip, Some(target), Instant::now()) {
            info!("refused a password check for {name} from {ip}: {refusal:?}");
            return done(Err(throttled(refusal)));
        }
        let (admit, finish) = (Arc::clone(self), Arc::clone(self));
        let name = name.to_string();
        self.pool.verify_admitted_then(
            phc,
            password,
            move || {
                let target = Target {
                    key: &key,
                    owner_address: owner,
                };
                admit.throttle.begin(ip, Some(target), Instant::now())
            },
            move |outcome| {
                done(match outcome {
                    Ok(Ok((attempt, true))) => {
                        finish.throttle.give_back(attempt);
                        Ok(true)
                    }
                    // The attempt stays counted: a failure.
                    Ok(Ok((_attempt, false))) => Ok(false),
                    Ok(Err(refusal)) => {
                        info!("refused a password check for {name} from {ip}: {refusal:?}");
                        Err(throttled(refusal))
                    }
                    Err(e) => Err(auth_failed(e)),
                })
            },
        );
    }

    /// The account registered as `nick`, if any.
    pub fn lookup(&self, nick: &str) -> Result<Option<AccountRecord>, ChatError> {
        self.store.account(nick).map_err(store_failed)
    }

    /// The account a person must own to use `nick`: the one registered as
    /// it (any case), if any. A nickname that only looks like a registered
    /// one is nobody's to use (issue 16): [`ChatError::NickLooksLike`].
    pub fn owner_of(&self, nick: &str) -> Result<Option<AccountRecord>, ChatError> {
        if let Some(account) = self.lookup(nick)? {
            return Ok(Some(account));
        }
        match self.store.account_like(nick).map_err(store_failed)? {
            Some(like) => Err(looks_like(nick, like.nick)),
            None => Ok(None),
        }
    }

    /// Refuses, before a password is asked for, an attempt at `account`
    /// from `ip` that the failed-login limit would refuse.
    pub fn check_throttle(&self, ip: IpAddr, account: &AccountRecord) -> Result<(), ChatError> {
        let key = account.nick.to_ascii_lowercase();
        let target = Target {
            key: &key,
            owner_address: owner_address(account),
        };
        self.throttle
            .check(ip, Some(target), Instant::now())
            .map_err(throttled)
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
        let accounts = Arc::clone(self);
        let (name, owner) = (account.nick.clone(), owner_address(&account));
        let phc = Some(account.password_hash.clone());
        let typed = password.clone();
        self.check_password_then(ip, &name, owner, phc, password, move |right| {
            done(match right {
                Ok(true) => {
                    accounts.gain_scram(&account, &typed);
                    accounts.identity(&account)
                }
                Ok(false) => {
                    warn!("failed login as {} from {ip}", account.nick);
                    Err(ChatError::WrongPassword)
                }
                Err(e) => Err(e),
            })
        });
    }

    /// The account registered as `name` with its SCRAM credential. With no
    /// such account, or one without a credential yet (made before SCRAM and
    /// not logged in with its password since): no account, and a stand-in
    /// credential that no proof matches ([`scram::stand_in`]).
    pub fn scram_account(
        &self,
        name: &str,
    ) -> Result<(Option<AccountRecord>, ScramCredential), ChatError> {
        if let Some(account) = self.lookup(name)? {
            let kept = self.store.scram_credential(account.id);
            if let Some(credential) = kept.map_err(store_failed)? {
                return Ok((Some(account), credential));
            }
        }
        let iterations = self.rules.scram_iterations;
        Ok((None, scram::stand_in(&self.scram_secret, name, iterations)))
    }

    /// The end of a SCRAM exchange for `account` from `ip`: `proved` says
    /// whether the client's proof held. It counts toward the failed-login
    /// limit as a password would; on success, the identity to log in with.
    pub fn scram_log_in(
        &self,
        ip: IpAddr,
        account: &AccountRecord,
        proved: bool,
    ) -> Result<Identity, ChatError> {
        let key = account.nick.to_ascii_lowercase();
        let target = Target {
            key: &key,
            owner_address: owner_address(account),
        };
        let attempt = self
            .throttle
            .begin(ip, Some(target), Instant::now())
            .map_err(throttled)?;
        if !proved {
            // The attempt stays counted: a failure.
            warn!("failed SCRAM login as {} from {ip}", account.nick);
            return Err(ChatError::WrongPassword);
        }
        self.throttle.give_back(attempt);
        self.identity(account)
    }

    /// Gives an account made before SCRAM its credential, from the password
    /// just proved right (so each account gains one at its next login).
    fn gain_scram(&self, account: &AccountRecord, password: &str) {
        match self.store.scram_credential(account.id) {
            Ok(Some(_)) => {}
            Ok(None) => self.keep_scram(account.id, password),
            Err(e) => error!("{e}"),
        }
    }

    /// Keeps the SCRAM credential of `password` for `account`. A failure is
    /// logged, not the caller's: the password itself is kept already, and
    /// SASL PLAIN still works.
    fn keep_scram(&self, account: AccountId, password: &str) {
        let credential = scram::credential(password, self.rules.scram_iterations);
        if let Err(e) = self.store.set_scram_credential(account, &credential) {
            error!("can't keep a SCRAM credential: {e}");
        }
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
        if self.owner_of(nick)?.is_some() {
            return Err(ChatError::AlreadyRegistered);
        }
        let hash = self.pool.hash(password.to_string()).map_err(auth_failed)?;
        let now = clock::unix_now();
        match self.store.create_account(nick, &hash, now) {
            Ok(id) => {
                info!("registered {nick}");
                self.keep_scram(id, password);
                Ok(id)
            }
            Err(StoreError::NickTaken) => Err(ChatError::AlreadyRegistered),
            Err(StoreError::LooksLike { wanted, existing }) => Err(looks_like(&wanted, existing)),
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
                self.keep_scram(account, new);
                Ok(())
            }
            Ok(false) => Err(ChatError::NotRegistered),
            Err(e) => Err(store_failed(e)),
        }
    }
}

/// The address `account`'s owner last logged in from (stored as `ip:port`).
fn owner_address(account: &AccountRecord) -> Option<IpAddr> {
    let from = account.last_login_from.as_deref()?;
    from.parse::<SocketAddr>()
        .map(|a| a.ip())
        .or_else(|_| from.parse::<IpAddr>())
        .ok()
}

fn throttled(refusal: Refusal) -> ChatError {
    let secs = |wait: std::time::Duration| wait.as_secs().max(1);
    match refusal {
        Refusal::Address(wait) => ChatError::LoginsThrottled {
            wait_secs: secs(wait),
        },
        Refusal::Account(wait) => ChatError::AccountThrottled {
            wait_secs: secs(wait),
        },
    }
}

fn looks_like(wanted: &str, registered: String) -> ChatError {
    ChatError::NickLooksLike {
        wanted: wanted.to_string(),
        existing: registered,
        registered: true,
    }
}

fn store_failed(e: StoreError) -> ChatError {
    error!("{e}");
    ChatError::Server("the account database is not answering; try again later".into())
}

fn auth_failed(e: AuthError) -> ChatError {
    ChatError::Server(e.to_string())
}
