//! GET /api/search/products/ and GET /api/search/suggest/.

use serde_json::Value;

use crate::helpers::{problem_fields, TestApp};

async fn search_app() -> TestApp {
    seeded(TestApp::spawn().await).await
}

/// For tests that change the database behind the API's back (what only the seeder or an
/// operator would do): the response cache cannot know, so it is off and the database's own
/// derived tables are what is tested.
async fn search_app_uncached() -> TestApp {
    seeded(TestApp::spawn_with(|settings| settings.cache.cache_enabled = false).await).await
}

async fn seeded(app: TestApp) -> TestApp {
    app.db
        .run_sql(
            "INSERT INTO categories (id, name) VALUES (1, 'Beverages'), (2, 'Snacks'), (3, 'Confectionery');
             INSERT INTO products (id, title, description, price, category_id, created_at) VALUES
               (1, 'Green Tea', 'Loose leaf', 4.20, 1, '2026-01-01T00:00:00Z'),
               (2, 'Jasmine Green Tea', NULL, 5.00, 1, '2026-01-02T00:00:00Z'),
               (3, 'Green Tea Latte', 'Sweet', 3.50, 1, '2026-01-03T00:00:00Z'),
               (4, 'Dark Chocolate', 'Bitter cocoa', 2.50, 3, '2026-01-04T00:00:00Z'),
               (5, 'Milk Chocolate Bar', 'Creamy', 2.50, 3, '2026-01-05T00:00:00Z'),
               (6, 'Oat Crackers', 'Pairs well with a cup of tea', 1.99, 2, '2026-01-06T00:00:00Z'),
               (7, 'green tea', 'Same title, other case', 4.00, 1, '2026-01-07T00:00:00Z'),
               (8, 'Evergreen Mints', NULL, 1.00, 3, '2026-01-08T00:00:00Z');
             INSERT INTO stores (id, name, location) VALUES (1, 'Baixa', 'Lisbon'), (2, 'Ribeira', 'Porto');
             INSERT INTO inventory (store_id, product_id, quantity) VALUES (1, 1, 5), (1, 4, 0), (1, 6, 3), (2, 2, 7)",
        )
        .await;
    app
}

