//! Send stage, SMTP: lettre's SMTP client (`AsyncSmtpConnection`) on sockets opened here with
//! TCP_NODELAY, reused through a small pool — implicit TLS, STARTTLS, or plain text on loopback
//! only — and AUTH when a username is configured. Certificates are verified against the public
//! roots, or only against the configured CA.
//!
//! Why not lettre's `AsyncSmtpTransport`: it opens its sockets without TCP_NODELAY and writes a
//! message and its final "." in two writes, so every transaction waited ~40 ms for the server's
//! delayed ACK (Nagle); it offers no way to set the option. The SMTP dialogue (EHLO, STARTTLS,
//! AUTH, MAIL/RCPT/DATA, dot-stuffing) is still lettre's.

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::SendError;
use super::pool::Pool;
use crate::config::{Server, TlsMode};

/// Connecting, the greeting, TLS, EHLO and AUTH together.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// One mail: MAIL, RCPT, DATA and the server's answer to the final "." (RFC 5321 §4.5.3.2
/// allows the server up to 10 minutes for that answer; 5 is plenty for a reply).
const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(300);
/// The NOOP that checks a parked connection before it is reused.
const NOOP_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection unused this long is closed rather than reused (servers drop idle clients).
const MAX_IDLE: Duration = Duration::from_secs(60);

/// An SMTP relay.
pub struct SmtpTransport {
    host: String,
    port: u16,
    security: Security,
    hello: ClientId,
    credentials: Option<Credentials>,
    idle: Pool<AsyncSmtpConnection>,
}

/// How a connection is protected.
enum Security {
    /// Plain text (config allows it on loopback only).
    None,
    /// Upgraded with STARTTLS after the greeting, by lettre.
    StartTls(TlsParameters),
    /// TLS from the first byte: lettre only wraps sockets it opens itself, so tokio-rustls does
    /// the handshake here, with the same verification as IMAP (`crate::tls`).
    Implicit { connector: tokio_rustls::TlsConnector, name: ServerName<'static> },
}

/// Why the SMTP transport could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SmtpSetupError {
    #[error("cannot set up TLS for {host}: {reason}")]
    Tls { host: String, reason: String },
}

impl SmtpTransport {
    pub fn new(server: &Server) -> Result<SmtpTransport, SmtpSetupError> {
        let credentials = server.username.as_ref().map(|user| {
            let password = server.password.as_ref().map(|p| p.expose().to_string()).unwrap_or_default();
            Credentials::new(user.clone(), password)
        });
        Ok(SmtpTransport {
            host: server.host.clone(),
            port: server.port,
            security: security(server)?,
            hello: ClientId::default(),
            credentials,
            idle: Pool::new(super::CONCURRENCY, MAX_IDLE),
        })
    }

    /// Sends `raw` to every address of `to` in one transaction, on a reused connection when
    /// one is parked. A connection is parked again only if lettre has not given up on it (it
    /// closes a connection after any failed command).
    pub async fn send(&self, from: &str, to: &[&str], raw: &[u8]) -> Result<(), SendError> {
        let envelope = envelope(from, to)?;
        let mut conn = self.connection().await?;
        let result = timeout(TRANSACTION_TIMEOUT, conn.send(&envelope, raw)).await.map_err(|_| {
            SendError::Temporary(format!("{}: no answer within {TRANSACTION_TIMEOUT:?}", self.target()))
        })?;
        if !conn.has_broken() {
            self.idle.put(conn);
        }
        result.map(|_| ()).map_err(classify)
    }

    /// For `deskmail check-config`: connects, greets, upgrades to TLS and authenticates as
    /// sending would, then quits without naming a mail.
    pub async fn check(&self) -> Result<(), SendError> {
        let mut conn = timeout(CONNECT_TIMEOUT, self.connect()).await.map_err(|_| {
            SendError::Temporary(format!("{}: no connection within {CONNECT_TIMEOUT:?}", self.target()))
        })??;
        let _ = timeout(NOOP_TIMEOUT, conn.quit()).await;
        Ok(())
    }

    /// A parked connection that still answers NOOP (the server may have closed it), or a new
    /// one.
    async fn connection(&self) -> Result<AsyncSmtpConnection, SendError> {
        while let Some(mut conn) = self.idle.take() {
            if timeout(NOOP_TIMEOUT, conn.test_connected()).await.unwrap_or(false) {
                return Ok(conn);
            }
        }
        timeout(CONNECT_TIMEOUT, self.connect()).await.map_err(|_| {
            SendError::Temporary(format!("{}: no connection within {CONNECT_TIMEOUT:?}", self.target()))
        })?
    }

