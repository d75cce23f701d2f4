//! [`CatalogSearch`] on PostgreSQL: full-text search with a weighted `tsvector` (title A,
//! category B, description C) plus trigram substring matches on titles, and suggestions from
//! two index-backed queries.

use aforro_core::search::{
    CatalogSearch, CategoryFilter, ProductHit, ProductSearch, SearchSort, SuggestText,
};
use aforro_core::{CategoryId, Page, ProductId, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Integer, Nullable, Numeric, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;

use super::error::db_error;
use super::rows::{count, id, total};
use super::Postgres;

/// A boxed SQL query that numbers its own placeholders, so optional filters can be appended
/// in any combination with every value bound, never formatted into the SQL.
struct Sql<'a> {
    query: BoxedSqlQuery<'a, Pg, SqlQuery>,
    params: usize,
}

impl<'a> Sql<'a> {
    fn new(text: &str) -> Self {
        Self {
            query: diesel::sql_query(text).into_boxed(),
            params: 0,
        }
    }

    fn push(mut self, text: &str) -> Self {
        self.query = self.query.sql(text);
        self
    }

    /// Appends `$n` bound to `value`.
    fn param<ST, V>(mut self, value: V) -> Self
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
fn like_escape(text: &str) -> String {
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
struct TextMatch {
    /// A prefix `to_tsquery` from plain words (letters and digits only, so nothing in them can
    /// be read as an operator): `'choc':* & 'dark':*` — "choc" also finds "chocolate".
    tsquery: Option<String>,
    /// `%q%` with LIKE wildcards escaped, when `q` is long enough for the trigram index.
    title_pattern: Option<String>,
    /// Whether this pass matches titles by substring instead of by full-text.
    by_substring: bool,
}

impl TextMatch {
    /// The substring pass to run when the full-text pass found nothing.
    fn fallback(&self) -> Option<Self> {
        (!self.by_substring && self.title_pattern.is_some()).then(|| Self {
            tsquery: None,
            title_pattern: self.title_pattern.clone(),
            by_substring: true,
        })
    }

    fn new(search: &ProductSearch) -> Option<Self> {
        let text = search.text.as_ref()?;
        let words = text.words();
        let tsquery = (!words.is_empty()).then(|| {
            words
                .iter()
                .map(|w| format!("'{w}':*"))
                .collect::<Vec<_>>()
                .join(" & ")
        });
        let title_pattern = (text.phrase().chars().count() >= MIN_SUBSTRING_CHARS)
            .then(|| format!("%{}%", like_escape(text.phrase())));
        Some(Self {
            by_substring: tsquery.is_none(),
            tsquery,
            title_pattern,
        })
    }
}

/// Appends the joins and WHERE clause shared by the count and the page query to
/// `... FROM products p`. Categories are joined when the page needs their names or the filter
/// names a category; the count of an id-filtered search does without.
fn filtered<'a>(
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

/// The count query. A store listing with no product filter counts the store's inventory rows
/// alone: every row names an existing product (foreign key), so joining products would only
/// add work (measured at 300,000 rows: 36 ms alone, 259 ms joined).
fn count_query<'a>(search: &'a ProductSearch, text: Option<&TextMatch>) -> Sql<'a> {
    let product_filters = text.is_some()
        || search.category.is_some()
        || search.min_price.is_some()
        || search.max_price.is_some();
    match search.store_id {
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

/// Relevance: the full-text rank (title matches weigh most), plus 1 when the title contains the
/// typed text literally, so a title match always beats a description-only match.
fn rank<'a>(mut sql: Sql<'a>, text: Option<&TextMatch>) -> Sql<'a> {
    // `0::real`, not `0`: a bare integer in ORDER BY would name a column position.
    let Some(text) = text else {
        return sql.push("0::real");
    };
    sql = sql.push("(0::real");
    if let Some(tsquery) = &text.tsquery {
        sql = sql
            .push(" + ts_rank(p.search_vector, to_tsquery('english', ")
            .param::<Text, _>(tsquery.clone())
            .push("))");
    }
    if let Some(pattern) = &text.title_pattern {
        sql = sql
            .push(" + CASE WHEN lower(p.title) LIKE ")
            .param::<Text, _>(pattern.clone())
            .push(" THEN 1 ELSE 0 END");
    }
    sql.push(")")
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct HitRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Nullable<Text>)]
    description: Option<String>,
    #[diesel(sql_type = Numeric)]
    price: Decimal,
    #[diesel(sql_type = BigInt)]
    category_id: i64,
    #[diesel(sql_type = Text)]
    category_name: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Integer>)]
    quantity: Option<i32>,
}

#[derive(QueryableByName)]
struct TitleRow {
    #[diesel(sql_type = Text)]
    title: String,
}

