//! `deskmail classify`: parse, screen and classify mail files with no side effects; prints a
//! line, a JSON object, or the full explanation per mail.

use super::output::outln;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use super::Failure;
use crate::config::Settings;
use crate::daemon;
use crate::decide::{self, Facts, Plan};
use crate::parse::{self, Inbound};
use crate::rules::{Classification, Trial};
use crate::screen::{self, Verdict};
use crate::verdict::{self, Authentication, Judgement};

/// One line of `classify --json`.
#[derive(Debug, Serialize)]
pub struct ClassifyRecord {
    pub file: String,
    pub category: Option<Arc<str>>,
    pub rule: Option<Arc<str>>,
    pub language: Option<String>,
    pub automated: Option<String>,
    pub action: Option<String>,
    /// Whether an automatic mail would go out if this mail opened a ticket.
    pub reply: bool,
    pub template: Option<String>,
    pub subject: Option<String>,
    pub charset: Option<String>,
    pub lossy: bool,
    /// The learned second opinion: its category and confidence.
    pub model_category: Option<Arc<str>>,
    pub model_confidence: Option<f32>,
    /// The probability the model gives the category decided.
    pub model_agrees: Option<f32>,
    /// The deciding rule's score.
    pub score: f32,
    /// Why a rule's canned answer was held back, if it was.
    pub held: Option<String>,
    /// No rule matched and `category` is the model's suggestion.
    pub suggested: bool,
    pub tags: Arc<[String]>,
    /// Set when the mail would be quarantined.
    pub error: Option<String>,
    /// What the receiving servers said, as far as it is believed, and what it does.
    pub verdict: Option<VerdictRecord>,
}

/// The verdict part of `classify --json`.
#[derive(Debug, Serialize)]
pub struct VerdictRecord {
    /// Why it is spam (it would go to the spam folder, with no ticket); null: not spam.
    pub spam: Option<String>,
    /// `{"result": "pass" | "fail" | "unchecked", "why": …}`.
    pub authentication: Authentication,
    /// The policy in force (`aligned`, `dmarc`, `off`).
    pub policy: &'static str,
    /// `spam` or `authentication` when the verdict withholds automatic mail.
    pub withheld: Option<&'static str>,
    /// Verdict fields not believed, each with the reason.
    pub ignored: Vec<String>,
}

pub fn classify(settings: &Settings, files: &[PathBuf], json: bool, explain: bool) -> Result<i32, Failure> {
    let loaded = daemon::load(settings)?;
    let mut failed = false;
    for file in files {
        let record = match std::fs::read(file) {
            Ok(raw) => match parse::parse(&raw) {
                Ok(inbound) => {
                    let verdict = screen::screen(&inbound, &settings.own_addresses);
                    let judgement = verdict::judge(&inbound, &settings.trust);
                    let (classification, trials) = loaded.rules.classify_explained(&inbound, &verdict);
                    let record = record(file, &inbound, &verdict, &judgement, &classification, settings);
                    if explain {
                        print_explanation(file, &inbound, &verdict, &classification, &trials)?;
                        print_model(&loaded.rules, &inbound, &verdict, &classification)?;
                        print_verdict(&judgement, settings, &record)?;
                    }
                    record
                }
                Err(e) => error_record(file, format!("cannot parse: {e}")),
            },
            Err(e) => {
                failed = true;
                error_record(file, format!("cannot read: {e}"))
            }
        };
        if json {
            outln!("{}", serde_json::to_string(&record).unwrap_or_default());
        } else if !explain {
            print_line(&record)?;
        }
    }
    Ok(if failed { 1 } else { 0 })
}

