//! Send stage, SMTP: lettre on tokio with rustls — implicit TLS, STARTTLS, or plain text on
//! loopback only — and AUTH when a username is configured. Certificates are verified against
//! the public roots, or only against the configured CA.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::SendError;
use crate::config::{Server, TlsMode};

/// An SMTP relay.
pub struct SmtpTransport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
}

/// Why the SMTP transport could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SmtpSetupError {
    #[error("cannot set up TLS for {host}: {reason}")]
    Tls { host: String, reason: String },
}

impl SmtpTransport {
    pub fn new(server: &Server) -> Result<SmtpTransport, SmtpSetupError> {
        let tls_error = |reason: String| SmtpSetupError::Tls { host: server.host.clone(), reason };
        let tls = match server.tls {
            TlsMode::None => Tls::None,
            mode => {
                let mut params = TlsParameters::builder(server.tls_name.clone());
                if let Some(ca) = &server.ca_file {
                    let pem = std::fs::read(ca).map_err(|e| tls_error(format!("{}: {e}", ca.display())))?;
                    let cert = Certificate::from_pem(&pem).map_err(|e| tls_error(e.to_string()))?;
                    params = params
                        .add_root_certificate(cert)
                        .certificate_store(lettre::transport::smtp::client::CertificateStore::None);
                }
                let params = params.build_rustls().map_err(|e| tls_error(e.to_string()))?;
                if mode == TlsMode::Implicit { Tls::Wrapper(params) } else { Tls::Required(params) }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.host.clone())
            .port(server.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(60)));
        if let Some(user) = &server.username {
            let password = server.password.as_ref().map(|p| p.expose().to_string()).unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(SmtpTransport { inner: builder.build() })
    }

    pub async fn send(&self, from: &str, to: &[&str], raw: &[u8]) -> Result<(), SendError> {
        let recipients = to
            .iter()
            .map(|t| t.parse().map_err(|e| SendError::Permanent(format!("bad recipient {t}: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let sender = from.parse().map_err(|e| SendError::Permanent(format!("bad sender {from}: {e}")))?;
        let envelope =
            Envelope::new(Some(sender), recipients).map_err(|e| SendError::Permanent(e.to_string()))?;
        match self.inner.send_raw(&envelope, raw).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Temporary(e.to_string())),
        }
    }
}
