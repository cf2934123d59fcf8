//! Property tests: the same promises the cargo-fuzz targets check (`fuzz/`, run by
//! `scripts/fuzz.sh` on stable), explored with generators that know mail structure. Each
//! property runs a bounded number of cases so the file finishes in seconds; inputs proptest
//! once found to break a property are kept below as `regression_*` tests. The checks
//! themselves are the fuzz harness's (`fuzz/harness.rs`), shared with the fuzz targets.
//!
//! - parsing never panics, on arbitrary bytes, MIME-ish fragment soup and mutated sample mails;
//! - the loop policy: mail with the classic machine signals is never screened as human;
//! - threading headers and subject tags never panic;
//! - the rule-file checker never panics and places every problem on a line;
//! - templates rendered with hostile customer fields build mails without injected headers,
//!   bare CR/LF in headers, or customer `<script` in the HTML part.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use deskmail::compose::{self, Envelope, Rendered};
use deskmail::parse::{self, Inbound};
use deskmail::screen;
use deskmail::thread;
use harness::{Customer, OWN, check_header_section, own};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// 256 cases per property; `DESKMAIL_PROPTEST_CASES=N` runs a longer fuzzing session.
fn config() -> ProptestConfig {
    let cases = std::env::var("DESKMAIL_PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256);
    // No regression files in the source tree: failures are kept as named tests below.
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

fn manifest(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

// ---------------------------------------------------------------------------------------
// Parsing never panics

/// The sample mailbox, read once.
static FIXTURES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let dir = manifest("fixtures/sample-mailbox");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/sample-mailbox")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fixtures in {}", dir.display());
    paths.iter().map(|p| std::fs::read(p).expect("fixture")).collect()
});

/// The harness's parse check, as a proptest failure.
fn parse_checked(raw: &[u8]) -> Result<Option<Inbound>, TestCaseError> {
    harness::parse_checked(raw).map_err(TestCaseError::fail)
}

/// Pieces of real MIME, shuffled together into mails that reach deep into the parser.
const FRAGMENTS: &[&[u8]] = &[
    b"From: Ann <ann@customer.test>\r\n",
    b"From: =?gb2312?B?zfXpRg==?= <wang@example.test>\r\n",
    b"From: MAILER-DAEMON <>\r\n",
    b"From: \"a\\\"b\" <@>\r\n",
    b"Sender: s@x.test\r\n",
    b"Return-Path: <>\r\n",
    b"Return-Path: <bounce@x.test>\r\n",
    b"Subject: =?big5?Q?=B0h=B4=DA?=\r\n",
    b"Subject: =?utf-8?B?6YCA5qy+?= [#12]\r\n",
    b"Subject: \xcd\xfc\xbc\xc7\xc3\xdc\xc2\xeb\r\n",
    b"Subject: =?utf-7?B?K2Y4LQ==?=\r\n",
    b"Message-ID: <m1@x.test>\r\n",
    b"In-Reply-To: <p@x> <q@y>\r\n",
    b"References: <a@x>\r\n <b@y>\r\n",
    b"MIME-Version: 1.0\r\n",
    b"Content-Type: text/plain; charset=gb2312\r\n",
    b"Content-Type: text/plain; charset=\"big5\"\r\n",
    b"Content-Type: text/html; charset=utf-8\r\n",
    b"Content-Type: text/plain; charset=utf-7\r\n",
    b"Content-Type: text/plain; charset=x-unknown\r\n",
    b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n",
    b"Content-Type: multipart/alternative; boundary=b2\r\n",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n",
    b"Content-Type: message/rfc822\r\n",
    b"Content-Type: image/png; name=\"a.png\"\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"Content-Transfer-Encoding: 8bit\r\n",
    b"Content-Disposition: attachment; filename*=utf-8''%E4%B8%AD.pdf\r\n",
    b"Content-ID: <img1>\r\n",
    b"Auto-Submitted: auto-replied\r\n",
    b"List-Id: <l.x.test>\r\n",
    b"\r\n",
    b"\n",
    b"--b1\r\n",
    b"--b1--\r\n",
    b"--b2\r\n",
    b"--b2--\r\n",
    b"xPq6w6OsztLKx8316Uaho87StcRPS1BhebXHwrzD3MLrzfy8x8HLo6y148HLobDN/LzHw9zC66Gx\r\n",
    b"=E4=BD=A0=E5=A5=BD=\r\n",
    b"=ZZ=\r\n",
    b"<html><body><p>Hi<br>&nbsp;&#x4F60;<a href=\"http://x\">x</a><script>x</script></body></html>\r\n",
    b"On Fri, 20 Nov 2026, Support <s@x> wrote:\r\n> old\r\n",
    b"-- \r\nsig\r\n",
    b"\xa7\xda\xa7\xd1\xb0O\xb1K\xbdX\r\n",
    b"\xff\xfe\x00\r\n",
    b"Refund please, my password is gone\r\n",
];

