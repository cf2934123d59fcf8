//! The pipeline on an in-memory store, as the daemon runs it for one mail: what its report
//! says happened.

mod common;

use common::setup;
use deskmail::daemon;
use deskmail::pipeline::{self, Context, Outcome, RawMail};
use deskmail::store::Store;

fn process(store: &mut Store, raw: &str) -> Outcome {
    let settings = setup::demo_settings();
    let loaded = daemon::load(&settings).unwrap();
    let ctx = Context {
        settings: &settings,
        rules: &loaded.rules,
        templates: &loaded.templates,
        now: jiff::Timestamp::now(),
    };
    let mail = RawMail {
        bytes: raw.as_bytes().to_vec(),
        origin: "test".into(),
        received_at: jiff::Timestamp::now(),
        oversize: None,
    };
    pipeline::process(store, &ctx, &mail).unwrap()
}

#[test]
fn regression_a_bounce_filed_on_an_existing_ticket_is_not_a_new_ticket() {
    let mut store = Store::open_in_memory().unwrap();
    let Outcome::Processed(first) = process(
        &mut store,
        "From: ann@customer.test\r\nTo: support@example.test\r\nSubject: Refund\r\nMessage-ID: <q1@customer.test>\r\n\r\nI want a refund.\r\n",
    ) else {
        panic!("processed")
    };
    assert!(first.new_ticket);
    let ticket = first.ticket.unwrap();
    let ours = store.ticket_outbox(ticket).unwrap()[0].message_id.clone();
    let bounce = format!(
        "From: MAILER-DAEMON@mx.customer.test\r\nTo: support@example.test\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.test\r\n\r\n\
         Final-Recipient: rfc822; ann@customer.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         --b\r\nContent-Type: message/rfc822-headers\r\n\r\nFrom: support@example.test\r\nTo: ann@customer.test\r\n\
         Message-ID: <{ours}>\r\nSubject: Re: Refund\r\n\r\n--b--\r\n"
    );
    let Outcome::Processed(report) = process(&mut store, &bounce) else { panic!("processed") };
    assert_eq!(
        report.ticket,
        Some(ticket),
        "the bounce is filed on the ticket of the mail it returns: {report:?}"
    );
    assert!(!report.new_ticket, "and opened nothing: {report:?}");
    assert_eq!(store.tickets().unwrap().len(), 1);
}
