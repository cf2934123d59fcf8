//! Verdict stage, between screen and decide: what the receiving servers judged of a mail
//! (SPF, DKIM and DMARC in `Authentication-Results`, a spam filter's fields), read only where
//! our own servers wrote it, and whether that lets the sender get automatic mail. This is
//! apart from the loop policy of `screen`: a mail withheld here is still a customer's mail,
//! gets a ticket and a person (spam aside, which waits in the Spam folder for `deskmail spam`),
//! only never an automatic answer, so deskmail does not mail strangers whose address was forged
//! (backscatter).
//!
//! Pure: header fields and settings in, a [`Judgement`] out.

pub mod authres;
pub mod boundary;
mod policy;
pub mod spam;

use serde::Serialize;

use crate::parse::Inbound;

/// Who may get automatic mail, by the receiving server's authentication results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// DMARC passes; or, with no DMARC result, SPF or DKIM passes for the From domain.
    #[default]
    Aligned,
    /// DMARC passes.
    Dmarc,
    /// Automatic mail whatever the authentication results.
    Off,
}

impl Policy {
    pub fn parse(name: &str) -> Option<Policy> {
        Some(match name {
            "aligned" => Policy::Aligned,
            "dmarc" => Policy::Dmarc,
            "off" => Policy::Off,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Aligned => "aligned",
            Policy::Dmarc => "dmarc",
            Policy::Off => "off",
        }
    }
}

/// The `[trust]` settings.
#[derive(Debug, Clone, Default)]
pub struct TrustSettings {
    /// Host names our servers write after `by` in `Received` (lower-case); empty: the server
    /// of the topmost `Received` field.
    pub servers: Vec<String>,
    /// The authserv-ids whose `Authentication-Results` are read (lower-case).
    pub authserv_ids: Vec<String>,
    /// The configured policy; it applies only with at least one trusted authserv-id.
    pub policy: Policy,
    /// A spam score at or above this is spam, whatever the filter's own flag says.
    pub spam_threshold: Option<f64>,
}

impl TrustSettings {
    /// The policy in force: off when no authserv-id is trusted, since then no result can be
    /// believed (see `deskmail.example.toml`, `[trust]`).
    pub fn effective_policy(&self) -> Policy {
        if self.authserv_ids.is_empty() { Policy::Off } else { self.policy }
    }
}

/// What the receiving servers said, as far as it is believed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judgement {
    /// Why the mail is spam (the trusted filter field that says so); `None`: not spam.
    pub spam: Option<String>,
    pub authentication: Authentication,
    /// Verdict fields that were not believed, each with the reason.
    pub ignored: Vec<String>,
}

/// The authentication verdict under the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "why", rename_all = "lowercase")]
pub enum Authentication {
    /// The policy is off: automatic mail does not depend on authentication.
    Unchecked(String),
    /// The sender may get automatic mail: which result allowed it.
    Pass(String),
    /// No automatic mail: which result (or the lack of one) says so.
    Fail(String),
}

/// Why automatic mail is withheld from a mail that would otherwise get it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WithheldReason {
    Spam,
    Authentication,
}

impl WithheldReason {
    pub fn as_str(self) -> &'static str {
        match self {
            WithheldReason::Spam => "spam",
            WithheldReason::Authentication => "authentication",
        }
    }
}

/// Automatic mail withheld, with the reason and the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Withheld {
    pub reason: WithheldReason,
    pub why: String,
}

impl Judgement {
    /// Whether (and why) this mail may get no automatic mail: spam first, then authentication.
    pub fn withheld(&self) -> Option<Withheld> {
        if let Some(why) = &self.spam {
            return Some(Withheld { reason: WithheldReason::Spam, why: why.clone() });
        }
        match &self.authentication {
            Authentication::Fail(why) => {
                Some(Withheld { reason: WithheldReason::Authentication, why: why.clone() })
            }
            Authentication::Pass(_) | Authentication::Unchecked(_) => None,
        }
    }

