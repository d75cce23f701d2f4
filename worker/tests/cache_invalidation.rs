//! A server cut off from Redis (while Redis stays up for everyone else) cannot invalidate the
//! cache after an order; the worker does it for every process, from the outbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use aforro_adapters::redis::Redis;
use aforro_adapters::test_redis::dead_port;
use aforro_core::cache::place_order_invalidating;
use aforro_core::orders::{OrderStatus, PlaceOrder, RequestedItem};
use support::{drain, Setup};

/// The version counters of store 1 and of stock anywhere, as the other processes read them.
async fn versions(redis_url: &str, prefix: &str) -> (Option<i64>, Option<i64>) {
    let client = redis::Client::open(redis_url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("MGET")
        .arg(format!("{prefix}:v:store:1"))
        .arg(format!("{prefix}:v:stock"))
        .query_async(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_worker_applies_the_invalidation_a_cut_off_server_could_not() {
    let setup = Setup::new().await;
    let prefix = setup.db.name.clone();
    // The server's view of Redis: nothing answers. The worker's (below): the real one.
    let cut_off = Redis::connect(&format!("redis://127.0.0.1:{}", dead_port()), &prefix).unwrap();
    let request = PlaceOrder {
        store_id: 1,
        items: vec![RequestedItem {
            product_id: 1,
            quantity_requested: 2,
        }],
    };
    let placed = place_order_invalidating(&setup.postgres, &cut_off, &setup.postgres, &request, None)
        .await
        .unwrap();
    assert_eq!(placed.order.status, OrderStatus::Confirmed);
    let order_id = placed.order.id.get();
    let job =
        format!("SELECT count(*) FROM outbox WHERE kind = 'cache_invalidation' AND order_id = {order_id}");
    assert_eq!(setup.count(&job).await, 1);
    assert_eq!(versions(&setup.redis_url, &prefix).await, (None, None));

    drain(&setup.worker("w")).await;

    assert_eq!(
        versions(&setup.redis_url, &prefix).await,
        (Some(1), Some(1)),
        "the worker bumped the order's store and stock versions"
    );
    assert_eq!(
        setup.count(&format!("{job} AND completed_at IS NOT NULL")).await,
        1
    );
    // The confirmation went out as usual, once.
    assert_eq!(setup.emails_for(order_id).await, 1);
}
