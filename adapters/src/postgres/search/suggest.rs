//! Suggest on PostgreSQL: distinct titles (`product_titles`, migration 5) that start with the
//! text, then titles that contain it, shortest first, band by band of title length.

use aforro_core::search::SuggestText;
use aforro_core::Result;
use diesel::sql_types::{BigInt, Integer, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::query::{like_escape, prefix_end};
use crate::postgres::error::db_error;

/// Title-length bands (inclusive) of the suggest contains group, shortest first, each with a
/// partial trigram index of the same bounds (migration 10; change both together — a server
/// test compares them). They split the seeded catalogue's ~300,000 distinct titles roughly
/// 3k / 16k / 53k / 94k / 110k / 25k.
pub const SUGGEST_LENGTH_BANDS: [(i32, i32); 6] =
    [(0, 16), (17, 20), (21, 24), (25, 28), (29, 34), (35, i32::MAX)];

#[derive(QueryableByName)]
struct TitleRow {
    #[diesel(sql_type = Text)]
    title: String,
}

/// One query when the prefix group fills the list, then one per title-length band until
/// the contains group fills it.
pub(super) async fn suggest(
    conn: &mut AsyncPgConnection,
    text: &SuggestText,
    limit: usize,
) -> Result<Vec<String>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let prefix = text.as_str();
    let prefix_pattern = format!("{}%", like_escape(prefix));
    // Both groups read product_titles (distinct titles, migration 5) through its index
    // (title_length, title_key) INCLUDE (title): index-only scans, shortest first.
    // Prefix group: one short range scan per title length. The explicit byte range keeps
    // the index usable in a generic prepared plan; LIKE keeps it exact.
    let upper_bound = prefix_end(prefix);
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
    let contains = format!("%{}%", like_escape(prefix));
    // Contains group, in final order: length band by length band, shortest first, until
    // the list is full. Each band has its own partial trigram index (migration 10), so a
    // band costs what its own matches cost: "choc", in none of the 19,000 titles under 21
    // characters and in 20,669 longer ones, is 212 rows from the 21–24 band (1.3 ms for
    // three bands), where one ordered scan walked 26,000 titles (4–5 ms) and one trigram
    // bitmap fetched all 20,669 (20 ms).
    for (shortest, longest) in SUGGEST_LENGTH_BANDS {
        let missing = limit - titles.len() as i64;
        if missing <= 0 {
            break;
        }
        // The band's bounds are literals (never input): a partial index is used only when
        // the planner can prove the query's range lies inside its predicate, which is
        // written on `title_length + 0` so that neither the range nor the ORDER BY can
        // be served by the (title_length, title_key) index instead — for a fragment rare
        // in the band, that walked the whole band (choc, 17–20: 2.3 ms against 0.14).
        let rows: Vec<TitleRow> = diesel::sql_query(format!(
            "SELECT t.title FROM product_titles t
             WHERE (t.title_length + 0) BETWEEN {shortest} AND {longest}
               AND t.title_key LIKE $1 AND t.title_key NOT LIKE $2
             ORDER BY t.title_length + 0, t.title_key
             LIMIT $3"
        ))
        .bind::<Text, _>(&contains)
        .bind::<Text, _>(&prefix_pattern)
        .bind::<BigInt, _>(missing)
        .load(&mut *conn)
        .await
        .map_err(db_error)?;
        titles.extend(rows.into_iter().map(|r| r.title));
    }
    Ok(titles)
}

#[cfg(test)]
mod tests {
    use super::SUGGEST_LENGTH_BANDS;

    #[test]
    fn suggest_length_bands_cover_every_length_once_shortest_first() {
        assert_eq!(SUGGEST_LENGTH_BANDS[0].0, 0);
        assert_eq!(SUGGEST_LENGTH_BANDS[SUGGEST_LENGTH_BANDS.len() - 1].1, i32::MAX);
        for pair in SUGGEST_LENGTH_BANDS.windows(2) {
            assert!(pair[0].0 <= pair[0].1, "{pair:?}");
            assert_eq!(pair[0].1 + 1, pair[1].0, "bands must touch: {pair:?}");
        }
    }
}
