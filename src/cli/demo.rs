//! `deskmail demo`: the main job on an embedded default — the bundled sample mailbox, rules
//! and templates (built into the binary, see `defaults.rs`) written into a demo directory,
//! SQLite, and replies written to a local Maildir outbox. No server and no source tree are
//! needed, and nothing outside the demo directory is touched.

use super::output::outln;
use std::path::{Path, PathBuf};

use super::Failure;
use crate::config::{self, Settings};
use crate::daemon;
use crate::defaults;
use crate::pipeline::Outcome;
use crate::source::Fetched;

/// The embedded demo configuration; paths are relative to the demo directory.
const DEMO_CONFIG: &str = include_str!("../../fixtures/demo.toml");

/// The file that marks a directory as made by `deskmail demo`: only such a directory is
/// cleared for a new run.
pub const MARKER: &str = ".deskmail-demo";

/// What a demo run writes into its directory, and so what a later run may clear. Anything
/// else in the directory is left alone.
const DEMO_ENTRIES: &[&str] = &[
    "mailbox",
    "outbox",
    "rules",
    "templates",
    "deskmail.toml",
    "deskmail.db",
    "deskmail.db-wal",
    "deskmail.db-shm",
    "deskmail.db.lock",
];

/// The demo settings for demo directory `dir`.
pub fn settings(dir: &Path) -> Result<Settings, Failure> {
    config::from_str(DEMO_CONFIG, "<embedded fixtures/demo.toml>", dir).map_err(Failure::config)
}

pub fn demo(dir: &Path) -> Result<i32, Failure> {
    prepare(dir)?;
    let settings = settings(dir)?;
    outln!("deskmail demo: sample mailbox copied to {}/mailbox\n", dir.display());
    outln!("{:<28} {:>6}  {:<20} {:<8} sent", "mail", "ticket", "category", "language");
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(Failure::temporary)?;
    let control = crate::shutdown::Control::default();
    runtime.block_on(daemon::run(&settings, true, &control, Default::default(), &mut print_outcome))?;
    let outbox = dir.join("outbox/new");
    print_replies(&outbox)?;
    outln!("database: {}", settings.database.display());
    outln!("try: deskmail tickets --config {}/deskmail.toml", dir.display());
    Ok(0)
}

/// Makes `dir` ready for a fresh run: created when missing, cleared of an earlier demo's
/// files when it carries the marker, refused when it holds anything else.
fn prepare(dir: &Path) -> Result<(), Failure> {
    claim(dir)?;
    fill(dir).map_err(|e| Failure::temporary(format!("cannot prepare {}: {e}", dir.display())))
}

/// Takes `dir` for the demo, or refuses: deskmail never deletes what it did not create.
fn claim(dir: &Path) -> Result<(), Failure> {
    let cannot = |e: std::io::Error| Failure::CannotCreate(format!("cannot prepare {}: {e}", dir.display()));
    if dir.join(MARKER).is_file() {
        for entry in DEMO_ENTRIES {
            remove(&dir.join(entry)).map_err(cannot)?;
        }
        return Ok(());
    }
    let empty = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(cannot(e)),
    };
    if !empty {
        return Err(Failure::CannotCreate(format!(
            "{} is not empty and was not made by deskmail demo (no {MARKER} file): \
             choose a new directory with --dir",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(cannot)?;
    std::fs::write(dir.join(MARKER), "made by deskmail demo; its files are replaced on the next run\n")
        .map_err(cannot)
}

/// Removes a file or directory the demo made; a missing one is fine.
fn remove(path: &Path) -> std::io::Result<()> {
    let result = if path.is_dir() { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) };
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Writes the sample mailbox, the default rules and templates and the configuration.
fn fill(dir: &Path) -> std::io::Result<()> {
    let inbox = dir.join("mailbox/new");
    std::fs::create_dir_all(&inbox)?;
    let sample: Vec<_> = defaults::under("fixtures/sample-mailbox").collect();
    for (i, (name, bytes)) in sample.iter().enumerate() {
        let target = inbox.join(name);
        std::fs::write(&target, bytes)?;
        // Received over the last minutes, in the sample's order (the mailbox is read oldest
        // file first, and the SLA clock starts at receipt).
        let minutes_ago = (sample.len() - i) as u64;
        let time = std::time::SystemTime::now() - std::time::Duration::from_secs(minutes_ago * 60);
        std::fs::File::options().write(true).open(&target)?.set_modified(time)?;
    }
    defaults::write("rules", &dir.join("rules"))?;
    defaults::write("templates", &dir.join("templates"))?;
    std::fs::write(dir.join("deskmail.toml"), DEMO_CONFIG)
}

/// One line per mail, from the daemon's callback: a closed pipe there is ignored (the pass
/// goes on; the next `outln!` in `demo` ends the command).
fn print_outcome(fetched: &Fetched, outcome: &Outcome) {
    let _ = outcome_line(fetched, outcome);
}

fn outcome_line(fetched: &Fetched, outcome: &Outcome) -> Result<(), Failure> {
    let name = fetched.mail.origin.rsplit('/').next().unwrap_or("");
    match outcome {
        Outcome::OwnCopy { ticket } => {
            outln!("{name:<28} {:>6}  copy of our own reply (send confirmed)", format!("#{ticket}"))
        }
        Outcome::Duplicate => outln!("{name:<28} {:>6}  duplicate (already processed)", "-"),
        Outcome::Quarantined { reason } => outln!("{name:<28} {:>6}  quarantined: {reason}", "-"),
        Outcome::Spam { verdict, .. } => outln!("{name:<28} {:>6}  spam: {verdict}", "-"),
        Outcome::Processed(r) => {
            let ticket = r.ticket.map_or("-".to_string(), |t| format!("#{t}"));
            let category = match (&r.category, &r.automated) {
                (_, Some(kind)) => format!("({kind})"),
                (Some(c), None) => c.to_string(),
                (None, None) => "-".into(),
            };
            outln!("{name:<28} {ticket:>6}  {category:<20} {:<8} {}", r.language, r.reply);
        }
    }
    Ok(())
}

/// Lists the replies in the outbox: recipient, subject, threading.
fn print_replies(outbox: &Path) -> Result<(), Failure> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(outbox)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    outln!("\n{} replies written to {}:", files.len(), outbox.display());
    for file in files {
        let Ok(mail) =
            std::fs::read(&file).map_err(|_| ()).and_then(|raw| crate::parse::parse(&raw).map_err(|_| ()))
        else {
            continue;
        };
        let to = mail.header("to").unwrap_or_else(|| "-".into());
        outln!("  to {:<24} {}", short(&to), mail.subject);
        // A staff notice starts a thread of its own: it answers no mail.
        if !mail.in_reply_to.is_empty() {
            outln!("  {:27} In-Reply-To <{}>", "", mail.in_reply_to.join("> <"));
        }
    }
    Ok(())
}

fn short(to: &str) -> String {
    to.rsplit('<').next().unwrap_or(to).trim_end_matches('>').to_string()
}
