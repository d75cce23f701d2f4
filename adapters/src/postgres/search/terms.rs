//! One-word searches on `product_search_terms` (migration 26): the word's terms are one range
//! of a btree that carries, beside each (term, product), what a search filters and sorts on.
//! Each term's entries are read in product order and filtered in that index, several terms'
//! lists merged as they stream, so a gathering stops at its cap (about 0.3 µs an entry read).
//! Only in-stock filters look further (the store's in-stock rows, or the out-of-stock list).
//! Past the cap, the page's walk tells the word's matches by these terms ([`Membership`]).
//!
//! Relevance has two tiers for one word, as in [`super::query::Tier`]: the word in the title
//! (some term of the range is marked `in_title`), then elsewhere; each by id.

use aforro_core::search::{CategoryFilter, ProductSearch};
use diesel::sql_types::{Array, BigInt, Numeric, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::matches::sorted_page;
use super::query::{at_store, category_named, out_of_stock_everywhere, prefix_end, Sql};

/// At most this many terms are merged term by term (a prefix of three letters starts up to 20
/// of the seeded vocabulary's 1,182 terms); a stem that starts more is read as one range of
/// the index and its entries grouped by hashing.
const MOST_MERGED_TERMS: i64 = 32;

/// The terms a word's stem starts.
#[derive(Clone)]
pub(super) enum Terms {
    /// At most [`MOST_MERGED_TERMS`], in order: usually one for a whole word ("chocolate" is
    /// `chocol` alone), a few for a prefix ("che" starts cheddar, chees, cherri…).
    Listed(Vec<String>),
    /// More than that: the stem, whose range is read whole.
    Range(String),
}

#[derive(QueryableByName)]
struct Term {
    #[diesel(sql_type = Text)]
    term: String,
}

/// Which terms `stem` starts (`None`: no product has one), one probe of the index a term (a
/// skip scan: each step the first term past the one before).
pub(super) async fn terms(conn: &mut AsyncPgConnection, stem: &str) -> diesel::QueryResult<Option<Terms>> {
    let listed: Vec<Term> = diesel::sql_query(
        "WITH RECURSIVE listed AS ( \
           (SELECT t.term FROM product_search_terms t WHERE t.term >= $1 AND t.term < $2 ORDER BY t.term LIMIT 1) \
           UNION ALL \
           SELECT (SELECT t.term FROM product_search_terms t WHERE t.term > l.term AND t.term < $2 ORDER BY t.term LIMIT 1) \
           FROM listed l WHERE l.term IS NOT NULL) \
         SELECT term FROM listed WHERE term IS NOT NULL LIMIT $3",
    )
    .bind::<Text, _>(stem)
    .bind::<Text, _>(prefix_end(stem))
    .bind::<BigInt, _>(MOST_MERGED_TERMS + 1)
    .load(conn)
    .await?;
    Ok(match listed.len() as i64 {
        0 => None,
        n if n > MOST_MERGED_TERMS => Some(Terms::Range(stem.to_owned())),
        _ => Some(Terms::Listed(listed.into_iter().map(|t| t.term).collect())),
    })
}

/// The count and the page of `search`, whose text is one word whose stem starts `terms`: its
/// matches in product order up to `cap`, then the statement's tail as for any gathering
/// ([`sorted_page`]).
///
/// Each listed term's entries are read in product order straight off the index, and several
/// terms' lists are merged (the caller turns sorts and hash aggregation off for the statement,
/// so the planner merges them rather than hashing them all), so reading stops at the cap:
/// `q=crea`, 76,227 entries, hash-grouped whole in 89 ms, is 5,001 products merged in 2 ms.
pub(super) fn counted_page<'a>(search: &'a ProductSearch, terms: &Terms, cap: i64) -> Sql<'a> {
    let sql = match terms {
        // One term: one entry a product.
        Terms::Listed(listed) if listed.len() == 1 => entries(
            Sql::new(
                "WITH matched AS (SELECT t.product_id AS id, t.price, t.created_at, \
                 CASE WHEN t.in_title THEN 0 ELSE 1 END AS tier FROM product_search_terms t WHERE t.term = ",
            )
            .param::<Text, _>(listed[0].clone()),
            search,
        )
        .push(")"),
        // A product has one entry per term: a prefix that starts several of its terms
        // (cheddar, cheese) finds it more than once, hence the grouping. Price, creation
        // time and category are the same on each of its entries. Each term's list is its own
        // subquery with its own order (OFFSET 0 keeps it one): as one flattened UNION ALL,
        // the planner does not see that a list with its term fixed is in product order.
        Terms::Listed(listed) => {
            let mut sql = Sql::new(
                "WITH matched AS (SELECT e.product_id AS id, min(e.price) AS price, min(e.created_at) AS created_at, \
                 CASE WHEN bool_or(e.in_title) THEN 0 ELSE 1 END AS tier FROM (",
            );
            for (i, term) in listed.iter().enumerate() {
                if i > 0 {
                    sql = sql.push(" UNION ALL ");
                }
                sql = entries(
                    sql.push("(SELECT t.product_id, t.price, t.created_at, t.in_title FROM product_search_terms t WHERE t.term = ")
                        .param::<Text, _>(term.clone()),
                    search,
                )
                .push(" ORDER BY t.product_id OFFSET 0)");
            }
            sql.push(") e GROUP BY e.product_id)")
        }
        Terms::Range(stem) => entries(
            Sql::new(
                "WITH matched AS (SELECT t.product_id AS id, min(t.price) AS price, min(t.created_at) AS created_at, \
                 CASE WHEN bool_or(t.in_title) THEN 0 ELSE 1 END AS tier \
                 FROM product_search_terms t WHERE t.term >= ",
            )
            .param::<Text, _>(stem.clone())
            .push(" AND t.term < ")
            .param::<Text, _>(prefix_end(stem)),
            search,
        )
        .push(" GROUP BY t.product_id)"),
    };
    let sql = sql.push(", m AS MATERIALIZED (SELECT p.* FROM matched p");
    let sql = in_stock(sql, search)
        .push(" ORDER BY p.id LIMIT ")
        .param::<BigInt, _>(cap);
    sorted_page(sql, search)
}

