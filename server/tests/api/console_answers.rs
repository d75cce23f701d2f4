//! The console's fast paths give the answers of plain queries written the obvious way: the
//! store page's title search (kept words, merged lists) against a join of stock and products
//! with `title_vector @@ to_tsquery`, and the overview's kept counts against a count of the
//! stock rows. The catalogue is generated through the triggers (inserts, retitles, stock rows
//! created and deleted, orders' updates), then sampled with a fixed seed.

use aforro_adapters::postgres::Postgres;
use aforro_core::backoffice::{BackofficeRepository, InventoryBrowse, InventorySort, StockLevel};
use aforro_core::jobs::Retention;
use aforro_core::{PageRequest, StoreId};
use diesel_async::RunQueryDsl;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::helpers::{Ids, TestApp};

/// Title words, some sharing their starts ("pea", "peach", "peanut"), so prefixes expand.
const WORDS: [&str; 16] = [
    "green",
    "tea",
    "peach",
    "pea",
    "peanut",
    "butter",
    "dark",
    "chocolate",
    "chips",
    "organic",
    "oolong",
    "honey",
    "mint",
    "milk",
    "crunchy",
    "cream",
];

/// The generated catalogue: 1,500 products of two to four words, 3 stores carrying about half
/// each; then a fifth of the products retitled, a third given one of 80 words starting "zed",
/// some stock rows deleted and others created, and quantities moved, each through an ordinary
/// statement (so through the triggers).
const CATALOGUE: &str = "
    SELECT setseed(0.29);
    INSERT INTO categories (id, name) VALUES (1, 'Pantry');
    INSERT INTO stores (id, name, location) VALUES (1, 'A', 'a'), (2, 'B', 'b'), (3, 'C', 'c');
    CREATE TEMP TABLE words AS SELECT unnest(ARRAY['green','tea','peach','pea','peanut','butter','dark',
        'chocolate','chips','organic','oolong','honey','mint','milk','crunchy','cream']) AS word;
    CREATE FUNCTION pg_temp.title() RETURNS text LANGUAGE sql VOLATILE AS $$
        SELECT string_agg(initcap(word), ' ') FROM (
            SELECT word FROM words ORDER BY random() LIMIT 2 + floor(random() * 3)::int) w $$;
    INSERT INTO products (id, title, price, category_id)
        SELECT g, pg_temp.title(), 1.00, 1 FROM generate_series(1, 1500) g;
    INSERT INTO inventory (store_id, product_id, quantity)
        SELECT s, p, floor(random() * 12)::int FROM generate_series(1, 3) s, generate_series(1, 1500) p
        WHERE random() < 0.5;
    UPDATE products SET title = pg_temp.title() WHERE id % 5 = 0;
    -- 80 words starting zed: more than a typed word is expanded into (a range is read).
    UPDATE products SET title = title || ' Zed' || (id % 80) WHERE id % 3 = 1;
    DELETE FROM inventory WHERE product_id % 7 = 0 AND store_id = 2;
    INSERT INTO inventory (store_id, product_id, quantity)
        SELECT 2, p, 3 FROM generate_series(1, 1500, 11) p ON CONFLICT DO NOTHING;
    UPDATE inventory SET quantity = greatest(quantity - 2, 0) WHERE product_id % 3 = 0;
";

fn draw_title(rng: &mut StdRng) -> String {
    let kind = rng.random_range(0..8);
    let mut word = || WORDS[rng.random_range(0..WORDS.len())].to_owned();
    match kind {
        0 => word(),
        1 => format!("{} {}", word(), word()),
        2 => {
            let whole = word();
            let cut = 1 + whole.len() / 2;
            whole[..cut].to_owned()
        }
        3 => format!("{} {}", word().to_uppercase(), &word()[..2]),
        4 => "zzq".to_owned(),
        5 => "zed".to_owned(),
        6 => format!("{} ze", word()),
        _ => "the".to_owned(),
    }
}

