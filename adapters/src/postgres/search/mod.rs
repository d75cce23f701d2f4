//! [`CatalogSearch`] on PostgreSQL: full-text search with a weighted `tsvector` (title A,
//! category B, description C) plus trigram substring matches on titles, and suggestions from
//! two index-backed queries.

mod query;

use aforro_core::search::{CatalogSearch, ProductHit, ProductSearch, SearchSort, SuggestText};
use aforro_core::{CategoryId, Page, ProductId, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, Nullable, Numeric, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;

use self::query::{count_query, filtered, like_escape, rank, Sql, TextMatch};
use super::error::db_error;
use super::rows::{count, id, total};
use super::Postgres;

/// How many of the shortest titles the suggest contains-group reads in order before it turns
/// to the trigram index: a fragment in at least 1 title of 400 fills the list from here.
const SUGGEST_SCAN_HEAD: i64 = 4_000;

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

    /// One query when the prefix group fills the list, two or three otherwise.
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
            let contains = format!("%{}%", like_escape(prefix));
            // Contains group, in final order. A common fragment is found among the shortest
            // titles: read the first SUGGEST_SCAN_HEAD of them in final order (an index-only
            // scan that stops there) and filter. Only when that is not enough, look beyond
            // them. (Left to the planner from the start, "ban" took the trigram bitmap over
            // 4,292 titles: 4.6 ms, against 0.3 from the shortest titles.)
            let head: Vec<TitleRow> = diesel::sql_query(
                "SELECT h.title FROM (
                     SELECT t.title, t.title_key, t.title_length FROM product_titles t
                     ORDER BY t.title_length, t.title_key
                     LIMIT $4
                 ) h
                 WHERE h.title_key LIKE $1 AND h.title_key NOT LIKE $2
                 ORDER BY h.title_length, h.title_key
                 LIMIT $3",
            )
            .bind::<Text, _>(&contains)
            .bind::<Text, _>(&prefix_pattern)
            .bind::<BigInt, _>(missing)
            .bind::<BigInt, _>(SUGGEST_SCAN_HEAD)
            .load(&mut *conn)
            .await
            .map_err(db_error)?;
            let missing = missing - head.len() as i64;
            titles.extend(head.into_iter().map(|r| r.title));
            if missing > 0 {
                // Past the head's last entry; NULL (no rows) when the head held every title.
                // The planner picks the ordered index (a fragment common beyond the head,
                // "cho": 3 ms) or the trigram bitmap (a rare one, "xyz": 0.1 ms); forcing the
                // bitmap cost "cho" 20 ms (20,669 matches, none among the shortest titles).
                let rest: Vec<TitleRow> = diesel::sql_query(
                    "SELECT t.title FROM product_titles t
                     WHERE t.title_key LIKE $1 AND t.title_key NOT LIKE $2
                       AND (t.title_length, t.title_key) > (
                           SELECT b.title_length, b.title_key FROM product_titles b
                           ORDER BY b.title_length, b.title_key
                           OFFSET $4 - 1 LIMIT 1)
                     ORDER BY t.title_length, t.title_key
                     LIMIT $3",
                )
                .bind::<Text, _>(&contains)
                .bind::<Text, _>(&prefix_pattern)
                .bind::<BigInt, _>(missing)
                .bind::<BigInt, _>(SUGGEST_SCAN_HEAD)
                .load(&mut *conn)
                .await
                .map_err(db_error)?;
                titles.extend(rest.into_iter().map(|r| r.title));
            }
        }
        Ok(titles)
    }
}
