//! The default [`Mailer`]: records each confirmation in `sent_emails` and each cancellation in
//! `sent_cancellation_emails` (one row per order in each, the unique order id makes a repeated
//! job a no-op) and logs it. No message leaves the machine; `SMTP_URL` selects the SMTP mailer
//! instead (see `crate::smtp`).

use std::collections::HashSet;

use aforro_core::jobs::{EmailMessage, Mailer, Sent};
use aforro_core::{OrderId, Result};
use async_trait::async_trait;
use diesel::sql_types::{Array, BigInt, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::error::db_error;
use super::Postgres;

/// Records confirmations in `sent_emails`, cancellations in `sent_cancellation_emails`, and logs
/// them.
#[derive(Debug, Clone)]
pub struct RecordingMailer {
    postgres: Postgres,
}

impl RecordingMailer {
    /// A mailer writing through `postgres`.
    pub fn new(postgres: Postgres) -> Self {
        Self { postgres }
    }

    /// Records one message in its kind's record, unless the order has one there.
    async fn record(&self, email: OrderEmail, order_id: OrderId, message: &EmailMessage) -> Result<Sent> {
        let mut conn = self.postgres.conn().await?;
        if record_sent(&mut conn, email, order_id, message, "log").await? {
            log_recorded(email, order_id, message);
            Ok(Sent::Now)
        } else {
            Ok(Sent::Before)
        }
    }
}

/// Which order email, and so which once-only record of sent messages it goes in: each kind
/// has its own table, so an order's confirmation and cancellation are each sent once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderEmail {
    /// `sent_emails` (migration 6).
    Confirmation,
    /// `sent_cancellation_emails` (migration 18).
    Cancellation,
}

impl OrderEmail {
    /// Its once-only record: a table with a unique `order_id`.
    fn table(self) -> &'static str {
        match self {
            OrderEmail::Confirmation => "sent_emails",
            OrderEmail::Cancellation => "sent_cancellation_emails",
        }
    }

    /// For logs.
    pub(crate) fn name(self) -> &'static str {
        match self {
            OrderEmail::Confirmation => "confirmation",
            OrderEmail::Cancellation => "cancellation",
        }
    }
}

/// Inserts the email's row in its record unless the order has one; true when inserted. Shared
/// with the SMTP mailer, which does it in the transaction that also sends.
pub(crate) async fn record_sent(
    conn: &mut AsyncPgConnection,
    email: OrderEmail,
    order_id: OrderId,
    message: &EmailMessage,
    transport: &str,
) -> Result<bool> {
    // The table is one of two constant names, never input.
    let inserted = diesel::sql_query(format!(
        "INSERT INTO {} (order_id, sender, recipient, subject, body, transport)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id) DO NOTHING",
        email.table()
    ))
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

/// Inserts the `sent_emails` rows of orders that have none, in one statement; returns the
/// orders inserted now.
async fn record_all_sent(
    conn: &mut AsyncPgConnection,
    messages: &[(OrderId, EmailMessage)],
    transport: &str,
) -> Result<HashSet<i64>> {
    let column = |f: fn(&EmailMessage) -> &str| -> Vec<&str> { messages.iter().map(|(_, m)| f(m)).collect() };
    let order_ids: Vec<i64> = messages.iter().map(|(id, _)| id.get()).collect();
    let inserted: Vec<InsertedRow> = diesel::sql_query(
        "INSERT INTO sent_emails (order_id, sender, recipient, subject, body, transport)
         SELECT order_id, sender, recipient, subject, body, $6
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])
              AS m(order_id, sender, recipient, subject, body)
         ON CONFLICT (order_id) DO NOTHING
         RETURNING order_id",
    )
    .bind::<Array<BigInt>, _>(&order_ids)
    .bind::<Array<Text>, _>(column(|m| &m.from))
    .bind::<Array<Text>, _>(column(|m| &m.to))
    .bind::<Array<Text>, _>(column(|m| &m.subject))
    .bind::<Array<Text>, _>(column(|m| &m.body))
    .bind::<Text, _>(transport)
    .load(conn)
    .await
    .map_err(db_error)?;
    Ok(inserted.into_iter().map(|r| r.order_id).collect())
}

#[derive(QueryableByName)]
struct InsertedRow {
    #[diesel(sql_type = BigInt)]
    order_id: i64,
}

#[async_trait]
impl Mailer for RecordingMailer {
    /// One statement for the batch. If it fails, each message is recorded alone, so that one
    /// that cannot be fails its own job only.
    async fn send_order_confirmations(
        &self,
        messages: &[(OrderId, EmailMessage)],
        _concurrency: usize,
    ) -> Vec<Result<Sent>> {
        let recorded = match self.postgres.conn().await {
            Ok(mut conn) => record_all_sent(&mut conn, messages, "log").await,
            Err(error) => Err(error),
        };
        match recorded {
            Ok(inserted) => messages
                .iter()
                .map(|(order_id, message)| {
                    if inserted.contains(&order_id.get()) {
                        log_recorded(OrderEmail::Confirmation, *order_id, message);
                        Ok(Sent::Now)
                    } else {
                        Ok(Sent::Before)
                    }
                })
                .collect(),
            Err(error) => {
                tracing::warn!(%error, messages = messages.len(), "recording a batch of confirmations failed; recording them one by one");
                let mut results = Vec::with_capacity(messages.len());
                for (order_id, message) in messages {
                    results.push(self.send_order_confirmation(*order_id, message).await);
                }
                results
            }
        }
    }

    async fn send_order_confirmation(&self, order_id: OrderId, message: &EmailMessage) -> Result<Sent> {
        self.record(OrderEmail::Confirmation, order_id, message).await
    }

    async fn send_order_cancellation(&self, order_id: OrderId, message: &EmailMessage) -> Result<Sent> {
        self.record(OrderEmail::Cancellation, order_id, message).await
    }
}

fn log_recorded(email: OrderEmail, order_id: OrderId, message: &EmailMessage) {
    tracing::debug!(
        order_id = order_id.get(),
        to = %message.to,
        subject = %message.subject,
        body = %message.body,
        "{} email (recorded in {}, not sent: SMTP_URL is not set)",
        email.name(),
        email.table()
    );
}
