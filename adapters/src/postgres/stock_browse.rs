//! The SQL of the console's stock page: one store's rows, by title words, level and order.
//!
//! Without words the store's stock rows drive: counts and pages by quantity read them alone.
//! With words, `product_title_words` drives (migration 23): each word of each title with the
//! title's sort key and the stores carrying the product, in a btree on `(word, title_key,
//! product_id) INCLUDE (store_ids)`. A word typed is a prefix of title words ("choc" finds
//! "Chocolate"): it is stemmed as the API's search stems it, then expanded into the title
//! words it starts ([`WordMatch`]). For each of those, the index lists the store's products
//! already in title order, so the lists merge (`MergeAppend`) into the page by title and the
//! reading stops after the page — or after the count's bound — however common the word.

use aforro_core::backoffice::{InventoryBrowse, InventorySort, StockLevel};
use aforro_core::{PageRequest, StoreId};
use diesel::result::QueryResult;
use diesel::sql_types::{Array, BigInt, Integer, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use super::inventory::InventoryRow;
use super::search::query::Sql;

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// The rows counted (up to the browse's bound, plus one) and the page's rows.
pub(super) struct Browsed {
    pub(super) counted: i64,
    pub(super) rows: Vec<InventoryRow>,
}

/// Reads one page and its bounded count, in one transaction, so both see one snapshot.
/// Parallel workers and JIT are off for it: these reads stop after a page, and on a
/// two-core machine a parallel walk of the title index read 21,000 products for a page of
/// 50 low-stock rows (145 ms, against about a sixth of that alone).
pub(super) async fn browse(
    conn: &mut AsyncPgConnection,
    store_id: StoreId,
    browse: &InventoryBrowse,
    page: PageRequest,
) -> QueryResult<Browsed> {
    conn.transaction(async move |conn| {
        conn.batch_execute(
            "SET TRANSACTION READ ONLY; SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off",
        )
        .await?;
        let words = match &browse.title {
            None => None,
            Some(title) => match match_words(conn, title.words()).await? {
                Some(words) if !words.is_empty() => Some(words),
                // A word no title has, or none but words English ignores ("the"): no match,
                // as in the API's search.
                _ => {
                    return Ok(Browsed {
                        counted: 0,
                        rows: Vec::new(),
                    })
                }
            },
        };
        let counted: Total = count_query(store_id, browse, words.as_deref())
            .query
            .get_result(conn)
            .await?;
        let rows = page_query(store_id, browse, words.as_deref(), page)
            .query
            .load(conn)
            .await?;
        Ok(Browsed {
            counted: counted.total,
            rows,
        })
    })
    .await
}

/// Most title words one typed word is expanded into; a shorter prefix than that (one or two
/// letters of a common start) is read as one range of words instead, sorted after reading.
const MAX_EXPANSION: i64 = 64;

/// How many index entries are counted to decide which typed word drives a search of several:
/// the rarest one, so that the others are checked on the fewest products.
const RARITY_PROBE: i64 = 5_000;

/// The title words one typed word matches.
#[derive(Debug, Clone)]
pub(super) enum WordMatch {
    /// These words exactly (each an ordered list in the index).
    Words(Vec<String>),
    /// Every word in `[from, to)`: more than [`MAX_EXPANSION`] of them.
    Range { from: String, to: String },
}

#[derive(QueryableByName)]
struct Word {
    #[diesel(sql_type = Text)]
    word: String,
}

#[derive(QueryableByName)]
struct Entries {
    #[diesel(sql_type = BigInt)]
    entries: i64,
}

/// The smallest string above every string that starts with `prefix` (byte order, the index's
/// `COLLATE "C"`), as search's suggest bounds its prefixes.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// What each typed word matches, the word that should drive first; `None` when some typed
/// word matches no title word at all (nothing can match them all). Words English stems to
/// nothing ("the") are left out, as `to_tsquery` leaves them out of the API's search; `Some`
/// of an empty list when every word was one.
async fn match_words(conn: &mut AsyncPgConnection, typed: &[String]) -> QueryResult<Option<Vec<WordMatch>>> {
    let mut matches = Vec::new();
    for word in typed {
        let stems: Vec<Word> =
            diesel::sql_query("SELECT lexeme AS word FROM unnest(to_tsvector('english', $1))")
                .bind::<Text, _>(word)
                .load(conn)
                .await?;
        for stem in stems {
            let end = prefix_end(&stem.word);
            // A loose index scan: one index probe per distinct word, not one per entry.
            let words: Vec<Word> = diesel::sql_query(
                "WITH RECURSIVE found(word) AS (
                     (SELECT word FROM product_title_words WHERE word >= $1 AND word < $2 ORDER BY word LIMIT 1)
                     UNION ALL
                     SELECT (SELECT w.word FROM product_title_words w
                             WHERE w.word > found.word AND w.word < $2 ORDER BY w.word LIMIT 1)
                     FROM found WHERE found.word IS NOT NULL
                 )
                 SELECT word FROM found WHERE word IS NOT NULL LIMIT $3",
            )
            .bind::<Text, _>(&stem.word)
            .bind::<Text, _>(&end)
            .bind::<BigInt, _>(MAX_EXPANSION + 1)
            .load(conn)
            .await?;
            if words.is_empty() {
                return Ok(None);
            }
            let found = if words.len() as i64 > MAX_EXPANSION {
                WordMatch::Range {
                    from: stem.word,
                    to: end,
                }
            } else {
                WordMatch::Words(words.into_iter().map(|w| w.word).collect())
            };
            let entries = if typed.len() > 1 {
                rarity(conn, &found).await?
            } else {
                0
            };
            matches.push((entries, found));
        }
    }
    matches.sort_by_key(|(entries, _)| *entries);
    Ok(Some(matches.into_iter().map(|(_, found)| found).collect()))
}

