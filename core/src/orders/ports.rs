//! The ports the order use-cases need.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::cancellation::NewCancellation;
use super::decision::StockLine;
use super::model::{Order, OrderLine, OrderStatus, OrderSummary};
#[cfg(any(test, feature = "mock"))]
use crate::idempotency::KeyClaim;
use crate::idempotency::{IdempotencyKey, KeyedTransaction};
use crate::{OrderId, Page, PageRequest, ProductId, Result, StoreId};

/// An order to store, as decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder<'a> {
    /// The store.
    pub store_id: StoreId,
    /// Confirmed or rejected.
    pub status: OrderStatus,
    /// The lines with the stock seen at decision time.
    pub lines: &'a [OrderLine],
    /// Whether to write an order-confirmation job to the outbox in the same transaction
    /// ([`crate::outbox::Job::OrderConfirmation`] with the new order's id): true for confirmed
    /// orders, so a crash after commit cannot lose the confirmation.
    pub send_confirmation: bool,
    /// The key this transaction claimed with
    /// [`KeyedTransaction::claim_idempotency_key`], to be recorded as naming this order.
    pub idempotency_key: Option<&'a IdempotencyKey>,
}

/// Orders storage.
///
/// Errors: [`crate::Error::Unavailable`] when the database cannot be reached,
/// [`crate::Error::Internal`] for anything else unexpected. Absence is never an error here:
/// it is `None` or an empty page.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait OrderRepository: Send + Sync {
    /// Starts the transaction in which one order is decided and stored.
    async fn begin(&self) -> Result<Box<dyn OrderTransaction>>;

    /// The order with its lines, or `None`.
    async fn get_order(&self, id: OrderId) -> Result<Option<Order>>;

    /// The orders among `ids` that exist, with their lines, in any order (missing ones are
    /// left out). Adapters answer in one query; this default asks one by one.
    async fn get_orders(&self, ids: &[OrderId]) -> Result<Vec<Order>> {
        let mut orders = Vec::with_capacity(ids.len());
        for id in ids {
            orders.extend(self.get_order(*id).await?);
        }
        Ok(orders)
    }

    /// A page of the store's orders, newest first (`created_at` desc, then `id` desc),
    /// in a constant number of queries.
    async fn list_store_orders(&self, store_id: StoreId, page: PageRequest) -> Result<Page<OrderSummary>>;

    /// The store the order was placed with, or `None` for an unknown order (an order never
    /// moves to another store, so any replica's answer holds).
    async fn order_store(&self, id: OrderId) -> Result<Option<StoreId>>;

    /// Starts the transaction in which one order is cancelled.
    async fn begin_cancellation(&self) -> Result<Box<dyn CancellationTransaction>>;
}

/// One open database transaction cancelling one order: it claims the request's idempotency
/// key ([`KeyedTransaction`]), locks the order (so that cancels of one order queue), then its
/// stock rows in ascending product id (as an order's transaction does: never a deadlock against
/// orders or adjustments), and gives every line's units back. Nothing it writes is visible to
/// anyone else until it commits; dropping it without committing rolls back.
///
/// Errors: as [`OrderRepository`]. A lock wait is not an error.
#[async_trait]
pub trait CancellationTransaction: KeyedTransaction<Id = OrderId> {
    /// Locks the order until the transaction ends (a second cancel of it waits here) and
    /// returns it as it stands once locked, or `None` for an unknown order.
    async fn lock_order(&mut self, id: OrderId) -> Result<Option<Order>>;

    /// Locks the store's stock rows of these products, in the order given (ascending ids),
    /// until the transaction ends.
    async fn lock_stock_rows(&mut self, store_id: StoreId, product_ids: &[ProductId]) -> Result<()>;