fn fragment_soup() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => prop::sample::select(FRAGMENTS).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 0..24),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    /// Copies a slice of the mail elsewhere (duplicated boundaries, headers …).
    Splice(usize, usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Flip(at, b)),
        3 => (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Insert(at, b)),
        3 => any::<usize>().prop_map(Mutation::Delete),
        1 => (any::<usize>(), any::<usize>(), 1..200usize).prop_map(|(from, to, n)| Mutation::Splice(from, to, n)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut mail: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = mail.len().max(1);
        match *m {
            Mutation::Flip(at, b) if !mail.is_empty() => mail[at % len] ^= b,
            Mutation::Insert(at, b) => mail.insert(at % (mail.len() + 1), b),
            Mutation::Delete(at) if !mail.is_empty() => {
                mail.remove(at % len);
            }
            Mutation::Splice(from, to, n) if !mail.is_empty() => {
                let from = from % len;
                let piece = mail[from..(from + n).min(mail.len())].to_vec();
                let to = to % (mail.len() + 1);
                mail.splice(to..to, piece);
            }
            Mutation::Truncate(at) => mail.truncate(at % (mail.len() + 1)),
            _ => {}
        }
    }
    mail
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(raw in prop::collection::vec(any::<u8>(), 0..4096)) {
        parse_checked(&raw)?;
    }

    #[test]
    fn parse_never_panics_on_mime_fragments(raw in fragment_soup()) {
        parse_checked(&raw)?;
    }

    #[test]
    fn parse_never_panics_on_mutated_sample_mails(
        which in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..24),
    ) {
        let original = which.get(&FIXTURES).clone();
        parse_checked(&mutate(original, &mutations))?;
    }
}

// ---------------------------------------------------------------------------------------
// The loop policy

/// `word` with each letter's case chosen by `upper`.
fn cased(word: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<bool>(), word.len()).prop_map(move |upper| {
        word.chars()
            .zip(upper)
            .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect()
    })
}

/// Whitespace before a header value: none, blanks, tabs, or a fold.
fn leading_ws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["", " ", "  ", "\t", " \t ", "\r\n ", "\r\n\t", " \r\n  "][..])
}

fn trailing_ws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["", " ", "\t", "  \t"][..])
}

/// One machine signal as a header line (without its line end), and whether it replaces From.
fn machine_signal() -> impl Strategy<Value = (String, bool)> {
    let domain = prop::sample::select(&["x.test", "mx.example.org", "例子.测试", "localhost"][..]);
    prop_oneof![
        (
            cased("Auto-Submitted"),
            leading_ws(),
            cased("auto-replied"),
            trailing_ws(),
            prop::sample::select(&["", "; owner=ann@x.test", ";owner=\"a b\"", " (vacation)"][..]),
        )
            .prop_map(|(name, ws, value, ws2, params)| (format!("{name}:{ws}{value}{params}{ws2}"), false)),
        (cased("List-Id"), leading_ws(), "[^\r\n]{0,60}")
            .prop_map(|(name, ws, value)| (format!("{name}:{ws}{value}"), false)),
        (cased("Precedence"), leading_ws(), cased("bulk"), trailing_ws())
            .prop_map(|(name, ws, value, ws2)| (format!("{name}:{ws}{value}{ws2}"), false)),
        (
            cased("From"),
            leading_ws(),
            prop_oneof![cased("MAILER-DAEMON"), cased("postmaster"), cased("Mailer_Daemon")],
            domain,
            0..6usize,
        )
            .prop_map(|(name, ws, local, domain, form)| {
                let value = match form {
                    0 => format!("{local}@{domain}"),
                    1 => format!("Mail Delivery System <{local}@{domain}>"),
                    2 => format!("\"{local}\" <{local}@{domain}>"),
                    3 => format!("<{local}@{domain}>"),
                    4 => format!("{local} <>"),
                    _ => local,
                };
                (format!("{name}:{ws}{value}"), true)
            }),
        (cased("Return-Path"), leading_ws(), trailing_ws())
            .prop_map(|(name, ws, ws2)| (format!("{name}:{ws}<>{ws2}"), false)),
    ]
}

