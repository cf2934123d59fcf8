//! systemd integration without unsafe code: `READY=1`, `WATCHDOG=1`, `STATUS=…` and
//! `STOPPING=1` sent as datagrams to `$NOTIFY_SOCKET` when systemd runs us as
//! `Type=notify`; nothing at all otherwise.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// Sends one notification (for example `READY=1\nSTATUS=working`); errors are ignored, as
/// systemd's own sd_notify does.
pub fn notify(state: &str) {
    if let Some(path) = std::env::var_os("NOTIFY_SOCKET") {
        notify_to(&path, state);
    }
}

/// Sends `state` to the notification socket at `path` (`@name` for an abstract socket).
fn notify_to(path: &std::ffi::OsStr, state: &str) {
    let Ok(socket) = UnixDatagram::unbound() else { return };
    let bytes = path.as_encoded_bytes();
    let _ = match bytes.strip_prefix(b"@") {
        Some(name) => abstract_send(&socket, name, state),
        None => socket.send_to(state.as_bytes(), path).map(|_| ()),
    };
}

fn abstract_send(socket: &UnixDatagram, name: &[u8], state: &str) -> std::io::Result<()> {
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
    socket.send_to_addr(state.as_bytes(), &addr).map(|_| ())
}

/// Half the watchdog interval systemd asked for, if any: how often to send `WATCHDOG=1`.
pub fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    Some(Duration::from_micros(usec / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_reach_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        notify_to(path.as_os_str(), "READY=1\nSTATUS=testing");
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=testing");
    }
}
