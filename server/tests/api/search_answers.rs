//! Search gives the answers of a plain query written the obvious way, so that no plan, index
//! or shortcut changes what a user sees: for searches drawn with a fixed seed (texts, filters,
//! orders, pages) on a generated catalogue, the page's ids, the count and `count_exact` are
//! compared with one SQL query that filters every product and sorts the result as the API
//! documents it (docs/api.md): relevance is the title-phrase tier, then the title-words tier,
//! then the rest, each by id; no full-text match falls back to the titles containing the text.

use diesel_async::RunQueryDsl;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::helpers::{Ids, TestApp};
use crate::search::{ids, search};

/// The count bound of this test's server: small, so bounded counts are crossed often.
const BOUND: usize = 30;

const WORDS: [&str; 12] = [
    "green",
    "tea",
    "peach",
    "pea",
    "peanut",
    "butter",
    "dark",
    "chocolate",
    "honey",
    "mint",
    "crunchy",
    "cream",
];

/// 600 products: titles of two or three words, descriptions of words (some none), three
/// categories, prices and creation times spread out, three stores carrying about half each
/// at quantities 0–5 (some products carried nowhere, some out of stock everywhere). Stock rows
/// are created, deleted and created again, products retitled, repriced, moved to another
/// category and deleted, and a category renamed and named back, in separate statements, so
/// what triggers keep for search (the stores on each product, migration 25; the search terms,
/// migration 26; the categories of each title, migration 31) goes through every trigger.
const CATALOGUE: &str = "
    SELECT setseed(0.61);
    INSERT INTO categories (id, name) VALUES (1, 'Pantry'), (2, 'Sweets'), (3, 'Tea Room');
    INSERT INTO stores (id, name, location) VALUES (1, 'A', 'a'), (2, 'B', 'b'), (3, 'C', 'c');
    CREATE TEMP TABLE words AS SELECT unnest(ARRAY['green','tea','peach','pea','peanut','butter','dark',
        'chocolate','honey','mint','crunchy','cream']) AS word;
    CREATE FUNCTION pg_temp.words(n int) RETURNS text LANGUAGE sql VOLATILE AS $$
        SELECT string_agg(initcap(word), ' ') FROM (SELECT word FROM words ORDER BY random() LIMIT n) w $$;
    INSERT INTO products (id, title, description, price, category_id, created_at)
        SELECT g, pg_temp.words(2 + floor(random() * 2)::int),
               CASE WHEN random() < 0.3 THEN NULL ELSE lower(pg_temp.words(3)) END,
               round((0.5 + random() * 40)::numeric, 2), 1 + floor(random() * 3)::int,
               timestamptz '2026-01-01' + g * interval '1 hour' * (0.5 + random())
        FROM generate_series(1, 600) g;
    INSERT INTO inventory (store_id, product_id, quantity)
        SELECT s, p, floor(random() * 6)::int FROM generate_series(1, 3) s, generate_series(1, 600) p
        WHERE random() < 0.5;
    DELETE FROM inventory WHERE (store_id * 7 + product_id) % 5 = 0;
    INSERT INTO inventory (store_id, product_id, quantity)
        SELECT 3, p, 2 FROM generate_series(1, 600) p WHERE p % 11 = 0 ON CONFLICT DO NOTHING;
    UPDATE products SET title = pg_temp.words(2), price = price + 1 WHERE id % 13 = 0;
    UPDATE products SET category_id = 1 + category_id % 3 WHERE id % 19 = 0;
    UPDATE categories SET name = 'Candy' WHERE id = 2;
    UPDATE categories SET name = 'Sweets' WHERE id = 2;
    DELETE FROM inventory WHERE product_id % 17 = 0;
    DELETE FROM products WHERE id % 17 = 0;
    SELECT setval(pg_get_serial_sequence(t, 'id'), 1000)
        FROM unnest(ARRAY['categories', 'products', 'stores']) AS t;
";

