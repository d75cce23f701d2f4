//! [`Outbox`] on PostgreSQL (table `outbox`, migration 6).

use std::time::Duration;

use aforro_core::jobs::{Job, JobOrigin, Outbox, OutboxEntry};
use aforro_core::{OrderId, Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{Array, BigInt, Date, Nullable, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

use super::error::db_error;
use super::rows::id;
use super::Postgres;
use crate::trace::current_trace_id;

#[derive(QueryableByName)]
struct OutboxRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    order_id: Option<i64>,
    #[diesel(sql_type = Nullable<Date>)]
    day: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<BigInt>)]
    store_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    trace_id: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

impl OutboxRow {
    fn into_entry(self) -> Result<OutboxEntry> {
        let job = match (self.kind.as_str(), self.order_id, self.day, self.store_id) {
            ("order_confirmation", Some(order_id), _, _) => Job::OrderConfirmation {
                order_id: id(order_id, OrderId::new)?,
            },
            ("order_cancellation", Some(order_id), _, _) => Job::OrderCancellation {
                order_id: id(order_id, OrderId::new)?,
            },
            ("inventory_summary", _, Some(day), _) => Job::InventorySummary { day },
            ("cache_invalidation", _, _, Some(store_id)) => Job::CacheInvalidation {
                store_id: id(store_id, StoreId::new)?,
            },
            ("catalogue_invalidation", _, _, _) => Job::CatalogueInvalidation,
            (kind, _, _, _) => {
                return Err(aforro_core::Error::internal(format!(
                    "outbox row {} has an unknown job {kind:?}",
                    self.id
                )))
            }
        };
        Ok(OutboxEntry {
            id: self.id,
            job,
            origin: JobOrigin {
                trace_id: self.trace_id,
                enqueued_at: Some(self.created_at),
            },
        })
    }
}

/// Jobs written to the outbox and not yet done (nor given up on), for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxBacklog {
    /// How many.
    pub waiting: i64,
    /// When the oldest was written; `None` when none waits.
    pub oldest: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct BacklogRow {
    #[diesel(sql_type = BigInt)]
    waiting: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    oldest: Option<DateTime<Utc>>,
}

impl Postgres {
    /// The outbox's backlog: rows neither completed nor dead. Read through the relay's partial
    /// index (migration 6), which holds exactly those rows, so its cost grows with the backlog
    /// and not with the jobs done.
    pub async fn outbox_backlog(&self) -> Result<OutboxBacklog> {
        let mut conn = self.conn().await?;
        let row: BacklogRow = diesel::sql_query(
            "SELECT count(*) AS waiting, min(created_at) AS oldest FROM outbox
             WHERE completed_at IS NULL AND dead_at IS NULL",
        )
        .get_result(&mut *conn)
        .await
        .map_err(db_error)?;
        Ok(OutboxBacklog {
            waiting: row.waiting,
            oldest: row.oldest,
        })
    }
}

