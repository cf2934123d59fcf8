//! Compose (part of the decide stage): renders a reply template in the customer's language
//! and builds the outgoing RFC 5322 mail — our Message-ID, In-Reply-To and References, the
//! ticket tag once in the subject, `Auto-Submitted: auto-replied`, and no CR or LF from
//! customer input in any header.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
pub mod check;
pub mod promise;
pub mod when;

use minijinja::{AutoEscape, Environment};
use rand::Rng;
use regex::Regex;
use serde::Serialize;

use crate::parse::Language;

/// A template problem, with the file it is in.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read the templates directory {dir}: {source}")]
    Dir { dir: PathBuf, source: std::io::Error },
    #[error("{file}:{line}: {message}")]
    Syntax { file: PathBuf, line: usize, message: String },
    #[error("no template `{name}` for {language} or its fallbacks in {dir}")]
    Missing { name: String, language: String, dir: PathBuf },
    #[error("cannot render template `{name}`: {source}")]
    Render { name: String, source: minijinja::Error },
}

/// The loaded templates of a directory: `NAME.LANG.j2` files with `subject`, `text` and
/// optional `html` blocks.
pub struct Templates {
    env: Environment<'static>,
    dir: PathBuf,
    names: BTreeSet<String>,
}

/// A rendered template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// What templates can use.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TemplateContext {
    pub customer_name: String,
    pub customer_address: String,
    pub ticket: i64,
    pub tag: String,
    pub category: String,
    pub subject: String,
    /// When the customer's message arrived and when a person's answer is due, as the
    /// reader reads times: `12月8日（周二）15:00（北京时间）`, `Tuesday 8 December, 15:00 (UTC+8)`.
    pub received: String,
    pub due: String,
    /// The response time of the message's rule in words (`4 hours`, `24个工作小时`), for
    /// "reply and we answer within …".
    pub sla: String,
    /// Only business hours count towards the response time.
    pub business_hours: bool,
    /// The deadline passed before this mail was written: apologise, name no time.
    pub late: bool,
    /// The promise in one or two sentences built from the above ("We will answer within 4
    /// hours, by …", or an apology when `late`); see [`promise::sentence`].
    pub promise: String,
    pub support_name: String,
    pub support_address: String,
    /// For staff notices: time left before the SLA deadline, and whether it has passed.
    pub time_left: String,
    pub breached: bool,
    /// For staff notices: the customer's new text, and why the ticket needs a person.
    pub text: String,
    pub reason: String,
}

/// A time as an English reader reads it: `Tuesday 8 December, 15:00 (UTC+8)`; see
/// [`when::local`] for the reader's language.
pub fn local_time(t: jiff::Timestamp, zone: &jiff::tz::TimeZone) -> String {
    when::local(t, zone, Language::En)
}

impl Templates {
    /// Loads and compiles every `*.j2` file of `dir`; any syntax error is reported.
    pub fn load(dir: &Path) -> Result<Templates, Vec<TemplateError>> {
        let entries = std::fs::read_dir(dir)
            .map_err(|source| vec![TemplateError::Dir { dir: dir.to_path_buf(), source }])?;
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with("#html") { AutoEscape::Html } else { AutoEscape::None }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        let mut names = BTreeSet::new();
        let mut errors = Vec::new();
        let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        paths.sort();
        for path in paths.into_iter().filter(|p| p.extension().is_some_and(|x| x == "j2")) {
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()).map(str::to_string) else {
                continue;
            };
            let source = match std::fs::read_to_string(&path) {
                Ok(s) => s,
                Err(source) => {
                    errors.push(TemplateError::Dir { dir: path.clone(), source });
                    continue;
                }
            };
            for name in [stem.clone(), format!("{stem}#html")] {
                if let Err(e) = env.add_template_owned(name, source.clone()) {
                    errors.push(TemplateError::Syntax {
                        file: path.clone(),
                        line: e.line().unwrap_or(0),
                        message: e.to_string(),
                    });
                    break;
                }
            }
            if let Some((name, _lang)) = stem.rsplit_once('.') {
                names.insert(name.to_string());
            }
        }
        if errors.is_empty() { Ok(Templates { env, dir: dir.to_path_buf(), names }) } else { Err(errors) }
    }

    /// Whether a template of this name exists in some language.
    pub fn exists(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// Renders `name` in `language`, falling back zh-Hant -> zh-Hans -> en.
    pub fn render(
        &self,
        name: &str,
        language: Language,
        ctx: &TemplateContext,
    ) -> Result<Rendered, TemplateError> {
        let file = fallbacks(language)
            .iter()
            .map(|lang| format!("{name}.{lang}"))
            .find(|f| self.env.get_template(f).is_ok())
            .ok_or_else(|| TemplateError::Missing {
                name: name.into(),
                language: language.tag().into(),
                dir: self.dir.clone(),
            })?;
        let err = |source| TemplateError::Render { name: file.clone(), source };
        let blocks = |template_name: &str, names: &[&str]| -> Result<Vec<String>, TemplateError> {
            let template = self.env.get_template(template_name).map_err(err)?;
            let mut captured = template.render_captured(ctx).map_err(err)?;
            captured
                .with_state_mut(|state| names.iter().map(|n| state.render_block(n).map_err(err)).collect())
        };
        let plain = blocks(&file, &["subject", "text"])?;
        let (subject, text) = (one_line(&plain[0]), plain[1].clone());
        let html = blocks(&format!("{file}#html"), &["html"])
            .ok()
            .and_then(|b| b.into_iter().next())
            .filter(|h| !h.trim().is_empty());
        Ok(Rendered { subject, text, html })
    }
}

