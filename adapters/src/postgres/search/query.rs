//! The SQL of a product search: a placeholder-numbering query builder, what `q` becomes
//! (full-text or substring), the shared filters, the count and the relevance expression.

use aforro_core::search::{CategoryFilter, ProductSearch};
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Numeric, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::terms::{member, Membership};

/// A boxed SQL query that numbers its own placeholders, so optional filters can be appended
/// in any combination with every value bound, never formatted into the SQL.
pub(in crate::postgres) struct Sql<'a> {
    pub(in crate::postgres) query: BoxedSqlQuery<'a, Pg, SqlQuery>,
    params: usize,
}

impl<'a> Sql<'a> {
    pub(in crate::postgres) fn new(text: &str) -> Self {
        Self {
            query: diesel::sql_query(text).into_boxed(),
            params: 0,
        }
    }

    pub(in crate::postgres) fn push(mut self, text: &str) -> Self {
        self.query = self.query.sql(text);
        self
    }

    /// Appends `$n` bound to `value`.
    pub(in crate::postgres) fn param<ST, V>(mut self, value: V) -> Self
    where
        ST: Send + 'a,
        Pg: diesel::sql_types::HasSqlType<ST>,
        V: ToSql<ST, Pg> + Send + 'a,
    {
        self.params += 1;
        self.query = self.query.sql(format!("${}", self.params)).bind::<ST, V>(value);
        self
    }
}

/// The smallest string above every string that starts with `prefix` in byte order (`COLLATE
/// "C"`): the upper bound of a prefix range that a btree can walk.
pub(in crate::postgres) fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

#[derive(QueryableByName)]
struct Stem {
    #[diesel(sql_type = Text)]
    lexeme: String,
}

/// What `to_tsquery('english', …)` stems a typed word to before it matches the lexemes that
/// start with it: none (a word English leaves out, "the"), one (the usual), or several (a
/// word the parser splits).
pub(in crate::postgres) async fn stems(
    conn: &mut AsyncPgConnection,
    word: &str,
) -> diesel::QueryResult<Vec<String>> {
    let stems: Vec<Stem> = diesel::sql_query("SELECT lexeme FROM unnest(to_tsvector('english', $1))")
        .bind::<Text, _>(word)
        .load(conn)
        .await?;
    Ok(stems.into_iter().map(|s| s.lexeme).collect())
}

/// `LIKE` pattern text with `%`, `_` and `\` taken literally.
pub(super) fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// `to_tsquery` text matching each of `words` as a word prefix, joined by `joint` (`" & "`:
/// every word; `" <-> "`: the words in order): `'choc':* & 'dark':*`. The words come from
/// [`SearchText::words`](aforro_core::search::SearchText::words), letters and digits only, so
/// nothing in them can be read as an operator or close the quotes.
fn prefix_tsquery(words: &[String], joint: &str) -> String {
    words
        .iter()
        .map(|w| format!("'{w}':*"))
        .collect::<Vec<_>>()
        .join(joint)
}

/// Substring matching on titles needs three characters: below that trigrams cannot use the index.
const MIN_SUBSTRING_CHARS: usize = 3;

/// What `q` becomes in SQL, computed once per request for the filter, the count and the
/// relevance tiers.
///
/// Full-text matching comes first. Substring matching on titles (trigram index) is the
/// fallback for what full-text misses — a fragment from inside a word, "olate" — and runs only
/// when full-text finds nothing: OR-ing both on every search cost a second index scan and a
/// recheck of every match (measured: `q=choc`, 65,000 matches, count 52 ms alone, 94 ms OR-ed).
#[derive(Clone)]
pub(super) struct TextMatch {
    /// A prefix `to_tsquery` from plain words (letters and digits only, so nothing in them can
    /// be read as an operator): `'choc':* & 'dark':*` — "choc" also finds "chocolate". Matched
    /// against `search_vector` (title, category, description) and, for the title tiers,
    /// against `title_vector` (title alone, migration 16).
    tsquery: Option<String>,
    /// The words as a phrase, in order (two words or more): `'green':* <-> 'tea':*`.
    phrase_tsquery: Option<String>,
    /// `%q%` with LIKE wildcards escaped, when `q` is long enough for the trigram index.
    title_pattern: Option<String>,
    /// Whether this pass matches titles by substring instead of by full-text.
    by_substring: bool,
    /// The typed words of a full-text pass.
    words: Vec<String>,
    /// One word's terms, which tell its matches instead of `tsquery` (see
    /// [`Membership`]).
    terms: Option<Membership>,
    /// Whether the substring pass finds its titles first, then their products (a gathering,
    /// in any order), rather than testing each product read (a walk, see [`Self::gathering`]).
    titles_first: bool,
}

