//! The `deskmail` binary as staff and operators use it: help, classify --json over the
//! corpus, rules check on broken rule files, the demo, and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn deskmail(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deskmail"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DESKMAIL_CONFIG")
        .output()
        .expect("deskmail runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["demo", "--help"],
        vec!["classify", "--help"],
        vec!["rules", "check", "--help"],
        vec!["rules", "test", "--help"],
        vec!["tickets", "--help"],
        vec!["show", "--help"],
    ] {
        let out = deskmail(&args);
        assert!(out.status.success(), "{args:?}");
        assert!(stdout(&out).contains("Usage:"), "{args:?}");
    }
}

#[test]
fn classify_json_agrees_with_the_support_corpus() {
    let Some(corpus) = std::env::var_os("DESKMAIL_CORPUS").map(PathBuf::from) else {
        eprintln!("DESKMAIL_CORPUS is not set: skipped");
        return;
    };
    let dir = corpus.join("support");
    let expected: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let files: Vec<String> =
        expected.iter().map(|e| dir.join(e["file"].as_str().unwrap()).display().to_string()).collect();
    let mut args = vec!["classify", "--json"];
    args.extend(files.iter().map(String::as_str));
    let out = deskmail(&args);
    assert!(out.status.success());
    let records: Vec<serde_json::Value> =
        stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), expected.len());
    let first_four = ["password_reset", "missing_confirmation", "refund", "transaction_failure"];
    let (mut agree, mut four_total, mut four_agree) = (0, 0, 0);
    for (record, e) in records.iter().zip(&expected) {
        for key in ["file", "category", "rule", "language", "automated", "action"] {
            assert!(record.get(key).is_some(), "{key} missing in {record}");
        }
        let same = record["category"] == e["category"];
        agree += usize::from(same);
        if first_four.contains(&e["category"].as_str().unwrap_or("")) {
            four_total += 1;
            four_agree += usize::from(same);
        }
        assert_eq!(record["language"], e["language"], "{}", e["file"]);
        assert_eq!(record["automated"], e["automated"], "{}", e["file"]);
        if e["reply"] == false {
            assert_eq!(record["reply"], false, "{} must not be answered", e["file"]);
        }
    }
    println!(
        "classify --json: {agree}/{} categories agree; first four: {four_agree}/{four_total}",
        expected.len()
    );
    assert_eq!(four_agree, four_total);
    assert!(agree * 100 >= expected.len() * 95);
}

/// Writes one rule file into a fresh directory and returns `rules check`'s output.
fn check(rule_file: &str) -> (Output, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("10-test.toml");
    std::fs::write(&file, rule_file).unwrap();
    let out = deskmail(&["rules", "check", dir.path().to_str().unwrap(), "--templates", "templates"]);
    (out, file, dir)
}

fn assert_problem(rule_file: &str, line: usize, col: usize, message: &str) {
    let (out, file, _dir) = check(rule_file);
    let text = stdout(&out);
    let expected = format!("{}:{line}:{col}: ", file.display());
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with(&expected) && l.contains(message)),
        "expected `{expected}…{message}` in:\n{text}"
    );
}

const GOOD: &str = r#"[[rule]]
id = "refund"
priority = 10
category = "refund"
action = "answer"
template = "refund"
[rule.when]
field = "text"
keywords = ["refund"]
"#;

#[test]
fn a_good_rule_file_passes() {
    let (out, _, _dir) = check(GOOD);
    assert!(out.status.success(), "{}", stdout(&out));
}

#[test]
fn unknown_key() {
    assert_problem(
        &GOOD.replace("priority = 10", "priority = 10\ncolour = \"red\""),
        4,
        1,
        "unknown key `colour`",
    );
}

#[test]
fn toml_syntax_error() {
    assert_problem(&GOOD.replace("keywords = [\"refund\"]", "keywords = [\"refund\""), 10, 1, "");
}

#[test]
fn bad_regex() {
    assert_problem(&GOOD.replace("keywords = [\"refund\"]", "regex = \"(refund\""), 9, 9, "bad regex");
}

#[test]
fn a_keyword_with_a_choice_left_open() {
    assert_problem(
        &GOOD.replace("keywords = [\"refund\"]", "keywords = [\"{my|the refund\"]"),
        9,
        13,
        "without its `}`",
    );
    assert_problem(
        &GOOD.replace("keywords = [\"refund\"]", "keywords = [\"{my}refund\"]"),
        9,
        13,
        "need a `|`",
    );
}

#[test]
fn unknown_template() {
    assert_problem(
        &GOOD.replace("template = \"refund\"", "template = \"refnud\""),
        6,
        12,
        "unknown template `refnud`",
    );
}

