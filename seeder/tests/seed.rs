//! The `seeder` binary against real, throw-away Postgres databases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aforro_adapters::postgres::test_db::TestDb;
use tokio::process::Command;

async fn seeder(db: &TestDb, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_seeder"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run seeder")
}

/// A 60-bit digest of every catalogue row, to compare whole data sets.
async fn digest(db: &TestDb) -> i64 {
    db.scalar(
        "SELECT ('x' || substr(md5(
             (SELECT string_agg(id || '|' || name, ',' ORDER BY id) FROM categories) ||
             (SELECT string_agg(id || '|' || title || '|' || coalesce(description, '∅') || '|' || price
                                || '|' || category_id || '|' || created_at, ',' ORDER BY id) FROM products) ||
             (SELECT string_agg(id || '|' || name || '|' || location, ',' ORDER BY id) FROM stores) ||
             (SELECT string_agg(store_id || '|' || product_id || '|' || quantity, ',' ORDER BY store_id, product_id)
                FROM inventory)
         ), 1, 15))::bit(60)::bigint AS n",
    )
    .await
}

#[tokio::test]
async fn default_sizes_meet_the_minimums() {
    let db = TestDb::new().await.unwrap();
    let out = seeder(&db, &["--seed", "1"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    assert!(db.scalar("SELECT count(*) AS n FROM categories").await >= 10);
    assert!(db.scalar("SELECT count(*) AS n FROM products").await >= 1000);
    assert!(db.scalar("SELECT count(*) AS n FROM stores").await >= 20);
    let smallest_store =
        db.scalar("SELECT min(c) AS n FROM (SELECT count(*) AS c FROM stores s LEFT JOIN inventory i ON i.store_id = s.id GROUP BY s.id) t").await;
    assert!(
        smallest_store >= 300,
        "every store stocks at least 300 products, smallest has {smallest_store}"
    );
    let duplicates = db
        .scalar("SELECT count(*) - count(DISTINCT (store_id, product_id)) AS n FROM inventory")
        .await;
    assert_eq!(duplicates, 0, "store + product is unique");
    assert!(
        db.scalar("SELECT count(*) AS n FROM inventory WHERE quantity = 0")
            .await
            > 0,
        "some stock is zero"
    );
    assert!(
        db.scalar("SELECT count(*) AS n FROM products WHERE description IS NULL")
            .await
            > 0
    );
    assert!(
        db.scalar("SELECT count(DISTINCT date_trunc('month', created_at)) AS n FROM products")
            .await
            > 12
    );
    // Tables derived by triggers (switched off during the load) were rebuilt exactly.
    let titles = db.scalar("SELECT count(*) AS n FROM product_titles").await;
    assert_eq!(
        titles,
        db.scalar("SELECT count(DISTINCT lower(title)) AS n FROM products")
            .await
    );
    let out_of_stock = db.scalar("SELECT count(*) AS n FROM out_of_stock_products").await;
    let expected = db
        .scalar("SELECT count(*) AS n FROM products p WHERE NOT EXISTS (SELECT 1 FROM inventory i WHERE i.product_id = p.id AND i.quantity > 0)")
        .await;
    assert_eq!(out_of_stock, expected);
    assert!(out_of_stock > 0);
    let products = db.scalar("SELECT count(*) AS n FROM products").await;
    assert_eq!(
        db.scalar("SELECT products AS n FROM product_count").await,
        products
    );
    let stores_differ = "SELECT count(*) AS n FROM products p WHERE p.store_ids IS DISTINCT FROM
        ARRAY(SELECT i.store_id FROM inventory i WHERE i.product_id = p.id ORDER BY i.store_id)";
    assert_eq!(db.scalar(stores_differ).await, 0);
    assert!(
        db.scalar("SELECT count(*) AS n FROM products WHERE cardinality(store_ids) > 1")
            .await
            > 0
    );
    let sold_out_differ = "SELECT count(*) AS n FROM products p WHERE p.sold_out_store_ids IS DISTINCT FROM
        ARRAY(SELECT i.store_id FROM inventory i WHERE i.product_id = p.id AND i.quantity = 0 ORDER BY i.store_id)";
    assert_eq!(db.scalar(sold_out_differ).await, 0);
    assert!(
        db.scalar("SELECT count(*) AS n FROM products WHERE sold_out_store_ids <> '{}'")
            .await
            > 0,
        "the seed has stock rows at zero"
    );
    // The triggers are back on: a new product is out of stock and has its title listed.
    db.run_sql("INSERT INTO products (title, price, category_id) VALUES ('Brand New Widget', 1, 1)")
        .await;
    assert_eq!(
        db.scalar("SELECT count(*) AS n FROM product_titles WHERE title = 'Brand New Widget'")
            .await,
        1
    );
    assert_eq!(
        db.scalar("SELECT count(*) AS n FROM out_of_stock_products").await,
        out_of_stock + 1
    );
    assert_eq!(
        db.scalar("SELECT products AS n FROM product_count").await,
        products + 1
    );
    db.run_sql("INSERT INTO inventory (store_id, product_id, quantity) SELECT 1, id, 3 FROM products WHERE title = 'Brand New Widget'")
        .await;
    db.run_sql("INSERT INTO inventory (store_id, product_id, quantity) SELECT 2, id, 0 FROM products WHERE title = 'Brand New Widget'")
        .await;
    assert_eq!(db.scalar(stores_differ).await, 0);
    assert_eq!(db.scalar(sold_out_differ).await, 0);
    // Ids continue after the seeded ones.
    db.run_sql("INSERT INTO categories (name) VALUES ('After seeding')")
        .await;
    assert_eq!(db.scalar("SELECT max(id) AS n FROM categories").await, 11);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data() {
    let (a, b) = (TestDb::new().await.unwrap(), TestDb::new().await.unwrap());
    let small = [
        "--seed",
        "42",
        "--products",
        "2000",
        "--stores",
        "4",
        "--inventory-per-store",
        "500",
    ];
    assert!(seeder(&a, &small).await.status.success());
    assert!(seeder(&b, &small).await.status.success());
    assert_eq!(digest(&a).await, digest(&b).await);

    let other = [
        "--seed",
        "43",
        "--products",
        "2000",
        "--stores",
        "4",
        "--inventory-per-store",
        "500",
        "--reset",
    ];
    assert!(seeder(&b, &other).await.status.success());
    assert_ne!(digest(&a).await, digest(&b).await);
}

#[tokio::test]
async fn a_seeded_database_is_refused_without_reset() {
    let db = TestDb::new().await.unwrap();
    assert!(seeder(
        &db,
        &["--seed", "1", "--products", "500", "--inventory-per-store", "100"]
    )
    .await
    .status
    .success());
    let before = digest(&db).await;

    let refused = seeder(&db, &["--seed", "2"]).await;
    assert_eq!(refused.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--reset"));
    assert_eq!(digest(&db).await, before, "nothing changed");

    let reset = seeder(&db, &["--seed", "2", "--reset"]).await;
    assert!(reset.status.success());
    assert_ne!(digest(&db).await, before);
    assert_eq!(db.scalar("SELECT count(*) AS n FROM products").await, 1000);
}

#[tokio::test]
async fn impossible_sizes_are_refused_before_touching_the_database() {
    let db = TestDb::new().await.unwrap();
    let out = seeder(&db, &["--products", "10", "--inventory-per-store", "20"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--inventory-per-store"));
    assert_eq!(db.scalar("SELECT count(*) AS n FROM categories").await, 0);
}

#[tokio::test]
async fn if_empty_seeds_once_then_leaves_the_data_alone() {
    let db = TestDb::new().await.unwrap();
    let args = [
        "--if-empty",
        "--seed",
        "9",
        "--products",
        "400",
        "--inventory-per-store",
        "50",
    ];
    assert!(seeder(&db, &args).await.status.success());
    let first = digest(&db).await;
    let again = seeder(&db, &["--if-empty", "--seed", "10"]).await;
    assert!(again.status.success());
    assert_eq!(digest(&db).await, first);
}

#[tokio::test]
async fn a_killed_seed_leaves_nothing_behind() {
    let db = TestDb::new().await.unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_seeder"))
        .args([
            "--seed",
            "3",
            "--products",
            "3000000",
            "--inventory-per-store",
            "10",
        ])
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Wait until the load is writing products, then kill the process mid-transaction.
    let mut writing = false;
    for _ in 0..200 {
        let busy = db
            .scalar("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'INSERT INTO products%'")
            .await;
        if busy > 0 {
            writing = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(writing, "the seeder started writing products");
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    // Once Postgres has noticed the dead client its transaction is gone.
    for _ in 0..200 {
        let others = db
            .scalar("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            .await;
        if others == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for table in ["categories", "products", "stores", "inventory"] {
        assert_eq!(
            db.scalar(&format!("SELECT count(*) AS n FROM {table}")).await,
            0,
            "{table} is empty"
        );
    }
    // The foreign keys dropped inside the killed transaction are still there.
    let keys = db
        .scalar("SELECT count(*) AS n FROM pg_constraint WHERE contype = 'f' AND conrelid IN ('products'::regclass, 'inventory'::regclass)")
        .await;
    assert_eq!(keys, 3);
}
