//! Failpoints for the crash tests, named by `DESKMAIL_FAILPOINT` (read once per process):
//! `after-batch-commit`, `before-smtp` and `after-smtp-accept` stop the process there the way
//! `kill -9` would; `panic-processing:TEXT` makes the pipeline panic on mail containing TEXT.
//! Unset, each is one comparison.

use std::sync::OnceLock;

/// The failpoint this process was started with, if any.
fn named() -> Option<&'static str> {
    static NAMED: OnceLock<Option<String>> = OnceLock::new();
    NAMED.get_or_init(|| std::env::var("DESKMAIL_FAILPOINT").ok()).as_deref()
}

/// Aborts the process at the point `name` when it is the one named: no cleanup, no flush.
pub fn abort_at(name: &str) {
    if named() == Some(name) {
        eprintln!("deskmail: failpoint {name}: aborting");
        std::process::abort();
    }
}

/// Panics when `panic-processing:TEXT` is named and `bytes` contain TEXT (called right after
/// the pipeline processed a mail, its writes made and its savepoint still open).
pub fn panic_on(bytes: &[u8]) {
    let Some(needle) = named().and_then(|p| p.strip_prefix("panic-processing:")).filter(|n| !n.is_empty())
    else {
        return;
    };
    if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
        panic!("failpoint panic-processing:{needle}");
    }
}