#[test]
fn unknown_field_and_action() {
    assert_problem(&GOOD.replace("field = \"text\"", "field = \"txet\""), 8, 9, "unknown field `txet`");
    assert_problem(
        &GOOD.replace("action = \"answer\"", "action = \"reply\""),
        5,
        10,
        "unknown action `reply`",
    );
}

#[test]
fn duplicate_id_and_equal_priority() {
    let second = GOOD.replace("keywords = [\"refund\"]", "keywords = [\"money back\"]");
    assert_problem(&format!("{GOOD}\n{second}"), 12, 6, "duplicate rule id `refund`");
    assert_problem(&format!("{GOOD}\n{second}"), 13, 12, "priorities must differ");
}

#[test]
fn a_rule_that_can_never_match() {
    let later =
        GOOD.replace("id = \"refund\"", "id = \"refund-2\"").replace("priority = 10", "priority = 20");
    assert_problem(&format!("{GOOD}\n{later}"), 12, 6, "can never match");
}

#[test]
fn a_rule_written_the_same_as_an_earlier_one_can_never_match_and_one_word_apart_can() {
    // Conditions of `all` and `not` are compared by shape and matcher, not as text.
    let all = |id: &str, priority: u32, word: &str| {
        format!(
            "[[rule]]\nid = \"{id}\"\npriority = {priority}\ncategory = \"refund\"\naction = \"acknowledge\"\n\
             [rule.when]\nall = [\n  {{ field = \"text\", keywords = [\"refund\"] }},\n  \
             {{ not = {{ field = \"text\", keywords = [\"{word}\"] }} }},\n]\n"
        )
    };
    let same = format!("{}{}", all("first", 10, "fee"), all("second", 20, "fee"));
    assert_problem(&same, 12, 6, "rule `second` can never match: rule `first`");
    let (out, _, _dir) = check(&format!("{}{}", all("first", 10, "fee"), all("second", 20, "charge")));
    assert!(out.status.success(), "{}", stdout(&out));
}

#[test]
fn answer_without_template() {
    assert_problem(&GOOD.replace("template = \"refund\"\n", ""), 5, 10, "needs a `template`");
}

#[test]
fn default_rules_check_clean() {
    let out = deskmail(&["rules", "check", "rules", "--templates", "templates"]);
    assert!(out.status.success(), "{}", stdout(&out));
}

#[test]
fn demo_processes_the_sample_mailbox() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = deskmail(&["demo", "--dir", demo.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("01-password-gb2312.eml") && text.contains("password_reset"), "{text}");
    assert!(text.contains("quarantined"), "{text}");
    assert!(
        text.contains("In-Reply-To <sample-01@mail.example.test>"),
        "a reply names the mail it answers: {text}"
    );
    assert!(!text.contains("In-Reply-To <>"), "the staff notice answers no mail: {text}");
    assert_eq!(
        std::fs::read_dir(demo.join("outbox/new")).unwrap().count(),
        7,
        "6 replies and 1 escalation notice"
    );
    assert!(!Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample-mailbox/.Processed").exists());
}

#[test]
fn configuration_errors_exit_78_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[mailbox]\nkind = \"pop3\"\n").unwrap();
    let out = deskmail(&["run", "--once", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("bad.toml"), "{err}");
}

#[test]
fn quarantine_lists_reasons_reprocess_keeps_what_is_still_broken_and_status_reports() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    assert!(deskmail(&["demo", "--dir", demo.to_str().unwrap()]).status.success());
    let config = demo.join("deskmail.toml");
    let config = config.to_str().unwrap();

    let list = stdout(&deskmail(&["quarantine", "--config", config]));
    assert!(list.contains("no sender address") && list.contains("1 quarantined"), "{list}");
    let id = list.split_whitespace().next().unwrap().to_string();
    let again = deskmail(&["reprocess", &id, "--config", config]);
    assert_eq!(again.status.code(), Some(1), "still broken: {}", stdout(&again));
    assert!(stdout(&again).contains("still quarantined"));
    assert!(stdout(&deskmail(&["quarantine", "--config", config])).contains("1 quarantined"), "nothing lost");

    let status = stdout(&deskmail(&["status", "--config", config]));
    for needle in
        ["mailbox:", "maildir", "last poll:", "outbox:", "sent 7", "quarantined 1", "next deadline:"]
    {
        assert!(status.contains(needle), "{needle} missing:\n{status}");
    }
    let sla: serde_json::Value =
        serde_json::from_str(&stdout(&deskmail(&["sla", "--json", "--config", config]))).unwrap();
    assert_eq!(sla["breaches"], 0);
    assert!(sla["open"].as_array().unwrap().len() >= 3, "{sla}");
}

