//! Lifecycle stage: a ticket's state says who must act, and each event moves it by one pure
//! rule, `next(state, event) -> Transition`, tested as a table. The pipeline, the daemon and the
//! staff commands apply a transition with one store call, which records it with its time and
//! cause.
//!
//! - A customer's message on any ticket (a closed one too, within the reopen window) puts it
//!   back to "needs a person" with its own deadline: the SLA covers every message that waits.
//! - A follow-up after a canned answer means the answer did not help: staff are told.
//! - A person's reply, or a canned answer that resolves, hands the turn to the customer.
//! - A ticket waiting for the customer closes after a quiet time.

use crate::stored_enum::stored_enum;

stored_enum! {
    /// Who must act on a ticket.
    TicketStatus {
        /// A customer's message waits for a person, with a deadline.
        NeedsPerson = "needs_person",
        /// Answered: the customer's turn.
        Waiting = "waiting",
        Closed = "closed",
    }
}

stored_enum! {
    /// Who answered a ticket last.
    Responder {
        /// A rule's canned answer that resolves the question.
        Answer = "answer",
        /// A person.
        Person = "person",
    }
}

/// What happened to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A customer's first mail opened it.
    Opened,
    /// A customer wrote again. `last_response` is who answered last, `within_reopen` whether
    /// a closed ticket was closed recently enough to open again.
    CustomerMail { last_response: Option<Responder>, within_reopen: bool },
    /// A canned answer that resolves the question was queued.
    Answered,
    /// A person replied (`deskmail reply`, or a reply found in the Sent folder).
    StaffReply,
    /// Something only a person can fix: an answer held back, a staff request.
    NeedsAttention,
    /// The automatic mail's template could not be rendered: the acknowledgement (or nothing)
    /// went instead, and a person must answer.
    TemplateFailed,
    /// One of our mails to the customer bounced: they did not get it.
    Bounced,
    /// Staff closed it.
    Close,
    /// Staff opened it again.
    Reopen,
    /// It waited for the customer longer than `close_after`.
    NoReply,
}

/// What becomes of a ticket's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// Unchanged: an earlier message is still the one waiting longest.
    Keep,
    /// A new wait starts now, due by the SLA of the message that caused it.
    Start,
    /// Nothing waits for a person any more.
    Clear,
}

/// Whom to tell, besides the queue itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    Nobody,
    /// Staff get a notice with the customer's text: an answer did not help, or a closed
    /// ticket came back.
    Staff,
}

/// The result of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The ticket moves to `to` (possibly staying where it is, with a new deadline).
    To { to: TicketStatus, deadline: Deadline, notify: Notify },
    /// The event changes nothing.
    Unchanged,
    /// The ticket is closed for too long to open again: the mail opens a new ticket.
    NewTicket,
}

use Deadline::{Clear, Keep, Start};
use Event::*;
use TicketStatus::{Closed, NeedsPerson, Waiting};

fn to(to: TicketStatus, deadline: Deadline) -> Transition {
    Transition::To { to, deadline, notify: Notify::Nobody }
}

fn to_and_tell(to: TicketStatus, deadline: Deadline) -> Transition {
    Transition::To { to, deadline, notify: Notify::Staff }
}

/// The one rule of the lifecycle.
pub fn next(state: TicketStatus, event: Event) -> Transition {
    match (state, event) {
        (_, Opened) => to(NeedsPerson, Start),
        (NeedsPerson, CustomerMail { .. }) => Transition::Unchanged,
        (Waiting, CustomerMail { last_response: Some(Responder::Answer), .. }) => {
            to_and_tell(NeedsPerson, Start)
        }
        (Waiting, CustomerMail { .. }) => to(NeedsPerson, Start),
        (Closed, CustomerMail { within_reopen: true, .. }) => to_and_tell(NeedsPerson, Start),
        (Closed, CustomerMail { within_reopen: false, .. }) => Transition::NewTicket,
        (NeedsPerson, Answered) => to(Waiting, Clear),
        (_, Answered) => Transition::Unchanged,
        (Closed, StaffReply) => to(Closed, Clear),
        (_, StaffReply) => to(Waiting, Clear),
        (NeedsPerson, NeedsAttention | TemplateFailed | Bounced) => to(NeedsPerson, Keep),
        (Waiting, NeedsAttention | TemplateFailed | Bounced) => to(NeedsPerson, Start),
        (Closed, NeedsAttention | TemplateFailed | Bounced) => Transition::Unchanged,
        (Closed, Close) => Transition::Unchanged,
        (_, Close) => to(Closed, Clear),
        (NeedsPerson, Reopen) => Transition::Unchanged,
        (_, Reopen) => to(NeedsPerson, Start),
        (Waiting, NoReply) => to(Closed, Clear),
        (_, NoReply) => Transition::Unchanged,
    }
}