fn record(
    file: &Path,
    mail: &Inbound,
    verdict: &Verdict,
    judgement: &Judgement,
    c: &Classification,
    settings: &Settings,
) -> ClassifyRecord {
    let withheld = judgement.withheld();
    let plan = decide::plan(Facts {
        verdict,
        classification: c,
        new_ticket: true,
        sent_today: 0,
        max_per_day: settings.max_auto_per_day,
        withheld: withheld.as_ref(),
    });
    let template = match &plan {
        Plan::Send { template, .. } => Some(template.clone()),
        Plan::Nothing { .. } | Plan::Withheld(_) => None,
    };
    // Spam never reaches decide in the pipeline; machine mail keeps its own reason.
    let withheld = match &plan {
        Plan::Withheld(w) => Some(w.reason.as_str()),
        _ if judgement.spam.is_some() => Some("spam"),
        _ => None,
    };
    ClassifyRecord {
        file: file.display().to_string(),
        category: c.category.clone(),
        rule: c.rule.clone(),
        language: Some(mail.language.tag().to_string()),
        automated: verdict.automated.map(|k| k.as_str().to_string()),
        action: Some(c.action.as_str().to_string()),
        reply: template.is_some(),
        template,
        subject: Some(mail.subject.clone()),
        charset: Some(mail.charset.clone()),
        lossy: mail.lossy,
        model_category: c.model.as_ref().map(|m| m.category.clone()),
        model_confidence: c.model.as_ref().map(|m| (m.confidence * 1000.0).round() / 1000.0),
        model_agrees: c.model.as_ref().map(|m| (m.decided * 1000.0).round() / 1000.0),
        score: c.score,
        held: c.held.clone(),
        suggested: c.suggested,
        tags: c.tags.clone(),
        error: None,
        verdict: Some(VerdictRecord {
            spam: judgement.spam.clone(),
            authentication: judgement.authentication.clone(),
            policy: settings.trust.effective_policy().as_str(),
            withheld,
            ignored: judgement.ignored.clone(),
        }),
    }
}

fn error_record(file: &Path, error: String) -> ClassifyRecord {
    ClassifyRecord {
        file: file.display().to_string(),
        category: None,
        rule: None,
        language: None,
        automated: None,
        action: None,
        reply: false,
        template: None,
        subject: None,
        charset: None,
        lossy: false,
        model_category: None,
        model_confidence: None,
        model_agrees: None,
        score: 0.0,
        held: None,
        suggested: false,
        tags: Arc::default(),
        error: Some(error),
        verdict: None,
    }
}

fn print_line(r: &ClassifyRecord) -> Result<(), Failure> {
    if let Some(error) = &r.error {
        outln!("{}: quarantine ({error})", r.file);
        return Ok(());
    }
    outln!(
        "{}: {} rule={} lang={} automated={} action={} reply={} withheld={}",
        r.file,
        r.category.as_deref().unwrap_or("-"),
        r.rule.as_deref().unwrap_or("-"),
        r.language.as_deref().unwrap_or("-"),
        r.automated.as_deref().unwrap_or("no"),
        r.action.as_deref().unwrap_or("-"),
        r.template.as_deref().unwrap_or("none"),
        r.verdict.as_ref().and_then(|v| v.withheld).unwrap_or("no"),
    );
    Ok(())
}

/// The verdict part of `--explain`: what was believed, what was not, and what it does.
fn print_verdict(j: &Judgement, settings: &Settings, r: &ClassifyRecord) -> Result<(), Failure> {
    let trust = &settings.trust;
    let ids = if trust.authserv_ids.is_empty() { "none".to_string() } else { trust.authserv_ids.join(", ") };
    outln!("  verdict:   trusted authserv-ids: {ids}; policy {}", trust.effective_policy().as_str());
    match &j.spam {
        Some(why) => outln!("    spam:    yes, {why}: to the spam folder, no ticket"),
        None => outln!("    spam:    no trusted filter says spam"),
    }
    match &j.authentication {
        Authentication::Unchecked(why) => outln!("    authentication: not checked ({why})"),
        Authentication::Pass(why) => outln!("    authentication: pass ({why})"),
        Authentication::Fail(why) => outln!("    authentication: fail ({why})"),
    }
    for ignored in &j.ignored {
        outln!("    ignored: {ignored}");
    }
    let outcome = match (r.verdict.as_ref().and_then(|v| v.withheld), &r.template) {
        (Some(reason), _) => format!("no automatic mail (withheld: {reason})"),
        (None, Some(template)) => format!("automatic mail `{template}` for a new ticket"),
        (None, None) => "no automatic mail".to_string(),
    };
    outln!("  automatic mail: {outcome}");
    outln!();
    Ok(())
}

