//! `deskmail assign`, `note`, `close`, `reopen` and `reclassify`: staff working the queue.
//! Each changes only the database (no mailbox password is read) and records who did what in
//! the ticket's history.

use jiff::Timestamp;

use super::Failure;
use super::output::outln;
use crate::config::Settings;
use crate::lifecycle::{Event, Transition};
use crate::store::{Happened, Store};

/// What a staff command does to a ticket.
#[derive(Debug, Clone)]
pub enum Action {
    Assign(Option<String>),
    Note(String),
    Close,
    Reopen,
    Reclassify(String),
}

/// Applies `action` to ticket `id`; exit 1 when there is no such ticket or the action does
/// not apply.
pub fn act(settings: &Settings, id: i64, action: Action) -> Result<i32, Failure> {
    let mut store = Store::open_existing(&settings.database)?;
    if !store.ticket_exists(id)? {
        eprintln!("deskmail: no ticket #{id}");
        return Ok(1);
    }
    let by = super::staff_name();
    let now = Timestamp::now().as_second();
    let tx = store.begin()?;
    let said = match &action {
        Action::Assign(who) => {
            tx.assign(id, who.as_deref(), now, &by)?;
            match who {
                Some(who) => format!("ticket #{id} assigned to {who}"),
                None => format!("ticket #{id} assigned to nobody"),
            }
        }
        Action::Note(text) => {
            if text.trim().is_empty() {
                return Err(Failure::Usage("an empty note: give the text".into()));
            }
            tx.add_note(id, now, &by, text.trim())?;
            format!("note added to ticket #{id} (internal: never sent)")
        }
        Action::Close | Action::Reopen => {
            let event = if matches!(action, Action::Close) { Event::Close } else { Event::Reopen };
            // A reopened ticket gets a fresh deadline by the configured first-response time.
            let due = crate::sla::due(Timestamp::now(), settings.first_response, &settings.sla_clock);
            let happened = Happened {
                ticket: id,
                event,
                at: now,
                waiting: Some((now, due.as_second())),
                actor: Some(&by),
                detail: matches!(action, Action::Reopen).then_some("reopened by staff"),
            };
            match tx.on_event(&happened)? {
                Transition::To { to, .. } => format!("ticket #{id} is now {to}"),
                _ => {
                    let state = tx.ticket_state(id)?.map(|s| s.status.to_string()).unwrap_or_default();
                    eprintln!("deskmail: ticket #{id} is already {state}: nothing to do");
                    return Ok(1);
                }
            }
        }
        Action::Reclassify(category) => {
            check_category(settings, category)?;
            let old = tx.reclassify(id, category, now, &by)?;
            format!(
                "ticket #{id}: category {} -> {category} (kept as a correction the second opinion learns from)",
                old.as_deref().unwrap_or("none")
            )
        }
    };
    tx.commit()?;
    outln!("{said}");
    Ok(0)
}

/// A category must be one the rules declare (`categories.toml`), so corrections teach the
/// second opinion only categories it knows.
fn check_category(settings: &Settings, category: &str) -> Result<(), Failure> {
    let declared = crate::rules::load::read_categories(&settings.rules_dir)
        .map_err(|p| Failure::config(p.to_string()))?
        .unwrap_or_default();
    if declared.is_empty() || declared.iter().any(|c| c == category) {
        return Ok(());
    }
    let hint = crate::hint::did_you_mean(category, declared.iter().map(String::as_str))
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    Err(Failure::Usage(format!(
        "unknown category `{category}`{hint}; the categories are: {}",
        declared.join(", ")
    )))
}
