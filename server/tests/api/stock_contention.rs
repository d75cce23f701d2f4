//! 32 clients at once mixing orders and stock adjustments on the same few stock rows (one of
//! them missing at first): nothing is lost, nothing goes negative, nothing deadlocks, and the
//! history (adjustments and order lines) chains exactly from the initial stock to the final one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::stock::{adjust, movements_path};

const CLIENTS: usize = 32;
const REQUESTS_PER_CLIENT: usize = 12;
/// Store 1's products 1–3 start at 20; product 4 has no row until an adjustment makes one.
const PRODUCTS: [i64; 4] = [1, 2, 3, 4];

fn initial(product: i64) -> i64 {
    if product == 4 {
        0
    } else {
        20
    }
}

/// What one request did, as seen by its client.
enum Outcome {
    /// An order and its response body.
    Order(Value),
    /// An adjustment: its status and body.
    Adjustment(u16, Value),
}

/// The `n`th request of `client`: one in two is an order (sometimes more than is there, some
/// naming two products in either order), the others restocks and negative corrections.
async fn request(app: &TestApp, tokens: &[String; 2], client: usize, n: usize) -> Outcome {
    let mut draw = Draw((client as u64) << 32 | n as u64);
    let product = PRODUCTS[draw.below(4) as usize];
    let other = PRODUCTS[draw.below(4) as usize];
    let amount = 1 + draw.below(7) as i64;
    match (client + n) % 4 {
        0 => {
            let response = app
                .post_order(
                    json!({"store_id": 1, "items": [{"product_id": product, "quantity_requested": amount}]}),
                )
                .await;
            assert_eq!(response.status(), 201);
            Outcome::Order(response.json().await.unwrap())
        }
        1 => {
            let mut items = vec![json!({"product_id": product, "quantity_requested": amount})];
            if other != product {
                items.push(json!({"product_id": other, "quantity_requested": 1}));
            }
            let response = app.post_order(json!({"store_id": 1, "items": items})).await;
            assert_eq!(response.status(), 201);
            Outcome::Order(response.json().await.unwrap())
        }
        2 => {
            let body = json!({"delta": 2 * amount, "reason": "restock"});
            let (status, body) = adjust(app, &tokens[client % 2], 1, product, body).await;
            Outcome::Adjustment(status, body)
        }
        _ => {
            let body = json!({"delta": -amount, "reason": "correction", "note": format!("client {client}")});
            let (status, body) = adjust(app, &tokens[client % 2], 1, product, body).await;
            Outcome::Adjustment(status, body)
        }
    }
}

/// A deterministic draw of numbers per request (splitmix64), so runs are repeatable (the
/// ledger's race draws its requests with it too).
pub(crate) struct Draw(pub(crate) u64);

impl Draw {
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % bound
    }
}

/// Units of `product` in store 1 (0 without a row).
async fn stock(app: &TestApp, product: i64) -> i64 {
    app.db
        .scalar(&format!(
            "SELECT coalesce((SELECT quantity FROM inventory WHERE store_id = 1 AND product_id = {product}), 0)::bigint AS n"
        ))
        .await
}

/// One change of a stock row, as its response recorded it.
struct Step {
    /// Adjustment or order id: both are drawn under the row's lock, so each kind's ids are in
    /// the order the row was locked.
    id: i64,
    /// Adjustment: quantity_before; order line: quantity_available.
    before: i64,
    /// Adjustment: delta; confirmed line: -quantity_requested; rejected line: 0.
    change: i64,
    /// Adjustment: quantity_after; order line: what it left.
    after: i64,
}

