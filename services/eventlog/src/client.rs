//! How semaine connects to NATS: the one set of client options every connection it opens uses.
//!
//! A connection keeps trying forever, from the start (a nats-server started after semaine is
//! waited for) and after every loss. Between two attempts it waits a short, capped delay: the
//! client's own default grows to 4 s, so a nats-server back after a second's restart could wait
//! seconds more for the client to try again, with every command waiting behind it.

use std::time::Duration;

/// The wait before the second attempt in a row; each further attempt waits twice as long...
pub const FIRST_RECONNECT_DELAY: Duration = Duration::from_millis(50);

/// ...up to this: a restarted server is found again within this delay of being back.
pub const MAX_RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// The wait before the `attempts`-th attempt in a row to connect (1 the first): none for the
/// first, then [`FIRST_RECONNECT_DELAY`] doubling up to [`MAX_RECONNECT_DELAY`].
pub fn reconnect_delay(attempts: usize) -> Duration {
    let Some(doublings) = attempts.checked_sub(2) else {
        return Duration::ZERO;
    };
    let factor = u32::try_from(doublings)
        .ok()
        .and_then(|d| 2_u32.checked_pow(d))
        .unwrap_or(u32::MAX);
    FIRST_RECONNECT_DELAY
        .checked_mul(factor)
        .map_or(MAX_RECONNECT_DELAY, |delay| delay.min(MAX_RECONNECT_DELAY))
}

/// The options of every connection semaine opens to NATS, named `name` in the server's
/// connection list: retried from the first attempt, forever, [`reconnect_delay`] apart.
pub fn connect_options(name: &str) -> async_nats::ConnectOptions {
    async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .max_reconnects(None)
        .reconnect_delay_callback(reconnect_delay)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_attempt_waits_not_then_the_delay_doubles_up_to_its_cap() {
        let delays: Vec<Duration> = (0..=8).map(reconnect_delay).collect();
        let expected = [0, 0, 50, 100, 200, 400, 500, 500, 500].map(Duration::from_millis);
        assert_eq!(delays, expected);
    }

    #[test]
    fn the_delay_stays_capped_however_many_attempts_failed() {
        for attempts in [30, 33, 64, 1_000, usize::MAX] {
            assert_eq!(reconnect_delay(attempts), MAX_RECONNECT_DELAY);
        }
    }
}