/// Ordinary headers of a customer mail, one of which may be replaced by the signal.
fn customer_headers() -> impl Strategy<Value = Vec<String>> {
    let subject = prop::sample::select(
        &["Refund", "忘记密码", "帳戶被鎖定", "Re: payment failed [#12]", "", "=?utf-8?B?6YCA5qy+?="][..],
    );
    (subject, "[a-z]{1,8}").prop_map(|(subject, user)| {
        vec![
            format!("From: {user} <{user}@customer.test>"),
            "To: OKPay Support <support@example.test>".into(),
            format!("Subject: {subject}"),
            "Date: Sat, 21 Nov 2026 09:01:00 +0800".into(),
            format!("Message-ID: <{user}.1@customer.test>"),
            "MIME-Version: 1.0".into(),
            "Content-Type: text/plain; charset=utf-8".into(),
        ]
    })
}

fn machine_mail() -> impl Strategy<Value = Vec<u8>> {
    (customer_headers(), machine_signal(), any::<prop::sample::Index>(), any::<bool>(), "\\PC{0,200}")
        .prop_map(|(mut headers, (signal, is_from), at, crlf, body)| {
            if is_from {
                headers.retain(|h| !h.starts_with("From:"));
            }
            let at = at.index(headers.len() + 1);
            headers.insert(at, signal);
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut mail = headers.join(eol);
            mail.push_str(eol);
            mail.push_str(eol);
            mail.push_str(&body);
            mail.replace("\r\n", eol).into_bytes()
        })
}

/// Screens `raw`: `Ok(true)` when no automatic mail may answer it: machine mail, or (for
/// `Precedence: bulk` alone above a question in a person's words) a person's mail that gets
/// a ticket and no automatic answer.
fn gets_no_automatic_mail(raw: &[u8]) -> Result<bool, String> {
    let mail = parse::parse(raw).map_err(|e| format!("parse error {e}"))?;
    let verdict = screen::screen(&mail, &own());
    Ok(verdict.automated.is_some() || verdict.forbids_automatic_mail().is_some())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn machine_signals_never_get_an_automatic_answer(raw in machine_mail()) {
        let text = String::from_utf8_lossy(&raw);
        // Every generated mail has a sender, so it must parse (unparsable mail would only be
        // quarantined, which is also safe, but would hide the screen from this test).
        let silent = gets_no_automatic_mail(&raw).map_err(|e| TestCaseError::fail(format!("{e}:\n{text}")))?;
        prop_assert!(silent, "would get an automatic answer:\n{}", text);
    }
}

// ---------------------------------------------------------------------------------------
// Threading headers and subject tags

/// Message-ID lists as they come: brackets, blanks, comments, line breaks, other scripts.
fn id_list() -> impl Strategy<Value = String> {
    let pool = prop::sample::select(
        &[
            "<",
            ">",
            " ",
            "\t",
            "\r",
            "\n",
            "\r\n",
            "\r\n ",
            "@",
            ".",
            "a",
            "x",
            "1",
            "\"",
            "(",
            ")",
            ",",
            ";",
            "\\",
            "中",
            "文",
            "é",
            "\u{2028}",
            "\0",
            "=?utf-8?q?x?=",
            "<a@b>",
            "@support.test",
        ][..],
    );
    prop_oneof!["\\PC{0,80}", any::<String>(), prop::collection::vec(pool, 0..60).prop_map(|p| p.concat()),]
}

