//! [`Mailer`] over SMTP (lettre), used when `SMTP_URL` is set (compose points it at Mailpit).
//!
//! Exactly one message per order and kind: the row of its once-only record (`sent_emails` for a
//! confirmation, `sent_cancellation_emails` for a cancellation) is inserted and the message sent
//! inside one database transaction, committed only after the SMTP server accepted the message.
//! A second run finds the row and sends nothing; a failed send rolls the row back so the retry
//! sends. The one window left is a crash after the server accepted and before the commit: the
//! retry then sends a second copy (at-least-once, as with any SMTP client).

use aforro_core::jobs::{EmailMessage, Mailer, Sent};
use aforro_core::{Error, OrderId, Result};
use async_trait::async_trait;
use diesel_async::{AnsiTransactionManager, TransactionManager};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::postgres::{db_error, record_sent, OrderEmail, Postgres};

/// Sends order emails through an SMTP server, recording each in its once-only record.
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
    /// The SMTP server at `smtp_url`, as lettre reads it (credentials percent-decoded):
    /// - `smtp://[user:password@]host[:port]`: plain SMTP, port 25 (Mailpit, a local relay);
    /// - `smtp://user:password@host[:port]?tls=required`: STARTTLS, port 587;
    /// - `smtps://user:password@host[:port]`: SMTP over TLS, port 465.
    ///
    /// TLS is rustls with the Mozilla root certificates (`webpki-roots`), so the image needs no
    /// CA bundle. `?tls=opportunistic` is refused: it falls back to plain text whenever a man in
    /// the middle strips STARTTLS, which would send the credentials in clear.
    pub fn new(postgres: Postgres, smtp_url: &str) -> Result<Self> {
        let invalid = |reason: String| Error::internal(format!("SMTP_URL: {reason}"));
        let url = url::Url::parse(smtp_url).map_err(|e| invalid(e.to_string()))?;
        if url
            .query_pairs()
            .any(|(key, value)| key == "tls" && value == "opportunistic")
        {
            return Err(invalid(
                "tls=opportunistic is not accepted; use tls=required or smtps://".into(),
            ));
        }
        let builder =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url).map_err(|e| invalid(e.to_string()))?;
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
        self.send_once(OrderEmail::Confirmation, order_id, message).await
    }

    async fn send_order_cancellation(&self, order_id: OrderId, message: &EmailMessage) -> Result<Sent> {
        self.send_once(OrderEmail::Cancellation, order_id, message).await
    }
}

impl SmtpMailer {
    /// Records and sends in one transaction (see the module's documentation).
    async fn send_once(&self, kind: OrderEmail, order_id: OrderId, message: &EmailMessage) -> Result<Sent> {
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
            if !record_sent(&mut conn, kind, order_id, message, "smtp").await? {
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
                    tracing::debug!(order_id = order_id.get(), to = %message.to, "{} sent by SMTP", kind.name());
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

#[cfg(test)]
mod tests {
    use super::SmtpMailer;
    use crate::postgres::{PoolSettings, Postgres};

    fn mailer(url: &str) -> Result<SmtpMailer, String> {
        // The pool connects lazily: nothing is opened here.
        let postgres = Postgres::connect("postgres://nobody@127.0.0.1:1/none", PoolSettings::default())
            .map_err(|e| e.to_string())?;
        SmtpMailer::new(postgres, url).map_err(|e| e.to_string())
    }

    #[test]
    fn plain_starttls_and_implicit_tls_urls_are_accepted() {
        for url in [
            "smtp://mailpit:1025",
            "smtp://user:p%40ss@smtp.example.com?tls=required",
            "smtps://user:secret@smtp.example.com",
            "smtps://user:secret@smtp.example.com:2465",
        ] {
            assert!(mailer(url).is_ok(), "{url}: {:?}", mailer(url).err());
        }
    }

    #[test]
    fn unknown_schemes_and_downgradable_tls_are_refused() {
        for url in [
            "http://smtp.example.com",
            "smtp://smtp.example.com?tls=opportunistic",
            "smtp://smtp.example.com?tls=sometimes",
            "not a url",
        ] {
            let error = mailer(url).err().unwrap_or_default();
            assert!(error.contains("SMTP_URL"), "{url}: {error:?}");
        }
    }
}
