//! The one transaction guard under every keyed write on PostgreSQL: an order
//! ([`super::order_transaction`]) and a stock adjustment ([`super::stock_adjustment`]).
//!
//! A keyed write is one READ COMMITTED transaction on one pooled connection. [`PgTransaction`]
//! holds that connection and does for both what does not depend on the write:
//! - `BEGIN` (with generic plans pinned, see [`BEGIN`]) goes out with the transaction's first
//!   statement, in the same round trip ([`PgTransaction::next`]);
//! - the idempotency key's claim, in the write's own key table ([`KeyTable`]): insert the key,
//!   or find the write that holds it;
//! - the write's last statement ends by recording the claimed key as naming the stored row
//!   and returning that row's id and time ([`KeyTable::record`]); `COMMIT` follows it, in the
//!   same round trip once that statement is prepared on the connection
//!   ([`PgTransaction::commit_with`]);
//! - `ROLLBACK`, and what a transaction dropped unfinished does with its connection.
//!
//! `BEGIN` in front of a statement is always safe to pipeline. `COMMIT` behind one is safe only
//! once the statement is prepared on that connection: diesel-async prepares a statement the
//! first time a connection runs it and sends it only then, so a `COMMIT` sent alongside could
//! reach the server first. [`CommitReady`] remembers the connections that ran a write's last
//! statement before; on any other, `COMMIT` waits for the statement's answer (once per
//! connection). A write without one (stock adjustments, which are rare) never pipelines it.
//!
//! `BEGIN` and `COMMIT` are plain statements, not diesel's transaction manager (which cannot
//! pipeline), so the pool cannot see that a connection is inside a transaction. A transaction
//! dropped unfinished (a cancelled request, a panic) therefore takes its connection out of the
//! pool and closes it, and Postgres rolls back.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};

use aforro_core::idempotency::{IdempotencyKey, KeyClaim, KeyedTransaction};
use aforro_core::inventory::AdjustmentId;
use aforro_core::{Error, OrderId, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool::managed::ObjectId;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use super::error::db_error;
use super::prepared::Prepared;
use super::rows::id;

/// Starts the transaction, pinning generic plans for its statements. An order's parameters
/// are arrays, and with an array of unknown length Postgres costs the generic plan above the
/// custom ones, so it kept planning every execution again: 27% of the database's CPU in a
/// profile of `scripts/bench-orders` at 32 clients (pgbench, whose arrays are literal
/// `ARRAY[…]`s, got generic plans: 2%). The generic plans are the same index scans; an
/// adjustment's statements look rows up by key, where the generic plan is the custom one.
/// One simple-query message: no extra round trip.
const BEGIN: &str = "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan";

/// The statements of one idempotency-key table, as prepared statements take them (their text
/// is `'static`): `table` holds `key`, `fingerprint` and the id of the row the key names in
/// `column`, which the write's last statement inserts in its CTE `row`.
#[rustfmt::skip] // the SQL keeps the layout of the statements it ends
macro_rules! key_table {
    ($table:literal, $column:literal, $row:literal, $id:expr) => {
        KeyTable {
            claim: concat!("INSERT INTO ", $table, " (key, fingerprint) VALUES ("),
            find: concat!("SELECT fingerprint, ", $column, " AS id FROM ", $table, " WHERE key = "),
            record: concat!("
         ), keyed AS (
             UPDATE ", $table, " SET ", $column, " = ", $row, ".id
             FROM ", $row, "
             WHERE ", $table, ".key = "),
            returning: concat!("
         )
         SELECT id, created_at FROM ", $row, "
         WHERE "),
            id: $id,
        }
    };
}

/// The keys of orders (`Idempotency-Key` of `POST /orders/`).
pub(super) static ORDER_KEYS: KeyTable<OrderId> =
    key_table!("idempotency_keys", "order_id", "new_order", OrderId::new);

/// The keys of order cancellations (`Idempotency-Key` of `POST /orders/{id}/cancel/`), apart
/// from orders': a key names a cancellation, not the order it cancels.
pub(super) static CANCELLATION_KEYS: KeyTable<OrderId> = key_table!(
    "cancellation_idempotency_keys",
    "order_id",
    "cancelled",
    OrderId::new
);

/// The keys of stock adjustments, apart from orders': one key may name an order and an
/// adjustment without the two requests being the same.
pub(super) static ADJUSTMENT_KEYS: KeyTable<AdjustmentId> = key_table!(
    "adjustment_idempotency_keys",
    "adjustment_id",
    "adjustment",
    AdjustmentId::new
);

/// Where a keyed write claims and records its idempotency keys.
pub(super) struct KeyTable<Id> {
    /// `INSERT … VALUES (` key `, ` fingerprint `) ON CONFLICT DO NOTHING`.
    claim: &'static str,
    /// `SELECT fingerprint, … AS id … WHERE key = ` key.
    find: &'static str,
    /// Closes the write's last CTE and adds `keyed`, which records the key (bound next).
    record: &'static str,
    /// Closes `keyed` and selects the stored row's id and time, up to its `WHERE`.
    returning: &'static str,
    /// The domain id of a stored row.
    id: fn(i64) -> Option<Id>,
}

impl<Id> KeyTable<Id> {
    /// Ends a write's last statement, whose last CTE inserted the row `row` (`RETURNING id,
    /// created_at`): records `key` — the key this transaction claimed, if any — as naming
    /// that row, and selects its id and time `WHERE` the condition the caller appends.
    pub(super) fn record<'q>(&self, statement: Prepared<'q>, key: Option<&IdempotencyKey>) -> Prepared<'q> {
        statement
            .sql(self.record)
            .bind::<Nullable<Text>, _>(key.map(|k| k.as_str().to_owned()))
            .sql(self.returning)
    }
}

