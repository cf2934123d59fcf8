//! Stop and reload requests: SIGTERM/SIGINT ask the daemon to stop after the mail in hand,
//! SIGHUP (or `deskmail reload`) to re-read its configuration between passes. `cli::run`
//! builds one [`Control`] and hands it to the daemon loop, the sources and the outbox flush.
//! A leaf: it imports nothing of deskmail, so every stage can take a `&Control`.

use std::time::Duration;

use tokio::sync::watch;

/// What has been asked for so far.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Requests {
    stop: bool,
    reload: bool,
}

/// The stop and reload requests of one running daemon (or one pass). A watch channel, so
/// that a waiter wakes the moment a request comes in instead of polling a flag.
#[derive(Debug)]
pub struct Control {
    requests: watch::Sender<Requests>,
}

impl Default for Control {
    fn default() -> Control {
        Control { requests: watch::Sender::new(Requests::default()) }
    }
}

impl Control {
    /// Asks to stop after the mail in hand; it stays asked.
    pub fn stop(&self) {
        self.requests.send_modify(|r| r.stop = true);
    }

    /// Asks for the configuration, rules and templates to be read again before the next pass.
    pub fn reload(&self) {
        self.requests.send_modify(|r| r.reload = true);
    }

    /// Whether a stop was asked for.
    pub fn is_stopped(&self) -> bool {
        self.requests.borrow().stop
    }

    /// Whether a reload was asked for since the last call; answers it.
    pub fn take_reload(&self) -> bool {
        self.requests.send_if_modified(|r| std::mem::take(&mut r.reload))
    }

    /// Waits up to `total`, returning early when a stop or a reload is asked for (or already
    /// was: a request made before the wait began ends it at once).
    pub async fn sleep(&self, total: Duration) {
        let mut requests = self.requests.subscribe();
        let _ = tokio::time::timeout(total, requests.wait_for(|r| r.stop || r.reload)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Longer than any test may take: a sleep that ends is one that was woken.
    const LONG: Duration = Duration::from_secs(600);

    #[tokio::test]
    async fn a_sleep_ends_when_a_stop_or_reload_is_asked_for() {
        let control = std::sync::Arc::new(Control::default());
        let start = std::time::Instant::now();
        control.sleep(Duration::from_millis(30)).await;
        assert!(start.elapsed() >= Duration::from_millis(30), "nothing asked: the whole time");

        let asker = control.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            asker.reload();
        });
        tokio::time::timeout(Duration::from_secs(30), control.sleep(LONG))
            .await
            .expect("woken by the reload");
        assert!(control.take_reload());
        assert!(!control.take_reload(), "answered once");
        assert!(!control.is_stopped());

        control.stop();
        tokio::time::timeout(Duration::from_secs(30), control.sleep(LONG))
            .await
            .expect("asked before the wait: no wait");
        assert!(control.is_stopped());
    }
}
