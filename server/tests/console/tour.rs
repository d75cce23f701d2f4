//! Every page of the console, as head office sees it: each one loads, is screenshot and passes
//! the accessibility check; and an order is cancelled from its page, once.

use serde_json::{json, Value};

use crate::browser::Browser;
use crate::helpers::TestApp;
use crate::pages::{api_quantity, CATALOGUE_FORMS};

#[tokio::test]
async fn every_page_loads_and_is_accessible() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("head-office", &[]).await;
    let order = app
        .post_order(json!({"store_id": 1, "items": [{"product_id": 3, "quantity_requested": 4}]}))
        .await;
    assert_eq!(order.status(), 201);
    let order: Value = order.json().await.expect("order");
    assert_eq!(order["status"], "CONFIRMED");
    let order_id = order["id"].as_i64().expect("id");

    let browser = Browser::open(&app.address).await;
    browser.sign_in(&token).await;
    let pages = [
        ("/console/".to_owned(), "overview-catalogue-token"),
        ("/console/stores/1/".to_owned(), "store-inventory-catalogue-token"),
        ("/console/stores/1/?stock=low".to_owned(), "store-inventory-low"),
        (
            "/console/stores/1/?stock=out&sort=-quantity".to_owned(),
            "store-inventory-out",
        ),
        (
            "/console/stores/1/inventory/3/movements/".to_owned(),
            "movements-after-order",
        ),
        ("/console/stores/1/orders/".to_owned(), "store-orders"),
        (format!("/console/orders/{order_id}/"), "order"),
        ("/console/products/".to_owned(), "products-catalogue-token"),
        ("/console/products/1/".to_owned(), "product"),
        ("/console/categories/".to_owned(), "categories-catalogue-token"),
        ("/console/stores/".to_owned(), "stores-catalogue-token"),
        ("/console/stores/1/edit/".to_owned(), "store-edit-catalogue-token"),
    ];
    for (path, name) in &pages {
        browser.goto(path).await;
        assert_eq!(browser.status().await, 200, "GET {path}");
        assert!(browser.is_signed_in().await, "{path} is a signed-in page");
        browser.check_page(name).await;
    }
    // What a store token must not see (`access.rs`), head office does.
    for path in [
        "/console/products/",
        "/console/products/1/",
        "/console/categories/",
        "/console/stores/",
    ] {
        browser.goto(path).await;
        assert!(
            browser.has(CATALOGUE_FORMS).await,
            "{path} offers head office its forms"
        );
    }

    // On a tablet held upright (an iPad's 820 CSS pixels): nothing wider than the screen, so
    // nothing needs scrolling sideways.
    browser
        .client
        .set_window_size(820, 1180)
        .await
        .expect("tablet size");
    for (path, name) in &pages {
        browser.goto(path).await;
        let overflow = browser
            .js(
                "return document.documentElement.scrollWidth - window.innerWidth;",
                vec![],
            )
            .await;
        browser.screenshot(&format!("tablet-{name}")).await;
        assert!(
            overflow.as_i64().unwrap_or(1) <= 0,
            "{path} is {overflow} px wider than a tablet"
        );
    }
    browser
        .client
        .set_window_size(1280, 1000)
        .await
        .expect("desktop size");

    // The low-stock filter keeps Oolong (1 left) and drops Green Tea (5, not fewer than 5).
    browser.goto("/console/stores/1/?stock=low").await;
    assert!(browser.has("tr#product-2").await && !browser.has("tr#product-1").await);
    // The store's orders list the order, and link to it.
    browser.goto("/console/stores/1/orders/").await;
    let link = format!("tr#order-{order_id} a[href='/console/orders/{order_id}/']");
    assert!(
        browser.has(&link).await,
        "the store's orders list order {order_id}"
    );

    // Cancel the order from its page: its 4 almond bars go back to store 1, once.
    assert_eq!(api_quantity(&app, 1, 3).await, Some(6));
    browser.click(&link).await;
    assert_eq!(browser.text("#status").await, "CONFIRMED");
    let cancel = format!("form[method='post'][action='/console/orders/{order_id}/cancel']");
    browser
        .fill(&format!("{cancel} [name='note']"), "customer changed their mind")
        .await;
    browser.click(&format!("{cancel} button")).await;
    assert_eq!(browser.status().await, 200);
    assert_eq!(
        browser.text("#status").await,
        "CANCELLED",
        "the page shows the order cancelled"
    );
    assert!(!browser.has(&cancel).await, "and offers no second cancel");
    browser.check_page("order-cancelled").await;
    assert_eq!(api_quantity(&app, 1, 3).await, Some(10), "the stock came back");
    let order: Value = app
        .get(&format!("/orders/{order_id}/"))
        .await
        .json()
        .await
        .expect("order");
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(order["cancelled_by"], "head-office");
    assert_eq!(order["cancellation_note"], "customer changed their mind");
}
