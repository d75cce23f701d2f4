//! A store's stock from its page: find a product, restock it, see it everywhere at once; the
//! same form sent twice; a bad delta refused beside its field.

use serde_json::{json, Value};

use crate::browser::Browser;
use crate::helpers::TestApp;
use crate::pages::{api_quantity, movement_count, search_in_store};

/// Finds Green Tea in store 1 by its title, restocks it, and sees the new quantity on the page,
/// in the API and in a search that was cached before the restock.
#[tokio::test]
async fn find_and_restock_a_product() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("baixa-manager", &[1]).await;

    // The search is cached before the restock (the second answer is the cache's), so the
    // check after it shows that the restock reached the cache, not that nothing was cached.
    assert_eq!(search_in_store(&app, "green tea", 1).await.1, [(1, 5)]);
    let (cache, results) = search_in_store(&app, "green tea", 1).await;
    assert_eq!((cache.as_str(), results), ("HIT", vec![(1, 5)]));

    let browser = Browser::open(&app.address).await;
    browser.sign_in(&token).await;
    browser.goto("/console/stores/1/").await;
    browser.check_page("store-inventory").await;
    assert!(
        browser.has("tr#product-2").await,
        "before the search, the page lists every product"
    );

    browser.fill("form[method='get'] [name='q']", "green tea").await;
    browser.click("form[method='get'] button").await;
    assert!(
        browser.path().await.starts_with("/console/stores/1/?"),
        "the search is a GET of the page"
    );
    assert!(browser.has("tr#product-1").await, "the search finds Green Tea");
    assert!(
        !browser.has("tr#product-2").await,
        "and only what matches (not Oolong)"
    );
    assert_eq!(browser.shown_quantity(1).await, 5);
    browser.check_page("store-inventory-search").await;

    let movements = movement_count(&app, &token, 1, 1).await;
    browser
        .adjust_stock(1, 1, "48", "restock", "delivery 30 Nov")
        .await;
    assert!(
        browser.path().await.starts_with("/console/stores/1/"),
        "back on the store page"
    );
    assert_eq!(browser.status().await, 200);
    assert_eq!(
        browser.shown_quantity(1).await,
        53,
        "the page shows the new quantity"
    );
    browser.check_page("store-inventory-restocked").await;

    assert_eq!(api_quantity(&app, 1, 1).await, Some(53), "the API shows it");
    assert_eq!(
        search_in_store(&app, "green tea", 1).await.1,
        [(1, 53)],
        "the cached search shows it at once"
    );
    assert_eq!(
        movement_count(&app, &token, 1, 1).await,
        movements + 1,
        "one movement"
    );

    // The row's ledger, newest first, with the restock as the staff member wrote it.
    browser.goto("/console/stores/1/inventory/1/movements/").await;
    assert_eq!(browser.status().await, 200);
    let cells = browser
        .js(
            "return [...document.querySelectorAll('table#movements tbody tr:first-child td')]
               .map(cell => cell.textContent.trim());",
            vec![],
        )
        .await;
    // #, when, kind, change, before, after, why, by.
    let cells: Vec<String> = serde_json::from_value(cells).expect("cells");
    assert_eq!(cells.len(), 8, "{cells:?}");
    assert_eq!(cells[3].trim_start_matches('+'), "48", "{cells:?}");
    assert_eq!((cells[4].as_str(), cells[5].as_str()), ("5", "53"), "{cells:?}");
    assert!(cells[6].contains("delivery 30 Nov"), "{cells:?}");
    assert_eq!(cells[7], "baixa-manager");
    browser.check_page("movements").await;
}