impl TextMatch {
    /// The substring pass to run when the full-text pass found nothing.
    pub(super) fn fallback(&self) -> Option<Self> {
        (!self.by_substring && self.title_pattern.is_some()).then(|| Self {
            tsquery: None,
            phrase_tsquery: None,
            title_pattern: self.title_pattern.clone(),
            by_substring: true,
            words: Vec::new(),
            terms: None,
            titles_first: false,
        })
    }

    pub(super) fn new(search: &ProductSearch) -> Option<Self> {
        let text = search.text.as_ref()?;
        let words = text.words();
        // Every word once: `'low':* & 'low':*` matches what `'low':*` matches, but the planner
        // multiplies the two estimates and takes a common word for a rare one
        // (`q=Low+Low&store_id=16&in_stock=true&min_price=2.50`: 98–255 ms, against 18 for
        // `q=Low`). The phrase keeps the words as typed: "low low" in a title is that phrase.
        let mut distinct: Vec<String> = Vec::with_capacity(words.len());
        for word in words {
            if !distinct.contains(word) {
                distinct.push(word.clone());
            }
        }
        let tsquery = (!distinct.is_empty()).then(|| prefix_tsquery(&distinct, " & "));
        let phrase_tsquery = (words.len() >= 2).then(|| prefix_tsquery(words, " <-> "));
        let title_pattern = (text.phrase().chars().count() >= MIN_SUBSTRING_CHARS)
            .then(|| format!("%{}%", like_escape(text.phrase())));
        Some(Self {
            by_substring: tsquery.is_none(),
            tsquery,
            phrase_tsquery,
            title_pattern,
            words: words.to_vec(),
            terms: None,
            titles_first: false,
        })
    }

    /// This pass as a gathering reads it: a substring pass finds the titles that contain the
    /// text in `product_titles` (300,000 distinct titles, trigram-indexed by length band), then
    /// their products in `products_title_key_cover_idx` (migration 29), index-only. Testing
    /// the pattern product by product rechecked every candidate of the products' trigram index
    /// on its heap row (12,482 for "juice": 46–75 ms for a category without any, 26 ms this
    /// way). A walk, which reads products in its own order, tests each as it goes, and so
    /// does a gathering of the products out of stock everywhere, which reads those few
    /// thousand first ([`out_of_stock_everywhere`]): from the titles, each product found was
    /// checked against that list as an array (q=Dumplin&in_stock=false&category=6: 4,336
    /// titles, 126 ms).
    pub(super) fn gathering(&self, search: &ProductSearch) -> Self {
        Self {
            titles_first: self.by_substring && !out_of_stock_everywhere(search),
            ..self.clone()
        }
    }

    /// This pass with its matches told by the word's terms (a one-word pass).
    pub(super) fn through_terms(&self, membership: Membership) -> Self {
        Self {
            terms: Some(membership),
            ..self.clone()
        }
    }

    /// The `LIKE` pattern of a substring pass that finds its titles first (a gathering).
    pub(super) fn titles_first_pattern(&self) -> Option<&str> {
        self.title_pattern.as_deref().filter(|_| self.titles_first)
    }

    /// Whether this pass matches titles by substring (the fallback).
    pub(super) fn by_substring(&self) -> bool {
        self.by_substring
    }

    /// The typed word of a full-text pass of one word (a prefix of the terms it matches).
    pub(super) fn single_word(&self) -> Option<&str> {
        match self.words.as_slice() {
            [word] if !self.by_substring => Some(word),
            _ => None,
        }
    }

    /// The `to_tsquery` text a title must match to be in `tier`, for the tiers a title match
    /// defines (the phrase, all the words); `None` for the rest.
    pub(super) fn title_tsquery(&self, tier: Tier) -> Option<String> {
        match tier {
            Tier::TitlePhrase => self.phrase_tsquery.clone(),
            Tier::TitleWords => self.tsquery.clone(),
            Tier::Elsewhere | Tier::All => None,
        }
    }

    /// The relevance tiers of this pass, best first (see [`Tier`]).
    pub(super) fn tiers(&self) -> Vec<Tier> {
        match (&self.tsquery, &self.phrase_tsquery, self.by_substring) {
            (Some(_), Some(_), false) => vec![Tier::TitlePhrase, Tier::TitleWords, Tier::Elsewhere],
            (Some(_), None, false) => vec![Tier::TitleWords, Tier::Elsewhere],
            // Substring matches are all title matches: they rank alike.
            _ => vec![Tier::All],
        }
    }
}

