//! Rate limits: a token bucket per API key, in memory.
//!
//! Each key may send `per_second` requests a second on average, with bursts of up to `burst`.
//! A request beyond that is answered 429 `rate-limited` with `Retry-After`: the seconds until
//! the bucket holds a token again. The buckets live in this process only: behind several
//! gateway instances a key gets each instance's allowance (a shared limit is not built).
//!
//! The [`RateLimiter`] counts anything named by a string: the API's keys here, the public reads
//! per client address ([`PUBLIC_PER_ADDRESS`], [`address_bucket`]), the console's
//! sign-ins per client address and per key. A bucket that has filled up again is the same as
//! a new one, so once the limiter holds many buckets it forgets the full ones: its memory stays
//! bounded by the buckets in use, whatever names callers make up.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

/// How many requests a key may send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Tokens added per second: the sustained rate.
    pub per_second: f64,
    /// The bucket's size: the largest burst.
    pub burst: u32,
}

impl Default for RateLimit {
    /// 50 requests a second, bursts of 100.
    fn default() -> Self {
        Self {
            per_second: 50.0,
            burst: 100,
        }
    }
}

/// One key's bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Tokens left, at `at`.
    tokens: f64,
    /// When `tokens` was last brought up to date.
    at: Instant,
}

impl Bucket {
    /// Its tokens at `now`: those left plus those added since, at most `burst`.
    fn tokens_at(&self, now: Instant, rate: f64, burst: f64) -> f64 {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        (self.tokens + elapsed * rate).min(burst)
    }
}

/// Below this many buckets, none is forgotten.
const FORGET_FULL_FROM: usize = 4_096;

/// The buckets of every name seen and not forgotten.
#[derive(Debug, Default)]
struct Buckets {
    /// One bucket per name (a key id, a client address).
    by_name: HashMap<String, Bucket>,
    /// A new name finding this many buckets (or [`FORGET_FULL_FROM`]) makes the limiter forget
    /// the full ones; then twice as many as are left, so that forgetting costs O(1) a request
    /// on average.
    forget_from: usize,
}

/// The buckets of every key seen.
#[derive(Debug, Default)]
pub struct RateLimiter {
    /// The allowance of each key.
    limit: RateLimit,
    /// One bucket per key, the full ones forgotten once there are many.
    buckets: Mutex<Buckets>,
}

impl RateLimiter {
    /// A limiter giving every key `limit`.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::default(),
        }
    }

    /// Takes a token for `key` now, or says how long to wait for one.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    /// Takes a token for `key` at `now`, or says how long to wait for one.
    pub fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let burst = f64::from(self.limit.burst.max(1));
        let rate = self.limit.per_second.max(f64::MIN_POSITIVE);
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !buckets.by_name.contains_key(key)
            && buckets.by_name.len() >= buckets.forget_from.max(FORGET_FULL_FROM)
        {
            buckets
                .by_name
                .retain(|_, bucket| bucket.tokens_at(now, rate, burst) < burst);
            buckets.forget_from = 2 * buckets.by_name.len();
        }
        let bucket = buckets.by_name.entry(key.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        bucket.tokens = bucket.tokens_at(now, rate, burst);
        bucket.at = now.max(bucket.at);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }

    /// How many buckets it holds now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .by_name
            .len()
    }
}

/// What one client address may ask of the public reads (the catalogue; not the health checks,
/// the metrics or the OpenAPI document): 20 requests a second, bursts of 60. A page of the
/// programme is one request; a crawler or a flood from one address is slowed, the others not.
pub const PUBLIC_PER_ADDRESS: RateLimit = RateLimit {
    per_second: 20.0,
    burst: 60,
};

