//! Reading real mail, measured on the shared corpus (`DESKMAIL_CORPUS`): the quote split over
//! other projects' reply fixtures (`replies/`), machine mail over the 629 real bounces and
//! auto-replies (`automated/`), and no machine flag on customer mail (`support/`,
//! `not-automated/`, and mails written from `phrasing/` by its `to_mail.py`). Each test prints
//! its figure; without the corpus the tests say so and pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use deskmail::parse;
use deskmail::screen;
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

/// One reply fixture's expectations (see `replies/README.md`).
#[derive(Debug, Deserialize)]
struct ReplyCase {
    #[serde(default)]
    reply_contains: Vec<String>,
    #[serde(default)]
    quoted_excludes: Vec<String>,
    #[serde(default)]
    needs_header: bool,
    content_type: Option<String>,
}

/// A bare body wrapped in the minimal header the corpus README asks for.
fn wrapped(body: &[u8], content_type: &str) -> Vec<u8> {
    let header = format!(
        "From: Customer <customer@example.org>\r\nTo: support@example.test\r\nSubject: Re: your ticket\r\n\
         Date: Thu, 03 Dec 2026 10:00:00 +0000\r\nMessage-ID: <corpus@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: {content_type}\r\n\r\n"
    );
    [header.as_bytes(), body].concat()
}

/// Runs of whitespace (no-break spaces too) as one space, as the corpus compares.
fn collapsed(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every folder of `replies` with an `expected.json` (`talon/`, `email_reply_parser/` and any
/// set added beside them), in name order.
fn reply_folders(replies: &Path) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(replies)
        .unwrap_or_else(|e| panic!("{}: {e}", replies.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    folders.sort();
    folders
}

#[test]
fn replies_keep_the_reply_and_drop_the_quotes() {
    let Some(corpus) = corpus() else { return };
    let (mut total, mut right) = (0, 0);
    let (mut lost, mut leaked) = (Vec::new(), Vec::new());
    for dir in reply_folders(&corpus.join("replies")) {
        let folder = dir.file_name().unwrap().to_string_lossy().into_owned();
        let cases: BTreeMap<String, ReplyCase> =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
        for (file, case) in &cases {
            total += 1;
            let bytes = std::fs::read(dir.join(file)).unwrap();
            let raw = if case.needs_header {
                wrapped(&bytes, case.content_type.as_deref().unwrap_or("text/plain; charset=utf-8"))
            } else {
                bytes
            };
            let mail = parse::parse(&raw).unwrap_or_else(|e| panic!("{folder}/{file}: {e}"));
            let new_text = collapsed(&mail.new_text);
            let missing: Vec<&String> =
                case.reply_contains.iter().filter(|s| !new_text.contains(&collapsed(s))).collect();
            let kept: Vec<&String> =
                case.quoted_excludes.iter().filter(|s| new_text.contains(&collapsed(s))).collect();
            if !missing.is_empty() {
                lost.push(format!("{folder}/{file}: reply text lost {missing:?}\n  new text: {new_text:?}"));
            }
            if !kept.is_empty() {
                leaked.push(format!("{folder}/{file}: quote kept {kept:?}\n  new text: {new_text:?}"));
            }
            right += usize::from(missing.is_empty() && kept.is_empty());
        }
    }
    println!(
        "replies corpus: {right} of {total} right ({:.1}%), {} with reply text lost, {} with quotes kept",
        100.0 * right as f64 / total as f64,
        lost.len(),
        leaked.len()
    );
    for line in lost.iter().chain(&leaked) {
        println!("{line}");
    }
    assert!(lost.is_empty(), "reply text lost:\n{}", lost.join("\n"));
    assert!(right * 100 >= total * 95, "{right} of {total} right, under 95%");
}

fn mail_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_uppercase();
            p.is_file()
                && !name.starts_with("COPYING")
                && !name.starts_with("LICENSE")
                && p.extension().is_none_or(|x| x != "json")
        })
        .collect();
    files.sort();
    files
}

const OWN: &[&str] = &["support@okpay.example"];

fn verdict_of(raw: &[u8]) -> Result<screen::Verdict, parse::ParseError> {
    let own: Vec<String> = OWN.iter().map(|a| a.to_string()).collect();
    parse::parse(raw).map(|mail| screen::screen(&mail, &own))
}

