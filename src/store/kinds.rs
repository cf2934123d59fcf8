//! The states and kinds of mail stored as text columns, as enums (`stored_enum!`): one place
//! names each value, and a value the code does not know is an error on reading, not a silent
//! mismatch. The ticket states are the lifecycle's own (`crate::lifecycle`).

use crate::stored_enum::stored_enum;

stored_enum! {
    /// What became of an incoming mail.
    MessageState {
        /// Taken in: threaded, classified, maybe answered.
        Processed = "processed",
        /// Kept unprocessed with the reason; `reprocess` takes it in after a fix.
        Quarantined = "quarantined",
        /// Held as spam by a trusted filter's verdict, with no ticket.
        Spam = "spam",
    }
}

stored_enum! {
    /// Where an outgoing mail is on its way out.
    OutboxState {
        Pending = "pending",
        /// Handed to the transport (committed before the attempt).
        Sending = "sending",
        Sent = "sent",
        /// Given up on after a permanent failure.
        Failed = "failed",
    }
}

stored_enum! {
    /// What an outgoing mail is.
    OutKind {
        /// The acknowledgement: "we received your mail, ticket N".
        Ack = "ack",
        /// A rule's canned answer.
        Answer = "answer",
        /// "A person is handling this with priority."
        Escalated = "escalated",
        /// A person's reply (`deskmail reply`).
        Human = "human",
        /// Staff notice: an escalated ticket arrived.
        Escalation = "escalation",
        /// Staff notice: a follow-up needs a person (a canned answer did not help, a
        /// template failed).
        FollowUp = "follow_up",
        /// Staff notice: a ticket nears its deadline.
        SlaWarning = "sla_warning",
        /// Staff notice: a ticket missed its deadline.
        SlaBreach = "sla_breach",
    }
}

impl OutKind {
    /// The automatic replies to a customer (not a person's reply, not a staff notice): the
    /// kinds the per-address daily limit and `automatic_mail_sent_total` count.
    pub const AUTOMATIC: [OutKind; 3] = [OutKind::Ack, OutKind::Answer, OutKind::Escalated];

    pub fn is_automatic(self) -> bool {
        OutKind::AUTOMATIC.contains(&self)
    }

    /// `('ack', 'answer', 'escalated')`, for SQL that selects the automatic replies.
    pub fn automatic_sql_list() -> String {
        let words: Vec<String> = OutKind::AUTOMATIC.iter().map(|k| format!("'{}'", k.as_str())).collect();
        format!("({})", words.join(", "))
    }
}

impl From<crate::decide::MailKind> for OutKind {
    fn from(kind: crate::decide::MailKind) -> OutKind {
        match kind {
            crate::decide::MailKind::Ack => OutKind::Ack,
            crate::decide::MailKind::Answer => OutKind::Answer,
            crate::decide::MailKind::Escalated => OutKind::Escalated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_reads_back_as_itself() {
        for kind in OutKind::ALL {
            assert_eq!(OutKind::parse(kind.as_str()), Some(*kind));
        }
        for state in MessageState::ALL {
            assert_eq!(MessageState::parse(state.as_str()), Some(*state));
        }
        assert_eq!(OutKind::automatic_sql_list(), "('ack', 'answer', 'escalated')");
    }

    #[test]
    fn an_unknown_stored_value_is_an_error_not_a_default() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let read: rusqlite::Result<OutKind> = conn.query_row("SELECT 'acknowledgement'", [], |r| r.get(0));
        assert!(read.is_err());
    }
}