impl Event {
    /// The cause recorded with a transition.
    pub fn cause(self) -> &'static str {
        match self {
            Opened => "opened",
            CustomerMail { .. } => "customer_mail",
            Answered => "answered",
            StaffReply => "staff_reply",
            NeedsAttention => "needs_attention",
            TemplateFailed => "template_failed",
            Bounced => "bounced",
            Close => "closed_by_staff",
            Reopen => "reopened_by_staff",
            NoReply => "no_reply",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AFTER_ANSWER: Event = CustomerMail { last_response: Some(Responder::Answer), within_reopen: true };
    const AFTER_PERSON: Event = CustomerMail { last_response: Some(Responder::Person), within_reopen: true };
    const LATE: Event = CustomerMail { last_response: Some(Responder::Person), within_reopen: false };

    #[test]
    fn every_state_and_event_as_a_table() {
        let n = Transition::Unchanged;
        #[rustfmt::skip]
        let table: &[(TicketStatus, Event, Transition)] = &[
            (NeedsPerson, Opened, to(NeedsPerson, Start)),
            (NeedsPerson, AFTER_ANSWER, n),
            (Waiting, AFTER_ANSWER, to_and_tell(NeedsPerson, Start)),
            (Waiting, AFTER_PERSON, to(NeedsPerson, Start)),
            (Closed, AFTER_PERSON, to_and_tell(NeedsPerson, Start)),
            (Closed, LATE, Transition::NewTicket),
            (NeedsPerson, Answered, to(Waiting, Clear)),
            (Waiting, Answered, n),
            (Closed, Answered, n),
            (NeedsPerson, StaffReply, to(Waiting, Clear)),
            (Waiting, StaffReply, to(Waiting, Clear)),
            (Closed, StaffReply, to(Closed, Clear)),
            (NeedsPerson, NeedsAttention, to(NeedsPerson, Keep)),
            (Waiting, NeedsAttention, to(NeedsPerson, Start)),
            (Closed, NeedsAttention, n),
            (NeedsPerson, TemplateFailed, to(NeedsPerson, Keep)),
            (Waiting, TemplateFailed, to(NeedsPerson, Start)),
            (Waiting, Bounced, to(NeedsPerson, Start)),
            (NeedsPerson, Bounced, to(NeedsPerson, Keep)),
            (NeedsPerson, Close, to(Closed, Clear)),
            (Waiting, Close, to(Closed, Clear)),
            (Closed, Close, n),
            (Closed, Reopen, to(NeedsPerson, Start)),
            (Waiting, Reopen, to(NeedsPerson, Start)),
            (NeedsPerson, Reopen, n),
            (Waiting, NoReply, to(Closed, Clear)),
            (NeedsPerson, NoReply, n),
            (Closed, NoReply, n),
        ];
        for (state, event, expected) in table {
            assert_eq!(next(*state, *event), *expected, "{state} + {event:?}");
        }
    }

    #[test]
    fn a_follow_up_after_a_canned_answer_tells_staff_and_starts_a_deadline() {
        let Transition::To { to, deadline, notify } = next(Waiting, AFTER_ANSWER) else { panic!() };
        assert_eq!((to, deadline, notify), (NeedsPerson, Start, Notify::Staff));
    }

    #[test]
    fn every_customer_message_on_an_answered_ticket_waits_for_a_person_again() {
        for last in [None, Some(Responder::Answer), Some(Responder::Person)] {
            let event = CustomerMail { last_response: last, within_reopen: true };
            assert!(matches!(next(Waiting, event), Transition::To { to: NeedsPerson, deadline: Start, .. }));
            assert!(matches!(next(Closed, event), Transition::To { to: NeedsPerson, deadline: Start, .. }));
        }
    }
}
