//! The fuzz harness: one check per fuzz target, shared by `fuzz/fuzz_targets/*.rs` (cargo-fuzz),
//! `tests/fuzz_regressions.rs` (replays the kept inputs on stable) and `tests/properties.rs`.
//!
//! A check returns `Err` for an input that breaks a promise of deskmail; a panic inside
//! deskmail is a finding too, and libFuzzer and the replay test both catch it. Each input is
//! plain bytes, so a file libFuzzer wrote can be replayed without cargo-fuzz: where a target
//! needs several fields, they are separated by the byte 0xFF, which never occurs in UTF-8.

// Each includer uses a different part of this file (a fuzz target one check, the tests all).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use deskmail::compose::{self, Envelope, Rendered, TemplateContext, Templates};
use deskmail::parse::{self, Inbound, Language, ParseError};
use deskmail::rules::{Problem, RuleSet};
use deskmail::screen;
use deskmail::thread::{self, Lookup};

/// The fuzz targets, by the name of their file in `fuzz/fuzz_targets/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Parse,
    Screen,
    Thread,
    Rules,
    Compose,
}

impl Target {
    pub const ALL: [Target; 5] =
        [Target::Parse, Target::Screen, Target::Thread, Target::Rules, Target::Compose];

    pub fn name(self) -> &'static str {
        match self {
            Target::Parse => "parse",
            Target::Screen => "screen",
            Target::Thread => "thread",
            Target::Rules => "rules",
            Target::Compose => "compose",
        }
    }

    /// Runs this target's check on one input.
    pub fn check(self, data: &[u8]) -> Result<(), String> {
        match self {
            Target::Parse => parse_checked(data).map(drop),
            Target::Screen => screen_signal(data),
            Target::Thread => threading(data),
            Target::Rules => rule_file(data),
            Target::Compose => compose_hostile(data),
        }
    }
}

/// The main crate's directory: this file is compiled by the main crate's tests and by the
/// fuzz crate in `fuzz/`, whose manifest directory is one below.
pub fn project_dir() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    if env!("CARGO_PKG_NAME") == "deskmail" { here.to_path_buf() } else { here.join("..") }
}

pub const OWN: &str = "support@example.test";

pub fn own() -> Vec<String> {
    vec![OWN.to_string()]
}

pub static TEMPLATES: LazyLock<Templates> = LazyLock::new(|| {
    Templates::load(&project_dir().join("templates")).unwrap_or_else(|e| panic!("templates: {e:?}"))
});

pub static DEFAULT_RULES: LazyLock<RuleSet> = LazyLock::new(|| {
    RuleSet::load(&project_dir().join("rules"), &|n| TEMPLATES.exists(n))
        .unwrap_or_else(|e| panic!("rules: {e:?}"))
});

