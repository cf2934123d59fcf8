//! What a mail promises, worded from the real deadline: the rule's response time, the
//! business-hours clock and the time the mail is written. A mail never says "within 24
//! hours" for a 4-hour rule, never pairs "within 24 hours" with a deadline that business
//! hours put days away, and never names a deadline that has already passed (it apologises).

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::TemplateContext;
use super::when;
use crate::parse::Language;

/// How long after receipt "within N hours" (counted from receipt) still reads true to the
/// customer; a mail written later names only the deadline.
const PROMPT: SignedDuration = SignedDuration::from_mins(30);

/// The deadline of the customer's message a mail is about.
#[derive(Debug, Clone)]
pub struct Deadline {
    /// When the message arrived.
    pub received: Timestamp,
    /// When a person's answer to it is due.
    pub due: Timestamp,
    /// The response time of the message's rule (or the configured one).
    pub budget: SignedDuration,
    /// Whether only business hours count towards `budget`.
    pub business_hours: bool,
}

/// The promise of a mail, before it is put in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Promise<'a> {
    /// The deadline passed before the mail was written: apologise, name no time.
    Late,
    /// An answer by `due`; `within` the response time, when it still reads true.
    By { due: &'a str, within: Option<&'a str>, business_hours: bool },
}

/// The promise as one or two sentences in `language`, to follow "we have received your
/// message" in a template.
pub fn sentence(promise: Promise<'_>, language: Language) -> String {
    match (language, promise) {
        (Language::ZhHans, Promise::Late) => "很抱歉，我们未能在承诺的时间内回复您。我们会尽快为您处理。".into(),
        (Language::ZhHans, Promise::By { due, within: Some(within), business_hours: false }) => {
            format!("我们将在{within}内回复您，最迟不晚于{due}。")
        }
        (Language::ZhHans, Promise::By { due, business_hours: false, .. }) => format!("我们将在{due}前回复您。"),
        (Language::ZhHans, Promise::By { due, business_hours: true, .. }) => {
            format!("我们在工作时间处理咨询，将在{due}前回复您。")
        }
        (Language::ZhHant, Promise::Late) => "很抱歉，我們未能在承諾的時間內回覆您。我們會盡快為您處理。".into(),
        (Language::ZhHant, Promise::By { due, within: Some(within), business_hours: false }) => {
            format!("我們將於{within}內回覆您，最遲不晚於{due}。")
        }
        (Language::ZhHant, Promise::By { due, business_hours: false, .. }) => format!("我們將於{due}前回覆您。"),
        (Language::ZhHant, Promise::By { due, business_hours: true, .. }) => {
            format!("我們於服務時間處理來信，將於{due}前回覆您。")
        }
        (Language::En | Language::Other, Promise::Late) => {
            "We are sorry that we have not answered as quickly as we promise. We will answer as soon as we can.".into()
        }
        (Language::En | Language::Other, Promise::By { due, within: Some(within), business_hours: false }) => {
            format!("We will answer within {within}, by {due} at the latest.")
        }
        (Language::En | Language::Other, Promise::By { due, business_hours: false, .. }) => {
            format!("We will answer by {due} at the latest.")
        }
        (Language::En | Language::Other, Promise::By { due, business_hours: true, .. }) => {
            format!("We work during business hours and will answer by {due} at the latest.")
        }
    }
}

