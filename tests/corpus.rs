//! The shared test corpus (`DESKMAIL_CORPUS`, set by scripts/test.sh): labelled customer
//! mail, 629 real bounces and auto-replies, ordinary mail mistaken for bounces, and broken
//! MIME. Each test prints its figure; without the corpus the tests say so and pass.

use std::path::{Path, PathBuf};

use deskmail::config::{self, Settings};
use deskmail::daemon;
use deskmail::decide::{self, Facts, Plan};
use deskmail::parse;
use deskmail::pipeline::{self, Context, Outcome, RawMail};
use deskmail::screen;
use deskmail::store::Store;
use serde::Deserialize;

fn corpus() -> Option<PathBuf> {
    match std::env::var_os("DESKMAIL_CORPUS") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            eprintln!("DESKMAIL_CORPUS is not set: corpus tests skipped (scripts/test.sh sets it)");
            None
        }
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && !p.file_name().unwrap().to_string_lossy().to_uppercase().starts_with("COPYING")
                && !p.file_name().unwrap().to_string_lossy().to_uppercase().starts_with("LICENSE")
                && p.extension().is_none_or(|x| x != "json")
        })
        .collect();
    files.sort();
    files
}

fn settings() -> Settings {
    let project = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(project.join("fixtures/demo.toml")).unwrap();
    let mut s = config::from_str(&text, "fixtures/demo.toml", &project).unwrap();
    s.rules_dir = project.join("rules");
    s.templates_dir = project.join("templates");
    s
}

#[derive(Debug, Deserialize)]
struct Expected {
    file: String,
    category: Option<String>,
    language: String,
    reply: bool,
    automated: Option<String>,
}

/// Whether an automatic mail would go out for this mail if it opened a ticket.
fn would_answer(raw: &[u8], s: &Settings, loaded: &daemon::Loaded) -> Option<bool> {
    let mail = parse::parse(raw).ok()?;
    let verdict = screen::screen(&mail, &s.own_addresses);
    let classification = loaded.rules.classify(&mail, &verdict);
    let plan = decide::plan(Facts {
        verdict: &verdict,
        classification: &classification,
        new_ticket: true,
        sent_today: 0,
        max_per_day: s.max_auto_per_day,
        withheld: None,
    });
    Some(matches!(plan, Plan::Send { .. }))
}

