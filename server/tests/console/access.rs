//! A store token in the console: its stores only, and no catalogue forms.

use serde_json::Value;

use crate::browser::Browser;
use crate::helpers::TestApp;
use crate::pages::{api_quantity, CATALOGUE_FORMS};

/// Store 1's token sees store 1 only: store 2's page is refused (403 or 404) and shows none of
/// its stock, a form aimed at store 2 changes nothing, and no page offers a catalogue form.
#[tokio::test]
async fn a_store_token_reaches_only_its_store() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("baixa-manager", &[1]).await;
    let browser = Browser::open(&app.address).await;
    browser.sign_in(&token).await;

    // The overview lists its store, not the other.
    assert!(browser.has("table#stores a[href='/console/stores/1/']").await);
    assert!(
        !browser.has("a[href^='/console/stores/2/']").await,
        "no link to store 2"
    );
    assert!(
        !browser.has(CATALOGUE_FORMS).await,
        "no catalogue form on the overview"
    );
    browser.check_page("overview-store-token").await;

    browser.goto("/console/stores/1/").await;
    assert!(
        browser.has(&Browser::stock_form(1, 1)).await,
        "its own store has stock forms"
    );
    assert!(
        !browser.has(CATALOGUE_FORMS).await,
        "no catalogue form on its store page"
    );

    browser.goto("/console/stores/2/").await;
    let status = browser.status().await;
    assert!(matches!(status, 403 | 404), "another store's page: {status}");
    assert!(!browser.has("table#inventory").await, "shows none of its stock");
    assert!(
        !browser.has("form[action^='/console/stores/2/']").await,
        "and none of its forms"
    );
    assert!(
        browser.is_signed_in().await,
        "a refusal page, still signed in (not a crash)"
    );
    browser.check_page("other-store-refused").await;

    // Store 1's own stock form (its session, its CSRF token), aimed at store 2's stock of the
    // same product: refused, and store 2's stock is what it was.
    browser.goto("/console/stores/1/").await;
    browser
        .fill_stock_form(1, 1, "5", "restock", "not my store")
        .await;
    browser
        .js(
            "const form = document.querySelector(arguments[0]);
             form.action = '/console/stores/2/inventory/1/adjust';
             form.querySelector('button').click();",
            vec![Value::from(Browser::stock_form(1, 1))],
        )
        .await;
    browser
        .wait_for_path("/console/stores/2/inventory/1/adjust")
        .await;
    let status = browser.status().await;
    assert!(matches!(status, 403 | 404), "a form for another store: {status}");
    assert_eq!(
        api_quantity(&app, 2, 1).await,
        Some(100),
        "store 2's stock did not change"
    );
    assert_eq!(api_quantity(&app, 1, 1).await, Some(5), "nor store 1's");

    // The catalogue's pages: refused, or at least without a form.
    for path in [
        "/console/products/",
        "/console/categories/",
        "/console/stores/",
        "/console/products/1/",
    ] {
        browser.goto(path).await;
        let status = browser.status().await;
        assert!(matches!(status, 200 | 403 | 404), "{path}: {status}");
        assert!(
            !browser.has(CATALOGUE_FORMS).await,
            "{path} offers a store token a catalogue form"
        );
    }
    browser.check_page("catalogue-store-token").await;
}
