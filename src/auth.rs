//! Password hashing and checking with argon2id, off the hub thread and with
//! bounded concurrency: a fixed set of worker threads takes jobs from a
//! bounded queue, so a storm of logins costs at most `workers` × the argon2
//! memory cost at once and never delays chat. Also the limit on failed
//! logins, per address and per account.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::IpAddr;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use crossbeam_channel::{Sender, TrySendError};
use log::error;

/// The argon2id cost. OWASP's recommendation is the default: 19 MiB, 2
/// iterations, 1 lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Cost {
    fn default() -> Cost {
        Cost {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl Cost {
    /// Checks the numbers with argon2's own limits.
    pub fn params(&self) -> Result<Params, String> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| format!("invalid argon2 cost: {e}"))
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    /// More work is queued than the pool takes; try again shortly.
    Busy,
    /// The pool has stopped (the server is shutting down).
    Stopped,
    /// Hashing itself failed; logged.
    Failed,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Busy => write!(
                f,
                "the server is busy checking passwords; try again in a moment"
            ),
            AuthError::Stopped => write!(f, "the server is shutting down"),
            AuthError::Failed => write!(f, "the password could not be processed; try again"),
        }
    }
}

/// A queued piece of argon2 work; called with the worker's hasher, or with
/// the reason it will never run.
type Job = Box<dyn FnOnce(Result<&Argon2<'static>, AuthError>) + Send>;

/// The argon2 worker pool; cheap to share behind an `Arc`.
pub struct AuthPool {
    jobs: Sender<Job>,
}

impl AuthPool {
    /// Starts `workers` threads; at most `queue` jobs wait for them.
    pub fn new(cost: Cost, workers: usize, queue: usize) -> Result<AuthPool, String> {
        let params = cost.params()?;
        let (jobs, queued) = crossbeam_channel::bounded::<Job>(queue);
        for n in 0..workers.max(1) {
            let queued = queued.clone();
            let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
            thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    for job in queued {
                        job(Ok(&argon2));
                    }
                })
                .map_err(|e| format!("can't start argon2 workers: {e}"))?;
        }
        Ok(AuthPool { jobs })
    }

    /// Queues `work`; `done` gets its result on a worker thread, or at once
    /// the reason it can't run.
    fn submit<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Argon2<'static>) -> T + Send + 'static,
        done: impl FnOnce(Result<T, AuthError>) + Send + 'static,
    ) {
        let job: Job = Box::new(move |argon2| done(argon2.map(work)));
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(job)) => job(Err(AuthError::Busy)),
            Err(TrySendError::Disconnected(job)) => job(Err(AuthError::Stopped)),
        }
    }

    /// Checks a password against a stored PHC string (whatever cost it was
    /// made with); `done` gets the answer on a worker thread.
    pub fn verify_then(
        &self,
        phc: String,
        password: String,
        done: impl FnOnce(Result<bool, AuthError>) + Send + 'static,
    ) {
        self.submit(move |argon2| verify_with(argon2, &phc, &password), done);
    }

    /// [`AuthPool::verify_then`] with a gate: `admit` runs on the worker
    /// just before the check and may refuse it (`Ok(Err(..))`). The failed-
    /// login limit reserves its slot there: at most `workers` checks are in
    /// flight at once, each counted before it runs, so concurrent guesses
    /// can't all pass a limit none of them has reached yet, while an
    /// address's right passwords wait their turn instead of being refused.
    pub fn verify_admitted_then<A: Send + 'static, E: Send + 'static>(
        &self,
        phc: Option<String>,
        password: String,
        admit: impl FnOnce() -> Result<A, E> + Send + 'static,
        done: impl FnOnce(Result<Result<(A, bool), E>, AuthError>) + Send + 'static,
    ) {
        let work = move |argon2: &Argon2<'static>| {
            let admitted = admit()?;
            // No hash (no such operator): refused at the same cost in slots.
            let right = phc.is_some_and(|phc| verify_with(argon2, &phc, &password));
            Ok((admitted, right))
        };
        self.submit(work, done);
    }

    /// Hashes a new password into a PHC string with a fresh random salt.
    /// Blocks the calling (connection) thread until a worker has done it.
    pub fn hash(&self, password: String) -> Result<String, AuthError> {
        wait(|done| self.submit(move |argon2| hash_with(argon2, &password), done))?
    }

    /// [`AuthPool::verify_then`], blocking the calling thread for the answer.
    pub fn verify(&self, phc: String, password: String) -> Result<bool, AuthError> {
        wait(|done| self.verify_then(phc, password, done))
    }
}

