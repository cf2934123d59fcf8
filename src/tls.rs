//! TLS client configuration shared by IMAP and SMTP: the public web PKI roots, or only the
//! configured CA when one is given. Certificates are always verified.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the CA file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the CA file {path} holds no usable certificate")]
    NoCertificate { path: String },
    #[error("cannot set up TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The CA certificates of a PEM file.
pub fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let shown = path.display().to_string();
    let pem = std::fs::read(path).map_err(|source| TlsError::Read { path: shown.clone(), source })?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_slice()).filter_map(Result::ok).collect();
    if certs.is_empty() {
        return Err(TlsError::NoCertificate { path: shown });
    }
    Ok(certs)
}

/// A rustls client configuration trusting `ca_file` alone, or the public roots.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let mut roots = RootCertStore::empty();
    match ca_file {
        Some(path) => {
            for cert in read_certificates(path)? {
                roots.add(cert)?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A hint for a TLS handshake that failed because the server answered in plain text (it
/// expects STARTTLS on this port): rustls calls that a corrupt message.
pub fn mismatch_hint(error: &str, mode: crate::config::TlsMode) -> &'static str {
    let plain_text_answer = error.contains("corrupt message") || error.contains("InvalidContentType");
    if mode == crate::config::TlsMode::Implicit && plain_text_answer {
        "; the server answered in plain text: it expects STARTTLS on this port, set tls = \"starttls\""
    } else {
        ""
    }
}
