//! Idle connections kept for reuse: the most recently used one first, at most `capacity` of
//! them, none older than `max_idle` (the caller checks that a reused one still works).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Parked connections with the time each was parked.
pub struct Pool<T> {
    idle: Mutex<Vec<(T, Instant)>>,
    capacity: usize,
    max_idle: Duration,
}

impl<T> Pool<T> {
    pub fn new(capacity: usize, max_idle: Duration) -> Pool<T> {
        Pool { idle: Mutex::new(Vec::with_capacity(capacity)), capacity, max_idle }
    }

    /// The most recently parked connection, if one was parked less than `max_idle` ago. The
    /// stale ones are dropped (closed) on the way.
    pub fn take(&self) -> Option<T> {
        let mut idle = self.lock();
        let now = Instant::now();
        idle.retain(|(_, since)| now.duration_since(*since) < self.max_idle);
        idle.pop().map(|(conn, _)| conn)
    }

    /// Parks a connection for reuse; when the pool is full it is dropped (closed) instead.
    pub fn put(&self, conn: T) {
        let mut idle = self.lock();
        if idle.len() < self.capacity {
            idle.push((conn, Instant::now()));
        }
    }

    /// How many connections are parked.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(T, Instant)>> {
        // Nothing can panic while it is held; a poisoned list is still a valid list.
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_parked_comes_back_first_and_none_beyond_the_capacity() {
        let pool = Pool::new(2, Duration::from_secs(60));
        assert_eq!(pool.take(), None::<u32>);
        pool.put(1);
        pool.put(2);
        pool.put(3);
        assert_eq!(pool.len(), 2, "the third is dropped");
        assert_eq!(pool.take(), Some(2));
        assert_eq!(pool.take(), Some(1));
        assert_eq!(pool.take(), None);
    }

    #[test]
    fn a_connection_idle_too_long_is_dropped_not_reused() {
        let pool = Pool::new(4, Duration::from_millis(30));
        pool.put("old");
        std::thread::sleep(Duration::from_millis(40));
        pool.put("fresh");
        assert_eq!(pool.take(), Some("fresh"));
        assert_eq!(pool.take(), None, "the stale one is gone");
        assert_eq!(pool.len(), 0);
    }
}