/// A relevance tier: the matches that rank alike, in id order. Relevance is the tier, then the
/// id — the contract's tie-break — so each tier's page is an id-ordered index walk that stops
/// after the page (or, for a rare word, a bitmap of its few matches), never a ranking of every
/// match. `ts_rank` (and RUM's `<=>`) put 64,376 of `choc`'s 65,490 matches at one score at
/// 1,000,000 products, so ordering by score still had to read every tied match to break ties
/// by id; the tiers keep what the scores told apart that matters (bench/RESULTS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tier {
    /// Every word in the title, in order and adjacent: "Green Tea" for `green tea`.
    TitlePhrase,
    /// Every word in the title, not as that phrase: "Green Iced Tea".
    TitleWords,
    /// Some word only in the category or description (every word matches somewhere).
    Elsewhere,
    /// Every match (no `q`, or the substring pass).
    All,
}

/// Appends the joins and WHERE clause shared by the count and the page query to
/// `... FROM products p`, for the matches of `tier` (the count's tier is [`Tier::All`]).
pub(super) fn filtered<'a>(
    mut sql: Sql<'a>,
    search: &'a ProductSearch,
    text: Option<&TextMatch>,
    tier: Tier,
) -> Sql<'a> {
    sql = sql.push(" WHERE true");
    if let Some(store_id) = search.store_id {
        sql = at_store(sql, "p", store_id.get(), search.in_stock);
    }
    if let Some(text) = text {
        match (&text.tsquery, &text.title_pattern, text.by_substring, &text.terms) {
            (Some(_), _, false, Some(membership)) => {
                sql = match tier {
                    Tier::All => member(sql.push(" AND "), search, membership, false),
                    Tier::TitleWords => member(sql.push(" AND "), search, membership, true),
                    Tier::Elsewhere => {
                        let sql = member(sql.push(" AND "), search, membership, false);
                        member(sql.push(" AND NOT "), search, membership, true)
                    }
                    // One word has no phrase.
                    Tier::TitlePhrase => sql.push(" AND false"),
                };
            }
            (Some(tsquery), _, false, _) => {
                sql = match tier {
                    Tier::All | Tier::Elsewhere => sql
                        .push(" AND p.search_vector @@ to_tsquery('english', ")
                        .param::<Text, _>(tsquery.clone())
                        .push(")"),
                    // A title tier implies the match (the title's words are in search_vector
                    // too): repeating it would make the planner multiply two estimates of the
                    // same rows and take a common word for a rare one.
                    Tier::TitlePhrase | Tier::TitleWords => sql,
                };
                sql = tier_filter(sql, text, tier);
            }
            // The titles, found once by the statement's `titles` CTE ([`super::titles::with_titles`]).
            (_, Some(_), true, _) if text.titles_first => {
                sql = sql.push(" AND p.title_key IN (SELECT k.title_key FROM titles k)");
            }
            (_, Some(pattern), true, _) => {
                sql = sql
                    .push(" AND lower(p.title) LIKE ")
                    .param::<Text, _>(pattern.clone());
            }
            // Nothing usable in q (punctuation, or under three characters of it): no match.
            _ => sql = sql.push(" AND false"),
        }
    }
    match &search.category {
        Some(CategoryFilter::Id(category)) => {
            sql = sql
                .push(" AND p.category_id = ")
                .param::<BigInt, _>(category.get());
        }
        Some(CategoryFilter::Name(name)) => {
            sql = category_named(sql.push(" AND p.category_id = "), name.as_str());
        }
        None => {}
    }
    if let Some(min) = search.min_price {
        sql = sql.push(" AND p.price >= ").param::<Numeric, _>(min);
    }
    if let Some(max) = search.max_price {
        sql = sql.push(" AND p.price <= ").param::<Numeric, _>(max);
    }
    in_stock_filter(sql, search)
}

/// Whether `search` asks for the products out of stock in every store (`in_stock=false`
/// without a store): a list of a few thousand (`out_of_stock_products`, kept by triggers,
/// migration 4) that its statements read first and check one by one.
pub(super) fn out_of_stock_everywhere(search: &ProductSearch) -> bool {
    search.store_id.is_none() && search.in_stock == Some(false)
}

/// Appends the id of the category named `name` (names are unique whatever their case); none:
/// NULL, which no product matches. [`CatalogSearch::search`](aforro_core::search::CatalogSearch)
/// looks a name up before its statements, which see an id; this keeps any other caller exact.
pub(super) fn category_named<'a>(sql: Sql<'a>, name: &'a str) -> Sql<'a> {
    sql.push("(SELECT c.id FROM categories c WHERE lower(c.name) = lower(")
        .param::<Text, _>(name)
        .push("))")
}

