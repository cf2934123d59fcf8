//! The SMTP transport against the real Postfix: STARTTLS and implicit TLS with AUTH, an
//! unknown CA or a wrong name refused on both, mail after mail at the server's pace (no wait
//! for delayed ACKs), and a Postfix restart under a pooled connection.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::mailstack::MailStack;
use deskmail::config::{Secret, Server, TlsMode};
use deskmail::send::SendError;
use deskmail::send::smtp::SmtpTransport;

const WAIT: Duration = Duration::from_secs(60);

fn server(stack: &MailStack, port: u16, tls: TlsMode) -> Server {
    Server {
        host: stack.host.clone(),
        port,
        tls,
        username: Some("support@example.test".into()),
        password: Some(Secret::new(stack.password("support@example.test"))),
        ca_file: Some(stack.ca_cert.clone()),
        tls_name: stack.tls_name.clone(),
    }
}

fn mail(n: usize) -> Vec<u8> {
    format!(
        "From: support@example.test\r\nTo: alice@example.test\r\nSubject: test {n}\r\n\
         Message-ID: <smtp-test-{n}@example.test>\r\n\r\nHello {n}.\r\n"
    )
    .into_bytes()
}

async fn send(server: &Server, n: usize) -> Result<(), SendError> {
    SmtpTransport::new(server).unwrap().send("support@example.test", &["alice@example.test"], &mail(n)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_and_implicit_tls_with_auth_deliver_and_refuse_an_unknown_ca_or_a_wrong_name() {
    let stack = MailStack::start();
    let starttls = server(&stack, stack.submission_port, TlsMode::StartTls);
    let implicit = server(&stack, stack.smtps_port, TlsMode::Implicit);
    send(&starttls, 1).await.expect("STARTTLS on submission, AUTH");
    send(&implicit, 2).await.expect("implicit TLS on smtps, AUTH");
    stack.wait_for_count("alice@example.test", "INBOX", 2, WAIT).await;

    for (what, good) in [("STARTTLS", &starttls), ("implicit TLS", &implicit)] {
        let unknown_ca = Server { ca_file: None, ..good.clone() };
        let wrong_name = Server { tls_name: "smtp.wrong.example".into(), ..good.clone() };
        for (case, server) in [("an unknown CA", unknown_ca), ("a wrong name", wrong_name)] {
            match send(&server, 3).await {
                Err(SendError::Temporary(e)) => assert!(e.contains("certificate"), "{what}, {case}: {e}"),
                other => panic!("{what} with {case} must be refused: {other:?}"),
            }
        }
    }
    let ca = PathBuf::from("/nonexistent/ca.pem");
    assert!(SmtpTransport::new(&Server { ca_file: Some(ca.clone()), ..implicit }).is_err());
    assert!(SmtpTransport::new(&Server { ca_file: Some(ca), ..starttls }).is_err());
    assert_eq!(stack.count("alice@example.test", "INBOX").await, 2, "nothing went out unverified");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_after_mail_on_one_connection_takes_milliseconds_not_a_delayed_ack() {
    let stack = MailStack::start();
    let plain = Server { username: None, password: None, ..server(&stack, stack.smtp_port, TlsMode::None) };
    let starttls = server(&stack, stack.submission_port, TlsMode::StartTls);
    let mut sent = 0;
    for (what, server) in [("plain", plain), ("STARTTLS", starttls)] {
        let transport = SmtpTransport::new(&server).unwrap();
        transport.send("support@example.test", &["alice@example.test"], &mail(0)).await.unwrap();
        let n = 30;
        let started = Instant::now();
        for i in 1..=n {
            transport.send("support@example.test", &["alice@example.test"], &mail(i)).await.unwrap();
        }
        let per_mail = started.elapsed() / n as u32;
        println!("{what}: {per_mail:?} per mail, one after the other");
        // With Nagle each mail waited ~40 ms for Postfix's delayed ACK; without, a few ms.
        assert!(per_mail < Duration::from_millis(20), "{what}: {per_mail:?} per mail");
        sent += n + 1;
    }
    stack.wait_for_count("alice@example.test", "INBOX", sent, WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postfix_restart_under_a_pooled_connection_fails_no_mail() {
    let mut stack = MailStack::start();
    let transport = SmtpTransport::new(&server(&stack, stack.submission_port, TlsMode::StartTls)).unwrap();
    let send = |n| {
        let raw = mail(n);
        let transport = &transport;
        async move { transport.send("support@example.test", &["alice@example.test"], &raw).await }
    };
    send(1).await.unwrap();
    stack.stop_postfix_async().await;
    stack.start_again_async().await;
    send(2).await.expect("a new connection replaces the pooled one Postfix closed");
    stack.stop_postfix_async().await;
    assert!(matches!(send(3).await, Err(SendError::Temporary(_))), "Postfix is down");
    stack.start_again_async().await;
    send(4).await.unwrap();
    let inbox = stack.wait_for_count("alice@example.test", "INBOX", 3, WAIT).await;
    let delivered: Vec<usize> = (1..=4)
        .filter(|n| {
            let subject = format!("Subject: test {n}\r\n");
            inbox.iter().any(|m| m.windows(subject.len()).any(|w| w == subject.as_bytes()))
        })
        .collect();
    assert_eq!(delivered, [1, 2, 4]);
}
