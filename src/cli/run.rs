//! `deskmail run`: the daemon (or one pass with `--once`), stopped by SIGTERM or SIGINT after
//! the mail in hand; SIGHUP (or `deskmail reload`) re-reads rules and templates.

use std::sync::Arc;

use super::Failure;
use super::output::outln;
use crate::config::Settings;
use crate::daemon;
use crate::metrics::Counters;
use crate::shutdown::Control;

pub fn run(settings: &Settings, once: bool) -> Result<i32, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::temporary(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let control = Arc::new(Control::default());
        watch_signals(control.clone());
        daemon::run(settings, once, &control, Arc::new(Counters::default()), &mut |_, _| {}).await?;
        tracing::info!("stopped");
        Ok(0)
    })
}

/// Asks `control` to stop on SIGTERM or SIGINT, and for a reload on SIGHUP.
fn watch_signals(control: Arc<Control>) {
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
                    control.reload();
                    continue;
                }
            }
            control.stop();
            return;
        }
    });
}

/// How long `deskmail reload` waits for the daemon's verdict (it reloads between mails, so a
/// large batch in hand can delay it).
const VERDICT_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// `deskmail reload`: sends SIGHUP to the instance that holds the database lock and waits
/// for its verdict: exit 0 when the new rules, templates and configuration were taken; exit
/// 78 with every problem when they were refused (the daemon keeps the old ones); 75 when
/// no verdict came in time.
pub fn reload(settings: &Settings) -> Result<i32, Failure> {
    let Some(pid) = crate::lock::holder(&settings.database) else {
        eprintln!("deskmail: no running instance holds {}", settings.database.display());
        return Ok(1);
    };
    let before = last_verdict(settings)?;
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .map_err(|e| Failure::temporary(format!("cannot run kill: {e}")))?;
    if !status.success() {
        return Err(Failure::temporary(format!("cannot signal deskmail (pid {pid})")));
    }
    let deadline = std::time::Instant::now() + VERDICT_WAIT;
    let verdict = loop {
        match last_verdict(settings)? {
            Some(v) if Some(&v) != before.as_ref() => break v,
            _ if std::time::Instant::now() >= deadline => {
                return Err(Failure::temporary(format!(
                    "deskmail (pid {pid}) got the signal but gave no verdict within {VERDICT_WAIT:?}; \
                     see its log, or `deskmail status` later"
                )));
            }
            _ => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    };
    if !verdict.accepted {
        eprintln!(
            "deskmail: the daemon (pid {pid}) refused the new rules, templates or configuration and keeps the old ones:"
        );
        for problem in &verdict.problems {
            eprintln!("{problem}");
        }
        return Ok(78);
    }
    outln!("deskmail (pid {pid}) reloaded: rule set {}", verdict.fingerprint);
    for section in &verdict.restart_needed {
        outln!("note: [{section}] changed; only a restart applies it (systemctl restart deskmail)");
    }
    Ok(0)
}

fn last_verdict(settings: &Settings) -> Result<Option<crate::reload::Verdict>, Failure> {
    let store = crate::store::Store::open_read_only(&settings.database)?;
    Ok(crate::reload::last(&store)?)
}
