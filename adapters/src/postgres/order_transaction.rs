//! [`OrderTransaction`] on PostgreSQL: one order in two round trips.
//!
//! Placing an order is one READ COMMITTED transaction on one connection:
//! 1. `BEGIN` (with generic plans pinned, see [`BEGIN`]), pipelined with the first statement
//!    (one round trip): the idempotency-key claim when there is a key, else the lock below;
//! 2. the lock: `SELECT … FOR UPDATE` of the store's inventory rows of the ordered products in
//!    ascending product id (concurrent orders queue on the rows they share and never deadlock),
//!    returned with each product's title and whether the store exists;
//! 3. one statement: deduct (confirmed orders only), insert the order, its lines, its
//!    confirmation job in the outbox, and the idempotency key's order id — failing, so that
//!    nothing of it stays, unless it deducted exactly one stock row per line;
//! 4. `COMMIT`, pipelined behind step 3 (one round trip).
//!
//! `quantity >= 0` is also a CHECK constraint, so even a bug here could not oversell: the
//! statement would fail and the transaction roll back. `bench/order.sql` is this transaction as
//! plain SQL, for pgbench.
//!
//! `BEGIN` in front of a statement is always safe to pipeline. `COMMIT` behind one is safe only
//! once the statement is prepared on that connection: diesel-async prepares a statement the
//! first time a connection runs it and sends it only then, so a `COMMIT` sent alongside could
//! reach the server first. [`CommitReady`] remembers the connections that ran step 3 before;
//! on any other, `COMMIT` waits for step 3's answer (three round trips, once per connection).
//!
//! `BEGIN` and `COMMIT` are plain statements, not diesel's transaction manager (which cannot
//! pipeline), so the pool cannot see that a connection is inside a transaction. A transaction
//! dropped unfinished (a cancelled request, a panic) therefore takes its connection out of the
//! pool and closes it, and Postgres rolls back.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Mutex;

