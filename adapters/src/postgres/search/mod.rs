//! [`CatalogSearch`] on PostgreSQL: full-text search with a weighted `tsvector` (title A,
//! category B, description C) plus trigram substring matches on titles, and suggestions from
//! two index-backed queries.

mod matches;
mod page;
pub(super) mod query;
mod suggest;
mod terms;
mod titles;

pub use self::suggest::SUGGEST_LENGTH_BANDS;

use aforro_core::search::{
    CatalogSearch, CategoryFilter, ProductHit, ProductSearch, SearchResults, SuggestText,
};
use aforro_core::{CategoryId, ProductId, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, Nullable, Numeric, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use rust_decimal::Decimal;

use self::query::{count_query, Sql, TextMatch};
use super::error::db_error;
use super::rows::{count, id, total};
use super::Postgres;

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
struct CategoryRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

impl Postgres {
    /// The category named `name`, whatever its case (names are unique so), if there is one.
    /// A search by category name looks its id up first, so its statements filter on a value
    /// known when they are planned: given the name, the category was a row of a join (or a
    /// value computed as the statement runs), and no index could serve `category_id = … ORDER
    /// BY id` (a store's in-stock products in a category by name, page 83: all 100,000 of the
    /// category read and sorted, 61 ms).
    async fn category_named(&self, name: &str) -> Result<Option<CategoryId>> {
        let (mut conn, _) = self.read_conn().await?;
        let found: Vec<CategoryRow> =
            diesel::sql_query("SELECT c.id FROM categories c WHERE lower(c.name) = lower($1)")
                .bind::<Text, _>(name)
                .load(&mut *conn)
                .await
                .map_err(db_error)?;
        found
            .into_iter()
            .next()
            .map(|c| id(c.id, CategoryId::new))
            .transpose()
    }

    /// The bounded count and the page for one way of matching `q`.
    ///
    /// A search that filters products (words, a category, a price) gathers its matches, counts
    /// and sorts them in one statement, up to a cap: a one-word search from its terms
    /// ([`terms`]), any other from the words' postings or the filters' indexes ([`matches`]);
    /// only past the cap, where matches are many, does the page walk an ordered index
    /// ([`page`]). Its statements run in one
    /// read-only transaction on one connection, without parallel workers or JIT (these
    /// statements read a few thousand rows at most, and on two cores the workers' start-up and
    /// JIT compiling cost more than they save) and without sequential scans: given the
    /// gathering's LIMIT, the planner bet that a scan of every product meets the matches
    /// early, and `q=fresh&store_id=20&in_stock=true` read 560,000 products for its 5,001
    /// (166 ms) where the words' and the store's indexes read only the matches.
    ///
    /// A search that filters nothing but stock (a store's listing, in stock or not) has
    /// matches by the hundred thousand: its count (a count kept by triggers, or the store's
    /// rows) and its page (a walk) run at the same time when the pool has a spare connection.
    async fn search_pass(
        &self,
        search: &ProductSearch,
        text: Option<&TextMatch>,
    ) -> Result<(Count, Vec<HitRow>)> {
        let (mut page_conn, side) = self.read_conn().await?;
        if filters_products(search, text) {
            return page_conn
                .transaction(async move |conn| {
                    conn.batch_execute(
                        "SET TRANSACTION READ ONLY; SET LOCAL max_parallel_workers_per_gather = 0; \
                         SET LOCAL jit = off; SET LOCAL enable_seqscan = off",
                    )
                    .await?;
                    gather(conn, search, text).await
                })
                .await
                .map_err(db_error);
        }
        let spare = self.spare_read_conn(side).await;
        let count_sql = count_query(search, text);
        let by_index = search.store_id.is_some();
        match spare {
            Some(mut count_conn) => {
                tokio::try_join!(count_matches(&mut count_conn, count_sql, by_index), async {
                    page::load_page(&mut page_conn, search, text)
                        .await
                        .map_err(db_error)
                },)
            }
            None => {
                let counted = count_matches(&mut page_conn, count_sql, by_index).await?;
                let rows = page::load_page(&mut page_conn, search, text)
                    .await
                    .map_err(db_error)?;
                Ok((counted, rows))
            }
        }
    }
}

/// A search that filters products: one word through its terms ([`terms`]), anything else
/// gathered up to a cap ([`matches`]) and, past the cap, paged by a walk ([`page`]).
async fn gather(
    conn: &mut AsyncPgConnection,
    search: &ProductSearch,
    text: Option<&TextMatch>,
) -> diesel::QueryResult<(Count, Vec<HitRow>)> {
    let bound = i64::from(search.count_limit.get());
    let cap = matches::cap(search, text);
    if let Some(word) = text
        .and_then(TextMatch::single_word)
        .filter(|_| terms::serve(search))
    {
        match query::stems(conn, word).await?.as_slice() {
            // A word English leaves out: `to_tsquery` matches nothing with it.
            [] => return Ok((Count { n: 0 }, Vec::new())),
            [stem] => {
                let Some(terms) = terms::terms(conn, stem).await? else {
                    // No product has a term it starts.
                    return Ok((Count { n: 0 }, Vec::new()));
                };
                // Merged in product order, not sorted or hashed whole (see terms::counted_page).
                conn.batch_execute("SET LOCAL enable_sort = off; SET LOCAL enable_hashagg = off")
                    .await?;
                let counted = terms::counted_page(search, &terms, cap).query.load(conn).await?;
                conn.batch_execute("SET LOCAL enable_sort = on; SET LOCAL enable_hashagg = on")
                    .await?;
                let (gathered, rows) = matches::split(counted);
                let n = gathered.min(bound + 1);
                if gathered < cap {
                    return Ok((Count { n }, rows));
                }
                let membership = terms::Membership {
                    terms,
                    hashed: matches::deep(search),
                };
                let walk = text.map(|text| text.through_terms(membership));
                return Ok((Count { n }, page::load_page(conn, search, walk.as_ref()).await?));
            }
            // A word the parser splits: gathered as several words are.
            _ => {}
        }
    }
    let (gathered, rows) = matches::split(matches::counted_page(search, text, cap).query.load(conn).await?);
    // Past the bound the count stops at bound + 1, whatever the cap.
    let n = gathered.min(bound + 1);
    if gathered < cap {
        return Ok((Count { n }, rows));
    }
    if text.is_some_and(TextMatch::by_substring) {
        // The trigram index's estimate of a substring's products is poor (100 for deodora's
        // 16,780): the planner fetched them all to sort them (50 ms, 263 cold) where a walk
        // meets the page's 20 among the first 1,200 it reads (at least 5,001 match here).
        conn.batch_execute("SET LOCAL enable_bitmapscan = off").await?;
    }
    Ok((Count { n }, page::load_page(conn, search, text).await?))
}

/// Whether `search` narrows the products themselves (by text, category or price), as opposed
/// to listing all products or a store's stock.
fn filters_products(search: &ProductSearch, text: Option<&TextMatch>) -> bool {
    text.is_some() || search.category.is_some() || search.min_price.is_some() || search.max_price.is_some()
}

/// Runs a bounded count. A store's listing counts with sequential scans off for its
/// transaction: given a LIMIT, the planner bets that a sequential scan meets the store's rows
/// early, and read far more than the store's key range (`q=mango&store_id=7&in_stock=true`
/// at 2,001, when this counted words too: 92 ms, against 47 through the index). JIT goes off
/// too: the penalty a disabled plan carries in the planner's costs crossed `jit_above_cost`
/// and compiled the count (40 ms instead of 0.1). `SET LOCAL` ends
/// with the transaction, so the pooled connection keeps its defaults (a transaction cut short
/// marks the connection broken: the pool drops it).
async fn count_matches(conn: &mut AsyncPgConnection, sql: Sql<'_>, by_index: bool) -> Result<Count> {
    if !by_index {
        return sql.query.get_result::<Count>(conn).await.map_err(db_error);
    }
    conn.transaction(async move |conn| {
        conn.batch_execute("SET LOCAL enable_seqscan = off; SET LOCAL jit = off")
            .await?;
        sql.query.get_result::<Count>(conn).await
    })
    .await
    .map_err(db_error)
}

#[async_trait]
impl CatalogSearch for Postgres {
    /// Two queries, the count and the page (two more when full-text finds nothing and the
    /// substring fallback runs).
    async fn search(&self, search: &ProductSearch) -> Result<SearchResults> {
        let by_id;
        let search = match &search.category {
            Some(CategoryFilter::Name(name)) => match self.category_named(name).await? {
                Some(id) => {
                    by_id = ProductSearch {
                        category: Some(CategoryFilter::Id(id)),
                        ..search.clone()
                    };
                    &by_id
                }
                None => return Ok(SearchResults::bounded(Vec::new(), 0, search.count_limit)),
            },
            _ => search,
        };
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
        Ok(SearchResults::bounded(
            items,
            total(counted.n)?,
            search.count_limit,
        ))
    }

    /// One query when the prefix group fills the list, then one per title-length band until
    /// the contains group fills it (module `suggest`).
    async fn suggest(&self, text: &SuggestText, limit: usize) -> Result<Vec<String>> {
        let (mut conn, _) = self.read_conn().await?;
        suggest::suggest(&mut conn, text, limit).await
    }
}
