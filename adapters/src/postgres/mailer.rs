//! The default [`Mailer`]: records each confirmation in `sent_emails` (one row per order, the
//! UNIQUE order id makes a repeated job a no-op) and logs it. No message leaves the machine;
//! `SMTP_URL` selects the SMTP mailer instead (see `crate::smtp`).

use aforro_core::jobs::{EmailMessage, Mailer, Sent};
use aforro_core::{OrderId, Result};
use async_trait::async_trait;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::error::db_error;
use super::Postgres;

/// Records confirmations in `sent_emails` and logs them.
#[derive(Debug, Clone)]
pub struct RecordingMailer {
    postgres: Postgres,
}

impl RecordingMailer {
    /// A mailer writing through `postgres`.
    pub fn new(postgres: Postgres) -> Self {
        Self { postgres }
    }
}

/// Inserts the `sent_emails` row unless the order has one; true when inserted. Shared with the
/// SMTP mailer, which does it in the transaction that also sends.
pub(crate) async fn record_sent(
    conn: &mut AsyncPgConnection,
    order_id: OrderId,
    message: &EmailMessage,
    transport: &str,
) -> Result<bool> {
    let inserted = diesel::sql_query(
        "INSERT INTO sent_emails (order_id, sender, recipient, subject, body, transport)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind::<BigInt, _>(order_id.get())
    .bind::<Text, _>(&message.from)
    .bind::<Text, _>(&message.to)
    .bind::<Text, _>(&message.subject)
    .bind::<Text, _>(&message.body)
    .bind::<Text, _>(transport)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(inserted == 1)
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send_order_confirmation(&self, order_id: OrderId, message: &EmailMessage) -> Result<Sent> {
        let mut conn = self.postgres.conn().await?;
        if record_sent(&mut conn, order_id, message, "log").await? {
            tracing::info!(
                order_id = order_id.get(),
                to = %message.to,
                subject = %message.subject,
                body = %message.body,
                "confirmation email (recorded in sent_emails, not sent: SMTP_URL is not set)"
            );
            Ok(Sent::Now)
        } else {
            Ok(Sent::Before)
        }
    }
}