/// The row's history as two sequences, each in the order its rows were locked: applied
/// adjustments by id and order lines by order id, from the 201 responses. Rejected lines that
/// saw 0 are left out: they may have found no row, and so held no lock.
fn history(outcomes: &[Outcome], product: i64) -> (Vec<Step>, Vec<Step>) {
    let (mut adjustments, mut orders) = (Vec::new(), Vec::new());
    for outcome in outcomes {
        match outcome {
            Outcome::Adjustment(201, a) if a["product_id"] == product => adjustments.push(Step {
                id: a["id"].as_i64().unwrap(),
                before: a["quantity_before"].as_i64().unwrap(),
                change: a["delta"].as_i64().unwrap(),
                after: a["quantity_after"].as_i64().unwrap(),
            }),
            Outcome::Order(order) => {
                let confirmed = order["status"] == "CONFIRMED";
                for line in order["items"].as_array().unwrap() {
                    let available = line["quantity_available"].as_i64().unwrap();
                    if line["product_id"] != product || (!confirmed && available == 0) {
                        continue;
                    }
                    let change = if confirmed {
                        -line["quantity_requested"].as_i64().unwrap()
                    } else {
                        0
                    };
                    orders.push(Step {
                        id: order["id"].as_i64().unwrap(),
                        before: available,
                        change,
                        after: available + change,
                    });
                }
            }
            Outcome::Adjustment(..) => {}
        }
    }
    adjustments.sort_by_key(|s| s.id);
    orders.sort_by_key(|s| s.id);
    (adjustments, orders)
}

