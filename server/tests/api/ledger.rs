//! The stock ledger is exact by construction: every change of a row takes its position under
//! the row's lock, so movements chain whatever runs at the same time — shown with a lock held
//! from outside (an order that waited lists after the adjustment that overtook it) and with 32
//! clients mixing orders, adjustments and cancellations.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel_async::SimpleAsyncConnection;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::stock::{adjust, movements_path, restock};
use crate::stock_contention::Draw;

/// Every movement of a row, oldest first, read through the API page by page.
pub(crate) async fn ledger(app: &TestApp, token: &str, store: i64, product: i64) -> Vec<Value> {
    let mut movements = Vec::new();
    let mut next = Some(format!("{}?page_size=100", movements_path(store, product)));
    while let Some(path) = next {
        let response = app.staff(Method::GET, &path, token).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let page: Value = response.json().await.unwrap();
        movements.extend(page["results"].as_array().unwrap().iter().cloned());
        next = page["next"].as_str().map(str::to_owned);
    }
    movements.reverse();
    movements
}

/// Panics unless the ledger is positions 1..=n, each movement starting where the previous one
/// ended (`start` for the first) and ending at `end`, times never going back.
pub(crate) fn assert_chains(movements: &[Value], start: i64, end: i64, what: &str) {
    let mut quantity = start;
    let mut time = String::new();
    for (index, movement) in movements.iter().enumerate() {
        let (before, delta, after) = (
            movement["quantity_before"].as_i64().unwrap(),
            movement["delta"].as_i64().unwrap(),
            movement["quantity_after"].as_i64().unwrap(),
        );
        assert_eq!(movement["position"], index as i64 + 1, "{what}: {movement}");
        assert_eq!(
            before, quantity,
            "{what}: movement {movement} does not start where the previous ended"
        );
        assert_eq!(after, before + delta, "{what}: {movement}");
        let at = movement["created_at"].as_str().unwrap().to_owned();
        assert!(
            at >= time,
            "{what}: {movement} is timed before the movement ahead of it"
        );
        (quantity, time) = (after, at);
    }
    assert_eq!(
        quantity, end,
        "{what}: the newest quantity_after is the row's quantity"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_that_waited_for_a_row_lists_after_the_adjustment_that_overtook_it() {
    let app = Arc::new(TestApp::spawn().await);
    app.seed_basic().await;
    let buyer = app.staff_token("buyer", &[]).await;
    // Someone holds store 1's row of product 1 (the order's first lock, ascending ids).
    let mut holder = app.db.conn().await.unwrap();
    holder
        .batch_execute("BEGIN; SELECT 1 FROM inventory WHERE store_id = 1 AND product_id = 1 FOR UPDATE")
        .await
        .unwrap();
    let order = {
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let body = json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1},
                                                      {"product_id": 3, "quantity_requested": 2}]});
            let response = app.post_order(body).await;
            assert_eq!(response.status(), 201);
            response.json::<Value>().await.unwrap()
        })
    };
    // The order has begun (its transaction started) and waits for product 1's row.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!order.is_finished());
    // Meanwhile product 3 is restocked: its row is free, the order has not reached it.
    let (status, restocked) = adjust(&app, &buyer, 1, 3, restock(5)).await;
    assert_eq!(status, 201);
    assert_eq!(
        (&restocked["quantity_before"], &restocked["quantity_after"]),
        (&json!(10), &json!(15))
    );
    holder.batch_execute("ROLLBACK").await.unwrap();
    let order = order.await.unwrap();
    assert_eq!(order["status"], "CONFIRMED");

    let movements = ledger(&app, &buyer, 1, 3).await;
    assert_eq!(
        movements.iter().map(|m| m["kind"].clone()).collect::<Vec<_>>(),
        [json!("adjustment"), json!("order")],
        "the order took the row after the restock: {movements:?}"
    );
    assert_eq!(movements[1]["order_id"], order["id"]);
    assert_eq!(
        (&movements[1]["quantity_before"], &movements[1]["quantity_after"]),
        (&json!(15), &json!(13))
    );
    assert_chains(&movements, 10, app.db.stock(1, 3).await, "product 3");
    // The order's time is taken under its locks too: after the restock it waited behind.
    assert!(
        order["created_at"].as_str() >= restocked["created_at"].as_str(),
        "{order} {restocked}"
    );
}