fn fallbacks(language: Language) -> &'static [&'static str] {
    match language {
        Language::ZhHant => &["zh-Hant", "zh-Hans", "en"],
        Language::ZhHans => &["zh-Hans", "en"],
        Language::En | Language::Other => &["en"],
    }
}

/// Text safe for a header: no CR, LF or other control characters, whitespace folded.
pub fn header_safe(text: &str) -> String {
    text.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn one_line(text: &str) -> String {
    header_safe(text)
}

static TAGS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s*\[#\d{1,12}\]\s*").expect("tag regex"));
static REPLY_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*((re|aw|sv|fw|fwd|回复|回覆|答复|答覆|转发|轉寄)\s*(\[\d+\])?\s*[:：]\s*)+")
        .expect("reply prefix regex")
});

/// The subject of our mail: one `Re: `, the customer's words, the ticket tag once.
pub fn tagged_subject(rendered: &str, tag: &str) -> String {
    let untagged = TAGS.replace_all(&header_safe(rendered), " ").trim().to_string();
    match REPLY_PREFIX.find(&untagged) {
        Some(prefix) => format!("Re: {} {tag}", untagged[prefix.end()..].trim()),
        None => format!("{untagged} {tag}"),
    }
    .trim()
    .to_string()
}

/// A fresh Message-ID of our domain, without angle brackets: 48 bits of the time in
/// milliseconds, then 80 random bits (the layout of a version 7 UUID). Time first, so each new
/// id sorts after the last and the outbox's unique index on it grows at its end: with random
/// ids every mail dirtied a page somewhere in that index, and at a million stored mails a pass
/// of 1,000 wrote about 700 of its pages back instead of a handful.
pub fn new_message_id(domain: &str) -> String {
    let millis = jiff::Timestamp::now().as_millisecond() as u64 & ((1 << 48) - 1);
    let random: u128 = rand::rng().random::<u128>() & ((1 << 80) - 1);
    format!("{millis:012x}{random:020x}@{}", header_safe(domain).replace(' ', ""))
}

/// Everything an outgoing mail needs besides the rendered template.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    pub from_name: &'a str,
    pub from_address: &'a str,
    pub to_name: &'a str,
    pub to_address: &'a str,
    pub message_id: &'a str,
    /// The customer's Message-ID we answer, if any.
    pub in_reply_to: Option<&'a str>,
    /// The customer's References chain.
    pub references: &'a [String],
    pub subject: &'a str,
    /// Machine-written (acknowledgements, answers, notices): marked `Auto-Submitted:
    /// auto-replied` and `X-Auto-Response-Suppress: All`. A person's reply is not (RFC 3834).
    pub automatic: bool,
}

/// Why an outgoing mail could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("bad address `{0}`")]
    Address(String),
    #[error("cannot build the mail: {0}")]
    Build(#[from] lettre::error::Error),
}