fn subject_text() -> impl Strategy<Value = String> {
    let pool = prop::sample::select(
        &[
            "[#",
            "]",
            "#",
            "[",
            "0",
            "7",
            "42",
            "999999999999",
            "9999999999999",
            "١٢",
            "１２",
            " ",
            "Re: ",
            "退款",
        ][..],
    );
    prop_oneof![any::<String>(), prop::collection::vec(pool, 0..30).prop_map(|p| p.concat())]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn threading_headers_never_panic(in_reply_to in id_list(), references in id_list(), subject in subject_text()) {
        let raw = format!(
            "From: ann@customer.test\r\nIn-Reply-To: {in_reply_to}\r\nReferences: {references}\r\nSubject: {subject}\r\n\r\nhi"
        );
        if let Some(mail) = parse_checked(raw.as_bytes())? {
            // What we would answer with: the customer's ids go into our headers.
            let rendered = Rendered { subject: "x".into(), text: "y".into(), html: None };
            let subject = compose::tagged_subject(&mail.subject, "[#1]");
            let envelope = Envelope {
                from_name: "OKPay Support",
                from_address: OWN,
                to_name: &mail.from_name,
                to_address: &mail.from_address,
                message_id: "m@example.test",
                in_reply_to: mail.in_reply_to.first().map(String::as_str),
                references: &mail.references,
                subject: &subject,
                automatic: true,
            };
            let built = compose::build(&envelope, &rendered).map_err(|e| TestCaseError::fail(e.to_string()))?;
            check_header_section(&built).map_err(TestCaseError::fail)?;
        }
    }

    #[test]
    fn subject_tags_never_panic(subject in subject_text()) {
        let _ = thread::subject_tags(&subject);
        let _ = compose::tagged_subject(&subject, "[#5]");
    }

    #[test]
    fn ticket_tags_round_trip(ticket in 0..=999_999_999_999i64, before in "\\PC{0,20}", after in "\\PC{0,20}") {
        let tags = thread::subject_tags(&format!("{before}{}{after}", thread::tag(ticket)));
        prop_assert!(tags.contains(&ticket), "{:?}", tags);
    }
}

// ---------------------------------------------------------------------------------------
// Rule files

/// Rule-file pieces, valid and not, to be shuffled into TOML-ish text.
const RULE_PIECES: &[&str] = &[
    "[[rule]]\n",
    "[rule]\n",
    "[rule.when]\n",
    "[[rule.when.any]]\n",
    "id = \"refund\"\n",
    "id = \"退款\"\n",
    "priority = 50\n",
    "priority = 50\n",
    "priority = -1\n",
    "priority = 99999999999999999999\n",
    "category = \"refund\"\n",
    "action = \"answer\"\n",
    "action = \"escalate\"\n",
    "action = \"nope\"\n",
    "template = \"refund\"\n",
    "template = \"missing\"\n",
    "escalate_priority = \"urgent\"\n",
    "sla = \"4h\"\n",
    "sla = \"四小时\"\n",
    "resolves = true\n",
    "tags = [\"a\", 1]\n",
    "field = \"text\"\n",
    "field = \"header:X-Mailer\"\n",
    "field = \"nope\"\n",
    "keywords = [\"退款\", \"refund*\"]\n",
    "keywords = []\n",
    "keywords = [\"\"]\n",
    "both_scripts = true\n",
    "regex = '''(?i)\\bpay'''\n",
    "regex = '(unclosed'\n",
    "regex = \"\\\\p{Han}+\"\n",
    "equals = [\"zh-Hant\"]\n",
    "any = [\n",
    "all = [\n",
    "not = { field = \"text\", keywords = [\"x\"] }\n",
    "  { field = \"text\", keywords = [\"退钱\"] },\n",
    "  { field = \"subject\", regex = '''\\d+''' },\n",
    "]\n",
    "}\n",
    "{\n",
    "\"\n",
    "'''\n",
    "# 注释 comment\n",
    "\n",
    "\r\n",
    "\t",
    "=",
    "é",
    "中",
    "\u{feff}",
    "\u{2028}",
];

fn rule_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => prop::sample::select(RULE_PIECES).prop_map(str::to_string),
        1 => "\\PC{0,12}",
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

/// Problems of `files` (name, bytes) in a fresh rules directory.
fn check_rules(files: &[(&str, Vec<u8>)]) -> (PathBuf, Vec<deskmail::rules::Problem>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let problems = harness::check_rule_files(dir.path(), &files);
    (dir.path().to_path_buf(), problems, dir)
}

/// Every problem in a non-empty file is on a line and a column of it.
fn check_problem_lines(files: &[(&str, Vec<u8>)]) -> Result<(), TestCaseError> {
    let (dir, problems, _keep) = check_rules(files);
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    harness::check_problem_places(&dir, &files, &problems).map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn rule_checker_never_panics_and_places_problems(a in rule_text(), b in rule_text()) {
        check_problem_lines(&[("10-a.toml", a.into_bytes()), ("20-b.toml", b.into_bytes())])?;
    }

    /// Staff on Windows may save Chinese keywords as GBK/GB18030 instead of UTF-8.
    #[test]
    fn rule_checker_places_problems_in_files_that_are_not_utf8(a in rule_text()) {
        let bytes = encoding_rs::GB18030.encode(&a).0.into_owned();
        check_problem_lines(&[("10-a.toml", bytes)])?;
    }
}

