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
        self.refill(now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Verdict::Pass
        } else if -self.tokens > self.rule.burst {
            Verdict::Excess
        } else {
            Verdict::Slow(Duration::from_secs_f64(-self.tokens / self.rule.rate))
        }
    }

    /// Takes `cost` tokens (bytes, for a byte budget) and says how long to
    /// wait before the next read so that the debt is paid: a budget that
    /// only slows, never cuts off.
    pub fn throttle(&mut self, now: Instant, cost: f64) -> Duration {
        self.refill(now);
        self.tokens -= cost;
        match self.tokens < 0.0 {
            true => Duration::from_secs_f64(-self.tokens / self.rule.rate),
            false => Duration::ZERO,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.updated = now;
        self.tokens = (self.tokens + elapsed * self.rule.rate).min(self.rule.burst);
    }
}

impl FloodRule {
    /// The byte budget that goes with this line rule: as many lines of the
    /// longest length allowed, per second and at once.
    pub fn in_bytes(self, line_length: usize) -> FloodRule {
        FloodRule {
            rate: self.rate * line_length as f64,
            burst: self.burst * line_length as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_budget_slows_a_stream_to_its_rate_and_never_cuts() {
        let start = Instant::now();
        let rule = FloodRule {
            rate: 5.0,
            burst: 20.0,
        }
        .in_bytes(100);
        let mut bytes = TokenBucket::new(rule, start);
        assert_eq!(bytes.throttle(start, 2000.0), Duration::ZERO);
        // 2,000 bytes of debt at 500 bytes/s: four seconds to pay.
        assert_eq!(bytes.throttle(start, 2000.0), Duration::from_secs(4));
        let later = start + Duration::from_secs(4);
        assert_eq!(bytes.throttle(later, 500.0), Duration::from_secs(1));
    }

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