/// A drawn search: the API's query string and its parts for the reference.
struct Drawn {
    query: String,
    q: Option<String>,
    category: Option<String>,
    min_price: Option<&'static str>,
    max_price: Option<&'static str>,
    store: Option<i64>,
    in_stock: Option<bool>,
    sort: Option<&'static str>,
    page: usize,
    page_size: usize,
}

fn draw(rng: &mut StdRng) -> Drawn {
    let kind = rng.random_range(0..8);
    let mut word = || WORDS[rng.random_range(0..WORDS.len())].to_owned();
    let q = match kind {
        0 => None,
        1 | 2 => Some(word()),
        3 => Some(format!("{} {}", word(), word())),
        4 => Some(word()[..3].to_owned()),
        // Inside a word: full-text finds nothing, the substring fallback does.
        5 => Some("ocolat".to_owned()),
        6 => Some("zzq".to_owned()),
        _ => Some(format!("{} {}", word(), word()).to_uppercase()),
    };
    let category = match rng.random_range(0..6) {
        0 => Some(rng.random_range(1..=3).to_string()),
        1 => Some(["pantry", "Sweets", "TEA ROOM"][rng.random_range(0..3)].to_owned()),
        _ => None,
    };
    let (min_price, max_price) = match rng.random_range(0..6) {
        0 => (Some("5"), None),
        1 => (None, Some("12.50")),
        2 => (Some("2"), Some("20")),
        _ => (None, None),
    };
    let store = (rng.random_range(0..3) == 0).then(|| rng.random_range(1..=3));
    let in_stock = match rng.random_range(0..6) {
        0 => Some(true),
        1 => Some(false),
        _ => None,
    };
    let sort = [
        None,
        None,
        Some("relevance"),
        Some("price"),
        Some("-price"),
        Some("newest"),
    ][rng.random_range(0..6)];
    let page_size = [5, 10, 20][rng.random_range(0..3)];
    let page = rng.random_range(1..=BOUND.div_ceil(page_size));
    let mut params = Vec::new();
    if let Some(q) = &q {
        params.push(format!("q={}", q.replace(' ', "+")));
    }
    if let Some(category) = &category {
        params.push(format!("category={}", category.replace(' ', "+")));
    }
    params.extend(min_price.map(|p| format!("min_price={p}")));
    params.extend(max_price.map(|p| format!("max_price={p}")));
    params.extend(store.map(|s| format!("store_id={s}")));
    params.extend(in_stock.map(|b| format!("in_stock={b}")));
    params.extend(sort.map(|s| format!("sort={s}")));
    params.push(format!("page={page}&page_size={page_size}"));
    Drawn {
        query: params.join("&"),
        q,
        category,
        min_price,
        max_price,
        store,
        in_stock,
        sort,
        page,
        page_size,
    }
}

