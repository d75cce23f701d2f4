//! The order transaction of the Postgres adapter, below HTTP: what its pipelining and its
//! hand-sent BEGIN/COMMIT must still guarantee — locks held from the lock statement to the end,
//! and no connection returned to the pool inside a transaction.

use std::time::Duration;

use aforro_adapters::postgres::{PoolSettings, Postgres};
use aforro_core::orders::{NewOrder, OrderLine, OrderRepository, OrderStatus, Quantity};
use aforro_core::{ProductId, StoreId};
use diesel_async::SimpleAsyncConnection;

use crate::helpers::TestApp;

fn store(id: i64) -> StoreId {
    StoreId::new(id).unwrap()
}

fn products(ids: &[i64]) -> Vec<ProductId> {
    ids.iter().map(|&id| ProductId::new(id).unwrap()).collect()
}

/// Whether another session can lock store 1's row of product 3 without waiting.
async fn row_is_free(app: &TestApp) -> bool {
    let mut conn = app.db.conn().await.unwrap();
    conn.batch_execute("SELECT 1 FROM inventory WHERE store_id = 1 AND product_id = 3 FOR UPDATE NOWAIT")
        .await
        .is_ok()
}

fn repo(app: &TestApp, max_size: usize) -> Postgres {
    let settings = PoolSettings {
        max_size,
        wait_timeout: Duration::from_secs(5),
    };
    Postgres::connect(&app.db.url, settings).unwrap()
}

#[tokio::test]
async fn locked_stock_stays_locked_until_rollback() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let repo = repo(&app, 2);

    let mut tx = repo.begin().await.unwrap();
    let stock = tx.lock_stock(store(1), &products(&[3])).await.unwrap().unwrap();
    assert_eq!((stock.len(), stock[0].available), (1, 10));
    // BEGIN went out in the same round trip as the lock: if it had reached the server after
    // the SELECT … FOR UPDATE, the lock would already be gone.
    assert!(!row_is_free(&app).await, "row locked inside the transaction");

    tx.rollback().await.unwrap();
    assert!(row_is_free(&app).await, "lock released by rollback");
}

#[tokio::test]
async fn unknown_store_is_none_and_unknown_products_are_absent() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let repo = repo(&app, 2);

    let mut tx = repo.begin().await.unwrap();
    assert_eq!(tx.lock_stock(store(99), &products(&[1])).await.unwrap(), None);
    tx.rollback().await.unwrap();
    drop(tx); // shadowing would keep its connection until the end of the test

    let mut tx = repo.begin().await.unwrap();
    let none_exist = tx.lock_stock(store(2), &products(&[77, 78])).await.unwrap();
    assert_eq!(none_exist, Some(vec![]), "store exists, no product does");
    tx.rollback().await.unwrap();
    drop(tx);

    let mut tx = repo.begin().await.unwrap();
    let stock = tx
        .lock_stock(store(2), &products(&[1, 3, 77]))
        .await
        .unwrap()
        .unwrap();
    let seen: Vec<_> = stock.iter().map(|s| (s.product_id.get(), s.available)).collect();
    assert_eq!(
        seen,
        [(1, 100), (3, 0)],
        "no inventory row is 0, unknown product absent"
    );
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn a_transaction_dropped_unfinished_takes_its_connection_out_of_the_pool() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    // One connection: if the dropped transaction's connection went back to the pool, the next
    // transaction would run inside it and the lock below would never be released.
    let repo = repo(&app, 1);

    let mut tx = repo.begin().await.unwrap();
    tx.lock_stock(store(1), &products(&[3])).await.unwrap().unwrap();
    drop(tx); // as when a request is cancelled mid-transaction

    let mut freed = false;
    for _ in 0..50 {
        if row_is_free(&app).await {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    assert!(freed, "closing the connection rolled the transaction back");

    let mut tx = repo.begin().await.unwrap();
    tx.lock_stock(store(1), &products(&[3])).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    assert!(
        row_is_free(&app).await,
        "the pool's next connection is a clean one"
    );
}

/// One line of one unit of `product`, as decided with `available` in stock.
fn line(product: i64, available: u32) -> OrderLine {
    OrderLine {
        product_id: ProductId::new(product).unwrap(),
        product_title: format!("product {product}"),
        quantity_requested: Quantity::new(1).unwrap(),
        quantity_available: available,
    }
}

fn confirmed(lines: &[OrderLine]) -> NewOrder<'_> {
    NewOrder {
        store_id: store(1),
        status: OrderStatus::Confirmed,
        lines,
        send_confirmation: true,
        idempotency_key: None,
    }
}

#[tokio::test]
async fn orders_commit_with_or_without_a_pipelined_commit_and_a_bad_deduction_writes_nothing() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    // One connection: the first order prepares the statement and commits unpipelined, the
    // next ones pipeline COMMIT behind it.
    let repo = repo(&app, 1);
    let lines = [line(3, 10)];
    for expected_stock in [9, 8, 7] {
        let mut tx = repo.begin().await.unwrap();
        tx.lock_stock(store(1), &products(&[3])).await.unwrap().unwrap();
        tx.commit_order(confirmed(&lines)).await.unwrap();
        drop(tx);
        assert_eq!(app.db.stock(1, 3).await, expected_stock, "committed and visible");
    }

    // Store 1 has no inventory row for product 4: a confirmed line cannot be deducted, so
    // the statement refuses (this time behind a pipelined COMMIT) and writes nothing.
    let orders_before = app.db.scalar("SELECT count(*) AS n FROM orders").await;
    let bad = [line(3, 7), line(4, 5)];
    let mut tx = repo.begin().await.unwrap();
    tx.lock_stock(store(1), &products(&[3, 4]))
        .await
        .unwrap()
        .unwrap();
    let error = tx.commit_order(confirmed(&bad)).await.unwrap_err();
    assert!(
        format!("{error:?}").contains("deducted a different number"),
        "{error:?}"
    );
    tx.rollback().await.unwrap();
    drop(tx);
    assert_eq!(app.db.stock(1, 3).await, 7, "product 3 not deducted either");
    assert_eq!(
        app.db.scalar("SELECT count(*) AS n FROM orders").await,
        orders_before
    );
    assert_eq!(
        app.db.scalar("SELECT count(*) AS n FROM outbox").await,
        orders_before,
        "no confirmation job for the refused order"
    );

    // The connection is clean afterwards: the next order on it commits.
    let mut tx = repo.begin().await.unwrap();
    tx.lock_stock(store(1), &products(&[3])).await.unwrap().unwrap();
    tx.commit_order(confirmed(&lines)).await.unwrap();
    drop(tx);
    assert_eq!(app.db.stock(1, 3).await, 6);
    assert!(row_is_free(&app).await);
}
