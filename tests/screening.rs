//! Machine mail and senders in real mail, one small mail per case in `fixtures/reading/`:
//! bounces without a sender, machine mail without the standard headers, subjects that only
//! look automatic, a person's mail that asks for no automatic reply, and senders whose address
//! cannot be answered. Checked at the screen, and through the pipeline for what a person sees.

use std::path::PathBuf;

use deskmail::config::{self, Settings};
use deskmail::daemon;
use deskmail::parse::{self, Inbound, SenderProblem};
use deskmail::pipeline::{self, Context, Outcome, RawMail};
use deskmail::screen::{self, AutomatedKind, Verdict};
use deskmail::store::Store;

fn raw(case: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/reading/{case}.eml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read(case: &str) -> Inbound {
    parse::parse(&raw(case)).unwrap_or_else(|e| panic!("{case}: {e}"))
}

fn verdict(case: &str) -> Verdict {
    screen::screen(&read(case), &["support@okpay.example".to_string()])
}

fn settings() -> Settings {
    let project = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(project.join("fixtures/demo.toml")).unwrap();
    let mut s = config::from_str(&text, "fixtures/demo.toml", &project).unwrap();
    s.rules_dir = project.join("rules");
    s.templates_dir = project.join("templates");
    s
}

/// Each case through the whole pipeline into one in-memory store, in order.
fn process(cases: &[&str]) -> Vec<Outcome> {
    process_into(cases).0
}

/// Like [`process`], with the store.
fn process_into(cases: &[&str]) -> (Vec<Outcome>, Store) {
    let s = settings();
    let loaded = daemon::load(&s).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let now = jiff::Timestamp::now();
    let ctx = Context { settings: &s, rules: &loaded.rules, templates: &loaded.templates, now };
    let outcomes = cases
        .iter()
        .map(|case| {
            let mail = RawMail { bytes: raw(case), origin: (*case).into(), received_at: now, oversize: None };
            pipeline::process(&mut store, &ctx, &mail).unwrap()
        })
        .collect();
    (outcomes, store)
}

// ------------------------------------------------------------------------- machine mail

/// `From: <>` with no Return-Path was quarantined as "no sender" instead of read as a bounce.
#[test]
fn regression_null_sender_in_from_is_a_bounce() {
    let mail = read("machine-null-from");
    assert_eq!((mail.from_address.as_str(), mail.sender_problem), ("", Some(SenderProblem::Null)));
    assert_eq!(verdict("machine-null-from").automated, Some(AutomatedKind::Bounce));
    assert_eq!(verdict("machine-no-from-report").automated, Some(AutomatedKind::Bounce));
    for outcome in process(&["machine-null-from", "machine-no-from-report"]) {
        let Outcome::Processed(report) = outcome else { panic!("not processed: {outcome:?}") };
        assert_eq!(report.automated.as_deref(), Some("bounce"));
        assert!(report.reply.starts_with("none"), "{report:?}");
    }
}

/// Machine mail without Auto-Submitted, Precedence or a no-reply From got an acknowledgement.
#[test]
fn regression_machine_mail_without_the_standard_headers() {
    for (case, kind) in [
        ("machine-newsletter", AutomatedKind::List),
        ("machine-bulk-feedback-id", AutomatedKind::List),
        ("machine-cron", AutomatedKind::AutoReply),
        ("machine-ticket-system", AutomatedKind::AutoReply),
        ("machine-auto-generated-subject", AutomatedKind::AutoReply),
        ("machine-noreply-return-path", AutomatedKind::NoReply),
        ("machine-bounce-return-path", AutomatedKind::NoReply),
    ] {
        let v = verdict(case);
        assert_eq!(v.automated, Some(kind), "{case}: {v:?}");
    }
}

/// 退信用卡 ("return my credit card") began with 退信 ("bounce") and was taken for one.
#[test]
fn regression_automatic_subject_words_inside_a_customers_subject() {
    assert_eq!(verdict("person-return-credit-card-subject"), Verdict::human());
    let [Outcome::Processed(report)] = &process(&["person-return-credit-card-subject"])[..] else { panic!() };
    assert!(report.ticket.is_some() && !report.reply.starts_with("none"), "answered: {report:?}");
}

/// X-Auto-Response-Suppress made a person's mail an auto-reply: no ticket, nobody saw it.
#[test]
fn regression_x_auto_response_suppress_gets_a_ticket_but_no_automatic_mail() {
    let v = verdict("person-x-auto-response-suppress");
    assert_eq!(v.automated, None);
    assert_eq!(v.no_automatic_mail.as_deref(), Some("X-Auto-Response-Suppress: All"));
    let [Outcome::Processed(report)] = &process(&["person-x-auto-response-suppress"])[..] else { panic!() };
    assert!(report.ticket.is_some() && report.new_ticket, "{report:?}");
    assert_eq!(report.automated, None);
    assert!(report.reply.contains("X-Auto-Response-Suppress"), "{report:?}");
    assert!(report.reply.starts_with("none"), "{report:?}");
}

// ------------------------------------------------------------------------------ senders

/// Invalid From addresses were answered; now they get a ticket, a person and the reason.
#[test]
fn regression_invalid_sender_addresses_are_never_answered() {
    let cases = ["sender-invalid-address", "sender-address-with-a-space", "sender-display-name-only"];
    for case in cases {
        assert_eq!(read(case).sender_problem, Some(SenderProblem::Invalid), "{case}");
        let v = verdict(case);
        assert!(
            v.no_automatic_mail.as_deref().is_some_and(|r| r.contains("not a valid address")),
            "{case}: {v:?}"
        );
    }
    let (outcomes, store) = process_into(&cases);
    for (case, outcome) in cases.iter().zip(outcomes) {
        let Outcome::Processed(report) = outcome else { panic!("{case}: {outcome:?}") };
        let ticket = report.ticket.unwrap_or_else(|| panic!("{case}: no ticket: {report:?}"));
        assert!(
            report.reply.starts_with("none (no automatic mail: the sender address"),
            "{case}: {report:?}"
        );
        // The person who takes the ticket sees why (`deskmail show`).
        let messages = store.ticket_messages(ticket).unwrap();
        assert!(messages[0].note.as_deref().is_some_and(|n| n.contains("is not a valid address")), "{case}");
    }
}

/// A From whose first address is empty, followed by a valid one, was quarantined; a From
/// without a valid address falls back to Reply-To.
#[test]
fn regression_the_next_valid_address_is_used() {
    for case in ["sender-second-from-address", "sender-reply-to"] {
        let mail = read(case);
        assert_eq!((mail.from_address.as_str(), mail.sender_problem), ("ann@example.org", None), "{case}");
    }
    for outcome in process(&["sender-second-from-address"]) {
        let Outcome::Processed(report) = outcome else { panic!("{outcome:?}") };
        assert!(!report.reply.starts_with("none"), "answered: {report:?}");
    }
}

/// A person's mail without any sender is kept for a person, in quarantine, with the reason.
#[test]
fn a_persons_mail_without_a_sender_is_quarantined() {
    let raw = b"To: support@okpay.example\r\nSubject: Refund\r\n\r\nWhere is my refund?\r\n";
    let s = settings();
    let loaded = daemon::load(&s).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let now = jiff::Timestamp::now();
    let ctx = Context { settings: &s, rules: &loaded.rules, templates: &loaded.templates, now };
    let mail = RawMail { bytes: raw.to_vec(), origin: "no-sender".into(), received_at: now, oversize: None };
    let outcome = pipeline::process(&mut store, &ctx, &mail).unwrap();
    let Outcome::Quarantined { reason } = outcome else { panic!("{outcome:?}") };
    assert!(reason.contains("no sender address"), "{reason}");
}
