//! `deskmail-bench`: the throughput figures behind the README ("Prove it"). Single-threaded,
//! timed with `std::time::Instant`; peak memory is measured from outside (`/usr/bin/time -v`).
//!
//! ```text
//! deskmail-bench corpus DIR... [--reps N] [--rules DIR] [--templates DIR]
//! deskmail-bench generate N OUTDIR [--seed S]
//! deskmail-bench rules N --corpus DIR [--reps N] [--seed S] [--rules DIR] [--templates DIR]
//! deskmail-bench profile DIR... [--reps N]
//! deskmail-bench profile-mail-parser DIR... [--reps N]
//! deskmail-bench train N [--rules DIR]
//! deskmail-bench opinion --before DIR --corpus DIR [--rules DIR] [--reps N]
//! ```
//!
//! `scripts/bench.sh` runs all of them in release mode.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use deskmail::compose::Templates;
use deskmail::parse::{self, Inbound};
use deskmail::rules::RuleSet;
use deskmail::screen::{self, Verdict};

#[path = "bench/growth.rs"]
mod growth;

const USAGE: &str = "usage:
  deskmail-bench corpus DIR... [--reps N] [--rules DIR] [--templates DIR]
  deskmail-bench each DIR... [--reps N]   (each mail alone: mail-parser and deskmail, one row per mail)
  deskmail-bench generate N OUTDIR [--seed S]
  deskmail-bench growth-db N DB [--seed S] [--plain] [--rules DIR] [--templates DIR]   (a database of N stored messages, as a year leaves it: scripts/bench-growth.sh)
  deskmail-bench hostile OUTDIR   (the resource-limit mails of `tests/faults.rs`, one file each)
  deskmail-bench rules N --corpus DIR [--reps N] [--seed S] [--rules DIR] [--templates DIR]
  deskmail-bench profile DIR... [--reps N]   (deskmail's work only, to run under `perf record`)
  deskmail-bench profile-mail-parser DIR... [--reps N]   (mail-parser alone, the same way)
  deskmail-bench profile-configured DIR... [--reps N]   (mail-parser as deskmail configures it)
  deskmail-bench profile-parse DIR... [--reps N]   (deskmail's parse stage alone)
  deskmail-bench profile-verdict DIR... [--reps N]   (parse and the verdict stage: less profile-parse, its cost)
  deskmail-bench train N [--rules DIR]   (train the second opinion on N examples; load the rules with theirs)
  deskmail-bench opinion --before DIR --corpus DIR [--rules DIR] [--reps N]   (classify and parse+screen+classify per mail, rules of DIR against --rules, taking turns)";

/// The support address the screen stage treats as ours (as in `fixtures/demo.toml`).
const OWN_ADDRESS: &str = "support@example.test";

/// Without `--reps`, a timed loop processes at least this many mails (and at least 3 passes).
const AUTO_MIN_MAILS: usize = 20_000;

/// `corpus` makes at least this many passes, so the median of their paired ratios means something.
const MIN_CORPUS_PASSES: usize = 15;

/// `corpus` runs the variants in turn over this many mails at a time within each pass.
const INTERLEAVE_MAILS: usize = 32;

/// One timed variant of `corpus`: does its work on a chunk of raw mails.
type Variant<'a> = dyn Fn(&[Vec<u8>]) + 'a;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("deskmail-bench: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let opts = Options::parse(args.get(1..).unwrap_or_default())?;
    match opts.positional.first().map(String::as_str) {
        Some("corpus") => {
            machine(args);
            corpus(&opts)
        }
        Some("each") => {
            machine(args);
            each(&opts)
        }
        Some("generate") => generate(&opts),
        Some("growth-db") => growth::growth_db(&opts),
        Some("hostile") => hostile(&opts),
        Some(
            "profile" | "profile-mail-parser" | "profile-configured" | "profile-parse" | "profile-verdict",
        ) => profile(&opts),
        Some("rules") => {
            machine(args);
            rules(&opts)
        }
        Some("train") => {
            machine(args);
            train(&opts)
        }
        Some("opinion") => {
            machine(args);
            opinion(&opts)
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(USAGE.to_string()),
    }
}

/// Command-line options: positional words and `--name value` pairs.
struct Options {
    positional: Vec<String>,
    reps: Option<usize>,
    seed: u64,
    rules: PathBuf,
    templates: PathBuf,
    corpus: Vec<PathBuf>,
    before: Option<PathBuf>,
    /// `growth-db`: raw mail stored as received, not compressed (the "before").
    plain: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut opts = Options {
            positional: Vec::new(),
            reps: None,
            seed: 20_261_121,
            rules: PathBuf::from("rules"),
            templates: PathBuf::from("templates"),
            corpus: Vec::new(),
            before: None,
            plain: false,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--reps" => opts.reps = Some(number(&value("--reps")?)?),
                "--seed" => opts.seed = number(&value("--seed")?)? as u64,
                "--rules" => opts.rules = value("--rules")?.into(),
                "--templates" => opts.templates = value("--templates")?.into(),
                "--corpus" => opts.corpus.push(value("--corpus")?.into()),
                "--before" => opts.before = Some(value("--before")?.into()),
                "--plain" => opts.plain = true,
                flag if flag.starts_with("--") => return Err(format!("unknown option {flag}\n{USAGE}")),
                word => opts.positional.push(word.to_string()),
            }
        }
        Ok(opts)
    }
}

fn number(text: &str) -> Result<usize, String> {
    text.replace('_', "").parse().map_err(|_| format!("not a number: {text}"))
}

/// Prints the machine and the command, so that every figure says where it came from.
fn machine(args: &[String]) {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim()))
        .unwrap_or("unknown");
    let logical = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let build =
        if cfg!(debug_assertions) { "debug (figures are meaningless: use --release)" } else { "release" };
    println!("machine: nproc {nproc} ({logical} logical CPUs in /proc/cpuinfo), CPU {model}");
    println!("build:   deskmail {} {build}, 1 thread", env!("CARGO_PKG_VERSION"));
    println!("command: {}", args.join(" "));
    println!();
}

// ---------------------------------------------------------------------------------------
// corpus

/// Mail files under `dirs`: `*.eml`, and every file in a Maildir `cur`/`new` folder.
fn load_mails(dirs: &[PathBuf]) -> Result<Vec<Vec<u8>>, String> {
    mail_paths(dirs)?.iter().map(|p| read_mail(p)).collect()
}

/// The paths of the mail files under `dirs`, in name order.
fn mail_paths(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut paths = Vec::new();
    for dir in dirs {
        walk(dir, &mut paths).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    }
    paths.sort();
    Ok(paths)
}

fn read_mail(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if is_mail_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn is_mail_file(path: &Path) -> bool {
    let in_maildir = path.parent().and_then(Path::file_name).is_some_and(|d| d == "cur" || d == "new");
    let eml = path.extension().is_some_and(|x| x.eq_ignore_ascii_case("eml"));
    eml || in_maildir && !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

fn load_rules(rules: &Path, templates: &Path) -> Result<(RuleSet, Duration), String> {
    let templates = Templates::load(templates).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!("templates: {}", lines.join("; "))
    })?;
    let start = Instant::now();
    let set = RuleSet::load(rules, &|name| templates.exists(name)).map_err(|problems| {
        let lines: Vec<String> = problems.iter().take(5).map(ToString::to_string).collect();
        format!("{} problem(s) in {}: {}", problems.len(), rules.display(), lines.join("; "))
    })?;
    Ok((set, start.elapsed()))
}

fn reps_for(opts: &Options, mails: usize) -> usize {
    opts.reps.unwrap_or_else(|| AUTO_MIN_MAILS.div_ceil(mails.max(1)).max(3))
}

fn own() -> Vec<String> {
    vec![OWN_ADDRESS.to_string()]
}

