//! The Sent scan: staff who answer from their own mail client leave the reply in the Sent
//! folder; one that threads onto a ticket is that ticket's first response. Only headers are
//! read, from a checkpoint on.

use jiff::Timestamp;

use super::{Error, Pass};
use crate::source::Source;

impl Pass<'_> {
    /// Staff who answer from their own mail client leave the reply in the Sent folder: a
    /// reply that threads onto a ticket is its first response (the SLA is met).
    pub(super) async fn scan_sent(&self, source: &mut Source) -> Result<usize, Error> {
        let Some(folder) = source.sent_folder() else { return Ok(0) };
        let (known_validity, after) = self.store(|s| s.checkpoint(&folder))?.unwrap_or((0, 0));
        let Some((validity, headers)) = source.sent_headers_after(after).await? else { return Ok(0) };
        let after_reset = if validity == known_validity { after } else { 0 };
        let headers: Vec<_> = headers.into_iter().filter(|(uid, _)| *uid > after_reset).collect();
        crate::blocking::run(|| {
            let mut answered = 0;
            for (uid, header) in &headers {
                if let Some(ticket) = self.staff_reply_ticket(header)?
                    && self.lock().record_human_response(ticket, Timestamp::now().as_second(), "staff")?
                {
                    tracing::info!(ticket, "staff reply found in the Sent folder: first response recorded");
                    answered += 1;
                }
                self.lock().set_checkpoint(&folder, validity, *uid)?;
            }
            if headers.is_empty() && validity != known_validity {
                self.lock().set_checkpoint(&folder, validity, 0)?;
            }
            Ok(answered)
        })
    }

    /// The ticket a mail in the Sent folder answers, if it is a person's reply from us.
    fn staff_reply_ticket(&self, header: &[u8]) -> Result<Option<i64>, Error> {
        let Ok(mail) = crate::parse::parse(header) else { return Ok(None) };
        let store = self.lock();
        let ours = self.settings.own_addresses.iter().any(|a| a.eq_ignore_ascii_case(&mail.from_address));
        if !ours || mail.message_id.as_deref().map(|id| store.is_our_message(id)).transpose()? == Some(true) {
            return Ok(None);
        }
        for id in mail.in_reply_to.iter().chain(&mail.references) {
            if let Some(ticket) = store.ticket_of_message_id(id)? {
                return Ok(Some(ticket));
            }
        }
        // A tag alone is trusted only when the reply goes to that ticket's customer: a Sent
        // folder older than the database must not answer unrelated tickets with the same number.
        let to = mail.header("to").unwrap_or_default().to_lowercase();
        for ticket in crate::thread::subject_tags(&mail.subject) {
            if store.ticket(ticket)?.is_some_and(|t| to.contains(&t.customer)) {
                return Ok(Some(ticket));
            }
        }
        Ok(None)
    }
}