/// Whether the two sequences interleave into one chain from `start` to `end` in which every
/// step starts where the previous one ended: no update was lost or applied to a stale value.
fn chains(start: i64, end: i64, adjustments: &[Step], orders: &[Step]) -> bool {
    let (n, m) = (adjustments.len(), orders.len());
    let mut reachable = vec![vec![false; m + 1]; n + 1];
    // The quantity after i adjustments and j order lines, whatever their interleaving.
    let mut quantity = vec![vec![start; m + 1]; n + 1];
    for i in 0..=n {
        for j in 0..=m {
            if i > 0 {
                quantity[i][j] = quantity[i - 1][j] + adjustments[i - 1].change;
            } else if j > 0 {
                quantity[i][j] = quantity[i][j - 1] + orders[j - 1].change;
            }
            let fits = |step: &Step, at: i64| step.before == at && step.after == at + step.change;
            reachable[i][j] = (i == 0 && j == 0)
                || (i > 0 && reachable[i - 1][j] && fits(&adjustments[i - 1], quantity[i - 1][j]))
                || (j > 0 && reachable[i][j - 1] && fits(&orders[j - 1], quantity[i][j - 1]));
        }
    }
    reachable[n][m] && quantity[n][m] == end
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_and_adjustments_racing_on_the_same_stock_lose_nothing_and_never_deadlock() {
    let app = Arc::new(TestApp::spawn().await);
    app.seed_basic().await;
    app.db
        .run_sql("UPDATE inventory SET quantity = 20 WHERE store_id = 1 AND product_id IN (1, 2, 3)")
        .await;
    let tokens = Arc::new([
        app.staff_token("buyer", &[]).await,
        app.staff_token("tablet", &[1]).await,
    ]);

    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let (app, tokens) = (Arc::clone(&app), Arc::clone(&tokens));
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for n in 0..REQUESTS_PER_CLIENT {
                seen.push(request(&app, &tokens, client, n).await);
            }
            seen
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();

    let mut adjusted: HashMap<i64, i64> = HashMap::new();
    let mut sold: HashMap<i64, i64> = HashMap::new();
    let (mut applied, mut refused, mut confirmed, mut rejected) = (0, 0, 0, 0);
    for outcome in &outcomes {
        match outcome {
            Outcome::Order(body) if body["status"] == "CONFIRMED" => {
                confirmed += 1;
                for item in body["items"].as_array().unwrap() {
                    *sold.entry(item["product_id"].as_i64().unwrap()).or_default() +=
                        item["quantity_requested"].as_i64().unwrap();
                }
            }
            Outcome::Order(body) => {
                assert_eq!(body["status"], "REJECTED", "{body}");
                rejected += 1;
            }
            Outcome::Adjustment(201, body) => {
                applied += 1;
                let (before, delta, after) = (
                    body["quantity_before"].as_i64().unwrap(),
                    body["delta"].as_i64().unwrap(),
                    body["quantity_after"].as_i64().unwrap(),
                );
                assert_eq!(after, before + delta, "{body}");
                *adjusted.entry(body["product_id"].as_i64().unwrap()).or_default() += delta;
            }
            Outcome::Adjustment(409, body) => {
                refused += 1;
                assert!(body["detail"].as_str().unwrap().contains("below zero"), "{body}");
            }
            Outcome::Adjustment(status, body) => panic!("adjustment answered {status}: {body}"),
        }
    }
    eprintln!(
        "{} requests from {CLIENTS} clients in {elapsed:?}: {confirmed} orders confirmed, {rejected} rejected, \
         {applied} adjustments applied, {refused} refused (409)",
        outcomes.len()
    );
    assert!(
        applied > 0 && refused > 0 && confirmed > 0 && rejected > 0,
        "a real mix"
    );

    let tablet = &tokens[1];
    for product in PRODUCTS {
        let expected = initial(product) + adjusted.get(&product).copied().unwrap_or(0)
            - sold.get(&product).copied().unwrap_or(0);
        let stock = stock(&app, product).await;
        assert_eq!(
            stock, expected,
            "product {product}: initial + adjustments - confirmed orders"
        );
        assert!(stock >= 0);

        // The movements endpoint, every page (several of them), says the same.
        let (mut total, mut listed, mut page) =
            (0, 0, Some(format!("{}?page_size=25", movements_path(1, product))));
        let mut adjustment_ids = Vec::new();
        let mut pages = 0;
        while let Some(path) = page {
            pages += 1;
            let body: Value = app
                .staff(Method::GET, &path, tablet)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for movement in body["results"].as_array().unwrap() {
                total += movement["delta"].as_i64().unwrap();
                listed += 1;
                if movement["kind"] == "adjustment" {
                    adjustment_ids.push(movement["id"].as_i64().unwrap());
                }
            }
            page = body["next"].as_str().map(str::to_owned);
        }
        assert_eq!(
            initial(product) + total,
            stock,
            "product {product}: movements add up"
        );
        let (adjustments, orders) = history(&outcomes, product);
        let confirmed_lines = orders.iter().filter(|s| s.change != 0).count();
        assert_eq!(listed, adjustments.len() + confirmed_lines, "product {product}");
        assert!(
            pages > 1 || listed <= 25,
            "product {product}: {listed} movements in {pages} page(s)"
        );
        // A row's adjustments are timed under its lock: newest first is highest id first.
        assert!(
            adjustment_ids.windows(2).all(|w| w[0] > w[1]),
            "product {product}: {adjustment_ids:?}"
        );
        assert!(
            chains(initial(product), stock, &adjustments, &orders),
            "product {product}: adjustments and order lines chain from {} to {stock}",
            initial(product)
        );
    }
    let stored = app.db.scalar("SELECT count(*) AS n FROM stock_adjustments").await;
    assert_eq!(stored, applied);
}

#[test]
fn the_chain_check_catches_a_lost_update_and_a_stale_read() {
    let step = |id, before, change| Step {
        id,
        before,
        change,
        after: before + change,
    };
    // 20 → +5 → 25, an order of 3 → 22, -2 → 20.
    let adjustments = [step(1, 20, 5), step(2, 22, -2)];
    let orders = [step(1, 25, -3)];
    assert!(chains(20, 20, &adjustments, &orders));
    // The order read 20 while the restock was being applied: one of them was lost.
    let stale = [step(1, 20, -3)];
    assert!(!chains(20, 20, &adjustments, &stale));
    assert!(!chains(20, 22, &adjustments, &stale));
    // A final stock the history does not lead to.
    assert!(!chains(20, 21, &adjustments, &orders));
}
