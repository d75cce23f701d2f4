//! Daily inventory summaries.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::stores::{require_store, StoreRepository};
use crate::{Entity, Error, Result, StoreId};

/// Items with fewer units than this (and more than zero) count as low on stock.
pub const DEFAULT_LOW_STOCK_THRESHOLD: u32 = 5;

/// One store's summary of one UTC day.
///
/// Orders are counted on the day of each event, and a later event never rewrites an earlier
/// day: an order placed and confirmed on Monday and cancelled on Tuesday counts in Monday's
/// `orders_confirmed` (it was confirmed then, and Monday's stock was taken by it) and in
/// Tuesday's `orders_cancelled` (the day its units came back). So re-running Monday after the
/// cancellation gives Monday's figures unchanged; one day's `orders_cancelled` are mostly not
/// among its `orders_confirmed`, so the two are not to be subtracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventorySummary {
    /// The store.
    pub store_id: StoreId,
    /// The day summarised.
    pub day: NaiveDate,
    /// Products with an inventory row in the store.
    pub product_count: u64,
    /// Units in stock, all products together.
    pub total_units: u64,
    /// Products at zero units.
    pub items_at_zero: u64,
    /// Products with at least one unit but fewer than `low_stock_threshold`.
    pub items_low_stock: u64,
    /// The threshold used.
    pub low_stock_threshold: u32,
    /// Orders placed in the store that day and confirmed, including those cancelled since
    /// (status `CONFIRMED` or `CANCELLED`).
    pub orders_confirmed: u64,
    /// Orders placed in the store that day and rejected.
    pub orders_rejected: u64,
    /// Orders of the store cancelled that day, whenever they were placed.
    pub orders_cancelled: u64,
    /// Units the day's cancelled orders gave back to the store's stock: the sum of their lines'
    /// requested quantities.
    pub units_returned: u64,
    /// When it was computed (stock figures are as of then).
    pub computed_at: DateTime<Utc>,
}

/// Daily inventory summaries.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SummaryRepository: Send + Sync {
    /// Computes and stores every store's summary for `day` (UTC), replacing an earlier run's,
    /// in one transaction. Stock figures are the stock at the time of the run.
    async fn summarize_day(&self, day: NaiveDate, low_stock_threshold: u32) -> Result<Vec<InventorySummary>>;

    /// The store's summary for `day`, or its latest when `day` is `None`.
    async fn find_summary(
        &self,
        store_id: StoreId,
        day: Option<NaiveDate>,
    ) -> Result<Option<InventorySummary>>;
}

/// A store's summary for `day`, or its latest. Errors: [`Error::NotFound`] for an unknown
/// store, and — with `Entity::Summary` — when there is no summary.
pub async fn summary_for(
    stores: &dyn StoreRepository,
    summaries: &dyn SummaryRepository,
    raw_store_id: i64,
    day: Option<NaiveDate>,
) -> Result<InventorySummary> {
    let store_id = require_store(stores, raw_store_id).await?;
    summaries
        .find_summary(store_id, day)
        .await?
        .ok_or(Error::NotFound {
            entity: Entity::Summary,
            id: raw_store_id,
        })
}
