//! The console's catalogue pages (products, categories, stores): the API's own write
//! use-cases behind forms — search finds a change at once (cache exact before the answer), and
//! many clients at once leave one answer. Refusals (bad values, a store token, a forged form)
//! are in `console_catalogue_refusals`.

use reqwest::{header, StatusCode};
use serde_json::Value;

use crate::console::{hidden_value, Visitor};
use crate::helpers::TestApp;

/// A running server with the basic catalogue, and a catalogue token's signed-in visitor.
pub async fn buyer(app: &TestApp) -> Visitor<'_> {
    app.seed_basic().await;
    let token = app.staff_token("buyer", &[]).await;
    Visitor::signed_in(app, &token).await
}

pub async fn api(app: &TestApp, path: &str) -> (String, Value) {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let cache = response
        .headers()
        .get("x-cache")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (cache, response.json().await.unwrap())
}

/// Reads `path` until it is a cache HIT (the second read at the latest).
pub async fn cached(app: &TestApp, path: &str) -> Value {
    let (_, first) = api(app, path).await;
    let (cache, second) = api(app, path).await;
    assert_eq!((cache.as_str(), &second), ("HIT", &first), "{path}");
    second
}

/// Reads `path` right after a write: never the entry from before it.
pub async fn fresh(app: &TestApp, path: &str) -> Value {
    let (cache, body) = api(app, path).await;
    assert_eq!(cache, "MISS", "{path}: {body}");
    body
}

pub fn results(body: &Value) -> Vec<(String, String, String)> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["title"].as_str().unwrap().to_owned(),
                r["price"].as_str().unwrap().to_owned(),
                r["category"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A fingerprint of every category, product and store: equal before and after means nothing
/// changed.
pub async fn catalogue_fingerprint(app: &TestApp) -> i64 {
    app.db
        .scalar(
            "SELECT ('x' || substr(md5(
                coalesce((SELECT string_agg(id || '|' || title || '|' || coalesce(description, '-') || '|'
                                            || price::text || '|' || category_id, ',' ORDER BY id)
                          FROM products), '')
                || coalesce((SELECT string_agg(id || '|' || name, ',' ORDER BY id) FROM categories), '')
                || coalesce((SELECT string_agg(id || '|' || name || '|' || location, ',' ORDER BY id)
                             FROM stores), '')
             ), 1, 15))::bit(60)::bigint AS n",
        )
        .await
}

pub fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_created_product_and_a_renamed_category_are_found_by_a_cached_search_at_once() {
    let app = TestApp::spawn().await;
    let visitor = buyer(&app).await;
    let by_word = "/api/search/products/?q=matcha";
    let by_category = "/api/search/products/?q=infusions";
    assert!(results(&cached(&app, by_word).await).is_empty());
    assert!(results(&cached(&app, by_category).await).is_empty());

    let (status, html) = visitor.page("/console/products/").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<option value=\"2\">Snacks</option>"), "{html}");
    let csrf = hidden_value(&html, "csrf").unwrap();
    let response = visitor
        .post(
            "/console/products",
            &[
                ("csrf", &csrf),
                ("title", "Matcha Latte"),
                ("description", "Ceremonial grade"),
                ("price", "5.5"),
                ("category_id", "1"),
            ],
        )
        .await;
    let created = location(&response);
    assert!(
        created.starts_with("/console/products/") && created.ends_with("/?done=created"),
        "{created}"
    );
    let (status, html) = visitor.page(&created).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Created Matcha Latte."), "{html}");
    assert_eq!(
        results(&fresh(&app, by_word).await),
        vec![("Matcha Latte".into(), "5.50".into(), "Beverages".into())]
    );

    let response = visitor
        .post(
            "/console/categories/1",
            &[("csrf", &csrf), ("name", "Infusions"), ("page", "1")],
        )
        .await;
    let back = location(&response);
    assert_eq!(back, "/console/categories/?done=1#category-1");
    let (_, html) = visitor.page(&back).await;
    assert!(html.contains("Saved the category Infusions."), "{html}");
    let mut found: Vec<String> = results(&fresh(&app, by_category).await)
        .into_iter()
        .map(|(title, _, category)| format!("{title} in {category}"))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "Green Tea in Infusions",
            "Matcha Latte in Infusions",
            "Oolong in Infusions"
        ]
    );
    // The console's own list finds it too.
    let (_, html) = visitor.page("/console/products/?q=matcha").await;
    assert!(html.contains(">Matcha Latte</a>"), "{html}");
    assert!(!html.contains(">Chocolate</a>"), "{html}");

    // A new category is offered to the product forms at once.
    let response = visitor
        .post("/console/categories", &[("csrf", &csrf), ("name", "Frozen")])
        .await;
    let back = location(&response);
    let (_, html) = visitor.page(&back).await;
    assert!(html.contains("Saved the category Frozen."), "{html}");
    let (_, html) = visitor.page("/console/products/1/").await;
    assert!(html.contains(">Frozen</option>"), "{html}");
}

