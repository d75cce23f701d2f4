//! [`Mailer`] over SMTP (lettre), used when `SMTP_URL` is set (compose points it at Mailpit).
//!
//! Exactly one message per order: the `sent_emails` row is inserted and the message sent inside
//! one database transaction, committed only after the SMTP server accepted the message. A
//! second run finds the row and sends nothing; a failed send rolls the row back so the retry
//! sends. The one window left is a crash after the server accepted and before the commit: the
//! retry then sends a second copy (at-least-once, as with any SMTP client).

use aforro_core::jobs::{EmailMessage, Mailer, Sent};
use aforro_core::{Error, OrderId, Result};
use async_trait::async_trait;
use diesel_async::{AnsiTransactionManager, TransactionManager};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::postgres::{db_error, record_sent, Postgres};

/// Sends confirmations through an SMTP server, recording them in `sent_emails`.
#[derive(Clone)]
pub struct SmtpMailer {
    postgres: Postgres,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer").finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// `smtp://[user:password@]host[:port]` (port 25 by default). Plain SMTP only: TLS is not
    /// built in yet (Mailpit and local relays do not need it).
    pub fn new(postgres: Postgres, smtp_url: &str) -> Result<Self> {
        let url = url::Url::parse(smtp_url).map_err(|e| Error::internal(format!("SMTP_URL: {e}")))?;
        if url.scheme() != "smtp" {
            return Err(Error::internal(format!(
                "SMTP_URL: scheme {:?} is not supported (smtp://host:port)",
                url.scheme()
            )));
        }
        let host = url
            .host_str()
            .ok_or_else(|| Error::internal("SMTP_URL has no host"))?;
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(url.port().unwrap_or(25));
        if !url.username().is_empty() {
            builder = builder.credentials(Credentials::new(
                url.username().to_owned(),
                url.password().unwrap_or_default().to_owned(),
            ));
        }
        Ok(Self {
            postgres,
            transport: builder.build(),
        })
    }
}

fn mailbox(address: &str) -> Result<Mailbox> {
    address
        .parse()
        .map_err(|e| Error::internal(format!("invalid address {address:?}: {e}")))
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send_order_confirmation(&self, order_id: OrderId, message: &EmailMessage) -> Result<Sent> {
        let email = Message::builder()
            .from(mailbox(&message.from)?)
            .to(mailbox(&message.to)?)
            .subject(message.subject.clone())
            .body(message.body.clone())
            .map_err(|e| Error::internal(format!("cannot build the message: {e}")))?;
        let mut conn = self.postgres.conn().await?;
        AnsiTransactionManager::begin_transaction(&mut *conn)
            .await
            .map_err(db_error)?;
        let outcome = async {
            if !record_sent(&mut conn, order_id, message, "smtp").await? {
                return Ok(Sent::Before);
            }
            self.transport
                .send(email)
                .await
                .map_err(|e| Error::Unavailable(Box::new(e)))?;
            Ok(Sent::Now)
        }
        .await;
        match outcome {
            Ok(sent) => {
                AnsiTransactionManager::commit_transaction(&mut *conn)
                    .await
                    .map_err(db_error)?;
                if sent == Sent::Now {
                    tracing::info!(order_id = order_id.get(), to = %message.to, "confirmation sent by SMTP");
                }
                Ok(sent)
            }
            Err(error) => {
                // The row goes with the failed send, so the retry sends again. A failed
                // rollback only means the pool discards the connection.
                let _ = AnsiTransactionManager::rollback_transaction(&mut *conn).await;
                Err(error)
            }
        }
    }
}
