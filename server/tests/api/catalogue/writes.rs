//! Catalogue writes with a catalogue token: success, and every refusal of the contract.

use reqwest::Method;
use serde_json::{json, Value};

use super::{read, staffed_app, write};
use crate::helpers::problem_fields;

#[tokio::test]
async fn categories_are_created_and_renamed_even_to_their_own_name_in_another_case() {
    let (app, token) = staffed_app().await;
    let (status, location, body) = write(
        &app,
        Method::POST,
        "/categories/",
        &token,
        json!({"name": "  Tea "}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    assert_eq!(body, json!({"id": id, "name": "Tea"}));
    assert_eq!(location, format!("/categories/{id}/"));
    assert_eq!(read(&app, &location).await.2, body);

    let (status, _, body) = write(&app, Method::PATCH, &location, &token, json!({"name": "Teas"})).await;
    assert_eq!((status, body), (200, json!({"id": id, "name": "Teas"})));
    let (status, _, body) = write(
        &app,
        Method::PATCH,
        "/categories/1",
        &token,
        json!({"name": "BEVERAGES"}),
    )
    .await;
    assert_eq!((status, body), (200, json!({"id": 1, "name": "BEVERAGES"})));
    // Without the trailing slash too.
    let (status, location, _) = write(
        &app,
        Method::POST,
        "/categories",
        &token,
        json!({"name": "Bakery"}),
    )
    .await;
    assert_eq!(status, 201);
    assert!(location.starts_with("/categories/"), "{location}");
}

#[tokio::test]
async fn a_category_name_equal_to_another_ignoring_case_is_a_409() {
    let (app, token) = staffed_app().await;
    for name in ["beverages", "Beverages", " SNACKS "] {
        let (status, _, body) =
            write(&app, Method::POST, "/categories/", &token, json!({"name": name})).await;
        assert_eq!(status, 409, "{name}: {body}");
        assert_eq!(body["status"], 409);
    }
    let (status, _, _) = write(
        &app,
        Method::PATCH,
        "/categories/2/",
        &token,
        json!({"name": "beVERages"}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(read(&app, "/categories/2/").await.2["name"], "Snacks");
    assert_eq!(app.db.scalar("SELECT count(*) AS n FROM categories").await, 2);
}

#[tokio::test]
async fn products_are_created_and_changed_field_by_field() {
    let (app, token) = staffed_app().await;
    let new = json!({"title": " Matcha ", "description": "Ceremonial", "price": "9.5", "category_id": 1});
    let (status, location, created) = write(&app, Method::POST, "/products/", &token, new).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(location, format!("/products/{id}/"));
    assert_eq!(
        (
            &created["title"],
            &created["description"],
            &created["price"],
            &created["category"]
        ),
        (
            &json!("Matcha"),
            &json!("Ceremonial"),
            &json!("9.50"),
            &json!({"id": 1, "name": "Beverages"})
        )
    );
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(created.get("quantity").is_none());
    assert_eq!(read(&app, &location).await.2, created);
    // A new product is out of stock everywhere.
    let out = format!("SELECT count(*) AS n FROM out_of_stock_products WHERE product_id = {id}");
    assert_eq!(app.db.scalar(&out).await, 1);

    // The price as a JSON number, no description.
    let (status, _, plain) = write(
        &app,
        Method::POST,
        "/products",
        &token,
        json!({"title": "Rooibos", "price": 3, "category_id": 1}),
    )
    .await;
    assert_eq!(
        (status, &plain["price"], &plain["description"]),
        (201, &json!("3.00"), &Value::Null)
    );

    let (status, _, changed) = write(&app, Method::PATCH, &location, &token, json!({"price": 12.25})).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["price"], "12.25");
    assert_eq!(
        (&changed["title"], &changed["created_at"]),
        (&created["title"], &created["created_at"])
    );
    let (_, _, changed) = write(
        &app,
        Method::PATCH,
        &location,
        &token,
        json!({"description": null, "category_id": 2}),
    )
    .await;
    assert_eq!(
        (&changed["description"], &changed["category"]),
        (&Value::Null, &json!({"id": 2, "name": "Snacks"}))
    );
    assert_eq!(read(&app, &location).await.2, changed);
}

#[tokio::test]
async fn stores_are_created_and_changed() {
    let (app, token) = staffed_app().await;
    let (status, location, store) = write(
        &app,
        Method::POST,
        "/stores/",
        &token,
        json!({"name": "Chiado", "location": " Lisbon "}),
    )
    .await;
    assert_eq!(status, 201, "{store}");
    let id = store["id"].as_i64().unwrap();
    assert_eq!(store, json!({"id": id, "name": "Chiado", "location": "Lisbon"}));
    assert_eq!(location, format!("/stores/{id}/"));

    let (status, _, moved) = write(
        &app,
        Method::PATCH,
        &location,
        &token,
        json!({"location": "Porto"}),
    )
    .await;
    assert_eq!(
        (status, moved),
        (200, json!({"id": id, "name": "Chiado", "location": "Porto"}))
    );
    assert_eq!(read(&app, &location).await.2["location"], "Porto");
    // A new store has no stock and no orders, and every route under it works.
    let (status, _, inventory) = read(&app, &format!("/stores/{id}/inventory/")).await;
    assert_eq!((status, inventory["count"].clone()), (200, json!(0)));
    assert_eq!(read(&app, &format!("/stores/{id}/orders/")).await.0, 200);
}

#[tokio::test]
async fn invalid_writes_are_422_naming_every_bad_field_and_change_nothing() {
    let (app, token) = staffed_app().await;
    let refused = |method: Method, path: &'static str, body: Value| {
        let (app, token) = (&app, &token);
        async move {
            let (status, _, problem) = write(app, method, path, token, body.clone()).await;
            assert_eq!(status, 422, "{path} {body}: {problem}");
            assert_eq!(problem["status"], 422);
            let mut fields = problem_fields(&problem);
            fields.sort();
            fields
        }
    };
    assert_eq!(
        refused(
            Method::POST,
            "/products/",
            json!({"title": null, "price": "1.234", "colour": "red", "category_id": 99})
        )
        .await,
        ["category_id", "colour", "price", "title"]
    );
    // Found by schemathesis: a NUL character reached Postgres and failed there (500).
    assert_eq!(
        refused(
            Method::POST,
            "/stores/",
            json!({"name": "Baixa\0", "location": "\0"})
        )
        .await,
        ["location", "name"]
    );
    for price in [
        json!(" 7"),
        json!("1e2"),
        json!("4.200"),
        json!("1.234"),
        json!(-1),
        json!(1000000.01),
        json!("abc"),
        json!(null),
    ] {
        let body = json!({"title": "Tea", "price": price, "category_id": 1});
        assert_eq!(
            refused(Method::POST, "/products/", body).await,
            ["price"],
            "{price}"
        );
        let body = json!({"price": price});
        assert_eq!(
            refused(Method::PATCH, "/products/1/", body).await,
            ["price"],
            "{price}"
        );
    }
    let long = |n: usize| "x".repeat(n);
    assert_eq!(
        refused(
            Method::POST,
            "/products/",
            json!({"title": long(201), "description": long(2001), "price": 1, "category_id": 1})
        )
        .await,
        ["description", "title"]
    );
    assert_eq!(
        refused(Method::POST, "/products/", json!({"title": "  ", "price": 1})).await,
        ["category_id", "title"]
    );
    assert_eq!(
        refused(
            Method::POST,
            "/stores/",
            json!({"name": long(201), "location": long(201)})
        )
        .await,
        ["location", "name"]
    );
    assert_eq!(
        refused(Method::POST, "/stores/", json!({"name": "X"})).await,
        ["location"]
    );
    assert_eq!(
        refused(Method::POST, "/categories/", json!({"name": long(201)})).await,
        ["name"]
    );
    assert_eq!(refused(Method::POST, "/categories/", json!({})).await, ["name"]);
    // Empty changes, nulls where a value is required, unknown fields, an unknown category.
    assert_eq!(refused(Method::PATCH, "/products/1/", json!({})).await, ["body"]);
    assert_eq!(refused(Method::PATCH, "/stores/1/", json!({})).await, ["body"]);
    assert_eq!(
        refused(Method::PATCH, "/categories/1/", json!({})).await,
        ["name"]
    );
    assert_eq!(
        refused(Method::PATCH, "/categories/1/", json!({"name": null})).await,
        ["name"]
    );
    assert_eq!(
        refused(
            Method::PATCH,
            "/products/1/",
            json!({"title": null, "category_id": null})
        )
        .await,
        ["category_id", "title"]
    );
    assert_eq!(
        refused(
            Method::PATCH,
            "/stores/1/",
            json!({"name": "B", "manager": "Ana"})
        )
        .await,
        ["manager"]
    );
    assert_eq!(
        refused(Method::PATCH, "/products/1/", json!({"category_id": 99})).await,
        ["category_id"]
    );
    assert_eq!(
        refused(Method::PATCH, "/products/1/", json!({"category_id": 0})).await,
        ["category_id"]
    );

    assert_eq!(app.db.scalar("SELECT count(*) AS n FROM products").await, 4);
    assert_eq!(app.db.scalar("SELECT count(*) AS n FROM stores").await, 2);
    let (_, _, tea) = read(&app, "/products/1/").await;
    assert_eq!(
        (&tea["title"], &tea["price"]),
        (&json!("Green Tea"), &json!("4.20"))
    );
}

#[tokio::test]
async fn wrong_types_are_400_unknown_ids_404_and_other_bodies_415() {
    let (app, token) = staffed_app().await;
    for (body, field) in [
        (json!({"title": 5, "price": "1", "category_id": 1}), "title"),
        (json!({"title": "Tea", "price": true, "category_id": 1}), "price"),
        (
            json!({"title": "Tea", "price": "1", "category_id": "1"}),
            "category_id",
        ),
        (
            json!({"title": "Tea", "price": "1", "category_id": 1.5}),
            "category_id",
        ),
    ] {
        let (status, _, problem) = write(&app, Method::POST, "/products/", &token, body).await;
        assert_eq!(
            (status, problem["errors"][0]["field"].as_str()),
            (400, Some(field)),
            "{problem}"
        );
    }
    let (status, _, _) = write(&app, Method::POST, "/categories/", &token, json!(["Tea"])).await;
    assert_eq!(status, 400);

    for (path, body) in [
        ("/products/999/", json!({"price": 1})),
        ("/products/999/", json!({})),
        ("/products/999/", json!({"category_id": 99})),
        ("/products/abc/", json!({"price": 1})),
        ("/categories/999/", json!({"name": "Tea"})),
        ("/stores/999/", json!({"name": "Tea"})),
        ("/stores/0/", json!({"name": "Tea"})),
    ] {
        let (status, _, problem) = write(&app, Method::PATCH, path, &token, body).await;
        assert_eq!(status, 404, "{path}: {problem}");
    }

    let response = app
        .staff(Method::POST, "/categories/", &token)
        .header("content-type", "text/plain")
        .body(r#"{"name": "Tea"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    assert_eq!(app.db.scalar("SELECT count(*) AS n FROM categories").await, 2);
}

#[tokio::test]
async fn of_sixteen_clients_naming_a_category_alike_one_wins_and_the_others_get_409() {
    let (app, token) = staffed_app().await;
    let names: Vec<String> = (0..16u32)
        .map(|bits| {
            "herb"
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if bits & (1 << i) != 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect::<String>()
                + " tea"
        })
        .collect();
    let attempts = names.iter().map(|name| {
        let (app, token) = (&app, &token);
        async move {
            write(app, Method::POST, "/categories/", token, json!({ "name": name }))
                .await
                .0
        }
    });
    let mut statuses = futures::future::join_all(attempts).await;
    statuses.sort();
    let mut expected = vec![201];
    expected.extend([409; 15]);
    assert_eq!(statuses, expected);
    let stored = "SELECT count(*) AS n FROM categories WHERE lower(name) = 'herb tea'";
    assert_eq!(app.db.scalar(stored).await, 1);
}