    /// Finishes the transaction with this cancellation, all or nothing: adds each line's units
    /// back to its stock row locked by [`lock_stock_rows`](Self::lock_stock_rows), with a
    /// `cancellation` movement in the row's ledger; marks the order `CANCELLED` by `actor`;
    /// writes the cancellation email's job to the outbox; records the claimed key as naming
    /// the order; commits. Returns the cancellation's time (taken under the locks).
    async fn commit_cancellation<'a>(&mut self, cancellation: NewCancellation<'a>) -> Result<DateTime<Utc>>;

    /// Finishes the transaction without a change (the order was already cancelled), only
    /// recording the claimed key, if any, as naming the order.
    async fn commit_unchanged<'a>(&mut self, id: OrderId, key: Option<&'a IdempotencyKey>) -> Result<()>;
}

/// One open database transaction placing one order: it claims the order's idempotency key
/// ([`KeyedTransaction`]), locks the stock, and stores the order. Nothing it writes is visible
/// to anyone else until [`commit_order`](OrderTransaction::commit_order); dropping it without
/// committing rolls back.
///
/// Errors: as [`OrderRepository`]. A lock wait is not an error (it just takes longer).
#[async_trait]
pub trait OrderTransaction: KeyedTransaction<Id = OrderId> {
    /// Locks the store's inventory rows of these products, in the order given (ascending ids),
    /// until the transaction ends, and returns every product that exists with its stock
    /// (0 when the store has no row for it). Unknown products are simply absent.
    /// `None` when the store does not exist (then nothing is locked).
    async fn lock_stock(
        &mut self,
        store_id: StoreId,
        product_ids: &[ProductId],
    ) -> Result<Option<Vec<StockLine>>>;

    /// Finishes the transaction with this order, all or nothing: stores the order and its
    /// lines; for a confirmed order subtracts each line's requested quantity from the stock
    /// locked by [`lock_stock`](OrderTransaction::lock_stock); records the claimed
    /// idempotency key as naming the order; commits. Returns the order's id and creation time.
    ///
    /// One call rather than one per step so that an adapter can send it all in one round trip
    /// (on PostgreSQL: one statement pipelined with `COMMIT`). After an error nothing is
    /// committed, except for the ambiguity of any commit whose answer was lost.
    async fn commit_order<'a>(&mut self, order: NewOrder<'a>) -> Result<(OrderId, DateTime<Utc>)>;
}

#[cfg(any(test, feature = "mock"))]
mockall::mock! {
    /// A mock [`OrderTransaction`].
    pub OrderTransaction {}

    #[async_trait]
    impl KeyedTransaction for OrderTransaction {
        type Id = OrderId;
        async fn claim_idempotency_key(&mut self, key: &IdempotencyKey, fingerprint: &str) -> Result<KeyClaim<OrderId>>;
        async fn rollback(&mut self) -> Result<()>;
    }

    #[async_trait]
    impl OrderTransaction for OrderTransaction {
        async fn lock_stock(
            &mut self,
            store_id: StoreId,
            product_ids: &[ProductId],
        ) -> Result<Option<Vec<StockLine>>>;
        async fn commit_order<'a>(&mut self, order: NewOrder<'a>) -> Result<(OrderId, DateTime<Utc>)>;
    }
}

#[cfg(any(test, feature = "mock"))]
mockall::mock! {
    /// A mock [`CancellationTransaction`].
    pub CancellationTransaction {}

    #[async_trait]
    impl KeyedTransaction for CancellationTransaction {
        type Id = OrderId;
        async fn claim_idempotency_key(&mut self, key: &IdempotencyKey, fingerprint: &str) -> Result<KeyClaim<OrderId>>;
        async fn rollback(&mut self) -> Result<()>;
    }

    #[async_trait]
    impl CancellationTransaction for CancellationTransaction {
        async fn lock_order(&mut self, id: OrderId) -> Result<Option<Order>>;
        async fn lock_stock_rows(&mut self, store_id: StoreId, product_ids: &[ProductId]) -> Result<()>;
        async fn commit_cancellation<'a>(&mut self, cancellation: NewCancellation<'a>) -> Result<DateTime<Utc>>;
        async fn commit_unchanged<'a>(&mut self, id: OrderId, key: Option<&'a IdempotencyKey>) -> Result<()>;
    }
}