/// A rules directory with one rule of our own (category `vip`) beside a copy of the
/// templates, in `dir`.
fn edited_rules(dir: &Path) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("05-vip.toml"),
        "[[rule]]\nid = \"vip\"\npriority = 5\ncategory = \"vip\"\naction = \"acknowledge\"\n\
         [rule.when]\nfield = \"from_domain\"\nequals = [\"vip.test\"]\n",
    )
    .unwrap();
    let templates = dir.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, templates.join(path.file_name().unwrap())).unwrap();
    }
    let mail = dir.join("vip.eml");
    std::fs::write(&mail, "From: ann@vip.test\r\nSubject: Refund please\r\nMessage-ID: <v1@vip.test>\r\n\r\nI want a refund.\r\n")
        .unwrap();
    rules
}

fn deskmail_from(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deskmail"))
        .args(args)
        .current_dir(cwd)
        .env_remove("DESKMAIL_CONFIG")
        .output()
        .unwrap()
}

#[test]
fn regression_classify_uses_the_rules_it_is_given_not_the_source_tree() {
    let dir = tempfile::tempdir().unwrap();
    let rules = edited_rules(dir.path());
    let mail = dir.path().join("vip.eml");
    let out = deskmail_from(
        dir.path(),
        &["classify", "--json", "--rules", rules.to_str().unwrap(), mail.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let record: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(record["category"], "vip", "{record}");
}

#[test]
fn regression_a_configuration_with_only_rules_and_templates_serves_classify_and_rules_from_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let rules = edited_rules(dir.path());
    let config = dir.path().join("policy.toml");
    std::fs::write(&config, "[rules]\ndir = \"rules\"\n\n[templates]\ndir = \"templates\"\n").unwrap();
    let config = config.to_str().unwrap();
    // From `/`, as the systemd unit's documentation runs it.
    let check = deskmail_from(Path::new("/"), &["rules", "check", "--config", config]);
    assert!(check.status.success(), "{}{}", stdout(&check), String::from_utf8_lossy(&check.stderr));
    assert!(stdout(&check).contains(rules.to_str().unwrap()), "{}", stdout(&check));
    let mail = dir.path().join("vip.eml");
    let out =
        deskmail_from(Path::new("/"), &["classify", "--json", "--config", config, mail.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).contains("\"vip\""), "{}", stdout(&out));
    // A rules directory alone finds the templates beside it.
    let alone = deskmail_from(Path::new("/"), &["rules", "check", rules.to_str().unwrap()]);
    assert!(alone.status.success(), "{}", stdout(&alone));
}

#[test]
fn regression_rules_check_catches_every_template_mistake_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let rules = edited_rules(dir.path());
    std::fs::write(
        rules.join("06-fees.toml"),
        "[[rule]]\nid = \"fees\"\npriority = 6\ncategory = \"fees\"\naction = \"answer\"\ntemplate = \"vipfees\"\n\
         [rule.when]\nfield = \"text\"\nkeywords = [\"fee\"]\n",
    )
    .unwrap();
    let templates = dir.path().join("templates");
    let good = "{% block subject %}x{% endblock %}{% block text %}y{% endblock %}";
    std::fs::write(
        templates.join("vipfees.en.j2"),
        "{% block subject %}x{% endblock %}\n{% block text %}{{ ticket_number }}{% endblock %}",
    )
    .unwrap();
    std::fs::write(templates.join("vipfees.zh-hans.j2"), good).unwrap();
    std::fs::write(
        templates.join("refund.zh-Hans.j2"),
        "{% block subject %}{{ subject | uper }}{% endblock %}{% block text %}y{% endblock %}",
    )
    .unwrap();
    std::fs::write(templates.join("withdrawal.en.j2"), "{% block subject %}{{ subject }{% endblock %}")
        .unwrap();
    std::fs::remove_file(templates.join("escalation_notice.en.j2")).unwrap();
    let out = deskmail_from(dir.path(), &["rules", "check", rules.to_str().unwrap()]);
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    for needle in [
        "vipfees.en.j2:2:", // unknown variable, with its line
        "ticket_number",
        "refund.zh-Hans.j2:1:", // unknown filter
        "filter",
        "vipfees.zh-hans.j2", // the language tag's case
        "`zh-Hans`",
        "missing vipfees.zh-Hans.j2, vipfees.zh-Hant.j2", // a category answered in one language
        "missing escalation_notice.en.j2",
        "withdrawal.en.j2:1:", // the syntax error ...
    ] {
        assert!(report.contains(needle), "{needle} missing:\n{report}");
    }
    assert!(!report.contains("unknown template"), "... and no false unknown-template lines:\n{report}");
}

