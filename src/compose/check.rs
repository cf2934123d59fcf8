//! `deskmail rules check`, templates part: every template is compiled and rendered in strict
//! mode with a complete sample context, so an unknown variable or filter is found before a
//! customer would have met it; language tags are checked (`zh-hans` is not `zh-Hans`), and
//! the templates deskmail itself sends must exist, customer-facing ones in every language.
//! Every problem of every file is reported, as `file:line: message`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use minijinja::Environment;

use super::TemplateContext;

/// The languages customers are answered in; the last is every chain's final fallback.
pub const LANGUAGES: [&str; 3] = ["zh-Hans", "zh-Hant", "en"];

/// Templates deskmail sends on its own, and whether customers read them (then every
/// language is needed) or staff (English at least: every staff language falls back to it).
pub const REQUIRED: [(&str, bool); 5] = [
    ("ack", true),
    ("escalated", true),
    ("escalation_notice", false),
    ("sla_warning", false),
    ("follow_up_notice", false),
];

/// Templates only staff may receive: `deskmail reply` refuses to send them to a customer.
pub fn staff_only(name: &str) -> bool {
    REQUIRED.iter().any(|(n, customers)| *n == name && !customers)
}

/// One problem in a template file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// A context with every field set, as templates see it when deskmail sends them.
pub fn sample_context() -> TemplateContext {
    TemplateContext {
        customer_name: "王小明".into(),
        customer_address: "customer@example.test".into(),
        ticket: 42,
        tag: "[#42]".into(),
        category: "refund".into(),
        subject: "退款 refund".into(),
        received: "12月8日（周二）09:00（北京时间）".into(),
        due: "12月9日（周三）09:00（北京时间）".into(),
        sla: "24小时".into(),
        business_hours: false,
        late: false,
        promise: "我们将在24小时内回复您，最迟不晚于12月9日（周三）09:00（北京时间）。".into(),
        support_name: "Support".into(),
        support_address: "support@example.test".into(),
        time_left: "6小时".into(),
        breached: false,
        text: "我申请的退款还没有到账。".into(),
        reason: "the canned answer did not help".into(),
    }
}

/// The sample with every flag turned the other way, so both sides of a template's
/// `{% if late %}` (or `business_hours`, `breached`) are rendered too.
fn flipped_context() -> TemplateContext {
    let sample = sample_context();
    TemplateContext {
        business_hours: !sample.business_hours,
        late: !sample.late,
        breached: !sample.breached,
        promise: "很抱歉，我们未能在承诺的时间内回复您。我们会尽快为您处理。".into(),
        ..sample
    }
}

/// Every problem of the templates in `dir`. `used` names the templates rules send to
/// customers (answers), which need every language too.
pub fn check(dir: &Path, used: &BTreeSet<String>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![Problem {
            file: dir.to_path_buf(),
            line: 0,
            message: "cannot read the templates directory".into(),
        }];
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    let mut languages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in paths.iter().filter(|p| p.extension().is_some_and(|x| x == "j2")) {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        match stem.rsplit_once('.') {
            Some((name, lang)) => match language_problem(lang) {
                None => {
                    languages.entry(name.to_string()).or_default().insert(lang.to_string());
                }
                Some(message) => problems.push(Problem { file: path.clone(), line: 0, message }),
            },
            None => problems.push(Problem {
                file: path.clone(),
                line: 0,
                message: "a template is named NAME.LANG.j2 (LANG: zh-Hans, zh-Hant or en)".into(),
            }),
        }
        problems.extend(render_problems(path));
    }
    problems.extend(missing(dir, &languages, used));
    problems
}

/// What is wrong with a language tag, if anything, with the likely intent.
fn language_problem(lang: &str) -> Option<String> {
    if LANGUAGES.contains(&lang) {
        return None;
    }
    match LANGUAGES.iter().find(|l| l.eq_ignore_ascii_case(lang)) {
        Some(right) => Some(format!(
            "language `{lang}` is written `{right}` (with that case); as it is, these customers get another language"
        )),
        None => Some(format!("unknown language `{lang}` (zh-Hans, zh-Hant or en)")),
    }
}

/// Compiles the file and renders its blocks with the sample context, strictly.
fn render_problems(path: &Path) -> Vec<Problem> {
    let at = |line: Option<usize>, message: String| Problem {
        file: path.to_path_buf(),
        line: line.unwrap_or(0),
        message,
    };
    let source = match std::fs::read_to_string(path) {
        Ok(source) => source,
        Err(e) => return vec![at(None, format!("cannot read: {e}"))],
    };
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    if let Err(e) = env.add_template_owned("t".to_string(), source.clone()) {
        return vec![at(e.line(), detail(&e))];
    }
    let Ok(template) = env.get_template("t") else { return Vec::new() };
    let known = variable_names();
    let mut unknown: Vec<String> =
        template.undeclared_variables(false).into_iter().filter(|v| !known.contains(v)).collect();
    if !unknown.is_empty() {
        unknown.sort();
        return unknown
            .iter()
            .map(|name| {
                let line = source.lines().position(|l| l.contains(name.as_str())).map(|i| i + 1);
                at(line, format!("unknown variable `{name}` (the variables are: {})", known.join(", ")))
            })
            .collect();
    }
    let mut problems = Vec::new();
    for ctx in [sample_context(), flipped_context()] {
        let mut captured = match template.render_captured(&ctx) {
            Ok(captured) => captured,
            Err(e) => return vec![at(e.line(), detail(&e))],
        };
        for block in ["subject", "text"] {
            let result = captured.with_state_mut(|state| state.render_block(block));
            if let Err(e) = result {
                let missing_block = e.kind() == minijinja::ErrorKind::UnknownBlock;
                let message = if missing_block { format!("no `{block}` block") } else { detail(&e) };
                problems.push(at(e.line(), message));
            }
        }
        if source.contains("block html")
            && let Err(e) = captured.with_state_mut(|state| state.render_block("html"))
        {
            problems.push(at(e.line(), detail(&e)));
        }
        if !problems.is_empty() {
            break;
        }
    }
    problems
}

