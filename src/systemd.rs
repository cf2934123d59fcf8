//! systemd integration through the `sd-notify` crate: `READY=1`, `WATCHDOG=1`, `STATUS=…`
//! and `STOPPING=1` go to `$NOTIFY_SOCKET` when systemd runs us as `Type=notify`; without
//! that socket nothing at all is sent. Errors are ignored, as systemd's own sd_notify does.

use std::time::Duration;

use sd_notify::NotifyState;

/// Start-up is done: the daemon is working `what`.
pub fn ready(what: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(&format!("working {what}"))]);
}

/// A pass ended (well or not): the watchdog is fed and the status line says how.
pub fn alive(status: &str) {
    send(&[NotifyState::Watchdog, NotifyState::Status(status)]);
}

/// The daemon is stopping.
pub fn stopping() {
    send(&[NotifyState::Stopping]);
}

fn send(states: &[NotifyState<'_>]) {
    let _ = sd_notify::notify(states);
}

/// Half the watchdog interval systemd asked for, if any: how often to send `WATCHDOG=1`.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled().map(|d| d / 2)
}
