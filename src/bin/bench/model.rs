//! `train N` and `opinion`: the second opinion's training and loading time, and what a rule
//! directory with its second opinion costs per mail against another.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use deskmail::parse::{self, Inbound};
use deskmail::rules::RuleSet;
use deskmail::rules::field::Field;
use deskmail::screen::{self, Verdict};

use super::rules_scaling::time_rule_sets;
use super::{
    MIN_CORPUS_PASSES, Options, USAGE, load_mails, load_rules, ms, number, own, reps_for, time_reps,
};

/// `train N`: the second opinion's training time on N examples (the rule directory's own,
/// repeated with a counter so that they differ), then loading the rule directory as the
/// daemon does (rules compiled, examples read, model trained).
pub fn train(opts: &Options) -> Result<(), String> {
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
pub fn opinion(opts: &Options) -> Result<(), String> {
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
    // Each set's figure in its own column: the old rules may have a model too (trained on
    // their `tests` mails).
    let alone = [&old, &new].map(|set| predict_alone(set, &parsed, reps));
    if alone.iter().any(Option::is_some) {
        let cell = |took: Option<Duration>| {
            took.map_or("-".to_string(), |t| format!("{:.2}", t.as_secs_f64() * 1e6 / n))
        };
        println!("| of which the second opinion alone | {} | {} | |", cell(alone[0]), cell(alone[1]));
    }
    Ok(())
}

/// The fastest of `reps` passes of the model alone over the text each mail is classified
/// by (the part of "classify alone" the second opinion costs), if `set` has a model.
fn predict_alone(set: &RuleSet, parsed: &[(Inbound, Verdict)], reps: usize) -> Option<Duration> {
    let model = set.model()?;
    let texts: Vec<(String, deskmail::parse::lang::Language)> = parsed
        .iter()
        .map(|(mail, verdict)| (Field::Text.values(mail, verdict)[0].to_string(), mail.language))
        .collect();
    let fastest = (0..reps)
        .map(|_| {
            time_reps(1, || {
                for (text, language) in &texts {
                    black_box(model.predict(black_box(text), *language));
                }
            })
        })
        .min()?;
    Some(fastest)
}
