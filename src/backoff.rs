//! Exponential backoff with jitter, for the two things that retry: a pass that failed (the
//! mailbox or the database unreachable) and a mail the SMTP server refused for now. The
//! jitter keeps many retries from coming at once.

use std::time::Duration;

use rand::Rng;

/// How long the daemon waits after its `failures`-th failed pass in a row: 1 s, 2 s, 4 s …
/// capped at the poll interval (and at 5 minutes), each shortened by up to half.
pub fn pass_retry(failures: u32, poll: Duration) -> Duration {
    let cap = poll.max(Duration::from_secs(1)).min(Duration::from_secs(300));
    let base = Duration::from_secs(1u64 << failures.min(9)).min(cap);
    let jitter = rand::rng().random_range(0.5..1.0);
    base.mul_f64(jitter)
}

/// Seconds until the `attempt`-th retry of a mail: `first` (30 s by default), then twice as
/// long each attempt, capped at one hour, each between 3/4 and all of it.
pub fn send_retry_seconds(first: i64, attempt: i64) -> i64 {
    let base = first.saturating_mul(1 << (attempt - 1).clamp(0, 12)).min(3600);
    let jitter = rand::rng().random_range(0..=base / 4);
    base / 2 + jitter + base / 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_retries_grow_and_are_capped() {
        for attempt in 1..20 {
            let b = send_retry_seconds(30, attempt);
            assert!((0..=3600).contains(&b), "{attempt}: {b}");
        }
        assert!(send_retry_seconds(30, 1) < send_retry_seconds(30, 6));
        assert!((15..=30).contains(&send_retry_seconds(30, 1)));
    }

    #[test]
    fn pass_retries_grow_up_to_the_poll_interval() {
        let poll = Duration::from_secs(60);
        assert!((Duration::from_millis(1000)..Duration::from_secs(2)).contains(&pass_retry(1, poll)));
        for failures in 1..40 {
            assert!(pass_retry(failures, poll) <= poll, "{failures}");
        }
        assert!(pass_retry(30, Duration::from_secs(3600)) <= Duration::from_secs(300), "5 minutes at most");
        assert!(pass_retry(3, Duration::ZERO) <= Duration::from_secs(1), "at least a second's cap");
    }
}