#[async_trait]
impl Outbox for Postgres {
    async fn enqueue(&self, job: &Job) -> Result<bool> {
        let mut conn = self.conn().await?;
        let (kind, order_id, day, store_id) = match job {
            Job::OrderConfirmation { order_id } => ("order_confirmation", Some(order_id.get()), None, None),
            Job::OrderCancellation { order_id } => ("order_cancellation", Some(order_id.get()), None, None),
            Job::InventorySummary { day } => ("inventory_summary", None, Some(*day), None),
            Job::CacheInvalidation { store_id } => ("cache_invalidation", None, None, Some(store_id.get())),
            Job::CatalogueInvalidation => ("catalogue_invalidation", None, None, None),
        };
        // Summaries, confirmations and cancellations: the unique index per day or per order
        // (migrations 6 and 18). Invalidations: not while an equal one waits to be published
        // (see the port), looked up through the partial index of its kind (migrations 11 and
        // 12). Two concurrent inserts may both find none and both insert: a second bump is
        // harmless.
        let not_waiting = match job {
            Job::CacheInvalidation { .. } => {
                "NOT EXISTS (SELECT 1 FROM outbox
                             WHERE kind = 'cache_invalidation' AND store_id = $4 AND published_at IS NULL)"
            }
            Job::CatalogueInvalidation => {
                "NOT EXISTS (SELECT 1 FROM outbox
                             WHERE kind = 'catalogue_invalidation' AND published_at IS NULL)"
            }
            Job::OrderConfirmation { .. } | Job::OrderCancellation { .. } | Job::InventorySummary { .. } => {
                "true"
            }
        };
        // `not_waiting` is one of the constant texts above, never input.
        let inserted = diesel::sql_query(format!(
            "INSERT INTO outbox (kind, order_id, day, store_id, trace_id)
             SELECT $1, $2, $3, $4, $5 WHERE {not_waiting}
             ON CONFLICT DO NOTHING"
        ))
        .bind::<Text, _>(kind)
        .bind::<Nullable<BigInt>, _>(order_id)
        .bind::<Nullable<Date>, _>(day)
        .bind::<Nullable<BigInt>, _>(store_id)
        // The request's (or job's) trace, so the worker can log it with the job.
        .bind::<Nullable<Text>, _>(current_trace_id().map(|t| t.as_str().to_owned()))
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
        Ok(inserted == 1)
    }

    async fn claim_for_publishing(
        &self,
        limit: usize,
        republish_after: Duration,
        queued_since: Option<DateTime<Utc>>,
    ) -> Result<Vec<OutboxEntry>> {
        let mut conn = self.conn().await?;
        // Two range scans of the relay's partial index (migration 6), each stopping at its
        // limit: rows never published, then rows published before the cutoff (`least` ignores
        // a NULL `queued_since`). Rows merely queued are never read, however long the
        // backlog. SKIP LOCKED: a concurrent relay takes other rows instead of waiting for
        // these; the UPDATE makes them ineligible until the cutoff passes them again.
        let rows: Vec<OutboxRow> = diesel::sql_query(
            "WITH fresh AS (
                 SELECT id FROM outbox
                 WHERE completed_at IS NULL AND dead_at IS NULL AND published_at IS NULL
                 ORDER BY published_at NULLS FIRST, id
                 LIMIT $1
                 FOR UPDATE SKIP LOCKED
             ), stuck AS (
                 SELECT id FROM outbox
                 WHERE completed_at IS NULL AND dead_at IS NULL
                   AND published_at < least(now() - make_interval(secs => $2), $3)
                 ORDER BY published_at NULLS FIRST, id
                 LIMIT $1
                 FOR UPDATE SKIP LOCKED
             ), claimed AS (
                 (SELECT id FROM fresh) UNION ALL (SELECT id FROM stuck) LIMIT $1
             )
             UPDATE outbox o SET published_at = now(), publish_count = o.publish_count + 1
             FROM claimed
             WHERE o.id = claimed.id
             RETURNING o.id, o.kind, o.order_id, o.day, o.store_id, o.trace_id, o.created_at",
        )
        .bind::<BigInt, _>(i64::try_from(limit).unwrap_or(i64::MAX))
        .bind::<diesel::sql_types::Double, _>(republish_after.as_secs_f64())
        .bind::<Nullable<Timestamptz>, _>(queued_since)
        .load(&mut *conn)
        .await
        .map_err(db_error)?;
        let mut entries = rows
            .into_iter()
            .map(OutboxRow::into_entry)
            .collect::<Result<Vec<_>>>()?;
        entries.sort_by_key(|e| e.id);
        Ok(entries)
    }

    async fn release(&self, ids: &[i64]) -> Result<()> {
        let mut conn = self.conn().await?;
        diesel::sql_query(
            "UPDATE outbox SET published_at = NULL WHERE id = ANY($1) AND completed_at IS NULL",
        )
        .bind::<Array<BigInt>, _>(ids)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn mark_completed(&self, id: i64) -> Result<()> {
        let mut conn = self.conn().await?;
        diesel::sql_query("UPDATE outbox SET completed_at = coalesce(completed_at, now()) WHERE id = $1")
            .bind::<BigInt, _>(id)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn mark_all_completed(&self, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn().await?;
        diesel::sql_query(
            "UPDATE outbox SET completed_at = now() WHERE id = ANY($1) AND completed_at IS NULL",
        )
        .bind::<Array<BigInt>, _>(ids)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn mark_dead(&self, id: i64, error: &str) -> Result<()> {
        let mut conn = self.conn().await?;
        diesel::sql_query(
            "UPDATE outbox SET dead_at = now(), last_error = $2 WHERE id = $1 AND completed_at IS NULL",
        )
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(error)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
        Ok(())
    }
}
