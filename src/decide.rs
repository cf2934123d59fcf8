//! Decide stage: from the screen's verdict, the classification and the threading, which
//! automatic mail (if any) goes to the customer. One mail at most per incoming mail: the
//! category answer, or the escalation notice, or the acknowledgement.

use crate::rules::{Action, Classification};
use crate::screen::Verdict;
use crate::verdict::Withheld;

/// The kind of an automatic mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MailKind {
    /// "We received your mail, ticket N, we answer by <the deadline>."
    Ack,
    /// The category answer of a rule.
    Answer,
    /// "A person is handling this with priority."
    Escalated,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Ack => "ack",
            MailKind::Answer => "answer",
            MailKind::Escalated => "escalated",
        }
    }
}

/// What to send, or why nothing is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Send {
        kind: MailKind,
        template: String,
    },
    Nothing {
        why: String,
    },
    /// A mail would go out but the receiving servers' verdict withholds it (spam, a failed
    /// authentication): the mail has its ticket and a person answers.
    Withheld(Withheld),
}

/// What the decision needs to know.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub verdict: &'a Verdict,
    pub classification: &'a Classification,
    pub new_ticket: bool,
    /// Automatic mails to this customer in the last 24 hours.
    pub sent_today: u32,
    pub max_per_day: u32,
    /// Set when the verdict stage withholds automatic mail from this sender.
    pub withheld: Option<&'a Withheld>,
}

/// Decides the automatic mail for one incoming mail.
pub fn plan(facts: Facts<'_>) -> Plan {
    let nothing = |why: String| Plan::Nothing { why };
    if let Some(kind) = facts.verdict.automated {
        return nothing(format!("machine mail ({}: {})", kind.as_str(), facts.verdict.reason));
    }
    if let Some(why) = &facts.verdict.no_automatic_mail {
        return nothing(format!("no automatic mail: {why}; a person answers"));
    }
    if !facts.new_ticket {
        return nothing("follow-up of an open ticket: a person answers".into());
    }
    let c = facts.classification;
    if c.action == Action::Ignore {
        return nothing(format!("rule {} says ignore", c.rule.as_deref().unwrap_or("-")));
    }
    if let Some(withheld) = facts.withheld {
        return Plan::Withheld(withheld.clone());
    }
    if facts.sent_today >= facts.max_per_day {
        return nothing(format!("rate limit: {} automatic mails in 24 hours", facts.sent_today));
    }
    let (kind, default_template) = match c.action {
        Action::Answer => (MailKind::Answer, "ack"),
        Action::Escalate => (MailKind::Escalated, "escalated"),
        _ => (MailKind::Ack, "ack"),
    };
    let template = match kind {
        MailKind::Ack => default_template.to_string(),
        _ => c.template.as_deref().unwrap_or(default_template).to_string(),
    };
    Plan::Send { kind, template }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Priority;
    use crate::screen::AutomatedKind;

    fn classification(action: Action, template: Option<&str>) -> Classification {
        Classification {
            category: Some("refund".into()),
            rule: Some("refund".into()),
            action,
            template: template.map(Into::into),
            priority: Priority::Normal,
            tags: Default::default(),
            sla: None,
            resolves: false,
            ..Classification::default()
        }
    }

    fn human() -> Verdict {
        Verdict::human()
    }

    fn facts<'a>(v: &'a Verdict, c: &'a Classification) -> Facts<'a> {
        Facts {
            verdict: v,
            classification: c,
            new_ticket: true,
            sent_today: 0,
            max_per_day: 3,
            withheld: None,
        }
    }

    #[test]
    fn answer_rule_sends_its_template() {
        let (v, c) = (human(), classification(Action::Answer, Some("refund")));
        assert_eq!(plan(facts(&v, &c)), Plan::Send { kind: MailKind::Answer, template: "refund".into() });
    }

    #[test]
    fn acknowledge_sends_ack() {
        let (v, c) = (human(), classification(Action::Acknowledge, None));
        assert_eq!(plan(facts(&v, &c)), Plan::Send { kind: MailKind::Ack, template: "ack".into() });
    }

    #[test]
    fn machine_mail_gets_nothing() {
        let v = Verdict::machine(AutomatedKind::Bounce, "x");
        let c = classification(Action::Answer, Some("refund"));
        assert!(matches!(plan(facts(&v, &c)), Plan::Nothing { .. }));
    }

    #[test]
    fn follow_ups_get_nothing() {
        let (v, c) = (human(), classification(Action::Answer, Some("refund")));
        let f = Facts { new_ticket: false, ..facts(&v, &c) };
        assert!(matches!(plan(f), Plan::Nothing { .. }));
    }

    #[test]
    fn a_withholding_verdict_stops_the_mail_but_machine_mail_and_follow_ups_keep_their_reason() {
        use crate::verdict::WithheldReason;
        let withheld = Withheld { reason: WithheldReason::Authentication, why: "dmarc=fail".into() };
        let (v, c) = (human(), classification(Action::Answer, Some("refund")));
        let f = Facts { withheld: Some(&withheld), ..facts(&v, &c) };
        assert_eq!(plan(f), Plan::Withheld(withheld.clone()));
        let f = Facts { withheld: Some(&withheld), new_ticket: false, ..facts(&v, &c) };
        assert!(matches!(plan(f), Plan::Nothing { .. }));
    }

    #[test]
    fn rate_limit() {
        let (v, c) = (human(), classification(Action::Acknowledge, None));
        let f = Facts { sent_today: 3, ..facts(&v, &c) };
        assert!(matches!(plan(f), Plan::Nothing { why } if why.starts_with("rate limit")));
    }
}