#[tokio::test]
async fn an_edited_price_is_in_the_api_and_a_cached_search_at_once() {
    let app = TestApp::spawn().await;
    let visitor = buyer(&app).await;
    let search = "/api/search/products/?q=oolong";
    assert_eq!(results(&cached(&app, search).await)[0].1, "6.00");

    let (status, html) = visitor.page("/console/products/2/").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("value=\"6.00\""), "{html}");
    assert!(
        html.contains("<option value=\"1\" selected>Beverages</option>"),
        "{html}"
    );
    let csrf = hidden_value(&html, "csrf").unwrap();
    let response = visitor
        .post(
            "/console/products/2",
            &[
                ("csrf", &csrf),
                ("title", "Oolong"),
                ("description", "Semi-oxidised"),
                ("price", "7.25"),
                ("category_id", "2"),
            ],
        )
        .await;
    let back = location(&response);
    assert_eq!(back, "/console/products/2/?done=saved");
    let (_, html) = visitor.page(&back).await;
    assert!(html.contains("Saved: Oolong costs 7.25, in Snacks."), "{html}");
    assert_eq!(
        results(&fresh(&app, search).await),
        vec![("Oolong".into(), "7.25".into(), "Snacks".into())]
    );
    let (_, product) = api(&app, "/products/2/").await;
    assert_eq!(product["price"], "7.25");
    assert_eq!(product["description"], "Semi-oxidised");

    // A blank description removes it.
    let response = visitor
        .post(
            "/console/products/2",
            &[
                ("csrf", &csrf),
                ("title", "Oolong"),
                ("description", "  "),
                ("price", "7.25"),
                ("category_id", "2"),
            ],
        )
        .await;
    location(&response);
    let (_, product) = api(&app, "/products/2/").await;
    assert_eq!(product["description"], Value::Null);
}

