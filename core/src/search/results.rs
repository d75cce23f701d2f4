//! What a search returns: a page of products and a count that is exact up to a bound.

use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::{CategoryId, Page, PageRequest, ProductId};

/// One product found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProductHit {
    /// The product.
    pub id: ProductId,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Price.
    pub price: Decimal,
    /// Category id.
    pub category_id: CategoryId,
    /// Category name.
    pub category_name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Units in the searched store; `None` unless the search named a store.
    pub quantity: Option<u32>,
}

/// How many matches a search counts before it stops and says "at least": counting every one
/// of 65,000 matches of a broad word is most of such a search's cost, and nobody pages that
/// far (Elasticsearch counts exactly up to 10,000 hits by default for the same reason). Only
/// the first `CountLimit` results can be paged to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountLimit(u32);

impl CountLimit {
    /// The contract's range for the server setting (`SEARCH_COUNT_LIMIT`).
    pub const SETTING_RANGE: std::ops::RangeInclusive<u32> = 1_000..=10_000;

    /// A bound of `limit` matches (at least 1). Tests use small bounds so that a small
    /// catalogue crosses them; the server accepts only [`Self::SETTING_RANGE`].
    pub fn new(limit: u32) -> Option<Self> {
        (limit >= 1).then_some(Self(limit))
    }

    /// The bound.
    pub fn get(self) -> u32 {
        self.0
    }

    /// Whether `page` starts within the first `limit` results (the only ones that can be
    /// paged to).
    pub fn reaches(self, page: PageRequest) -> bool {
        page.offset() < i64::from(self.0)
    }
}

/// One page of matches and their count, as the search port finds them and the cache keeps
/// them (the page request is not part of it: the cache key already is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    /// The page's products.
    pub items: Vec<ProductHit>,
    /// How many products match, counted up to the search's [`CountLimit`].
    pub count: u64,
    /// Whether `count` is every match (`false`: more than `count` match, and `count` is the
    /// bound).
    pub count_exact: bool,
}

impl SearchResults {
    /// Results from a count that read at most `limit + 1` matches: `counted` above the bound
    /// means there are more than the bound, and the count says the bound.
    pub fn bounded(items: Vec<ProductHit>, counted: u64, limit: CountLimit) -> Self {
        let bound = u64::from(limit.get());
        Self {
            items,
            count: counted.min(bound),
            count_exact: counted <= bound,
        }
    }

    /// The page for `request`, and whether its count is exact.
    pub fn into_page(self, request: PageRequest) -> SearchPage {
        SearchPage {
            page: Page {
                items: self.items,
                total: self.count,
                request,
            },
            count_exact: self.count_exact,
        }
    }
}

/// A page of search results: `page.total` is the count, exact when `count_exact`, and the
/// bound otherwise (so `total_pages` reaches exactly as far as pages can be asked for).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    /// The page and its (bounded) total.
    pub page: Page<ProductHit>,
    /// Whether the total is every match.
    pub count_exact: bool,
}
