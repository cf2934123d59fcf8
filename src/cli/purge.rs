//! `deskmail purge`: retention. The raw mail and texts of tickets that `[retention]` says
//! were kept long enough go, the tickets and what they were about stay, and the space is
//! given back. Safe beside the running daemon: each chunk is a short transaction.

use super::Failure;
use super::output::outln;
use crate::config::Settings;
use crate::store::Store;

pub fn purge(settings: &Settings, dry_run: bool, json: bool) -> Result<i32, Failure> {
    let policy = &settings.retention;
    let Some(days) = policy.after_days else {
        if json {
            outln!("{}", serde_json::json!({ "configured": false }));
        } else {
            outln!("no [retention] after_days in the configuration: nothing is purged");
        }
        return Ok(0);
    };
    let mut store = Store::open_existing(&settings.database)?;
    let purged = store.purge(policy, jiff::Timestamp::now().as_second(), dry_run)?;
    let vacuumed =
        if dry_run || purged.messages + purged.outgoing == 0 { None } else { Some(store.give_back_space()?) };
    if json {
        let value = serde_json::json!({ "dry_run": dry_run, "purged": purged, "vacuum": vacuumed });
        outln!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
        return Ok(0);
    }
    let verb = if dry_run { "would purge" } else { "purged" };
    outln!(
        "{verb} the raw mail and texts of {} ticket(s) ({}) inactive for over {days} days: \
         {} message(s), {} outgoing mail(s), {:.1} MB as stored",
        purged.tickets,
        policy.states.join(", "),
        purged.messages,
        purged.outgoing,
        purged.bytes as f64 / 1e6
    );
    if let Some(v) = vacuumed {
        let how = if v.switched {
            "switched to incremental vacuum (one full VACUUM)"
        } else {
            "incremental vacuum"
        };
        outln!(
            "database {:.1} MB -> {:.1} MB ({how})",
            v.bytes_before as f64 / 1e6,
            v.bytes_after as f64 / 1e6
        );
    }
    Ok(0)
}