#[tokio::test]
async fn stores_are_created_and_edited_beside_their_stock_page() {
    let app = TestApp::spawn().await;
    let visitor = buyer(&app).await;
    let csrf = visitor.csrf().await;
    let response = visitor
        .post(
            "/console/stores",
            &[("csrf", &csrf), ("name", "Bolhão"), ("location", "Porto")],
        )
        .await;
    let back = location(&response);
    let id: i64 = app
        .db
        .scalar("SELECT id AS n FROM stores WHERE name = 'Bolhão'")
        .await;
    assert_eq!(back, format!("/console/stores/?done={id}#store-{id}"));
    let (_, html) = visitor.page(&back).await;
    assert!(html.contains("Saved the store Bolhão."), "{html}");
    assert!(
        html.contains(&format!("href=\"/console/stores/{id}/\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("href=\"/console/stores/{id}/edit/\"")),
        "{html}"
    );

    // The stock page and the edit page live side by side.
    let (status, html) = visitor.page(&format!("/console/stores/{id}/")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("No products match."), "{html}");
    let (status, html) = visitor.page(&format!("/console/stores/{id}/edit/")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("value=\"Porto\""), "{html}");

    let response = visitor
        .post(
            &format!("/console/stores/{id}/edit"),
            &[
                ("csrf", &csrf),
                ("name", "Mercado do Bolhão"),
                ("location", "Porto"),
            ],
        )
        .await;
    let back = location(&response);
    let (_, html) = visitor.page(&back).await;
    assert!(html.contains("Saved the store Mercado do Bolhão."), "{html}");
    let (_, store) = api(&app, &format!("/stores/{id}/")).await;
    assert_eq!(store["name"], "Mercado do Bolhão");
    let (status, _) = visitor.page("/console/stores/999/edit/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn many_clients_at_once_create_one_category_per_name_and_leave_search_exact() {
    let app = TestApp::spawn().await;
    let visitor = buyer(&app).await;
    let csrf = visitor.csrf().await;
    let search = "/api/search/products/?q=green";
    cached(&app, search).await;

    // 16 submits of one create form at once (a double click, many tablets): one category.
    let creates = (0..16).map(|_| {
        let (visitor, csrf) = (&visitor, csrf.clone());
        async move {
            visitor
                .post("/console/categories", &[("csrf", &csrf), ("name", "Frozen")])
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(creates).await;
    let created = statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count();
    assert_eq!((created, refused), (1, 15), "{statuses:?}");
    let frozen = app
        .db
        .scalar("SELECT count(*) AS n FROM categories WHERE lower(name) = 'frozen'")
        .await;
    assert_eq!(frozen, 1);

    // 16 price edits at once: each applies, and the last to commit is what every read shows.
    let edits = (1..=16).map(|cents| {
        let (visitor, csrf) = (&visitor, csrf.clone());
        async move {
            let price = format!("3.{cents:02}");
            visitor
                .post(
                    "/console/products/1",
                    &[
                        ("csrf", csrf.as_str()),
                        ("title", "Green Tea"),
                        ("description", "Loose leaf"),
                        ("price", &price),
                        ("category_id", "1"),
                    ],
                )
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(edits).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::SEE_OTHER),
        "{statuses:?}"
    );
    let cents = app
        .db
        .scalar("SELECT (price * 100)::bigint AS n FROM products WHERE id = 1")
        .await;
    assert!((301..=316).contains(&cents), "{cents}");
    let price = format!("3.{:02}", cents - 300);
    let searched = results(&fresh(&app, search).await);
    assert_eq!(searched[0].1, price, "{searched:?}");
    assert_eq!(results(&cached(&app, search).await)[0].1, price);
    let (_, product) = api(&app, "/products/1/").await;
    assert_eq!(product["price"], price.as_str());
}

#[tokio::test]
async fn the_lists_come_in_pages_and_a_bad_page_is_shown_in_words() {
    let app = TestApp::spawn().await;
    let visitor = buyer(&app).await;
    app.db
        .run_sql(
            "INSERT INTO categories (name) SELECT 'Aisle ' || lpad(n::text, 2, '0') FROM generate_series(1, 60) AS n;
             INSERT INTO stores (name, location) SELECT 'Kiosk ' || lpad(n::text, 2, '0'), 'Faro' FROM generate_series(1, 60) AS n",
        )
        .await;
    for (list, total, last_on_page_two) in [
        ("/console/categories/", "62 categories, page 2 of 2.", "Snacks"),
        ("/console/stores/", "62 stores, page 2 of 2.", "Ribeira"),
    ] {
        let (status, html) = visitor.page(list).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("rel=\"next\""), "{html}");
        assert!(
            !html.contains(last_on_page_two),
            "{list}: sorted by name, it is on page two"
        );
        let (status, html) = visitor.page(&format!("{list}?page=2")).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains(total), "{list}: {html}");
        assert!(html.contains(last_on_page_two), "{list}: {html}");
        assert!(html.contains("rel=\"prev\""), "{html}");
        let (status, html) = visitor.page(&format!("{list}?page=abc")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{list}");
        assert!(html.contains("Page: must be a page number"), "{list}: {html}");
    }
    let (status, html) = visitor.page("/console/products/?page=0").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Page: must be between 1 and"), "{html}");
    let (status, html) = visitor
        .page(&format!("/console/products/?q={}", "x".repeat(201)))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("aria-describedby=\"q-error\""), "{html}");
}
