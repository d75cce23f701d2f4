//! The console's catalogue forms refused: a bad value is shown beside its field, in words, with
//! nothing changed; a store token sees no form and its POSTs are 403; a forged or missing CSRF
//! token is 403. "Nothing changed" is a fingerprint of every category, product and store.

use reqwest::StatusCode;

use crate::console::Visitor;
use crate::console_catalogue::{buyer, catalogue_fingerprint};
use crate::helpers::TestApp;

/// A refused form: where it goes, its fields, the status, the id of the field shown wrong and
/// the words beside it.
type Refusal<'a> = (&'a str, Vec<(&'a str, &'a str)>, StatusCode, &'a str, &'a str);

/// Every catalogue write of the console, with the fields of a valid form (but `csrf`).
fn every_write() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let product = vec![
        ("title", "Forged Tea"),
        ("description", ""),
        ("price", "0.01"),
        ("category_id", "1"),
    ];
    vec![
        ("/console/products", product.clone()),
        ("/console/products/1", product),
        ("/console/categories", vec![("name", "Forged")]),
        ("/console/categories/1", vec![("name", "Forged")]),
        (
            "/console/stores",
            vec![("name", "Forged"), ("location", "Nowhere")],
        ),
        (
            "/console/stores/1/edit",
            vec![("name", "Forged"), ("location", "Nowhere")],
        ),
    ]
}

#[tokio::test]
async fn bad_input_is_shown_beside_its_field_in_words_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let visitor = buyer(&app).await;
    let csrf = visitor.csrf().await;
    let before = catalogue_fingerprint(&app).await;
    let product = |title: &'static str, price: &'static str, category: &'static str| {
        vec![
            ("title", title),
            ("description", ""),
            ("price", price),
            ("category_id", category),
        ]
    };
    let cases: Vec<Refusal> = vec![
        (
            "/console/products",
            product("", "1.00", "1"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "title",
            "Title: must not be empty",
        ),
        (
            "/console/products",
            product("Tea", "abc", "1"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "price",
            "Price: must be a decimal number",
        ),
        (
            "/console/products",
            product("Tea", "-1", "1"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "price",
            "Price: must not be negative",
        ),
        (
            "/console/products",
            product("Tea", "1.00", "999"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "category_id",
            "Category: no category has id 999",
        ),
        (
            "/console/products",
            product("Tea", "1.00", ""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "category_id",
            "Category: is required",
        ),
        (
            "/console/products",
            product("Tea", "1.00", "tea"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "category_id",
            "Category: must be one of the listed categories",
        ),
        (
            "/console/products/1",
            product("Green Tea", "abc", "1"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "price",
            "Price: must be a decimal number",
        ),
        (
            "/console/products/1",
            product("Green Tea", "-0.5", "1"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "price",
            "Price: must not be negative",
        ),
        (
            "/console/products/1",
            product(" ", "4.20", "1"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "title",
            "Title: must not be empty",
        ),
        (
            "/console/products/1",
            product("Green Tea", "4.20", "999"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "category_id",
            "Category: no category has id 999",
        ),
        (
            "/console/categories",
            vec![("name", "")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "new-name",
            "Name: must not be empty",
        ),
        (
            "/console/categories",
            vec![("name", "SNACKS")],
            StatusCode::CONFLICT,
            "new-name",
            "Name: ",
        ),
        (
            "/console/categories/1",
            vec![("name", "snacks"), ("page", "1")],
            StatusCode::CONFLICT,
            "name-1",
            "Name: ",
        ),
        (
            "/console/stores",
            vec![("name", "Bolhão"), ("location", "")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "new-location",
            "Location: must not be empty",
        ),
        (
            "/console/stores/1/edit",
            vec![("name", ""), ("location", "Lisbon")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
            "Name: must not be empty",
        ),
    ];
    for (path, fields, status, field, words) in cases {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(fields.iter().copied());
        let response = visitor.post(path, &form).await;
        assert_eq!(response.status(), status, "{path} {fields:?}");
        let html = response.text().await.unwrap();
        let described = format!("aria-invalid=\"true\" aria-describedby=\"{field}-error\"");
        assert!(html.contains(&described), "{path} {fields:?}: {html}");
        let error = format!("<p class=\"field-error\" id=\"{field}-error\">{words}");
        assert!(html.contains(&error), "{path} {fields:?}: no {error:?} in {html}");
        // What was typed is kept.
        if let Some((_, price)) = fields.iter().find(|(name, _)| *name == "price") {
            assert!(html.contains(&format!("value=\"{price}\"")), "{html}");
        }
        assert_eq!(catalogue_fingerprint(&app).await, before, "{path} {fields:?}");
    }
    let (status, _) = visitor.page("/console/products/999/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = visitor
        .post("/console/categories/999", &[("csrf", &csrf), ("name", "Ghost")])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(catalogue_fingerprint(&app).await, before);
}

#[tokio::test]
async fn a_store_token_sees_the_lists_but_no_forms_and_its_writes_are_403() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("backroom", &[1]).await;
    let visitor = Visitor::signed_in(&app, &token).await;
    let before = catalogue_fingerprint(&app).await;

    for path in [
        "/console/products/",
        "/console/products/1/",
        "/console/categories/",
        "/console/stores/",
    ] {
        let (status, html) = visitor.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        // The one form is signing out.
        assert_eq!(html.matches("<form method=\"post\"").count(), 1, "{path}: {html}");
        assert!(!html.contains("/edit/"), "{path}: {html}");
    }
    let (_, html) = visitor.page("/console/products/").await;
    assert!(html.contains(">Green Tea</a>"), "{html}");
    let (_, html) = visitor.page("/console/categories/").await;
    assert!(html.contains(">Snacks</a>"), "{html}");
    let (_, html) = visitor.page("/console/stores/").await;
    assert!(html.contains("href=\"/console/stores/1/\""), "{html}");
    assert!(!html.contains("Ribeira"), "another store is not listed: {html}");
    assert!(html.contains("1 store."), "{html}");
    for path in ["/console/stores/1/edit/", "/console/stores/2/edit/"] {
        let (status, _) = visitor.page(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }

    let csrf = visitor.csrf().await;
    for (path, fields) in every_write() {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(fields);
        let response = visitor.post(path, &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("Signed in as backroom"), "{path}: {html}");
    }
    assert_eq!(catalogue_fingerprint(&app).await, before);
}

#[tokio::test]
async fn a_forged_or_missing_csrf_token_is_403_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let visitor = buyer(&app).await;
    let other = Visitor::signed_in(&app, &app.staff_token("other", &[]).await).await;
    let others_csrf = other.csrf().await;
    let before = catalogue_fingerprint(&app).await;
    for (path, fields) in every_write() {
        for csrf in [None, Some(""), Some("forged"), Some(others_csrf.as_str())] {
            let mut form: Vec<(&str, &str)> = csrf.map(|csrf| ("csrf", csrf)).into_iter().collect();
            form.extend(fields.iter().copied());
            let response = visitor.post(path, &form).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path} {csrf:?}");
        }
    }
    assert_eq!(catalogue_fingerprint(&app).await, before);
}
