//! Flood control: a token bucket per connection (or UDP address). Pure: the
//! time is passed in. A line within the rate passes; a burst beyond it is
//! slowed down (the door waits before reading on); a client that keeps
//! flooding runs up a debt, and past `burst` lines of debt it is cut off with
//! "Excess flood", as IRC servers do.

use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloodRule {
    /// Lines per second allowed for ever.
    pub rate: f64,
    /// Lines allowed at once above the rate, and the debt allowed after that.
    pub burst: f64,
}

/// What to do with one line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    Pass,
    /// Handle it after this long (the line is late, not lost).
    Slow(Duration),
    /// Cut the client off.
    Excess,
}

pub struct TokenBucket {
    rule: FloodRule,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    pub fn new(rule: FloodRule, now: Instant) -> TokenBucket {
        TokenBucket {
            rule,
            tokens: rule.burst,
            updated: now,
        }
    }

    /// Takes one line's token.
    pub fn take(&mut self, now: Instant) -> Verdict {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.updated = now;
        self.tokens = (self.tokens + elapsed * self.rule.rate).min(self.rule.burst);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Verdict::Pass
        } else if -self.tokens > self.rule.burst {
            Verdict::Excess
        } else {
            Verdict::Slow(Duration::from_secs_f64(-self.tokens / self.rule.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: FloodRule = FloodRule {
        rate: 2.0,
        burst: 4.0,
    };

    #[test]
    fn a_burst_passes_then_lines_are_slowed() {
        let t = Instant::now();
        let mut bucket = TokenBucket::new(RULE, t);
        for _ in 0..4 {
            assert_eq!(bucket.take(t), Verdict::Pass);
        }
        assert_eq!(bucket.take(t), Verdict::Slow(Duration::from_millis(500)));
        assert_eq!(bucket.take(t), Verdict::Slow(Duration::from_secs(1)));
    }

    #[test]
    fn a_steady_flood_is_cut_off() {
        let t = Instant::now();
        let mut bucket = TokenBucket::new(RULE, t);
        let verdicts: Vec<Verdict> = (0..9).map(|_| bucket.take(t)).collect();
        assert_eq!(verdicts[8], Verdict::Excess);
        assert!(matches!(verdicts[7], Verdict::Slow(_)));
    }

    #[test]
    fn waiting_refills_the_bucket() {
        let t = Instant::now();
        let mut bucket = TokenBucket::new(RULE, t);
        for _ in 0..6 {
            bucket.take(t);
        }
        let later = t + Duration::from_secs(10);
        assert_eq!(bucket.take(later), Verdict::Pass);
    }

    #[test]
    fn lines_at_the_rate_always_pass() {
        let t = Instant::now();
        let mut bucket = TokenBucket::new(RULE, t);
        for i in 0..100 {
            assert_eq!(
                bucket.take(t + Duration::from_millis(500 * i)),
                Verdict::Pass
            );
        }
    }
}
