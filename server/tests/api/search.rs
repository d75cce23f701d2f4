//! GET /api/search/products/: matching, filters, sorts, pagination, hostile input. The
//! fixtures and helpers here are shared with `suggest.rs`.

use serde_json::Value;

use crate::helpers::{problem_fields, TestApp};

pub(crate) async fn search_app() -> TestApp {
    seeded(TestApp::spawn().await).await
}

/// For tests that change the database behind the API's back (what only the seeder or an
/// operator would do): the response cache cannot know, so it is off and the database's own
/// derived tables are what is tested.
pub(crate) async fn search_app_uncached() -> TestApp {
    seeded(TestApp::spawn_with(|settings| settings.cache.cache_enabled = false).await).await
}

pub(crate) async fn seeded(app: TestApp) -> TestApp {
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

pub(crate) async fn search(app: &TestApp, query: &str) -> Value {
    let response = app.get(&format!("/api/search/products/?{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

pub(crate) fn ids(body: &Value) -> Vec<i64> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

pub(crate) fn sorted(mut v: Vec<i64>) -> Vec<i64> {
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
        // The money rule, as the document's pattern says: no sign (not even on zero), at most
        // two decimals, digits only.
        ("min_price=abc", 422, vec!["min_price"]),
        ("min_price=-0", 422, vec!["min_price"]),
        ("max_price=1.001", 422, vec!["max_price"]),
        ("max_price=%201", 422, vec!["max_price"]),
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
    // NUL in any parameter is a 400 naming it, never a database error (schemathesis found a
    // 500 for `category`).
    for (name, path) in [
        ("category", "/api/search/products/"),
        ("q", "/api/search/products/"),
        ("q", "/api/search/suggest/"),
        ("page", "/stores/1/inventory/"),
    ] {
        let response = app.get_with(path, &[(name, "tea\0x")]).await;
        assert_eq!(response.status(), 400, "{name} on {path}");
        assert_eq!(problem_fields(&response.json().await.unwrap()), [name]);
    }
}

/// Relevance is the tier — every word in the title as the phrase, every word in the title,
/// the rest — then the id; every page size pages through the same order.
#[tokio::test]
async fn relevance_tiers_then_ids_on_every_page() {
    let app = search_app().await;
    app.db
        .run_sql(
            "INSERT INTO products (id, title, description, price, category_id) VALUES
               (9, 'Green Iced Tea', NULL, 3.00, 1),
               (10, 'Matcha Green Tea Powder', NULL, 9.00, 1),
               (11, 'Iced Infusion', 'Green tea leaves, iced', 2.00, 1)",
        )
        .await;
    let expected = [1, 2, 3, 7, 10, 9, 11];
    assert_eq!(ids(&search(&app, "q=green%20tea&page_size=20").await), expected);
    for size in 1..=expected.len() + 1 {
        let mut paged = Vec::new();
        for page in 1..=expected.len().div_ceil(size) + 1 {
            paged.extend(ids(&search(
                &app,
                &format!("q=green%20tea&page_size={size}&page={page}"),
            )
            .await));
        }
        assert_eq!(paged, expected, "page_size={size}");
    }
    // One word: title matches by id, then the others.
    assert_eq!(ids(&search(&app, "q=iced").await), [9, 11]);
}