impl Postgres {
    /// The count and the page for one way of matching `q`. When the pool has a spare
    /// connection they run at the same time: the pass takes as long as the slower query.
    async fn search_pass(
        &self,
        search: &ProductSearch,
        text: Option<&TextMatch>,
    ) -> Result<(Count, Vec<HitRow>)> {
        let mut page_conn = self.conn().await?;
        let spare = self.spare_conn().await;
        let count_sql = count_query(search, text);
        let quantity = if search.store_id.is_some() {
            "i.quantity"
        } else {
            "NULL::integer"
        };
        let select = format!(
            "SELECT p.id, p.title, p.description, p.price, p.category_id, c.name AS category_name,
                    p.created_at, {quantity} AS quantity
             FROM products p"
        );
        let mut sql = filtered(Sql::new(&select), search, text, true).push(" ORDER BY ");
        sql = match search.sort {
            SearchSort::Relevance => rank(sql, text).push(" DESC, p.id"),
            SearchSort::PriceAscending => sql.push("p.price, p.id"),
            SearchSort::PriceDescending => sql.push("p.price DESC, p.id"),
            SearchSort::Newest => sql.push("p.created_at DESC, p.id"),
        };
        let sql = sql
            .push(" LIMIT ")
            .param::<BigInt, _>(search.page.limit())
            .push(" OFFSET ")
            .param::<BigInt, _>(search.page.offset());
        match spare {
            Some(mut count_conn) => tokio::try_join!(
                async {
                    count_sql
                        .query
                        .get_result::<Count>(&mut *count_conn)
                        .await
                        .map_err(db_error)
                },
                async { sql.query.load::<HitRow>(&mut *page_conn).await.map_err(db_error) },
            ),
            None => {
                let counted = count_sql
                    .query
                    .get_result::<Count>(&mut *page_conn)
                    .await
                    .map_err(db_error)?;
                Ok((
                    counted,
                    sql.query
                        .load::<HitRow>(&mut *page_conn)
                        .await
                        .map_err(db_error)?,
                ))
            }
        }
    }
}

#[async_trait]
impl CatalogSearch for Postgres {
    /// Two queries, the count and the page (two more when full-text finds nothing and the
    /// substring fallback runs).
    async fn search(&self, search: &ProductSearch) -> Result<Page<ProductHit>> {
        let text = TextMatch::new(search);
        let (mut counted, mut rows) = self.search_pass(search, text.as_ref()).await?;
        if counted.n == 0 {
            if let Some(fallback) = text.as_ref().and_then(TextMatch::fallback) {
                (counted, rows) = self.search_pass(search, Some(&fallback)).await?;
            }
        }
        let items = rows
            .into_iter()
            .map(|r| {
                Ok(ProductHit {
                    id: id(r.id, ProductId::new)?,
                    title: r.title,
                    description: r.description,
                    price: r.price,
                    category_id: id(r.category_id, CategoryId::new)?,
                    category_name: r.category_name,
                    created_at: r.created_at,
                    quantity: r.quantity.map(count).transpose()?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Page {
            items,
            total: total(counted.n)?,
            request: search.page,
        })
    }

    /// One query when the prefix group fills the list, two otherwise.
    async fn suggest(&self, text: &SuggestText, limit: usize) -> Result<Vec<String>> {
        let mut conn = self.conn().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let prefix = text.as_str();
        let prefix_pattern = format!("{}%", like_escape(prefix));
        // Both groups read product_titles (distinct titles, migration 5) through its index
        // (title_length, title_key) INCLUDE (title): index-only scans, shortest first.
        // Prefix group: one short range scan per title length. The explicit byte range keeps
        // the index usable in a generic prepared plan; LIKE keeps it exact.
        let upper_bound = format!("{prefix}\u{10FFFF}");
        let mut titles: Vec<String> = diesel::sql_query(
            "SELECT hit.title FROM generate_series($1::int, (SELECT coalesce(max(title_length), 0) FROM product_titles)) AS len
             CROSS JOIN LATERAL (
                 SELECT t.title, t.title_key FROM product_titles t
                 WHERE t.title_length = len AND t.title_key >= $2 AND t.title_key < $3 AND t.title_key LIKE $4
                 ORDER BY t.title_key
                 LIMIT $5
             ) hit
             ORDER BY len, hit.title_key
             LIMIT $5",
        )
        .bind::<Integer, _>(i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX))
        .bind::<Text, _>(prefix)
        .bind::<Text, _>(&upper_bound)
        .bind::<Text, _>(&prefix_pattern)
        .bind::<BigInt, _>(limit)
        .load::<TitleRow>(&mut *conn)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(|r| r.title)
        .collect();
        let missing = limit - titles.len() as i64;
        if missing > 0 {
            // Contains group, in final order: an ordered index-only scan filtered by the
            // substring, or the trigram index when the planner expects few matches.
            let rows: Vec<TitleRow> = diesel::sql_query(
                "SELECT t.title FROM product_titles t
                 WHERE t.title_key LIKE $1 AND t.title_key NOT LIKE $2
                 ORDER BY t.title_length, t.title_key
                 LIMIT $3",
            )
            .bind::<Text, _>(format!("%{}%", like_escape(prefix)))
            .bind::<Text, _>(&prefix_pattern)
            .bind::<BigInt, _>(missing)
            .load(&mut *conn)
            .await
            .map_err(db_error)?;
            titles.extend(rows.into_iter().map(|r| r.title));
        }
        Ok(titles)
    }
}