const CLIENTS: usize = 32;
/// Store 1's rows these clients fight over (product 4 has no row until a restock makes one).
const PRODUCTS: [i64; 4] = [1, 2, 3, 4];

/// What the clients saw, shared between them.
#[derive(Default)]
struct Seen {
    /// Confirmed orders not yet picked for cancelling, and their lines (product, units).
    confirmed: Vec<(i64, Vec<(i64, i64)>)>,
    /// Orders a cancel answered with `changed` stock (first `CANCELLED` answer), with lines.
    cancelled: HashMap<i64, Vec<(i64, i64)>>,
    /// Units applied by adjustments per product, and units sold by confirmed orders.
    adjusted: HashMap<i64, i64>,
    sold: HashMap<i64, i64>,
    requests: usize,
    orders_confirmed: usize,
    server_errors: Vec<String>,
}

/// One request of `client`: an order of 1–3 lines, an adjustment (±), or a cancel of a
/// confirmed order (sometimes twice, from two clients at once).
async fn one_request(app: &TestApp, token: &str, seen: &Mutex<Seen>, draw: &mut Draw) {
    let kind = draw.below(10);
    let (status, body) = if kind < 5 {
        let lines = 1 + draw.below(3) as usize;
        let mut products: Vec<i64> = PRODUCTS.to_vec();
        let mut items = Vec::new();
        for _ in 0..lines {
            let product = products.remove(draw.below(products.len() as u64) as usize);
            items.push(json!({"product_id": product, "quantity_requested": 1 + draw.below(4)}));
        }
        let response = app.post_order(json!({"store_id": 1, "items": items})).await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        if body["status"] == "CONFIRMED" {
            let lines: Vec<(i64, i64)> = body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    (
                        i["product_id"].as_i64().unwrap(),
                        i["quantity_requested"].as_i64().unwrap(),
                    )
                })
                .collect();
            let mut seen = seen.lock().unwrap();
            seen.orders_confirmed += 1;
            for (product, units) in &lines {
                *seen.sold.entry(*product).or_default() += units;
            }
            seen.confirmed.push((body["id"].as_i64().unwrap(), lines));
        }
        (status, body)
    } else if kind < 8 {
        let product = PRODUCTS[draw.below(4) as usize];
        let delta = if draw.below(2) == 0 {
            1 + draw.below(6) as i64
        } else {
            -(1 + draw.below(3) as i64)
        };
        let (status, body) = adjust(
            app,
            token,
            1,
            product,
            json!({"delta": delta, "reason": "correction"}),
        )
        .await;
        if status == 201 {
            *seen.lock().unwrap().adjusted.entry(product).or_default() += delta;
        }
        (status, body)
    } else {
        let picked = {
            let mut seen = seen.lock().unwrap();
            let len = seen.confirmed.len();
            (len > 0).then(|| seen.confirmed.swap_remove(draw.below(len as u64) as usize))
        };
        let Some((order_id, lines)) = picked else { return };
        let cancel = || {
            app.staff(Method::POST, &format!("/orders/{order_id}/cancel/"), token)
                .send()
        };
        // Two cancels of one order at once: one gives the stock back, both answer CANCELLED.
        let (first, second) = tokio::join!(cancel(), cancel());
        let mut answers = Vec::new();
        for response in [first.unwrap(), second.unwrap()] {
            let status = response.status().as_u16();
            answers.push((status, response.json::<Value>().await.unwrap()));
        }
        let mut seen = seen.lock().unwrap();
        seen.requests += 1;
        for (status, body) in &answers {
            assert_eq!((*status, &body["status"]), (200, &json!("CANCELLED")), "{body}");
        }
        seen.cancelled.insert(order_id, lines);
        answers.pop().unwrap()
    };
    let mut seen = seen.lock().unwrap();
    seen.requests += 1;
    if status >= 500 {
        seen.server_errors.push(format!("{status}: {body}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_race_of_placing_adjusting_and_cancelling_keeps_every_ledger_exact() {
    let seconds: u64 = std::env::var("LEDGER_RACE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let app = Arc::new(TestApp::spawn().await);
    app.seed_basic().await;
    app.db
        .run_sql("UPDATE inventory SET quantity = 30 WHERE store_id = 1 AND product_id IN (1, 2, 3)")
        .await;
    let initial = |product: i64| if product == 4 { 0 } else { 30 };
    let token = Arc::new(app.staff_token("buyer", &[]).await);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let (app, token, seen) = (Arc::clone(&app), Arc::clone(&token), Arc::clone(&seen));
        clients.push(tokio::spawn(async move {
            let mut draw = Draw(client as u64);
            while Instant::now() < until {
                one_request(&app, &token, &seen, &mut draw).await;
            }
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    let seen = Arc::try_unwrap(seen).ok().unwrap().into_inner().unwrap();
    eprintln!(
        "{} requests from {CLIENTS} clients in {seconds} s: {} orders confirmed, {} cancelled",
        seen.requests,
        seen.orders_confirmed,
        seen.cancelled.len()
    );
    assert_eq!(
        seen.server_errors,
        Vec::<String>::new(),
        "no 5xx (a deadlock would be one)"
    );
    assert!(
        seen.cancelled.len() >= 10,
        "a real mix: {} cancellations",
        seen.cancelled.len()
    );

    let mut returned: HashMap<i64, i64> = HashMap::new();
    for lines in seen.cancelled.values() {
        for (product, units) in lines {
            *returned.entry(*product).or_default() += units;
        }
    }
    let mut cancellations_listed: HashMap<i64, HashSet<i64>> = HashMap::new();
    for product in PRODUCTS {
        let stock = app.db.stock(1, product).await;
        let expected = initial(product) + seen.adjusted.get(&product).copied().unwrap_or(0)
            - seen.sold.get(&product).copied().unwrap_or(0)
            + returned.get(&product).copied().unwrap_or(0);
        assert_eq!(
            stock, expected,
            "product {product}: initial + adjustments − sold + returned"
        );
        let movements = ledger(&app, &token, 1, product).await;
        assert_chains(&movements, initial(product), stock, &format!("product {product}"));
        for movement in movements.iter().filter(|m| m["kind"] == "cancellation") {
            let order = movement["order_id"].as_i64().unwrap();
            assert!(
                cancellations_listed.entry(order).or_default().insert(product),
                "order {order} gave product {product} back twice"
            );
            let units = seen.cancelled[&order]
                .iter()
                .find(|(p, _)| *p == product)
                .unwrap()
                .1;
            assert_eq!(movement["delta"], units, "{movement}");
        }
    }
    // Every cancelled order gave every line back, once.
    for (order, lines) in &seen.cancelled {
        let products: HashSet<i64> = lines.iter().map(|(p, _)| *p).collect();
        assert_eq!(cancellations_listed.get(order), Some(&products), "order {order}");
    }
}

/// A movement as the API lists it.
fn entry(position: i64, before: i64, delta: i64, at: &str) -> Value {
    json!({"position": position, "delta": delta, "quantity_before": before,
           "quantity_after": before + delta, "created_at": at})
}

#[test]
fn the_chain_check_accepts_an_exact_ledger() {
    let ledger = [
        entry(1, 10, 5, "t1"),
        entry(2, 15, -2, "t2"),
        entry(3, 13, 1, "t3"),
    ];
    assert_chains(&ledger, 10, 14, "exact");
}

/// What a position taken outside the row's lock produces: an order that read its position
/// before an adjustment overtook it lists before the adjustment, so its entry does not start
/// where the previous one ended (or two changes share a position: a 5xx in the race).
#[test]
#[should_panic(expected = "does not start where the previous ended")]
fn the_chain_check_catches_a_change_listed_before_one_it_came_after() {
    // 10 → +5 → 15, then an order of 2 → 13; listed the wrong way round.
    let ledger = [entry(1, 15, -2, "t1"), entry(2, 10, 5, "t2")];
    assert_chains(&ledger, 10, 13, "out of lock order");
}

#[test]
#[should_panic(expected = "the newest quantity_after is the row's quantity")]
fn the_chain_check_catches_a_ledger_that_ends_elsewhere_than_the_row() {
    assert_chains(&[entry(1, 10, 5, "t1")], 10, 16, "missing movement");
}

#[test]
#[should_panic]
fn the_chain_check_catches_a_gap_in_the_positions() {
    assert_chains(&[entry(1, 10, 5, "t1"), entry(3, 15, 1, "t2")], 10, 16, "gap");
}
