//! Head office's catalogue work in the console, found through search at once.

use serde_json::Value;

use crate::browser::Browser;
use crate::helpers::TestApp;

/// The titles a product search finds (`GET /api/search/products/` with `query`).
async fn search_titles(app: &TestApp, query: &[(&str, &str)]) -> Vec<String> {
    let response = app.get_with("/api/search/products/", query).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("search JSON");
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["title"].as_str().expect("title").to_owned())
        .collect()
}

/// A product created on the products page is found by the console's product search and by
/// the API's search; a category renamed on the categories page finds its products by the new
/// name. Both searches were cached before, so this shows the writes reached the cache.
#[tokio::test]
async fn create_a_product_and_rename_a_category_then_find_them() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("head-office", &[]).await;
    for _ in 0..2 {
        assert!(search_titles(&app, &[("q", "matcha")]).await.is_empty());
        assert!(search_titles(&app, &[("category", "Pantry")]).await.is_empty());
        assert_eq!(search_titles(&app, &[("category", "Snacks")]).await.len(), 2);
    }

    let browser = Browser::open(&app.address).await;
    browser.sign_in(&token).await;
    browser.goto("/console/products/").await;
    browser.check_page("products").await;
    let create = "form[method='post'][action='/console/products']";
    browser
        .fill(&format!("{create} [name='title']"), "Matcha Powder")
        .await;
    browser
        .fill(&format!("{create} [name='description']"), "Ceremonial grade")
        .await;
    browser.fill(&format!("{create} [name='price']"), "12.50").await;
    let category = browser
        .find(&format!("{create} select[name='category_id']"))
        .await;
    category.select_by_label("Beverages").await.expect("category");
    browser.click(&format!("{create} button")).await;
    assert_eq!(browser.status().await, 200, "created ({})", browser.path().await);
    let path = browser.path().await;
    assert!(
        path.starts_with("/console/products/") && path.ends_with("/?done=created"),
        "{path}"
    );
    assert_eq!(
        browser
            .find("#title")
            .await
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some("Matcha Powder")
    );
    browser.check_page("product-created").await;

    // The console's own search, typed into its search form.
    browser.goto("/console/products/").await;
    browser.fill("form[role='search'] [name='q']", "matcha").await;
    browser.click("form[role='search'] button").await;
    let titles = browser.js(
        "return [...document.querySelectorAll('table#products tbody a')].map(a => a.textContent.trim());",
        vec![],
    );
    assert_eq!(
        titles.await,
        serde_json::json!(["Matcha Powder"]),
        "the console's search finds it"
    );
    browser.check_page("products-search").await;
    assert_eq!(
        search_titles(&app, &[("q", "matcha")]).await,
        ["Matcha Powder"],
        "so does the API's"
    );

    browser.goto("/console/categories/").await;
    browser.check_page("categories").await;
    let rename = "tr#category-2 form[method='post'][action='/console/categories/2']";
    browser.fill(&format!("{rename} [name='name']"), "Pantry").await;
    browser.click(&format!("{rename} button")).await;
    assert_eq!(browser.status().await, 200);
    let names = browser.js(
        "return [...document.querySelectorAll('table#categories tbody tr td:first-child')].map(td => td.textContent.trim());",
        vec![],
    );
    assert_eq!(
        names.await,
        serde_json::json!(["Beverages", "Pantry"]),
        "the page lists the new name"
    );
    browser.check_page("category-renamed").await;

    let mut found = search_titles(&app, &[("category", "Pantry")]).await;
    found.sort();
    assert_eq!(
        found,
        ["Chocolate", "almond bar"],
        "the category's products, by its new name"
    );
    assert!(
        search_titles(&app, &[("category", "Snacks")]).await.is_empty(),
        "not by the old one"
    );
}

/// A product's price edited on its page, and a store created and renamed on the stores pages,
/// are what the API answers next.
#[tokio::test]
async fn edit_a_product_and_create_and_edit_a_store() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("head-office", &[]).await;
    let browser = Browser::open(&app.address).await;
    browser.sign_in(&token).await;

    browser.goto("/console/products/1/").await;
    browser.check_page("product-edit").await;
    let edit = "form[method='post'][action='/console/products/1']";
    browser.fill(&format!("{edit} [name='price']"), "4.35").await;
    browser.click(&format!("{edit} button")).await;
    assert_eq!(browser.path().await, "/console/products/1/?done=saved");
    let product: Value = app.get("/products/1/").await.json().await.expect("product");
    assert_eq!(product["price"], "4.35");
    assert_eq!(product["title"], "Green Tea", "the other fields as they were");
    browser.check_page("product-saved").await;

    browser.goto("/console/stores/").await;
    browser.check_page("stores").await;
    let create = "form[method='post'][action='/console/stores']";
    browser.fill(&format!("{create} [name='name']"), "Bolhão").await;
    browser
        .fill(&format!("{create} [name='location']"), "Porto")
        .await;
    browser.click(&format!("{create} button")).await;
    assert_eq!(browser.status().await, 200);
    let path = browser.path().await;
    let id: i64 = path
        .strip_prefix("/console/stores/?done=")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("back on the stores page with the new store: {path}"));
    assert!(browser.text(&format!("tr#store-{id}")).await.contains("Bolhão"));
    browser.check_page("store-created").await;

    browser
        .click(&format!("tr#store-{id} a[href='/console/stores/{id}/edit/']"))
        .await;
    browser.check_page("store-edit").await;
    let edit = format!("form[method='post'][action='/console/stores/{id}/edit']");
    browser
        .fill(&format!("{edit} [name='name']"), "Bolhão Market")
        .await;
    browser.click(&format!("{edit} button")).await;
    assert_eq!(browser.status().await, 200);
    let store: Value = app
        .get(&format!("/stores/{id}/"))
        .await
        .json()
        .await
        .expect("store");
    assert_eq!(
        (store["name"].as_str(), store["location"].as_str()),
        (Some("Bolhão Market"), Some("Porto"))
    );
}