/// Every match of `drawn`, in the documented order.
async fn reference(app: &TestApp, drawn: &Drawn) -> Vec<i64> {
    let mut filters = vec!["true".to_owned()];
    match drawn.category.as_deref() {
        Some(id) if id.parse::<i64>().is_ok() => filters.push(format!("p.category_id = {id}")),
        Some(name) => filters.push(format!("lower(c.name) = lower('{name}')")),
        None => {}
    }
    filters.extend(drawn.min_price.map(|p| format!("p.price >= {p}")));
    filters.extend(drawn.max_price.map(|p| format!("p.price <= {p}")));
    let stock = |quantity: &str| {
        match drawn.store {
        Some(store) => format!("EXISTS (SELECT 1 FROM inventory i WHERE i.store_id = {store} AND i.product_id = p.id AND {quantity})"),
        None => format!("EXISTS (SELECT 1 FROM inventory i WHERE i.product_id = p.id AND {quantity})"),
    }
    };
    match (drawn.store, drawn.in_stock) {
        (Some(_), None) => filters.push(stock("true")),
        (_, Some(true)) => filters.push(stock("i.quantity > 0")),
        (Some(_), Some(false)) => filters.push(stock("i.quantity = 0")),
        (None, Some(false)) => filters.push(format!("NOT {}", stock("i.quantity > 0"))),
        (None, None) => {}
    }
    let words: Vec<String> = drawn
        .q
        .as_deref()
        .unwrap_or_default()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let all = words
        .iter()
        .map(|w| format!("''{w}'':*"))
        .collect::<Vec<_>>()
        .join(" & ");
    let phrase = words
        .iter()
        .map(|w| format!("''{w}'':*"))
        .collect::<Vec<_>>()
        .join(" <-> ");
    let by_sort = |relevance: &str| match drawn.sort {
        Some("price") => "p.price, p.id".to_owned(),
        Some("-price") => "p.price DESC, p.id".to_owned(),
        Some("newest") => "p.created_at DESC, p.id".to_owned(),
        Some(_) => relevance.to_owned(),
        None if drawn.q.is_some() => relevance.to_owned(),
        None => "p.created_at DESC, p.id".to_owned(),
    };
    let run = |condition: String, order: String| {
        format!(
            "SELECT coalesce(array_agg(id ORDER BY n), '{{}}') AS ids FROM (
                 SELECT p.id, row_number() OVER (ORDER BY {order}) AS n
                 FROM products p JOIN categories c ON c.id = p.category_id
                 WHERE {} AND {condition}) ranked",
            filters.join(" AND ")
        )
    };
    let mut conn = app.db.conn().await.expect("connect");
    let mut load = async |sql: String| {
        diesel::sql_query(sql)
            .get_result::<Ids>(&mut conn)
            .await
            .expect("reference")
            .ids
    };
    let Some(q) = drawn.q.as_deref() else {
        return load(run("true".into(), by_sort("p.id"))).await;
    };
    if !words.is_empty() {
        let tiers = format!(
            "CASE WHEN {} THEN 0 WHEN p.title_vector @@ to_tsquery('english', '{all}') THEN 1 ELSE 2 END, p.id",
            if words.len() >= 2 { format!("p.title_vector @@ to_tsquery('english', '{phrase}')") } else { "false".into() }
        );
        let found = load(run(
            format!("p.search_vector @@ to_tsquery('english', '{all}')"),
            by_sort(&tiers),
        ))
        .await;
        if !found.is_empty() {
            return found;
        }
    }
    let text = q.trim().to_lowercase();
    if text.chars().count() < 3 {
        return Vec::new();
    }
    load(run(
        format!("lower(p.title) LIKE '%{}%'", text.replace('\'', "''")),
        by_sort("p.id"),
    ))
    .await
}

#[tokio::test]
async fn searches_give_the_answers_of_a_plain_query() {
    let app = TestApp::spawn_with(|settings| settings.search_count_limit = BOUND as u32).await;
    app.db.run_sql(CATALOGUE).await;
    let mut rng = StdRng::seed_from_u64(11);
    let (mut matched, mut bounded) = (0, 0);
    for round in 0..200 {
        let drawn = draw(&mut rng);
        let expected = reference(&app, &drawn).await;
        let body = search(&app, &drawn.query).await;
        let from = ((drawn.page - 1) * drawn.page_size).min(expected.len());
        let want = &expected[from..(from + drawn.page_size).min(expected.len())];
        let context = format!("round {round}: {}", drawn.query);
        assert_eq!(ids(&body), want, "{context}");
        assert_eq!(
            body["count"].as_u64(),
            Some(expected.len().min(BOUND) as u64),
            "{context}"
        );
        assert_eq!(
            body["count_exact"].as_bool(),
            Some(expected.len() <= BOUND),
            "{context}"
        );
        matched += usize::from(!want.is_empty());
        bounded += usize::from(expected.len() > BOUND);
    }
    assert!(
        matched > 60 && bounded > 20,
        "the draws must reach pages and the bound: {matched} pages, {bounded} bounded"
    );
}