/// Splits a fuzz input into its 0xFF-separated fields.
fn fields(data: &[u8]) -> Vec<&[u8]> {
    data.split(|&b| b == 0xFF).collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ---------------------------------------------------------------------------------------
// parse

/// A store that answers the thread stage without a database.
pub struct FakeLookup;

impl Lookup for FakeLookup {
    type Error = std::convert::Infallible;
    fn ticket_of_our_message(&self, ids: &[String]) -> Result<Option<i64>, Self::Error> {
        Ok(ids.iter().any(|i| i.ends_with("@support.test")).then_some(1))
    }
    fn ticket_of_customer_message(&self, ids: &[String], customer: &str) -> Result<Option<i64>, Self::Error> {
        Ok(ids.first().filter(|i| i.as_str() == customer).map(|_| 2))
    }
    fn ticket_customer(&self, ticket: i64) -> Result<Option<String>, Self::Error> {
        Ok((ticket % 2 == 0).then(|| "ann@customer.test".to_string()))
    }
}

/// The verdict stage with a trusted authserv-id, so that fuzzed Authentication-Results and
/// Received fields are read, not skipped.
pub fn trust() -> deskmail::verdict::TrustSettings {
    deskmail::verdict::TrustSettings {
        authserv_ids: vec!["mx.example.test".into()],
        spam_threshold: Some(5.0),
        ..deskmail::verdict::TrustSettings::default()
    }
}

/// Parses `raw` and checks what [`Inbound`] promises, then runs the later stages over it; a
/// `ParseError` is a fine answer (the mail is quarantined).
pub fn parse_checked(raw: &[u8]) -> Result<Option<Inbound>, String> {
    let mail = match parse::parse(raw) {
        Ok(mail) => mail,
        Err(ParseError::NoHeaders | ParseError::NoSender) => return Ok(None),
    };
    if mail.from_address.is_empty() && mail.sender_problem.is_none() {
        return Err("empty sender address without a sender problem".into());
    }
    if mail.sender_problem.is_none() && !parse::sender::is_valid(&mail.from_address) {
        return Err(format!("invalid sender address without a sender problem: {:?}", mail.from_address));
    }
    if mail.from_address != mail.from_address.to_lowercase() {
        return Err(format!("sender not lower-case: {:?}", mail.from_address));
    }
    for (what, value) in [("subject", &mail.subject), ("from_name", &mail.from_name)] {
        if value.chars().any(char::is_control) {
            return Err(format!("control character in {what}: {value:?}"));
        }
    }
    // The later stages must not panic on whatever came out either.
    let verdict = screen::screen(&mail, &own());
    let _ = deskmail::verdict::judge(&mail, &trust());
    let _ = DEFAULT_RULES.classify(&mail, &verdict);
    let _ = thread::resolve(&mail, &FakeLookup);
    let _ = thread::subject_tags(&mail.subject);
    Ok(Some(mail))
}

// ---------------------------------------------------------------------------------------
// screen

/// Classic machine-mail header fields. From-based signals (`MAILER-DAEMON`) are left out:
/// a fuzzed mail has its own From, and which of two From fields is the sender is undefined.
pub const MACHINE_SIGNALS: &[&str] = &[
    "Auto-Submitted: auto-replied",
    "Auto-Submitted: auto-generated",
    "auto-submitted:AUTO-NOTIFIED; owner=ann@x.test",
    "Precedence: bulk",
    "Precedence: junk",
    "PRECEDENCE:\tlist",
    "List-Id: <l.x.test>",
    "List-Unsubscribe: <mailto:u@x.test>",
    "X-Autoreply: yes",
    "X-Autorespond: yes",
    "X-Auto-Response-Suppress: All",
    "Return-Path: <>",
];

/// The first byte picks a machine signal, prepended as the first header field to the rest of
/// the input, the mail: if that mail parses, it must get no automatic mail (machine mail, or,
/// for `X-Auto-Response-Suppress`, a person's mail that asks for none).
fn screen_signal(data: &[u8]) -> Result<(), String> {
    let Some((&pick, mail)) = data.split_first() else { return Ok(()) };
    let signal = MACHINE_SIGNALS[pick as usize % MACHINE_SIGNALS.len()];
    // Leading blanks would fold into the signal and make it another value.
    let mail = &mail[mail.iter().position(|b| !b" \t".contains(b)).unwrap_or(mail.len())..];
    let raw = [signal.as_bytes(), b"\r\n", mail].concat();
    let Some(parsed) = parse_checked(&raw)? else { return Ok(()) };
    let verdict = screen::screen(&parsed, &own());
    match verdict.forbids_automatic_mail() {
        Some(_) => Ok(()),
        None => Err(format!("screened as answerable with {signal:?}:\n{}", String::from_utf8_lossy(&raw))),
    }
}

// ---------------------------------------------------------------------------------------
// thread

/// Fields: In-Reply-To, References, Subject (raw header bytes), then text around a ticket
/// tag. The mail must parse and thread without a panic, our reply's headers must stay clean,
/// and a ticket tag must come back from the subjects it is put in.
fn threading(data: &[u8]) -> Result<(), String> {
    let parts = fields(data);
    let part = |i: usize| parts.get(i).copied().unwrap_or_default();
    let raw = [
        b"From: ann@customer.test\r\nIn-Reply-To: ",
        part(0),
        b"\r\nReferences: ",
        part(1),
        b"\r\nSubject: ",
        part(2),
        b"\r\n\r\nhi",
    ]
    .concat();
    let around = text(part(3));
    let ticket = ticket_from(part(3));
    let tag = thread::tag(ticket);
    let found = thread::subject_tags(&format!("{around}{tag}{around}"));
    if !found.contains(&ticket) {
        return Err(format!("tag {tag} not found in {around:?} around it: {found:?}"));
    }
    let Some(mail) = parse_checked(&raw)? else { return Ok(()) };
    let subject = compose::tagged_subject(&mail.subject, &tag);
    if thread::subject_tags(&subject) != [ticket] {
        return Err(format!("tagged subject {subject:?} of {:?} does not carry {tag} once", mail.subject));
    }
    // What we would answer with: the customer's ids go into our headers.
    let rendered = Rendered { subject: "x".into(), text: "y".into(), html: None };
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
    match compose::build(&envelope, &rendered) {
        Ok(built) => check_header_section(&built),
        // A sender address the builder refuses gets no mail (the pipeline records why); the
        // header lines of a fuzzed mail can make any word its sender.
        Err(compose::BuildError::Address(_)) => Ok(()),
        Err(e) => Err(format!("cannot build: {e}")),
    }
}

/// A ticket number (1 to 12 digits, as tags carry) from the bytes of a field.
fn ticket_from(bytes: &[u8]) -> i64 {
    let n = bytes.iter().fold(7u64, |n, &b| n.wrapping_mul(31).wrapping_add(u64::from(b)));
    (n % 999_999_999_999) as i64 + 1
}

// ---------------------------------------------------------------------------------------
// rules

thread_local! {
    /// A private directory for rule files, one per thread (the replay tests run in threads),
    /// in memory where the machine has `/dev/shm`.
    static RULES_DIR: PathBuf = {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() { base.to_path_buf() } else { std::env::temp_dir() };
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("deskmail-fuzz-rules-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("rules fuzz directory");
        dir
    };
}

/// Removes this thread's rule file directory (the replay test calls it when done).
pub fn remove_rules_dir() {
    RULES_DIR.with(|dir| {
        let _ = std::fs::remove_dir_all(dir);
    });
}

/// The problems the checker finds in `files` (name, bytes), written to a fresh directory.
pub fn check_rule_files(dir: &Path, files: &[(&str, &[u8])]) -> Vec<Problem> {
    for entry in std::fs::read_dir(dir).expect("rules directory").flatten() {
        let _ = std::fs::remove_file(entry.path());
    }
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).expect("write rule file");
    }
    RuleSet::check(dir, &|name| TEMPLATES.exists(name))
}

