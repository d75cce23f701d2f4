//! A server cut off from Redis (while Redis stays up for everyone else) cannot invalidate the
//! cache after an order or a catalogue write; the worker does it for every process, from the
//! outbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use aforro_adapters::redis::Redis;
use aforro_adapters::test_redis::dead_port;
use aforro_core::auth::{Principal, TokenName, TokenScope};
use aforro_core::cache::{Scope, WritePorts};
use aforro_core::catalogue::{self, Field, ProductInput};
use aforro_core::orders::{self, OrderStatus, PlaceOrder};
use aforro_core::StoreId;
use support::{drain, Setup};

/// The version counters of store 1 and of stock anywhere, as the other processes read them.
async fn versions(setup: &Setup) -> (Option<i64>, Option<i64>) {
    let store = Scope::Store(StoreId::new(1).unwrap());
    (counter(setup, &store).await, counter(setup, &Scope::Stock).await)
}

/// A version counter of `scope` (the first, for the catalogue's copies), as the other
/// processes read it.
async fn counter(setup: &Setup, scope: &Scope) -> Option<i64> {
    let redis = setup.redis();
    let mut conn = redis.connection().await.unwrap();
    redis::cmd("GET")
        .arg(&redis.keys().versions_to_bump(scope)[0])
        .query_async(&mut *conn)
        .await
        .unwrap()
}

/// One unit of product 1 at store 1, placed by a server whose Redis is `cut_off`.
async fn order_while_cut_off(setup: &Setup, cut_off: &Redis) -> OrderStatus {
    let request = PlaceOrder::of(1, &[(1, 1)]);
    let ports: orders::OrderWriter = WritePorts {
        repository: &setup.postgres,
        cache: cut_off,
        outbox: &setup.postgres,
    };
    orders::place_order(ports, &request, None)
        .await
        .unwrap()
        .order
        .status
}

#[tokio::test]
async fn the_worker_applies_the_invalidations_a_cut_off_server_could_not() {
    let setup = Setup::new().await;
    let prefix = setup.db.name.clone();
    // The server's view of Redis: nothing answers. The worker's (below): the real one.
    let cut_off = Redis::connect(&format!("redis://127.0.0.1:{}", dead_port()), &prefix).unwrap();
    let waiting = "SELECT count(*) FROM outbox WHERE kind = 'cache_invalidation' AND store_id = 1 \
                   AND published_at IS NULL";

    // Two orders at the store while cut off: one waiting job covers both.
    for _ in 0..2 {
        assert_eq!(
            order_while_cut_off(&setup, &cut_off).await,
            OrderStatus::Confirmed
        );
    }
    assert_eq!(setup.count(waiting).await, 1);
    assert_eq!(versions(&setup).await, (None, None));

    drain(&setup.worker("w")).await;

    assert_eq!(
        versions(&setup).await,
        (Some(1), Some(1)),
        "the worker bumped the store's and stock-anywhere versions"
    );
    let done = "SELECT count(*) FROM outbox WHERE kind = 'cache_invalidation' AND completed_at IS NOT NULL";
    assert_eq!(setup.count(done).await, 1);

    // Once that job is out of the waiting state, the next failed bump waits again.
    assert_eq!(
        order_while_cut_off(&setup, &cut_off).await,
        OrderStatus::Confirmed
    );
    assert_eq!(setup.count(waiting).await, 1);
    drain(&setup.worker("w")).await;
    assert_eq!(versions(&setup).await, (Some(2), Some(2)));
}

/// A price change of product 1, written by a server whose Redis is `cut_off`.
async fn price_change_while_cut_off(setup: &Setup, cut_off: &Redis, price: &str) {
    let buyer = Principal {
        name: TokenName::parse("buyer").unwrap(),
        scope: TokenScope::Catalogue,
    };
    let ports: catalogue::CatalogueWriter = WritePorts {
        repository: &setup.postgres,
        cache: cut_off,
        outbox: &setup.postgres,
    };
    let input = ProductInput {
        price: Field::Value(price.into()),
        ..Default::default()
    };
    let product = catalogue::update_product(ports, &buyer, 1, &input).await.unwrap();
    assert_eq!(product.price.to_string(), price, "the write stands");
}

#[tokio::test]
async fn the_worker_applies_the_catalogue_invalidations_a_cut_off_server_could_not() {
    let setup = Setup::new().await;
    let prefix = setup.db.name.clone();
    let cut_off = Redis::connect(&format!("redis://127.0.0.1:{}", dead_port()), &prefix).unwrap();
    let waiting = "SELECT count(*) FROM outbox WHERE kind = 'catalogue_invalidation' \
                   AND published_at IS NULL";

    // Two writes while cut off: one waiting job covers both.
    price_change_while_cut_off(&setup, &cut_off, "5.00").await;
    price_change_while_cut_off(&setup, &cut_off, "6.00").await;
    assert_eq!(setup.count(waiting).await, 1);
    assert_eq!(counter(&setup, &Scope::Catalogue).await, None);

    drain(&setup.worker("w")).await;

    assert_eq!(
        counter(&setup, &Scope::Catalogue).await,
        Some(1),
        "the worker bumped the catalogue's version"
    );
    let done =
        "SELECT count(*) FROM outbox WHERE kind = 'catalogue_invalidation' AND completed_at IS NOT NULL";
    assert_eq!(setup.count(done).await, 1);

    // Once that job is out of the waiting state, the next failed bump waits again.
    price_change_while_cut_off(&setup, &cut_off, "7.00").await;
    assert_eq!(setup.count(waiting).await, 1);
    drain(&setup.worker("w")).await;
    assert_eq!(counter(&setup, &Scope::Catalogue).await, Some(2));
}