/// The verdict stage as a configured daemon runs it: a trusted authserv-id, so that a mail
/// with Authentication-Results has them read.
fn trust() -> deskmail::verdict::TrustSettings {
    deskmail::verdict::TrustSettings {
        authserv_ids: vec!["mx.example.com".into()],
        ..deskmail::verdict::TrustSettings::default()
    }
}

fn corpus(opts: &Options) -> Result<(), String> {
    let dirs: Vec<PathBuf> = opts.positional[1..].iter().map(PathBuf::from).collect();
    if dirs.is_empty() {
        return Err(format!("corpus needs at least one directory\n{USAGE}"));
    }
    let (rules, load_time) = load_rules(&opts.rules, &opts.templates)?;
    let start = Instant::now();
    let mails = load_mails(&dirs)?;
    let read_time = start.elapsed();
    if mails.is_empty() {
        return Err("no mail files (*.eml, Maildir cur/new) found".into());
    }
    let bytes: usize = mails.iter().map(Vec::len).sum();
    let reps = reps_for(opts, mails.len());
    let own = own();
    let trust = trust();
    println!(
        "corpus:  {} mails, {:.1} MB ({:.1} KB/mail on average), read into memory in {:.0} ms",
        mails.len(),
        mb(bytes),
        bytes as f64 / mails.len() as f64 / 1024.0,
        ms(read_time)
    );
    println!(
        "rules:   {} rules from {} compiled in {:.1} ms",
        rules.len(),
        opts.rules.display(),
        ms(load_time)
    );

    // What the mails are, from one untimed pass (also warms caches and lazy regexes).
    let mut summary = Summary::default();
    for raw in &mails {
        let parser = mail_parser::MessageParser::default().parse(raw.as_slice());
        summary.mail_parser_failed += usize::from(parser.is_none());
        match parse::parse(raw) {
            Ok(inbound) => {
                let verdict = screen::screen(&inbound, &own);
                let class = rules.classify(&inbound, &verdict);
                summary.add(&inbound, &verdict, class.category.as_deref());
            }
            Err(e) => *summary.errors.entry(e.to_string()).or_default() += 1,
        }
    }
    summary.print(mails.len());

    // The variants take turns chunk by chunk, and each keeps its fastest pass: another
    // process on the machine then slows a pass of one variant, not the comparison. On a
    // shared VM whose speed drifts for seconds at a time the fastest passes of (a) and (b) can
    // still come from different spells, so each pass's (b) ÷ (a) is also kept: the variants
    // ran interleaved a few dozen mails at a time within it, so they shared its spells, and the
    // median of those paired ratios is the steadier figure.
    let reps = reps.max(MIN_CORPUS_PASSES);
    let variants: [&Variant; 4] = [
        &|chunk| {
            for raw in chunk {
                black_box(mail_parser::MessageParser::default().parse(black_box(raw.as_slice())));
            }
        },
        &|chunk| {
            for raw in chunk {
                black_box(parse::message_parser().parse(black_box(raw.as_slice())));
            }
        },
        &|chunk| {
            for raw in chunk {
                if let Ok(inbound) = parse::parse(black_box(raw)) {
                    let verdict = screen::screen(&inbound, &own);
                    black_box(deskmail::verdict::judge(&inbound, &trust));
                    black_box(rules.classify(&inbound, &verdict));
                }
            }
        },
        &|chunk| {
            for raw in chunk {
                let _ = black_box(parse::parse(black_box(raw)));
            }
        },
    ];
    let mut best = [Duration::MAX; 4];
    let mut paired = Vec::with_capacity(reps);
    for _ in 0..reps {
        let mut pass = [Duration::ZERO; 4];
        for chunk in mails.chunks(INTERLEAVE_MAILS) {
            for (variant, took) in variants.iter().zip(&mut pass) {
                *took += time_reps(1, || variant(chunk));
            }
        }
        for (best, took) in best.iter_mut().zip(pass) {
            *best = (*best).min(took);
        }
        paired.push(pass[2].as_secs_f64() / pass[0].as_secs_f64());
    }
    let [baseline, configured, full, parse_only] = best;
    paired.sort_by(f64::total_cmp);
    let quantile = |q: f64| paired[((paired.len() - 1) as f64 * q).round() as usize];

    let n = mails.len() as f64;
    println!();
    println!(
        "{reps} passes over {} mails per row, taking turns every {INTERLEAVE_MAILS} mails, one thread; the fastest pass of each:",
        mails.len()
    );
    println!();
    println!("| what | mails/s | µs/mail | MB/s |");
    println!("| --- | ---: | ---: | ---: |");
    let row = |what: &str, d: Duration| {
        let secs = d.as_secs_f64();
        println!("| {what} | {:.0} | {:.1} | {:.1} |", n / secs, secs * 1e6 / n, mb(bytes) / secs);
    };
    row("(a) mail-parser alone, `MessageParser::default().parse`", baseline);
    row("(a') mail-parser as deskmail configures it (only the header fields it reads)", configured);
    row("(b) deskmail parse + screen + classify", full);
    row("    of which deskmail `parse::parse` alone", parse_only);
    println!();
    println!(
        "deskmail costs {:.2}× mail-parser alone (time (b) / time (a)); parse alone {:.2}×",
        full.as_secs_f64() / baseline.as_secs_f64(),
        parse_only.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "deskmail's own work ((b) - (a')) is {:.2}× mail-parser alone's parse",
        (full.as_secs_f64() - configured.as_secs_f64()) / baseline.as_secs_f64()
    );
    println!(
        "(b) ÷ (a) pass by pass, over {} passes: median {:.2}×, quartiles {:.2}–{:.2}×",
        paired.len(),
        quantile(0.5),
        quantile(0.25),
        quantile(0.75)
    );
    Ok(())
}

/// Each mail alone, over and over, against mail-parser alone on the same bytes: which mails
/// cost deskmail the most.
fn each(opts: &Options) -> Result<(), String> {
    let dirs: Vec<PathBuf> = opts.positional[1..].iter().map(PathBuf::from).collect();
    let (rules, _) = load_rules(&opts.rules, &opts.templates)?;
    let paths = mail_paths(&dirs)?;
    let reps = opts.reps.unwrap_or(AUTO_MIN_MAILS);
    let own = own();
    let trust = trust();
    println!("| mail | (a) mail-parser alone, µs | (b) deskmail, µs | (b) ÷ (a) |");
    println!("| --- | ---: | ---: | ---: |");
    let mut ratios = Vec::new();
    for path in &paths {
        let raw = read_mail(path)?;
        let (mut baseline, mut full) = (Duration::MAX, Duration::MAX);
        // Five rounds, taking turns; each keeps its fastest round.
        for _ in 0..5 {
            baseline = baseline.min(time_reps(reps / 5, || {
                black_box(mail_parser::MessageParser::default().parse(black_box(raw.as_slice())));
            }));
            full = full.min(time_reps(reps / 5, || {
                if let Ok(inbound) = parse::parse(black_box(&raw)) {
                    let verdict = screen::screen(&inbound, &own);
                    black_box(deskmail::verdict::judge(&inbound, &trust));
                    black_box(rules.classify(&inbound, &verdict));
                }
            }));
        }
        let per = |d: Duration| d.as_secs_f64() * 1e6 / (reps / 5) as f64;
        let ratio = full.as_secs_f64() / baseline.as_secs_f64();
        ratios.push(ratio);
        let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        println!("| {name} | {:.2} | {:.2} | {ratio:.2} |", per(baseline), per(full));
    }
    ratios.sort_by(f64::total_cmp);
    if let (Some(low), Some(high)) = (ratios.first(), ratios.last()) {
        println!();
        println!(
            "{} mails: (b) ÷ (a) from {low:.2} to {high:.2}, median {:.2}",
            ratios.len(),
            ratios[ratios.len() / 2]
        );
    }
    Ok(())
}

