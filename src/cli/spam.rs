//! `deskmail spam`: mail held as spam by a trusted filter's verdict (no ticket, in the spam
//! folder), and `--release ID`, which takes one in as a customer's mail after all.

use super::Failure;
use super::output::outln;
use crate::config::Settings;
use crate::pipeline::{self, Context, Outcome};
use crate::store::Store;

pub fn list(settings: &Settings, json: bool) -> Result<i32, Failure> {
    let list = Store::open_read_only(&settings.database)?.spam()?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&list).unwrap_or_default());
        return Ok(0);
    }
    for m in &list {
        outln!(
            "{:>6}  {}  {}  {}",
            m.id,
            super::local(settings, m.received_at),
            m.from_address.as_deref().unwrap_or("-"),
            m.subject.as_deref().unwrap_or("")
        );
        outln!("        verdict: {}", m.verdict.as_deref().unwrap_or("-"));
    }
    outln!("{} mail(s) held as spam; `deskmail spam --release ID` takes one in", list.len());
    Ok(0)
}

/// Runs a mail held as spam through the pipeline as not spam. The mail stays in the spam
/// folder at the source; its ticket and any automatic mail (queued, sent on the daemon's next
/// pass) are made here.
pub fn release(settings: &Settings, id: i64) -> Result<i32, Failure> {
    let loaded = crate::daemon::load(settings)?;
    let mut store = Store::open_existing(&settings.database)?;
    let ctx =
        Context { settings, rules: &loaded.rules, templates: &loaded.templates, now: jiff::Timestamp::now() };
    match pipeline::release_spam(&mut store, &ctx, id)? {
        None => {
            eprintln!("deskmail: no mail #{id} held as spam");
            Ok(1)
        }
        Some(Outcome::Processed(report)) => {
            let ticket = report.ticket.map_or("no ticket".to_string(), |t| format!("ticket #{t}"));
            outln!("#{id}: released as not spam: {ticket}, automatic mail: {}", report.reply);
            Ok(0)
        }
        Some(outcome) => {
            outln!("#{id}: released as not spam: {}", serde_json::to_string(&outcome).unwrap_or_default());
            Ok(0)
        }
    }
}
