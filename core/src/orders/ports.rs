//! The ports the order use-cases need.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::decision::StockLine;
use super::model::{IdempotencyKey, Order, OrderLine, OrderStatus, OrderSummary, ValidatedLine};
use crate::{OrderId, Page, PageRequest, ProductId, Result, StoreId};

/// What [`OrderTransaction::claim_idempotency_key`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// The key was free and is now held by this transaction.
    Claimed,
    /// The key belongs to an order committed earlier.
    Existing {
        /// The fingerprint of the request that created that order.
        fingerprint: String,
        /// That order.
        order_id: OrderId,
    },
}

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
    /// ([`crate::jobs::Job::OrderConfirmation`] with the new order's id): true for confirmed
    /// orders, so a crash after commit cannot lose the confirmation.
    pub send_confirmation: bool,
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

    /// A page of the store's orders, newest first (`created_at` desc, then `id` desc),
    /// in a constant number of queries.
    async fn list_store_orders(&self, store_id: StoreId, page: PageRequest) -> Result<Page<OrderSummary>>;
}

/// One open database transaction placing one order. Nothing it writes is visible to anyone
/// else until [`commit`](OrderTransaction::commit); dropping it without committing rolls back.
///
/// Errors: as [`OrderRepository`]. A lock wait is not an error (it just takes longer).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait OrderTransaction: Send {
    /// Takes the idempotency key for this transaction, or reports the order that already holds it.
    /// A concurrent transaction holding the same key makes this wait until that one ends.
    async fn claim_idempotency_key(&mut self, key: &IdempotencyKey, fingerprint: &str) -> Result<KeyClaim>;

    /// Records which order a claimed key produced.
    async fn attach_order_to_key(&mut self, key: &IdempotencyKey, order_id: OrderId) -> Result<()>;

    /// Whether the store exists.
    async fn store_exists(&mut self, store_id: StoreId) -> Result<bool>;

    /// Locks the store's inventory rows of these products, in the order given (ascending ids),
    /// until the transaction ends, and returns every product that exists with its stock
    /// (0 when the store has no row for it). Unknown products are simply absent.
    async fn lock_stock(&mut self, store_id: StoreId, product_ids: &[ProductId]) -> Result<Vec<StockLine>>;

    /// Subtracts each line's quantity from the store's stock. Called only for lines that fit
    /// the stock locked by [`lock_stock`](OrderTransaction::lock_stock).
    async fn deduct_stock(&mut self, store_id: StoreId, lines: &[ValidatedLine]) -> Result<()>;

    /// Stores the order and its lines; returns its id and creation time.
    async fn insert_order<'a>(&mut self, order: NewOrder<'a>) -> Result<(OrderId, DateTime<Utc>)>;

    /// Makes everything written visible at once.
    async fn commit(&mut self) -> Result<()>;

    /// Discards everything written.
    async fn rollback(&mut self) -> Result<()>;
}
