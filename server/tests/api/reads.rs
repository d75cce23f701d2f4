//! GET /stores/{id}/orders/ and GET /stores/{id}/inventory/.

use serde_json::{json, Value};

use crate::helpers::{problem_fields, TestApp};

#[tokio::test]
async fn store_orders_are_newest_first_with_totals() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    app.db
        .run_sql(
            "INSERT INTO orders (id, store_id, status, created_at) VALUES
               (10, 1, 'CONFIRMED', '2026-01-01T10:00:00Z'),
               (11, 1, 'REJECTED',  '2026-01-03T10:00:00Z'),
               (12, 1, 'CONFIRMED', '2026-01-03T10:00:00Z'),
               (13, 2, 'CONFIRMED', '2026-01-05T10:00:00Z');
             INSERT INTO order_items (order_id, product_id, quantity_requested, quantity_available) VALUES
               (10, 1, 2, 5), (10, 2, 1, 1), (10, 3, 4, 10),
               (11, 2, 9, 1),
               (12, 1, 1, 3), (12, 3, 3, 6),
               (13, 1, 1, 100)",
        )
        .await;

    let body: Value = app.get("/stores/1/orders/").await.json().await.unwrap();

    assert_eq!(body["count"], 3);
    assert_eq!(body["page_size"], 50);
    let results = body["results"].as_array().unwrap();
    let ids: Vec<_> = results.iter().map(|o| o["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [12, 11, 10], "created_at desc, then id desc");
    assert_eq!(
        results[0],
        json!({"id": 12, "status": "CONFIRMED", "created_at": "2026-01-03T10:00:00.000Z", "total_items": 2, "total_quantity": 4})
    );
    assert_eq!(
        (
            results[2]["total_items"].as_i64(),
            results[2]["total_quantity"].as_i64()
        ),
        (Some(3), Some(7))
    );

    let page: Value = app
        .get("/stores/1/orders?page=2&page_size=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["results"].as_array().unwrap().len(), 1);
    assert_eq!(page["results"][0]["id"], 10);
    assert_eq!(page["previous"], "/stores/1/orders/?page=1&page_size=2");
    assert_eq!(page["next"], Value::Null);
    assert_eq!(page["total_pages"], 2);
}

#[tokio::test]
async fn inventory_is_sorted_by_title_case_insensitively() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;

    let body: Value = app.get("/stores/1/inventory/").await.json().await.unwrap();

    assert_eq!(body["count"], 3);
    assert_eq!(body["page_size"], 100);
    let titles: Vec<_> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["product_title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["almond bar", "Green Tea", "Oolong"]);
    assert_eq!(
        body["results"][1],
        json!({"product_id": 1, "product_title": "Green Tea", "price": "4.20", "category_name": "Beverages", "quantity": 5})
    );
    assert_eq!(body["results"][2]["price"], "6.00");
}

#[tokio::test]
async fn pagination_links_keep_other_parameters_and_pages_past_the_end_are_empty() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;

    let body: Value = app
        .get("/stores/1/inventory/?page_size=1&page=2&extra=x%20y")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["total_pages"], 3);
    assert_eq!(body["next"], "/stores/1/inventory/?extra=x+y&page=3&page_size=1");
    assert_eq!(
        body["previous"],
        "/stores/1/inventory/?extra=x+y&page=1&page_size=1"
    );

    let past: Value = app
        .get("/stores/1/inventory/?page=40")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(past["results"], json!([]));
    assert_eq!(past["count"], 3);
    assert_eq!(past["next"], Value::Null);
}

#[tokio::test]
async fn bad_pagination_and_unknown_stores() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    for (query, status, field) in [
        ("page=0", 422, "page"),
        ("page_size=101", 422, "page_size"),
        ("page_size=0", 422, "page_size"),
        ("page=-4", 422, "page"),
        ("page=999999999999999999999999", 422, "page"),
        ("page=abc", 400, "page"),
        ("page_size=1.5", 400, "page_size"),
    ] {
        for list in ["orders", "inventory"] {
            let response = app.get(&format!("/stores/1/{list}/?{query}")).await;
            assert_eq!(response.status(), status, "{list}?{query}");
            assert_eq!(
                problem_fields(&response.json().await.unwrap()),
                [field],
                "{list}?{query}"
            );
        }
    }
    for path in [
        "/stores/99/orders/",
        "/stores/99/inventory/",
        "/stores/0/inventory/",
        "/stores/x/orders/",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn inventory_summaries_latest_by_date_and_missing() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let path = "/stores/1/inventory/summary/";
    let none = app.get(path).await;
    assert_eq!(none.status(), 404, "no summary yet");
    assert_eq!(none.headers()["content-type"], "application/problem+json");

    app.db
        .run_sql(
            "INSERT INTO inventory_summaries (store_id, day, product_count, total_units, items_at_zero,
                 items_low_stock, low_stock_threshold, orders_confirmed, orders_rejected,
                 orders_cancelled, units_returned, computed_at)
             VALUES (1, '2026-11-23', 3, 16, 0, 1, 5, 4, 1, 0, 0, '2026-11-24T00:05:00Z'),
                    (1, '2026-11-24', 3, 12, 1, 1, 5, 2, 0, 1, 3, '2026-11-25T00:05:00Z')",
        )
        .await;
    let latest: Value = app.get(path).await.json().await.unwrap();
    assert_eq!(
        latest,
        json!({"store_id": 1, "date": "2026-11-24", "product_count": 3, "total_units": 12,
               "items_at_zero": 1, "items_low_stock": 1, "low_stock_threshold": 5,
               "orders_confirmed": 2, "orders_rejected": 0, "orders_cancelled": 1, "units_returned": 3,
               "computed_at": "2026-11-25T00:05:00.000Z"})
    );
    let older: Value = app
        .get(&format!("{path}?date=2026-11-23"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (older["date"].as_str(), older["orders_confirmed"].as_i64()),
        (Some("2026-11-23"), Some(4))
    );
    assert_eq!(app.get(&format!("{path}?date=2026-11-22")).await.status(), 404);
    assert_eq!(app.get("/stores/2/inventory/summary/").await.status(), 404);
    assert_eq!(app.get("/stores/999/inventory/summary/").await.status(), 404);

    let bad = app.get(&format!("{path}?date=24-11-2026")).await;
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(problem_fields(&body), ["date"]);
}