    /// One line for logs, the database and `deskmail show`.
    pub fn summary(&self) -> String {
        let auth = match &self.authentication {
            Authentication::Unchecked(why) => format!("authentication not checked ({why})"),
            Authentication::Pass(why) => format!("authentication pass ({why})"),
            Authentication::Fail(why) => format!("authentication fail ({why})"),
        };
        match &self.spam {
            Some(why) => format!("spam ({why}); {auth}"),
            None => auth,
        }
    }
}

/// The verdict fields of a header, gathered in one pass (most mails have none but
/// `Received`, which is read only when another verdict field needs the boundary).
#[derive(Default)]
struct Fields<'m> {
    received: Vec<(usize, &'m str)>,
    auth_results: Vec<(usize, &'m str)>,
    spam: Vec<(usize, &'static str, &'m str)>,
}

impl<'m> Fields<'m> {
    fn of(mail: &'m Inbound) -> Fields<'m> {
        let mut found = Fields::default();
        // Values are checked for UTF-8 only when their name is wanted: most fields are not.
        let text = |value| std::str::from_utf8(value).ok();
        for (index, (name, value)) in mail.headers.iter().enumerate() {
            if name.eq_ignore_ascii_case(b"received") {
                found.received.extend(text(value).map(|v| (index, v)));
            } else if name.eq_ignore_ascii_case(b"authentication-results") {
                found.auth_results.extend(text(value).map(|v| (index, v)));
            } else if name.len() >= 6
                && name[..6].eq_ignore_ascii_case(b"x-spam")
                && let Some(field) = spam::FIELDS.iter().find(|f| name.eq_ignore_ascii_case(f.as_bytes()))
            {
                found.spam.extend(text(value).map(|v| (index, *field, v)));
            }
        }
        found
    }
}

/// Judges one mail under `settings`.
pub fn judge(mail: &Inbound, settings: &TrustSettings) -> Judgement {
    let fields = Fields::of(mail);
    let policy = settings.effective_policy();
    let mut ignored = Vec::new();
    if fields.auth_results.is_empty() && fields.spam.is_empty() {
        let authentication = policy::authenticate(&[], mail.from_domain(), policy, settings);
        return Judgement { spam: None, authentication, ignored };
    }
    let zone = boundary::zone(fields.received.iter().copied(), &settings.servers);
    let spam = spam_verdict(&fields, zone.end, settings.spam_threshold, &mut ignored);
    let mut trusted = Vec::new();
    for &(index, value) in &fields.auth_results {
        let Some(results) = authres::parse(value) else { continue };
        if !settings.authserv_ids.contains(&results.authserv_id) {
            ignored.push(format!(
                "Authentication-Results of {}: not a trusted authserv-id",
                results.authserv_id
            ));
        } else if index >= zone.end {
            ignored.push(format!(
                "Authentication-Results of {}: below our servers' Received fields ({}), so written outside",
                results.authserv_id,
                zone.servers.join(", ")
            ));
        } else {
            trusted.push(results);
        }
    }
    let authentication = policy::authenticate(&trusted, mail.from_domain(), policy, settings);
    Judgement { spam, authentication, ignored }
}

/// The first trusted filter field that calls the mail spam; untrusted ones are noted.
fn spam_verdict(
    fields: &Fields<'_>,
    end: usize,
    threshold: Option<f64>,
    ignored: &mut Vec<String>,
) -> Option<String> {
    let mut verdict = None;
    for &(index, field, value) in &fields.spam {
        let Some(reading) = spam::read(field, value) else { continue };
        if index >= end {
            ignored.push(format!(
                "{}: below our servers' Received fields, so written outside",
                reading.describe()
            ));
        } else if verdict.is_none() && reading.is_spam(threshold) {
            verdict = Some(match threshold {
                Some(t) if reading.score.is_some() => format!("{} (threshold {t})", reading.describe()),
                _ => reading.describe(),
            });
        }
    }
    verdict
}

#[cfg(test)]
mod tests;