/// Runs `start` with a callback and blocks until the callback is called.
pub fn wait<T: Send + 'static>(start: impl FnOnce(Box<dyn FnOnce(T) + Send>)) -> T {
    let (tx, rx) = crossbeam_channel::bounded(1);
    start(Box::new(move |result| {
        let _ = tx.send(result);
    }));
    rx.recv().expect("every callback is called exactly once")
}

/// Hashes with the pool's cost; for `chatd admin` too.
pub fn hash_with(argon2: &Argon2, password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| {
            error!("argon2 hashing failed: {e}");
            AuthError::Failed
        })
}

fn verify_with(argon2: &Argon2, phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        // The stored string carries its own cost and salt.
        Ok(parsed) => argon2.verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(e) => {
            error!("a stored password hash is not a valid PHC string: {e}");
            false
        }
    }
}

/// How many attempts to remember at most between two sweeps of the maps,
/// so addresses that guessed once and left don't stay for ever.
const SWEEP_EVERY: u64 = 1024;

/// The limit on password checks (issue 16). An attempt counts as a failure
/// from the moment it starts — a reserved slot, given back only when the
/// password was right — so however many connections guess at once, at most
/// `max_failures` checks run per window:
///
/// - per address and nickname: past the limit that address waits to try
///   that nickname until its oldest attempt leaves the window; others behind
///   the same address are not locked out by one person's typos (issue 17),
///   but an address that fails at many names together ([`ADDRESS_WIDE`] ×
///   the limit) waits for any of them;
/// - per account: past the limit, strangers' guesses at that nickname wait
///   too, from any address, so many addresses can't share out the guessing.
///   The address the owner last logged in from is exempt (it still has its
///   own per-address limit): someone else's guesses never lock the owner out
///   of where they usually log in from.
///
/// Times come in as arguments, so the rules are tested without a clock.
pub struct LoginThrottle {
    max_failures: usize,
    window: Duration,
    attempts: Mutex<Attempts>,
}

#[derive(Default)]
struct Attempts {
    /// Per address and the name tried (an account's key, or "" for a name
    /// that is no account, such as an operator's): one person's typos at
    /// their own nickname never lock out the others behind that address.
    by_address: HashMap<(IpAddr, String), Window>,
    /// Per address, whatever the name, with a wider limit
    /// ([`ADDRESS_WIDE`] times): one address can't guess at many accounts.
    by_ip: HashMap<IpAddr, Window>,
    by_account: HashMap<String, Window>,
    /// Numbers the attempts, so one can be given back.
    next: u64,
}

/// The attempts of one address or one account, oldest first.
type Window = VecDeque<(Instant, u64)>;

/// Whose limit refused an attempt, and how long until the oldest attempt
/// leaves the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Address(Duration),
    Account(Duration),
}

/// The account a login tries: its case-folded nickname, and the address its
/// owner last logged in from.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub key: &'a str,
    pub owner_address: Option<IpAddr>,
}

/// A reserved attempt: a failure unless handed back to
/// [`LoginThrottle::give_back`].
#[must_use = "an attempt counts as a failure until it is given back"]
#[derive(Debug)]
pub struct Attempt {
    ip: IpAddr,
    account: Option<String>,
    id: u64,
}

impl LoginThrottle {
    pub fn new(max_failures: usize, window: Duration) -> LoginThrottle {
        LoginThrottle {
            max_failures,
            window,
            attempts: Mutex::new(Attempts::default()),
        }
    }

    /// Whether an attempt from `ip` at `target` would be refused now;
    /// reserves nothing (to refuse before a password is even asked for).
    pub fn check(&self, ip: IpAddr, target: Option<Target>, now: Instant) -> Result<(), Refusal> {
        let mut attempts = self.lock();
        self.refusal(&mut attempts, ip, target, now)
            .map_or(Ok(()), Err)
    }

