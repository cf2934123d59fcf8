//! End to end, with every part real: a Dovecot and a Postfix on loopback, customer mail in
//! support@'s INBOX, one `run --once` pass over IMAP (STARTTLS, verified CA), replies sent
//! through Postfix submission (STARTTLS + AUTH) and read back from each customer's INBOX.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::mailstack::MailStack;
use common::setup::{self, SAMPLE_USERS};
use deskmail::daemon;
use deskmail::parse::{self, Inbound, Language};
use deskmail::pipeline::Outcome;
use deskmail::shutdown::Control;
use deskmail::store::Store;

const WAIT: Duration = Duration::from_secs(20);

/// Sample mails in delivery order, and the customer each one comes from.
const MAILS: &[(&str, &str)] = &[
    ("01-password-gb2312.eml", "wang@example.test"),
    ("02-confirmation-big5.eml", "chen@example.test"),
    ("03-refund-utf8-base64.eml", "liu@example.test"),
    ("04-payment-failed-html.eml", "ann@example.test"),
    ("05-withdrawal-en.eml", "bob@example.test"),
    ("06-refund-followup.eml", "liu@example.test"),
    ("07-out-of-office.eml", "dana@example.test"),
    ("08-bounce.eml", "mailer-daemon@mx.example.test"),
    ("09-account-hacked-en.eml", "carol@example.test"),
    ("10-no-sender.eml", "-"),
];

async fn one_pass(settings: &deskmail::config::Settings) -> Vec<(String, Outcome)> {
    let stop = Control::default();
    let mut outcomes = Vec::new();
    daemon::run(settings, true, &stop, Default::default(), &mut |f, o| {
        outcomes.push((f.mail.origin.clone(), o.clone()))
    })
    .await
    .expect("one pass succeeds");
    outcomes
}

