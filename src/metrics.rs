//! Metrics: counters the daemon keeps while it works (`prometheus-client`; one [`Counters`]
//! made by `deskmail run` and handed to the daemon and the endpoint), and an optional HTTP
//! endpoint (axum) serving them in the OpenMetrics text format at `/metrics`, with a
//! health check at `/healthz` (200 while the last successful poll is recent, 503
//! otherwise). Gauges are read from the database at scrape time, read-only, on a blocking
//! thread.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::pipeline::Outcome;
use crate::store::Store;
use crate::verdict::WithheldReason;

/// The category label of `mail_classified_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CategoryLabel {
    category: String,
}

/// The reason label of `automatic_mail_withheld_total`: `spam` or `authentication`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

/// Counters since the daemon started, registered under the `deskmail_` prefix. Made once per
/// process and shared (`Arc`) by the daemon that counts and the endpoint that serves them.
#[derive(Debug)]
pub struct Counters {
    registry: Registry,
    received: Counter,
    quarantined: Counter,
    loops_suppressed: Counter,
    automatic_sent: Counter,
    withheld: Family<ReasonLabel, Counter>,
    per_category: Family<CategoryLabel, Counter>,
}

impl Default for Counters {
    fn default() -> Counters {
        let mut registry = Registry::with_prefix("deskmail");
        let received = Counter::default();
        let quarantined = Counter::default();
        let loops_suppressed = Counter::default();
        let automatic_sent = Counter::default();
        let per_category = Family::<CategoryLabel, Counter>::default();
        registry.register("mail_received", "Mail taken from the mailbox", received.clone());
        registry.register("mail_classified", "Mail classified, per category", per_category.clone());
        registry.register(
            "automatic_mail_sent",
            "Automatic mail handed to the SMTP server",
            automatic_sent.clone(),
        );
        let withheld = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "automatic_mail_withheld",
            "Mail that got no automatic mail by the receiving servers' verdict, per reason",
            withheld.clone(),
        );
        // Both series from the start, so that a rate over them never begins with a gap.
        for reason in [WithheldReason::Spam, WithheldReason::Authentication] {
            let _ = withheld.get_or_create(&ReasonLabel { reason: reason.as_str().into() });
        }
        registry.register(
            "loops_suppressed",
            "Machine mail that got no automatic answer",
            loops_suppressed.clone(),
        );
        registry.register("quarantined", "Mail quarantined", quarantined.clone());
        Counters { registry, received, quarantined, loops_suppressed, automatic_sent, withheld, per_category }
    }
}

impl Counters {
    /// Counts one processed mail.
    pub fn observe(&self, outcome: &Outcome) {
        self.received.inc();
        match outcome {
            Outcome::Quarantined { .. } => {
                self.quarantined.inc();
            }
            Outcome::Processed(report) => {
                if report.automated.is_some() {
                    self.loops_suppressed.inc();
                }
                if let Some(reason) = &report.withheld {
                    self.withheld.get_or_create(&ReasonLabel { reason: reason.clone() }).inc();
                }
                if let Some(category) = &report.category {
                    self.per_category.get_or_create(&CategoryLabel { category: category.to_string() }).inc();
                }
            }
            Outcome::Spam { .. } => {
                self.withheld
                    .get_or_create(&ReasonLabel { reason: WithheldReason::Spam.as_str().into() })
                    .inc();
            }
            Outcome::Duplicate | Outcome::OwnCopy { .. } => {}
        }
    }

    /// Counts automatic mail handed to the transport.
    pub fn sent(&self, count: usize) {
        self.automatic_sent.inc_by(count as u64);
    }
}

/// Gauges read from the database at scrape time.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Gauges {
    pub outbox_depth: i64,
    pub sla_breaches: i64,
    pub seconds_since_last_poll: Option<i64>,
    /// Tickets per state (every state, zero included).
    pub tickets: Vec<(crate::store::TicketStatus, i64)>,
    /// Automatic mails whose template could not be rendered (the acknowledgement, or
    /// nothing, went instead and a person took over), ever.
    pub template_failures: i64,
}

/// Reads the gauges.
pub fn gauges(store: &Store, now: i64) -> Gauges {
    let outbox_depth = store
        .outbox_counts()
        .map(|c| c.iter().filter(|(s, _)| s == "pending" || s == "sending").map(|(_, n)| n).sum())
        .unwrap_or(0);
    let sla_breaches =
        store.due_tickets().map(|t| t.iter().filter(|t| t.due <= now).count() as i64).unwrap_or(0);
    let last = store.state("last_poll_ok").ok().flatten().and_then(|v| v.parse::<i64>().ok());
    let counted = store.ticket_counts().unwrap_or_default();
    let tickets = crate::store::TicketStatus::ALL
        .iter()
        .map(|s| (*s, counted.iter().find(|(c, _)| c == s).map_or(0, |(_, n)| *n)))
        .collect();
    Gauges {
        outbox_depth,
        sla_breaches,
        seconds_since_last_poll: last.map(|t| now - t),
        tickets,
        template_failures: store.template_failures().unwrap_or(0),
    }
}

