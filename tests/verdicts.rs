//! No backscatter (issue 23): each verdict of `fixtures/verdicts/` through the pipeline (a
//! Maildir, one `run --once` pass) with a trusted authserv-id and without one; the spam and
//! withheld mail as `deskmail spam`, `status`, `show` and `classify` show it, and a release;
//! and, end to end through real Postfix and Dovecot, verdicts that Postfix itself writes
//! above its Received field beside one the sender forged below it.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::mailstack::MailStack;
use common::setup::{self, Transport};
use deskmail::config::Settings;
use deskmail::daemon;
use deskmail::pipeline::{Outcome, Report};
use deskmail::shutdown::Control;
use deskmail::store::Store;

const TRUST_OURS: &str = "[trust]\nauthserv_ids = [\"mail.example.test\"]\n";

/// A working directory with the verdict fixtures in a Maildir inbox and a configuration
/// (the demo's, with `trust` added); returns its settings and the config file.
fn workdir(dir: &Path, trust: &str) -> (Settings, PathBuf) {
    let inbox = dir.join("mailbox/new");
    std::fs::create_dir_all(&inbox).unwrap();
    for entry in std::fs::read_dir(setup::project().join("fixtures/verdicts")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, inbox.join(path.file_name().unwrap())).unwrap();
    }
    let project = setup::project();
    let text = std::fs::read_to_string(project.join("fixtures/demo.toml"))
        .unwrap()
        .replace("dir = \"rules\"", &format!("dir = {:?}", project.join("rules")))
        .replace("dir = \"templates\"", &format!("dir = {:?}", project.join("templates")));
    let file = dir.join("deskmail.toml");
    std::fs::write(&file, format!("{text}\n{trust}")).unwrap();
    (deskmail::config::load(&file).unwrap(), file)
}

/// One pass; the outcome of each fixture by its file name.
async fn one_pass(settings: &Settings) -> HashMap<String, Outcome> {
    let stop = Control::default();
    let mut outcomes = HashMap::new();
    daemon::run(settings, true, &stop, Default::default(), &mut |f, o| {
        let name = f.mail.origin.rsplit('/').next().unwrap().to_string();
        outcomes.insert(name, o.clone());
    })
    .await
    .expect("one pass");
    outcomes
}

fn report<'a>(outcomes: &'a HashMap<String, Outcome>, name: &str) -> &'a Report {
    match &outcomes[name] {
        Outcome::Processed(r) => r,
        other => panic!("{name}: {other:?}"),
    }
}

/// Recipients of the automatic mail written to the outbox Maildir.
fn outbox_recipients(dir: &Path) -> Vec<String> {
    let Ok(files) = std::fs::read_dir(dir.join("outbox/new")) else { return Vec::new() };
    let mut to: Vec<String> = files
        .map(|f| deskmail::parse::parse(&std::fs::read(f.unwrap().path()).unwrap()).unwrap())
        .map(|m| m.header("to").unwrap_or_default())
        .collect();
    to.sort();
    to
}

