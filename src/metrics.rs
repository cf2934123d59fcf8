//! Metrics: counters the daemon keeps while it works, and an optional HTTP endpoint on
//! localhost serving them in Prometheus text format (`/metrics`) with a health check
//! (`/healthz`: 200 while the last successful poll is recent, 503 otherwise). The endpoint
//! answers GET only and reads the database on a blocking thread.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::pipeline::Outcome;
use crate::store::Store;

/// Counters since the daemon started.
#[derive(Debug, Default)]
pub struct Counters {
    received: AtomicU64,
    quarantined: AtomicU64,
    loops_suppressed: AtomicU64,
    automatic_sent: AtomicU64,
    per_category: Mutex<BTreeMap<String, u64>>,
}

/// The daemon's counters.
pub static COUNTERS: std::sync::LazyLock<Counters> = std::sync::LazyLock::new(Counters::default);

impl Counters {
    /// Counts one processed mail.
    pub fn observe(&self, outcome: &Outcome) {
        self.received.fetch_add(1, Ordering::Relaxed);
        match outcome {
            Outcome::Quarantined { .. } => {
                self.quarantined.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Processed(report) => {
                if report.automated.is_some() {
                    self.loops_suppressed.fetch_add(1, Ordering::Relaxed);
                }
                if let Some(category) = &report.category {
                    let mut map = self.per_category.lock().unwrap_or_else(|p| p.into_inner());
                    *map.entry(category.clone()).or_default() += 1;
                }
            }
            Outcome::Duplicate | Outcome::OwnCopy { .. } => {}
        }
    }

    /// Counts automatic mail handed to the transport.
    pub fn sent(&self, count: usize) {
        self.automatic_sent.fetch_add(count as u64, Ordering::Relaxed);
    }
}

/// Gauges read from the database at scrape time.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Gauges {
    pub outbox_depth: i64,
    pub sla_breaches: i64,
    pub seconds_since_last_poll: Option<i64>,
}

/// Reads the gauges.
pub fn gauges(store: &Store, now: i64) -> Gauges {
    let outbox_depth = store
        .outbox_counts()
        .map(|c| c.iter().filter(|(s, _)| s == "pending" || s == "sending").map(|(_, n)| n).sum())
        .unwrap_or(0);
    let sla_breaches = store
        .waiting_tickets()
        .map(|t| t.iter().filter(|t| t.first_response_due <= now).count() as i64)
        .unwrap_or(0);
    let last = store.state("last_poll_ok").ok().flatten().and_then(|v| v.parse::<i64>().ok());
    Gauges { outbox_depth, sla_breaches, seconds_since_last_poll: last.map(|t| now - t) }
}

/// The Prometheus text exposition of the counters and gauges.
pub fn render(counters: &Counters, gauges: &Gauges) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, lines: Vec<(String, String)>| {
        out.push_str(&format!("# HELP deskmail_{name} {help}\n# TYPE deskmail_{name} {kind}\n"));
        for (labels, value) in lines {
            out.push_str(&format!("deskmail_{name}{labels} {value}\n"));
        }
    };
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
    metric(
        "mail_received_total",
        "counter",
        "Mail taken from the mailbox.",
        vec![(String::new(), load(&counters.received))],
    );
    let per_category = counters.per_category.lock().unwrap_or_else(|p| p.into_inner());
    metric(
        "mail_classified_total",
        "counter",
        "Mail classified, per category.",
        per_category
            .iter()
            .map(|(c, n)| (format!("{{category=\"{}\"}}", c.replace('"', "")), n.to_string()))
            .collect(),
    );
    metric(
        "automatic_mail_sent_total",
        "counter",
        "Automatic mail handed to the SMTP server.",
        vec![(String::new(), load(&counters.automatic_sent))],
    );
    metric(
        "loops_suppressed_total",
        "counter",
        "Machine mail that got no automatic answer.",
        vec![(String::new(), load(&counters.loops_suppressed))],
    );
    metric(
        "quarantined_total",
        "counter",
        "Mail quarantined.",
        vec![(String::new(), load(&counters.quarantined))],
    );
    metric(
        "outbox_depth",
        "gauge",
        "Outgoing mail not yet sent.",
        vec![(String::new(), gauges.outbox_depth.to_string())],
    );
    metric(
        "sla_breaches",
        "gauge",
        "Open tickets past their first-response deadline.",
        vec![(String::new(), gauges.sla_breaches.to_string())],
    );
    if let Some(seconds) = gauges.seconds_since_last_poll {
        metric(
            "seconds_since_last_poll",
            "gauge",
            "Seconds since the last successful poll.",
            vec![(String::new(), seconds.to_string())],
        );
    }
    out
}

/// Serves `/metrics` and `/healthz` on `listener` until the process ends. `stale_after` is
/// how old the last successful poll may be for `/healthz` to say ok.
pub async fn serve(listener: TcpListener, database: PathBuf, stale_after: Duration) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else { continue };
        let database = database.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            let n = match tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buf)).await {
                Ok(Ok(n)) => n,
                _ => return,
            };
            let request = String::from_utf8_lossy(&buf[..n]);
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
            let response = tokio::task::spawn_blocking(move || respond(&path, &database, stale_after))
                .await
                .unwrap_or_else(|_| (500, "internal error\n".into()));
            let (code, body) = response;
            let reason = match code {
                200 => "OK",
                404 => "Not Found",
                503 => "Service Unavailable",
                _ => "Internal Server Error",
            };
            let head = format!(
                "HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(body.as_bytes()).await;
        });
    }
}

fn respond(path: &str, database: &std::path::Path, stale_after: Duration) -> (u16, String) {
    let now = jiff::Timestamp::now().as_second();
    let Ok(store) = Store::open(database) else { return (503, "database unavailable\n".into()) };
    let gauges = gauges(&store, now);
    match path {
        "/metrics" => (200, render(&COUNTERS, &gauges)),
        "/healthz" => match gauges.seconds_since_last_poll {
            Some(age) if age <= stale_after.as_secs() as i64 => (200, format!("ok: last poll {age} s ago\n")),
            Some(age) => (503, format!("stale: last poll {age} s ago\n")),
            None => (503, "no successful poll yet\n".into()),
        },
        _ => (404, "try /metrics or /healthz\n".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_every_metric() {
        let counters = Counters::default();
        counters.received.store(3, Ordering::Relaxed);
        counters.per_category.lock().unwrap().insert("refund".into(), 2);
        let text =
            render(&counters, &Gauges { outbox_depth: 1, sla_breaches: 0, seconds_since_last_poll: Some(5) });
        for needle in [
            "deskmail_mail_received_total 3",
            "deskmail_mail_classified_total{category=\"refund\"} 2",
            "deskmail_automatic_mail_sent_total 0",
            "deskmail_loops_suppressed_total 0",
            "deskmail_quarantined_total 0",
            "deskmail_outbox_depth 1",
            "deskmail_sla_breaches 0",
            "deskmail_seconds_since_last_poll 5",
        ] {
            assert!(text.contains(needle), "{needle} missing in\n{text}");
        }
    }
}
