//! GET /stores/{store_id}/inventory/{product_id}/movements/: the ledger of one stock row —
//! adjustments, confirmed order lines and cancellations by position, newest first, paginated;
//! and both stock endpoints in OpenAPI.

use serde_json::{json, Value};

use crate::helpers::{problem_fields, TestApp};
use crate::stock::{adjust, get_json, movements_path, restock};

#[tokio::test]
async fn movements_list_adjustments_and_confirmed_order_lines_by_position_newest_first() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let buyer = app.staff_token("buyer", &[]).await;
    let tablet = app.staff_token("tablet", &[1]).await;
    let order = |quantity: i64| {
        json!({"store_id": 1, "items": [{"product_id": 2, "quantity_requested": 1},
                                                               {"product_id": 1, "quantity_requested": quantity}]})
    };

    let (_, first) = adjust(&app, &buyer, 1, 1, restock(10)).await; // 5 → 15
    let confirmed: Value = app.post_order(order(4)).await.json().await.unwrap(); // 15 → 11
    assert_eq!(confirmed["status"], "CONFIRMED");
    let rejected: Value = app.post_order(order(50)).await.json().await.unwrap();
    assert_eq!(rejected["status"], "REJECTED");
    let (_, damage) = adjust(
        &app,
        &tablet,
        1,
        1,
        json!({"delta": -1, "reason": "damage", "note": "dropped"}),
    )
    .await;
    let elsewhere: Value = app
        .post_order(json!({"store_id": 2, "items": [{"product_id": 1, "quantity_requested": 1}]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(elsewhere["status"], "CONFIRMED");

    let (status, page) = get_json(&app, &movements_path(1, 1), &tablet).await;
    assert_eq!(status, 200);
    assert_eq!(
        (page["count"].as_i64(), page["page_size"].as_i64()),
        (Some(3), Some(50))
    );
    // An adjustment's movement is the adjustment (without its row's ids) at its position.
    let movement = |adjustment: &Value, position: i64| {
        let mut movement = adjustment.clone();
        let fields = movement.as_object_mut().unwrap();
        fields.remove("store_id");
        fields.remove("product_id");
        fields.insert("kind".into(), json!("adjustment"));
        fields.insert("position".into(), json!(position));
        movement
    };
    let expected = json!([
        movement(&damage, 3),
        {"kind": "order", "position": 2, "order_id": confirmed["id"], "delta": -4,
         "quantity_before": 15, "quantity_after": 11, "created_at": confirmed["created_at"]},
        movement(&first, 1),
    ]);
    assert_eq!(page["results"], expected);
    assert_eq!(
        (&damage["quantity_before"], &damage["quantity_after"]),
        (&json!(11), &json!(10))
    );
    let total: i64 = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["delta"].as_i64().unwrap())
        .sum();
    assert_eq!(5 + total, app.db.stock(1, 1).await);

    // Pages of two, with links keeping the path.
    let (_, page) = get_json(&app, &format!("{}?page_size=2", movements_path(1, 1)), &buyer).await;
    assert_eq!(
        (page["total_pages"].as_i64(), page["previous"].is_null()),
        (Some(2), true)
    );
    assert_eq!(
        page["next"],
        "/stores/1/inventory/1/movements/?page=2&page_size=2"
    );
    assert_eq!(page["results"], json!(expected.as_array().unwrap()[..2]));
    let (_, page) = get_json(&app, page["next"].as_str().unwrap(), &buyer).await;
    assert_eq!(page["results"], json!([expected[2]]));
    let (status, page) = get_json(&app, &format!("{}?page=9", movements_path(1, 1)), &buyer).await;
    assert_eq!(
        (status, page["results"].clone(), page["count"].as_i64()),
        (200, json!([]), Some(3))
    );
    let (status, problem) = get_json(&app, &format!("{}?page_size=101", movements_path(1, 1)), &buyer).await;
    assert_eq!(
        (status, problem_fields(&problem)),
        (422, vec!["page_size".to_owned()])
    );
    // A product nobody moved has no movements; the row need not exist.
    let (status, page) = get_json(&app, &movements_path(1, 4), &buyer).await;
    assert_eq!((status, page["count"].as_i64()), (200, Some(0)));
}

#[tokio::test]
async fn the_openapi_document_describes_both_endpoints_with_bearer_security() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let post = &doc["paths"]["/stores/{store_id}/inventory/{product_id}/adjustments/"]["post"];
    assert_eq!(post["security"], json!([{"bearer": []}]));
    for status in ["201", "401", "403", "404", "409", "422"] {
        assert!(post["responses"][status].is_object(), "POST {status}");
    }
    let key = post["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .unwrap();
    assert_eq!(
        (&key["in"], &key["schema"]["maxLength"]),
        (&json!("header"), &json!(255))
    );
    let get = &doc["paths"]["/stores/{store_id}/inventory/{product_id}/movements/"]["get"];
    assert_eq!(get["security"], json!([{"bearer": []}]));
    assert!(get["responses"]["403"].is_object());
}
