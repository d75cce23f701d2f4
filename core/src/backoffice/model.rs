//! What the back office reads.

use std::fmt;

use crate::orders::OrderStatus;
use crate::search::SearchText;
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
/// stable (most units first is the exact reverse of fewest units first, ties included, so
/// both read one index in either direction).
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
    /// Only products with every one of these words in their title, each matched from the start
    /// of a title word ("choc" finds "Chocolate"), as the API's search matches words; `None`:
    /// every product.
    pub title: Option<SearchText>,
    /// Only rows at this level.
    pub level: StockLevel,
    /// The order.
    pub sort: InventorySort,
    /// The low threshold.
    pub low_below: u32,
    /// How far the rows are counted: past it the count says "more than" (a store of 300,000
    /// rows is not counted to the last on every page, nor a common word's 10,000 products in
    /// it; the pages past the bound are still reached one by one).
    pub count_limit: u32,
}

impl InventoryBrowse {
    /// Rows counted at most (see [`Self::count_limit`]).
    pub const COUNT_LIMIT: u32 = 1_000;

    /// A filter from what the form sent: the title read as the API reads a search's `q`
    /// (blank is no filter).
    ///
    /// Errors: [`Error::Invalid`] naming `q` for a title longer than
    /// [`MAX_QUERY_CHARS`](crate::search::MAX_QUERY_CHARS).
    pub fn new(title: &str, level: StockLevel, sort: InventorySort, low_below: u32) -> Result<Self> {
        Ok(Self {
            title: SearchText::parse("q", title)?,
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
