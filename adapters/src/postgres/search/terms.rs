//! One-word searches on `product_search_terms` (migration 26): the word's terms are one range
//! of a btree that carries, beside each (term, product), what a search filters and sorts on.
//! Every match is found, filtered, counted and sorted in that index, so the cost is the
//! word's entries at about 0.2 µs each, whatever the filters and however deep the page: a
//! word in 3% of 1,000,000 products is 33,000 entries. Only in-stock filters look further (the
//! store's in-stock rows, or the out-of-stock list).
//!
//! Relevance has two tiers for one word, as in [`super::query::Tier`]: the word in the title
//! (some term of the range is marked `in_title`), then elsewhere; each by id.

use aforro_core::search::{CategoryFilter, ProductSearch};
use diesel::sql_types::{BigInt, Numeric, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::matches::sorted_page;
use super::query::{prefix_end, Sql};

/// The terms a word's stem starts: exactly one (the usual for a whole word: "chocolate" is
/// `chocol` alone), or several (a prefix: "che" starts cheddar, chees, cherri…).
pub(super) enum Terms {
    One(String),
    Several(String),
}

#[derive(QueryableByName)]
struct Term {
    #[diesel(sql_type = Text)]
    term: String,
}

/// Which terms `stem` starts (`None`: no product has one): two probes of the index, the first
/// term, then whether another follows it in the range.
pub(super) async fn terms(conn: &mut AsyncPgConnection, stem: &str) -> diesel::QueryResult<Option<Terms>> {
    let end = prefix_end(stem);
    let first: Vec<Term> = diesel::sql_query(
        "SELECT term FROM product_search_terms WHERE term >= $1 AND term < $2 ORDER BY term LIMIT 1",
    )
    .bind::<Text, _>(stem)
    .bind::<Text, _>(&end)
    .load(conn)
    .await?;
    let Some(Term { term: first }) = first.into_iter().next() else {
        return Ok(None);
    };
    let next: Vec<Term> = diesel::sql_query(
        "SELECT term FROM product_search_terms WHERE term > $1 AND term < $2 ORDER BY term LIMIT 1",
    )
    .bind::<Text, _>(&first)
    .bind::<Text, _>(&end)
    .load(conn)
    .await?;
    Ok(Some(if next.is_empty() {
        Terms::One(first)
    } else {
        Terms::Several(stem.to_owned())
    }))
}

/// The count and the page of `search`, whose text is one word whose stem starts `terms`: every
/// match gathered from those terms, then the statement's tail as for any gathering
/// ([`sorted_page`]).
pub(super) fn counted_page<'a>(search: &'a ProductSearch, terms: &Terms) -> Sql<'a> {
    let sql = match terms {
        // One term: one entry a product, read straight off the index in product order.
        Terms::One(term) => Sql::new(
            "WITH matched AS (SELECT t.product_id AS id, t.price, t.created_at, \
             CASE WHEN t.in_title THEN 0 ELSE 1 END AS tier \
             FROM product_search_terms t WHERE t.term = ",
        )
        .param::<Text, _>(term.clone()),
        // A product has one entry per term: a prefix that starts several of its terms
        // (cheddar, cheese) finds it more than once, hence the grouping below. Price, creation
        // time and category are the same on each of its entries.
        Terms::Several(stem) => Sql::new(
            "WITH matched AS (SELECT t.product_id AS id, min(t.price) AS price, min(t.created_at) AS created_at, \
             CASE WHEN bool_or(t.in_title) THEN 0 ELSE 1 END AS tier \
             FROM product_search_terms t WHERE t.term >= ",
        )
        .param::<Text, _>(stem.clone())
        .push(" AND t.term < ")
        .param::<Text, _>(prefix_end(stem)),
    };
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
    let sql = match terms {
        Terms::One(_) => sql.push("), m AS MATERIALIZED (SELECT p.* FROM matched p"),
        Terms::Several(_) => {
            sql.push(" GROUP BY t.product_id), m AS MATERIALIZED (SELECT p.* FROM matched p")
        }
    };
    let sql = match (search.store_id, search.in_stock) {
        // In stock at a store: its in-stock rows (migration 28), merged with the matches or
        // checked in that index alone. The store carries every match already (its terms say
        // so), so out of stock there is "not in stock there".
        (Some(store_id), Some(in_stock)) => sql
            .push(if in_stock {
                " WHERE EXISTS (SELECT 1 FROM inventory i WHERE i.store_id = "
            } else {
                " WHERE NOT EXISTS (SELECT 1 FROM inventory i WHERE i.store_id = "
            })
            .param::<BigInt, _>(store_id.get())
            .push(" AND i.product_id = p.id AND i.quantity > 0)"),
        // In stock anywhere: the out-of-stock list, hashed once (a few thousand products).
        (None, Some(true)) => {
            sql.push(" WHERE p.id NOT IN (SELECT o.product_id FROM out_of_stock_products o)")
        }
        (None, Some(false)) => sql.push(" WHERE p.id IN (SELECT o.product_id FROM out_of_stock_products o)"),
        (_, None) => sql,
    };
    sorted_page(sql, search)
}