/// Only deskmail's parse + screen + classify, over and over: the loop to profile.
fn profile(opts: &Options) -> Result<(), String> {
    let dirs: Vec<PathBuf> = opts.positional[1..].iter().map(PathBuf::from).collect();
    let (rules, _) = load_rules(&opts.rules, &opts.templates)?;
    let mails = load_mails(&dirs)?;
    let reps = reps_for(opts, mails.len());
    let own = own();
    let trust = trust();
    let mode = opts.positional.first().map_or("profile", String::as_str);
    let elapsed = time_reps(reps, || {
        for raw in &mails {
            if mode == "profile-mail-parser" {
                black_box(mail_parser::MessageParser::default().parse(black_box(raw.as_slice())));
            } else if mode == "profile-configured" {
                black_box(parse::message_parser().parse(black_box(raw.as_slice())));
            } else if mode == "profile-parse" {
                let _ = black_box(parse::parse(black_box(raw)));
            } else if mode == "profile-verdict" {
                // parse + the verdict stage alone: less profile-parse, what the verdict costs.
                if let Ok(inbound) = parse::parse(black_box(raw)) {
                    black_box(deskmail::verdict::judge(&inbound, &trust));
                }
            } else if let Ok(inbound) = parse::parse(black_box(raw)) {
                let verdict = screen::screen(&inbound, &own);
                black_box(deskmail::verdict::judge(&inbound, &trust));
                black_box(rules.classify(&inbound, &verdict));
            }
        }
    });
    let per_mail = elapsed.as_secs_f64() * 1e6 / (mails.len() * reps) as f64;
    println!("{} mails × {reps}: {per_mail:.1} µs/mail", mails.len());
    Ok(())
}

