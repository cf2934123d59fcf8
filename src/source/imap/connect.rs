//! Source stage, IMAP connection: TCP, then implicit TLS, STARTTLS after the greeting, or plain
//! text, then LOGIN; certificates verified (`crate::tls`).

use std::fmt::Debug;

use async_imap::{Client, Session};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::imap_err;
use crate::config::{Server, TlsMode};
use crate::source::SourceError;

/// Any byte stream IMAP can run over (TCP or TLS over TCP).
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Stream for T {}

/// A logged-in IMAP session over either stream.
pub(super) type ImapSession = Session<Box<dyn Stream>>;

/// Connects and logs in according to the server's TLS mode.
pub(super) async fn connect(server: &Server) -> Result<ImapSession, SourceError> {
    let target = format!("{}:{}", server.host, server.port);
    let tcp = TcpStream::connect(&target)
        .await
        .map_err(|e| SourceError::Connect { target: target.clone(), source: e.into() })?;
    // Commands are small and answered one by one: without this, delayed ACKs add ~40 ms.
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Stream> = match server.tls {
        TlsMode::Implicit => Box::new(tls_wrap(server, tcp).await?),
        TlsMode::StartTls => {
            let mut client = Client::new(tcp);
            greeting(&mut client, &target).await?;
            client.run_command_and_check_ok("STARTTLS", None).await.map_err(imap_err("STARTTLS"))?;
            Box::new(tls_wrap(server, client.into_inner()).await?)
        }
        TlsMode::None => Box::new(tcp),
    };
    let mut client = Client::new(stream);
    if server.tls != TlsMode::StartTls {
        greeting(&mut client, &target).await?;
    }
    let user = server.username.clone().unwrap_or_default();
    let password = server.password.as_ref().map(|p| p.expose().to_string()).unwrap_or_default();
    client
        .login(&user, &password)
        .await
        .map_err(|(source, _)| SourceError::Imap { doing: format!("LOGIN as {user}"), source })
}

async fn greeting<T: Stream>(client: &mut Client<T>, target: &str) -> Result<(), SourceError> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => {
            Err(SourceError::Connect { target: target.into(), source: "closed before the greeting".into() })
        }
        Err(e) => Err(SourceError::Connect { target: target.into(), source: e.into() }),
    }
}

async fn tls_wrap(
    server: &Server,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, SourceError> {
    let target = format!("{}:{}", server.host, server.port);
    let fail = |source: Box<dyn std::error::Error + Send + Sync>| SourceError::Connect {
        target: target.clone(),
        source,
    };
    let config = crate::tls::client_config(server.ca_file.as_deref()).map_err(|e| fail(e.into()))?;
    let name = rustls::pki_types::ServerName::try_from(server.tls_name.clone())
        .map_err(|e| fail(format!("bad server name: {e}").into()))?;
    tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        // The hint follows the TLS error it explains, so both are one message.
        .map_err(|e| {
            fail(format!("TLS: {e}{}", crate::tls::mismatch_hint(&e.to_string(), server.tls)).into())
        })
}
