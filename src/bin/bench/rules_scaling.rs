//! `rules N`: what classify costs with N synthetic rules added to the defaults (keywords
//! only, with Unicode regexes, with ASCII-class regexes), against the defaults alone.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use deskmail::parse::{self, Inbound};
use deskmail::rules::RuleSet;
use deskmail::screen::{self, Verdict};

use super::rng::Rng;
use super::topics::CATEGORY_NAMES;
use super::{
    MIN_CORPUS_PASSES, Options, USAGE, load_mails, load_rules, ms, number, own, reps_for, time_reps,
};

pub fn rules(opts: &Options) -> Result<(), String> {
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
        let categories: Vec<Option<Arc<str>>> =
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
pub fn time_rule_sets(sets: &[&RuleSet], parsed: &[(Inbound, Verdict)], reps: usize) -> Vec<(Duration, f64)> {
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
