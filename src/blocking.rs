//! Blocking work called from async code: SQLite (rusqlite is blocking, and a commit waits for
//! fsync, or for another connection's lock up to the busy timeout). On a multi-thread runtime
//! the worker first hands its other tasks to another thread (`block_in_place`), so the
//! metrics endpoint, the signal handler and anything else spawned keep running while a batch
//! commits. A current-thread runtime (one-shot commands, `#[tokio::test]`) has no other
//! worker to hand them to: there the work runs in place, as it would anyway.
//!
//! `block_in_place` rather than `spawn_blocking`: the work borrows the pass's settings,
//! rules and store, and the pass waits for it in any case.

use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs `work`, keeping the runtime's other tasks going meanwhile where it can.
pub fn run<T>(work: impl FnOnce() -> T) -> T {
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}
