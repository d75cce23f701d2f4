//! Stock movements: the ledger of one stock row, every change in the order it took the row's
//! lock.

use chrono::{DateTime, Utc};

use super::adjustments::AdjustmentReason;
use crate::ids::AdjustmentId;
use crate::OrderId;

/// One change of a stock row, with its place in the row's history.
///
/// Every change of a row (an order line, an adjustment, a cancellation) takes the next
/// `position` of that row under the row's lock, in the statement that changes the quantity, so
/// positions run 1, 2, 3… without gaps in the order the changes were applied, whatever ran
/// concurrently: each `quantity_before` is the previous movement's `quantity_after`, and the
/// newest `quantity_after` is the row's quantity. `created_at` is taken under the lock too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockMovement {
    /// Its place in the row's history, from 1.
    pub position: u64,
    /// The change it made (negative for an order line).
    pub delta: i64,
    /// Units in stock before it.
    pub quantity_before: u32,
    /// Units in stock after it.
    pub quantity_after: u32,
    /// When it took effect (under the row's lock).
    pub created_at: DateTime<Utc>,
    /// What made it.
    pub cause: MovementCause,
}

/// What made a stock movement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MovementCause {
    /// A stock adjustment by staff.
    Adjustment {
        /// The adjustment.
        id: AdjustmentId,
        /// Why.
        reason: AdjustmentReason,
        /// The staff's note.
        note: Option<String>,
        /// The name of the token that made it.
        actor: String,
    },
    /// A line of a confirmed order.
    Order {
        /// The order.
        order_id: OrderId,
    },
    /// A line of a cancelled order, given back.
    Cancellation {
        /// The order.
        order_id: OrderId,
        /// The name of the token that cancelled it.
        actor: String,
    },
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
