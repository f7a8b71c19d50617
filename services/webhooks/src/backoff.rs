//! When a failed delivery is tried again: exponential back-off with jitter, capped, for at least
//! a day. Pure: the caller gives the times and the randomness.

use std::time::Duration;

use jiff::Timestamp;

/// The retry schedule of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure, before jitter; it doubles with each failure.
    pub first: Duration,
    /// The longest wait between two attempts, before jitter.
    pub cap: Duration,
    /// How long after its first attempt a delivery keeps being tried: a failure at least this
    /// long after the first attempt is the last one.
    pub retry_for: Duration,
}

impl Default for Backoff {
    /// 10 s after the first failure, doubling up to an hour, for 24 hours: about 30 attempts.
    fn default() -> Self {
        Self {
            first: Duration::from_secs(10),
            cap: Duration::from_secs(60 * 60),
            retry_for: Duration::from_secs(24 * 60 * 60),
        }
    }
}

impl Backoff {
    /// The wait after the `failures`-th failure (1 for the first): `first * 2^(failures-1)`,
    /// at most `cap`, then jittered into its upper half (`[d/2, d]`) by `jitter`, any number
    /// (a random one spreads the retries of many deliveries that failed together).
    pub fn delay(&self, failures: u32, jitter: u64) -> Duration {
        let doublings = failures.saturating_sub(1).min(32);
        let full = self
            .first
            .checked_mul(1u32 << doublings.min(31))
            .unwrap_or(self.cap)
            .min(self.cap);
        let full_ms = u64::try_from(full.as_millis()).unwrap_or(u64::MAX);
        let half = full_ms / 2;
        let spread = full_ms - half;
        Duration::from_millis(half + jitter % (spread + 1))
    }

    /// When to try again after the `failures`-th failure at `now`, for a delivery first tried
    /// at `first_attempt`; `None` to give up: the failure came `retry_for` or more after the
    /// first attempt.
    pub fn next_attempt(
        &self,
        failures: u32,
        first_attempt: Timestamp,
        now: Timestamp,
        jitter: u64,
    ) -> Option<Timestamp> {
        let tried_for = now.duration_since(first_attempt);
        let retry_for = jiff::SignedDuration::try_from(self.retry_for).ok()?;
        if tried_for >= retry_for {
            return None;
        }
        let wait = jiff::SignedDuration::try_from(self.delay(failures, jitter)).ok()?;
        now.checked_add(wait).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn waits_double_up_to_the_cap_within_their_upper_half() {
        let backoff = Backoff::default();
        let mut previous_full = Duration::ZERO;
        for failures in 1..40 {
            let low = backoff.delay(failures, 0);
            let high = backoff.delay(failures, u64::MAX - 1);
            let full =
                (backoff.first * 2u32.saturating_pow((failures - 1).min(20))).min(backoff.cap);
            assert_eq!(low, full / 2, "failure {failures}");
            assert!(high <= full && high >= low, "failure {failures}");
            assert!(full >= previous_full);
            previous_full = full;
            for jitter in [1, 7, 12_345, 987_654_321] {
                let wait = backoff.delay(failures, jitter);
                assert!(wait >= full / 2 && wait <= full, "failure {failures}");
            }
        }
        assert_eq!(backoff.delay(1, 0), Duration::from_secs(5));
        assert_eq!(backoff.delay(1, 5_000), Duration::from_secs(10));
        assert_eq!(backoff.delay(30, 0), Duration::from_secs(30 * 60));
    }

    #[test]
    fn a_dead_receiver_is_tried_for_at_least_a_day() {
        let backoff = Backoff::default();
        let first = at(0);
        // The slowest schedule (every wait at its longest) and the fastest (at its shortest).
        for jitter in [u64::MAX - 1, 0] {
            let mut now = first;
            let mut failures = 0;
            loop {
                failures += 1;
                match backoff.next_attempt(failures, first, now, jitter) {
                    Some(next) => {
                        assert!(next > now);
                        now = next;
                    }
                    None => break,
                }
            }
            assert!(now.duration_since(first) >= jiff::SignedDuration::from_hours(24));
            assert!(now.duration_since(first) < jiff::SignedDuration::from_hours(26));
            assert!(failures < 200, "{failures} attempts");
        }
    }

    #[test]
    fn a_short_schedule_for_tests() {
        let backoff = Backoff {
            first: Duration::from_millis(20),
            cap: Duration::from_millis(100),
            retry_for: Duration::from_secs(1),
        };
        assert_eq!(backoff.delay(10, 0), Duration::from_millis(50));
        assert_eq!(backoff.next_attempt(3, at(0), at(1), 0), None);
        assert_eq!(
            backoff.next_attempt(1, at(0), at(0), 0),
            at(0)
                .checked_add(jiff::SignedDuration::from_millis(10))
                .ok()
        );
    }
}
