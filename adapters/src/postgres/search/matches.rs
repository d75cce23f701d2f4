//! The count and the page of a search in one statement, from its matches as far as the count's
//! bound.
//!
//! The statement gathers at most a cap of matches (any order: the planner's cheapest way, a
//! bitmap of the words' postings ANDed with the filters' indexes, the store's included), counts
//! them, and sorts them. When fewer than the cap match, that sort saw every match, so its page
//! is exact: the search is answered. Otherwise the matches are many, and the caller walks an
//! ordered index for the page instead ([`super::page`]), which stops after a handful of rows.
//!
//! The cap is the count's bound + 1 for the first pages, which need no more to count. A deep
//! page of many matches gathers more ([`cap`]): walking an ordered index to its
//! 2,000th match of a word in 3% of the products reads 65,000 products, while gathering all
//! of the word's 33,000 reads half as many.
//!
//! Why first: an ordered walk that "stops after the page" never stops when the matches are few.
//! A common word with a category that does not sell it (`q=Shampoo&category=5`) or two words no
//! title holds together (`q=Creamy+Free`) walked all 1,000,000 products once per relevance tier
//! (0.2–1.8 s), while the postings' intersection knows at once that nothing matches (12 ms).
//! Pages are never deeper than the bound, so the sorted matches always hold the page.

use aforro_core::search::{ProductSearch, SearchSort};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, Nullable, Numeric, Text, Timestamptz};
use diesel::QueryableByName;
use rust_decimal::Decimal;

use super::query::{filtered, Sql, TextMatch, Tier};
use super::titles::with_titles;
use super::HitRow;

/// How many matches the statement gathers for `search`: the count's bound + 1 (or to the
/// page's end) for a first page, which needs no more to count, and for any page without
/// words, whose gathering has no word's postings to bound it; ten times that for a deep page
/// of words (past the first 2% of
/// the pages one can ask for: offset 100 at the default bound of 5,000), which sorts up to
/// 50,010 matches before it gives up for an ordered walk. Both scale with the bound, so the
/// same-answers test's small bound takes every path.
pub(super) fn cap(search: &ProductSearch, text: Option<&TextMatch>) -> i64 {
    let enough = enough(search);
    if text.is_some() && deep(search) {
        enough * 10
    } else {
        enough
    }
}

/// Whether `search`'s page is deep: past the first 2% of the pages one can ask for.
pub(super) fn deep(search: &ProductSearch) -> bool {
    search.page.offset() >= (enough(search) / 50).max(1)
}

/// Matches enough to count up to the bound and to hold the page: a page starts within the
/// bound, but may end past it.
fn enough(search: &ProductSearch) -> i64 {
    (i64::from(search.count_limit.get()) + 1).max(search.page.offset() + search.page.limit())
}

/// The bounded count, on every row, and one page row when the page has any (a page past the
/// last match still has its count: one row whose hit columns are all NULL).
#[derive(QueryableByName)]
pub(super) struct CountedRow {
    #[diesel(sql_type = BigInt)]
    pub(super) n: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    description: Option<String>,
    #[diesel(sql_type = Nullable<Numeric>)]
    price: Option<Decimal>,
    #[diesel(sql_type = Nullable<BigInt>)]
    category_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    category_name: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    created_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Integer>)]
    quantity: Option<i32>,
}

/// The number of matches a statement gathered (on every row) and its page.
pub(super) fn split(counted: Vec<CountedRow>) -> (i64, Vec<HitRow>) {
    let gathered = counted.as_slice().first().map_or(0, |row| row.n);
    (
        gathered,
        counted.into_iter().filter_map(CountedRow::hit).collect(),
    )
}

impl CountedRow {
    /// The page row it carries, if any.
    fn hit(self) -> Option<HitRow> {
        Some(HitRow {
            id: self.id?,
            title: self.title?,
            description: self.description,
            price: self.price?,
            category_id: self.category_id?,
            category_name: self.category_name?,
            created_at: self.created_at?,
            quantity: self.quantity,
        })
    }
}

