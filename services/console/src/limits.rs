//! Sign-in rate limits: every attempt per client address, and the logins opened per key.
//!
//! Each sign-in (`POST /console/login`), accepted or refused, takes a token from its client
//! address's bucket before the key is even read: a key guesser is slowed, and a flood of
//! attempts costs the key store little. A sign-in that would open a login also takes a token
//! from its key's bucket: a leaked key, sent from many addresses, cannot fill the
//! `console_sessions` bucket. Beyond either, the sign-in page answers `429` with `Retry-After`.
//! The buckets are the gateway's [`RateLimiter`], in this process's memory.
//!
//! The client address is the TCP peer's (the gateway serves with `ConnectInfo`), an IPv6
//! address counted by its /64 (what one machine usually holds). Behind a reverse proxy every
//! sign-in comes from the proxy's address and they share one bucket, as do the requests sent
//! from within the process (the tests'), which carry no peer.

use std::net::IpAddr;
use std::time::Duration;

use gateway::RateLimit;
use gateway::keys::KeyId;
use gateway::limits::{RateLimiter, address_bucket};

/// Sign-in attempts per client address: 10 at once, then one every 2 s.
pub const PER_ADDRESS: RateLimit = RateLimit {
    per_second: 0.5,
    burst: 10,
};

/// Logins opened per key: 10 at once, then one a minute (a login lasts 12 hours, so a key
/// holds at most some 730 at a time).
pub const PER_KEY: RateLimit = RateLimit {
    per_second: 1.0 / 60.0,
    burst: 10,
};

/// The buckets of the console's sign-ins.
#[derive(Debug)]
pub struct SignInLimits {
    /// One bucket per client address (an IPv6 one's /64).
    addresses: RateLimiter,
    /// One bucket per key that opened a login.
    keys: RateLimiter,
}

impl Default for SignInLimits {
    /// [`PER_ADDRESS`] and [`PER_KEY`].
    fn default() -> Self {
        Self::new(PER_ADDRESS, PER_KEY)
    }
}

impl SignInLimits {
    /// Limits with these allowances.
    pub fn new(per_address: RateLimit, per_key: RateLimit) -> Self {
        Self {
            addresses: RateLimiter::new(per_address),
            keys: RateLimiter::new(per_key),
        }
    }

    /// Takes a token for an attempt from `address`, or says how long to wait for one.
    pub fn attempt(&self, address: Option<IpAddr>) -> Result<(), Duration> {
        self.addresses.check(&address_bucket(address))
    }

    /// Takes a token for a login of `key`, or says how long to wait for one.
    pub fn login(&self, key: &KeyId) -> Result<(), Duration> {
        self.keys.check(key.as_str())
    }
}

/// What French users read when a sign-in waits: the seconds to wait, in words.
pub fn wait_message(seconds: u64) -> String {
    let unit = if seconds > 1 { "secondes" } else { "seconde" };
    format!("Trop de tentatives de connexion : réessayez dans {seconds} {unit}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_is_told_in_seconds_singular_or_plural() {
        assert_eq!(
            wait_message(1),
            "Trop de tentatives de connexion : réessayez dans 1 seconde."
        );
        assert!(wait_message(60).ends_with("dans 60 secondes."));
    }
}
