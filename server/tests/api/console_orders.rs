//! The console's order pages and cancel form, and a stock row's movements page.

use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::console::{hidden_value, Visitor};
use crate::helpers::TestApp;

async fn place(app: &TestApp, store: i64, product: i64, quantity: i64) -> i64 {
    let order: Value = app
        .post_order(
            json!({"store_id": store, "items": [{"product_id": product, "quantity_requested": quantity}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    order["id"].as_i64().unwrap()
}

/// The cancel form of an order page: (csrf, idempotency key), `None` without a form.
async fn cancel_form(visitor: &Visitor<'_>, order: i64) -> Option<(String, String)> {
    let (status, html) = visitor.page(&format!("/console/orders/{order}/")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let form = &html[html.find("action=\"/console/orders/")?..];
    Some((
        hidden_value(form, "csrf")?,
        hidden_value(form, "idempotency_key")?,
    ))
}

#[tokio::test]
async fn cancelling_from_the_order_page_gives_the_stock_back_and_the_ledger_shows_it() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let order = place(&app, 1, 3, 4).await;
    assert_eq!(app.db.stock(1, 3).await, 6);
    let token = app.staff_token("baixa", &[1]).await;
    let visitor = Visitor::signed_in(&app, &token).await;

    let (_, list) = visitor.page("/console/stores/1/orders/").await;
    assert!(
        list.contains(&format!("id=\"order-{order}\"")) && list.contains("CONFIRMED"),
        "{list}"
    );
    let (csrf, key) = cancel_form(&visitor, order).await.expect("a cancel form");
    let response = visitor
        .post(
            &format!("/console/orders/{order}/cancel"),
            &[
                ("csrf", &csrf),
                ("idempotency_key", &key),
                ("note", "customer phoned"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let (_, page) = visitor.page(&location).await;
    assert!(
        page.contains("CANCELLED") && page.contains("customer phoned"),
        "{page}"
    );
    assert!(
        !page.contains("action=\"/console/orders/"),
        "no cancel form any more: {page}"
    );
    assert_eq!(app.db.stock(1, 3).await, 10);
    let api: Value = app.get(&format!("/orders/{order}/")).await.json().await.unwrap();
    assert_eq!(api["status"], "CANCELLED");
    assert_eq!(api["cancelled_by"], "baixa");

    let (status, ledger) = visitor.page("/console/stores/1/inventory/3/movements/").await;
    assert_eq!(status, StatusCode::OK, "{ledger}");
    for expected in [
        "id=\"movement-1\"",
        "id=\"movement-2\"",
        "cancellation",
        "+4",
        "-4",
    ] {
        assert!(ledger.contains(expected), "{expected}: {ledger}");
    }
}

#[tokio::test]
async fn sixteen_cancels_at_once_from_the_console_give_the_stock_back_once() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let order = place(&app, 1, 1, 3).await;
    let token = app.staff_token("office", &[]).await;
    let visitor = Visitor::signed_in(&app, &token).await;
    let (csrf, key) = cancel_form(&visitor, order).await.unwrap();
    let path = format!("/console/orders/{order}/cancel");
    let cancels = (0..16).map(|i| {
        let own_key = if i % 2 == 0 {
            key.clone()
        } else {
            format!("console-other-{i}")
        };
        let (visitor, csrf, path) = (&visitor, csrf.clone(), path.clone());
        async move {
            visitor
                .post(&path, &[("csrf", &csrf), ("idempotency_key", &own_key)])
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(cancels).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::SEE_OTHER),
        "{statuses:?}"
    );
    assert_eq!(app.db.stock(1, 1).await, 5);
    let given_back = app
        .db
        .scalar("SELECT count(*) AS n FROM stock_movements WHERE kind = 'cancellation'")
        .await;
    assert_eq!(given_back, 1);
}

#[tokio::test]
async fn a_store_token_cannot_see_or_cancel_another_stores_orders_and_refusals_change_nothing() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let porto = place(&app, 2, 1, 1).await;
    let rejected = place(&app, 1, 2, 50).await;
    let token = app.staff_token("baixa", &[1]).await;
    let visitor = Visitor::signed_in(&app, &token).await;
    let csrf = visitor.csrf().await;

    assert_eq!(
        visitor.page(&format!("/console/orders/{porto}/")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        visitor.page("/console/orders/999/").await.0,
        StatusCode::FORBIDDEN,
        "as for another store's"
    );
    assert_eq!(
        visitor.page("/console/stores/2/orders/").await.0,
        StatusCode::FORBIDDEN
    );
    let response = visitor
        .post(&format!("/console/orders/{porto}/cancel"), &[("csrf", &csrf)])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.db.stock(2, 1).await, 99);

    // A rejected order has no cancel form, and a cancel of it is refused with the reason.
    assert!(cancel_form(&visitor, rejected).await.is_none());
    let response = visitor
        .post(&format!("/console/orders/{rejected}/cancel"), &[("csrf", &csrf)])
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let html = response.text().await.unwrap();
    assert!(html.contains("Not cancelled:"), "{html}");

    // A forged form, and a note too long: nothing changes.
    let mine = place(&app, 1, 1, 1).await;
    let response = visitor
        .post(&format!("/console/orders/{mine}/cancel"), &[("csrf", "forged")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let long = "x".repeat(501);
    let response = visitor
        .post(
            &format!("/console/orders/{mine}/cancel"),
            &[("csrf", &csrf), ("note", &long)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"note-error\""), "{html}");
    assert_eq!(app.db.stock(1, 1).await, 4);
    let api: Value = app.get(&format!("/orders/{mine}/")).await.json().await.unwrap();
    assert_eq!(api["status"], "CONFIRMED");

    // Another store's movements: refused.
    assert_eq!(
        visitor.page("/console/stores/2/inventory/1/movements/").await.0,
        StatusCode::FORBIDDEN
    );
}
