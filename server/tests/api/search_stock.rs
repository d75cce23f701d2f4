//! What a search's store filter reads, the stores on each product and on its search terms
//! (migration 25) and the stores where it is sold out (migration 32), follows the stock rows
//! when many clients write them at once: stock rows created and deleted, quantities crossing
//! zero, orders selling the last unit.

use diesel::sql_types::BigInt;
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::search::{ids, search, search_app};

#[derive(QueryableByName)]
struct Tally {
    #[diesel(sql_type = BigInt)]
    wrong: i64,
    #[diesel(sql_type = BigInt)]
    wrong_sold_out: i64,
    #[diesel(sql_type = BigInt)]
    shared: i64,
    #[diesel(sql_type = BigInt)]
    sold_out_somewhere: i64,
    #[diesel(sql_type = BigInt)]
    wrong_terms: i64,
}

/// The stores kept on each product and on its search terms are its stock rows' stores, and
/// the sold-out stores those of its rows at zero, after eight clients, one per store, created
/// and deleted stock rows of the same products at once and moved quantities across zero, each
/// statement touching many products.
#[tokio::test]
async fn the_stores_on_each_product_follow_stock_rows_written_by_many_clients_at_once() {
    let app = TestApp::spawn().await;
    app.db
        .run_sql(
            "INSERT INTO categories (id, name) VALUES (1, 'Pantry');
             INSERT INTO stores (id, name, location) SELECT s, 'S' || s, 'here' FROM generate_series(1, 8) s;
             INSERT INTO products (id, title, price, category_id)
                 SELECT g, 'Product ' || g, 1, 1 FROM generate_series(1, 60) g",
        )
        .await;
    let clients = (1..=8).map(|store| {
        let app = &app;
        async move {
            let mut conn = app.db.conn().await.expect("connect");
            for round in 0..21 {
                let write = match round % 7 {
                    2 | 5 => format!("DELETE FROM inventory WHERE store_id = {store} AND product_id IN (SELECT g FROM generate_series(1, 60) g WHERE random() < 0.3)"),
                    // Quantities cross zero both ways, as orders and restocks move them.
                    3 | 6 => format!("UPDATE inventory SET quantity = CASE WHEN quantity = 0 THEN 2 ELSE 0 END WHERE store_id = {store} AND random() < 0.5"),
                    _ => format!("INSERT INTO inventory (store_id, product_id, quantity) SELECT {store}, g, floor(random() * 2)::int FROM generate_series(1, 60) g WHERE random() < 0.4 ON CONFLICT DO NOTHING"),
                };
                diesel::sql_query(write).execute(&mut conn).await.expect("stock write");
            }
        }
    });
    futures::future::join_all(clients).await;
    let mut conn = app.db.conn().await.expect("connect");
    let tally: Tally = diesel::sql_query(
        "SELECT count(*) FILTER (WHERE p.store_ids IS DISTINCT FROM
                    ARRAY(SELECT i.store_id FROM inventory i WHERE i.product_id = p.id ORDER BY i.store_id)) AS wrong,
                count(*) FILTER (WHERE p.sold_out_store_ids IS DISTINCT FROM
                    ARRAY(SELECT i.store_id FROM inventory i
                          WHERE i.product_id = p.id AND i.quantity = 0 ORDER BY i.store_id)) AS wrong_sold_out,
                count(*) FILTER (WHERE cardinality(p.store_ids) >= 2) AS shared,
                count(*) FILTER (WHERE cardinality(p.sold_out_store_ids) >= 1) AS sold_out_somewhere,
                (SELECT count(*) FROM product_search_terms s JOIN products q ON q.id = s.product_id
                 WHERE (s.store_ids, s.sold_out_store_ids) IS DISTINCT FROM (q.store_ids, q.sold_out_store_ids))
                    AS wrong_terms
         FROM products p",
    )
    .get_result(&mut conn)
    .await
    .expect("tally");
    assert_eq!(
        tally.wrong, 0,
        "products whose stores differ from their stock rows"
    );
    assert_eq!(
        tally.wrong_sold_out, 0,
        "products whose sold-out stores differ from their stock rows at zero"
    );
    assert_eq!(
        tally.wrong_terms, 0,
        "search terms whose stores differ from their product's"
    );
    assert!(
        tally.shared > 10 && tally.sold_out_somewhere > 10,
        "the clients must share products and sell some out: {} shared, {} sold out somewhere",
        tally.shared,
        tally.sold_out_somewhere
    );
}

/// Twelve clients order the last five units of a product in one store at once: five orders
/// are confirmed, seven rejected, and the store's in-stock search, read (and cached) before,
/// no longer lists the product, while its out-of-stock search does; the other store, which
/// still has it, keeps listing it in stock.
#[tokio::test]
async fn a_stores_in_stock_search_drops_a_product_as_concurrent_orders_sell_its_last_unit() {
    let app = search_app().await;
    app.db
        .run_sql("INSERT INTO inventory (store_id, product_id, quantity) VALUES (2, 1, 4)")
        .await;
    let in_stock = "q=tea&store_id=1&in_stock=true";
    let out_of_stock = "q=tea&store_id=1&in_stock=false";
    assert!(ids(&search(&app, in_stock).await).contains(&1));
    assert!(!ids(&search(&app, out_of_stock).await).contains(&1));

    let orders = (0..12).map(|_| {
        let app = &app;
        async move {
            let response = app
                .post_order(json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}]}))
                .await;
            assert_eq!(response.status(), 201);
            let body: Value = response.json().await.unwrap();
            body["status"].as_str().unwrap().to_string()
        }
    });
    let statuses = futures::future::join_all(orders).await;
    let confirmed = statuses.iter().filter(|s| *s == "CONFIRMED").count();
    assert_eq!((confirmed, statuses.len() - confirmed), (5, 7), "{statuses:?}");
    assert_eq!(app.db.stock(1, 1).await, 0);

    assert!(
        !ids(&search(&app, in_stock).await).contains(&1),
        "sold out at store 1"
    );
    assert!(ids(&search(&app, out_of_stock).await).contains(&1));
    assert!(ids(&search(&app, "q=tea&store_id=2&in_stock=true").await).contains(&1));
    assert!(
        ids(&search(&app, "q=tea&in_stock=true").await).contains(&1),
        "in stock somewhere"
    );
}
