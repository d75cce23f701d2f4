//! Title words in a store: what a typed word matches, and the queries that read the kept
//! words (`product_title_words`, migration 23).
//!
//! Each query reads the matches in title order, merged from one ordered index list per title
//! word, and stops after `limit` of them (`found`): the bound of the count, or the end of the
//! page when that is further. A page by title and its count come from one such read. A page
//! by quantity sorts the matches when their count is within the bound; past it (a common
//! word), the store's rows are walked in quantity order instead and each is checked for the
//! words.

use aforro_core::backoffice::{InventoryBrowse, InventorySort, StockLevel};
use aforro_core::{PageRequest, StoreId};
use diesel::result::QueryResult;
use diesel::sql_types::{Array, BigInt, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::{bound, level_filter, order_by, paged, COLUMNS};
use crate::postgres::search::query::{prefix_end, stems, Sql};

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

/// What each typed word matches, the word that should drive first; `None` when some typed
/// word matches no title word at all (nothing can match them all). Words English stems to
/// nothing ("the") are left out, as `to_tsquery` leaves them out of the API's search; `Some`
/// of an empty list when every word was one.
pub(super) async fn match_words(
    conn: &mut AsyncPgConnection,
    typed: &[String],
) -> QueryResult<Option<Vec<WordMatch>>> {
    let mut matches = Vec::new();
    for word in typed {
        for stem in stems(conn, word).await? {
            let end = prefix_end(&stem);
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
            .bind::<Text, _>(&stem)
            .bind::<Text, _>(&end)
            .bind::<BigInt, _>(MAX_EXPANSION + 1)
            .load(conn)
            .await?;
            if words.is_empty() {
                return Ok(None);
            }
            let found = if words.len() as i64 > MAX_EXPANSION {
                WordMatch::Range { from: stem, to: end }
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

/// `(title_key, product_id)` of the store's products with a title word `driver` matches and
/// a word of each of `others`, one row per index entry: one branch per word of `driver`, each
/// read in title order from the index, so that a query ordered by title merges the branches
/// and stops early. The store and the other words are checked on the entry itself (it carries
/// the product's stores and every word of its title): only the driver's list is read.
fn word_entries<'a>(
    mut sql: Sql<'a>,
    store_id: StoreId,
    driver: &WordMatch,
    others: &[WordMatch],
) -> Sql<'a> {
    let single: Vec<WordMatch> = match driver {
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
        for other in others {
            sql = other_word(sql, other);
        }
    }
    sql.push(")")
}

/// ` AND` the entry's title has a word `found` matches.
fn other_word<'a>(sql: Sql<'a>, found: &WordMatch) -> Sql<'a> {
    match found {
        WordMatch::Words(words) => sql
            .push(" AND w.title_words && ")
            .param::<Array<Text>, _>(words.clone()),
        WordMatch::Range { from, to } => sql
            .push(
                r#" AND EXISTS (SELECT 1 FROM unnest(w.title_words) AS t(word) WHERE t.word COLLATE "C" >= "#,
            )
            .param::<Text, _>(from.clone())
            .push(r#" AND t.word COLLATE "C" < "#)
            .param::<Text, _>(to.clone())
            .push(")"),
    }
}

/// The matches `(title_key, product_id)`, once each, of every typed word, at the browse's
/// level when `level` (else at every level), from `c`; the driver (the rarest word) first.
pub(super) fn matches<'a>(
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
        others,
    )
    .push(" c");
    if level && browse.level != StockLevel::All {
        sql = sql
            .push(" JOIN inventory i ON i.product_id = c.product_id AND i.store_id = ")
            .param::<BigInt, _>(store_id.get());
        sql = level_filter(sql, browse);
    }
    sql
}

/// `WITH found AS (…)`: the first `limit` matches at the browse's level, in title order.
fn found<'a>(store_id: StoreId, browse: &InventoryBrowse, words: &[WordMatch], limit: i64) -> Sql<'a> {
    matches(
        Sql::new("WITH found AS MATERIALIZED ("),
        store_id,
        browse,
        words,
        true,
    )
    .push(" ORDER BY c.title_key, c.product_id LIMIT ")
    .param::<BigInt, _>(limit)
    .push(") ")
}

/// A page by title and its count, in one read of the first matches: as far as the bound, or
/// to the page's end when that is further.
pub(super) fn by_title<'a>(
    store_id: StoreId,
    browse: &InventoryBrowse,
    words: &[WordMatch],
    page: PageRequest,
) -> Sql<'a> {
    let limit = bound(browse).max(page.offset() + page.limit());
    paged(
        found(store_id, browse, words, limit).push(&format!(
            "{COLUMNS}, (SELECT count(*) FROM found) AS counted FROM (SELECT * FROM found ORDER BY title_key, product_id"
        )),
        page,
    )
    .push(") m JOIN products p ON p.id = m.product_id JOIN inventory i ON i.product_id = m.product_id AND i.store_id = ")
    .param::<BigInt, _>(store_id.get())
    .push(order_by(InventorySort::Title))
}

/// A page by quantity chosen among the matches as far as the bound, each looked up in the
/// store's stock, with their count: the page, when the count is within the bound.
pub(super) fn by_quantity_among_found<'a>(
    store_id: StoreId,
    browse: &InventoryBrowse,
    words: &[WordMatch],
    page: PageRequest,
) -> Sql<'a> {
    paged(
        found(store_id, browse, words, bound(browse))
            .push(&format!(
                "{COLUMNS}, (SELECT count(*) FROM found) AS counted FROM (SELECT i.product_id, i.quantity FROM found m \
                 JOIN inventory i ON i.product_id = m.product_id AND i.store_id = "
            ))
            .param::<BigInt, _>(store_id.get())
            .push(order_by(browse.sort)),
        page,
    )
    .push(") i JOIN products p ON p.id = i.product_id")
    .push(order_by(browse.sort))
}

/// A page by quantity for words past the bound: the store's rows in quantity order (an index
/// walk, migration 24), each checked for every word (index-only on `(product_id, word)`),
/// stopping after the page. A common word's page is near: one row in 30 holds a word of 3% of
/// the titles.
pub(super) fn by_quantity_walk<'a>(
    store_id: StoreId,
    browse: &InventoryBrowse,
    words: &[WordMatch],
    page: PageRequest,
) -> Sql<'a> {
    let mut sql = level_filter(
        Sql::new(&format!(
            "{COLUMNS} FROM (SELECT i.product_id, i.quantity FROM inventory i WHERE i.store_id = "
        ))
        .param::<BigInt, _>(store_id.get()),
        browse,
    );
    for word in words {
        sql = word_condition(
            sql.push(
                " AND EXISTS (SELECT 1 FROM product_title_words w WHERE w.product_id = i.product_id AND ",
            ),
            word,
        )
        .push(")");
    }
    paged(sql.push(order_by(browse.sort)), page)
        .push(") i JOIN products p ON p.id = i.product_id")
        .push(order_by(browse.sort))
}
