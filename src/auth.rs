//! Password hashing and checking with argon2id, off the hub thread and with
//! bounded concurrency: a fixed set of worker threads takes jobs from a
//! bounded queue, so a storm of logins costs at most `workers` × the argon2
//! memory cost at once and never delays chat. Also the limit on failed
//! logins.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::Hash;
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

/// Counts failures per key (an address, or an address and a nickname) in a
/// sliding window; past the limit the key must wait until its oldest
/// failure leaves the window.
pub struct LoginThrottle<K = IpAddr> {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K: Hash + Eq> LoginThrottle<K> {
    pub fn new(max_failures: usize, window: Duration) -> LoginThrottle<K> {
        LoginThrottle {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// An empty throttle with the same limits, counting other things.
    pub fn alike<L: Hash + Eq>(&self) -> LoginThrottle<L> {
        LoginThrottle::new(self.max_failures, self.window)
    }

    /// `Err(wait)` if `key` has failed too often lately.
    pub fn check(&self, key: K, now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = failures.get_mut(&key) else {
            return Ok(());
        };
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.is_empty() {
            failures.remove(&key);
            return Ok(());
        }
        if times.len() < self.max_failures {
            return Ok(());
        }
        let oldest = *times.front().expect("not empty");
        Err(self.window.saturating_sub(now.duration_since(oldest)))
    }

    pub fn record_failure(&self, key: K, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let times = failures.entry(key).or_default();
        times.push_back(now);
        // Only the newest `max_failures` matter.
        while times.len() > self.max_failures {
            times.pop_front();
        }
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

    #[test]
    fn the_throttle_opens_again_after_the_window() {
        let throttle = LoginThrottle::new(3, Duration::from_secs(60));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..2 {
            throttle.record_failure(ip, t0);
        }
        assert_eq!(throttle.check(ip, t0), Ok(()));
        throttle.record_failure(ip, t0 + Duration::from_secs(10));
        assert_eq!(
            throttle.check(ip, t0 + Duration::from_secs(20)),
            Err(Duration::from_secs(40))
        );
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(throttle.check(other, t0), Ok(()));
        assert_eq!(throttle.check(ip, t0 + Duration::from_secs(61)), Ok(()));
    }
}
