//! `deskmail rules replay`: runs a candidate rule set over the stored raw mail of past
//! tickets, without side effects (the database is opened read-only, nothing is sent), and
//! prints what would change: per mail the old and new category, action and automatic mail,
//! the counts per (old, new) category pair, and how many mails would now get a different
//! automatic mail.
//!
//! The automatic mail is replayed as the pipeline chooses it for a first mail: a mail that
//! got none (a follow-up, machine mail, the daily limit) is taken to get none again unless
//! the new screen differs; one that got an acknowledgement, answer or escalation gets the
//! one the new action names.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Failure;
use super::output::outln;
use crate::config::Settings;
use crate::daemon::{self, Loaded};
use crate::rules::Action;
use crate::store::{Store, StoredDecision};

/// One mail whose outcome would change.
#[derive(Debug, Serialize)]
struct Change {
    message: i64,
    ticket: Option<i64>,
    old: Outcome,
    new: Outcome,
}

/// What was (or would be) decided for a mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Outcome {
    category: Option<String>,
    rule: Option<String>,
    action: Option<String>,
    /// The template of the automatic mail, if one goes out.
    automatic_mail: Option<String>,
}

impl Outcome {
    /// The same for the customer and staff: category, action and automatic mail.
    fn same_outcome(&self, other: &Outcome) -> bool {
        (&self.category, &self.action, &self.automatic_mail)
            == (&other.category, &other.action, &other.automatic_mail)
    }
}

#[derive(Debug, Serialize)]
struct Report {
    replayed: usize,
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    since: i64,
    unreadable: usize,
    /// Mails decided by another rule with the same category, action and automatic mail.
    other_rule_same_outcome: usize,
    changed: Vec<Change>,
    /// Mails per (old category, new category), for the pairs that differ.
    pairs: Vec<Pair>,
    different_automatic_mail: usize,
}

#[derive(Debug, Serialize)]
struct Pair {
    old: String,
    new: String,
    mails: usize,
}

/// Replays the mail received in the last `since` with the rules and templates `settings`
/// names, over its database.
pub fn replay(settings: &Settings, since: jiff::SignedDuration, json: bool) -> Result<i32, Failure> {
    let loaded = daemon::load(settings)?;
    let store = Store::open_read_only(&settings.database)?;
    let from = jiff::Timestamp::now().as_second() - since.as_secs();
    let mut report = Report {
        replayed: 0,
        since: from,
        unreadable: 0,
        other_rule_same_outcome: 0,
        changed: Vec::new(),
        pairs: Vec::new(),
        different_automatic_mail: 0,
    };
    let mut pairs: BTreeMap<(String, String), usize> = BTreeMap::new();
    report.replayed = store.for_each_processed_since(from, |stored| {
        let Some(new) = replay_one(settings, &loaded, &stored) else {
            report.unreadable += 1;
            return;
        };
        let old = Outcome {
            category: stored.category.clone(),
            rule: stored.rule.clone(),
            action: stored.action.clone(),
            automatic_mail: stored.automatic_mail.clone(),
        };
        if old.same_outcome(&new) {
            if old.rule != new.rule {
                report.other_rule_same_outcome += 1;
            }
            return;
        }
        if old.category != new.category {
            let name = |c: &Option<String>| c.clone().unwrap_or_else(|| "-".into());
            *pairs.entry((name(&old.category), name(&new.category))).or_default() += 1;
        }
        if old.automatic_mail != new.automatic_mail {
            report.different_automatic_mail += 1;
        }
        report.changed.push(Change { message: stored.message, ticket: stored.ticket, old, new });
    })?;
    report.pairs = pairs.into_iter().map(|((old, new), mails)| Pair { old, new, mails }).collect();
    if json {
        outln!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        print(settings, &report)?;
    }
    Ok(0)
}

/// What the candidate rules decide for one stored mail; `None` when it no longer parses.
fn replay_one(settings: &Settings, loaded: &Loaded, stored: &StoredDecision) -> Option<Outcome> {
    let inbound = crate::parse::parse(&stored.raw).ok()?;
    let verdict = crate::screen::screen(&inbound, &settings.own_addresses);
    let c = loaded.rules.classify(&inbound, &verdict);
    let got_one = stored.automatic_mail.is_some();
    // As decide::plan chooses it: an answer or escalation names its template, else the
    // acknowledgement.
    let automatic_mail = (got_one && verdict.automated.is_none()).then(|| match c.action {
        Action::Answer => c.template.as_deref().unwrap_or("ack").to_string(),
        Action::Escalate => c.template.as_deref().unwrap_or("escalated").to_string(),
        _ => "ack".into(),
    });
    Some(Outcome {
        category: c.category.as_deref().map(str::to_string),
        rule: c.rule.as_deref().map(str::to_string),
        action: Some(c.action.as_str().to_string()),
        automatic_mail,
    })
}

fn print(settings: &Settings, report: &Report) -> Result<(), Failure> {
    outln!(
        "replayed {} mails received since {} with the rules in {}: {} would change",
        report.replayed,
        super::local(settings, report.since),
        settings.rules_dir.display(),
        report.changed.len()
    );
    if report.other_rule_same_outcome > 0 {
        outln!(
            "{} more would be decided by another rule with the same outcome",
            report.other_rule_same_outcome
        );
    }
    if report.unreadable > 0 {
        outln!("{} stored mails no longer parse (left out)", report.unreadable);
    }
    if report.changed.is_empty() {
        return Ok(());
    }
    outln!("\n{:>7} {:>7}  {:<36} {:<28} automatic mail", "ticket", "mail", "category", "action");
    let show = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    for c in &report.changed {
        outln!(
            "{:>7} {:>7}  {:<36} {:<28} {} -> {}",
            c.ticket.map_or("-".into(), |t| format!("#{t}")),
            format!("#{}", c.message),
            format!("{} -> {}", show(&c.old.category), show(&c.new.category)),
            format!("{} -> {}", show(&c.old.action), show(&c.new.action)),
            show(&c.old.automatic_mail),
            show(&c.new.automatic_mail),
        );
    }
    outln!("\ncategory changes:");
    for p in &report.pairs {
        outln!("  {:>5}  {} -> {}", p.mails, p.old, p.new);
    }
    outln!("{} mails would now get a different automatic mail", report.different_automatic_mail);
    Ok(())
}