    /// Opens a connection: TCP with TCP_NODELAY, TLS, greeting and EHLO, STARTTLS, AUTH.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let tcp = self.socket().await?;
        let stream: Box<dyn AsyncTokioStream> = match &self.security {
            Security::Implicit { connector, name } => {
                let tls = connector.connect(name.clone(), tcp).await.map_err(|e| {
                    let hint = crate::tls::mismatch_hint(&e.to_string(), crate::config::TlsMode::Implicit);
                    SendError::Temporary(format!("TLS with {}: {e}{hint}", self.target()))
                })?;
                Box::new(TlsSocket(tls))
            }
            Security::StartTls(_) | Security::None => Box::new(tcp),
        };
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
            .await
            .map_err(|e| self.setup_failure("greeting", e))?;
        if let Security::StartTls(params) = &self.security {
            conn.starttls(params.clone(), &self.hello)
                .await
                .map_err(|e| self.setup_failure("STARTTLS", e))?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await.map_err(|e| self.setup_failure("AUTH", e))?;
        }
        Ok(conn)
    }

    /// A refusal before any mail is named (the greeting, STARTTLS, AUTH — a wrong password
    /// says 535) is about the server or our configuration, not about the mail: it is retried
    /// with backoff and logged, never a reason to give up on a customer's answer.
    fn setup_failure(&self, stage: &str, e: lettre::transport::smtp::Error) -> SendError {
        SendError::Temporary(format!("{} refused at {stage}: {e}", self.target()))
    }

    /// A TCP connection to the server with TCP_NODELAY set.
    async fn socket(&self) -> Result<TcpStream, SendError> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| SendError::Temporary(format!("cannot connect to {}: {e}", self.target())))?;
        // Each write goes out at once: lettre sends a message and its final "." separately,
        // and with Nagle the "." waited for the server's delayed ACK (~40 ms per mail).
        tcp.set_nodelay(true).map_err(|e| SendError::Temporary(format!("TCP_NODELAY: {e}")))?;
        Ok(tcp)
    }

    fn target(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// The TLS settings of `server`; certificates are always verified.
fn security(server: &Server) -> Result<Security, SmtpSetupError> {
    let tls_error = |reason: String| SmtpSetupError::Tls { host: server.host.clone(), reason };
    match server.tls {
        TlsMode::None => Ok(Security::None),
        TlsMode::StartTls => {
            let mut params = TlsParameters::builder(server.tls_name.clone());
            if let Some(ca) = &server.ca_file {
                let pem = std::fs::read(ca).map_err(|e| tls_error(format!("{}: {e}", ca.display())))?;
                let cert = Certificate::from_pem(&pem).map_err(|e| tls_error(e.to_string()))?;
                params = params
                    .add_root_certificate(cert)
                    .certificate_store(lettre::transport::smtp::client::CertificateStore::None);
            }
            let params = params.build_rustls().map_err(|e| tls_error(e.to_string()))?;
            Ok(Security::StartTls(params))
        }
        TlsMode::Implicit => {
            let config =
                crate::tls::client_config(server.ca_file.as_deref()).map_err(|e| tls_error(e.to_string()))?;
            let name = ServerName::try_from(server.tls_name.clone())
                .map_err(|e| tls_error(format!("bad server name {}: {e}", server.tls_name)))?;
            Ok(Security::Implicit { connector: tokio_rustls::TlsConnector::from(config), name })
        }
    }
}

fn envelope(from: &str, to: &[&str]) -> Result<Envelope, SendError> {
    let recipients = to
        .iter()
        .map(|t| t.parse().map_err(|e| SendError::Permanent(format!("bad recipient {t}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let sender = from.parse().map_err(|e| SendError::Permanent(format!("bad sender {from}: {e}")))?;
    Envelope::new(Some(sender), recipients).map_err(|e| SendError::Permanent(e.to_string()))
}

/// A 5xx answer is permanent; everything else (4xx, network, TLS, timeouts) is retried.
fn classify(e: lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() { SendError::Permanent(e.to_string()) } else { SendError::Temporary(e.to_string()) }
}

/// An implicit-TLS socket in the shape lettre takes (`AsyncTokioStream`).
#[derive(Debug)]
struct TlsSocket(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncTokioStream for TlsSocket {
    fn peer_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for TlsSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsSocket {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    use super::*;

    /// What the scripted server does after it has read a mail.
    #[derive(Clone, Copy, PartialEq)]
    enum AfterMail {
        /// Answers 250 and waits for the next command.
        Answer,
        /// Answers 250 and closes the connection (an idle timeout, a restart).
        AnswerAndClose,
        /// Closes the connection without an answer (a crash mid-transaction).
        HangUp,
    }

    #[derive(Default)]
    struct Counts {
        connections: AtomicUsize,
        mails: AtomicUsize,
    }

    /// A scripted SMTP server on loopback, for what a real one cannot be made to do on cue.
    /// Recipients whose address starts with "unknown" are refused with a 550.
    async fn scripted_server(after_mail: AfterMail) -> (u16, Arc<Counts>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let counts = Arc::new(Counts::default());
        let shared = Arc::clone(&counts);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(socket, after_mail, Arc::clone(&shared)));
            }
        });
        (port, counts)
    }

    async fn serve(socket: TcpStream, after_mail: AfterMail, counts: Arc<Counts>) -> std::io::Result<()> {
        let mut socket = BufReader::new(socket);
        socket.write_all(b"220 scripted ESMTP\r\n").await?;
        let mut line = String::new();
        loop {
            line.clear();
            if socket.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.to_ascii_uppercase();
            let answer: &[u8] = if command.starts_with("EHLO") {
                b"250-scripted\r\n250 8BITMIME\r\n"
            } else if command.starts_with("RCPT TO:<UNKNOWN") {
                b"550 5.1.1 no such user\r\n"
            } else if command.starts_with("DATA") {
                socket.write_all(b"354 go on\r\n").await?;
                while line != ".\r\n" {
                    line.clear();
                    if socket.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                }
                counts.mails.fetch_add(1, Ordering::SeqCst);
                if after_mail == AfterMail::HangUp {
                    return Ok(());
                }
                socket.write_all(b"250 2.0.0 queued\r\n").await?;
                if after_mail == AfterMail::AnswerAndClose {
                    return Ok(());
                }
                continue;
            } else if command.starts_with("QUIT") {
                socket.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                b"250 ok\r\n"
            };
            socket.write_all(answer).await?;
        }
    }

    fn transport(port: u16) -> SmtpTransport {
        SmtpTransport::new(&Server {
            host: "127.0.0.1".into(),
            port,
            tls: TlsMode::None,
            username: None,
            password: None,
            ca_file: None,
            tls_name: "127.0.0.1".into(),
        })
        .unwrap()
    }

    async fn send(transport: &SmtpTransport, to: &str) -> Result<(), SendError> {
        transport.send("support@example.test", &[to], b"Subject: hi\r\n\r\nHello.\r\n").await
    }

    #[tokio::test]
    async fn one_connection_carries_mail_after_mail() {
        let (port, counts) = scripted_server(AfterMail::Answer).await;
        let transport = transport(port);
        for _ in 0..5 {
            send(&transport, "ann@customer.test").await.unwrap();
        }
        assert_eq!(counts.mails.load(Ordering::SeqCst), 5);
        assert_eq!(counts.connections.load(Ordering::SeqCst), 1);
        assert_eq!(transport.idle.len(), 1);
    }

    #[tokio::test]
    async fn mail_in_flight_at_once_uses_one_connection_each_and_parks_them() {
        use futures::StreamExt;
        let (port, counts) = scripted_server(AfterMail::Answer).await;
        let transport = transport(port);
        for _ in 0..3 {
            let sent: Vec<_> = futures::stream::iter(0..super::super::CONCURRENCY)
                .map(|_| send(&transport, "ann@customer.test"))
                .buffer_unordered(super::super::CONCURRENCY)
                .collect()
                .await;
            assert!(sent.iter().all(Result::is_ok), "{sent:?}");
        }
        assert_eq!(counts.mails.load(Ordering::SeqCst), 3 * super::super::CONCURRENCY);
        assert!(counts.connections.load(Ordering::SeqCst) <= super::super::CONCURRENCY);
        assert!(transport.idle.len() <= super::super::CONCURRENCY);
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_is_replaced_without_failing_a_mail() {
        let (port, counts) = scripted_server(AfterMail::AnswerAndClose).await;
        let transport = transport(port);
        for _ in 0..3 {
            send(&transport, "ann@customer.test").await.unwrap();
        }
        assert_eq!(counts.mails.load(Ordering::SeqCst), 3);
        assert_eq!(counts.connections.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_server_hanging_up_before_its_answer_is_a_temporary_failure_never_a_success() {
        let (port, counts) = scripted_server(AfterMail::HangUp).await;
        let transport = transport(port);
        let failed = send(&transport, "ann@customer.test").await;
        assert!(matches!(failed, Err(SendError::Temporary(_))), "{failed:?}");
        assert_eq!(transport.idle.len(), 0, "the broken connection is not parked");
        assert!(matches!(send(&transport, "ann@customer.test").await, Err(SendError::Temporary(_))));
        assert_eq!(counts.connections.load(Ordering::SeqCst), 2, "a new connection for the next mail");
    }

    #[tokio::test]
    async fn a_refused_recipient_is_permanent_and_the_next_mail_still_goes() {
        let (port, counts) = scripted_server(AfterMail::Answer).await;
        let transport = transport(port);
        let refused = send(&transport, "unknown@customer.test").await;
        assert!(matches!(&refused, Err(SendError::Permanent(e)) if e.contains("550")), "{refused:?}");
        send(&transport, "ann@customer.test").await.unwrap();
        assert_eq!(counts.mails.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn nobody_listening_is_a_temporary_failure() {
        let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        let failed = send(&transport(port), "ann@customer.test").await;
        assert!(matches!(&failed, Err(SendError::Temporary(e)) if e.contains("connect")), "{failed:?}");
    }

    #[tokio::test]
    async fn a_server_refusing_the_session_is_a_temporary_failure_not_a_lost_mail() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            socket.write_all(b"554 5.3.2 no service for you\r\n").await.unwrap();
        });
        let failed = send(&transport(port), "ann@customer.test").await;
        assert!(matches!(&failed, Err(SendError::Temporary(e)) if e.contains("greeting")), "{failed:?}");
    }

    #[tokio::test]
    async fn sockets_are_opened_with_tcp_nodelay() {
        let (port, _) = scripted_server(AfterMail::Answer).await;
        assert!(transport(port).socket().await.unwrap().nodelay().unwrap());
    }
}
