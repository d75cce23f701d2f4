//! Search requests, their validation, and results.

use rust_decimal::Decimal;

use super::results::CountLimit;
use crate::{money, CategoryId, Error, FieldError, PageRequest, Result, StoreId};

/// Longest accepted `q`, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most search words used; further words are ignored.
pub const MAX_QUERY_WORDS: usize = 16;
/// Fewest characters a suggest `q` needs after trimming.
pub const MIN_SUGGEST_CHARS: usize = 3;
/// Most suggestions returned.
pub const MAX_SUGGESTIONS: usize = 10;

/// The text a user searched for, split for the engine: the words (letters and digits only, lower
/// case; every operator character a full-text engine could trip on is gone) and the whole
/// trimmed, lower-cased phrase for substring matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText {
    words: Vec<String>,
    phrase: String,
}

impl SearchText {
    /// Parses `q`. Errors: [`Error::Invalid`] naming `field` when longer than [`MAX_QUERY_CHARS`].
    /// Returns `None` for a blank `q` (no keyword filter).
    pub fn parse(field: &str, raw: &str) -> Result<Option<Self>> {
        let trimmed = raw.trim();
        // Counted as sent, as the OpenAPI document's maxLength counts.
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(Error::invalid(
                field,
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        if trimmed.is_empty() {
            return Ok(None);
        }
        let words = trimmed
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .take(MAX_QUERY_WORDS)
            .collect();
        Ok(Some(Self {
            words,
            phrase: trimmed.to_lowercase(),
        }))
    }

    /// The words, lower case, letters and digits only (possibly empty: `q` was all punctuation).
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The trimmed, lower-cased text, for substring matching (not escaped).
    pub fn phrase(&self) -> &str {
        &self.phrase
    }
}

/// The `category` filter: an id, or a name matched case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CategoryFilter {
    /// `category=2`.
    Id(CategoryId),
    /// `category=Beverages`.
    Name(String),
}

/// Result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchSort {
    /// Best match first (default when there is a `q`).
    Relevance,
    /// Cheapest first.
    PriceAscending,
    /// Dearest first.
    PriceDescending,
    /// Most recently created first (default without `q`).
    Newest,
}

impl SearchSort {
    /// Parses the wire value (`relevance`, `price`, `-price`, `newest`).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "relevance" => Some(SearchSort::Relevance),
            "price" => Some(SearchSort::PriceAscending),
            "-price" => Some(SearchSort::PriceDescending),
            "newest" => Some(SearchSort::Newest),
            _ => None,
        }
    }
}

/// A search request as typed values, not yet checked against the rules.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchRequest {
    /// Keywords.
    pub q: Option<String>,
    /// Category id or name.
    pub category: Option<String>,
    /// Lowest price, inclusive, as sent (the money rule, at most `MAX_PRICE_FILTER_DIGITS` digits before the point).
    pub min_price: Option<String>,
    /// Highest price, inclusive, as sent.
    pub max_price: Option<String>,
    /// Restrict to one store's stocked products.
    pub store_id: Option<i64>,
    /// In stock (in `store_id`, or in any store).
    pub in_stock: Option<bool>,
    /// `relevance`, `price`, `-price` or `newest`.
    pub sort: Option<String>,
}

/// Most digits before the point in a price filter (`min_price`, `max_price`): far above any
/// price, and a bound the OpenAPI pattern can state.
pub const MAX_PRICE_FILTER_DIGITS: usize = 10;

/// A validated search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSearch {
    /// Keywords, if any.
    pub text: Option<SearchText>,
    /// Category filter.
    pub category: Option<CategoryFilter>,
    /// Lowest price, inclusive.
    pub min_price: Option<Decimal>,
    /// Highest price, inclusive.
    pub max_price: Option<Decimal>,
    /// Store filter (the store exists).
    pub store_id: Option<StoreId>,
    /// Stock filter.
    pub in_stock: Option<bool>,
    /// Order; ties always break by product id ascending.
    pub sort: SearchSort,
    /// The page (it starts within `count_limit`).
    pub page: PageRequest,
    /// How far the count goes, and so how far pages go.
    pub count_limit: CountLimit,
}