    /// Reserves an attempt from `ip` at `target` (or at a name that is no
    /// account, e.g. an operator's), or says whose limit refuses it.
    pub fn begin(
        &self,
        ip: IpAddr,
        target: Option<Target>,
        now: Instant,
    ) -> Result<Attempt, Refusal> {
        let mut attempts = self.lock();
        if let Some(refusal) = self.refusal(&mut attempts, ip, target, now) {
            return Err(refusal);
        }
        attempts.next += 1;
        let id = attempts.next;
        if id.is_multiple_of(SWEEP_EVERY) {
            let window = self.window;
            let live = |w: &mut Window| {
                expire(w, window, now);
                !w.is_empty()
            };
            attempts.by_address.retain(|_, w| live(w));
            attempts.by_ip.retain(|_, w| live(w));
            attempts.by_account.retain(|_, w| live(w));
        }
        attempts
            .by_address
            .entry(address_key(ip, target))
            .or_default()
            .push_back((now, id));
        attempts.by_ip.entry(ip).or_default().push_back((now, id));
        if let Some(target) = target {
            let window = attempts.by_account.entry(target.key.to_string());
            window.or_default().push_back((now, id));
        }
        Ok(Attempt {
            ip,
            account: target.map(|t| t.key.to_string()),
            id,
        })
    }

    /// Hands back an attempt that was no failure: the password was right,
    /// or it was never checked (the server was busy).
    pub fn give_back(&self, attempt: Attempt) {
        let mut attempts = self.lock();
        let Attempts {
            by_address,
            by_ip,
            by_account,
            ..
        } = &mut *attempts;
        let key = (attempt.ip, attempt.account.clone().unwrap_or_default());
        let windows = [
            by_address.get_mut(&key),
            by_ip.get_mut(&attempt.ip),
            attempt
                .account
                .as_ref()
                .and_then(|key| by_account.get_mut(key)),
        ];
        for window in windows.into_iter().flatten() {
            window.retain(|(_, id)| *id != attempt.id);
        }
    }

    fn refusal(
        &self,
        attempts: &mut Attempts,
        ip: IpAddr,
        target: Option<Target>,
        now: Instant,
    ) -> Option<Refusal> {
        if let Some(wait) = attempts
            .by_address
            .get_mut(&address_key(ip, target))
            .and_then(|w| self.full(w, self.max_failures, now))
        {
            return Some(Refusal::Address(wait));
        }
        if let Some(wait) = attempts
            .by_ip
            .get_mut(&ip)
            .and_then(|w| self.full(w, ADDRESS_WIDE * self.max_failures, now))
        {
            return Some(Refusal::Address(wait));
        }
        let target = target.filter(|t| t.owner_address != Some(ip))?;
        let window = attempts.by_account.get_mut(target.key)?;
        self.full(window, self.max_failures, now)
            .map(Refusal::Account)
    }

