//! Time-driven changes of the work queue, run once per pass: a ticket that waited for the
//! customer longer than `[tickets] close_after` closes, recorded like any other transition.

use jiff::Timestamp;

use crate::config::Settings;
use crate::lifecycle::{Event, Transition};
use crate::store::{Happened, Store, StoreError};

/// Closes the tickets that waited for the customer since before `now - close_after`;
/// returns how many closed.
pub fn close_idle(store: &mut Store, settings: &Settings, now: Timestamp) -> Result<usize, StoreError> {
    let cutoff = now.as_second() - settings.close_after.as_secs();
    let tx = store.begin()?;
    let mut closed = 0;
    for ticket in tx.idle_waiting(cutoff)? {
        let happened = Happened {
            ticket,
            event: Event::NoReply,
            at: now.as_second(),
            waiting: None,
            actor: Some("deskmail"),
            detail: Some("no reply from the customer"),
        };
        if matches!(tx.on_event(&happened)?, Transition::To { .. }) {
            closed += 1;
        }
    }
    tx.commit()?;
    if closed > 0 {
        tracing::info!(closed, "tickets waiting for the customer closed after close_after");
    }
    Ok(closed)
}