/// Appends that the store carries `alias`'s product (a row of products or of its search terms:
/// both carry the stores, migration 25, and the stores where it is sold out, migration 32) and,
/// with `in_stock`, that it is in stock there (carried and not sold out) or sold out there.
/// A check of the row read already: probing each match in the store's in-stock rows cost 1–3 µs
/// a match, and merging with them read the store's 150,000 in-stock rows to check a word's
/// 5,600 matches (q=Caramel&store_id=13&in_stock=true: 23 ms of its 44).
pub(super) fn at_store<'a>(sql: Sql<'a>, alias: &str, store_id: i64, in_stock: Option<bool>) -> Sql<'a> {
    let sql = sql
        .push(&format!(" AND {alias}.store_ids @> ARRAY["))
        .param::<BigInt, _>(store_id)
        .push("]::bigint[]");
    let sold_out = match in_stock {
        Some(true) => format!(" AND NOT {alias}.sold_out_store_ids @> ARRAY["),
        Some(false) => format!(" AND {alias}.sold_out_store_ids @> ARRAY["),
        None => return sql,
    };
    sql.push(&sold_out)
        .param::<BigInt, _>(store_id)
        .push("]::bigint[]")
}

/// Appends the `in_stock` filter on `p.id` of a search without a store (with one, see
/// [`at_store`]): in stock or not in any store.
fn in_stock_filter<'a>(sql: Sql<'a>, search: &ProductSearch) -> Sql<'a> {
    match (search.in_stock, search.store_id) {
        (_, Some(_)) | (None, None) => sql,
        // out_of_stock_products is kept exact by triggers on inventory (migration 4).
        (Some(true), None) => {
            sql.push(" AND NOT EXISTS (SELECT 1 FROM out_of_stock_products o WHERE o.product_id = p.id)")
        }
        // The set is small: make it the driving side (an id list probed through the primary
        // key). As a semi-join the planner walked a whole sort index looking for its rows.
        (Some(false), None) => {
            sql.push(" AND p.id = ANY (ARRAY(SELECT product_id FROM out_of_stock_products))")
        }
    }
}

/// The count query, which reads at most `count_limit + 1` matches: enough to know whether
/// there are more than the bound, never every match of a broad word. A search with no filter
/// reads the product count; a store listing with no product filter counts the store's
/// inventory rows alone: every row names an existing product (foreign key), so joining
/// products would only add work (measured at 300,000 rows: 36 ms alone, 259 ms joined).
pub(super) fn count_query<'a>(search: &'a ProductSearch, text: Option<&TextMatch>) -> Sql<'a> {
    let enough = i64::from(search.count_limit.get()) + 1;
    let product_filters = text.is_some()
        || search.category.is_some()
        || search.min_price.is_some()
        || search.max_price.is_some();
    let matches = match search.store_id {
        // No filter at all: the count kept by triggers (migration 9), not a scan of every row.
        None if !product_filters && search.in_stock.is_none() => {
            return Sql::new("SELECT least(products, ")
                .param::<BigInt, _>(enough)
                .push(") AS n FROM product_count");
        }
        Some(store_id) if !product_filters => {
            let sql = Sql::new("SELECT count(*) AS n FROM (SELECT 1 FROM inventory i WHERE i.store_id = ")
                .param::<BigInt, _>(store_id.get());
            match search.in_stock {
                Some(true) => sql.push(" AND i.quantity > 0"),
                Some(false) => sql.push(" AND i.quantity = 0"),
                None => sql,
            }
        }
        _ => filtered(
            Sql::new("SELECT count(*) AS n FROM (SELECT 1 FROM products p"),
            search,
            text,
            Tier::All,
        ),
    };
    matches
        .push(" LIMIT ")
        .param::<BigInt, _>(enough)
        .push(") AS bounded")
}

/// Appends `tier`'s title condition. Each test reads `title_vector`, whose own statistics tell
/// the planner how many products a word has in its titles (weights inside `search_vector` are
/// invisible to the planner's estimates).
fn tier_filter<'a>(sql: Sql<'a>, text: &TextMatch, tier: Tier) -> Sql<'a> {
    let title = |sql: Sql<'a>, query: &Option<String>| match query {
        Some(query) => sql
            .push("p.title_vector @@ to_tsquery('english', ")
            .param::<Text, _>(query.clone())
            .push(")"),
        None => sql.push("false"),
    };
    match tier {
        Tier::All => sql,
        Tier::TitlePhrase => title(sql.push(" AND "), &text.phrase_tsquery),
        Tier::TitleWords => {
            let sql = title(sql.push(" AND "), &text.tsquery);
            match &text.phrase_tsquery {
                Some(_) => title(sql.push(" AND NOT "), &text.phrase_tsquery),
                None => sql,
            }
        }
        Tier::Elsewhere => title(sql.push(" AND NOT "), &text.tsquery),
    }
}
