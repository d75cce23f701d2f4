//! The console's store page and stock forms: the same guarantees as the API's adjustments
//! (row lock, idempotency, cache exact before the answer), with errors beside their fields.

use reqwest::{header, StatusCode};
use serde_json::Value;

use crate::console::{hidden_value, Visitor};
use crate::helpers::TestApp;

/// The stock form of `product` as the store page renders it: (csrf, idempotency key).
async fn rendered_form(visitor: &Visitor<'_>, store: i64, product: i64) -> (String, String) {
    let (status, html) = visitor.page(&format!("/console/stores/{store}/")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let row = &html[html
        .find(&format!("id=\"product-{product}\""))
        .expect("the product's row")..];
    (
        hidden_value(row, "csrf").unwrap(),
        hidden_value(row, "idempotency_key").unwrap(),
    )
}

fn adjust_path(store: i64, product: i64) -> String {
    format!("/console/stores/{store}/inventory/{product}/adjust")
}

#[tokio::test]
async fn a_restock_shows_at_once_on_the_page_in_the_api_and_in_a_cached_search() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("backroom", &[1]).await;
    let visitor = Visitor::signed_in(&app, &token).await;
    // Cached before the change: it must not be served stale after it.
    let search = |app: &TestApp| {
        let url = app.url("/api/search/products/?q=tea&store_id=1");
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap() }
    };
    let before = search(&app).await;
    let _: Value = before.json().await.unwrap();
    assert_eq!(search(&app).await.headers()["x-cache"], "HIT");

    let (csrf, key) = rendered_form(&visitor, 1, 1).await;
    let response = visitor
        .post(
            &adjust_path(1, 1),
            &[
                ("csrf", &csrf),
                ("idempotency_key", &key),
                ("delta", "+12"),
                ("reason", "restock"),
                ("note", "pallet 7"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with("/console/stores/1/"), "{location}");

    let (_, html) = visitor.page(&location).await;
    assert!(html.contains("Stock of Green Tea is now 17."), "{html}");
    assert_eq!(app.db.stock(1, 1).await, 17);
    let api: Value = app.get("/stores/1/inventory/").await.json().await.unwrap();
    let tea = api["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["product_id"] == 1)
        .unwrap()
        .clone();
    assert_eq!(tea["quantity"], 17);
    let searched: Value = search(&app).await.json().await.unwrap();
    let hit = &searched["results"].as_array().unwrap()[0];
    assert_eq!(hit["id"], 1);
    assert_eq!(hit["quantity"], 17, "{searched}");
    let note = app
        .db
        .scalar("SELECT count(*) AS n FROM stock_adjustments WHERE note = 'pallet 7' AND actor = 'backroom'")
        .await;
    assert_eq!(note, 1);
}

#[tokio::test]
async fn a_form_submitted_many_times_at_once_applies_once_and_distinct_forms_each_apply() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("backroom", &[1]).await;
    let visitor = Visitor::signed_in(&app, &token).await;
    let (csrf, key) = rendered_form(&visitor, 1, 3).await;
    // 12 submits of one rendered form (a double click, a reload, a flaky network), and 12 of
    // forms rendered separately, all at once.
    let path = adjust_path(1, 3);
    let mut submits = Vec::new();
    for i in 0..24 {
        let own_key = if i % 2 == 0 {
            key.clone()
        } else {
            format!("console-separate-{i}")
        };
        let (visitor, csrf, path) = (&visitor, csrf.clone(), path.clone());
        submits.push(async move {
            visitor
                .post(
                    &path,
                    &[
                        ("csrf", &csrf),
                        ("idempotency_key", &own_key),
                        ("delta", "2"),
                        ("reason", "restock"),
                    ],
                )
                .await
                .status()
        });
    }
    let statuses = futures::future::join_all(submits).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::SEE_OTHER),
        "{statuses:?}"
    );
    assert_eq!(
        app.db.stock(1, 3).await,
        10 + 2 * 13,
        "one for the shared form, twelve for the rest"
    );
    let movements = app
        .db
        .scalar("SELECT count(*) AS n FROM stock_movements WHERE store_id = 1 AND product_id = 3")
        .await;
    assert_eq!(movements, 13);
}

#[tokio::test]
async fn a_bad_delta_is_shown_beside_its_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("backroom", &[]).await;
    let visitor = Visitor::signed_in(&app, &token).await;
    let (csrf, key) = rendered_form(&visitor, 1, 2).await;
    for (delta, status, words) in [
        ("abc", StatusCode::UNPROCESSABLE_ENTITY, "whole number"),
        ("0", StatusCode::UNPROCESSABLE_ENTITY, "delta"),
        ("", StatusCode::UNPROCESSABLE_ENTITY, "delta"),
        ("2000000", StatusCode::UNPROCESSABLE_ENTITY, "1000000"),
        ("-5", StatusCode::CONFLICT, "below zero"),
    ] {
        let response = visitor
            .post(
                &adjust_path(1, 2),
                &[
                    ("csrf", &csrf),
                    ("idempotency_key", &key),
                    ("delta", delta),
                    ("reason", "damage"),
                ],
            )
            .await;
        assert_eq!(response.status(), status, "{delta:?}");
        let html = response.text().await.unwrap();
        let row = &html[html.find("id=\"product-2\"").unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains("class=\"field-error\""), "{delta:?}: {row}");
        assert!(
            row.to_lowercase().contains(words),
            "{delta:?} should mention {words:?}: {row}"
        );
        assert!(
            row.contains(&format!("value=\"{delta}\"")),
            "what was typed stays: {row}"
        );
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            assert!(row.contains("aria-invalid=\"true\""), "{row}");
        }
    }
    let (_, html) = visitor.page("/console/stores/1/").await;
    assert!(
        html.contains("<td class=\"number quantity level-low\">1</td>"),
        "{html}"
    );
    assert_eq!(app.db.stock(1, 2).await, 1);
    assert_eq!(
        app.db.scalar("SELECT count(*) AS n FROM stock_movements").await,
        0
    );
}

