//! Reads on a streaming replica (`DATABASE_READ_URL`), never older than the moment they start.
//!
//! A replica lags the primary. A read that fills the cache for version N must not see data
//! older than the write that made version N, or it would store old stock under the new key and
//! serve it until the next change; a client that placed an order must not read its store's
//! stock from before it. So every replica read starts by asking the primary for its WAL
//! position (`pg_current_wal_lsn()`, one short round trip that reads no table). Every write
//! whose response came before that moment — and so every cache version bump, which comes after
//! its commit — is at or below that position. The read then runs on the replica once the
//! replica has replayed up to it (`pg_last_wal_replay_lsn()`), polled every millisecond for at
//! most `wait`, and on the primary otherwise. That makes every read read-your-writes and
//! monotonic, whichever process wrote, at the cost of that round trip to the primary and of
//! the replica's lag (on loopback, usually under a millisecond).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aforro_core::Result;
use diesel::sql_types::{Bool, Text};
use diesel::QueryableByName;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::error::db_error;
use super::Postgres;

/// The replica's pool and how long a read waits for it to catch up.
#[derive(Clone)]
pub(crate) struct Replica {
    pub(crate) pool: Pool<AsyncPgConnection>,
    pub(crate) wait: Duration,
    pub(crate) counters: Arc<ReplicaCounters>,
}

/// Where reads went, for metrics and tests.
#[derive(Debug, Default)]
pub(crate) struct ReplicaCounters {
    replica: AtomicU64,
    primary: AtomicU64,
}

/// How many reads the replica served, and how many went to the primary because it had not
/// caught up in time (or could not be reached).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplicaReads {
    /// Reads served by the replica.
    pub on_replica: u64,
    /// Reads that fell back to the primary.
    pub fell_back: u64,
}

/// Which server a read connection is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Primary,
    Replica,
}

#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = Text)]
    lsn: String,
}

#[derive(QueryableByName)]
struct CaughtUp {
    #[diesel(sql_type = Bool)]
    ok: bool,
}

impl Postgres {
    /// A connection for a read that may run on the replica: there once it has replayed every
    /// write committed before this call, on the primary otherwise (or without a replica).
    pub(crate) async fn read_conn(&self) -> Result<(Object<AsyncPgConnection>, Side)> {
        let Some(replica) = &self.replica else {
            return Ok((self.conn().await?, Side::Primary));
        };
        let target = {
            let mut primary = self.conn().await?;
            diesel::sql_query("SELECT pg_current_wal_lsn()::text AS lsn")
                .get_result::<Position>(&mut *primary)
                .await
                .map_err(db_error)?
                .lsn
        };
        match replica.caught_up(&target).await {
            Some(conn) => {
                replica.counters.replica.fetch_add(1, Ordering::Relaxed);
                Ok((conn, Side::Replica))
            }
            None => {
                replica.counters.primary.fetch_add(1, Ordering::Relaxed);
                Ok((self.conn().await?, Side::Primary))
            }
        }
    }

    /// A second connection on the same side as a [`Self::read_conn`], only if one is free now
    /// (see [`Self::spare_conn`]). The replica has already caught up: any of its connections
    /// sees what the first one sees, or more.
    pub(crate) async fn spare_read_conn(&self, side: Side) -> Option<Object<AsyncPgConnection>> {
        match (side, &self.replica) {
            (Side::Replica, Some(replica)) => {
                let timeouts = deadpool::managed::Timeouts {
                    wait: Some(Duration::ZERO),
                    create: Some(self.wait_timeout),
                    recycle: Some(self.wait_timeout),
                };
                replica.pool.timeout_get(&timeouts).await.ok()
            }
            _ => self.spare_conn().await,
        }
    }

    /// Where reads went since start (zeros without a replica).
    pub fn replica_reads(&self) -> ReplicaReads {
        self.replica
            .as_ref()
            .map(|replica| ReplicaReads {
                on_replica: AtomicU64::load(&replica.counters.replica, Ordering::Relaxed),
                fell_back: AtomicU64::load(&replica.counters.primary, Ordering::Relaxed),
            })
            .unwrap_or_default()
    }
}

impl Replica {
    /// A replica connection once the replica has replayed `target`, or `None` after `wait`
    /// (or when the replica cannot be reached: the primary can always answer). A server that
    /// is not in recovery (a promoted replica) has everything it will ever have.
    async fn caught_up(&self, target: &str) -> Option<Object<AsyncPgConnection>> {
        let deadline = Instant::now() + self.wait;
        let mut conn = match self.pool.get().await {
            Ok(conn) => conn,
            Err(error) => {
                tracing::warn!(%error, "read replica unreachable; reading from the primary");
                return None;
            }
        };
        loop {
            let check = diesel::sql_query(
                "SELECT CASE WHEN pg_is_in_recovery()
                 THEN coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)
                 ELSE true END AS ok",
            )
            .bind::<Text, _>(target)
            .get_result::<CaughtUp>(&mut *conn)
            .await;
            match check {
                Ok(CaughtUp { ok: true }) => return Some(conn),
                Ok(CaughtUp { ok: false }) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Ok(CaughtUp { ok: false }) => {
                    tracing::debug!(target, "read replica behind; reading from the primary");
                    return None;
                }
                Err(error) => {
                    tracing::warn!(%error, "read replica check failed; reading from the primary");
                    return None;
                }
            }
        }
    }
}
