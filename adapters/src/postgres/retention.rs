//! [`Retention`] on PostgreSQL: small `DELETE`s found through the indexes of migration 15, and
//! the fold of stock level changes (migration 22).

use std::time::Duration;

use aforro_core::jobs::Retention;
use aforro_core::Result;
use async_trait::async_trait;
use diesel::sql_types::{BigInt, Double, Integer};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

use super::error::db_error;
use super::Postgres;

/// Deletes up to `limit` rows of `sql` (a DELETE whose `$1` is the age in seconds and `$2`
/// the limit).
async fn delete(postgres: &Postgres, sql: &str, older_than: Duration, limit: usize) -> Result<usize> {
    let mut conn = postgres.conn().await?;
    diesel::sql_query(sql)
        .bind::<Double, _>(older_than.as_secs_f64())
        .bind::<BigInt, _>(i64::try_from(limit).unwrap_or(i64::MAX))
        .execute(&mut *conn)
        .await
        .map_err(db_error)
}

#[async_trait]
impl Retention for Postgres {
    async fn delete_completed_jobs(&self, older_than: Duration, limit: usize) -> Result<usize> {
        // SKIP LOCKED: a row being updated (a late duplicate completing it again) is left for
        // the next round instead of waited for.
        delete(
            self,
            "DELETE FROM outbox WHERE id IN (
                 SELECT id FROM outbox
                 WHERE completed_at < now() - make_interval(secs => $1) AND dead_at IS NULL
                 ORDER BY completed_at
                 LIMIT $2
                 FOR UPDATE SKIP LOCKED)",
            older_than,
            limit,
        )
        .await
    }

    async fn expire_idempotency_keys(&self, older_than: Duration, limit: usize) -> Result<usize> {
        let orders = delete(
            self,
            "DELETE FROM idempotency_keys WHERE key IN (
                 SELECT key FROM idempotency_keys
                 WHERE created_at < now() - make_interval(secs => $1)
                 ORDER BY created_at
                 LIMIT $2
                 FOR UPDATE SKIP LOCKED)",
            older_than,
            limit,
        )
        .await?;
        let adjustments = delete(
            self,
            "DELETE FROM adjustment_idempotency_keys WHERE key IN (
                 SELECT key FROM adjustment_idempotency_keys
                 WHERE created_at < now() - make_interval(secs => $1)
                 ORDER BY created_at
                 LIMIT $2
                 FOR UPDATE SKIP LOCKED)",
            older_than,
            limit,
        )
        .await?;
        Ok(orders + adjustments)
    }

    async fn fold_stock_level_changes(&self, limit: usize) -> Result<usize> {
        let mut conn = self.conn().await?;
        let folded: Folded = diesel::sql_query("SELECT fold_stock_level_changes($1) AS folded")
            .bind::<Integer, _>(i32::try_from(limit).unwrap_or(i32::MAX))
            .get_result(&mut *conn)
            .await
            .map_err(db_error)?;
        Ok(usize::try_from(folded.folded).unwrap_or_default())
    }
}

#[derive(QueryableByName)]
struct Folded {
    #[diesel(sql_type = Integer)]
    folded: i32,
}