/// Runs `f` `reps` times and returns the total time.
fn time_reps(reps: usize, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..reps {
        f();
    }
    start.elapsed()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// What a corpus holds, as deskmail sees it.
#[derive(Default)]
struct Summary {
    mail_parser_failed: usize,
    errors: BTreeMap<String, usize>,
    automated: BTreeMap<String, usize>,
    categories: BTreeMap<String, usize>,
    languages: BTreeMap<String, usize>,
    charsets: BTreeMap<String, usize>,
    with_attachments: usize,
    with_quotes: usize,
    lossy: usize,
    /// Generated mails: (with an expected category, agreeing), and the disagreements.
    expected: (usize, usize),
    confusions: BTreeMap<(String, String), usize>,
}

impl Summary {
    fn add(&mut self, mail: &Inbound, verdict: &Verdict, category: Option<&str>) {
        let kind = verdict.automated.map_or("no", |k| k.as_str());
        *self.automated.entry(kind.into()).or_default() += 1;
        *self.categories.entry(category.unwrap_or("(none: machine mail)").into()).or_default() += 1;
        *self.languages.entry(mail.language.tag().into()).or_default() += 1;
        *self.charsets.entry(mail.charset.clone()).or_default() += 1;
        self.with_attachments += usize::from(!mail.attachments.is_empty());
        self.with_quotes += usize::from(!mail.quoted_text.is_empty());
        self.lossy += usize::from(mail.lossy);
        if let Some(expected) = mail.header(EXPECTED_HEADER) {
            let got = category.unwrap_or("none");
            self.expected.0 += 1;
            if expected == got {
                self.expected.1 += 1;
            } else {
                *self.confusions.entry((expected.to_string(), got.to_string())).or_default() += 1;
            }
        }
    }

    fn print(&self, total: usize) {
        let list = |map: &BTreeMap<String, usize>| {
            let mut items: Vec<_> = map.iter().collect();
            items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let mut out = String::new();
            for (k, v) in items {
                let _ = write!(out, "{}{k} {v}", if out.is_empty() { "" } else { ", " });
            }
            if out.is_empty() { "-".into() } else { out }
        };
        let parse_errors: usize = self.errors.values().sum();
        println!(
            "content: {} parsed by deskmail, {} quarantined as unparsable ({}); mail-parser returned None for {}",
            total - parse_errors,
            parse_errors,
            list(&self.errors),
            self.mail_parser_failed
        );
        println!("         automated: {}", list(&self.automated));
        println!("         categories: {}", list(&self.categories));
        println!("         languages: {}", list(&self.languages));
        println!("         body charsets: {}", list(&self.charsets));
        println!(
            "         {} with attachments, {} with quoted history or signature, {} decoded lossily",
            self.with_attachments, self.with_quotes, self.lossy
        );
        if self.expected.0 > 0 {
            let confusions: BTreeMap<String, usize> =
                self.confusions.iter().map(|((e, g), n)| (format!("{e} as {g}"), *n)).collect();
            println!(
                "         generated mails classified as the generator meant: {}/{} (misses: {})",
                self.expected.1,
                self.expected.0,
                list(&confusions)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// rules N

fn rules(opts: &Options) -> Result<(), String> {
    let extra = number(opts.positional.get(1).ok_or_else(|| format!("rules needs N\n{USAGE}"))?)?;
    if opts.corpus.is_empty() {
        return Err(format!("rules needs --corpus DIR\n{USAGE}"));
    }
    let dir = std::env::temp_dir().join(format!("deskmail-bench-rules-{}", std::process::id()));
    let result = rules_in(opts, extra, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// How the synthetic rules' regexes are written (the keywords are the same in each style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RegexStyle {
    /// No regexes: keyword rules only.
    None,
    /// As staff write them: `(?i)\border[- ]?\d{6}\b` (Unicode `\b`, `\d`, `\s`).
    Unicode,
    /// The same with ASCII classes: `(?-u:\b)`, `[0-9]`, `[ \t]`.
    Ascii,
}

fn rules_in(opts: &Options, extra: usize, base: &Path) -> Result<(), String> {
    let variants = [
        (RegexStyle::None, format!("default + {extra} keyword rules")),
        (RegexStyle::Unicode, format!("default + {extra} rules, ~25% also with a regex")),
        (RegexStyle::Ascii, format!("default + {extra} rules, ~25% also with an ASCII-class regex")),
    ];
    let mut written = Vec::new();
    for (style, _) in &variants {
        let dir = base.join(format!("{style:?}").to_lowercase());
        let io = |e: std::io::Error| format!("{}: {e}", dir.display());
        std::fs::create_dir_all(&dir).map_err(io)?;
        for entry in std::fs::read_dir(&opts.rules).map_err(|e| format!("{}: {e}", opts.rules.display()))? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|x| x == "toml") {
                std::fs::copy(&path, dir.join(path.file_name().unwrap_or_default())).map_err(io)?;
            }
        }
        let counts = write_synthetic_rules(&dir.join("5000-synthetic.toml"), extra, opts.seed, *style)?;
        written.push((dir, counts));
    }

    let mails = load_mails(&opts.corpus)?;
    let own = own();
    let parsed: Vec<(Inbound, Verdict)> = mails
        .iter()
        .filter_map(|raw| parse::parse(raw).ok())
        .map(|inbound| {
            let verdict = screen::screen(&inbound, &own);
            (inbound, verdict)
        })
        .collect();
    if parsed.is_empty() {
        return Err("no parsable mail in --corpus".into());
    }
    let reps = reps_for(opts, parsed.len()).max(MIN_CORPUS_PASSES);
    let (_, (regexes, keywords)) = &written[1];
    println!(
        "corpus:  {} mails parsed and screened once up front from {}; only classify is timed, {} passes, the rule sets taking turns",
        parsed.len(),
        opts.corpus.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" "),
        reps
    );
    println!(
        "rules:   {extra} synthetic rules ({keywords} keywords in all; {regexes} of them also with a regex), \
         priorities spread among the defaults'"
    );
    println!();
    let mut sets = vec![("default (rules/)".to_string(), load_catching(&opts.rules, &opts.templates))];
    for ((_, name), (dir, _)) in variants.iter().zip(&written) {
        sets.push((name.clone(), load_catching(dir, &opts.templates)));
    }
    let loaded: Vec<&RuleSet> =
        sets.iter().filter_map(|(_, l)| l.as_ref().ok().map(|(set, _)| set)).collect();
    let timing = time_rule_sets(&loaded, &parsed, reps);

    println!(
        "| rule set | rules | compile ms | classify mails/s | µs/mail | ÷ default, median of the passes | same category as default |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut baseline_categories = Vec::new();
    let mut failed = false;
    let mut timed = timing.iter();
    for (name, loaded) in &sets {
        let (set, load) = match loaded {
            Ok(loaded) => loaded,
            Err(e) => {
                failed = true;
                println!("| {name} | - | - | cannot load: {e} | - | - | - |");
                continue;
            }
        };
        let categories: Vec<Option<String>> =
            parsed.iter().map(|(m, v)| set.classify(m, v).category).collect();
        if baseline_categories.is_empty() {
            baseline_categories = categories.clone();
        }
        let same = categories.iter().zip(&baseline_categories).filter(|(a, b)| a == b).count();
        let (fastest, ratio) = timed.next().copied().unwrap_or((Duration::MAX, f64::NAN));
        let n = parsed.len() as f64;
        println!(
            "| {name} | {} | {:.1} | {:.0} | {:.2} | {ratio:.2} | {same}/{} |",
            set.len(),
            ms(*load),
            n / fastest.as_secs_f64(),
            fastest.as_secs_f64() * 1e6 / n,
            parsed.len()
        );
    }
    if failed {
        println!();
        println!(
            "a rule set that cannot be loaded here fails the daemon and `deskmail rules check` the same way"
        );
    }
    Ok(())
}

/// Classifies the parsed mails with each rule set, the sets taking turns pass by pass (a whole
/// pass each: taking turns every few mails would have each set's automaton evict the others'
/// from the caches, which one daemon with one rule set never sees). Returns each set's fastest
/// pass and the median over the rounds of its time ÷ the first set's in the same round.
fn time_rule_sets(sets: &[&RuleSet], parsed: &[(Inbound, Verdict)], reps: usize) -> Vec<(Duration, f64)> {
    let mut fastest = vec![Duration::MAX; sets.len()];
    let mut ratios = vec![Vec::new(); sets.len()];
    for _ in 0..reps {
        let mut pass = vec![Duration::ZERO; sets.len()];
        for (set, took) in sets.iter().zip(&mut pass) {
            *took = time_reps(1, || {
                for (mail, verdict) in parsed {
                    black_box(set.classify(black_box(mail), verdict));
                }
            });
        }
        for ((best, ratios), took) in fastest.iter_mut().zip(&mut ratios).zip(&pass) {
            *best = (*best).min(*took);
            ratios.push(took.as_secs_f64() / pass[0].as_secs_f64());
        }
    }
    fastest
        .into_iter()
        .zip(ratios)
        .map(|(best, mut ratios)| {
            ratios.sort_by(f64::total_cmp);
            (best, ratios[ratios.len() / 2])
        })
        .collect()
}

/// [`load_rules`], with a panic turned into an error that says where it happened.
fn load_catching(rules: &Path, templates: &Path) -> Result<(RuleSet, Duration), String> {
    let message = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let slot = message.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(mut m) = slot.lock() {
            *m = info.to_string().replace('\n', " ");
        }
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| load_rules(rules, templates)));
    std::panic::set_hook(previous);
    match result {
        Ok(loaded) => loaded,
        Err(_) => Err(format!("RuleSet::load {}", message.lock().map(|m| m.clone()).unwrap_or_default())),
    }
}

/// Writes `n` rules with distinct ids and priorities, a few random keywords each and, in
/// about a quarter, a regex in `style`; returns (rules with a regex, keywords written).
fn write_synthetic_rules(
    path: &Path,
    n: usize,
    seed: u64,
    style: RegexStyle,
) -> Result<(usize, usize), String> {
    const FIELDS: [&str; 4] = ["text", "text", "subject", "body"];
    let mut rng = Rng::new(seed ^ 0x005E_ED0F_5EED);
    // Priorities 1..=10n+1000 without the defaults' (10, 20, … 900): shuffled, then taken.
    let defaults: HashSet<i64> = [10, 20, 30, 40, 50, 60, 70, 80, 90, 900].into();
    let mut priorities: Vec<i64> = (1..=(10 * n as i64 + 1000)).filter(|p| !defaults.contains(p)).collect();
    rng.shuffle(&mut priorities);
    let mut used_words = HashSet::new();
    let mut out = String::from("# Synthetic rules written by deskmail-bench (rules N).\n");
    let (mut regexes, mut keyword_count) = (0, 0);
    for (i, priority) in priorities.iter().take(n).enumerate() {
        let category = CATEGORY_NAMES[rng.below(CATEGORY_NAMES.len())];
        let mut words = Vec::new();
        for _ in 0..2 + rng.below(4) {
            let word = loop {
                let w = if rng.chance(40) { rng.han_word() } else { rng.latin_word() };
                if used_words.insert(w.clone()) {
                    break w;
                }
            };
            words.push(format!("{word:?}"));
        }
        keyword_count += words.len();
        let field = FIELDS[rng.below(FIELDS.len())];
        let action = if rng.chance(50) { "acknowledge" } else { "escalate" };
        let _ = writeln!(
            out,
            "\n[[rule]]\nid = \"synthetic-{i}\"\npriority = {priority}\ncategory = \"{category}\"\n\
             action = \"{action}\"\ntags = [\"synthetic\"]\n\n[rule.when]\nany = [\n  \
             {{ field = \"{field}\", both_scripts = true, keywords = [{}] }},",
            words.join(", ")
        );
        // The same random draws in every style, so the keywords are the same.
        let (with_regex, stem) = (rng.chance(25), rng.latin_word());
        let (min, max) = (4 + rng.below(3), 8 + rng.below(4));
        if with_regex && style != RegexStyle::None {
            regexes += 1;
            let regex = match style {
                RegexStyle::Ascii => {
                    format!(r"(?i)(?-u:\b){stem}[- ]?(no\.?|#)?[ \t]*[0-9]{{{min},{max}}}(?-u:\b)")
                }
                _ => format!(r"(?i)\b{stem}[- ]?(no\.?|#)?\s*\d{{{min},{max}}}\b"),
            };
            let _ = writeln!(out, "  {{ field = \"text\", regex = '''{regex}''' }},");
        }
        out.push_str("]\n");
    }
    std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((regexes, keyword_count))
}

// ---------------------------------------------------------------------------------------
// generate N OUTDIR

/// xorshift64*: small, fast and deterministic; enough for test data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with `percent` % probability.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    fn latin_word(&mut self) -> String {
        const SYLLABLES: [&str; 16] = [
            "ka", "lo", "mi", "ren", "tas", "vo", "qui", "zen", "dra", "pel", "nu", "sor", "fi", "gat", "hu",
            "wex",
        ];
        (0..2 + self.below(3)).map(|_| SYLLABLES[self.below(SYLLABLES.len())]).collect()
    }

    fn han_word(&mut self) -> String {
        const HAN: &str =
            "商户联盟积分会员卡券礼品优惠活动推广合作渠道代理返利奖励签到抽奖红包等级特权专享定制";
        let chars: Vec<char> = HAN.chars().collect();
        (0..2 + self.below(3)).map(|_| chars[self.below(chars.len())]).collect()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Hans,
    Hant,
    En,
}

/// How the text part is written.
#[derive(Clone, Copy)]
enum Charset {
    Utf8Base64,
    Utf8Qp,
    /// GB18030 bytes (GBK-only characters included) labelled `gb2312`, base64 or 8bit.
    Gb2312Base64,
    Gb2312EightBit,
    Big5Qp,
    Ascii,
}

/// What a customer writes about a category: subjects and sentences in each language.
struct Topic {
    subjects: [&'static [&'static str]; 3],
    sentences: [&'static [&'static str]; 3],
}