/// How many index entries `found` has, counted up to [`RARITY_PROBE`].
async fn rarity(conn: &mut AsyncPgConnection, found: &WordMatch) -> QueryResult<i64> {
    let sql = Sql::new("SELECT count(*) AS entries FROM (SELECT 1 FROM product_title_words w WHERE ");
    let counted: Entries = word_condition(sql, found)
        .push(" LIMIT ")
        .param::<BigInt, _>(RARITY_PROBE)
        .push(") AS probed")
        .query
        .get_result(conn)
        .await?;
    Ok(counted.entries)
}

/// `w.word` in what `found` matches.
fn word_condition<'a>(sql: Sql<'a>, found: &WordMatch) -> Sql<'a> {
    match found {
        WordMatch::Words(words) if words.len() == 1 => {
            sql.push("w.word = ").param::<Text, _>(words[0].clone())
        }
        WordMatch::Words(words) => sql
            .push("w.word = ANY (")
            .param::<Array<Text>, _>(words.clone())
            .push(")"),
        WordMatch::Range { from, to } => sql
            .push("w.word >= ")
            .param::<Text, _>(from.clone())
            .push(" AND w.word < ")
            .param::<Text, _>(to.clone()),
    }
}

/// `(title_key, product_id)` of the store's products with a title word `found` matches, one
/// row per index entry: one branch per word, each read in title order from the index, so that
/// a query ordered by title merges the branches and stops early, and two typed words' lists
/// meet in a merge join.
fn word_entries<'a>(mut sql: Sql<'a>, store_id: StoreId, found: &WordMatch) -> Sql<'a> {
    let single: Vec<WordMatch> = match found {
        WordMatch::Words(words) => words.iter().map(|w| WordMatch::Words(vec![w.clone()])).collect(),
        range => vec![range.clone()],
    };
    sql = sql.push("(");
    for (i, branch) in single.iter().enumerate() {
        if i > 0 {
            sql = sql.push(" UNION ALL ");
        }
        sql = word_condition(
            sql.push("SELECT w.title_key, w.product_id FROM product_title_words w WHERE "),
            branch,
        )
        .push(" AND w.store_ids @> ARRAY[")
        .param::<BigInt, _>(store_id.get())
        .push("]::bigint[]");
    }
    sql.push(")")
}

/// The matches `(title_key, product_id)`, once each, of every typed word, at the browse's
/// level when `level` (else at every level), from `c`; the driver (the rarest word) first.
fn matches<'a>(
    sql: Sql<'a>,
    store_id: StoreId,
    browse: &InventoryBrowse,
    words: &[WordMatch],
    level: bool,
) -> Sql<'a> {
    let Some((driver, others)) = words.split_first() else {
        return sql.push("SELECT NULL::text AS title_key, NULL::bigint AS product_id WHERE false");
    };
    let mut sql = word_entries(
        sql.push("SELECT DISTINCT c.title_key, c.product_id FROM "),
        store_id,
        driver,
    )
    .push(" c");
    for (k, other) in others.iter().enumerate() {
        sql = word_entries(sql.push(" JOIN "), store_id, other).push(&format!(
            " o{k} ON o{k}.title_key = c.title_key AND o{k}.product_id = c.product_id"
        ));
    }
    if level && browse.level != StockLevel::All {
        sql = sql
            .push(" JOIN inventory i ON i.product_id = c.product_id AND i.store_id = ")
            .param::<BigInt, _>(store_id.get());
        sql = level_filter(sql, browse);
    }
    sql
}

/// The level's condition on the stock row `i`.
fn level_filter<'a>(sql: Sql<'a>, browse: &InventoryBrowse) -> Sql<'a> {
    let low_below = i32::try_from(browse.low_below).unwrap_or(i32::MAX);
    match browse.level {
        StockLevel::All => sql,
        StockLevel::Low => sql
            .push(" AND i.quantity > 0 AND i.quantity < ")
            .param::<Integer, _>(low_below),
        StockLevel::Out => sql.push(" AND i.quantity = 0"),
    }
}

