//! The ports of stock adjustments and stock movements.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::adjustments::{NewAdjustment, StockAdjustment};
use super::movements::{StockMovement, StockTargets};
use crate::idempotency::KeyedTransaction;
#[cfg(any(test, feature = "mock"))]
use crate::idempotency::{IdempotencyKey, KeyClaim};
use crate::ids::AdjustmentId;
use crate::{Page, PageRequest, ProductId, Result, StoreId};

/// A stock row read under its lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockedStock {
    /// Whether the store and the product exist.
    pub targets: StockTargets,
    /// Units in stock (0 when the store has no row for the product, or either does not exist).
    pub quantity: u32,
}

/// Stock adjustments storage.
///
/// Errors: [`crate::Error::Unavailable`] when the database cannot be reached,
/// [`crate::Error::Internal`] for anything else unexpected. Absence is `None`, never an error.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait StockAdjustmentRepository: Send + Sync {
    /// Starts the transaction in which one adjustment is decided and stored.
    async fn begin(&self) -> Result<Box<dyn StockAdjustmentTransaction>>;

    /// The adjustment with this id, or `None`.
    async fn get_adjustment(&self, id: AdjustmentId) -> Result<Option<StockAdjustment>>;
}

/// One open database transaction adjusting one stock row: it claims the adjustment's
/// idempotency key ([`KeyedTransaction`]), locks the row, and stores the adjustment. It takes
/// the same row lock as an order's transaction (the orders' `OrderTransaction::lock_stock`):
/// one lock per row, taken in ascending product id — an adjustment holds only its own row's,
/// so it can wait for an order or make one wait, but never deadlock with one. Nothing it
/// writes is visible to anyone else until
/// [`commit_adjustment`](StockAdjustmentTransaction::commit_adjustment); dropping it without
/// committing rolls back.
///
/// Errors: as [`StockAdjustmentRepository`]. A lock wait is not an error.
#[async_trait]
pub trait StockAdjustmentTransaction: KeyedTransaction<Id = AdjustmentId> {
    /// Locks the store's stock row of the product until the transaction ends and returns its
    /// quantity. When the store and the product exist but the row does not, the row is created
    /// at 0 inside this transaction first, so that two transactions adjusting a missing row at
    /// once queue on it like on any other (a rollback removes it again). When either does not
    /// exist, nothing is locked and `quantity` is 0.
    async fn lock_stock_row(&mut self, store_id: StoreId, product_id: ProductId) -> Result<LockedStock>;

    /// Finishes the transaction with this adjustment, all or nothing: sets the row locked by
    /// [`lock_stock_row`](StockAdjustmentTransaction::lock_stock_row) to `quantity_after`
    /// (failing unless it still holds `quantity_before`), stores the adjustment, records the
    /// claimed idempotency key as naming it, commits. Returns its id and its time.
    async fn commit_adjustment<'a>(
        &mut self,
        adjustment: NewAdjustment<'a>,
    ) -> Result<(AdjustmentId, DateTime<Utc>)>;
}

#[cfg(any(test, feature = "mock"))]
mockall::mock! {
    /// A mock [`StockAdjustmentTransaction`].
    pub StockAdjustmentTransaction {}

    #[async_trait]
    impl KeyedTransaction for StockAdjustmentTransaction {
        type Id = AdjustmentId;
        async fn claim_idempotency_key(
            &mut self,
            key: &IdempotencyKey,
            fingerprint: &str,
        ) -> Result<KeyClaim<AdjustmentId>>;
        async fn rollback(&mut self) -> Result<()>;
    }

    #[async_trait]
    impl StockAdjustmentTransaction for StockAdjustmentTransaction {
        async fn lock_stock_row(&mut self, store_id: StoreId, product_id: ProductId) -> Result<LockedStock>;
        async fn commit_adjustment<'a>(
            &mut self,
            adjustment: NewAdjustment<'a>,
        ) -> Result<(AdjustmentId, DateTime<Utc>)>;
    }
}

/// Stock movements storage.
///
/// Errors: [`crate::Error::Unavailable`] when the database cannot be reached,
/// [`crate::Error::Internal`] otherwise.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait StockMovementRepository: Send + Sync {
    /// Whether the store and the product exist.
    async fn stock_targets(&self, store_id: StoreId, product_id: ProductId) -> Result<StockTargets>;

    /// A page of the row's movements — every adjustment and every line of a confirmed order —
    /// in the order [`StockMovement`] documents, in a constant number of queries.
    async fn list_movements(
        &self,
        store_id: StoreId,
        product_id: ProductId,
        page: PageRequest,
    ) -> Result<Page<StockMovement>>;
}
