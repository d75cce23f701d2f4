//! GET /api/search/suggest/, and the derived tables behind search and suggest
//! (`out_of_stock_products`, `product_titles`) following orders, inventory and catalogue changes.

use serde_json::Value;

use crate::helpers::{problem_fields, TestApp};
use crate::search::{ids, search, search_app, search_app_uncached, sorted};

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
async fn contains_group_runs_across_title_length_bands_in_order() {
    // The contains group is read band by band (0–16, 17–20, 21–24, 25–28, 29–34, 35+
    // characters): matches at both edges of the first two bands, none in the next two, more
    // than needed in the 29–34 band, and one in the last band that the list has no room for.
    let app = search_app().await;
    app.db
        .run_sql(
            "INSERT INTO products (id, title, price, category_id) VALUES
                 (201, 'Qux Prefix', 1.00, 2), (202, 'Zqux', 1.00, 2),
                 (203, 'Aaaaaaaaaaaa qux', 1.00, 2), (204, 'Aaaaaaaaaaaaa qux', 1.00, 2),
                 (205, 'Bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb qux', 1.00, 2);
             INSERT INTO products (id, title, price, category_id)
             SELECT 300 + g, 'Long qux title number ' || lpad(g::text, 8, '0'), 1.00, 2
             FROM generate_series(12, 1, -1) g",
        )
        .await;
    assert_eq!(
        suggest(&app, "qux").await,
        [
            "Qux Prefix",
            "Zqux",
            "Aaaaaaaaaaaa qux",
            "Aaaaaaaaaaaaa qux",
            "Long qux title number 00000001",
            "Long qux title number 00000002",
            "Long qux title number 00000003",
            "Long qux title number 00000004",
            "Long qux title number 00000005",
            "Long qux title number 00000006",
        ],
        "prefix group, then the contains group in (length, title) order across bands"
    );
}

#[tokio::test]
async fn every_length_band_has_its_partial_trigram_index() {
    // Without its index a band still answers correctly, only slowly: this catches the
    // migration and the adapter's bands drifting apart.
    let app = search_app().await;
    for (shortest, longest) in aforro_adapters::postgres::SUGGEST_LENGTH_BANDS {
        let predicate = format!("(((title_length + 0) >= {shortest}) AND ((title_length + 0) <= {longest}))");
        let indexes = app
            .db
            .scalar(&format!(
                "SELECT count(*) AS n FROM pg_index i
                 JOIN pg_am am ON am.oid = (SELECT relam FROM pg_class WHERE oid = i.indexrelid)
                 WHERE i.indrelid = 'product_titles'::regclass AND am.amname = 'gin'
                   AND pg_get_expr(i.indpred, i.indrelid) = '{predicate}'"
            ))
            .await;
        assert_eq!(indexes, 1, "no GIN index WHERE {predicate}");
    }
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
async fn unfiltered_count_follows_inserts_deletes_and_truncate() {
    // With no filter the count is the product_count row (migration 9), not a scan.
    let app = search_app_uncached().await;
    let count = |body: Value| body["count"].as_u64().unwrap();
    assert_eq!(count(search(&app, "").await), 8);
    app.db
        .run_sql(
            "INSERT INTO products (id, title, price, category_id) VALUES
                 (101, 'Apricot Jam', 3.00, 2), (102, 'Fig Jam', 3.00, 2), (103, 'Plum Jam', 3.00, 2);
             DELETE FROM inventory WHERE product_id = 6;
             DELETE FROM products WHERE id IN (6, 101)",
        )
        .await;
    assert_eq!(count(search(&app, "sort=price").await), 9);
    app.db.run_sql("TRUNCATE products CASCADE").await;
    let empty = search(&app, "").await;
    assert_eq!(count(empty.clone()), 0);
    assert_eq!(empty["results"], serde_json::json!([]));
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