/// The store's stock rows `i` at the browse's level, alone: counting them, or ordering them
/// by quantity, needs no product (measured at 300,000 rows a store: joining products made an
/// unfiltered count 150 ms, and a page by quantity sorted every joined row).
fn stock_rows<'a>(sql: Sql<'a>, store_id: StoreId, browse: &InventoryBrowse) -> Sql<'a> {
    let sql = sql
        .push(" FROM inventory i WHERE i.store_id = ")
        .param::<BigInt, _>(store_id.get());
    level_filter(sql, browse)
}

/// Every order ends with the product id, so pages are stable. Titles compare as the
/// `products_title_key_idx` index orders them (`lower(title) COLLATE "C"`, which is also
/// `title_key`), so a page by title is a walk of that index; quantities as
/// `inventory_store_quantity_idx` (migration 24) orders a store's rows, forwards or backwards.
fn order_by(sort: InventorySort) -> &'static str {
    match sort {
        InventorySort::Title => r#" ORDER BY lower(p.title) COLLATE "C", p.id"#,
        InventorySort::QuantityAscending => " ORDER BY i.quantity, i.product_id",
        InventorySort::QuantityDescending => " ORDER BY i.quantity DESC, i.product_id DESC",
    }
}

/// A page's columns, from `p` and `i`.
const COLUMNS: &str = "SELECT i.product_id, p.title, p.price,
    (SELECT c.name FROM categories c WHERE c.id = p.category_id) AS category_name,
    i.quantity";

/// Appends `LIMIT`/`OFFSET` of `page`.
fn paged(sql: Sql<'_>, page: PageRequest) -> Sql<'_> {
    sql.push(" LIMIT ")
        .param::<BigInt, _>(page.limit())
        .push(" OFFSET ")
        .param::<BigInt, _>(page.offset())
}

/// The count query: at most `count_limit + 1` rows are read.
fn count_query<'a>(store_id: StoreId, browse: &InventoryBrowse, words: Option<&[WordMatch]>) -> Sql<'a> {
    let sql = Sql::new("SELECT count(*) AS total FROM (");
    let sql = match words {
        None => stock_rows(sql.push("SELECT 1"), store_id, browse),
        // In title order, so the merge stops at the bound.
        Some(words) => {
            matches(sql, store_id, browse, words, true).push(" ORDER BY c.title_key, c.product_id")
        }
    };
    sql.push(" LIMIT ")
        .param::<BigInt, _>(i64::from(browse.count_limit) + 1)
        .push(") AS counted")
}

/// The page query.
fn page_query<'a>(
    store_id: StoreId,
    browse: &InventoryBrowse,
    words: Option<&[WordMatch]>,
    page: PageRequest,
) -> Sql<'a> {
    let by_quantity = browse.sort != InventorySort::Title;
    match (words, by_quantity) {
        // By quantity, without words: the page is chosen from the stock rows alone, and only
        // its rows are joined to their products.
        (None, true) => paged(
            stock_rows(Sql::new(&format!("{COLUMNS} FROM (SELECT i.product_id, i.quantity")), store_id, browse)
                .push(order_by(browse.sort)),
            page,
        )
        .push(") i JOIN products p ON p.id = i.product_id")
        .push(order_by(browse.sort)),
        // By title, without words: a walk of the title index, each product looked up in the
        // store's stock.
        (None, false) => paged(
            level_filter(
                Sql::new(&format!("{COLUMNS} FROM products p JOIN inventory i ON i.product_id = p.id WHERE i.store_id = "))
                    .param::<BigInt, _>(store_id.get()),
                browse,
            )
            .push(order_by(browse.sort)),
            page,
        ),
        // By title, with words: the page of matches, merged in title order, then joined.
        (Some(words), false) => paged(
            matches(Sql::new(&format!("{COLUMNS} FROM (")), store_id, browse, words, true)
                .push(" ORDER BY c.title_key, c.product_id"),
            page,
        )
        .push(") m JOIN products p ON p.id = m.product_id JOIN inventory i ON i.product_id = m.product_id AND i.store_id = ")
        .param::<BigInt, _>(store_id.get())
        .push(order_by(browse.sort)),
        // By quantity, with words: every match is looked up in the store's stock, the page is
        // chosen from those rows, and only its rows are joined to their products.
        (Some(words), true) => {
            let sql = matches(
                Sql::new(&format!("{COLUMNS} FROM (SELECT i.product_id, i.quantity FROM (")),
                store_id,
                browse,
                words,
                false,
            )
            .push(") m JOIN inventory i ON i.product_id = m.product_id AND i.store_id = ")
            .param::<BigInt, _>(store_id.get());
            paged(level_filter(sql, browse).push(order_by(browse.sort)), page)
                .push(") i JOIN products p ON p.id = i.product_id")
                .push(order_by(browse.sort))
        }
    }
}
