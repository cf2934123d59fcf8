//! `deskmail run`: the daemon (or one pass with `--once`), stopped by SIGTERM or SIGINT after
//! the mail in hand.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::Settings;
use crate::daemon::{self, Failure};

pub fn run(settings: &Settings, once: bool) -> Result<i32, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Temporary(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        watch_signals(stop.clone());
        daemon::run(settings, once, &stop, &mut |_, _| {}).await?;
        tracing::info!("stopped");
        Ok(0)
    })
}

/// Sets `stop` on SIGTERM or SIGINT.
fn watch_signals(stop: Arc<AtomicBool>) {
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
        else {
            tracing::error!("cannot install signal handlers");
            return;
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: stopping after the mail in hand"),
            _ = int.recv() => tracing::info!("SIGINT: stopping after the mail in hand"),
        }
        stop.store(true, Ordering::SeqCst);
    });
}