fn print_explanation(
    file: &Path,
    mail: &Inbound,
    verdict: &Verdict,
    c: &Classification,
    trials: &[Trial],
) -> Result<(), Failure> {
    outln!("{}", file.display());
    outln!("  from:      {} ({})", mail.from_address, mail.from_name);
    outln!("  subject:   {}", mail.subject);
    outln!(
        "  language:  {}   charset: {}{}",
        mail.language.tag(),
        mail.charset,
        if mail.lossy { " (lossy)" } else { "" }
    );
    outln!("  new text:  {}", first_chars(&mail.new_text, 120));
    match verdict.automated {
        Some(kind) => outln!("  screen:    machine mail, {} ({})", kind.as_str(), verdict.reason),
        None => outln!("  screen:    written by a person"),
    }
    outln!("  rules tried, in priority order:");
    for t in trials {
        let status = match (&t.skipped, t.matched) {
            (Some(why), _) => format!("skipped: {why}"),
            (None, true) => "MATCHED".to_string(),
            (None, false) => "no match".to_string(),
        };
        let score = if t.matched { format!(" (score {})", t.score) } else { String::new() };
        outln!("    {:>5} {:<24} {status}{score}", t.priority, t.rule);
        for e in &t.evidence {
            outln!("          on {}: {}", e.field, e.matched.join(", "));
        }
    }
    // Every rule that holds, in the order they were weighed: highest score first, then the
    // lower priority number.
    let mut held: Vec<&Trial> = trials.iter().filter(|t| t.matched && t.skipped.is_none()).collect();
    held.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.priority.cmp(&b.priority)));
    if !held.is_empty() {
        let order: Vec<String> = held.iter().map(|t| format!("{} ({})", t.rule, t.score)).collect();
        outln!("  weighed:   {}", order.join(" > "));
    }
    match &c.rule {
        Some(rule) => outln!(
            "  decision:  rule `{rule}` wins ({}): category {}, action {}",
            why_it_won(rule, &held),
            c.category.as_deref().unwrap_or("-"),
            c.action.as_str()
        ),
        None if c.suggested => outln!(
            "  decision:  no rule matched; the second opinion suggests {} (acknowledged, never answered)",
            c.category.as_deref().unwrap_or("-")
        ),
        None => outln!(
            "  decision:  no rule matched: category {}, action {}",
            c.category.as_deref().unwrap_or("none"),
            c.action.as_str()
        ),
    }
    Ok(())
}

/// Why the deciding rule won: the highest score, or the second opinion's preference for it
/// over a rule that scored higher.
fn why_it_won(rule: &str, weighed: &[&Trial]) -> String {
    match weighed.first() {
        Some(top) if top.rule != rule => {
            format!("the second opinion prefers its category to `{}`, which scored higher", top.rule)
        }
        _ => "highest score, then lowest priority".to_string(),
    }
}

/// The second opinion: its top categories and the words that weighed most.
fn print_model(
    rules: &crate::rules::RuleSet,
    mail: &Inbound,
    verdict: &Verdict,
    c: &Classification,
) -> Result<(), Failure> {
    if let Some(held) = &c.held {
        outln!("  held back: {held}; the acknowledgement goes out and a person answers");
    }
    let Some(model) = rules.model() else {
        outln!("  second opinion: none (no examples beside the rules)");
        return Ok(());
    };
    if verdict.is_automated() {
        return Ok(());
    }
    let after_thanks = rules.question_after_thanks(mail, verdict);
    let read = after_thanks.clone().unwrap_or_else(|| rules.text_as_read(mail, verdict));
    let e = model.explain(&read, mail.language, 8);
    let top: Vec<String> = e.prediction.ranked().iter().take(3).map(|(c, p)| format!("{c} {p:.2}")).collect();
    outln!(
        "  second opinion ({} examples, {} model): {}",
        model.examples(),
        model.reads_with(mail.language),
        top.join(", ")
    );
    if let Some(question) = &after_thanks {
        outln!(
            "    read alone: the question after thanks for a settled matter, \"{}\"",
            first_chars(question, 60)
        );
    }
    let words: Vec<String> = e.words.iter().map(|(w, x)| format!("{w} {x:+.1}")).collect();
    outln!("    weighed most: {}", words.join(", "));
    Ok(())
}

fn first_chars(text: &str, n: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = flat.chars().take(n).collect();
    if cut.len() < flat.len() { format!("{cut}…") } else { cut }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(rule: &str, score: f32) -> Trial {
        Trial { rule: rule.into(), priority: 0, matched: true, score, evidence: Vec::new(), skipped: None }
    }

    #[test]
    fn the_explanation_names_the_second_opinion_when_it_chose_a_lower_scoring_rule() {
        let (locked, reset) = (trial("account-locked", 3.0), trial("password-reset", 4.75));
        let weighed = [&reset, &locked];
        assert_eq!(why_it_won("password-reset", &weighed), "highest score, then lowest priority");
        assert_eq!(
            why_it_won("account-locked", &weighed),
            "the second opinion prefers its category to `password-reset`, which scored higher"
        );
    }
}