/// The order of the page, on the sorted matches' columns (`tier` is the relevance tier,
/// 0 best; see [`Tier`]).
pub(super) fn order(sort: SearchSort, alias: &str) -> String {
    match sort {
        SearchSort::Relevance => format!("{alias}.tier, {alias}.id"),
        SearchSort::PriceAscending => format!("{alias}.price, {alias}.id"),
        SearchSort::PriceDescending => format!("{alias}.price DESC, {alias}.id"),
        SearchSort::Newest => format!("{alias}.created_at DESC, {alias}.id"),
    }
}

/// Appends the relevance tier of `p` as a number, best first: the same split as the tier
/// filters of [`super::query`], for rows already known to match.
fn tier_number<'a>(sql: Sql<'a>, text: Option<&TextMatch>, sort: SearchSort) -> Sql<'a> {
    let tiers = match (sort, text) {
        (SearchSort::Relevance, Some(text)) => text.tiers(),
        _ => vec![Tier::All],
    };
    if tiers.len() < 2 {
        return sql.push("0");
    }
    let Some(text) = text else {
        return sql.push("0");
    };
    let mut sql = sql.push("CASE");
    for (number, tier) in tiers.iter().enumerate() {
        match text.title_tsquery(*tier) {
            Some(tsquery) => {
                sql = sql
                    .push(" WHEN p.title_vector @@ to_tsquery('english', ")
                    .param::<Text, _>(tsquery)
                    .push(&format!(") THEN {number}"));
            }
            None => sql = sql.push(&format!(" ELSE {number}")),
        }
    }
    sql.push(" END")
}

/// The statement: matches up to `cap`, their number, and the page among them with its display
/// columns (title, category name, the store's quantity) read for the page's rows only. The
/// page is exact when fewer than `cap` matched (every match was sorted).
pub(super) fn counted_page<'a>(search: &'a ProductSearch, text: Option<&TextMatch>, cap: i64) -> Sql<'a> {
    let gathering = text.map(|text| text.gathering(search));
    let text = gathering.as_ref();
    let sql = tier_number(
        with_titles(Sql::new(""), search, text)
            .push("m AS MATERIALIZED (SELECT p.id, p.price, p.created_at, "),
        text,
        search.sort,
    )
    .push(" AS tier FROM products p");
    let sql = filtered(sql, search, text, Tier::All)
        .push(" LIMIT ")
        .param::<BigInt, _>(cap);
    sorted_page(sql, search)
}

/// Closes `sql`, the body of a CTE `m` of matches `(id, price, created_at, tier)`, and appends
/// the rest of the statement: their number on every row, and the page among them, sorted, with
/// its display columns read for the page's rows only.
pub(super) fn sorted_page<'a>(sql: Sql<'a>, search: &'a ProductSearch) -> Sql<'a> {
    let sql = sql
        .push(&format!(
            "), page AS (SELECT * FROM m ORDER BY {} LIMIT ",
            order(search.sort, "m")
        ))
        .param::<BigInt, _>(search.page.limit())
        .push(" OFFSET ")
        .param::<BigInt, _>(search.page.offset())
        .push(") SELECT counted.n, p.id, p.title, p.description, p.price, p.category_id, c.name AS category_name, p.created_at, ");
    let sql = match search.store_id {
        Some(store_id) => sql
            .push("(SELECT i.quantity FROM inventory i WHERE i.product_id = p.id AND i.store_id = ")
            .param::<BigInt, _>(store_id.get())
            .push(")"),
        None => sql.push("NULL::integer"),
    };
    sql.push(&format!(
        " AS quantity FROM (SELECT count(*) AS n FROM m) counted
         LEFT JOIN (page JOIN products p ON p.id = page.id JOIN categories c ON c.id = p.category_id) ON true
         ORDER BY {}",
        order(search.sort, "page")
    ))
}