/// Where the transaction is; decides what dropping it must do with the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing sent yet: the connection is clean.
    NotBegun,
    /// `BEGIN` sent (or in flight): the connection may hold an open transaction.
    Open,
    /// Committed or rolled back: the connection is clean again.
    Finished,
}

/// The pooled connections on which a write's last statement is already prepared, so `COMMIT`
/// may follow it in the same round trip. Bounded: past a few times the pool's size
/// (connections replaced over time) it starts again empty, which costs each connection one
/// unpipelined `COMMIT`.
pub(crate) struct CommitReady {
    connections: Mutex<HashSet<ObjectId>>,
    capacity: usize,
}

impl CommitReady {
    pub(crate) fn new(pool_size: usize) -> Self {
        Self {
            connections: Mutex::new(HashSet::new()),
            capacity: pool_size.saturating_mul(4).max(16),
        }
    }

    fn contains(&self, id: ObjectId) -> bool {
        self.connections
            .lock()
            .map(|ready| ready.contains(&id))
            .unwrap_or(false)
    }

    fn insert(&self, id: ObjectId) {
        if let Ok(mut ready) = self.connections.lock() {
            if ready.len() >= self.capacity {
                ready.clear();
            }
            ready.insert(id);
        }
    }
}

/// A pooled connection on which one keyed write's transaction runs; `Id` names what its keys
/// name (an order, an adjustment).
pub(super) struct PgTransaction<Id: 'static> {
    /// Always `Some` until `drop`.
    conn: Option<Object<AsyncPgConnection>>,
    state: State,
    keys: &'static KeyTable<Id>,
    /// The connections on which this write's last statement is prepared, when its `COMMIT`
    /// may be pipelined behind it.
    commit_ready: Option<Arc<CommitReady>>,
}

/// The connection for a transaction's next statement, and whether `BEGIN` goes out ahead of it.
pub(super) struct Next<'c> {
    /// The connection to build the statement on.
    pub(super) conn: &'c AsyncPgConnection,
    begin: bool,
}

impl Next<'_> {
    /// Runs `statement`; when nothing was sent yet, sends `BEGIN` ahead of it in the same round
    /// trip. `futures_util`'s join polls `BEGIN` first, so its request is queued first.
    pub(super) async fn run<T>(self, statement: impl Future<Output = QueryResult<T>> + Send) -> Result<T> {
        if !self.begin {
            return statement.await.map_err(db_error);
        }
        let mut conn = self.conn;
        let (_, value) = futures_util::future::try_join(conn.batch_execute(BEGIN), statement)
            .await
            .map_err(db_error)?;
        Ok(value)
    }
}

impl<Id> PgTransaction<Id> {
    /// A transaction on `conn` for a write whose keys are in `keys`. It has not begun:
    /// `BEGIN` goes out with its first statement. With `commit_ready`, its `COMMIT` follows
    /// its last statement in the same round trip once that statement is prepared on the
    /// connection.
    pub(super) fn new(
        conn: Object<AsyncPgConnection>,
        keys: &'static KeyTable<Id>,
        commit_ready: Option<Arc<CommitReady>>,
    ) -> Self {
        Self {
            conn: Some(conn),
            state: State::NotBegun,
            keys,
            commit_ready,
        }
    }

    fn conn(&self) -> Result<&AsyncPgConnection> {
        self.conn
            .as_deref()
            .ok_or_else(|| Error::internal("transaction used after its connection was released"))
    }

    /// Marks the transaction open before its first statement is sent, so that a cancelled
    /// request cannot return a connection with an open transaction to the pool; `true` when
    /// `BEGIN` must go out ahead of the statement.
    fn open(&mut self) -> bool {
        let begin = self.state == State::NotBegun;
        self.state = State::Open;
        begin
    }