/// Every problem in a non-empty file is on a line and a column of that file.
pub fn check_problem_places(dir: &Path, files: &[(&str, &[u8])], problems: &[Problem]) -> Result<(), String> {
    for problem in problems {
        // "no rule found" is about the directory, not a place in a file.
        if problem.file == dir {
            continue;
        }
        let name = problem.file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let (_, bytes) =
            files.iter().find(|(n, _)| *n == name).ok_or_else(|| format!("problem in no file: {problem}"))?;
        if bytes.is_empty() {
            continue;
        }
        let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        let Some(line) = problem.line.checked_sub(1).and_then(|i| lines.get(i)) else {
            return Err(format!(
                "problem on line {} of a {}-line file: {problem}",
                problem.line,
                lines.len()
            ));
        };
        let width = String::from_utf8_lossy(line).chars().count() + 1;
        if problem.col < 1 || problem.col > width {
            return Err(format!(
                "problem at column {} of a line of {} characters: {problem}",
                problem.col,
                width - 1
            ));
        }
    }
    Ok(())
}

/// The input is one rule file: the checker must not panic and must place every problem on a
/// line and column of the file; a file it finds no problem in must load, and classify.
fn rule_file(data: &[u8]) -> Result<(), String> {
    RULES_DIR.with(|dir| rule_file_in(dir, data))
}

