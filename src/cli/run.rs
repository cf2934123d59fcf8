//! `deskmail run`: the daemon (or one pass with `--once`), stopped by SIGTERM or SIGINT after
//! the mail in hand; SIGHUP (or `deskmail reload`) re-reads rules and templates.

use super::output::outln;
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

/// Sets `stop` on SIGTERM or SIGINT, and asks for a reload on SIGHUP.
fn watch_signals(stop: Arc<AtomicBool>) {
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) =
            (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::hangup()))
        else {
            tracing::error!("cannot install signal handlers");
            return;
        };
        loop {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM: stopping after the mail in hand"),
                _ = int.recv() => tracing::info!("SIGINT: stopping after the mail in hand"),
                _ = hup.recv() => {
                    tracing::info!("SIGHUP: reloading rules and templates");
                    daemon::RELOAD.store(true, Ordering::SeqCst);
                    continue;
                }
            }
            stop.store(true, Ordering::SeqCst);
            return;
        }
    });
}

/// `deskmail reload`: sends SIGHUP to the instance that holds the database lock.
pub fn reload(settings: &Settings) -> Result<i32, Failure> {
    let Some(pid) = daemon::lock::holder(&settings.database) else {
        eprintln!("deskmail: no running instance holds {}", settings.database.display());
        return Ok(1);
    };
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .map_err(|e| Failure::Temporary(format!("cannot run kill: {e}")))?;
    if status.success() {
        outln!("asked deskmail (pid {pid}) to reload its rules and templates");
        Ok(0)
    } else {
        Ok(1)
    }
}
