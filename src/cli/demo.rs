//! `deskmail demo`: the main job on an embedded default — the bundled sample mailbox
//! (`fixtures/sample-mailbox`) copied into a working directory, SQLite, and replies written to
//! a local Maildir outbox. Nothing tracked is modified and no server is needed.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::config::{self, Settings};
use crate::daemon::{self, Failure};
use crate::pipeline::Outcome;
use crate::source::Fetched;

/// The embedded demo configuration; paths are relative to the demo directory.
const DEMO_CONFIG: &str = include_str!("../../fixtures/demo.toml");

/// Where the sample mailbox, rules and templates live (the source tree).
fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo settings for working directory `dir`.
pub fn settings(dir: &Path) -> Result<Settings, Failure> {
    let mut settings = config::from_str(DEMO_CONFIG, "<embedded fixtures/demo.toml>", dir)
        .map_err(|e| Failure::Config(e.to_string()))?;
    settings.rules_dir = project_dir().join("rules");
    settings.templates_dir = project_dir().join("templates");
    Ok(settings)
}

pub fn demo(dir: &Path) -> Result<i32, Failure> {
    prepare(dir).map_err(|e| Failure::Temporary(format!("cannot prepare {}: {e}", dir.display())))?;
    let settings = settings(dir)?;
    println!("deskmail demo: sample mailbox copied to {}/mailbox\n", dir.display());
    println!("{:<28} {:>6}  {:<20} {:<8} sent", "mail", "ticket", "category", "language");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Temporary(e.to_string()))?;
    let stop = AtomicBool::new(false);
    runtime.block_on(daemon::run(&settings, true, &stop, &mut print_outcome))?;
    let outbox = dir.join("outbox/new");
    print_replies(&outbox);
    println!("database: {}", settings.database.display());
    println!("try: deskmail tickets --config {}/deskmail.toml", dir.display());
    Ok(0)
}

/// Recreates the demo directory with a fresh copy of the sample mailbox and a config file.
fn prepare(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let sample = project_dir().join("fixtures/sample-mailbox");
    let inbox = dir.join("mailbox/new");
    std::fs::create_dir_all(&inbox)?;
    let mut entries: Vec<_> = std::fs::read_dir(&sample)?.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for (i, path) in entries.iter().enumerate() {
        let target = inbox.join(path.file_name().unwrap_or_default());
        std::fs::copy(path, &target)?;
        // Received over the last minutes, in the sample's order (the mailbox is read oldest
        // file first, and the SLA clock starts at receipt).
        let minutes_ago = (entries.len() - i) as u64;
        let time = std::time::SystemTime::now() - std::time::Duration::from_secs(minutes_ago * 60);
        std::fs::File::options().write(true).open(&target)?.set_modified(time)?;
    }
    let config = DEMO_CONFIG
        .replace("dir = \"rules\"", &format!("dir = {:?}", project_dir().join("rules")))
        .replace("dir = \"templates\"", &format!("dir = {:?}", project_dir().join("templates")));
    std::fs::write(dir.join("deskmail.toml"), config)
}

fn print_outcome(fetched: &Fetched, outcome: &Outcome) {
    let name = fetched.mail.origin.rsplit('/').next().unwrap_or("");
    match outcome {
        Outcome::OwnCopy { ticket } => {
            println!("{name:<28} {:>6}  copy of our own reply (send confirmed)", format!("#{ticket}"))
        }
        Outcome::Duplicate => println!("{name:<28} {:>6}  duplicate (already processed)", "-"),
        Outcome::Quarantined { reason } => println!("{name:<28} {:>6}  quarantined: {reason}", "-"),
        Outcome::Processed(r) => {
            let ticket = r.ticket.map_or("-".to_string(), |t| format!("#{t}"));
            let category = match (&r.category, &r.automated) {
                (_, Some(kind)) => format!("({kind})"),
                (Some(c), None) => c.clone(),
                (None, None) => "-".into(),
            };
            println!("{name:<28} {ticket:>6}  {category:<20} {:<8} {}", r.language, r.reply);
        }
    }
}

/// Lists the replies in the outbox: recipient, subject, threading.
fn print_replies(outbox: &Path) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(outbox)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    println!("\n{} replies written to {}:", files.len(), outbox.display());
    for file in files {
        let Ok(mail) =
            std::fs::read(&file).map_err(|_| ()).and_then(|raw| crate::parse::parse(&raw).map_err(|_| ()))
        else {
            continue;
        };
        let to = mail.header("to").unwrap_or_else(|| "-".into());
        println!("  to {:<24} {}", short(&to), mail.subject);
        println!("  {:27} In-Reply-To <{}>", "", mail.in_reply_to.join("> <"));
    }
}

fn short(to: &str) -> String {
    to.rsplit('<').next().unwrap_or(to).trim_end_matches('>').to_string()
}