fn rule_file_in(dir: &Path, data: &[u8]) -> Result<(), String> {
    let files = [("10-fuzz.toml", data)];
    let problems = check_rule_files(dir, &files);
    check_problem_places(dir, &files, &problems)?;
    if problems.is_empty() {
        let rules = RuleSet::load(dir, &|name| TEMPLATES.exists(name))
            .map_err(|p| format!("check found no problem, load found {p:?}"))?;
        for mail in SAMPLE_MAILS.iter() {
            let verdict = screen::screen(mail, &own());
            let _ = rules.classify(mail, &verdict);
        }
    }
    Ok(())
}

/// A few parsed sample mails to classify with rule sets that load.
static SAMPLE_MAILS: LazyLock<Vec<Inbound>> = LazyLock::new(|| {
    let dir = project_dir().join("fixtures/sample-mailbox");
    ["01-password-gb2312.eml", "03-refund-utf8-base64.eml", "07-out-of-office.eml"]
        .iter()
        .map(|name| parse::parse(&std::fs::read(dir.join(name)).expect("sample mail")).expect("parses"))
        .collect()
});

// ---------------------------------------------------------------------------------------
// compose

/// Every template name in templates/ that renders with an ordinary [`TemplateContext`]
/// (customer replies, and staff notices such as `sla_warning`, which quote customer fields too).
pub static REPLY_TEMPLATES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut names: Vec<String> = std::fs::read_dir(project_dir().join("templates"))
        .expect("templates")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".j2")?;
            Some(stem.rsplit_once('.')?.0.to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    let plain = context("Ann Lee".into(), "Refund".into(), 7);
    names.retain(|n| TEMPLATES.render(n, Language::En, &plain).is_ok());
    assert!(names.len() >= 10, "reply templates: {names:?}");
    names
});

pub const LANGUAGES: [Language; 4] = [Language::ZhHans, Language::ZhHant, Language::En, Language::Other];

pub fn context(customer_name: String, subject: String, ticket: i64) -> TemplateContext {
    TemplateContext {
        customer_name,
        customer_address: "ann@customer.test".into(),
        ticket,
        tag: thread::tag(ticket),
        category: "refund".into(),
        subject,
        received: "11月22日（周日）09:48（北京时间）".into(),
        due: "Monday 23 November, 09:48 (UTC+8)".into(),
        sla: "24 working hours".into(),
        business_hours: ticket % 3 == 0,
        late: ticket % 5 == 0,
        promise: "We will answer by Monday 23 November, 09:48 (UTC+8) at the latest.".into(),
        support_name: "OKPay Support".into(),
        support_address: OWN.into(),
        time_left: "3h 12m".into(),
        breached: ticket % 2 == 0,
        ..TemplateContext::default()
    }
}

/// The customer fields a reply is rendered and built with.
pub struct Customer<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub subject: &'a str,
    pub ids: &'a [String],
    pub ticket: i64,
}