async fn search(app: &TestApp, query: &str) -> Value {
    let response = app.get(&format!("/api/search/products/?{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

fn ids(body: &Value) -> Vec<i64> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

#[tokio::test]
async fn keywords_match_title_category_and_description_with_title_matches_first() {
    let app = search_app().await;

    let tea = ids(&search(&app, "q=tea").await);
    assert_eq!(sorted(tea.clone()), [1, 2, 3, 6, 7]);
    assert_eq!(
        *tea.last().unwrap(),
        6,
        "the description-only match ranks last: {tea:?}"
    );

    assert_eq!(
        sorted(ids(&search(&app, "q=choc").await)),
        [4, 5],
        "partial words match"
    );
    assert_eq!(ids(&search(&app, "q=snacks").await), [6], "category names match");
    assert_eq!(ids(&search(&app, "q=cocoa").await), [4], "descriptions match");
    assert_eq!(
        ids(&search(&app, "q=olate").await).len(),
        2,
        "substrings of titles match"
    );
    assert_eq!(ids(&search(&app, "q=green%20latte").await), [3]);
}

#[tokio::test]
async fn category_renames_are_followed_by_search() {
    let app = search_app().await;
    app.db
        .run_sql("UPDATE categories SET name = 'Drinks' WHERE id = 1")
        .await;
    assert_eq!(sorted(ids(&search(&app, "q=drinks").await)), [1, 2, 3, 7]);
    assert!(ids(&search(&app, "q=beverages").await).is_empty());
}

#[tokio::test]
async fn filters_by_category_price_and_stock() {
    let app = search_app().await;
    assert_eq!(sorted(ids(&search(&app, "category=3").await)), [4, 5, 8]);
    assert_eq!(
        sorted(ids(&search(&app, "category=confectionery").await)),
        [4, 5, 8]
    );
    assert!(ids(&search(&app, "category=Nope").await).is_empty());
    assert_eq!(
        ids(&search(&app, "min_price=2.50&max_price=4.20&sort=price").await),
        [4, 5, 3, 7, 1]
    );
    assert_eq!(sorted(ids(&search(&app, "in_stock=true").await)), [1, 2, 6]);
    assert_eq!(
        sorted(ids(&search(&app, "in_stock=false").await)),
        [3, 4, 5, 7, 8]
    );
    assert_eq!(ids(&search(&app, "q=tea&category=Snacks").await), [6]);
}

#[tokio::test]
async fn store_filter_adds_quantity_only_then() {
    let app = search_app().await;
    let body = search(&app, "store_id=1&sort=price").await;
    assert_eq!(ids(&body), [6, 4, 1]);
    let quantities: Vec<_> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["quantity"].as_i64().unwrap())
        .collect();
    assert_eq!(quantities, [3, 0, 5]);
    assert_eq!(
        ids(&search(&app, "store_id=1&in_stock=true&sort=price").await),
        [6, 1]
    );
    assert_eq!(ids(&search(&app, "store_id=1&in_stock=false").await), [4]);

    let without = search(&app, "q=tea").await;
    assert!(without["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p.get("quantity").is_none()));
    let product = &search(&app, "q=cocoa").await["results"][0];
    assert_eq!(product["category"]["name"], "Confectionery");
    assert_eq!(product["price"], "2.50");
    assert_eq!(product["created_at"], "2026-01-04T00:00:00.000Z");
}

#[tokio::test]
async fn every_sort_is_stable_with_ties_by_id() {
    let app = search_app().await;
    assert_eq!(
        ids(&search(&app, "").await),
        [8, 7, 6, 5, 4, 3, 2, 1],
        "newest by default without q"
    );
    assert_eq!(ids(&search(&app, "sort=newest").await), [8, 7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(ids(&search(&app, "sort=price").await), [8, 6, 4, 5, 3, 7, 1, 2]);
    assert_eq!(ids(&search(&app, "sort=-price").await), [2, 1, 7, 3, 4, 5, 6, 8]);
    assert_eq!(ids(&search(&app, "q=chocolate&sort=price").await), [4, 5]);
    assert_eq!(
        ids(&search(&app, "sort=relevance").await),
        [1, 2, 3, 4, 5, 6, 7, 8],
        "no q: all tie, by id"
    );
}

#[tokio::test]
async fn pagination_metadata_and_links() {
    let app = search_app().await;
    let body = search(&app, "sort=price&page_size=3&page=2").await;
    assert_eq!(
        (
            body["count"].as_i64(),
            body["total_pages"].as_i64(),
            body["page"].as_i64()
        ),
        (Some(8), Some(3), Some(2))
    );
    assert_eq!(ids(&body), [5, 3, 7]);
    assert_eq!(
        body["next"],
        "/api/search/products/?sort=price&page=3&page_size=3"
    );
    assert_eq!(
        body["previous"],
        "/api/search/products/?sort=price&page=1&page_size=3"
    );
    let first = search(&app, "q=tea").await;
    assert_eq!(first["page_size"], 20);
    assert_eq!(first["next"], Value::Null);
    assert_eq!(first["previous"], Value::Null);
    let past = search(&app, "page=5&page_size=3").await;
    assert_eq!(
        (past["results"].as_array().unwrap().len(), past["count"].as_i64()),
        (0, Some(8))
    );
}

#[tokio::test]
async fn invalid_parameters_are_named() {
    let app = search_app().await;
    for (query, status, fields) in [
        ("min_price=5&max_price=1", 422, vec!["min_price"]),
        ("min_price=-1", 422, vec!["min_price"]),
        ("sort=cheapest", 422, vec!["sort"]),
        ("category=-2", 422, vec!["category"]),
        ("store_id=0", 422, vec!["store_id"]),
        ("page_size=500", 422, vec!["page_size"]),
        ("min_price=abc", 400, vec!["min_price"]),
        ("in_stock=maybe", 400, vec!["in_stock"]),
        ("store_id=x", 400, vec!["store_id"]),
    ] {
        let response = app.get(&format!("/api/search/products/?{query}")).await;
        assert_eq!(response.status(), status, "{query}");
        assert_eq!(problem_fields(&response.json().await.unwrap()), fields, "{query}");
    }
    assert_eq!(app.get("/api/search/products/?store_id=999").await.status(), 404);
}

#[tokio::test]
async fn hostile_queries_never_fail() {
    let app = search_app().await;
    let long = "tea ".repeat(2500);
    let hostile = [
        "'",
        "\"",
        "&|!:*()",
        "tea:*",
        "!tea",
        "a & | b",
        "'; DROP TABLE products; --",
        "%",
        "_",
        "\\",
        "ção",
        "日本茶",
        "🍵 tea",
        "<->",
        "(((",
        "tea & !!",
        "   ",
        "a",
    ];
    for q in hostile {
        let response = app.get_with("/api/search/products/", &[("q", q)]).await;
        assert_eq!(response.status(), 200, "q={q:?}");
        let suggest = app.get_with("/api/search/suggest/", &[("q", q)]).await;
        assert!(
            suggest.status() == 200 || suggest.status() == 422,
            "suggest q={q:?}: {}",
            suggest.status()
        );
    }
    let response = app
        .get_with("/api/search/products/", &[("q", long.as_str())])
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(problem_fields(&response.json().await.unwrap()), ["q"]);
    assert_eq!(app.db.scalar("SELECT count(*) AS n FROM products").await, 8);
    // Literal wildcards do not match everything.
    assert!(ids(&search(&app, "q=%25%25%25").await).is_empty());
}

async fn suggest(app: &TestApp, q: &str) -> Vec<String> {
    let response = app.get_with("/api/search/suggest/", &[("q", q)]).await;
    assert_eq!(response.status(), 200, "q={q}");
    let body: Value = response.json().await.unwrap();
    body["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn suggestions_put_prefix_matches_first_then_shorter_then_alphabetical() {
    let app = search_app().await;
    assert_eq!(
        suggest(&app, "gre").await,
        [
            "Green Tea",
            "Green Tea Latte",
            "Evergreen Mints",
            "Jasmine Green Tea"
        ],
        "prefix group first; one entry for 'Green Tea' and 'green tea'"
    );
    assert_eq!(
        suggest(&app, "  CHOC ").await,
        ["Dark Chocolate", "Milk Chocolate Bar"]
    );
    assert!(suggest(&app, "xyz").await.is_empty());
}

#[tokio::test]
async fn at_most_ten_suggestions() {
    let app = search_app().await;
    let values: Vec<String> = (1..=14)
        .map(|i| {
            format!(
                "({}, 'Zest {}', 1.00, 2)",
                100 + i,
                "x".repeat(i % 5 + 1) + &i.to_string()
            )
        })
        .collect();
    app.db
        .run_sql(&format!(
            "INSERT INTO products (id, title, price, category_id) VALUES {}",
            values.join(",")
        ))
        .await;
    let got = suggest(&app, "zest").await;
    assert_eq!(got.len(), 10);
    let mut expected = got.clone();
    expected.sort_by_key(|t| (t.len(), t.to_lowercase()));
    assert_eq!(got, expected, "shorter first, then alphabetical");
}

#[tokio::test]
async fn suggest_needs_three_characters() {
    let app = search_app().await;
    for query in ["", "?q=", "?q=gr", "?q=%20%20gr%20%20"] {
        let response = app.get(&format!("/api/search/suggest/{query}")).await;
        assert_eq!(response.status(), 422, "{query}");
        assert_eq!(problem_fields(&response.json().await.unwrap()), ["q"]);
    }
}

#[tokio::test]
async fn in_stock_anywhere_follows_orders_and_inventory_changes() {
    let app = search_app_uncached().await;
    // Product 2 has 7 units, all in store 2: selling them makes it out of stock everywhere.
    let order = serde_json::json!({"store_id": 2, "items": [{"product_id": 2, "quantity_requested": 7}]});
    assert_eq!(app.post_order(order).await.status(), 201);
    assert_eq!(sorted(ids(&search(&app, "in_stock=true").await)), [1, 6]);
    assert_eq!(
        sorted(ids(&search(&app, "in_stock=false").await)),
        [2, 3, 4, 5, 7, 8]
    );

    // Restocking in any store, a new row, or removing the last stocked row all count.
    app.db
        .run_sql("UPDATE inventory SET quantity = 3 WHERE store_id = 1 AND product_id = 4")
        .await;
    app.db
        .run_sql("INSERT INTO inventory (store_id, product_id, quantity) VALUES (2, 8, 1)")
        .await;
    app.db
        .run_sql("DELETE FROM inventory WHERE store_id = 1 AND product_id = 6")
        .await;
    assert_eq!(sorted(ids(&search(&app, "in_stock=true").await)), [1, 4, 8]);
    assert_eq!(search(&app, "in_stock=false").await["count"], 5);

    // A new product starts out of stock.
    app.db
        .run_sql("INSERT INTO products (id, title, price, category_id) VALUES (50, 'New Thing', 1, 1)")
        .await;
    assert!(ids(&search(&app, "in_stock=false").await).contains(&50));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sell_outs_in_two_stores_leave_the_product_out_of_stock() {
    let app = search_app().await;
    let products: Vec<i64> = (200..300).collect();
    let rows: Vec<String> = products
        .iter()
        .map(|p| format!("({p}, 'Last Unit {p}', 1, 1)"))
        .collect();
    app.db
        .run_sql(&format!(
            "INSERT INTO products (id, title, price, category_id) VALUES {}",
            rows.join(",")
        ))
        .await;
    let stock: Vec<String> = products
        .iter()
        .flat_map(|p| [format!("(1, {p}, 1)"), format!("(2, {p}, 1)")])
        .collect();
    app.db
        .run_sql(&format!(
            "INSERT INTO inventory (store_id, product_id, quantity) VALUES {}",
            stock.join(",")
        ))
        .await;

    // Each product's last two units, one per store, sold at the same moment: each order sees
    // the other store still stocked until the other commits.
    let orders = products.iter().flat_map(|&p| {
        [1, 2].map(|store| {
            app.post_order(
                serde_json::json!({"store_id": store, "items": [{"product_id": p, "quantity_requested": 1}]}),
            )
        })
    });
    for response in futures::future::join_all(orders).await {
        assert_eq!(response.status(), 201);
    }
    let listed_out = app
        .db
        .scalar("SELECT count(*) AS n FROM out_of_stock_products WHERE product_id BETWEEN 200 AND 299")
        .await;
    let missing = 100 - listed_out;
    assert_eq!(missing, 0, "products sold out everywhere but listed in stock");
    // And the API agrees: the fixture's own out-of-stock products (3, 4, 5, 7, 8) plus these.
    assert_eq!(search(&app, "in_stock=false").await["count"], 105);
}

#[tokio::test]
async fn suggestions_follow_product_inserts_renames_and_deletes() {
    let app = search_app_uncached().await;
    app.db
        .run_sql("UPDATE products SET title = 'Mint Drops' WHERE id = 8")
        .await;
    assert_eq!(
        suggest(&app, "gre").await,
        ["Green Tea", "Green Tea Latte", "Jasmine Green Tea"]
    );
    assert_eq!(suggest(&app, "mint").await, ["Mint Drops"]);

    // Of titles equal but for case, the smallest in byte order stands for them all.
    app.db
        .run_sql("INSERT INTO products (id, title, price, category_id) VALUES (60, 'GREEN TEA', 1, 1)")
        .await;
    assert_eq!(
        suggest(&app, "green tea").await,
        ["GREEN TEA", "Green Tea Latte", "Jasmine Green Tea"]
    );
    app.db
        .run_sql("DELETE FROM inventory WHERE product_id = 1; DELETE FROM products WHERE id IN (60, 1)")
        .await;
    assert_eq!(
        suggest(&app, "green tea").await[0],
        "green tea",
        "product 7 still carries the title"
    );
    app.db.run_sql("DELETE FROM products WHERE id = 7").await;
    assert_eq!(
        suggest(&app, "green tea").await,
        ["Green Tea Latte", "Jasmine Green Tea"]
    );
}