/// The variables templates can use: the fields of the context.
fn variable_names() -> Vec<String> {
    serde_json::to_value(sample_context())
        .ok()
        .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
        .unwrap_or_default()
}

/// minijinja's message with a hint for the usual slips.
fn detail(e: &minijinja::Error) -> String {
    let text = e.detail().map_or_else(|| e.kind().to_string(), |d| format!("{}: {d}", e.kind()));
    match e.kind() {
        minijinja::ErrorKind::UndefinedError => {
            format!("{text} (the variables are: {})", variable_names().join(", "))
        }
        minijinja::ErrorKind::UnknownFilter => format!("{text} (e.g. upper, lower, title, trim, default)"),
        _ => text,
    }
}

/// Required templates that are missing, and customer-facing templates without every
/// language.
fn missing(
    dir: &Path,
    languages: &BTreeMap<String, BTreeSet<String>>,
    used: &BTreeSet<String>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let needs = |name: &str, every_language: bool| -> Vec<&'static str> {
        let have = languages.get(name);
        let wanted: &[&str] = if every_language { &LANGUAGES } else { &["en"] };
        wanted.iter().copied().filter(|l| !have.is_some_and(|h| h.contains(*l))).collect()
    };
    let required = REQUIRED.iter().map(|(n, c)| (n.to_string(), *c));
    let answers = used.iter().filter(|u| !REQUIRED.iter().any(|(n, _)| n == *u)).map(|u| (u.clone(), true));
    for (name, customers) in required.chain(answers) {
        let absent = needs(&name, customers);
        if absent.is_empty() {
            continue;
        }
        let files: Vec<String> = absent.iter().map(|l| format!("{name}.{l}.j2")).collect();
        let why = if customers {
            "customers in that language would get another language's text"
        } else {
            "deskmail sends it to staff"
        };
        problems.push(Problem {
            file: dir.to_path_buf(),
            line: 0,
            message: format!("missing {} ({why})", files.join(", ")),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    const GOOD: &str = "{% block subject %}Re: {{ subject }}{% endblock %}{% block text %}Hello {{ customer_name }}{% endblock %}";

    fn complete() -> Vec<(String, String)> {
        let mut files = Vec::new();
        for (name, customers) in REQUIRED {
            let langs: &[&str] = if customers { &LANGUAGES } else { &["en"] };
            for lang in langs {
                files.push((format!("{name}.{lang}.j2"), GOOD.to_string()));
            }
        }
        files
    }

    fn check_with(extra: &[(&str, &str)], used: &[&str]) -> Vec<String> {
        let mut files = complete();
        files.extend(extra.iter().map(|(n, t)| (n.to_string(), t.to_string())));
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        let dir = dir_with(&refs);
        let used = used.iter().map(|s| s.to_string()).collect();
        check(dir.path(), &used)
            .iter()
            .map(|p| format!("{}:{}: {}", p.file.file_name().unwrap().to_string_lossy(), p.line, p.message))
            .collect()
    }

    #[test]
    fn a_complete_set_has_no_problem() {
        assert_eq!(check_with(&[], &[]), Vec::<String>::new());
    }

    #[test]
    fn an_unknown_variable_and_an_unknown_filter_are_found_with_their_line() {
        let problems = check_with(
            &[
                (
                    "refund.en.j2",
                    "{% block subject %}x{% endblock %}\n{% block text %}\n{{ ticket_number }}{% endblock %}",
                ),
                (
                    "refund.zh-Hans.j2",
                    "{% block subject %}{{ subject | uper }}{% endblock %}{% block text %}x{% endblock %}",
                ),
                ("refund.zh-Hant.j2", GOOD),
            ],
            &["refund"],
        );
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("refund.en.j2:3:") && p.contains("unknown variable `ticket_number`")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.starts_with("refund.zh-Hans.j2:1:") && p.contains("filter")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_lower_case_language_tag_and_a_missing_language_are_reported() {
        let problems = check_with(&[("fees.en.j2", GOOD), ("fees.zh-hans.j2", GOOD)], &["fees"]);
        assert!(
            problems.iter().any(|p| p.contains("fees.zh-hans.j2") && p.contains("`zh-Hans`")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("missing fees.zh-Hans.j2, fees.zh-Hant.j2")),
            "{problems:?}"
        );
    }

    #[test]
    fn the_templates_deskmail_sends_itself_are_required() {
        let dir = dir_with(&[("refund.en.j2", GOOD)]);
        let problems: Vec<String> =
            check(dir.path(), &BTreeSet::new()).iter().map(|p| p.message.clone()).collect();
        assert!(
            problems.iter().any(|p| p.contains("missing ack.zh-Hans.j2, ack.zh-Hant.j2, ack.en.j2")),
            "{problems:?}"
        );
        assert!(problems.iter().any(|p| p.contains("missing escalation_notice.en.j2")), "{problems:?}");
    }

    #[test]
    fn a_syntax_error_is_one_problem_with_its_line() {
        let problems = check_with(&[("x.en.j2", "{% block subject %}\n{{ subject }\n{% endblock %}")], &[]);
        assert_eq!(problems.iter().filter(|p| p.starts_with("x.en.j2")).count(), 1, "{problems:?}");
    }
}