impl ProductSearch {
    /// Validates a request, reporting every offending parameter. The store's existence is
    /// checked by the use-case, not here. A page that starts past the first `count_limit`
    /// results is refused (naming `page`): they are never counted, so they cannot be paged to.
    pub fn parse(request: &SearchRequest, page: PageRequest, count_limit: CountLimit) -> Result<Self> {
        let mut errors = Vec::new();
        if !count_limit.reaches(page) {
            errors.push(FieldError::new(
                "page",
                format!(
                    "starts past the first {} results, the most a search pages through; narrow the search",
                    count_limit.get()
                ),
            ));
        }
        let text = match request
            .q
            .as_deref()
            .map(|q| SearchText::parse("q", q))
            .transpose()
        {
            Ok(text) => text.flatten(),
            Err(Error::Invalid(fields)) => {
                errors.extend(fields);
                None
            }
            Err(other) => return Err(other),
        };
        let category = match request.category.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => match raw.parse::<i64>() {
                Ok(id) => match CategoryId::new(id) {
                    Some(id) => Some(CategoryFilter::Id(id)),
                    None => {
                        errors.push(FieldError::new(
                            "category",
                            "must be a positive id or a category name",
                        ));
                        None
                    }
                },
                Err(_) => Some(CategoryFilter::Name(raw.to_string())),
            },
        };
        let mut price_filter = |field: &str, raw: &Option<String>| {
            let raw = raw.as_deref()?;
            money::parse_amount(raw, MAX_PRICE_FILTER_DIGITS)
                .map_err(|message| errors.push(FieldError::new(field, message)))
                .ok()
        };
        let min_price = price_filter("min_price", &request.min_price);
        let max_price = price_filter("max_price", &request.max_price);
        if let (Some(min), Some(max)) = (min_price, max_price) {
            if min > max {
                errors.push(FieldError::new("min_price", "must not be greater than max_price"));
            }
        }
        let store_id = match request.store_id {
            None => None,
            Some(raw) => {
                let id = StoreId::new(raw);
                if id.is_none() {
                    errors.push(FieldError::new("store_id", "must be a positive integer"));
                }
                id
            }
        };
        let sort = match request.sort.as_deref() {
            None => None,
            Some(raw) => {
                let sort = SearchSort::parse(raw);
                if sort.is_none() {
                    errors.push(FieldError::new(
                        "sort",
                        "must be one of relevance, price, -price, newest",
                    ));
                }
                sort
            }
        };
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let default_sort = if text.is_some() {
            SearchSort::Relevance
        } else {
            SearchSort::Newest
        };
        Ok(Self {
            text,
            category,
            min_price,
            max_price,
            store_id,
            in_stock: request.in_stock,
            sort: sort.unwrap_or(default_sort),
            page,
            count_limit,
        })
    }
}

/// The text of a suggest request: trimmed, at least [`MIN_SUGGEST_CHARS`] characters, at most
/// [`MAX_QUERY_CHARS`], lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestText(String);

impl SuggestText {
    /// Validates `q` (missing counts as empty). Errors: [`Error::Invalid`] naming `q`.
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        let trimmed = raw.unwrap_or("").trim();
        let chars = trimmed.chars().count();
        if chars < MIN_SUGGEST_CHARS {
            return Err(Error::invalid(
                "q",
                format!("must be at least {MIN_SUGGEST_CHARS} characters"),
            ));
        }
        // Counted as sent, as the OpenAPI document's maxLength counts.
        if raw.unwrap_or("").chars().count() > MAX_QUERY_CHARS {
            return Err(Error::invalid(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        Ok(Self(trimmed.to_lowercase()))
    }

    /// The lower-cased text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
