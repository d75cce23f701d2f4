//! The SQL of a product search: a placeholder-numbering query builder, what `q` becomes
//! (full-text or substring), the shared filters, the count and the relevance expression.

use aforro_core::search::{CategoryFilter, ProductSearch};
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Numeric, Text};

/// A boxed SQL query that numbers its own placeholders, so optional filters can be appended
/// in any combination with every value bound, never formatted into the SQL.
pub(super) struct Sql<'a> {
    pub(super) query: BoxedSqlQuery<'a, Pg, SqlQuery>,
    params: usize,
}

impl<'a> Sql<'a> {
    pub(super) fn new(text: &str) -> Self {
        Self {
            query: diesel::sql_query(text).into_boxed(),
            params: 0,
        }
    }

    pub(super) fn push(mut self, text: &str) -> Self {
        self.query = self.query.sql(text);
        self
    }

    /// Appends `$n` bound to `value`.
    pub(super) fn param<ST, V>(mut self, value: V) -> Self
    where
        ST: Send + 'a,
        Pg: diesel::sql_types::HasSqlType<ST>,
        V: ToSql<ST, Pg> + Send + 'a,
    {
        self.params += 1;
        self.query = self.query.sql(format!("${}", self.params)).bind::<ST, V>(value);
        self
    }
}

/// `LIKE` pattern text with `%`, `_` and `\` taken literally.
pub(super) fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Substring matching on titles needs three characters: below that trigrams cannot use the index.
const MIN_SUBSTRING_CHARS: usize = 3;

/// What `q` becomes in SQL, computed once per request for both the filter and the rank.
///
/// Full-text matching comes first. Substring matching on titles (trigram index) is the
/// fallback for what full-text misses — a fragment from inside a word, "olate" — and runs only
/// when full-text finds nothing: OR-ing both on every search cost a second index scan and a
/// recheck of every match (measured: `q=choc`, 65,000 matches, count 52 ms alone, 94 ms OR-ed).
#[derive(Clone)]
pub(super) struct TextMatch {
    /// A prefix `to_tsquery` from plain words (letters and digits only, so nothing in them can
    /// be read as an operator): `'choc':* & 'dark':*` — "choc" also finds "chocolate".
    tsquery: Option<String>,
    /// The same words restricted to title lexemes (weight A): `'choc':*A & 'dark':*A`.
    title_tsquery: Option<String>,
    /// `%q%` with LIKE wildcards escaped, when `q` is long enough for the trigram index.
    title_pattern: Option<String>,
    /// Whether this pass matches titles by substring instead of by full-text.
    by_substring: bool,
}

impl TextMatch {
    /// The substring pass to run when the full-text pass found nothing.
    pub(super) fn fallback(&self) -> Option<Self> {
        (!self.by_substring && self.title_pattern.is_some()).then(|| Self {
            tsquery: None,
            title_tsquery: None,
            title_pattern: self.title_pattern.clone(),
            by_substring: true,
        })
    }

    pub(super) fn new(search: &ProductSearch) -> Option<Self> {
        let text = search.text.as_ref()?;
        let words = text.words();
        let prefix_query = |weight: &str| {
            (!words.is_empty()).then(|| {
                words
                    .iter()
                    .map(|w| format!("'{w}':*{weight}"))
                    .collect::<Vec<_>>()
                    .join(" & ")
            })
        };
        let (tsquery, title_tsquery) = (prefix_query(""), prefix_query("A"));
        let title_pattern = (text.phrase().chars().count() >= MIN_SUBSTRING_CHARS)
            .then(|| format!("%{}%", like_escape(text.phrase())));
        Some(Self {
            by_substring: tsquery.is_none(),
            tsquery,
            title_tsquery,
            title_pattern,
        })
    }
}

