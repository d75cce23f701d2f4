//! The substring fallback's titles: the distinct titles that contain `q`, found before their
//! products ([`super::query::TextMatch::gathering`]).

use aforro_core::search::{CategoryFilter, ProductSearch};
use diesel::sql_types::{BigInt, Text};

use super::query::{category_named, Sql, TextMatch};
use super::SUGGEST_LENGTH_BANDS;

/// Starts a statement's `WITH`, with the CTE `titles` first when `text` is a substring pass
/// that finds its titles first ([`TextMatch::gathering`]): the distinct titles that contain the
/// text, each length band through its own trigram index. Materialized, so they are found once:
/// as a subquery of the filter, the planner took them for a few hundred (a trigram estimate) and
/// found them again for each product it tried (`q=Peach&in_stock=false&…`: 45 times, 345 ms).
/// With a category filter, only the titles sold in that category (migration 31).
pub(super) fn with_titles<'a>(sql: Sql<'a>, search: &'a ProductSearch, text: Option<&TextMatch>) -> Sql<'a> {
    let Some(pattern) = text.and_then(TextMatch::titles_first_pattern) else {
        return sql.push("WITH ");
    };
    let mut sql = sql.push("WITH titles AS MATERIALIZED (");
    for (band, (shortest, longest)) in SUGGEST_LENGTH_BANDS.into_iter().enumerate() {
        // Literal bounds, as suggest writes them: a partial index serves only a query whose
        // range it can prove lies inside its predicate.
        sql = sql
            .push(&format!(
                "{}SELECT t.title_key FROM product_titles t \
                 WHERE (t.title_length + 0) BETWEEN {shortest} AND {longest} AND t.title_key LIKE ",
                if band == 0 { "" } else { " UNION ALL " }
            ))
            .param::<Text, _>(pattern.to_owned());
        sql = match &search.category {
            Some(CategoryFilter::Id(category)) => sql
                .push(" AND t.category_ids @> ARRAY[")
                .param::<BigInt, _>(category.get())
                .push("]::bigint[]"),
            Some(CategoryFilter::Name(name)) => {
                category_named(sql.push(" AND t.category_ids @> ARRAY["), name.as_str()).push("]::bigint[]")
            }
            None => sql,
        };
    }
    sql.push("), ")
}