/// Builds the raw bytes of an automatic reply.
pub fn build(env: &Envelope<'_>, body: &Rendered) -> Result<Vec<u8>, BuildError> {
    let from = mailbox(env.from_name, env.from_address)?;
    let mut builder = lettre::Message::builder()
        .from(from.clone())
        .reply_to(from)
        .to(mailbox(env.to_name, env.to_address)?)
        .subject(header_safe(env.subject))
        .message_id(Some(format!("<{}>", id_safe(env.message_id))));
    if env.automatic {
        builder = builder.header(AutoSubmitted).header(AutoResponseSuppress);
    }
    if let Some(parent) = env.in_reply_to {
        builder = builder.in_reply_to(format!("<{}>", id_safe(parent)));
        let chain: Vec<String> = env
            .references
            .iter()
            .map(String::as_str)
            .chain([parent])
            .map(|id| format!("<{}>", id_safe(id)))
            .collect();
        builder = builder.references(chain.join(" "));
    }
    let message = match &body.html {
        Some(html) => {
            builder.multipart(MultiPart::alternative_plain_html(body.text.clone(), html.clone()))?
        }
        None => builder.singlepart(SinglePart::plain(body.text.clone()))?,
    };
    Ok(message.formatted())
}

fn mailbox(name: &str, address: &str) -> Result<Mailbox, BuildError> {
    let address = address.trim().parse().map_err(|_| BuildError::Address(header_safe(address)))?;
    let name = header_safe(name);
    Ok(Mailbox::new((!name.is_empty()).then_some(name), address))
}

/// A Message-ID reduced to characters that cannot break a header.
fn id_safe(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>')).collect()
}

#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-replied".into())
    }
}

#[derive(Debug, Clone, Copy)]
struct AutoResponseSuppress;

impl Header for AutoResponseSuppress {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Auto-Response-Suppress")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoResponseSuppress)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "All".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_gets_one_re_and_one_tag() {
        assert_eq!(tagged_subject("Re: Re: [#4] Refund [#4]", "[#4]"), "Re: Refund [#4]");
        assert_eq!(tagged_subject("Re: 回复: 退款", "[#9]"), "Re: 退款 [#9]");
        assert_eq!(tagged_subject("SLA warning", "[#1]"), "SLA warning [#1]");
    }

    #[test]
    fn header_safe_strips_cr_lf() {
        assert_eq!(header_safe("Hi\r\nBcc: evil@x.test"), "Hi Bcc: evil@x.test");
    }

    #[test]
    fn new_message_ids_are_unique_and_sort_in_the_order_they_were_made() {
        let ids: Vec<String> = (0..3)
            .map(|_| {
                std::thread::sleep(std::time::Duration::from_millis(2));
                new_message_id("example.test")
            })
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, ids);
        sorted.dedup();
        assert_eq!(sorted.len(), 3);
        assert!(ids.iter().all(|id| id.len() == 32 + "@example.test".len() && id.ends_with("@example.test")));
    }

    fn envelope<'a>(subject: &'a str, to_name: &'a str, refs: &'a [String]) -> Envelope<'a> {
        Envelope {
            from_name: "OKPay Support",
            from_address: "support@example.test",
            to_name,
            to_address: "ann@customer.test",
            message_id: "abc@example.test",
            in_reply_to: Some("q1@customer.test"),
            references: refs,
            subject,
            automatic: true,
        }
    }

    fn rendered() -> Rendered {
        Rendered { subject: String::new(), text: "您好".into(), html: Some("<p>您好</p>".into()) }
    }

    #[test]
    fn built_mail_has_threading_and_loop_headers() {
        let refs = vec!["q0@customer.test".to_string()];
        let raw = build(&envelope("Re: 退款 [#1]", "王小明", &refs), &rendered()).unwrap();
        let mail = crate::parse::parse(&raw).unwrap();
        assert_eq!(mail.message_id.as_deref(), Some("abc@example.test"));
        assert_eq!(mail.in_reply_to, vec!["q1@customer.test"]);
        assert_eq!(mail.references, vec!["q0@customer.test", "q1@customer.test"]);
        assert_eq!(mail.subject, "Re: 退款 [#1]");
        assert_eq!(mail.header("auto-submitted").as_deref(), Some("auto-replied"));
        assert_eq!(mail.header("x-auto-response-suppress").as_deref(), Some("All"));
        assert!(mail.body.contains("您好"));
        assert!(mail.mime_type == "multipart/alternative");
    }

    #[test]
    fn injected_headers_do_not_get_through() {
        let refs = vec!["x@y>\r\nBcc: evil@x.test".to_string()];
        let raw =
            build(&envelope("Re: x\r\nBcc: evil@x.test", "Eve\r\nBcc: evil@x.test", &refs), &rendered())
                .unwrap();
        let head = String::from_utf8_lossy(&raw);
        let head = head.split("\r\n\r\n").next().unwrap();
        assert!(!head.lines().any(|l| l.to_ascii_lowercase().starts_with("bcc:")), "{head}");
    }
}
