//! The SMTP mailer against a minimal SMTP server on loopback: one message per order and kind
//! (confirmation, cancellation), and a refused message leaves no `sent_emails` row, so the
//! job's retry sends it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};

use aforro_adapters::smtp::SmtpMailer;
use aforro_core::jobs::{EmailMessage, Mailer, Sent};
use aforro_core::{Error, OrderId};
use support::Setup;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The messages (their DATA) a fake server accepted.
type Inbox = Arc<Mutex<Vec<String>>>;

/// A minimal SMTP server: accepts every message, or refuses each at DATA (451) when `refuse`.
async fn fake_smtp(refuse: bool) -> (String, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let inbox = Inbox::default();
    let sink = inbox.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(session(stream, refuse, sink.clone()));
        }
    });
    (url, inbox)
}

async fn session(stream: TcpStream, refuse: bool, inbox: Inbox) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 fake ESMTP\r\n").await?;
    while let Some(line) = lines.next_line().await? {
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 fake\r\n",
            "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 ok\r\n",
            "DATA" if refuse => b"451 try again later\r\n",
            "DATA" => {
                write.write_all(b"354 end with .\r\n").await?;
                let mut message = String::new();
                while let Some(line) = lines.next_line().await? {
                    if line == "." {
                        break;
                    }
                    message.push_str(&line);
                    message.push('\n');
                }
                inbox.lock().unwrap().push(message);
                b"250 queued\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"500 unknown command\r\n",
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

fn confirmation(order_id: i64) -> EmailMessage {
    EmailMessage {
        from: "shop@aforro.test".into(),
        to: "customer@aforro.test".into(),
        subject: format!("Order {order_id} confirmed: 2 item(s)"),
        body: "2 × Green Tea".into(),
    }
}

#[tokio::test]
async fn a_confirmation_is_sent_once_and_recorded() {
    let setup = Setup::new().await;
    let (order_id, _) = setup.order(1, &[(1, 2)]).await;
    let (url, inbox) = fake_smtp(false).await;
    let mailer = SmtpMailer::new(setup.postgres.clone(), &url).unwrap();
    let id = OrderId::new(order_id).unwrap();

    let first = mailer
        .send_order_confirmation(id, &confirmation(order_id))
        .await
        .unwrap();
    let again = mailer
        .send_order_confirmation(id, &confirmation(order_id))
        .await
        .unwrap();

    assert_eq!((first, again), (Sent::Now, Sent::Before));
    let received = inbox.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "{received:?}");
    assert!(
        received[0].contains(&format!("Subject: Order {order_id} confirmed")),
        "{}",
        received[0]
    );
    let recorded =
        format!("SELECT count(*) FROM sent_emails WHERE order_id = {order_id} AND transport = 'smtp'");
    assert_eq!(setup.count(&recorded).await, 1);
}

#[tokio::test]
async fn a_refused_message_is_not_recorded_so_the_retry_sends_it() {
    let setup = Setup::new().await;
    let (order_id, _) = setup.order(1, &[(1, 2)]).await;
    let id = OrderId::new(order_id).unwrap();
    let (refusing, _) = fake_smtp(true).await;
    let mailer = SmtpMailer::new(setup.postgres.clone(), &refusing).unwrap();

    let refused = mailer.send_order_confirmation(id, &confirmation(order_id)).await;

    assert!(matches!(refused, Err(Error::Unavailable(_))), "{refused:?}");
    let recorded = format!("SELECT count(*) FROM sent_emails WHERE order_id = {order_id}");
    assert_eq!(setup.count(&recorded).await, 0);
    // The retry, once the server takes mail again, sends it.
    let (url, inbox) = fake_smtp(false).await;
    let mailer = SmtpMailer::new(setup.postgres.clone(), &url).unwrap();
    let sent = mailer
        .send_order_confirmation(id, &confirmation(order_id))
        .await
        .unwrap();
    assert_eq!(sent, Sent::Now);
    assert_eq!(inbox.lock().unwrap().len(), 1);
    assert_eq!(setup.count(&recorded).await, 1);
}

#[tokio::test]
async fn a_cancellation_is_sent_once_and_recorded_apart_from_the_confirmation() {
    let setup = Setup::new().await;
    let (order_id, _) = setup.order(1, &[(1, 2)]).await;
    setup.cancel(order_id, None).await;
    let (url, inbox) = fake_smtp(false).await;
    let mailer = SmtpMailer::new(setup.postgres.clone(), &url).unwrap();
    let id = OrderId::new(order_id).unwrap();
    let cancellation = EmailMessage {
        subject: format!("Order {order_id} cancelled: 2 item(s) given back"),
        body: "2 × Green Tea".into(),
        ..confirmation(order_id)
    };

    let confirmed = mailer
        .send_order_confirmation(id, &confirmation(order_id))
        .await
        .unwrap();
    let cancelled = mailer.send_order_cancellation(id, &cancellation).await.unwrap();
    let again = mailer.send_order_cancellation(id, &cancellation).await.unwrap();

    // The confirmation's record does not stand for the cancellation, nor the other way round.
    assert_eq!(
        (confirmed, cancelled, again),
        (Sent::Now, Sent::Now, Sent::Before)
    );
    let received = inbox.lock().unwrap().clone();
    assert_eq!(received.len(), 2, "{received:?}");
    assert!(
        received[1].contains(&format!("Subject: Order {order_id} cancelled")),
        "{}",
        received[1]
    );
    let recorded = format!(
        "SELECT count(*) FROM sent_cancellation_emails WHERE order_id = {order_id} AND transport = 'smtp'"
    );
    assert_eq!(setup.count(&recorded).await, 1);
    assert_eq!(setup.emails_for(order_id).await, 1);
}