#[test]
fn regression_rules_test_explains_failures_and_runs_past_a_bad_case() {
    let dir = tempfile::tempdir().unwrap();
    let rules = edited_rules(dir.path());
    let tests = rules.join("tests");
    std::fs::create_dir_all(&tests).unwrap();
    let mail = |from: &str| {
        format!(
            "From: {from}\r\nSubject: Refund please\r\nMessage-ID: <x@{from}>\r\n\r\nI want a refund.\r\n"
        )
    };
    std::fs::write(tests.join("vip.eml"), mail("ann@vip.test")).unwrap();
    std::fs::write(tests.join("wrong.eml"), mail("bob@vip.test")).unwrap();
    std::fs::write(tests.join("typo.eml"), mail("cat@vip.test")).unwrap();
    std::fs::write(tests.join("orphan.eml"), mail("dan@vip.test")).unwrap();
    std::fs::write(
        tests.join("expected.toml"),
        "[[case]]\nfile = \"vip.eml\"\ncategory = \"vip\"\n\n\
         [[case]]\nfile = \"wrong.eml\"\ncategory = \"refund\"\n\n\
         [[case]]\nfile = \"typo.eml\"\ncategroy = \"vip\"\n",
    )
    .unwrap();
    let out = deskmail_from(dir.path(), &["rules", "test", rules.to_str().unwrap()]);
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("1 passed, 3 failed"), "the good case still runs: {report}");
    assert!(report.contains("did you mean `category`?"), "{report}");
    assert!(
        report.contains("expected.toml:9:1") && report.contains("categroy"),
        "the bad case's place: {report}"
    );
    assert!(report.contains("decided by rule `vip` on from_domain"), "who decided and on what: {report}");
    assert!(report.contains("orphan.eml: no [[case]]"), "{report}");
}

#[test]
fn regression_rules_check_reports_every_misspelled_key_of_a_file_and_full_width_punctuation() {
    let dir = tempfile::tempdir().unwrap();
    let rules = edited_rules(dir.path());
    std::fs::write(
        rules.join("07-typos.toml"),
        "[[rule]]\nid = \"t\"\npriorty = 7\ncategory = \"fees\"\ntemplte = \"fees\"\naction = \"acknowledge\"\n\
         [rule.when]\nfield = \"text\"\nkeywords = [\"fee\"]\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("08-wide.toml"),
        "[[rule]]\nid = \"w\"\npriority = 8\n[rule.when]\nkeywords = [\"退款\"，\"退钱\"]\n",
    )
    .unwrap();
    let out = deskmail_from(dir.path(), &["rules", "check", rules.to_str().unwrap()]);
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("07-typos.toml:3:1: unknown key `priorty`: did you mean `priority`?"),
        "{report}"
    );
    assert!(
        report.contains("07-typos.toml:5:1: unknown key `templte`: did you mean `template`?"),
        "{report}"
    );
    assert!(report.contains("08-wide.toml:5:") && report.contains("`，` for `,`"), "{report}");
}

#[test]
fn regression_a_misspelled_category_is_an_error_when_categories_are_declared() {
    let dir = tempfile::tempdir().unwrap();
    let rules = edited_rules(dir.path());
    std::fs::write(rules.join("categories.toml"), "categories = [\"vip\", \"refund\", \"other\"]\n").unwrap();
    let ok = deskmail_from(dir.path(), &["rules", "check", rules.to_str().unwrap()]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    std::fs::write(
        rules.join("06-typo.toml"),
        "[[rule]]\nid = \"r\"\npriority = 6\ncategory = \"refnud\"\naction = \"acknowledge\"\n\
         [rule.when]\nfield = \"text\"\nkeywords = [\"refund\"]\n",
    )
    .unwrap();
    let out = deskmail_from(dir.path(), &["rules", "check", rules.to_str().unwrap()]);
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("06-typo.toml:4:") && report.contains("did you mean `refund`?"), "{report}");
}

#[test]
fn explain_lists_every_rule_that_holds_in_the_order_they_were_weighed() {
    let dir = tempfile::tempdir().unwrap();
    let mail = dir.path().join("two.eml");
    std::fs::write(
        &mail,
        "From: ann@customer.test\r\nSubject: help\r\nMessage-ID: <t1@customer.test>\r\n\r\n\
         I was charged twice for my refund and I also want to reset my password.\r\n",
    )
    .unwrap();
    let out = deskmail(&[
        "classify",
        "--explain",
        "--rules",
        "rules",
        "--templates",
        "templates",
        mail.to_str().unwrap(),
    ]);
    let text = stdout(&out);
    let weighed =
        text.lines().find(|l| l.trim_start().starts_with("weighed:")).unwrap_or_else(|| panic!("{text}"));
    assert!(weighed.contains(" > "), "more than one rule holds and each is listed: {weighed}");
    let winner = text.lines().find(|l| l.contains("decision:")).unwrap();
    let first = weighed.split_once(':').unwrap().1.trim().split(' ').next().unwrap();
    assert!(winner.contains(&format!("`{first}`")), "the first weighed decides: {weighed} / {winner}");
}