/// Appends the joins and WHERE clause shared by the count and the page query to
/// `... FROM products p`. Categories are joined when the page needs their names or the filter
/// names a category; the count of an id-filtered search does without.
pub(super) fn filtered<'a>(
    mut sql: Sql<'a>,
    search: &'a ProductSearch,
    text: Option<&TextMatch>,
    with_categories: bool,
) -> Sql<'a> {
    if with_categories || matches!(search.category, Some(CategoryFilter::Name(_))) {
        sql = sql.push(" JOIN categories c ON c.id = p.category_id");
    }
    if let Some(store_id) = search.store_id {
        sql = sql
            .push(" JOIN inventory i ON i.product_id = p.id AND i.store_id = ")
            .param::<BigInt, _>(store_id.get());
    }
    sql = sql.push(" WHERE true");
    if let Some(text) = text {
        match (&text.tsquery, &text.title_pattern, text.by_substring) {
            (Some(tsquery), _, false) => {
                sql = sql
                    .push(" AND p.search_vector @@ to_tsquery('english', ")
                    .param::<Text, _>(tsquery.clone())
                    .push(")");
            }
            (_, Some(pattern), true) => {
                sql = sql
                    .push(" AND lower(p.title) LIKE ")
                    .param::<Text, _>(pattern.clone());
            }
            // Nothing usable in q (punctuation, or under three characters of it): no match.
            _ => sql = sql.push(" AND false"),
        }
    }
    match &search.category {
        Some(CategoryFilter::Id(category)) => {
            sql = sql
                .push(" AND p.category_id = ")
                .param::<BigInt, _>(category.get());
        }
        Some(CategoryFilter::Name(name)) => {
            sql = sql
                .push(" AND lower(c.name) = lower(")
                .param::<Text, _>(name.as_str())
                .push(")");
        }
        None => {}
    }
    if let Some(min) = search.min_price {
        sql = sql.push(" AND p.price >= ").param::<Numeric, _>(min);
    }
    if let Some(max) = search.max_price {
        sql = sql.push(" AND p.price <= ").param::<Numeric, _>(max);
    }
    match (search.in_stock, search.store_id.is_some()) {
        (Some(true), true) => sql = sql.push(" AND i.quantity > 0"),
        (Some(false), true) => sql = sql.push(" AND i.quantity = 0"),
        // out_of_stock_products is kept exact by triggers on inventory (migration 4).
        (Some(true), false) => {
            sql =
                sql.push(" AND NOT EXISTS (SELECT 1 FROM out_of_stock_products o WHERE o.product_id = p.id)")
        }
        // The set is small: make it the driving side (an id list probed through the primary
        // key). As a semi-join the planner walked a whole sort index looking for its rows.
        (Some(false), false) => {
            sql = sql.push(" AND p.id = ANY (ARRAY(SELECT product_id FROM out_of_stock_products))")
        }
        (None, _) => {}
    }
    sql
}

/// The count query. A search with no filter reads the product count; a store listing with no
/// product filter counts the store's inventory rows alone: every row names an existing product
/// (foreign key), so joining products would only add work (measured at 300,000 rows: 36 ms
/// alone, 259 ms joined).
pub(super) fn count_query<'a>(search: &'a ProductSearch, text: Option<&TextMatch>) -> Sql<'a> {
    let product_filters = text.is_some()
        || search.category.is_some()
        || search.min_price.is_some()
        || search.max_price.is_some();
    match search.store_id {
        // No filter at all: the count kept by triggers (migration 9), not a scan of every row.
        None if !product_filters && search.in_stock.is_none() => {
            Sql::new("SELECT products AS n FROM product_count")
        }
        Some(store_id) if !product_filters => {
            let sql = Sql::new("SELECT count(*) AS n FROM inventory i WHERE i.store_id = ")
                .param::<BigInt, _>(store_id.get());
            match search.in_stock {
                Some(true) => sql.push(" AND i.quantity > 0"),
                Some(false) => sql.push(" AND i.quantity = 0"),
                None => sql,
            }
        }
        _ => filtered(
            Sql::new("SELECT count(*) AS n FROM products p"),
            search,
            text,
            false,
        ),
    }
}

/// Relevance: the full-text rank (title matches weigh most), plus 1 when every word matches in
/// the title, so a title match always beats a description-only match. The title test reads
/// the weight-A lexemes of the `tsvector` the match has already fetched; `lower(title) LIKE`
/// cost a quarter more per ranked page (measured: `q=choc`, 65,000 matches, 93 ms against
/// 68 on one core). The substring pass matches titles only: its matches all rank alike.
pub(super) fn rank<'a>(sql: Sql<'a>, text: Option<&TextMatch>) -> Sql<'a> {
    // `0::real`, not `0`: a bare integer in ORDER BY would name a column position.
    match text {
        Some(TextMatch {
            tsquery: Some(tsquery),
            title_tsquery: Some(title_tsquery),
            by_substring: false,
            ..
        }) => sql
            .push("(ts_rank(p.search_vector, to_tsquery('english', ")
            .param::<Text, _>(tsquery.clone())
            .push(")) + CASE WHEN p.search_vector @@ to_tsquery('english', ")
            .param::<Text, _>(title_tsquery.clone())
            .push(") THEN 1 ELSE 0 END)"),
        _ => sql.push("0::real"),
    }
}
