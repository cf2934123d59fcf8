//! Thread stage: decides whether a mail opens a new ticket or follows up an existing one.
//!
//! A mail joins a ticket when its In-Reply-To or References name one of our outgoing
//! Message-IDs (random, so only recipients of our mail know them), or a message of the same
//! customer, or when its subject carries the ticket tag `[#N]` *and* it comes from that
//! ticket's customer. A tag alone never attaches mail to someone else's ticket.

use std::sync::LazyLock;

use regex::Regex;

use crate::parse::Inbound;

/// What the store can tell the thread stage. A failure to answer is an error, never "no
/// such ticket": read as that, it would open a new ticket with a fresh acknowledgement for a
/// follow-up.
pub trait Lookup {
    type Error;
    /// The ticket of one of our outgoing mails with one of these Message-IDs.
    fn ticket_of_our_message(&self, ids: &[String]) -> Result<Option<i64>, Self::Error>;
    /// The ticket of `customer` that holds an incoming mail with one of these Message-IDs
    /// (Message-IDs are not unique: two customers' mails may share one).
    fn ticket_of_customer_message(&self, ids: &[String], customer: &str) -> Result<Option<i64>, Self::Error>;
    /// The customer address of a ticket.
    fn ticket_customer(&self, ticket: i64) -> Result<Option<String>, Self::Error>;
}

/// Where a mail belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threading {
    New,
    FollowUp { ticket: i64, via: Via },
}

/// How a follow-up was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    OurMessageId,
    CustomerMessageId,
    SubjectTag,
}

/// Threads `mail` using the store's answers; a store failure is passed on.
pub fn resolve<L: Lookup>(mail: &Inbound, lookup: &L) -> Result<Threading, L::Error> {
    let ids: Vec<String> = mail.in_reply_to.iter().chain(&mail.references).cloned().collect();
    if !ids.is_empty() {
        if let Some(ticket) = lookup.ticket_of_our_message(&ids)? {
            return Ok(Threading::FollowUp { ticket, via: Via::OurMessageId });
        }
        if let Some(ticket) = lookup.ticket_of_customer_message(&ids, &mail.from_address)? {
            return Ok(Threading::FollowUp { ticket, via: Via::CustomerMessageId });
        }
    }
    for ticket in subject_tags(&mail.subject) {
        if lookup.ticket_customer(ticket)?.is_some_and(|c| c.eq_ignore_ascii_case(&mail.from_address)) {
            return Ok(Threading::FollowUp { ticket, via: Via::SubjectTag });
        }
    }
    Ok(Threading::New)
}

static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[#(\d{1,12})\]").expect("tag regex"));

/// The ticket numbers tagged in a subject, like `[#42]`.
pub fn subject_tags(subject: &str) -> Vec<i64> {
    TAG.captures_iter(subject).filter_map(|c| c[1].parse().ok()).collect()
}

/// The tag of a ticket, as put in subjects.
pub fn tag(ticket: i64) -> String {
    format!("[#{ticket}]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    struct Fake;

    impl Lookup for Fake {
        type Error = std::convert::Infallible;
        fn ticket_of_our_message(&self, ids: &[String]) -> Result<Option<i64>, Self::Error> {
            Ok(ids.iter().any(|i| i == "ours@support.test").then_some(7))
        }
        fn ticket_of_customer_message(
            &self,
            ids: &[String],
            customer: &str,
        ) -> Result<Option<i64>, Self::Error> {
            Ok((ids.iter().any(|i| i == "theirs@c.test") && customer.eq_ignore_ascii_case("ann@c.test"))
                .then_some(8))
        }
        fn ticket_customer(&self, ticket: i64) -> Result<Option<String>, Self::Error> {
            Ok((ticket == 42).then(|| "ann@c.test".to_string()))
        }
    }

    fn thread(raw: &str) -> Threading {
        match resolve(&parse(raw.as_bytes()).unwrap(), &Fake) {
            Ok(threading) => threading,
        }
    }

    /// A store that cannot answer.
    struct Broken;

    impl Lookup for Broken {
        type Error = &'static str;
        fn ticket_of_our_message(&self, _: &[String]) -> Result<Option<i64>, Self::Error> {
            Err("disk I/O error")
        }
        fn ticket_of_customer_message(&self, _: &[String], _: &str) -> Result<Option<i64>, Self::Error> {
            Err("disk I/O error")
        }
        fn ticket_customer(&self, _: i64) -> Result<Option<String>, Self::Error> {
            Err("disk I/O error")
        }
    }

    #[test]
    fn regression_a_store_failure_is_an_error_not_a_new_ticket() {
        for raw in [
            "From: ann@c.test\r\nIn-Reply-To: <ours@support.test>\r\n\r\nx",
            "From: ann@c.test\r\nSubject: Re: x [#42]\r\n\r\nx",
        ] {
            assert_eq!(resolve(&parse(raw.as_bytes()).unwrap(), &Broken), Err("disk I/O error"), "{raw}");
        }
    }

    #[test]
    fn reply_to_our_mail_joins_even_from_another_address() {
        let t = thread("From: bob@c.test\r\nIn-Reply-To: <ours@support.test>\r\n\r\nx");
        assert_eq!(t, Threading::FollowUp { ticket: 7, via: Via::OurMessageId });
    }

    #[test]
    fn reference_to_customer_message_needs_the_same_customer() {
        let same = thread("From: ann@c.test\r\nReferences: <theirs@c.test>\r\n\r\nx");
        assert_eq!(same, Threading::FollowUp { ticket: 8, via: Via::CustomerMessageId });
        assert_eq!(thread("From: eve@c.test\r\nReferences: <theirs@c.test>\r\n\r\nx"), Threading::New);
    }

    #[test]
    fn subject_tag_from_the_customer_joins() {
        let t = thread("From: Ann@C.test\r\nSubject: Re: refund [#42]\r\n\r\nx");
        assert_eq!(t, Threading::FollowUp { ticket: 42, via: Via::SubjectTag });
    }

    #[test]
    fn subject_tag_from_someone_else_opens_a_new_ticket() {
        assert_eq!(thread("From: eve@evil.test\r\nSubject: Re: [#42]\r\n\r\nx"), Threading::New);
    }

    #[test]
    fn tags_are_found() {
        assert_eq!(subject_tags("Re: [#3] hello [#15]"), vec![3, 15]);
        assert_eq!(tag(5), "[#5]");
    }
}