/// Whether a one-word search reads the word's terms: not for the products out of stock in
/// every store (`in_stock=false` without a store). Those are a list of a few thousand
/// (`out_of_stock_products`), checked one by one against the word's `tsquery` by the general
/// gathering in 10 ms, where a common word's terms merged all their entries to find the few
/// among them (q=Cream&in_stock=false: 76,000 entries for 135 matches, 83 ms).
pub(super) fn serve(search: &ProductSearch) -> bool {
    !out_of_stock_everywhere(search)
}

/// Appends the conditions on a term's entries `t`: category, price and store.
fn entries<'a>(sql: Sql<'a>, search: &'a ProductSearch) -> Sql<'a> {
    let sql = match &search.category {
        Some(CategoryFilter::Id(category)) => sql
            .push(" AND t.category_id = ")
            .param::<BigInt, _>(category.get()),
        Some(CategoryFilter::Name(name)) => category_named(sql.push(" AND t.category_id = "), name.as_str()),
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
    match search.store_id {
        Some(store_id) => at_store(sql, "t", store_id.get(), search.in_stock),
        None => sql,
    }
}

/// Appends the in-stock filter on the matches `p` of a search without a store (a store's stock
/// is checked on the terms' entries: [`entries`]).
fn in_stock<'a>(sql: Sql<'a>, search: &ProductSearch) -> Sql<'a> {
    match (search.store_id, search.in_stock) {
        (Some(_), _) | (None, None) => sql,
        // In stock anywhere: the out-of-stock list, hashed once (a few thousand products).
        (None, Some(true)) => {
            sql.push(" WHERE p.id NOT IN (SELECT o.product_id FROM out_of_stock_products o)")
        }
        // Out of stock everywhere is gathered otherwise ([`serve`]); kept exact for any caller.
        (None, Some(false)) => sql.push(" WHERE p.id IN (SELECT o.product_id FROM out_of_stock_products o)"),
    }
}

/// How the walk of an order index ([`super::page`]) tells a one-word match when the gathering
/// reached its cap: by the word's terms, read in the terms' index, instead of its `tsquery` on
/// each product's `search_vector` — that check fetched every product walked past from the heap
/// (4.3 µs a product: `q=Original&store_id=15&in_stock=true&sort=newest&page=5` walked 13,654
/// for its 100, 58 ms), where the order indexes carry the rest of what a walk filters on.
#[derive(Clone)]
pub(super) struct Membership {
    pub(super) terms: Terms,
    /// Whether the matches are hashed once before the walk (a deep page walks thousands of
    /// products: probing the terms' index for each costs 3–4 µs, a hash lookup a tenth of a
    /// µs after a build of 0.4 µs an entry) or probed product by product (a first page walks
    /// a few hundred).
    pub(super) hashed: bool,
}

/// Appends the condition that `p` has an entry of `membership`'s terms (in its title, when
/// `in_title`).
pub(super) fn member<'a>(
    sql: Sql<'a>,
    search: &'a ProductSearch,
    membership: &Membership,
    in_title: bool,
) -> Sql<'a> {
    // `OR false` keeps the subquery a subplan checked in the walk's filter, row by row as the
    // walk goes: as a join the planner reordered the statement around its estimate of the
    // term's entries (2,119 for coconut's 33,623 in titles: it fetched all of them, then
    // probed the products, 246 ms).
    let sql = if membership.hashed {
        entries(
            term_condition(
                sql.push("(p.id IN (SELECT t.product_id FROM product_search_terms t WHERE "),
                &membership.terms,
            ),
            search,
        )
    } else {
        term_condition(
            sql.push("(EXISTS (SELECT 1 FROM product_search_terms t WHERE "),
            &membership.terms,
        )
        .push(" AND t.product_id = p.id")
    };
    let sql = if in_title {
        sql.push(" AND t.in_title")
    } else {
        sql
    };
    // OFFSET 0 keeps the probe one: an EXISTS without it may be turned into a hashed IN, and
    // the planner did, hashing all of crea's 76,227 entries for a first page that walks 233
    // products (35 ms, against 1 by probes).
    sql.push(if membership.hashed {
        ") OR false)"
    } else {
        " OFFSET 0) OR false)"
    })
}

fn term_condition<'a>(sql: Sql<'a>, terms: &Terms) -> Sql<'a> {
    match terms {
        Terms::Listed(listed) => sql
            .push("t.term = ANY(")
            .param::<Array<Text>, _>(listed.clone())
            .push(")"),
        Terms::Range(stem) => sql
            .push("t.term >= ")
            .param::<Text, _>(stem.clone())
            .push(" AND t.term < ")
            .param::<Text, _>(prefix_end(stem)),
    }
}