    /// Where the next statement goes (see [`Next::run`]).
    pub(super) fn next(&mut self) -> Result<Next<'_>> {
        let begin = self.open();
        Ok(Next {
            conn: self.conn()?,
            begin,
        })
    }

    /// Finishes the transaction: runs the write's last statement (ended by
    /// [`KeyTable::record`]), then `COMMIT` — pipelined behind it when the statement is
    /// prepared on this connection. Returns the stored row's id and time. Both answers are
    /// awaited: after a failed statement a pipelined `COMMIT` still ran (as a rollback), and
    /// the transaction is over.
    pub(super) async fn commit_with(&mut self, statement: Prepared<'_>) -> Result<(Id, DateTime<Utc>)> {
        let begin = self.open();
        let id_of_conn = self.conn.as_ref().map(Object::id);
        let ready = self.commit_ready.clone();
        let pipelined = !begin
            && ready
                .as_deref()
                .zip(id_of_conn)
                .is_some_and(|(ready, id)| ready.contains(id));
        let conn = self.conn()?;
        let (mut statement_conn, mut commit_conn) = (conn, conn);
        let stored = if pipelined {
            // `join` polls the statement first; already prepared, it queues its Bind/Execute on
            // that first poll, ahead of the COMMIT.
            let (stored, committed) = futures_util::future::join(
                statement.get_result::<Stored>(&mut statement_conn),
                commit_conn.batch_execute("COMMIT"),
            )
            .await;
            committed.map_err(db_error)?;
            self.state = State::Finished;
            stored.map_err(db_error)?
        } else {
            let next = Next { conn, begin };
            let stored = next
                .run(statement.get_result::<Stored>(&mut statement_conn))
                .await?;
            commit_conn.batch_execute("COMMIT").await.map_err(db_error)?;
            self.state = State::Finished;
            if let (Some(ready), Some(id)) = (ready, id_of_conn) {
                ready.insert(id);
            }
            stored
        };
        Ok((id(stored.id, self.keys.id)?, stored.created_at))
    }
}

impl<Id: 'static> Drop for PgTransaction<Id> {
    fn drop(&mut self) {
        if self.state == State::Open {
            if let Some(conn) = self.conn.take() {
                // Detached from the pool and closed: Postgres rolls the transaction back.
                drop(Object::take(conn));
            }
        }
    }
}

#[async_trait]
impl<Id: Send + 'static> KeyedTransaction for PgTransaction<Id> {
    type Id = Id;

    async fn claim_idempotency_key(
        &mut self,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<KeyClaim<Id>> {
        let keys = self.keys;
        // Waits for a concurrent transaction holding the same key; after it commits this
        // inserts nothing and the SELECT below sees its row, after it rolls back this inserts.
        // A committed key can also expire (retention) between the two statements: the SELECT
        // then finds nothing and the key is free, so it is claimed again (twice is enough:
        // a key only expires once its TTL has passed).
        for _ in 0..2 {
            let next = self.next()?;
            let mut conn = next.conn;
            let insert = Prepared::new(keys.claim)
                .bind::<Text, _>(key.as_str())
                .sql(", ")
                .bind::<Text, _>(fingerprint)
                .sql(") ON CONFLICT DO NOTHING");
            if next.run(insert.execute(&mut conn)).await? == 1 {
                return Ok(KeyClaim::Claimed);
            }
            let mut conn = self.conn()?;
            let existing: Option<ExistingKey> = Prepared::new(keys.find)
                .bind::<Text, _>(key.as_str())
                .get_result(&mut conn)
                .await
                .optional()
                .map_err(db_error)?;
            if let Some(existing) = existing {
                let raw = existing
                    .id
                    .ok_or_else(|| Error::internal("idempotency key committed without what it names"))?;
                return Ok(KeyClaim::Existing {
                    fingerprint: existing.fingerprint,
                    id: id(raw, keys.id)?,
                });
            }
        }
        Err(Error::internal(
            "idempotency key expired twice while being claimed",
        ))
    }

    async fn rollback(&mut self) -> Result<()> {
        if self.state != State::Open {
            self.state = State::Finished;
            return Ok(());
        }
        let mut conn = self.conn()?;
        conn.batch_execute("ROLLBACK").await.map_err(db_error)?;
        self.state = State::Finished;
        Ok(())
    }
}

#[derive(QueryableByName)]
struct ExistingKey {
    #[diesel(sql_type = Text)]
    fingerprint: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    id: Option<i64>,
}

/// What a write's last statement returns (see [`KeyTable::record`]).
#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}
