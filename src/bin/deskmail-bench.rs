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

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use deskmail::compose::Templates;
use deskmail::rules::RuleSet;

#[path = "bench/generate.rs"]
mod generate;
#[path = "bench/growth.rs"]
mod growth;
#[path = "bench/hostile.rs"]
mod hostile;
#[path = "bench/mime.rs"]
mod mime;
#[path = "bench/model.rs"]
mod model;
#[path = "bench/rng.rs"]
mod rng;
#[path = "bench/rules_scaling.rs"]
mod rules_scaling;
#[path = "bench/throughput.rs"]
mod throughput;
#[path = "bench/topics.rs"]
mod topics;

const USAGE: &str = "usage:
  deskmail-bench corpus DIR... [--reps N] [--rules DIR] [--templates DIR]
  deskmail-bench each DIR... [--reps N]   (each mail alone: mail-parser and deskmail, one row per mail)
  deskmail-bench generate N OUTDIR [--seed S] [--today]   (--today: Date fields of today, not of November 2026)
  deskmail-bench growth-db N DB [--seed S] [--plain] [--rules DIR] [--templates DIR]   (a database of N stored messages, as a year leaves it: scripts/bench-growth.sh)
  deskmail-bench hostile OUTDIR   (the resource-limit mails of `tests/faults.rs`, one file each)
  deskmail-bench rules N --corpus DIR [--reps N] [--seed S] [--rules DIR] [--templates DIR]
  deskmail-bench profile DIR... [--reps N]   (deskmail's work only, to run under `perf record`)
  deskmail-bench profile-mail-parser DIR... [--reps N]   (mail-parser alone, the same way)
  deskmail-bench profile-configured DIR... [--reps N]   (mail-parser as deskmail configures it)
  deskmail-bench profile-parse DIR... [--reps N]   (deskmail's parse stage alone)
  deskmail-bench profile-screen DIR... [--reps N]   (parse and the screen stage: less profile-parse, its cost)
  deskmail-bench profile-verdict DIR... [--reps N]   (parse and the verdict stage: less profile-parse, its cost)
  deskmail-bench train N [--rules DIR]   (train the second opinion on N examples; load the rules with theirs)
  deskmail-bench opinion --before DIR --corpus DIR [--rules DIR] [--reps N]   (classify and parse+screen+classify per mail, rules of DIR against --rules, taking turns; then each set's second opinion alone)";

/// The support address the screen stage treats as ours (as in `fixtures/demo.toml`).
const OWN_ADDRESS: &str = "support@example.test";

/// Without `--reps`, a timed loop processes at least this many mails (and at least 3 passes).
const AUTO_MIN_MAILS: usize = 20_000;

/// `corpus` makes at least this many passes, so the median of their paired ratios means something.
const MIN_CORPUS_PASSES: usize = 15;

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
            throughput::corpus(&opts)
        }
        Some("each") => {
            machine(args);
            throughput::each(&opts)
        }
        Some("generate") => generate::generate(&opts),
        Some("growth-db") => growth::growth_db(&opts),
        Some("hostile") => hostile::hostile(&opts),
        Some(
            "profile"
            | "profile-mail-parser"
            | "profile-configured"
            | "profile-parse"
            | "profile-screen"
            | "profile-verdict",
        ) => throughput::profile(&opts),
        Some("rules") => {
            machine(args);
            rules_scaling::rules(&opts)
        }
        Some("train") => {
            machine(args);
            model::train(&opts)
        }
        Some("opinion") => {
            machine(args);
            model::opinion(&opts)
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
    /// `generate`: mail written today (its `Date` field), as new mail is, not in November 2026.
    today: bool,
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
            today: false,
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
                "--today" => opts.today = true,
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
// Shared by the benches: mail files, rule sets, timing

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
