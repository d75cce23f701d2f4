//! Stock movements: everything that changed one stock row, newest first.

use chrono::{DateTime, Utc};

use super::adjustments::StockAdjustment;
use crate::OrderId;

/// One change of a stock row.
///
/// Movements are listed newest first: `created_at` descending, then adjustments before order
/// lines of the same instant, then id descending — a total order, so pages are stable.
/// An adjustment's `created_at` is taken under the row's lock, so adjustments of one row are
/// listed exactly in the order they were applied; an order's is the start of its transaction
/// (as `GET /orders/{id}/` shows it), so an order that waited for the row behind an adjustment
/// may be listed a few milliseconds before it. `quantity_before`/`quantity_after` of the
/// adjustments are the exact record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockMovement {
    /// A stock adjustment.
    Adjustment(StockAdjustment),
    /// A line of a confirmed order.
    Order {
        /// The order.
        order_id: OrderId,
        /// Minus the quantity ordered.
        delta: i64,
        /// When the order was placed.
        created_at: DateTime<Utc>,
    },
}

impl StockMovement {
    /// The change it made to the stock.
    pub fn delta(&self) -> i64 {
        match self {
            StockMovement::Adjustment(adjustment) => i64::from(adjustment.delta.get()),
            StockMovement::Order { delta, .. } => *delta,
        }
    }

    /// When it happened.
    pub fn created_at(&self) -> DateTime<Utc> {
        match self {
            StockMovement::Adjustment(adjustment) => adjustment.created_at,
            StockMovement::Order { created_at, .. } => *created_at,
        }
    }
}

/// Whether the two things a stock row belongs to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StockTargets {
    /// The store exists.
    pub store_exists: bool,
    /// The product exists.
    pub product_exists: bool,
}

impl StockTargets {
    /// `Ok` when both exist, else [`crate::Error::NotFound`] naming the store first.
    pub fn require(self, store_id: crate::StoreId, product_id: crate::ProductId) -> crate::Result<()> {
        if !self.store_exists {
            return Err(crate::Error::NotFound {
                entity: crate::Entity::Store,
                id: store_id.get(),
            });
        }
        if !self.product_exists {
            return Err(crate::Error::NotFound {
                entity: crate::Entity::Product,
                id: product_id.get(),
            });
        }
        Ok(())
    }
}
