//! One-word searches on `product_search_terms` (migration 26): the word's terms are one range
//! of a btree that carries, beside each (term, product), what a search filters and sorts on.
//! Every match is found, filtered, counted and sorted in that index, so the cost is the
//! word's entries at about 0.2 µs each, whatever the filters and however deep the page: a
//! word in 3% of 1,000,000 products is 33,000 entries. Only in-stock filters look further (the
//! store's stock row, at most about once per match up to the count's bound, or the
//! out-of-stock list).
//!
//! Relevance has two tiers for one word, as in [`super::query::Tier`]: the word in the title
//! (some term of the range is marked `in_title`), then elsewhere; each by id.

use aforro_core::search::{CategoryFilter, ProductSearch};
use diesel::sql_types::{BigInt, Numeric, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::matches::{enough, order, sorted_page};
use super::query::Sql;

#[derive(QueryableByName)]
struct Stem {
    #[diesel(sql_type = Text)]
    lexeme: String,
}

/// What the word of a one-word full-text pass stems to: `to_tsquery` stems `'word':*` the same
/// way before matching lexemes that start with it. None (a word English leaves out, "the"),
/// one (the usual), or several (a word the parser splits).
pub(super) async fn stems(conn: &mut AsyncPgConnection, word: &str) -> diesel::QueryResult<Vec<String>> {
    let stems: Vec<Stem> = diesel::sql_query("SELECT lexeme FROM unnest(to_tsvector('english', $1))")
        .bind::<Text, _>(word)
        .load(conn)
        .await?;
    Ok(stems.into_iter().map(|s| s.lexeme).collect())
}

/// The smallest string above every string that starts with `prefix` in byte order (the terms'
/// `COLLATE "C"`).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// The count and the page of `search`, whose text is one word stemming to `stem`: every match
/// gathered from the terms that start with `stem`, then the statement's tail as for any
/// gathering ([`sorted_page`]).
pub(super) fn counted_page<'a>(search: &'a ProductSearch, stem: &str) -> Sql<'a> {
    // A product has one entry per term: a prefix that starts several of its terms ("che":
    // cheddar, cheese) finds it more than once, hence the grouping. Price, creation time and
    // category are the same on each of its entries.
    let sql = Sql::new(
        "WITH matched AS (SELECT t.product_id AS id, min(t.price) AS price, min(t.created_at) AS created_at, \
         CASE WHEN bool_or(t.in_title) THEN 0 ELSE 1 END AS tier \
         FROM product_search_terms t WHERE t.term >= ",
    )
    .param::<Text, _>(stem.to_owned())
    .push(" AND t.term < ")
    .param::<Text, _>(prefix_end(stem));
    let sql = match &search.category {
        Some(CategoryFilter::Id(category)) => sql
            .push(" AND t.category_id = ")
            .param::<BigInt, _>(category.get()),
        Some(CategoryFilter::Name(name)) => sql
            .push(" AND t.category_id IN (SELECT c.id FROM categories c WHERE lower(c.name) = lower(")
            .param::<Text, _>(name.as_str())
            .push("))"),
        None => sql,
    };
    let sql = match search.min_price {
        Some(min) => sql.push(" AND t.price >= ").param::<Numeric, _>(min),
        None => sql,
    };
    let sql = match search.max_price {
        Some(max) => sql.push(" AND t.price <= ").param::<Numeric, _>(max),
        None => sql,
    };
    let sql = match search.store_id {
        Some(store_id) => sql
            .push(" AND t.store_ids @> ARRAY[")
            .param::<BigInt, _>(store_id.get())
            .push("]::bigint[]"),
        None => sql,
    };
    let sql = sql.push(" GROUP BY t.product_id)");
    let sql = match (search.store_id, search.in_stock) {
        // In or out of stock at a store is its stock row's quantity, one probe a product: the
        // candidates are sorted first and probed in that order until the count's bound is
        // passed, so at most about bound + 1 probes, not one per candidate
        // (q=pea&store_id=12&in_stock=true: 18,316 candidates). The CTE keeps the sorted
        // order for the scan that probes it; the page sorts again what it found.
        (Some(store_id), Some(in_stock)) => sql
            .push(&format!(
                ", candidates AS MATERIALIZED (SELECT * FROM matched p ORDER BY {}), \
                 m AS MATERIALIZED (SELECT p.* FROM candidates p \
                 CROSS JOIN LATERAL (SELECT i.quantity FROM inventory i WHERE i.product_id = p.id AND i.store_id = ",
                order(search.sort, "p")
            ))
            .param::<BigInt, _>(store_id.get())
            .push(if in_stock {
                " LIMIT 1) i WHERE i.quantity > 0"
            } else {
                " LIMIT 1) i WHERE i.quantity = 0"
            })
            .push(" LIMIT ")
            .param::<BigInt, _>(enough(search)),
        // In stock anywhere: the out-of-stock list, hashed once (a few thousand products).
        (None, Some(true)) => sql.push(
            ", m AS MATERIALIZED (SELECT p.* FROM matched p \
             WHERE p.id NOT IN (SELECT o.product_id FROM out_of_stock_products o)",
        ),
        (None, Some(false)) => sql.push(
            ", m AS MATERIALIZED (SELECT p.* FROM matched p \
             WHERE p.id IN (SELECT o.product_id FROM out_of_stock_products o)",
        ),
        (_, None) => sql.push(", m AS MATERIALIZED (SELECT p.* FROM matched p"),
    };
    sorted_page(sql, search)
}
