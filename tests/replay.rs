//! `deskmail rules replay` over a database made by a real `run --once` against Dovecot and
//! Postfix: the rules in use change nothing, a candidate set shows exactly what it would
//! change, and the database is not touched.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::mailstack::MailStack;
use common::setup::{self, Transport};

fn deskmail(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deskmail")).args(args).env_remove("RUST_LOG").output().unwrap()
}

fn digest(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn replay_shows_what_candidate_rules_would_change_and_touches_nothing() {
    let stack = MailStack::start();
    for n in 0..3 {
        setup::deliver_customer_mail(&stack, n);
    }
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("deskmail.toml");
    std::fs::write(&config, setup::config_text(&stack, work.path(), Transport::Plain, "")).unwrap();
    let config = config.to_str().unwrap();
    let run = deskmail(&["run", "--once", "--config", config]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let db = work.path().join("deskmail.db");
    let before = digest(&db);

    let same = deskmail(&["rules", "replay", "--config", config, "--json"]);
    assert!(same.status.success(), "{}", String::from_utf8_lossy(&same.stderr));
    let report: serde_json::Value = serde_json::from_slice(&same.stdout).unwrap();
    assert_eq!(report["replayed"], 3, "{report}");
    assert_eq!(report["changed"].as_array().unwrap().len(), 0, "the rules in use change nothing: {report}");

    // A candidate set: the default rules and one more that makes every customer.test mail a
    // fees question, answered with the fees template.
    let candidate = work.path().join("candidate");
    std::fs::create_dir_all(&candidate).unwrap();
    for entry in std::fs::read_dir(setup::project().join("rules")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            std::fs::copy(&path, candidate.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(
        candidate.join("01-fees-first.toml"),
        "[[rule]]\nid = \"fees-first\"\npriority = 1\ncategory = \"fees\"\naction = \"answer\"\ntemplate = \"fees\"\n\
         [rule.when]\nfield = \"from_domain\"\nequals = [\"customer.test\"]\n",
    )
    .unwrap();
    let templates = setup::project().join("templates");
    let changed = deskmail(&[
        "rules",
        "replay",
        "--config",
        config,
        "--rules",
        candidate.to_str().unwrap(),
        "--templates",
        templates.to_str().unwrap(),
        "--json",
    ]);
    assert!(changed.status.success(), "{}", String::from_utf8_lossy(&changed.stderr));
    let report: serde_json::Value = serde_json::from_slice(&changed.stdout).unwrap();
    let changes = report["changed"].as_array().unwrap();
    assert_eq!(changes.len(), 3, "{report}");
    for change in changes {
        assert_eq!(change["old"]["category"], "refund", "{change}");
        assert_eq!(change["new"]["category"], "fees", "{change}");
        assert_eq!(change["new"]["automatic_mail"], "fees", "{change}");
    }
    assert_eq!(report["pairs"][0]["mails"], 3, "{report}");
    assert_eq!(report["different_automatic_mail"], 3, "{report}");
    let text = deskmail(&[
        "rules",
        "replay",
        "--config",
        config,
        "--rules",
        candidate.to_str().unwrap(),
        "--templates",
        templates.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("3 would change") && text.contains("refund -> fees"), "{text}");
    assert_eq!(digest(&db), before, "replay wrote nothing");
}