async fn inbox_of(stack: &MailStack, user: &str, n: usize) -> Vec<Inbound> {
    let raws = stack.wait_for_count(user, "INBOX", n, WAIT).await;
    raws.iter().map(|r| parse::parse(r).expect("our reply parses")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sample_mailbox_end_to_end_over_imap_and_smtp() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let stack = MailStack::start_with_env(&[("MAILSTACK_USERS", SAMPLE_USERS)]);
    for (file, sender) in MAILS {
        deliver(&stack, sender, file);
    }
    stack.wait_for_count("support@example.test", "INBOX", MAILS.len(), WAIT).await;
    let work = tempfile::tempdir().unwrap();
    let settings = setup::settings(&stack, work.path());

    let (copies, outcomes): (Vec<_>, Vec<_>) =
        one_pass(&settings).await.into_iter().partition(|(_, o)| matches!(o, Outcome::OwnCopy { .. }));
    assert_eq!(outcomes.len(), MAILS.len(), "{outcomes:#?}");

    // Every mail left the inbox: processed or quarantined, none lost. The self-copy of each
    // of our seven mails (six replies and the escalation notice to staff for the stolen
    // account) came back within the same pass and was filed in Sent: the inbox is empty.
    assert_eq!(copies.len(), 7, "{copies:#?}");
    assert_eq!(stack.count("support@example.test", "INBOX").await, 0);
    let filed = stack.fetch_all("support@example.test", "Sent").await;
    assert_eq!(filed.len(), 7);
    assert!(filed.iter().all(|c| parse::parse(c).unwrap().from_address == "support@example.test"));
    assert_eq!(stack.count("support@example.test", "Processed").await, 9);
    assert_eq!(stack.count("support@example.test", "Quarantine").await, 1);

    let tickets = tickets_by_customer(&settings);
    let expect = [
        ("wang@example.test", "password_reset", Language::ZhHans, "sample-01@mail.example.test"),
        ("chen@example.test", "missing_confirmation", Language::ZhHant, "sample-02@mail.example.test"),
        ("liu@example.test", "refund", Language::ZhHans, "sample-03@mail.example.test"),
        ("ann@example.test", "transaction_failure", Language::En, "sample-04@mail.example.test"),
        ("bob@example.test", "withdrawal", Language::En, "sample-05@mail.example.test"),
        ("carol@example.test", "account_security", Language::En, "sample-09@mail.example.test"),
    ];
    for (customer, category, language, original) in expect {
        let replies = inbox_of(&stack, customer, 1).await;
        assert_eq!(replies.len(), 1, "{customer} gets exactly one automatic mail");
        let reply = &replies[0];
        let ticket = tickets[customer];
        assert_eq!(reply.from_address, "support@example.test");
        assert!(reply.subject.ends_with(&format!("[#{ticket}]")), "{customer}: {}", reply.subject);
        assert_eq!(reply.subject.matches("[#").count(), 1, "{}", reply.subject);
        assert_eq!(reply.in_reply_to, vec![original.to_string()], "{customer}");
        assert_eq!(reply.references.last().map(String::as_str), Some(original));
        assert_eq!(reply.header("auto-submitted").as_deref(), Some("auto-replied"));
        assert!(reply.message_id.as_deref().is_some_and(|id| id.ends_with("@example.test")));
        assert_eq!(parse::lang::detect(&reply.body), language, "{customer} is answered in their language");
        assert!(reply.body.contains(&ticket.to_string()), "{customer}: the ticket number is in the body");
        let store = Store::open(&settings.database).unwrap();
        assert_eq!(store.ticket(ticket).unwrap().unwrap().category.as_deref(), Some(category));
    }

    // The follow-up joined ticket of mail 3 and got no second automatic mail.
    let store = Store::open(&settings.database).unwrap();
    let liu = tickets["liu@example.test"];
    assert_eq!(store.ticket_messages(liu).unwrap().len(), 2, "follow-up joined the ticket");
    assert_eq!(store.tickets().unwrap().len(), 6, "machine mail and the follow-up open no ticket");
    // Mail is processed oldest UID first, so outcomes come in delivery order.
    let outcome_of =
        |file: &str| outcomes[MAILS.iter().position(|(f, _)| f.starts_with(file)).unwrap()].1.clone();
    assert!(matches!(outcome_of("10-no-sender"), Outcome::Quarantined { .. }));
    for machine in ["07-out-of-office", "08-bounce"] {
        let Outcome::Processed(report) = outcome_of(machine) else { panic!("{machine}") };
        assert!(report.automated.is_some() && report.reply.starts_with("none"), "{machine}: {report:?}");
    }

    // A re-delivered customer mail: the second pass sees the duplicate and sends nothing new.
    deliver(&stack, "wang@example.test", "01-password-gb2312.eml");
    stack.wait_for_count("support@example.test", "INBOX", 1, WAIT).await;
    let second = one_pass(&settings).await;
    assert_eq!(second.len(), 1, "{second:?}");
    assert!(matches!(second[0].1, Outcome::Duplicate), "{second:?}");
    assert_eq!(stack.count("support@example.test", "Sent").await, 7, "staff see our mail in Sent");
    let escalation = stack.wait_for_count("staff@example.test", "INBOX", 1, WAIT).await;
    assert!(parse::parse(&escalation[0]).unwrap().subject.contains("account_security"));
    let sent: i64 =
        Store::open(&settings.database).unwrap().outbox_counts().unwrap().iter().map(|(_, n)| n).sum();
    assert_eq!(sent, 7, "no new outgoing mail");
    assert_eq!(stack.count("support@example.test", "INBOX").await, 0);
    // Postfix delivers within ~0.1 s; anything sent by the second pass would be there by now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (customer, ..) in expect {
        assert_eq!(stack.count(customer, "INBOX").await, 1, "{customer} got nothing more");
    }
}

/// Delivers a sample mail to support@ with the envelope sender a real client would use
/// (bounces have the null sender `<>`).
fn deliver(stack: &MailStack, sender: &str, file: &str) {
    let envelope_from = if sender.starts_with("mailer-daemon") || sender == "-" { "" } else { sender };
    stack
        .try_lmtp_deliver(envelope_from, &["support@example.test"], &setup::sample(file))
        .expect("LMTP delivery");
}

fn tickets_by_customer(settings: &deskmail::config::Settings) -> HashMap<&'static str, i64> {
    let store = Store::open(&settings.database).unwrap();
    let mut map = HashMap::new();
    for t in store.tickets().unwrap() {
        let key = MAILS.iter().map(|(_, c)| *c).find(|c| *c == t.customer).expect("known customer");
        map.insert(key, t.id);
    }
    map
}