const fn topic(subjects: [&'static [&'static str]; 3], sentences: [&'static [&'static str]; 3]) -> Topic {
    Topic { subjects, sentences }
}

/// The header in generated mails that names the category the generator meant.
const EXPECTED_HEADER: &str = "X-Bench-Category";

const CATEGORY_NAMES: [&str; 10] = [
    "password_reset",
    "missing_confirmation",
    "refund",
    "transaction_failure",
    "account_locked",
    "account_security",
    "withdrawal",
    "fees",
    "currency",
    "other",
];

/// The ten categories, in the order of `CATEGORY_NAMES` (languages: zh-Hans, zh-Hant, en).
static TOPICS: [Topic; 10] = [
    topic(
        [
            &["忘记密码", "密码重置", "登录不了"],
            &["忘記密碼", "密碼重置問題"],
            &["Forgot password", "Password reset", "Cannot log in"],
        ],
        [
            &[
                "我忘记密码了，登录不了账户。",
                "请问怎么重置密码？我试了好几次都收不到新密码。",
                "找回密码的时候一直提示失败。",
            ],
            &["我忘記密碼了，無法登入帳戶。", "請問怎麼重置密碼？我試了好幾次。"],
            &[
                "I forgot my password and I can't log in to my account.",
                "Please help me reset my password, the reset link from yesterday does not work.",
            ],
        ],
    ),
    topic(
        [
            &["没收到确认邮件", "验证码收不到"],
            &["沒收到確認郵件", "收不到驗證碼"],
            &["Confirmation email not received", "No verification code"],
        ],
        [
            &["注册以后一直没收到确认邮件，垃圾箱也看过了。", "手机收不到验证码，请重新发送。"],
            &["註冊以後一直沒收到確認郵件，垃圾郵件也看過了。", "收不到驗證碼，麻煩重新發送。"],
            &[
                "I signed up yesterday but I never received the confirmation email.",
                "The verification code never arrives. Could you resend it?",
            ],
        ],
    ),
    topic(
        [
            &["申请退款", "退款什么时候到"],
            &["申請退款", "退款進度"],
            &["Refund request", "Where is my refund?"],
        ],
        [
            &["我想申请退款，商家已经同意了。", "订单取消了，但是钱还没有退回来，请帮忙查一下退款。"],
            &["我想申請退款，商家已經同意了。", "訂單取消了，請幫我查詢退款進度。"],
            &[
                "I would like a refund for this order, the merchant never shipped it.",
                "The merchant cancelled my order, when do I get my money back?",
            ],
        ],
    ),
    topic(
        [&["支付失败", "充值失败"], &["付款失敗", "交易失敗"], &["Payment failed", "Top-up declined"]],
        [
            &["今天付款的时候支付失败了，页面提示交易失败。", "充值失败，但是银行卡好像扣了两次。"],
            &["今天付款的時候支付失敗了，頁面顯示交易失敗。", "儲值一直交易失敗，請問是什麼原因？"],
            &[
                "My payment failed at checkout with an error message.",
                "My card was declined twice today when I tried to top up.",
            ],
        ],
    ),
    topic(
        [
            &["账户被锁定", "账户冻结了"],
            &["帳戶被鎖定", "賬戶凍結"],
            &["Account locked", "My account is frozen"],
        ],
        [
            &["我的账户被锁定了，请帮忙解锁。", "账户突然被冻结，什么时候可以解冻？"],
            &["我的賬戶被鎖定了，請幫忙解鎖。", "帳戶突然被凍結，什麼時候可以解凍？"],
            &[
                "My account is locked after several attempts, please unlock it.",
                "My account has been frozen since Monday and I need it for work.",
            ],
        ],
    ),
    topic(
        [
            &["账户被盗", "有陌生交易"],
            &["帳戶被盜", "有陌生交易"],
            &["Account hacked", "Unauthorized transaction"],
        ],
        [
            &[
                "我的账户被盗了，有一笔陌生交易不是我本人操作的。",
                "收到一封钓鱼邮件以后，账户里多了几笔可疑交易。",
            ],
            &["我的賬戶被盜了，有一筆陌生交易不是我本人操作的。", "帳戶有異地登入，不是我本人操作。"],
            &[
                "There is a payment I did not make, I think my account was hacked.",
                "I clicked a phishing link and now I see unauthorized transactions.",
            ],
        ],
    ),
    topic(
        [
            &["提现没到账", "提现多久到账"],
            &["提現沒到賬", "提現問題"],
            &["Withdrawal not received", "Withdrawal pending"],
        ],
        [
            &["三天前提现到银行卡，到现在还没到账。", "请问提现一般多久到账？"],
            &["三天前提現到銀行卡，到現在還沒到賬。", "請問提現一般多久到賬？"],
            &[
                "I made a withdrawal to my bank card three days ago and it has not arrived.",
                "How long does it take to withdraw money to my bank account?",
            ],
        ],
    ),
    topic(
        [
            &["手续费问题", "收费标准"],
            &["手續費問題", "收費標準"],
            &["Question about fees", "Why was I charged?"],
        ],
        [
            &["请问国际转账的手续费是多少？", "为什么这笔付款收了服务费？"],
            &["請問國際轉賬的手續費是多少？", "為什麼這筆付款收了服務費？"],
            &["What is the fee for sending money abroad?", "Why was I charged a commission on this payment?"],
        ],
    ),
    topic(
        [
            &["汇率问题", "支持哪些币种"],
            &["匯率問題", "支援哪些幣種"],
            &["Exchange rate question", "Supported currencies"],
        ],
        [
            &["请问支持哪些币种？汇率是怎么算的？", "付款的时候显示的汇率和银行的不一样。"],
            &["請問支援哪些幣種？匯率是怎麼算的？", "付款時顯示的匯率和銀行的不一樣。"],
            &[
                "Which currencies do you support and which exchange rate do you use?",
                "Can I convert my balance to another currency?",
            ],
        ],
    ),
    topic(
        [
            &["导出交易记录", "合作咨询", "投诉"],
            &["匯出交易記錄", "合作洽詢"],
            &["Export of my history", "Partnership", "Feedback"],
        ],
        [
            &[
                "请问怎么导出全年的交易记录？需要CSV格式。",
                "我们公司想和贵公司洽谈合作。",
                "我要投诉你们客服的服务态度。",
            ],
            &["請問怎麼匯出全年的交易記錄？", "我們公司想和貴公司洽談合作。"],
            &[
                "How can I export my transaction history as a CSV file?",
                "We are a travel agency and would like to discuss a partnership.",
                "Your app looks great, thank you for the new design.",
            ],
        ],
    ),
];

const HANS_NAMES: [&str; 8] = ["王小明", "李娜", "张伟", "刘洋", "陈静", "王喆", "朱镕", "赵敏"];
const HANT_NAMES: [&str; 6] = ["陳大文", "林美玲", "黃志明", "張家豪", "李淑芬", "吳建宏"];
const EN_NAMES: [&str; 8] = [
    "Ann Lee",
    "John Smith",
    "Maria Garcia",
    "David Chen",
    "Sarah O'Brien",
    "Tom Baker",
    "Priya Patel",
    "Ken Ito",
];
const DOMAINS: [&str; 8] = [
    "qq.example",
    "163.example",
    "gmail.example",
    "outlook.example",
    "yahoo.example",
    "hinet.example",
    "corp.example",
    "126.example",
];
const MAILERS: [&str; 5] = [
    "Foxmail 7.2.25.228[cn]",
    "Microsoft Outlook 16.0",
    "Apple Mail (2.3774.600.62)",
    "QQMail 2.x",
    "Mozilla Thunderbird 128.3.1",
];

