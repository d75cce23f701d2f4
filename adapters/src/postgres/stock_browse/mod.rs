//! The SQL of the console's stock page: one store's rows, by title words, level and order.
//!
//! Without words the store's stock rows drive: counts and pages by quantity read them alone.
//! With words, `product_title_words` drives (migration 23): each word of each title with the
//! title's sort key, the stores carrying the product and the title's other words, in a btree
//! on `(word, title_key, product_id) INCLUDE (store_ids, title_words)`. A word typed is a prefix of title words ("choc" finds
//! "Chocolate"): it is stemmed as the API's search stems it, then expanded into the title
//! words it starts ([`words::WordMatch`]). For each of those, the index lists the store's
//! products already in title order, so the lists merge (`MergeAppend`) into the page by title
//! and the reading stops after the page — or after the count's bound — however common the
//! word. The other words of a search are checked on each entry of the rarest word's list.

use aforro_core::backoffice::{InventoryBrowse, InventorySort, StockLevel};
use aforro_core::{PageRequest, StoreId};
use diesel::result::QueryResult;
use diesel::sql_types::{BigInt, Integer};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use super::inventory::InventoryRow;
use super::search::query::Sql;

mod words;

use self::words::{match_words, WordMatch};

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// A page's row with the count of the read it came from.
#[derive(QueryableByName)]
struct CountedRow {
    #[diesel(embed)]
    item: InventoryRow,
    #[diesel(sql_type = BigInt)]
    counted: i64,
}

/// The rows counted (up to the browse's bound, plus one) and the page's rows.
pub(super) struct Browsed {
    pub(super) counted: i64,
    pub(super) rows: Vec<InventoryRow>,
}

impl Browsed {
    fn from_counted(rows: Vec<CountedRow>) -> Self {
        Self {
            counted: rows.iter().map(|r| r.counted).next().unwrap_or(0),
            rows: rows.into_iter().map(|r| r.item).collect(),
        }
    }
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
            None => return without_words(conn, store_id, browse, page).await,
            Some(title) => match match_words(conn, title.words()).await? {
                Some(words) if !words.is_empty() => words,
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
        let bound = bound(browse);
        if browse.sort != InventorySort::Title {
            // By quantity: the matches as far as the bound are read once, counted, and sorted
            // (each looked up in the store's stock). Past the bound (a common word), that sort
            // saw only some matches: the store's rows are walked in quantity order instead.
            let mut browsed = Browsed::from_counted(
                words::by_quantity_among_found(store_id, browse, &words, page)
                    .query
                    .load(conn)
                    .await?,
            );
            if browsed.rows.is_empty() && page.offset() > 0 {
                browsed.counted = count(conn, store_id, browse, &words).await?;
            }
            if browsed.counted >= bound {
                browsed.rows = words::by_quantity_walk(store_id, browse, &words, page)
                    .query
                    .load(conn)
                    .await?;
            }
            return Ok(browsed);
        }
        let mut browsed = Browsed::from_counted(
            words::by_title(store_id, browse, &words, page)
                .query
                .load(conn)
                .await?,
        );
        // A page past the bound read further than the bound: the count still stops there.
        browsed.counted = browsed.counted.min(bound);
        if browsed.rows.is_empty() && page.offset() > 0 {
            browsed.counted = count(conn, store_id, browse, &words).await?;
        }
        Ok(browsed)
    })
    .await
}

/// Without words: the bounded count of the store's rows at the level, and the page.
async fn without_words(
    conn: &mut AsyncPgConnection,
    store_id: StoreId,
    browse: &InventoryBrowse,
    page: PageRequest,
) -> QueryResult<Browsed> {
    let counted: Total = stock_rows(
        Sql::new("SELECT count(*) AS total FROM (SELECT 1"),
        store_id,
        browse,
    )
    .push(" LIMIT ")
    .param::<BigInt, _>(bound(browse))
    .push(") AS counted")
    .query
    .get_result(conn)
    .await?;
    let rows = page_query(store_id, browse, page).query.load(conn).await?;
    Ok(Browsed {
        counted: counted.total,
        rows,
    })
}

/// The bounded count of the words' matches at the level, for a page past the matches (which
/// says nothing of their count).
async fn count(
    conn: &mut AsyncPgConnection,
    store_id: StoreId,
    browse: &InventoryBrowse,
    words: &[WordMatch],
) -> QueryResult<i64> {
    let counted: Total = words::matches(
        Sql::new("SELECT count(*) AS total FROM ("),
        store_id,
        browse,
        words,
        true,
    )
    .push(" ORDER BY c.title_key, c.product_id LIMIT ")
    .param::<BigInt, _>(bound(browse))
    .push(") AS counted")
    .query
    .get_result(conn)
    .await?;
    Ok(counted.total)
}

/// How many rows a count reads at most: the browse's bound and one more, to tell "more than".
fn bound(browse: &InventoryBrowse) -> i64 {
    i64::from(browse.count_limit) + 1
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

/// The page without words.
fn page_query<'a>(store_id: StoreId, browse: &InventoryBrowse, page: PageRequest) -> Sql<'a> {
    if browse.sort == InventorySort::Title {
        // A walk of the title index, each product looked up in the store's stock.
        paged(
            level_filter(
                Sql::new(&format!(
                    "{COLUMNS} FROM products p JOIN inventory i ON i.product_id = p.id WHERE i.store_id = "
                ))
                .param::<BigInt, _>(store_id.get()),
                browse,
            )
            .push(order_by(browse.sort)),
            page,
        )
    } else {
        // The page is chosen from the stock rows alone (an index walk, migration 24), and
        // only its rows are joined to their products.
        paged(
            stock_rows(
                Sql::new(&format!("{COLUMNS} FROM (SELECT i.product_id, i.quantity")),
                store_id,
                browse,
            )
            .push(order_by(browse.sort)),
            page,
        )
        .push(") i JOIN products p ON p.id = i.product_id")
        .push(order_by(browse.sort))
    }
}