/// Renders `template` in `language` for this customer and builds the mail as the pipeline
/// does; checks the HTML part and the header section. An address the builder refuses is a
/// fine answer (nothing is sent).
pub fn render_and_build_one(
    template: &str,
    language: Language,
    customer: &Customer<'_>,
) -> Result<(), String> {
    let ctx = context(customer.name.to_string(), customer.subject.to_string(), customer.ticket);
    let place = format!("{template} in {}", language.tag());
    let rendered = TEMPLATES.render(template, language, &ctx).map_err(|e| format!("{place}: {e}"))?;
    if let Some(html) = &rendered.html
        && html.to_ascii_lowercase().contains("<script")
    {
        return Err(format!("{place}: customer <script in the HTML part:\n{html}"));
    }
    let subject = compose::tagged_subject(&rendered.subject, &thread::tag(customer.ticket));
    let envelope = Envelope {
        from_name: "OKPay Support",
        from_address: OWN,
        to_name: customer.name,
        to_address: customer.address,
        message_id: "0123abcd@example.test",
        in_reply_to: customer.ids.first().map(String::as_str),
        references: customer.ids,
        subject: &subject,
        automatic: true,
    };
    match compose::build(&envelope, &rendered) {
        Ok(raw) => check_header_section(&raw).map_err(|e| format!("{place}: {e}")),
        Err(compose::BuildError::Address(_)) if customer.address != "ann@customer.test" => Ok(()),
        Err(e) => Err(format!("{place}: cannot build: {e}")),
    }
}

/// [`render_and_build_one`] for every reply template in every language.
pub fn render_and_build(customer: &Customer<'_>) -> Result<(), String> {
    for template in REPLY_TEMPLATES.iter() {
        for language in LANGUAGES {
            render_and_build_one(template, language, customer)?;
        }
    }
    Ok(())
}

/// The first byte picks a template and a language; the rest are the fields customer name,
/// subject, address, ticket (digits), then Message-IDs.
fn compose_hostile(data: &[u8]) -> Result<(), String> {
    let Some((&pick, rest)) = data.split_first() else { return Ok(()) };
    let parts = fields(rest);
    let part = |i: usize| text(parts.get(i).copied().unwrap_or_default());
    let address = part(2);
    let address = if address.is_empty() { "ann@customer.test".to_string() } else { address };
    let ticket = part(3).trim().parse::<i64>().unwrap_or(7).clamp(1, 999_999_999_999);
    let ids: Vec<String> = parts.iter().skip(4).map(|p| text(p)).collect();
    let customer = Customer { name: &part(0), address: &address, subject: &part(1), ids: &ids, ticket };
    let pick = pick as usize;
    let template = &REPLY_TEMPLATES[pick % REPLY_TEMPLATES.len()];
    let language = LANGUAGES[pick / REPLY_TEMPLATES.len() % LANGUAGES.len()];
    render_and_build_one(template, language, &customer)
}

/// The header fields an outgoing mail of ours may have, each once.
pub const HEADERS_WE_SET: &[&str] = &[
    "from",
    "reply-to",
    "to",
    "subject",
    "message-id",
    "in-reply-to",
    "references",
    "auto-submitted",
    "x-auto-response-suppress",
    "mime-version",
    "date",
    "content-type",
    "content-transfer-encoding",
];

/// The header section of a built mail has CRLF line ends only, and only our header fields.
pub fn check_header_section(raw: &[u8]) -> Result<(), String> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no end of the header section")?;
    let head = &raw[..end + 2];
    for (i, &b) in head.iter().enumerate() {
        if b == b'\r' && head.get(i + 1) != Some(&b'\n') {
            return Err(format!(
                "bare CR in the header section at byte {i}: {}",
                String::from_utf8_lossy(head)
            ));
        }
        if b == b'\n' && (i == 0 || head[i - 1] != b'\r') {
            return Err(format!(
                "bare LF in the header section at byte {i}: {}",
                String::from_utf8_lossy(head)
            ));
        }
    }
    let text = String::from_utf8_lossy(head);
    let mut seen = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("bcc:") || lower.starts_with("cc:") {
            return Err(format!("injected header line {line:?} in:\n{text}"));
        }
        let Some((name, _)) = line.split_once(':') else {
            return Err(format!("header line without a name {line:?} in:\n{text}"));
        };
        let name = name.to_ascii_lowercase();
        if !HEADERS_WE_SET.contains(&name.as_str()) {
            return Err(format!("unexpected header {name:?} in:\n{text}"));
        }
        if seen.contains(&name) {
            return Err(format!("header {name:?} twice in:\n{text}"));
        }
        seen.push(name);
    }
    Ok(())
}