impl TemplateContext {
    /// Fills the time fields for a reader of `language` of a mail written at `now` about a
    /// message with this deadline: `received` and `due` as that reader reads times, `sla` (the
    /// response time in words, for "reply and we answer within …"), `business_hours`, `late`
    /// and `promise` (the sentence built from them).
    pub fn with_deadline(
        self,
        deadline: &Deadline,
        zone: &TimeZone,
        now: Timestamp,
        language: Language,
    ) -> TemplateContext {
        let due = when::local(deadline.due, zone, language);
        let sla = when::duration(deadline.budget, deadline.business_hours, language);
        let late = deadline.due <= now;
        let prompt = now.duration_since(deadline.received) <= PROMPT;
        let promise = if late {
            Promise::Late
        } else {
            let within = (prompt && !deadline.business_hours).then_some(sla.as_str());
            Promise::By { due: &due, within, business_hours: deadline.business_hours }
        };
        TemplateContext {
            received: when::local(deadline.received, zone, language),
            promise: sentence(promise, language),
            due,
            sla,
            business_hours: deadline.business_hours,
            late,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Language::{En, ZhHans, ZhHant};

    #[test]
    fn the_promise_reads_in_every_language() {
        let due = "D";
        let by = |within, business_hours| Promise::By { due, within, business_hours };
        let table = [
            (by(Some("4小时"), false), ZhHans, "我们将在4小时内回复您，最迟不晚于D。"),
            (by(None, false), ZhHans, "我们将在D前回复您。"),
            (by(None, true), ZhHans, "我们在工作时间处理咨询，将在D前回复您。"),
            (Promise::Late, ZhHans, "很抱歉，我们未能在承诺的时间内回复您。我们会尽快为您处理。"),
            (by(Some("4小時"), false), ZhHant, "我們將於4小時內回覆您，最遲不晚於D。"),
            (by(None, false), ZhHant, "我們將於D前回覆您。"),
            (by(None, true), ZhHant, "我們於服務時間處理來信，將於D前回覆您。"),
            (Promise::Late, ZhHant, "很抱歉，我們未能在承諾的時間內回覆您。我們會盡快為您處理。"),
            (by(Some("4 hours"), false), En, "We will answer within 4 hours, by D at the latest."),
            (by(None, false), En, "We will answer by D at the latest."),
            (by(None, true), En, "We work during business hours and will answer by D at the latest."),
        ];
        for (promise, language, want) in table {
            assert_eq!(sentence(promise, language), want, "{promise:?} {language:?}");
        }
        assert!(sentence(Promise::Late, En).starts_with("We are sorry"));
    }

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").unwrap()
    }

    fn at(instant: &str) -> Timestamp {
        instant.parse().unwrap()
    }

    fn filled(deadline: &Deadline, now: &str, language: Language) -> TemplateContext {
        TemplateContext::default().with_deadline(deadline, &shanghai(), at(now), language)
    }

    #[test]
    fn a_four_hour_rule_promises_four_hours_and_its_deadline() {
        // Monday 7 December 2026, 09:00 in Shanghai.
        let received = at("2026-12-07T01:00:00Z");
        let deadline = Deadline {
            received,
            due: at("2026-12-07T05:00:00Z"),
            budget: SignedDuration::from_hours(4),
            business_hours: false,
        };
        let ctx = filled(&deadline, "2026-12-07T01:00:05Z", ZhHans);
        assert_eq!(ctx.promise, "我们将在4小时内回复您，最迟不晚于12月7日（周一）13:00（北京时间）。");
        assert_eq!(ctx.sla, "4小时");
        assert_eq!(ctx.received, "12月7日（周一）09:00（北京时间）");
        assert!(!ctx.late && !ctx.business_hours);
        let en = filled(&deadline, "2026-12-07T01:00:05Z", En);
        assert_eq!(
            en.promise,
            "We will answer within 4 hours, by Monday 7 December, 13:00 (UTC+8) at the latest."
        );
    }

    #[test]
    fn regression_business_hours_never_pair_24_hours_with_a_deadline_days_away() {
        // Thursday 10 December 2026, 19:54 in Shanghai, with mon-fri 09:00-18:00: 24 working
        // hours run out on Tuesday at 15:00.
        let deadline = Deadline {
            received: at("2026-12-10T11:54:00Z"),
            due: at("2026-12-15T07:00:00Z"),
            budget: SignedDuration::from_hours(24),
            business_hours: true,
        };
        let ctx = filled(&deadline, "2026-12-10T11:54:10Z", En);
        assert_eq!(
            ctx.promise,
            "We work during business hours and will answer by Tuesday 15 December, 15:00 (UTC+8) at the latest."
        );
        assert_eq!(ctx.sla, "24 working hours");
        let hant = filled(&deadline, "2026-12-10T11:54:10Z", ZhHant);
        assert!(!hant.promise.contains("24"), "{}", hant.promise);
        assert!(hant.promise.contains("12月15日（週二）15:00（北京時間）"), "{}", hant.promise);
    }

    #[test]
    fn a_mail_written_long_after_receipt_names_only_the_deadline() {
        let deadline = Deadline {
            received: at("2026-12-07T01:00:00Z"),
            due: at("2026-12-08T01:00:00Z"),
            budget: SignedDuration::from_hours(24),
            business_hours: false,
        };
        let ctx = filled(&deadline, "2026-12-07T07:00:00Z", ZhHans);
        assert_eq!(ctx.promise, "我们将在12月8日（周二）09:00（北京时间）前回复您。");
        assert!(!ctx.late);
    }

    #[test]
    fn a_late_mail_apologises_and_names_no_past_time() {
        let deadline = Deadline {
            received: at("2026-12-07T01:00:00Z"),
            due: at("2026-12-07T05:00:00Z"),
            budget: SignedDuration::from_hours(4),
            business_hours: false,
        };
        for language in [ZhHans, ZhHant, En] {
            let ctx = filled(&deadline, "2026-12-07T05:00:00Z", language);
            assert!(ctx.late, "{language:?}");
            assert!(!ctx.promise.contains("13:00") && !ctx.promise.contains('4'), "{}", ctx.promise);
            assert!(ctx.promise.contains("抱歉") || ctx.promise.contains("sorry"), "{}", ctx.promise);
        }
    }
}