#[test]
fn support_mail_matches_expected_json() {
    let Some(corpus) = corpus() else { return };
    let s = settings();
    let loaded = daemon::load(&s).unwrap();
    let dir = corpus.join("support");
    let expected: Vec<Expected> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let (mut category_ok, mut first_four_ok, mut first_four) = (0, 0, 0);
    let mut problems = Vec::new();
    for e in &expected {
        let raw = std::fs::read(dir.join(&e.file)).unwrap();
        let mail = parse::parse(&raw).unwrap_or_else(|err| panic!("{}: {err}", e.file));
        let verdict = screen::screen(&mail, &s.own_addresses);
        let c = loaded.rules.classify(&mail, &verdict);
        if c.category.as_deref() == e.category.as_deref() {
            category_ok += 1;
        } else {
            problems.push(format!("{}: category {:?}, expected {:?}", e.file, c.category, e.category));
        }
        if ["password_reset", "missing_confirmation", "refund", "transaction_failure"]
            .contains(&e.category.as_deref().unwrap_or(""))
        {
            first_four += 1;
            first_four_ok += usize::from(c.category.as_deref() == e.category.as_deref());
        }
        if mail.language.tag() != e.language {
            problems.push(format!("{}: language {}, expected {}", e.file, mail.language.tag(), e.language));
        }
        let automated = verdict.automated.map(|k| k.as_str().to_string());
        if automated != e.automated {
            problems.push(format!("{}: automated {automated:?}, expected {:?}", e.file, e.automated));
        }
        let answers = would_answer(&raw, &s, &loaded).unwrap();
        if answers && !e.reply {
            problems.push(format!("{}: would be answered, but reply is false", e.file));
        }
        for (what, text) in [("subject", &mail.subject), ("body", &mail.body)] {
            if text.contains('\u{FFFD}') {
                problems.push(format!("{}: U+FFFD in the decoded {what}", e.file));
            }
        }
    }
    println!(
        "support corpus: category {category_ok}/{} ({:.1}%), first four categories {first_four_ok}/{first_four}",
        expected.len(),
        100.0 * category_ok as f64 / expected.len() as f64
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn machine_mail_is_never_answered() {
    let Some(corpus) = corpus() else { return };
    let s = settings();
    let loaded = daemon::load(&s).unwrap();
    let all = files(&corpus.join("automated"));
    let answered: Vec<String> = all
        .iter()
        .filter(|p| would_answer(&std::fs::read(p).unwrap(), &s, &loaded) == Some(true))
        .map(|p| p.display().to_string())
        .collect();
    println!("automated corpus: {} of {} would be answered", answered.len(), all.len());
    assert!(answered.is_empty(), "answered machine mail:\n{}", answered.join("\n"));
}

#[test]
fn ordinary_mail_mistaken_for_bounces_is_not_suppressed() {
    let Some(corpus) = corpus() else { return };
    let s = settings();
    let loaded = daemon::load(&s).unwrap();
    let all = files(&corpus.join("not-automated"));
    // rb-issue-368-bug.eml is labelled "not a bounce" (sisimai could not parse it), but it is
    // a postmaster's "automatic bounce notification" with `Return-Path: <>` and
    // `Auto-Submitted: auto-replied`: RFC 3834 and our loop policy forbid answering it.
    let must_stay_suppressed = ["rb-issue-368-bug.eml"];
    for name in must_stay_suppressed {
        let raw = std::fs::read(corpus.join("not-automated").join(name)).unwrap();
        assert_eq!(would_answer(&raw, &s, &loaded), Some(false), "{name} must not be answered");
    }
    let all: Vec<PathBuf> =
        all.into_iter().filter(|p| !must_stay_suppressed.iter().any(|n| p.ends_with(n))).collect();
    let suppressed: Vec<String> = all
        .iter()
        .filter(|p| would_answer(&std::fs::read(p).unwrap(), &s, &loaded) != Some(true))
        .map(|p| p.display().to_string())
        .collect();
    println!(
        "not-automated corpus: {} of {} ordinary mails wrongly suppressed ({} excluded as RFC 3834 machine mail)",
        suppressed.len(),
        all.len(),
        must_stay_suppressed.len()
    );
    assert!(suppressed.is_empty(), "suppressed:\n{}", suppressed.join("\n"));
}

#[test]
fn every_corpus_mail_is_processed_or_quarantined_without_panic() {
    let Some(corpus) = corpus() else { return };
    let s = settings();
    let loaded = daemon::load(&s).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let (mut processed, mut quarantined, mut spam, mut duplicates, mut total) = (0, 0, 0, 0, 0);
    for folder in ["malformed", "automated", "not-automated", "support"] {
        for path in files(&corpus.join(folder)) {
            total += 1;
            let mail = RawMail {
                bytes: std::fs::read(&path).unwrap(),
                origin: path.display().to_string(),
                received_at: jiff::Timestamp::now(),
                oversize: None,
            };
            let ctx = Context {
                settings: &s,
                rules: &loaded.rules,
                templates: &loaded.templates,
                now: jiff::Timestamp::now(),
            };
            match pipeline::process(&mut store, &ctx, &mail)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            {
                Outcome::Processed(_) => processed += 1,
                Outcome::Quarantined { reason } => {
                    assert!(!reason.is_empty());
                    quarantined += 1;
                }
                Outcome::Duplicate | Outcome::OwnCopy { .. } => duplicates += 1,
                Outcome::Spam { .. } => spam += 1,
            }
        }
    }
    println!(
        "corpus through the pipeline: {processed} processed, {quarantined} quarantined, {spam} spam, {duplicates} duplicates"
    );
    assert_eq!(processed + quarantined + spam + duplicates, total);
    assert!(processed > total / 2);
}