    /// How long until `window` has room again, if it holds `most`.
    fn full(&self, window: &mut Window, most: usize, now: Instant) -> Option<Duration> {
        expire(window, self.window, now);
        let (oldest, _) = *window.front()?;
        (window.len() >= most).then(|| self.window.saturating_sub(now.duration_since(oldest)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Attempts> {
        self.attempts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How many times `max_login_failures` one address may fail at all names
/// together in a window.
pub const ADDRESS_WIDE: usize = 4;

fn address_key(ip: IpAddr, target: Option<Target>) -> (IpAddr, String) {
    (ip, target.map(|t| t.key.to_string()).unwrap_or_default())
}

/// Drops the attempts older than `window`.
fn expire(attempts: &mut Window, window: Duration, now: Instant) {
    while attempts
        .front()
        .is_some_and(|(t, _)| now.duration_since(*t) >= window)
    {
        attempts.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Cost {
        Cost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let pool = AuthPool::new(cheap(), 2, 8).unwrap();
        let phc = pool.hash("correct horse".into()).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        assert!(pool.verify(phc.clone(), "correct horse".into()).unwrap());
        assert!(!pool.verify(phc, "battery staple".into()).unwrap());
        assert!(!pool.verify("not a hash".into(), "x".into()).unwrap());
    }

    #[test]
    fn salts_differ() {
        let pool = AuthPool::new(cheap(), 1, 8).unwrap();
        let a = pool.hash("same".into()).unwrap();
        let b = pool.hash("same".into()).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn a_hash_made_at_another_cost_still_verifies() {
        let strong = AuthPool::new(
            Cost {
                memory_kib: 128,
                ..cheap()
            },
            1,
            8,
        )
        .unwrap();
        let phc = strong.hash("pw".into()).unwrap();
        let pool = AuthPool::new(cheap(), 1, 8).unwrap();
        assert!(pool.verify(phc, "pw".into()).unwrap());
    }

    #[test]
    fn the_default_cost_is_owasps() {
        let cost = Cost::default();
        assert_eq!(
            (cost.memory_kib, cost.iterations, cost.parallelism),
            (19456, 2, 1)
        );
    }

    const MINUTE: Duration = Duration::from_secs(60);

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    fn alice(owner: Option<IpAddr>) -> Option<Target<'static>> {
        Some(Target {
            key: "alice",
            owner_address: owner,
        })
    }

    #[test]
    fn the_throttle_opens_again_after_the_window() {
        let throttle = LoginThrottle::new(3, MINUTE);
        let t0 = Instant::now();
        for _ in 0..2 {
            let _failed = throttle.begin(ip(1), None, t0).unwrap();
        }
        assert_eq!(throttle.check(ip(1), None, t0), Ok(()));
        let _failed = throttle.begin(ip(1), None, t0 + Duration::from_secs(10));
        assert_eq!(
            throttle.check(ip(1), None, t0 + Duration::from_secs(20)),
            Err(Refusal::Address(Duration::from_secs(40)))
        );
        assert_eq!(throttle.check(ip(2), None, t0), Ok(()));
        assert_eq!(
            throttle.check(ip(1), None, t0 + Duration::from_secs(61)),
            Ok(())
        );
    }

    #[test]
    fn attempts_count_when_they_start_so_concurrent_guesses_are_bounded() {
        // Issue 16: 16 guesses at once, none finished yet, get 5 slots.
        let throttle = LoginThrottle::new(5, MINUTE);
        let t0 = Instant::now();
        let started: Vec<_> = (0..16)
            .map(|_| throttle.begin(ip(1), alice(None), t0))
            .collect();
        assert_eq!(started.iter().filter(|a| a.is_ok()).count(), 5);
        assert!(matches!(started[5], Err(Refusal::Address(_))));
    }

    #[test]
    fn a_right_password_gives_its_slot_back() {
        let throttle = LoginThrottle::new(2, MINUTE);
        let t0 = Instant::now();
        for _ in 0..10 {
            let attempt = throttle.begin(ip(1), alice(None), t0).unwrap();
            throttle.give_back(attempt);
        }
        let _failed = throttle.begin(ip(1), alice(None), t0).unwrap();
        let _failed = throttle.begin(ip(1), alice(None), t0).unwrap();
        assert!(throttle.begin(ip(1), alice(None), t0).is_err());
    }

    #[test]
    fn many_addresses_share_one_accounts_limit_but_not_its_owners_address() {
        let throttle = LoginThrottle::new(3, MINUTE);
        let t0 = Instant::now();
        let owner = ip(200);
        for n in 1..=3 {
            let _failed = throttle.begin(ip(n), alice(Some(owner)), t0).unwrap();
        }
        // A fourth stranger, on a fresh address, waits for the account…
        assert_eq!(
            throttle.begin(ip(4), alice(Some(owner)), t0).map(drop),
            Err(Refusal::Account(MINUTE))
        );
        // …and may still try another nickname.
        assert!(throttle.begin(ip(4), None, t0).is_ok());
        // The owner's own address is not locked out by them.
        let attempt = throttle.begin(owner, alice(Some(owner)), t0).unwrap();
        throttle.give_back(attempt);
        assert_eq!(
            throttle.check(ip(5), alice(Some(owner)), t0 + MINUTE),
            Ok(())
        );
    }
}
