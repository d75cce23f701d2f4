//! What the back office reads.

use std::fmt;

use crate::orders::OrderStatus;
use crate::{Error, Result, StoreId};

/// Default threshold of "low" stock: a row with fewer units than this (but at least one) is
/// low. The daily summary's `LOW_STOCK_THRESHOLD` has the same default.
pub const DEFAULT_LOW_STOCK_BELOW: u32 = 5;

/// A stock row's level, from its quantity and the low threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StockLevel {
    /// Every row.
    #[default]
    All,
    /// At least one unit, fewer than the threshold.
    Low,
    /// None left.
    Out,
}

impl StockLevel {
    /// Reads the form value (`all`, `low`, `out`; empty is `all`).
    ///
    /// Errors: [`Error::Invalid`] naming `field` for anything else.
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        match raw.trim() {
            "" | "all" => Ok(Self::All),
            "low" => Ok(Self::Low),
            "out" => Ok(Self::Out),
            _ => Err(Error::invalid(field, "must be all, low or out")),
        }
    }

    /// The form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Low => "low",
            Self::Out => "out",
        }
    }
}

/// How a store's inventory is ordered; every order ends with the product id, so pages are
/// stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InventorySort {
    /// By title, case-insensitive.
    #[default]
    Title,
    /// Fewest units first (what to restock).
    QuantityAscending,
    /// Most units first.
    QuantityDescending,
}

impl InventorySort {
    /// Reads the form value (`title`, `quantity`, `-quantity`; empty is `title`).
    ///
    /// Errors: [`Error::Invalid`] naming `field` for anything else.
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        match raw.trim() {
            "" | "title" => Ok(Self::Title),
            "quantity" => Ok(Self::QuantityAscending),
            "-quantity" => Ok(Self::QuantityDescending),
            _ => Err(Error::invalid(field, "must be title, quantity or -quantity")),
        }
    }

    /// The form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::QuantityAscending => "quantity",
            Self::QuantityDescending => "-quantity",
        }
    }
}

/// Which rows of a store's inventory to show, and in what order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryBrowse {
    /// Only products whose title contains these words (case-insensitive); `None`: every one.
    pub title: Option<String>,
    /// Only rows at this level.
    pub level: StockLevel,
    /// The order.
    pub sort: InventorySort,
    /// The low threshold.
    pub low_below: u32,
    /// How far the rows are counted: past it the count says "more than" (a store of 300,000
    /// rows is not counted to the last on every page; its pages are still reached one by one).
    pub count_limit: u32,
}

impl InventoryBrowse {
    /// Longest title filter accepted.
    pub const MAX_TITLE_CHARS: usize = 200;

    /// Rows counted at most (see [`Self::count_limit`]).
    pub const COUNT_LIMIT: u32 = 10_000;

    /// A filter from what the form sent: the title trimmed (blank is no filter).
    ///
    /// Errors: [`Error::Invalid`] naming `q` for a title longer than
    /// [`Self::MAX_TITLE_CHARS`] or holding a NUL.
    pub fn new(title: &str, level: StockLevel, sort: InventorySort, low_below: u32) -> Result<Self> {
        let title = title.trim();
        if title.chars().count() > Self::MAX_TITLE_CHARS || title.contains('\0') {
            return Err(Error::invalid(
                "q",
                format!("must be at most {} characters of text", Self::MAX_TITLE_CHARS),
            ));
        }
        Ok(Self {
            title: (!title.is_empty()).then(|| title.to_owned()),
            level,
            sort,
            low_below: low_below.max(1),
            count_limit: Self::COUNT_LIMIT,
        })
    }
}

/// How one store stands: its stock rows by level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreStock {
    /// The store.
    pub store_id: StoreId,
    /// Its name.
    pub name: String,
    /// Its location.
    pub location: String,
    /// Rows with at least the low threshold.
    pub stocked: u64,
    /// Rows with at least one unit, fewer than the threshold.
    pub low: u64,
    /// Rows with none left.
    pub out: u64,
}

/// Orders placed since a moment, by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderCounts {
    /// Placed and confirmed (and not cancelled since).
    pub confirmed: u64,
    /// Refused for want of stock.
    pub rejected: u64,
    /// Confirmed, then cancelled.
    pub cancelled: u64,
    /// Not decided (none, as orders are decided as they are placed; shown if any appear).
    pub pending: u64,
}

impl OrderCounts {
    /// Adds `count` orders of `status`.
    pub fn add(&mut self, status: OrderStatus, count: u64) {
        match status {
            OrderStatus::Confirmed => self.confirmed += count,
            OrderStatus::Rejected => self.rejected += count,
            OrderStatus::Cancelled => self.cancelled += count,
            OrderStatus::Pending => self.pending += count,
        }
    }

    /// Every order counted.
    pub fn total(&self) -> u64 {
        self.confirmed + self.rejected + self.cancelled + self.pending
    }
}

/// The back office's first page: the stores a staff member may see, and today's orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    /// Stores by name.
    pub stores: Vec<StoreStock>,
    /// Orders of those stores placed since the start of the day (UTC).
    pub orders_today: OrderCounts,
}

impl fmt::Display for StockLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