/// The same rendered form sent twice — two submits at once, then a double click — changes
/// the stock once each time: the idempotency key rendered into the form makes the second a
/// replay.
#[tokio::test]
async fn a_double_submit_applies_once() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("baixa-manager", &[1]).await;
    let browser = Browser::open(&app.address).await;
    browser.sign_in(&token).await;
    browser.goto("/console/stores/1/").await;
    let movements = movement_count(&app, &token, 1, 3).await;

    // Two submissions of one rendered form, both sent before either is answered: what a
    // browser does when a second click comes before the first answer. The form's own fields
    // (CSRF token, idempotency key) and the session cookie, from the page itself.
    browser.fill_stock_form(1, 3, "7", "restock", "twice").await;
    let form = browser.find(&Browser::stock_form(1, 3)).await;
    let statuses = browser
        .js_async(
            "const [form, done] = arguments;
             const send = () => fetch(form.action, { method: 'POST', body: new URLSearchParams(new FormData(form)) })
               .then(r => r.status, e => String(e));
             Promise.all([send(), send()]).then(done);",
            vec![serde_json::to_value(&form).expect("element")],
        )
        .await;
    // Each answered like a successful submit (the redirect back to the page, followed).
    assert_eq!(statuses, json!([200, 200]), "both submissions were answered");
    browser.goto("/console/stores/1/").await;
    assert_eq!(browser.shown_quantity(3).await, 17, "10 + 7, once");
    assert_eq!(api_quantity(&app, 1, 3).await, Some(17));
    assert_eq!(
        movement_count(&app, &token, 1, 3).await,
        movements + 1,
        "one movement for two submits"
    );

    // Two clicks on Apply of one rendered form (a new one: a new key). A double click sends
    // one request in Chromium (the second submission replaces the first before it leaves, or
    // comes after the page has changed), so each click's answer opens in a tab of its own: the
    // browser's own form submission, twice, both answered.
    browser.fill_stock_form(1, 3, "2", "restock", "two clicks").await;
    let form = Browser::stock_form(1, 3);
    browser
        .js(
            "document.querySelector(arguments[0]).target = '_blank';",
            vec![Value::from(form.clone())],
        )
        .await;
    let home = browser.client.window().await.expect("window");
    let button = browser.find(&format!("{form} button")).await;
    button.click().await.expect("first click");
    button.click().await.expect("second click");
    let tabs = browser.wait_for_windows(3).await;
    for tab in tabs.into_iter().filter(|tab| *tab != home) {
        browser.client.switch_to_window(tab).await.expect("switch");
        browser.wait_for_path("/console/stores/1/?done=3").await;
        assert_eq!(
            browser.status().await,
            200,
            "each click was answered as a success"
        );
        assert_eq!(
            browser.shown_quantity(3).await,
            19,
            "17 + 2, once, whichever answer"
        );
        browser.client.close_window().await.expect("close tab");
    }
    browser.client.switch_to_window(home).await.expect("switch back");
    browser.goto("/console/stores/1/").await;
    assert_eq!(browser.shown_quantity(3).await, 19, "17 + 2, once");
    assert_eq!(movement_count(&app, &token, 1, 3).await, movements + 2);
    browser.check_page("store-inventory-double-submit").await;
}

/// A delta of 0 is refused on the page (422), its message beside the field, which is marked
/// invalid; the stock and its ledger do not change.
#[tokio::test]
async fn a_bad_delta_is_refused_beside_its_field() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("baixa-manager", &[1]).await;
    let browser = Browser::open(&app.address).await;
    browser.sign_in(&token).await;
    browser.goto("/console/stores/1/").await;
    let movements = movement_count(&app, &token, 1, 2).await;

    for (delta, name) in [("0", "stock-form-zero"), ("abc", "stock-form-not-a-number")] {
        browser.adjust_stock(1, 2, delta, "correction", "").await;
        assert_eq!(browser.status().await, 422, "delta {delta:?} is refused");
        let form = Browser::stock_form(1, 2);
        let message = browser.text(&format!("{form} .field-error")).await;
        assert!(!message.is_empty(), "a message in words beside the field");
        let field = browser.find(&format!("{form} [name='delta']")).await;
        assert_eq!(
            field.attr("aria-invalid").await.expect("attr").as_deref(),
            Some("true")
        );
        browser.check_page(name).await;
        assert_eq!(
            browser.shown_quantity(2).await,
            1,
            "the page shows the stock unchanged"
        );
    }
    assert_eq!(api_quantity(&app, 1, 2).await, Some(1), "nothing changed");
    assert_eq!(movement_count(&app, &token, 1, 2).await, movements, "no movement");
}