fn deskmail(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deskmail")).args(args).env_remove("RUST_LOG").output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "exit {:?}: {}", o.status, String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_verdict_through_the_pipeline_with_a_trusted_authserv_id() {
    let work = tempfile::tempdir().unwrap();
    let (settings, config) = workdir(work.path(), TRUST_OURS);
    let outcomes = one_pass(&settings).await;
    assert_eq!(outcomes.len(), 5, "{outcomes:#?}");

    // Spam: held with no ticket, moved to the spam folder.
    assert!(
        matches!(&outcomes["spam-flagged.eml"], Outcome::Spam { verdict, .. } if verdict.starts_with("spam (x-spam-flag: yes)"))
    );
    assert!(work.path().join("mailbox/.Spam/cur/spam-flagged.eml:2,S").exists());

    // DMARC fail, forged results, no verdict: a ticket each, and no automatic mail.
    for (name, why) in [
        ("dmarc-fail.eml", "dmarc=fail header.from=bank.test"),
        ("forged-authserv.eml", "no Authentication-Results from a trusted server"),
        ("no-verdict.eml", "no Authentication-Results from a trusted server"),
    ] {
        let r = report(&outcomes, name);
        assert!(r.ticket.is_some() && r.new_ticket, "{name}: {r:?}");
        assert_eq!(r.withheld.as_deref(), Some("authentication"), "{name}: {r:?}");
        assert!(
            r.reply.starts_with(&format!("none (withheld, authentication: {why}")),
            "{name}: {}",
            r.reply
        );
    }
    // SPF fails (a forwarder) but DKIM passes for the From domain: the customer hears back.
    let dkim = report(&outcomes, "spf-fail-dkim-pass.eml");
    assert_eq!(dkim.withheld, None);
    assert!(!dkim.reply.starts_with("none"), "{}", dkim.reply);
    let customers: Vec<String> =
        outbox_recipients(work.path()).into_iter().filter(|to| !to.contains("staff@")).collect();
    assert_eq!(customers, ["\"Li Na\" <li.na@shop.test>"]);

    let config = config.to_str().unwrap();
    let status: serde_json::Value =
        serde_json::from_str(&stdout(&deskmail(&["status", "--json", "--config", config]))).unwrap();
    assert_eq!(status["withheld"], serde_json::json!({"authentication": 3, "spam": 1}));
    assert!(
        stdout(&deskmail(&["status", "--config", config]))
            .contains("auto withheld:  authentication 3, spam 1")
    );

    // `show` gives the verdict and the reason on the message.
    let dmarc_ticket = report(&outcomes, "dmarc-fail.eml").ticket.unwrap().to_string();
    let shown = stdout(&deskmail(&["show", &dmarc_ticket, "--config", config]));
    assert!(
        shown.contains("verdict: authentication fail (dmarc=fail header.from=bank.test)  [automatic mail withheld: authentication]"),
        "{shown}"
    );

    // `deskmail spam` lists the spam; a release takes it in as a customer's mail.
    let held: serde_json::Value =
        serde_json::from_str(&stdout(&deskmail(&["spam", "--json", "--config", config]))).unwrap();
    assert_eq!(held.as_array().unwrap().len(), 1, "{held}");
    assert_eq!(held[0]["from_address"], "promo@deals.test");
    let id = held[0]["id"].to_string();
    let released = stdout(&deskmail(&["spam", "--release", &id, "--config", config]));
    assert!(released.contains("released as not spam: ticket #"), "{released}");
    assert!(stdout(&deskmail(&["spam", "--config", config])).contains("0 mail(s) held as spam"));
    let store = Store::open(&settings.database).unwrap();
    let ticket = store.tickets().unwrap().into_iter().find(|t| t.customer == "promo@deals.test").unwrap();
    let message = &store.ticket_messages(ticket.id).unwrap()[0];
    assert!(
        message.verdict.as_deref().unwrap().ends_with("; x-spam-flag: yes, released as not spam"),
        "{message:?}"
    );
    assert!(deskmail(&["spam", "--release", &id, "--config", config]).status.code() == Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_trusted_authserv_id_authentication_is_off_and_spam_still_held() {
    let work = tempfile::tempdir().unwrap();
    let (settings, _) = workdir(work.path(), "");
    let outcomes = one_pass(&settings).await;
    assert!(matches!(&outcomes["spam-flagged.eml"], Outcome::Spam { .. }));
    for name in ["dmarc-fail.eml", "forged-authserv.eml", "no-verdict.eml", "spf-fail-dkim-pass.eml"] {
        let r = report(&outcomes, name);
        assert_eq!(r.withheld, None, "{name}: {r:?}");
        assert!(
            r.verdict.contains("authentication not checked (no trusted authserv-id configured)"),
            "{name}: {r:?}"
        );
    }
}

#[test]
fn classify_json_and_explain_show_the_verdict_and_why() {
    let work = tempfile::tempdir().unwrap();
    let (_, config) = workdir(work.path(), TRUST_OURS);
    let config = config.to_str().unwrap();
    let fixture = |name: &str| setup::project().join("fixtures/verdicts").join(name).display().to_string();
    let names = [
        "spam-flagged.eml",
        "dmarc-fail.eml",
        "spf-fail-dkim-pass.eml",
        "forged-authserv.eml",
        "no-verdict.eml",
    ];
    let files: Vec<String> = names.iter().map(|n| fixture(n)).collect();
    let mut args = vec!["classify", "--json", "--config", config];
    args.extend(files.iter().map(String::as_str));
    let lines: Vec<serde_json::Value> =
        stdout(&deskmail(&args)).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let verdict = |i: usize| &lines[i]["verdict"];
    assert_eq!(verdict(0)["spam"], "x-spam-flag: yes");
    assert_eq!(verdict(0)["withheld"], "spam");
    assert_eq!(
        verdict(1)["authentication"],
        serde_json::json!({"result": "fail", "why": "dmarc=fail header.from=bank.test"})
    );
    assert_eq!(verdict(1)["withheld"], "authentication");
    assert_eq!(verdict(2)["authentication"]["result"], "pass");
    assert_eq!(verdict(2)["withheld"], serde_json::Value::Null);
    assert!(lines[2]["reply"].as_bool().unwrap());
    assert_eq!(verdict(3)["policy"], "aligned");
    assert_eq!(verdict(3)["ignored"].as_array().unwrap().len(), 3, "{}", verdict(3));
    assert_eq!(verdict(4)["withheld"], "authentication");
    assert!(lines.iter().enumerate().all(|(i, l)| l["reply"].as_bool() == Some(i == 2)), "{lines:?}");

    let explained =
        stdout(&deskmail(&["classify", "--explain", "--config", config, &fixture("forged-authserv.eml")]));
    for needle in [
        "verdict:   trusted authserv-ids: mail.example.test; policy aligned",
        "authentication: fail (no Authentication-Results from a trusted server (mail.example.test))",
        "ignored: Authentication-Results of mx.wallet.test: not a trusted authserv-id",
        "ignored: Authentication-Results of mail.example.test: below our servers' Received fields",
        "automatic mail: no automatic mail (withheld: authentication)",
    ] {
        assert!(explained.contains(needle), "{needle:?} missing in\n{explained}");
    }
}

/// Makes the stack's Postfix write `rules` (a regexp header_checks table) as a filter on
/// our side would: a PREPEND on its own Received field lands right above it.
fn postfix_header_checks(stack: &MailStack, rules: &str) {
    let etc = stack.dir.join("postfix/etc");
    std::fs::write(etc.join("header_checks"), rules).unwrap();
    let run = |program: &str, args: &[&str]| {
        let out = Command::new(program).args(args).output().unwrap();
        assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let etc_dir = etc.display().to_string();
    run(
        "/usr/sbin/postconf",
        &["-c", &etc_dir, "-e", &format!("header_checks = regexp:{etc_dir}/header_checks")],
    );
    // Postfix waits about 2 s on a table younger than that (see start.sh).
    run("touch", &["-d", "-1 min", &format!("{etc_dir}/header_checks"), &format!("{etc_dir}/main.cf")]);
    run("/usr/sbin/postfix", &["-c", &etc_dir, "reload"]);
}

fn mail(from: &str, subject: &str, extra: &str) -> Vec<u8> {
    format!(
        "{extra}From: {from}\r\nTo: support@example.test\r\nSubject: {subject}\r\nMessage-ID: <{}@customer.test>\r\n\
         Date: Thu, 03 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hello, my withdrawal has been pending for three days. Can you check it?\r\n",
        subject.replace(' ', "-")
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postfix_verdicts_end_to_end_spam_to_the_spam_folder_and_a_forged_flag_ignored() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let stack = MailStack::start();
    assert!(stack.has_postfix, "Postfix did not start (needs root)");
    postfix_header_checks(
        &stack,
        "/^Received: .*by mail\\.example\\.test \\(Postfix\\).*for <support\\+flagged@example\\.test>/ PREPEND X-Spam-Status: Yes, score=8.7 required=5.0 tests=TEST_RULE\n\
         /^Received: .*by mail\\.example\\.test \\(Postfix\\).*for <support\\+dmarcfail@example\\.test>/ PREPEND Authentication-Results: mail.example.test; dmarc=fail header.from=bank.test\n\
         /^Received: .*by mail\\.example\\.test \\(Postfix\\).*for <support@example\\.test>/ PREPEND Authentication-Results: mail.example.test; spf=pass smtp.mailfrom=customer.test\n",
    );
    stack
        .smtp_send(
            "promo@deals.test",
            &["support+flagged@example.test"],
            &mail("promo@deals.test", "Cash reward", ""),
        )
        .await;
    stack
        .smtp_send(
            "security@bank.test",
            &["support+dmarcfail@example.test"],
            &mail("security@bank.test", "Account check", ""),
        )
        .await;
    // The sender's own spam flag stands below our Received fields: not believed.
    let forged = "X-Spam-Flag: YES\r\nAuthentication-Results: mail.example.test; dmarc=fail header.from=customer.test\r\n";
    stack
        .smtp_send(
            "ann@customer.test",
            &["support@example.test"],
            &mail("ann@customer.test", "Pending withdrawal", forged),
        )
        .await;
    let delivered = stack.wait_for_count("support@example.test", "INBOX", 3, Duration::from_secs(20)).await;
    let flagged = delivered.iter().find(|m| String::from_utf8_lossy(m).contains("Cash reward")).unwrap();
    let text = String::from_utf8_lossy(flagged);
    let (spam_at, received_at) = (text.find("X-Spam-Status: Yes").unwrap(), text.find("(Postfix)").unwrap());
    assert!(spam_at < received_at, "Postfix wrote its verdict above its Received field:\n{text}");

    let work = tempfile::tempdir().unwrap();
    let text = format!("{}\n{TRUST_OURS}", setup::config_text(&stack, work.path(), Transport::Plain, ""));
    let settings = setup::parse(&text, work.path());
    let stop = Control::default();
    let mut outcomes = Vec::new();
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, o| outcomes.push(o.clone()))
        .await
        .expect("one pass");

    assert_eq!(stack.count("support@example.test", "Spam").await, 1, "{outcomes:#?}");
    assert_eq!(stack.count("support@example.test", "Processed").await, 2, "{outcomes:#?}");
    let reports: Vec<&Report> =
        outcomes.iter().filter_map(|o| if let Outcome::Processed(r) = o { Some(r) } else { None }).collect();
    let bank = reports.iter().find(|r| r.from == "security@bank.test").unwrap();
    assert_eq!(bank.withheld.as_deref(), Some("authentication"), "{bank:?}");
    let ann = reports.iter().find(|r| r.from == "ann@customer.test").unwrap();
    assert_eq!(ann.withheld, None, "{ann:?}");
    assert!(ann.verdict.contains("authentication pass (spf=pass smtp.mailfrom=customer.test)"), "{ann:?}");
    // The one automatic mail, to ann (through the catch-all), and none to the others.
    let answers = stack.wait_for_count("catchall@example.test", "INBOX", 1, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stack.count("catchall@example.test", "INBOX").await, 1);
    let answer = deskmail::parse::parse(&answers[0]).unwrap();
    assert!(answer.header("to").unwrap().contains("ann@customer.test"), "{answer:?}");
    let store = Store::open(&settings.database).unwrap();
    assert_eq!(store.spam().unwrap().len(), 1);
    assert_eq!(store.tickets().unwrap().len(), 2);
}