use aforro_core::orders::{IdempotencyKey, KeyClaim, NewOrder, OrderStatus, OrderTransaction, StockLine};
use aforro_core::{Error, OrderId, ProductId, Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool::managed::ObjectId;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use super::error::db_error;
use super::prepared::Prepared;
use super::rows::{count, id};
use super::schema::idempotency_keys;
use crate::trace::current_trace_id;

/// Starts the transaction, pinning generic plans for its statements. Their parameters are
/// arrays, and with an array of unknown length Postgres costs the generic plan above the
/// custom ones, so it kept planning every execution again: 27% of the database's CPU in a
/// profile of `scripts/bench-orders` at 32 clients (pgbench, whose arrays are literal
/// `ARRAY[…]`s, got generic plans: 2%). The generic plans are the same index scans.
/// One simple-query message: no extra round trip.
const BEGIN: &str = "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan";

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

/// The pooled connections on which step 3 is already prepared, so `COMMIT` may follow it in
/// the same round trip. Bounded: past a few times the pool's size (connections replaced over
/// time) it starts again empty, which costs each connection one unpipelined `COMMIT`.
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

/// A pooled connection on which one order's transaction runs.
pub(super) struct PgOrderTransaction {
    /// Always `Some` until `drop`.
    conn: Option<Object<AsyncPgConnection>>,
    state: State,
    commit_ready: std::sync::Arc<CommitReady>,
}

impl PgOrderTransaction {
    pub(super) fn new(conn: Object<AsyncPgConnection>, commit_ready: std::sync::Arc<CommitReady>) -> Self {
        Self {
            conn: Some(conn),
            state: State::NotBegun,
            commit_ready,
        }
    }

    fn conn_id(&self) -> Option<ObjectId> {
        self.conn.as_ref().map(Object::id)
    }

    fn conn(&self) -> Result<&AsyncPgConnection> {
        self.conn
            .as_deref()
            .ok_or_else(|| Error::internal("order transaction used after its connection was released"))
    }

    /// Runs `statement`; when nothing was sent yet, sends `BEGIN` ahead of it in the same round
    /// trip. `futures_util`'s join polls `BEGIN` first, so its request is queued first.
    async fn first_or_next<T>(
        conn: &AsyncPgConnection,
        begin: bool,
        statement: impl Future<Output = QueryResult<T>> + Send,
    ) -> QueryResult<T> {
        if !begin {
            return statement.await;
        }
        let mut conn = conn;
        let (_, value) = futures_util::future::try_join(conn.batch_execute(BEGIN), statement).await?;
        Ok(value)
    }

    /// Marks the transaction open before its first statement is sent, so that a cancelled
    /// request cannot return a connection with an open transaction to the pool.
    fn open(&mut self) -> bool {
        let begin = self.state == State::NotBegun;
        self.state = State::Open;
        begin
    }
}

impl Drop for PgOrderTransaction {
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
impl OrderTransaction for PgOrderTransaction {
    async fn claim_idempotency_key(&mut self, key: &IdempotencyKey, fingerprint: &str) -> Result<KeyClaim> {
        let mut begin = self.open();
        let conn = self.conn()?;
        // Waits for a concurrent transaction holding the same key; after it commits this
        // inserts nothing and the SELECT below sees its row, after it rolls back this inserts.
        // A committed key can also expire (retention) between the two statements: the SELECT
        // then finds nothing and the key is free, so it is claimed again (twice is enough:
        // a key only expires once its TTL has passed).
        for _ in 0..2 {
            let mut insert_conn = conn;
            let insert = diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::key.eq(key.as_str()),
                    idempotency_keys::fingerprint.eq(fingerprint),
                ))
                .on_conflict_do_nothing()
                .execute(&mut insert_conn);
            let inserted = Self::first_or_next(conn, begin, insert).await.map_err(db_error)?;
            begin = false;
            if inserted == 1 {
                return Ok(KeyClaim::Claimed);
            }
            let mut select_conn = conn;
            let existing: Option<(String, Option<i64>)> = idempotency_keys::table
                .find(key.as_str())
                .select((idempotency_keys::fingerprint, idempotency_keys::order_id))
                .get_result(&mut select_conn)
                .await
                .optional()
                .map_err(db_error)?;
            if let Some((fingerprint, order_id)) = existing {
                let order_id =
                    order_id.ok_or_else(|| Error::internal("idempotency key committed without an order"))?;
                return Ok(KeyClaim::Existing {
                    fingerprint,
                    order_id: id(order_id, OrderId::new)?,
                });
            }
        }
        Err(Error::internal(
            "idempotency key expired twice while being claimed",
        ))
    }

    async fn lock_stock(
        &mut self,
        store_id: StoreId,
        product_ids: &[ProductId],
    ) -> Result<Option<Vec<StockLine>>> {
        let begin = self.open();
        let conn = self.conn()?;
        // The CTE locks the rows (FOR UPDATE keeps Postgres from inlining it, and the join
        // reads all of it); ORDER BY below FOR UPDATE makes the lock order ascending product
        // id. The one-row `(SELECT)` on the left keeps a row, with the store's existence, even
        // when no product exists.
        let ids: Vec<i64> = product_ids.iter().map(|p| p.get()).collect();
        let mut query_conn = conn;
        let query = Prepared::new(
            "WITH locked AS (
                 SELECT product_id, quantity FROM inventory
                 WHERE store_id = ",
        )
        .bind::<BigInt, _>(store_id.get())
        .sql(" AND product_id = ANY(")
        .bind::<Array<BigInt>, _>(ids.clone())
        .sql(
            ")
                 ORDER BY product_id
                 FOR UPDATE
             )
             SELECT EXISTS (SELECT 1 FROM stores WHERE id = ",
        )
        .bind::<BigInt, _>(store_id.get())
        .sql(
            ") AS store_exists, p.id, p.title, coalesce(locked.quantity, 0) AS quantity
             FROM (SELECT) AS one
             LEFT JOIN (products p LEFT JOIN locked ON locked.product_id = p.id)
                 ON p.id = ANY(",
        )
        .bind::<Array<BigInt>, _>(ids)
        .sql(")")
        .load::<LockedRow>(&mut query_conn);
        let rows = Self::first_or_next(conn, begin, query).await.map_err(db_error)?;
        if !<[LockedRow]>::first(&rows).is_some_and(|r| r.store_exists) {
            return Ok(None);
        }
        let mut lines = Vec::with_capacity(rows.len());
        for row in rows {
            if let (Some(product_id), Some(title)) = (row.id, row.title) {
                lines.push(StockLine {
                    product_id: id(product_id, ProductId::new)?,
                    title,
                    available: count(row.quantity)?,
                });
            }
        }
        Ok(Some(lines))
    }

    async fn commit_order<'a>(&mut self, order: NewOrder<'a>) -> Result<(OrderId, DateTime<Utc>)> {
        let begin = self.open();
        let id_of_conn = self.conn_id();
        let pipelined = !begin && id_of_conn.is_some_and(|id| self.commit_ready.contains(id));
        let conn = self.conn()?;
        let row = if pipelined {
            // `join` polls the statement first; already prepared, it queues its Bind/Execute on
            // that first poll, ahead of the COMMIT. Both answers are awaited: after a failed
            // statement the COMMIT still ran (as a rollback), and the transaction is over.
            let mut commit_conn = conn;
            let (stored, committed) =
                futures_util::future::join(store_order(conn, &order), commit_conn.batch_execute("COMMIT"))
                    .await;
            committed.map_err(db_error)?;
            self.state = State::Finished;
            stored.map_err(db_error)?
        } else {
            let row = Self::first_or_next(conn, begin, store_order(conn, &order))
                .await
                .map_err(db_error)?;
            let mut commit_conn = conn;
            commit_conn.batch_execute("COMMIT").await.map_err(db_error)?;
            self.state = State::Finished;
            if let Some(id) = id_of_conn {
                self.commit_ready.insert(id);
            }
            row
        };
        Ok((id(row.id, OrderId::new)?, row.created_at))
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

/// Step 3 as one statement. Lines keep the client's order (their ids are drawn in ORDINALITY
/// order, and GET /orders/{id}/ sorts by line id). `aforro_check` (migration 7) fails the
/// statement unless it deducted one stock row per line of a confirmed order and none for a
/// rejected one — impossible while `lock_stock` holds the rows, and too late to check after a
/// pipelined `COMMIT`.
fn store_order<'c>(
    conn: &'c AsyncPgConnection,
    order: &NewOrder<'_>,
) -> impl Future<Output = QueryResult<StoredOrder>> + Send + 'c {
    let ids: Vec<i64> = order.lines.iter().map(|l| l.product_id.get()).collect();
    let requested: Vec<i32> = order
        .lines
        .iter()
        .map(|l| l.quantity_requested.get() as i32)
        .collect();
    let available: Vec<i32> = order
        .lines
        .iter()
        .map(|l| i32::try_from(l.quantity_available).unwrap_or(i32::MAX))
        .collect();
    let deductions = if order.status == OrderStatus::Confirmed {
        order.lines.len() as i64
    } else {
        0
    };
    let query = Prepared::new(
        "WITH line AS (
             SELECT * FROM unnest(",
    )
    .bind::<Array<BigInt>, _>(ids)
    .sql("::bigint[], ")
    .bind::<Array<Integer>, _>(requested)
    .sql("::int[], ")
    .bind::<Array<Integer>, _>(available)
    .sql(
        "::int[]) WITH ORDINALITY AS l(product_id, requested, available, position)
         ), deducted AS (
             UPDATE inventory AS i SET quantity = i.quantity - line.requested
             FROM line
             WHERE ",
    )
    .bind::<Bool, _>(order.status == OrderStatus::Confirmed)
    .sql(" AND i.store_id = ")
    .bind::<BigInt, _>(order.store_id.get())
    .sql(
        " AND i.product_id = line.product_id
             RETURNING 1
         ), new_order AS (
             INSERT INTO orders (store_id, status) VALUES (",
    )
    .bind::<BigInt, _>(order.store_id.get())
    .sql(", ")
    .bind::<Text, _>(order.status.as_str())
    .sql(
        ") RETURNING id, created_at
         ), new_lines AS (
             INSERT INTO order_items (order_id, product_id, quantity_requested, quantity_available)
             SELECT new_order.id, line.product_id, line.requested, line.available
             FROM new_order, line
             ORDER BY line.position
         ), confirmation AS (
             INSERT INTO outbox (kind, order_id, trace_id)
             SELECT 'order_confirmation', new_order.id, ",
    )
    // The request's trace id, so the worker logs it with the confirmation (see `trace`).
    .bind::<Nullable<Text>, _>(current_trace_id().map(|t| t.as_str().to_owned()))
    .sql(" FROM new_order WHERE ")
    .bind::<Bool, _>(order.send_confirmation)
    .sql(
        "
         ), keyed AS (
             UPDATE idempotency_keys SET order_id = new_order.id
             FROM new_order
             WHERE idempotency_keys.key = ",
    )
    .bind::<Nullable<Text>, _>(order.idempotency_key.map(|k| k.as_str().to_owned()))
    .sql(
        "
         )
         SELECT id, created_at FROM new_order
         WHERE aforro_check((SELECT count(*) FROM deducted) = ",
    )
    .bind::<BigInt, _>(deductions)
    .sql(", 'the order deducted a different number of stock rows than it has lines')");
    let mut conn = conn;
    async move { query.get_result::<StoredOrder>(&mut conn).await }
}

#[derive(QueryableByName)]
struct LockedRow {
    #[diesel(sql_type = Bool)]
    store_exists: bool,
    #[diesel(sql_type = Nullable<BigInt>)]
    id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
    #[diesel(sql_type = Integer)]
    quantity: i32,
}

#[derive(QueryableByName)]
struct StoredOrder {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}