/// The obvious query: the store's rows joined to their products, the words as `to_tsquery`
/// prefixes, every row counted and sorted.
async fn reference(
    app: &TestApp,
    store: i64,
    title: &str,
    level: StockLevel,
    sort: InventorySort,
) -> Vec<i64> {
    let words: Vec<String> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("''{}'':*", w.to_lowercase()))
        .collect();
    let level = match level {
        StockLevel::All => "",
        StockLevel::Low => " AND i.quantity > 0 AND i.quantity < 5",
        StockLevel::Out => " AND i.quantity = 0",
    };
    let order = match sort {
        InventorySort::Title => r#"lower(p.title) COLLATE "C", p.id"#,
        InventorySort::QuantityAscending => "i.quantity, i.product_id",
        InventorySort::QuantityDescending => "i.quantity DESC, i.product_id DESC",
    };
    let sql = format!(
        "SELECT coalesce(array_agg(id ORDER BY n), '{{}}') AS ids FROM (
             SELECT p.id, row_number() OVER (ORDER BY {order}) AS n
             FROM inventory i JOIN products p ON p.id = i.product_id
             WHERE i.store_id = {store} AND p.title_vector @@ to_tsquery('english', '{}'){level}) ranked",
        words.join(" & ")
    );
    let mut conn = app.db.conn().await.expect("connect");
    diesel::sql_query(sql)
        .get_result::<Ids>(&mut conn)
        .await
        .expect("reference query")
        .ids
}

#[tokio::test]
async fn title_searches_give_the_answers_of_a_plain_join() {
    let app = TestApp::spawn().await;
    app.db.run_sql(CATALOGUE).await;
    let postgres = Postgres::connect(&app.db.url, Default::default()).expect("postgres");
    let mut rng = StdRng::seed_from_u64(7);
    let mut matched = 0;
    for round in 0..150 {
        let store = rng.random_range(1..=3);
        let title = draw_title(&mut rng);
        let level = [StockLevel::All, StockLevel::Low, StockLevel::Out][rng.random_range(0..3)];
        let sort = [
            InventorySort::Title,
            InventorySort::QuantityAscending,
            InventorySort::QuantityDescending,
        ][rng.random_range(0..3)];
        let mut browse = InventoryBrowse::new(&title, level, sort, 5).expect("a valid filter");
        // A small bound, so the bounded count is exercised too.
        browse.count_limit = 40;
        let size = [7, 25, 50][rng.random_range(0..3)];
        let expected = reference(&app, store, &title, level, sort).await;
        let pages = expected.len().div_ceil(size).max(1);
        let number = rng.random_range(1..=pages.min(4));
        let request = PageRequest::new(Some(number as i64), Some(size as i64), 50).expect("page");
        let page = postgres
            .browse_inventory(StoreId::new(store).unwrap(), &browse, request)
            .await
            .expect("browse");
        let got: Vec<i64> = page.items.iter().map(|item| item.product_id.get()).collect();
        let from = ((number - 1) * size).min(expected.len());
        let want = &expected[from..(from + size).min(expected.len())];
        let context = format!(
            "round {round}: store {store}, q={title:?}, {level:?}, {sort:?}, page {number} of {size}"
        );
        assert_eq!(got, want, "{context}");
        assert_eq!(page.total, expected.len().min(41) as u64, "{context}");
        matched += usize::from(!expected.is_empty());
    }
    assert!(
        matched > 60,
        "most draws must match something, or the test proves little: {matched}"
    );
}

#[tokio::test]
async fn the_overview_counts_are_a_recount_of_the_stock_rows_before_and_after_a_fold() {
    let app = TestApp::spawn().await;
    app.db.run_sql(CATALOGUE).await;
    let postgres = Postgres::connect(&app.db.url, Default::default()).expect("postgres");
    let recount = || async {
        let mut counts = Vec::new();
        for store in 1..=3 {
            for (lower, upper) in [(5, i32::MAX), (1, 4), (0, 0)] {
                counts.push(
                    app.db
                        .scalar(&format!(
                            "SELECT count(*) AS n FROM inventory WHERE store_id = {store} AND quantity BETWEEN {lower} AND {upper}"
                        ))
                        .await as u64,
                );
            }
        }
        counts
    };
    let kept = || async {
        let stock = postgres.store_stock(None, 5).await.expect("overview");
        stock
            .iter()
            .flat_map(|s| [s.stocked, s.low, s.out])
            .collect::<Vec<u64>>()
    };
    let before = recount().await;
    assert!(
        before.iter().all(|&n| n > 0),
        "every level must have rows: {before:?}"
    );
    assert_eq!(kept().await, before, "unfolded");
    let folded = postgres.fold_stock_level_changes(1_000_000).await.expect("fold");
    assert!(folded > 0, "the generated writes left changes to fold");
    assert_eq!(
        postgres.fold_stock_level_changes(1_000_000).await.expect("fold"),
        0
    );
    assert_eq!(kept().await, before, "folded");
    // More writes after the fold, then a partial fold: still the recount.
    app.db
        .run_sql("UPDATE inventory SET quantity = quantity + 1 WHERE product_id % 4 = 0; DELETE FROM inventory WHERE product_id % 13 = 0")
        .await;
    postgres.fold_stock_level_changes(3).await.expect("fold");
    assert_eq!(kept().await, recount().await, "partly folded");
}