/// The OpenMetrics text exposition of the counters and gauges.
pub fn render(counters: &Counters, gauges: &Gauges) -> String {
    let mut scraped = Registry::with_prefix("deskmail");
    scraped.register("outbox_depth", "Outgoing mail not yet sent", ConstGauge::new(gauges.outbox_depth));
    scraped.register(
        "sla_breaches",
        "Open tickets past their first-response deadline",
        ConstGauge::new(gauges.sla_breaches),
    );
    for (state, count) in &gauges.tickets {
        scraped.sub_registry_with_label(("state".into(), state.as_str().into())).register(
            "tickets",
            "Tickets per state: needs_person (a customer waits for a person), waiting (for the customer), closed",
            ConstGauge::new(*count),
        );
    }
    scraped.register(
        "template_failures",
        "Automatic mails whose template failed: the acknowledgement went instead and a person took over",
        ConstGauge::new(gauges.template_failures),
    );
    if let Some(seconds) = gauges.seconds_since_last_poll {
        scraped.register(
            "seconds_since_last_poll",
            "Seconds since the last successful poll",
            ConstGauge::new(seconds),
        );
    }
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = encode_registry(&mut out, &counters.registry)
        .and_then(|()| encode_registry(&mut out, &scraped))
        .and_then(|()| encode_eof(&mut out));
    out
}

/// What the endpoint's handlers need.
#[derive(Clone)]
struct Endpoint {
    database: PathBuf,
    stale_after: Duration,
    counters: Arc<Counters>,
}

/// Serves `counters` at `/metrics` and `/healthz` on `listener` until the process ends.
/// `stale_after` is how old the last successful poll may be for `/healthz` to say ok.
pub async fn serve(listener: TcpListener, database: PathBuf, stale_after: Duration, counters: Arc<Counters>) {
    let app = axum::Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .route("/healthz", axum::routing::get(healthz))
        .fallback(|| async { (StatusCode::NOT_FOUND, "try /metrics or /healthz\n") })
        .with_state(Endpoint { database, stale_after, counters });
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(error = %e, "metrics endpoint stopped");
    }
}

async fn metrics(State(endpoint): State<Endpoint>) -> impl IntoResponse {
    match read_gauges(endpoint.database.clone()).await {
        Some(gauges) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
            render(&endpoint.counters, &gauges),
        ),
        None => unavailable(),
    }
}

async fn healthz(State(endpoint): State<Endpoint>) -> impl IntoResponse {
    let Some(gauges) = read_gauges(endpoint.database).await else { return unavailable() };
    let plain = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
    match gauges.seconds_since_last_poll {
        Some(age) if age <= endpoint.stale_after.as_secs() as i64 => {
            (StatusCode::OK, plain, format!("ok: last poll {age} s ago\n"))
        }
        Some(age) => (StatusCode::SERVICE_UNAVAILABLE, plain, format!("stale: last poll {age} s ago\n")),
        None => (StatusCode::SERVICE_UNAVAILABLE, plain, "no successful poll yet\n".into()),
    }
}

fn unavailable() -> (StatusCode, [(header::HeaderName, &'static str); 1], String) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "database unavailable\n".into(),
    )
}

/// The gauges, read on a blocking thread (rusqlite is blocking); `None` when the database
/// cannot be read.
async fn read_gauges(database: PathBuf) -> Option<Gauges> {
    tokio::task::spawn_blocking(move || {
        let store = Store::open_read_only(&database).ok()?;
        Some(gauges(&store, jiff::Timestamp::now().as_second()))
    })
    .await
    .ok()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_every_metric() {
        let counters = Counters::default();
        counters.received.inc_by(3);
        counters.per_category.get_or_create(&CategoryLabel { category: "refund".into() }).inc_by(2);
        let text = render(
            &counters,
            &Gauges {
                outbox_depth: 1,
                sla_breaches: 0,
                seconds_since_last_poll: Some(5),
                tickets: vec![(crate::store::TicketStatus::NeedsPerson, 4)],
                template_failures: 2,
            },
        );
        for needle in [
            "deskmail_mail_received_total 3",
            "deskmail_mail_classified_total{category=\"refund\"} 2",
            "deskmail_automatic_mail_sent_total 0",
            "deskmail_automatic_mail_withheld_total{reason=\"spam\"} 0",
            "deskmail_automatic_mail_withheld_total{reason=\"authentication\"} 0",
            "deskmail_loops_suppressed_total 0",
            "deskmail_quarantined_total 0",
            "deskmail_outbox_depth 1",
            "deskmail_sla_breaches 0",
            "deskmail_seconds_since_last_poll 5",
            "deskmail_tickets{state=\"needs_person\"} 4",
            "deskmail_template_failures 2",
        ] {
            assert!(text.contains(needle), "{needle} missing in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "one exposition, ended once:\n{text}");
        assert_eq!(text.matches("# EOF").count(), 1);
    }

    #[test]
    fn withheld_automatic_mail_is_counted_by_reason() {
        let counters = Counters::default();
        counters.observe(&Outcome::Spam {
            from: "a@b.test".into(),
            subject: "x".into(),
            verdict: "spam".into(),
        });
        let report = crate::pipeline::Report {
            ticket: Some(1),
            new_ticket: true,
            from: "a@b.test".into(),
            subject: "x".into(),
            category: None,
            rule: None,
            language: "en".into(),
            automated: None,
            action: "acknowledge".into(),
            reply: "none (withheld, authentication: dmarc=fail)".into(),
            withheld: Some("authentication".into()),
            verdict: "authentication fail (dmarc=fail)".into(),
        };
        counters.observe(&Outcome::Processed(report.clone()));
        counters.observe(&Outcome::Processed(report));
        let text = render(&counters, &Gauges::default());
        assert!(text.contains("deskmail_automatic_mail_withheld_total{reason=\"spam\"} 1"), "{text}");
        assert!(
            text.contains("deskmail_automatic_mail_withheld_total{reason=\"authentication\"} 2"),
            "{text}"
        );
        assert!(text.contains("deskmail_mail_received_total 3"), "{text}");
    }
}