#[tokio::test]
async fn a_store_token_sees_and_changes_only_its_stores() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("baixa", &[1]).await;
    let visitor = Visitor::signed_in(&app, &token).await;
    let (_, overview) = visitor.page("/console/").await;
    assert!(overview.contains("id=\"store-1\""), "{overview}");
    assert!(
        !overview.contains("id=\"store-2\""),
        "another store is not listed: {overview}"
    );
    assert_eq!(visitor.page("/console/stores/2/").await.0, StatusCode::FORBIDDEN);
    assert_eq!(visitor.page("/console/stores/99/").await.0, StatusCode::FORBIDDEN);
    let csrf = visitor.csrf().await;
    let response = visitor
        .post(
            &adjust_path(2, 1),
            &[
                ("csrf", &csrf),
                ("idempotency_key", "k"),
                ("delta", "5"),
                ("reason", "restock"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.db.stock(2, 1).await, 100);

    // A catalogue token sees every store, and an unknown one is not found.
    let catalogue = app.staff_token("office", &[]).await;
    let office = Visitor::signed_in(&app, &catalogue).await;
    let (_, overview) = office.page("/console/").await;
    assert!(overview.contains("id=\"store-1\"") && overview.contains("id=\"store-2\""));
    assert_eq!(office.page("/console/stores/99/").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_store_page_searches_by_title_filters_by_level_and_sorts() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    app.db
        .run_sql("INSERT INTO products (id, title, price, category_id) VALUES (5, '100% Juice_Box', 1.00, 1); INSERT INTO inventory VALUES (1, 5, 0)")
        .await;
    let token = app.staff_token("backroom", &[]).await;
    let visitor = Visitor::signed_in(&app, &token).await;
    let rows = |html: &str| -> Vec<String> {
        html.match_indices("<tr id=\"product-")
            .map(|(at, _)| html[at + 16..].split('"').next().unwrap().to_owned())
            .collect()
    };
    let (_, html) = visitor.page("/console/stores/1/?q=TEA").await;
    assert_eq!(rows(&html), ["1"]);
    let (_, html) = visitor.page("/console/stores/1/?q=green%20tea").await;
    assert_eq!(rows(&html), ["1"]);
    // Words match from the start of a title's words, as the API's search matches them:
    // punctuation separates words, and a fragment from inside a word is not a word.
    let (_, html) = visitor.page("/console/stores/1/?q=100%25").await;
    assert_eq!(rows(&html), ["5"]);
    let (_, html) = visitor.page("/console/stores/1/?q=juice+box").await;
    assert_eq!(rows(&html), ["5"]);
    let (_, html) = visitor.page("/console/stores/1/?q=AL").await;
    assert_eq!(rows(&html), ["3"]);
    let (_, html) = visitor.page("/console/stores/1/?q=mond").await;
    assert!(rows(&html).is_empty(), "{:?}", rows(&html));
    let (_, html) = visitor.page("/console/stores/1/?q=%25_").await;
    assert!(rows(&html).is_empty(), "{:?}", rows(&html));
    // Only the store's products: Chocolate is in the catalogue, not in store 1.
    let (_, html) = visitor.page("/console/stores/1/?q=choc").await;
    assert!(rows(&html).is_empty(), "{:?}", rows(&html));
    // Words with a level and a quantity order.
    let (_, html) = visitor
        .page("/console/stores/1/?q=o&stock=low&sort=-quantity")
        .await;
    assert_eq!(rows(&html), ["2"]);
    let (_, html) = visitor.page("/console/stores/1/?q=b&sort=quantity").await;
    assert_eq!(rows(&html), ["5", "3"]);
    let (_, html) = visitor.page("/console/stores/1/?stock=low").await;
    assert_eq!(rows(&html), ["2"]);
    let (_, html) = visitor.page("/console/stores/1/?stock=out").await;
    assert_eq!(rows(&html), ["5"]);
    let (_, html) = visitor.page("/console/stores/1/?sort=-quantity").await;
    assert_eq!(rows(&html), ["3", "1", "2", "5"]);
    let (_, html) = visitor.page("/console/stores/1/?sort=quantity").await;
    assert_eq!(rows(&html), ["5", "2", "1", "3"]);
    let (status, html) = visitor
        .page("/console/stores/1/?stock=some&sort=price&page=x")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("must be all, low or out") && html.contains("must be title"),
        "{html}"
    );
}