fn generate(opts: &Options) -> Result<(), String> {
    let (Some(n), Some(out)) = (opts.positional.get(1), opts.positional.get(2)) else {
        return Err(format!("generate needs N and OUTDIR\n{USAGE}"));
    };
    let n = number(n)?;
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut rng = Rng::new(opts.seed);
    let mut bytes = 0;
    let start = Instant::now();
    for i in 0..n {
        let mail = customer_mail(&mut rng, i);
        bytes += mail.len();
        let path = out.join(format!("{i:06}.eml"));
        std::fs::write(&path, mail).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!(
        "generated {n} mails ({:.1} MB) into {} in {:.1} s (seed {})",
        mb(bytes),
        out.display(),
        start.elapsed().as_secs_f64(),
        opts.seed
    );
    Ok(())
}

/// Writes the hostile mails that `tests/faults.rs` processes (10,000 MIME parts, 100 levels
/// of nesting, a 1 MB header line, a 20 MiB base64 part of zeros) into `OUTDIR/<case>.eml`,
/// for `scripts/bench-hostile.sh` to time and measure in a release build.
fn hostile(opts: &Options) -> Result<(), String> {
    let out = PathBuf::from(opts.positional.get(1).ok_or_else(|| format!("hostile needs OUTDIR\n{USAGE}"))?);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    for (name, mail) in hostile_mails() {
        let path = out.join(format!("{name}.eml"));
        std::fs::write(&path, &mail).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("{name}: {} bytes", mail.len());
    }
    Ok(())
}

fn hostile_mails() -> Vec<(&'static str, String)> {
    use std::fmt::Write;
    const HEAD: &str = "From: Ann <ann@customer.test>\r\nTo: support@example.test\r\nSubject: Refund\r\nMIME-Version: 1.0\r\n";
    let mut parts = format!("{HEAD}Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
    for i in 0..10_000 {
        let _ = write!(parts, "--b\r\nContent-Type: text/plain\r\n\r\npart {i} refund\r\n");
    }
    parts.push_str("--b--\r\n");
    let mut nested = HEAD.to_string();
    for level in 0..100 {
        let _ = write!(nested, "Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n");
    }
    nested.push_str("Content-Type: text/plain\r\n\r\nI want a refund.\r\n");
    for level in (0..100).rev() {
        let _ = write!(nested, "--b{level}--\r\n");
    }
    let long_header = format!(
        "From: ann@customer.test\r\nTo: support@example.test\r\nSubject: {}\r\n\r\nI want a refund.\r\n",
        "退款 refund ".repeat(80_000)
    );
    let mut zeros = format!(
        "{HEAD}Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nrefund\r\n--b\r\n\
         Content-Type: application/zip; name=\"bomb.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    );
    let line = "A".repeat(76);
    for _ in 0..(20 * 1024 * 1024 / 76) {
        let _ = write!(zeros, "{line}\r\n");
    }
    zeros.push_str("--b--\r\n");
    vec![
        ("0-ordinary-mail", format!("{HEAD}\r\nI want a refund.\r\n")),
        ("10000-parts", parts),
        ("100-levels", nested),
        ("1mb-header-line", long_header),
        ("20mib-base64-zeros", zeros),
    ]
}

/// One customer mail, CRLF line ends.
fn customer_mail(rng: &mut Rng, i: usize) -> Vec<u8> {
    let lang = match rng.below(100) {
        0..40 => Lang::Hans,
        40..65 => Lang::Hant,
        _ => Lang::En,
    };
    let li = match lang {
        Lang::Hans => 0,
        Lang::Hant => 1,
        Lang::En => 2,
    };
    let category = rng.below(TOPICS.len());
    let topic = &TOPICS[category];
    let charset = match lang {
        Lang::Hans => [Charset::Utf8Base64, Charset::Gb2312Base64, Charset::Gb2312EightBit, Charset::Utf8Qp]
            [rng.below(4)],
        Lang::Hant => [Charset::Big5Qp, Charset::Big5Qp, Charset::Utf8Base64][rng.below(3)],
        Lang::En => [Charset::Ascii, Charset::Ascii, Charset::Utf8Qp][rng.below(3)],
    };
    let html_only = rng.chance(15);
    let attachment = rng.chance(30);
    let follow_up = rng.chance(30);

    let name = match lang {
        Lang::Hans => rng.pick(&HANS_NAMES).to_string(),
        Lang::Hant => rng.pick(&HANT_NAMES).to_string(),
        Lang::En => rng.pick(&EN_NAMES).to_string(),
    };
    let local = format!("user{}", rng.below(5000));
    let address = format!("{local}@{}", rng.pick(&DOMAINS));
    let ticket = 1000 + rng.below(9000);
    let mut subject = rng.pick(topic.subjects[li]).to_string();
    if follow_up {
        subject = match lang {
            Lang::En => format!("Re: {subject} [#{ticket}]"),
            _ if rng.chance(50) => format!("回复: {subject} [#{ticket}]"),
            _ => format!("Re: {subject} [#{ticket}]"),
        };
    }

    // The body: greeting, what happened, the details support asks for, a sign-off.
    let mut lines: Vec<String> = Vec::new();
    lines.push(match lang {
        Lang::Hans => "您好，".into(),
        Lang::Hant => "您好：".into(),
        Lang::En => rng.pick(&["Hello,", "Hi,", "Dear support team,"]).to_string(),
    });
    lines.push(String::new());
    let sentences = topic.sentences[li];
    let first = rng.below(sentences.len());
    lines.push(sentences[first].to_string());
    if rng.chance(50) {
        lines.push(sentences[(first + 1) % sentences.len()].to_string());
    }
    let txid = format!("T{}{:08}", 2026, rng.below(100_000_000));
    let amount = format!("{}.{:02}", 10 + rng.below(5000), rng.below(100));
    lines.push(match lang {
        Lang::Hans => format!("我的账号是 {address}，交易号 {txid}，金额 ￥{amount}。"),
        Lang::Hant => format!("我的帳號是 {address}，交易編號 {txid}，金額 NT${amount}。"),
        Lang::En => format!("My account is {address}, transaction id {txid}, amount ${amount}."),
    });
    if rng.chance(40) {
        lines.push(match lang {
            Lang::Hans => "麻烦尽快处理，谢谢！".into(),
            Lang::Hant => "麻煩盡快處理，謝謝！".into(),
            Lang::En => "Thanks in advance for your help.".into(),
        });
    }
    if attachment {
        lines.push(match lang {
            Lang::Hans => "截图见附件。".into(),
            Lang::Hant => "截圖請見附件。".into(),
            Lang::En => "Please find the screenshot attached.".into(),
        });
    }
    lines.push(String::new());
    lines.push(name.clone());
    if rng.chance(20) {
        lines.push(String::new());
        lines.push(match lang {
            Lang::Hans => "发自我的iPhone".into(),
            Lang::Hant => "從我的 iPhone 傳送".into(),
            Lang::En => "Sent from my iPhone".into(),
        });
    }
    if follow_up {
        lines.push(String::new());
        lines.extend(quoted_history(rng, lang, ticket));
    }
    let text = lines.join("\r\n") + "\r\n";

    let mut head = String::new();
    let received_host = rng.below(200);
    let _ = write!(
        head,
        "Return-Path: <{address}>\r\nReceived: from mx{received_host}.{domain} (mx{received_host}.{domain} [198.51.100.{received_host}])\r\n\tby mail.example.test (Postfix) with ESMTPS id {id:X}\r\n\tfor <support@example.test>; {date}\r\n",
        domain = address.split('@').nth(1).unwrap_or("x"),
        id = rng.next() & 0xFF_FFFF_FFFF,
        date = date(rng, i)
    );
    let from = match lang {
        Lang::En => format!("{name} <{address}>"),
        _ => format!("{} <{address}>", encoded_word(&name, charset)),
    };
    let subject_header = if subject.is_ascii() { subject.clone() } else { encoded_word(&subject, charset) };
    let _ = write!(
        head,
        "From: {from}\r\nTo: OKPay Support <support@example.test>\r\nSubject: {subject_header}\r\nDate: {}\r\nMessage-ID: <{:016x}.{i}@{}>\r\n",
        date(rng, i),
        rng.next(),
        address.split('@').nth(1).unwrap_or("x")
    );
    if follow_up {
        let ours = format!("{:032x}@example.test", u128::from(rng.next()) << 64 | u128::from(rng.next()));
        let theirs = format!("{:016x}@{}", rng.next(), address.split('@').nth(1).unwrap_or("x"));
        let _ = write!(head, "In-Reply-To: <{ours}>\r\nReferences: <{theirs}>\r\n <{ours}>\r\n");
    }
    if rng.chance(60) {
        let _ = write!(head, "X-Mailer: {}\r\n", rng.pick(&MAILERS));
    }
    // What the generator meant, so that `corpus` can say how many the default rules agree on.
    let _ = write!(head, "{EXPECTED_HEADER}: {}\r\n", CATEGORY_NAMES[category]);
    head.push_str("MIME-Version: 1.0\r\n");

    let body_part = if html_only {
        let html = html_of(&lines, lang);
        text_part("html", &html, charset)
    } else {
        text_part("plain", &text, charset)
    };
    let mut mail = head.into_bytes();
    if attachment {
        let boundary = format!("----=_Part_{}_{:x}", i, rng.next());
        let _ = write!(
            PushStr(&mut mail),
            "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n--{boundary}\r\n"
        );
        mail.extend_from_slice(&body_part);
        let (file, mime, data) = attachment_bytes(rng);
        let _ = write!(
            PushStr(&mut mail),
            "\r\n--{boundary}\r\nContent-Type: {mime}; name=\"{file}\"\r\nContent-Disposition: attachment; filename=\"{file}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--{boundary}--\r\n",
            base64_lines(&data)
        );
    } else {
        mail.extend_from_slice(&body_part);
    }
    mail
}

/// `write!` into a byte vector.
struct PushStr<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for PushStr<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn date(rng: &mut Rng, i: usize) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let day = 1 + (i / 400) % 28;
    format!(
        "{}, {day} Nov 2026 {:02}:{:02}:{:02} +0800",
        DAYS[(day + 5) % 7],
        rng.below(24),
        rng.below(60),
        rng.below(60)
    )
}

/// The quoted history of a follow-up: our earlier answer, quoted the way mail clients do.
fn quoted_history(rng: &mut Rng, lang: Lang, ticket: usize) -> Vec<String> {
    let ours = match lang {
        Lang::Hans => vec![
            "尊敬的客户，您好：".to_string(),
            format!("感谢您联系OKPay客服（工单号：{ticket}）。我们已收到您的邮件，"),
            "客服人员将在24小时内回复您。请回复本邮件并保留主题中的工单号。".to_string(),
            "我们绝不会向您索取密码或验证码。".to_string(),
        ],
        Lang::Hant => vec![
            "親愛的客戶，您好：".to_string(),
            format!("感謝您聯絡OKPay客服（工單號：{ticket}）。我們已收到您的郵件，"),
            "客服人員將在24小時內回覆您。".to_string(),
            "我們絕不會向您索取密碼或驗證碼。".to_string(),
        ],
        Lang::En => vec![
            "Dear customer,".to_string(),
            format!("Thank you for writing to OKPay Support. We have opened ticket number {ticket}"),
            "and a member of our team will answer within 24 hours.".to_string(),
            "We will never ask for your password or a verification code.".to_string(),
        ],
    };
    let mut out = Vec::new();
    match (lang, rng.below(3)) {
        (Lang::En, 0) => {
            out.push("On Fri, 20 Nov 2026 at 10:02, OKPay Support <support@example.test> wrote:".into())
        }
        (Lang::En, 1) => out.extend([
            "-----Original Message-----".to_string(),
            "From: OKPay Support <support@example.test>".into(),
            "Sent: Friday, November 20, 2026 10:02 AM".into(),
            "Subject: Your request".into(),
            String::new(),
        ]),
        (Lang::Hans, 0) => {
            out.push("在 2026年11月20日 10:02，OKPay Support <support@example.test> 写道：".into())
        }
        (Lang::Hans, 1) => out.push("------------------ 原始邮件 ------------------".into()),
        (Lang::Hant, 0) => {
            out.push("於 2026年11月20日 上午10:02，OKPay Support <support@example.test> 寫道：".into())
        }
        (Lang::Hant, 1) => out.push("-----原始郵件-----".into()),
        (Lang::Hant, _) => {
            out.push("寄件者: OKPay Support <support@example.test>".into());
            out.push("寄件日期: 2026年11月20日 上午 10:02".into());
            out.push("收件者: customer".into());
            out.push(String::new());
        }
        _ => {
            out.push("发件人: OKPay Support <support@example.test>".into());
            out.push("发送时间: 2026年11月20日 10:02".into());
            out.push("收件人: customer".into());
            out.push(String::new());
        }
    }
    let quote_marks = out.len() == 1;
    out.extend(ours.into_iter().map(|l| if quote_marks { format!("> {l}") } else { l }));
    out
}

fn html_of(lines: &[String], lang: Lang) -> String {
    let mut html = String::from("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html\">");
    html.push_str("<style>p{margin:0}</style></head><body>\r\n<div style=\"font-family:");
    html.push_str(if lang == Lang::En { "Arial\">\r\n" } else { "微软雅黑\">\r\n" });
    for line in lines {
        if line.is_empty() {
            html.push_str("<div><br></div>\r\n");
        } else {
            let escaped = line.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            let _ = write!(html, "<div>{escaped}</div>\r\n");
        }
    }
    html.push_str("</div></body></html>\r\n");
    html
}

/// A text part (headers and body) in `charset`.
fn text_part(subtype: &str, text: &str, charset: Charset) -> Vec<u8> {
    let (label, transfer, body) = match charset {
        Charset::Utf8Base64 => ("utf-8", "base64", base64_lines(text.as_bytes()).into_bytes()),
        Charset::Utf8Qp => ("utf-8", "quoted-printable", quoted_printable(text.as_bytes()).into_bytes()),
        Charset::Gb2312Base64 => {
            ("gb2312", "base64", base64_lines(&encoding_rs::GB18030.encode(text).0).into_bytes())
        }
        Charset::Gb2312EightBit => ("gb2312", "8bit", encoding_rs::GB18030.encode(text).0.into_owned()),
        Charset::Big5Qp => {
            ("big5", "quoted-printable", quoted_printable(&encoding_rs::BIG5.encode(text).0).into_bytes())
        }
        Charset::Ascii if text.is_ascii() => ("us-ascii", "7bit", text.as_bytes().to_vec()),
        Charset::Ascii => ("utf-8", "quoted-printable", quoted_printable(text.as_bytes()).into_bytes()),
    };
    let mut out = Vec::new();
    let _ = write!(
        PushStr(&mut out),
        "Content-Type: text/{subtype}; charset=\"{label}\"\r\nContent-Transfer-Encoding: {transfer}\r\n\r\n"
    );
    out.extend_from_slice(&body);
    out
}

/// An RFC 2047 encoded word for a header in the part's charset.
fn encoded_word(text: &str, charset: Charset) -> String {
    match charset {
        Charset::Gb2312Base64 | Charset::Gb2312EightBit => {
            let (bytes, _, _) = encoding_rs::GB18030.encode(text);
            format!("=?gb2312?B?{}?=", base64(&bytes))
        }
        Charset::Big5Qp => {
            let (bytes, _, _) = encoding_rs::BIG5.encode(text);
            let q: String = bytes
                .iter()
                .map(|&b| match b {
                    b' ' => "_".to_string(),
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => char::from(b).to_string(),
                    _ => format!("={b:02X}"),
                })
                .collect();
            format!("=?big5?Q?{q}?=")
        }
        _ => format!("=?UTF-8?B?{}?=", base64(text.as_bytes())),
    }
}

fn attachment_bytes(rng: &mut Rng) -> (String, &'static str, Vec<u8>) {
    let size = 1024 + rng.below(5 * 1024);
    if rng.chance(50) {
        let mut data =
            b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n".to_vec();
        data.extend(rng.bytes(size));
        data.extend_from_slice(b"\n%%EOF\n");
        (format!("receipt-{}.pdf", rng.below(100_000)), "application/pdf", data)
    } else {
        let mut data = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x02\x80\0\0\x01\xe0\x08\x06\0\0\0".to_vec();
        data.extend(rng.bytes(size));
        data.extend_from_slice(b"\0\0\0\0IEND\xaeB`\x82");
        (format!("screenshot_{}.png", rng.below(100_000)), "image/png", data)
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * k)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 in 76-character lines.
fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64(bytes);
    let lines: Vec<&str> =
        encoded.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    lines.join("\r\n") + "\r\n"
}

/// Quoted-printable with CRLF line ends kept and soft breaks at 76 characters.
fn quoted_printable(bytes: &[u8]) -> String {
    let mut out = String::new();
    let text_lines = bytes.split(|&b| b == b'\n');
    for (n, line) in text_lines.enumerate() {
        if n > 0 {
            out.push_str("\r\n");
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut width = 0;
        for (k, &b) in line.iter().enumerate() {
            let last = k + 1 == line.len();
            let literal = (b == b' ' || b == b'\t') && !last || (33..=126).contains(&b) && b != b'=';
            let piece = if literal { char::from(b).to_string() } else { format!("={b:02X}") };
            if width + piece.len() > 75 {
                out.push_str("=\r\n");
                width = 0;
            }
            width += piece.len();
            out.push_str(&piece);
        }
    }
    out
}

/// `train N`: the second opinion's training time on N examples (the rule directory's own,
/// repeated with a counter so that they differ), then loading the rule directory as the
/// daemon does (rules compiled, examples read, model trained).
fn train(opts: &Options) -> Result<(), String> {
    let n = number(opts.positional.get(1).ok_or_else(|| format!("train needs N\n{USAGE}"))?)?;
    let (own, _) = deskmail::rules::examples::load(&opts.rules, &all_categories());
    if own.is_empty() {
        return Err(format!("no examples in {}/examples", opts.rules.display()));
    }
    let examples: Vec<deskmail::rules::model::Example> = (0..n)
        .map(|i| {
            let e = &own[i % own.len()];
            deskmail::rules::model::Example {
                category: e.category.clone(),
                text: format!("{} {}", e.text, i / own.len()),
                language: e.language,
            }
        })
        .collect();
    let started = Instant::now();
    let model = black_box(deskmail::rules::model::Model::train(&examples));
    let took = started.elapsed();
    println!(
        "train:   {n} examples ({} distinct written ones), {} categories: {:.1} ms",
        own.len(),
        model.categories().len(),
        ms(took)
    );
    let (set, load) = load_rules(&opts.rules, &opts.templates)?;
    println!(
        "load:    {} (rules, vocabulary, {} examples, model): {:.1} ms",
        opts.rules.display(),
        set.model().map_or(0, |m| m.examples()),
        ms(load)
    );
    // The same directory with the N examples written into its examples/ files.
    let dir = std::env::temp_dir().join(format!("deskmail-bench-train-{}", std::process::id()));
    let result = load_with_examples(opts, &examples, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    let (set, load) = result?;
    println!(
        "load:    a copy of {} with {} examples in examples/: {:.1} ms (compile, read, train)",
        opts.rules.display(),
        set.model().map_or(0, |m| m.examples()),
        ms(load)
    );
    Ok(())
}

fn load_with_examples(
    opts: &Options,
    examples: &[deskmail::rules::model::Example],
    dir: &Path,
) -> Result<(RuleSet, Duration), String> {
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    for sub in ["examples", "vocabulary", "tests"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(io)?;
    }
    for entry in std::fs::read_dir(&opts.rules).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|x| x == "toml") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap_or_default())).map_err(io)?;
        }
    }
    let words = opts.rules.join("vocabulary/words.toml");
    if words.exists() {
        std::fs::copy(&words, dir.join("vocabulary/words.toml")).map_err(io)?;
    }
    let mut by_category: BTreeMap<(&str, &str), String> = BTreeMap::new();
    for e in examples {
        let text = by_category.entry((&e.category, e.language.tag())).or_default();
        // One example a line: a test mail's subject and body become one line.
        text.push_str(&e.text.replace(['\r', '\n'], " "));
        text.push('\n');
    }
    for ((category, language), text) in by_category {
        std::fs::write(dir.join("examples").join(format!("{category}.{language}.txt")), text).map_err(io)?;
    }
    load_rules(dir, &opts.templates)
}

