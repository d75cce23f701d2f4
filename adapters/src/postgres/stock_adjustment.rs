//! [`StockAdjustmentRepository`] on PostgreSQL: one stock adjustment in one READ COMMITTED
//! transaction, taking the same row lock as an order, on the transaction guard of every keyed
//! write ([`PgTransaction`]).
//!
//! 1. `BEGIN`, pipelined with the first statement;
//! 2. with an `Idempotency-Key`: its claim in `adjustment_idempotency_keys` (as orders claim
//!    theirs in `idempotency_keys`: a concurrent holder of the key makes it wait);
//! 3. the lock: `SELECT … FOR UPDATE` of the one inventory row, with whether the store and the
//!    product exist. An order locks its rows in ascending product id; an adjustment locks one
//!    row, so the two only ever queue on each other and never deadlock. When the row is missing
//!    but the store and product exist, `INSERT … ON CONFLICT DO NOTHING` creates it at 0 and the
//!    lock is taken again: of two transactions adjusting a missing row at once, the second's
//!    insert waits for the first to end, then inserts nothing (the first committed: the second
//!    locks the committed row, with its quantity) or its own row (the first rolled back). No
//!    delta is lost either way, and a refused adjustment's rollback removes the row it made;
//! 4. one statement: set the row and bump its `version` (only if it still holds the quantity
//!    read under lock — it does while the lock is held; `aforro_check` fails the statement
//!    otherwise), insert the adjustment (its `created_at` is `clock_timestamp()`, taken under
//!    the lock) and its ledger entry at the row's new version (`stock_movements`, migration
//!    18), record the key; then `COMMIT`.
//!
//! `quantity >= 0` is a CHECK on `inventory` and `quantity_after = quantity_before + delta` one
//! on `stock_adjustments`, so even a bug here could not leave negative stock or a history that
//! does not add up. Adjustments are rare next to orders, so unlike the order transaction this
//! one does not pipeline its `COMMIT`.
//!
//! A transaction dropped unfinished (a cancelled request) takes its connection out of the pool
//! and closes it, and Postgres rolls back, as for orders.

use aforro_core::inventory::{
    AdjustmentId, AdjustmentReason, Delta, LockedStock, NewAdjustment, StockAdjustment,
    StockAdjustmentRepository, StockAdjustmentTransaction, StockTargets,
};
use aforro_core::{Error, ProductId, Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};
use diesel_async::RunQueryDsl;

use super::error::db_error;
use super::prepared::Prepared;
use super::rows::{count, id};
use super::schema::stock_adjustments;
use super::transaction::{PgTransaction, ADJUSTMENT_KEYS};
use super::Postgres;

#[async_trait]
impl StockAdjustmentRepository for Postgres {
    async fn begin(&self) -> Result<Box<dyn StockAdjustmentTransaction>> {
        // BEGIN is not sent yet: it goes out with the transaction's first statement. Adjustments
        // are rare: their COMMIT waits for their last statement's answer.
        Ok(self.keyed_transaction(&ADJUSTMENT_KEYS, false).await?)
    }

    /// One query by primary key.
    async fn get_adjustment(&self, adjustment_id: AdjustmentId) -> Result<Option<StockAdjustment>> {
        let row: Option<AdjustmentRow> = stock_adjustments::table
            .find(adjustment_id.get())
            .select(AdjustmentRow::as_select())
            .first(&mut *self.conn().await?)
            .await
            .optional()
            .map_err(db_error)?;
        row.map(AdjustmentRow::into_adjustment).transpose()
    }
}

/// The lock statement of step 3.
async fn lock(
    tx: &mut PgTransaction<AdjustmentId>,
    store_id: StoreId,
    product_id: ProductId,
) -> Result<LockedRow> {
    let next = tx.next()?;
    let mut conn = next.conn;
    let query = Prepared::new(
        "WITH locked AS (
             SELECT quantity FROM inventory WHERE store_id = ",
    )
    .bind::<BigInt, _>(store_id.get())
    .sql(" AND product_id = ")
    .bind::<BigInt, _>(product_id.get())
    .sql(
        " FOR UPDATE
         )
         SELECT EXISTS (SELECT 1 FROM stores WHERE id = ",
    )
    .bind::<BigInt, _>(store_id.get())
    .sql(") AS store_exists, EXISTS (SELECT 1 FROM products WHERE id = ")
    .bind::<BigInt, _>(product_id.get())
    .sql(") AS product_exists, (SELECT quantity FROM locked) AS quantity")
    .get_result(&mut conn);
    next.run(query).await
}