#[test]
fn every_real_machine_mail_reads_as_machine_mail() {
    let Some(corpus) = corpus() else { return };
    let all = mail_files(&corpus.join("automated"));
    let mut problems = Vec::new();
    for path in &all {
        match verdict_of(&std::fs::read(path).unwrap()) {
            Ok(v) if v.is_automated() => {}
            Ok(_) => problems.push(format!("{}: read as a person's mail", path.display())),
            Err(e) => problems.push(format!("{}: quarantined ({e})", path.display())),
        }
    }
    println!("automated corpus: {} of {} read as machine mail", all.len() - problems.len(), all.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Customer mails written from the phrasing sets by the corpus's own `to_mail.py` (a sample of
/// each set), or none when Python is missing.
fn generated_customer_mail(corpus: &Path, out: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for (tsv, sample) in
        [("banking77-train.tsv", "1500"), ("cathay-train.tsv", "1500"), ("afqmc-dev.tsv", "744")]
    {
        let dir = out.join(tsv);
        let status = std::process::Command::new("python3")
            .arg(corpus.join("phrasing/to_mail.py"))
            .arg(corpus.join("phrasing").join(tsv))
            .arg(&dir)
            .args(["--sample", sample, "--seed", "18"])
            .stdout(std::process::Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => files.extend(mail_files(&dir)),
            other => eprintln!("to_mail.py {tsv}: {other:?}; generated mail skipped"),
        }
    }
    files
}

#[test]
fn no_customer_mail_reads_as_machine_mail() {
    let Some(corpus) = corpus() else { return };
    let work = tempfile::tempdir().unwrap();
    let mut customer: Vec<PathBuf> = Vec::new();
    #[derive(Deserialize)]
    struct Support {
        file: String,
        automated: Option<String>,
    }
    let support: Vec<Support> =
        serde_json::from_str(&std::fs::read_to_string(corpus.join("support/expected.json")).unwrap())
            .unwrap();
    customer.extend(
        support.iter().filter(|s| s.automated.is_none()).map(|s| corpus.join("support").join(&s.file)),
    );
    // rb-issue-368-bug.eml is a postmaster's notice with `Return-Path: <>` and
    // `Auto-Submitted: auto-replied` (see tests/corpus.rs): machine mail whatever its label.
    customer.extend(
        mail_files(&corpus.join("not-automated"))
            .into_iter()
            .filter(|p| !p.ends_with("rb-issue-368-bug.eml")),
    );
    let generated = generated_customer_mail(&corpus, work.path());
    let generated_count = generated.len();
    customer.extend(generated);
    let (mut flagged, mut unanswered) = (Vec::new(), Vec::new());
    for path in &customer {
        let verdict =
            verdict_of(&std::fs::read(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if verdict.is_automated() {
            flagged.push(format!("{}: {:?} ({})", path.display(), verdict.automated, verdict.reason));
        } else if let Some(why) = verdict.forbids_automatic_mail() {
            unanswered.push(format!("{}: no automatic mail ({why})", path.display()));
        }
    }
    println!(
        "customer mail: {} of {} flagged as machine mail, {} more kept from automatic mail ({generated_count} of them generated from phrasing/)",
        flagged.len(),
        customer.len(),
        unanswered.len()
    );
    assert!(flagged.is_empty(), "{}", flagged.join("\n"));
    assert!(unanswered.is_empty(), "{}", unanswered.join("\n"));
}

/// Every word of the generated customer mails (their question, with a greeting and a
/// sign-off) must stay in the new text: the quote split must not cut a customer's own lines.
#[test]
fn generated_customer_mail_keeps_every_line() {
    let Some(corpus) = corpus() else { return };
    let work = tempfile::tempdir().unwrap();
    let files = generated_customer_mail(&corpus, work.path());
    #[derive(Deserialize)]
    struct Row {
        text: String,
    }
    let mut cut = Vec::new();
    let mut checked = 0;
    let mut expected: BTreeMap<PathBuf, BTreeMap<String, Row>> = BTreeMap::new();
    for path in &files {
        let dir = path.parent().unwrap().to_path_buf();
        let rows = expected.entry(dir.clone()).or_insert_with(|| {
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap()
        });
        let Some(row) = rows.get(&path.file_name().unwrap().to_string_lossy().to_string()) else { continue };
        checked += 1;
        let mail = parse::parse(&std::fs::read(path).unwrap()).unwrap();
        if !collapsed(&mail.new_text).contains(&collapsed(&row.text)) || !mail.quoted_text.is_empty() {
            cut.push(format!(
                "{}: {:?} -> new {:?}, quoted {:?}",
                path.display(),
                row.text,
                mail.new_text,
                mail.quoted_text
            ));
        }
    }
    println!("generated customer mail: {} of {checked} with words cut from the new text", cut.len());
    assert!(cut.is_empty(), "{}", cut.join("\n"));
}