fn all_categories() -> Vec<&'static str> {
    vec![
        "account_security",
        "account_locked",
        "missing_confirmation",
        "password_reset",
        "refund",
        "transaction_failure",
        "withdrawal",
        "fees",
        "currency",
        "other",
    ]
}

/// `opinion`: the cost per mail of the rules of `--rules` (with their second opinion) against
/// those of `--before`, taking turns pass by pass: classify alone on mails parsed up front,
/// and parse + screen + classify from the raw bytes. Ratios are medians of the passes.
fn opinion(opts: &Options) -> Result<(), String> {
    let before = opts.before.as_ref().ok_or_else(|| format!("opinion needs --before DIR\n{USAGE}"))?;
    if opts.corpus.is_empty() {
        return Err(format!("opinion needs --corpus DIR\n{USAGE}"));
    }
    let (old, old_load) = load_rules(before, &opts.templates)?;
    let (new, new_load) = load_rules(&opts.rules, &opts.templates)?;
    let mails = load_mails(&opts.corpus)?;
    let own = own();
    let parsed: Vec<(Inbound, Verdict)> = mails
        .iter()
        .filter_map(|raw| parse::parse(raw).ok())
        .map(|inbound| {
            let verdict = screen::screen(&inbound, &own);
            (inbound, verdict)
        })
        .collect();
    let reps = reps_for(opts, parsed.len()).max(MIN_CORPUS_PASSES);
    let classify_only = time_rule_sets(&[&old, &new], &parsed, reps);
    let sets = [&old, &new];
    let mut fastest = [Duration::MAX; 2];
    let mut ratios = Vec::new();
    for _ in 0..reps {
        let mut pass = [Duration::ZERO; 2];
        for (set, took) in sets.iter().zip(&mut pass) {
            *took = time_reps(1, || {
                for raw in &mails {
                    if let Ok(inbound) = parse::parse(black_box(raw)) {
                        let verdict = screen::screen(&inbound, &own);
                        black_box(set.classify(&inbound, &verdict));
                    }
                }
            });
        }
        fastest[0] = fastest[0].min(pass[0]);
        fastest[1] = fastest[1].min(pass[1]);
        ratios.push(pass[1].as_secs_f64() / pass[0].as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    let n = parsed.len() as f64;
    println!("corpus:  {} mails, {reps} passes, the two rule sets taking turns", parsed.len());
    println!(
        "| what | before ({}) µs/mail | after ({}) µs/mail | after ÷ before (median of passes) |",
        before.display(),
        opts.rules.display()
    );
    println!("| --- | ---: | ---: | ---: |");
    println!("| load (compile, train) | {:.1} ms | {:.1} ms | |", ms(old_load), ms(new_load));
    println!(
        "| classify alone | {:.2} | {:.2} | {:.2} |",
        classify_only[0].0.as_secs_f64() * 1e6 / n,
        classify_only[1].0.as_secs_f64() * 1e6 / n,
        classify_only[1].1
    );
    println!(
        "| parse + screen + classify | {:.2} | {:.2} | {:.2} |",
        fastest[0].as_secs_f64() * 1e6 / n,
        fastest[1].as_secs_f64() * 1e6 / n,
        ratios[ratios.len() / 2]
    );
    Ok(())
}