#[async_trait]
impl StockAdjustmentTransaction for PgTransaction<AdjustmentId> {
    async fn lock_stock_row(&mut self, store_id: StoreId, product_id: ProductId) -> Result<LockedStock> {
        let mut row = lock(self, store_id, product_id).await?;
        if row.quantity.is_none() && row.store_exists && row.product_exists {
            let next = self.next()?;
            let mut conn = next.conn;
            let insert = diesel::sql_query(
                "INSERT INTO inventory (store_id, product_id, quantity) VALUES ($1, $2, 0)
                 ON CONFLICT (store_id, product_id) DO NOTHING",
            )
            .bind::<BigInt, _>(store_id.get())
            .bind::<BigInt, _>(product_id.get())
            .execute(&mut conn);
            next.run(insert).await?;
            row = lock(self, store_id, product_id).await?;
            if row.quantity.is_none() {
                return Err(Error::internal(format!(
                    "stock row of store {store_id} and product {product_id} missing after its insert"
                )));
            }
        }
        Ok(LockedStock {
            targets: StockTargets {
                store_exists: row.store_exists,
                product_exists: row.product_exists,
            },
            quantity: row.quantity.map(count).transpose()?.unwrap_or(0),
        })
    }

    async fn commit_adjustment<'a>(
        &mut self,
        new: NewAdjustment<'a>,
    ) -> Result<(AdjustmentId, DateTime<Utc>)> {
        let adjustment = new.adjustment;
        let before = quantity(new.quantity_before)?;
        let after = quantity(new.quantity_after)?;
        let statement = Prepared::new(
            "WITH updated AS (
                 UPDATE inventory SET version = version + 1, quantity = ",
        )
        .bind::<Integer, _>(after)
        .sql(" WHERE store_id = ")
        .bind::<BigInt, _>(adjustment.store_id.get())
        .sql(" AND product_id = ")
        .bind::<BigInt, _>(adjustment.product_id.get())
        .sql(" AND quantity = ")
        .bind::<Integer, _>(before)
        .sql(
            "
                 RETURNING version
             ), adjustment AS (
                 INSERT INTO stock_adjustments (store_id, product_id, delta, reason, note,
                                                quantity_before, quantity_after, actor, created_at)
                 VALUES (",
        )
        .bind::<BigInt, _>(adjustment.store_id.get())
        .sql(", ")
        .bind::<BigInt, _>(adjustment.product_id.get())
        .sql(", ")
        .bind::<Integer, _>(adjustment.delta.get())
        .sql(", ")
        .bind::<Text, _>(adjustment.reason.as_str())
        .sql(", ")
        .bind::<Nullable<Text>, _>(adjustment.note.clone())
        .sql(", ")
        .bind::<Integer, _>(before)
        .sql(", ")
        .bind::<Integer, _>(after)
        .sql(", ")
        .bind::<Text, _>(new.actor.as_str().to_owned())
        .sql(
            ", clock_timestamp())
                 RETURNING id, created_at, store_id, product_id, delta, quantity_before, quantity_after
             ), movement AS (
                 INSERT INTO stock_movements (store_id, product_id, position, kind, delta,
                                              quantity_before, quantity_after, adjustment_id,
                                              created_at)
                 SELECT a.store_id, a.product_id, updated.version, 'adjustment', a.delta,
                        a.quantity_before, a.quantity_after, a.id, a.created_at
                 FROM updated, adjustment a",
        );
        let statement = ADJUSTMENT_KEYS.record(statement, new.idempotency_key).sql(
            "aforro_check((SELECT count(*) FROM updated) = 1,
                          'the adjustment did not find its stock row as it was locked')",
        );
        self.commit_with(statement).await
    }
}

/// A quantity as the `INTEGER` column takes it (the core never decides a larger one).
fn quantity(units: u32) -> Result<i32> {
    i32::try_from(units).map_err(|_| Error::internal(format!("quantity {units} does not fit the column")))
}

#[derive(QueryableByName)]
struct LockedRow {
    #[diesel(sql_type = Bool)]
    store_exists: bool,
    #[diesel(sql_type = Bool)]
    product_exists: bool,
    #[diesel(sql_type = Nullable<Integer>)]
    quantity: Option<i32>,
}

/// A `stock_adjustments` row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = stock_adjustments)]
pub(super) struct AdjustmentRow {
    pub(super) id: i64,
    pub(super) store_id: i64,
    pub(super) product_id: i64,
    pub(super) delta: i32,
    pub(super) reason: String,
    pub(super) note: Option<String>,
    pub(super) quantity_before: i32,
    pub(super) quantity_after: i32,
    pub(super) actor: String,
    pub(super) created_at: DateTime<Utc>,
}

impl AdjustmentRow {
    pub(super) fn into_adjustment(self) -> Result<StockAdjustment> {
        Ok(StockAdjustment {
            id: id(self.id, AdjustmentId::new)?,
            store_id: id(self.store_id, StoreId::new)?,
            product_id: id(self.product_id, ProductId::new)?,
            delta: Delta::new(i64::from(self.delta))
                .ok_or_else(|| Error::internal(format!("stored delta {} out of range", self.delta)))?,
            reason: AdjustmentReason::parse(&self.reason)
                .ok_or_else(|| Error::internal(format!("unknown adjustment reason {:?}", self.reason)))?,
            note: self.note,
            quantity_before: count(self.quantity_before)?,
            quantity_after: count(self.quantity_after)?,
            actor: self.actor,
            created_at: self.created_at,
        })
    }
}
