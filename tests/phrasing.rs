//! Issue 17 through the binary: the second opinion in `classify --json` and `--explain`, a
//! two-question mail acknowledged with both tags, and the opinion stored with the message and
//! shown by `show` after a real pass (the demo mailbox).

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
fn classify_json_carries_the_second_opinion() {
    let out = deskmail(&[
        "classify",
        "--json",
        "rules/tests/fix-charged-twice-en.eml",
        "rules/tests/fix-two-questions-en.eml",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let records: Vec<serde_json::Value> =
        stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let (single, double) = (&records[0], &records[1]);
    assert_eq!(single["category"], "refund");
    assert_eq!(single["action"], "answer");
    assert_eq!(single["model_category"], "refund");
    let confidence = single["model_confidence"].as_f64().unwrap();
    assert!(confidence > 0.5 && confidence <= 1.0, "{single}");
    assert_eq!(double["action"], "acknowledge", "{double}");
    assert_eq!(double["tags"], serde_json::json!(["refund", "withdrawal"]));
    assert!(double["held"].as_str().unwrap().starts_with("two questions"), "{double}");
}

#[test]
fn classify_explain_shows_scores_and_the_model_words() {
    let out = deskmail(&["classify", "--explain", "rules/tests/fix-freeze-someone-using-en.eml"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for expected in
        ["account-security", "MATCHED (score 3", "highest score", "second opinion (", "weighed most:"]
    {
        assert!(text.contains(expected), "{expected} missing in\n{text}");
    }
}

#[test]
fn the_opinion_is_stored_and_shown_with_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = deskmail(&["demo", "--dir", demo.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let config = demo.join("deskmail.toml");
    let show = deskmail(&["show", "1", "--config", config.to_str().unwrap()]);
    assert!(show.status.success(), "{}", String::from_utf8_lossy(&show.stderr));
    assert!(stdout(&show).contains("second opinion"), "{}", stdout(&show));
}

#[test]
fn classify_explain_says_the_second_opinion_read_the_question_after_the_thanks_alone() {
    let out = deskmail(&["classify", "--explain", "rules/tests/s39-thanks-cleared-en.eml"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    let read = "read alone: the question after thanks for a settled matter, \"Is there a way to export my payees list?\"";
    assert!(text.contains(read), "{read} missing in\n{text}");
    // A mail without such thanks: the whole text, and no such line.
    let plain = deskmail(&["classify", "--explain", "rules/tests/fix-freeze-someone-using-en.eml"]);
    assert!(!stdout(&plain).contains("read alone"), "{}", stdout(&plain));
}