/// The bucket an address counts in: an IPv4 address itself, an IPv6 one its /64 (what one machine
/// usually holds; an IPv4 address mapped into IPv6 as the IPv4 one), no address the empty name.
pub fn address_bucket(address: Option<IpAddr>) -> String {
    match address.map(|a| a.to_canonical()) {
        None => String::new(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The client's address, when the request came over TCP (the server serves with
/// `ConnectInfo`); none for a request made within the process (the console's calls, the tests').
/// Behind a reverse proxy it is the proxy's.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip()),
        ))
    }
}

/// A wait as `Retry-After` seconds: rounded up, at least 1.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    whole.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A limiter of `per_second` tokens a second, holding at most `burst`.
    fn limiter(per_second: f64, burst: u32) -> RateLimiter {
        RateLimiter::new(RateLimit { per_second, burst })
    }

    #[test]
    fn an_ipv6_address_counts_by_its_slash_64_and_a_mapped_ipv4_as_itself() {
        let ip = |text: &str| text.parse::<IpAddr>().ok();
        assert_eq!(address_bucket(ip("192.0.2.7")), "192.0.2.7");
        assert_eq!(address_bucket(ip("::ffff:192.0.2.7")), "192.0.2.7");
        assert_eq!(
            address_bucket(ip("2001:db8:1:2:aaaa::1")),
            address_bucket(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_eq!(address_bucket(ip("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_ne!(
            address_bucket(ip("2001:db8:1:2::1")),
            address_bucket(ip("2001:db8:1:3::1"))
        );
        assert_eq!(address_bucket(None), "");
    }

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let limiter = limiter(2.0, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at("k", start).is_ok());
        }
        let wait = limiter.check_at("k", start).err();
        assert_eq!(wait, Some(Duration::from_millis(500)));
        // Half a second later, one token is back, and only one.
        let later = start + Duration::from_millis(500);
        assert!(limiter.check_at("k", later).is_ok());
        assert!(limiter.check_at("k", later).is_err());
    }

    #[test]
    fn keys_have_their_own_buckets() {
        let limiter = limiter(1.0, 1);
        let now = Instant::now();
        assert!(limiter.check_at("a", now).is_ok());
        assert!(limiter.check_at("a", now).is_err());
        assert!(limiter.check_at("b", now).is_ok());
    }

    #[test]
    fn the_bucket_never_holds_more_than_the_burst() {
        let limiter = limiter(100.0, 2);
        let start = Instant::now();
        assert!(limiter.check_at("k", start).is_ok());
        let much_later = start + Duration::from_secs(3600);
        assert!(limiter.check_at("k", much_later).is_ok());
        assert!(limiter.check_at("k", much_later).is_ok());
        assert!(limiter.check_at("k", much_later).is_err());
    }

    #[test]
    fn full_buckets_are_forgotten_once_there_are_many_and_the_others_kept() {
        let limiter = limiter(1.0, 2);
        let start = Instant::now();
        // A guesser making up names: each takes a token, so its bucket is not full...
        for n in 1..FORGET_FULL_FROM {
            assert!(limiter.check_at(&format!("made-up-{n}"), start).is_ok());
        }
        // ...and one name takes both its tokens.
        assert!(limiter.check_at("busy", start).is_ok());
        assert!(limiter.check_at("busy", start).is_ok());
        assert_eq!(limiter.len(), FORGET_FULL_FROM);
        // One second later the made-up names' buckets are full again, `busy`'s holds one token.
        let later = start + Duration::from_secs(1);
        assert!(limiter.check_at("newcomer", later).is_ok());
        assert_eq!(limiter.len(), 2, "only `busy` and `newcomer` are left");
        // `busy` was not forgotten: one token, not two.
        assert!(limiter.check_at("busy", later).is_ok());
        assert!(limiter.check_at("busy", later).is_err());
        // A forgotten name starts again from a full bucket, as it would have found it.
        assert!(limiter.check_at("made-up-1", later).is_ok());
        assert!(limiter.check_at("made-up-1", later).is_ok());
        assert!(limiter.check_at("made-up-1", later).is_err());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
    }
}
