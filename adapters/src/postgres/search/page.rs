//! The page of a product search: one query for the price and newest sorts, and for
//! relevance one id-ordered query per tier until the page is full.

use aforro_core::search::{ProductSearch, SearchSort};
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::query::{filtered, Sql, TextMatch, Tier};
use super::{Count, HitRow};

/// The rows of `search`'s page, in order. Relevance is tier by tier (best first), each in id
/// order: a tier is read only when the ones before it did not fill the page, and a tier that
/// ends before the page starts is counted (up to where the page starts) to know how much of
/// the offset it used.
pub(super) async fn load_page(
    conn: &mut AsyncPgConnection,
    search: &ProductSearch,
    text: Option<&TextMatch>,
) -> diesel::QueryResult<Vec<HitRow>> {
    let (offset, limit) = (search.page.offset(), search.page.limit());
    if search.sort != SearchSort::Relevance {
        return rows(search, text, Tier::All, offset, limit).load(conn).await;
    }
    let tiers = text.map(TextMatch::tiers).unwrap_or_else(|| vec![Tier::All]);
    let mut page = Vec::new();
    // How many rows of the page's offset are still to skip when the next tier starts.
    let mut skip = offset;
    for tier in tiers {
        let wanted = limit - page.len() as i64;
        let found: Vec<HitRow> = rows(search, text, tier, skip, wanted).load(conn).await?;
        let got = found.len() as i64;
        page.extend(found);
        if page.len() as i64 == limit {
            break;
        }
        if skip > 0 {
            // The tier ended inside (or before) the skipped rows: it used as many of them as
            // it has, at most `skip`.
            let used = if got > 0 {
                skip
            } else {
                tier_size(conn, search, text, tier, skip).await?
            };
            skip -= used;
        }
    }
    Ok(page)
}

/// The page query of one tier (or of the whole match set for other sorts).
fn rows<'a>(
    search: &'a ProductSearch,
    text: Option<&TextMatch>,
    tier: Tier,
    offset: i64,
    limit: i64,
) -> diesel::query_builder::BoxedSqlQuery<'a, diesel::pg::Pg, diesel::query_builder::SqlQuery> {
    let order = match search.sort {
        SearchSort::Relevance => "id",
        SearchSort::PriceAscending => "price, id",
        SearchSort::PriceDescending => "price DESC, id",
        SearchSort::Newest => "created_at DESC, id",
    };
    // The walk reads only what the order indexes carry (migration 27), so without words it is
    // an index-only scan; the page's display columns are read for its rows alone. Reading them
    // along the walk read every product walked past (a deep page of a store's products in a
    // category: 18,364 rows read, 147 ms).
    let walk = filtered(
        Sql::new("WITH w AS (SELECT p.id, p.price, p.created_at FROM products p"),
        search,
        text,
        tier,
    )
    .push(&format!(" ORDER BY p.{} LIMIT ", order.replace(", id", ", p.id")))
    .param::<BigInt, _>(limit)
    .push(" OFFSET ")
    .param::<BigInt, _>(offset)
    .push(
        ") SELECT p.id, p.title, p.description, p.price, p.category_id, c.name AS category_name, \
         p.created_at, ",
    );
    let sql = match search.store_id {
        Some(store_id) => walk
            .push("(SELECT i.quantity FROM inventory i WHERE i.product_id = p.id AND i.store_id = ")
            .param::<BigInt, _>(store_id.get())
            .push(")"),
        None => walk.push("NULL::integer"),
    };
    let order = order
        .split(", ")
        .map(|key| format!("w.{key}"))
        .collect::<Vec<_>>()
        .join(", ");
    sql.push(&format!(
        " AS quantity FROM w JOIN products p ON p.id = w.id JOIN categories c ON c.id = p.category_id ORDER BY {order}"
    ))
    .query
}

/// How many rows `tier` has, counted up to `most`.
async fn tier_size(
    conn: &mut AsyncPgConnection,
    search: &ProductSearch,
    text: Option<&TextMatch>,
    tier: Tier,
    most: i64,
) -> diesel::QueryResult<i64> {
    let sql = filtered(
        Sql::new("SELECT count(*) AS n FROM (SELECT 1 FROM products p"),
        search,
        text,
        tier,
    );
    let counted: Count = sql
        .push(" LIMIT ")
        .param::<BigInt, _>(most)
        .push(") AS tier")
        .query
        .get_result(conn)
        .await?;
    Ok(counted.n)
}