// ---------------------------------------------------------------------------------------
// Templates with hostile customer fields

/// Customer text meant to break out of its place.
fn hostile() -> impl Strategy<Value = String> {
    let pool = prop::sample::select(
        &[
            "\r",
            "\n",
            "\r\n",
            "\r\n\r\n",
            "Bcc: evil@x.test",
            "Cc: evil@x.test",
            "\r\nBcc: evil@x.test",
            "\nCc: a@b",
            "\u{2028}",
            "\u{2029}",
            "\u{85}",
            "\u{b}",
            "\u{c}",
            "\0",
            "\t",
            " ",
            "<script>",
            "<SCRIPT src=x>",
            "</script>",
            "<img onerror=alert(1)>",
            "&lt;script",
            "\"",
            "'",
            "\\",
            "{{ tag }}",
            "{% raw %}",
            "=?utf-8?B?DQpCY2M6IGV2aWxAeC50ZXN0?=",
            "王小明",
            "陳大文",
            "Re: ",
            "[#99]",
            "é",
            "😀",
            ":",
            ";",
            ",",
            "<",
            ">",
            "@",
        ][..],
    );
    prop_oneof![
        4 => prop::collection::vec(pool, 0..24).prop_map(|p| p.concat()),
        1 => any::<String>(),
        1 => (prop::sample::select(&["A", "中", "a ", "<script>", "\r\n"][..]), 500..4000usize)
            .prop_map(|(s, n)| s.repeat(n)),
    ]
}

/// Renders every reply template in every language for these customer fields and builds the
/// mail as the pipeline does; checks headers and the HTML part.
fn render_and_build(name: &str, subject: &str, ids: &[String], ticket: i64) -> Result<(), String> {
    harness::render_and_build(&Customer { name, address: "ann@customer.test", subject, ids, ticket })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn hostile_customer_fields_do_not_reach_headers_or_html(
        name in hostile(),
        subject in hostile(),
        ids in prop::collection::vec(id_list(), 0..3),
        ticket in 1..=999_999_999_999i64,
    ) {
        render_and_build(&name, &subject, &ids, ticket).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn benign_context_builds_every_reply_template() {
    render_and_build("Ann Lee", "Refund", &["q1@customer.test".to_string()], 42).unwrap();
}

// ---------------------------------------------------------------------------------------
// Regressions: inputs proptest found, kept by name (see the report in the commit message).

/// Found by `rule_checker_places_problems_in_files_that_are_not_utf8`: a rule file saved as
/// GBK/GB18030 is reported as `10-a.toml:0:0: cannot read the rule file: stream did not
/// contain valid UTF-8`, with no line to look at (src/rules/load.rs `read_dir`).
#[test]
fn regression_non_utf8_rule_file_problem_has_a_line() {
    let gbk = encoding_rs::GB18030.encode("[[rule]]\nid = \"x\"\nsla = \"四小时\"\n").0.into_owned();
    let (_, problems, _keep) = check_rules(&[("10-a.toml", gbk)]);
    let problem = problems.iter().find(|p| p.file.ends_with("10-a.toml")).expect("a problem in the file");
    assert_eq!(problem.line, 3, "the first byte that is not UTF-8 is on line 3: {problem}");
}

/// Found by `deskmail-bench rules 1000`: each regex compiles alone, but the regexes of one
/// field together exceed the regex crate's default size limit, and
/// `RegexSet::new(..).expect("checked regexes")` in src/rules/compile.rs (`index_field`)
/// panics: in `RuleSet::load` (the daemon does not start) and in `deskmail rules check`.
#[test]
fn regression_many_regexes_on_one_field_do_not_panic() {
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(&format!(
            "[[rule]]\nid = \"r{i}\"\npriority = {}\ncategory = \"other\"\naction = \"acknowledge\"\n\
             [rule.when]\nfield = \"text\"\nregex = '''(?i)\\border{i}[- ]?(no\\.?|#)?\\s*\\d{{4,10}}\\b'''\n\n",
            1000 + i
        ));
    }
    let files = [("10-a.toml", text.into_bytes())];
    let result = std::panic::catch_unwind(|| check_rules(&files).1);
    let problems = result.expect("RuleSet::check panicked");
    // Either the set loads, or the checker says why it cannot, on a line of the file.
    assert!(problems.iter().all(|p| p.line >= 1), "{problems:?}");
}
