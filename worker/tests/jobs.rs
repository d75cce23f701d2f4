//! The job pipeline on real Postgres and Redis: outbox → relay → Redis Streams → worker.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use aforro_adapters::test_redis::RedisProcess;
use aforro_core::jobs::SummaryRepository;
use aforro_core::orders::OrderStatus;
use aforro_worker::runner::Worker;
use chrono::NaiveDate;
use support::{drain, Setup};

#[tokio::test]
async fn a_confirmed_order_yields_exactly_one_email_even_when_delivered_twice() {
    let setup = Setup::new().await;
    let (order_id, status) = setup.order(1, &[(1, 2), (2, 1)]).await;
    assert_eq!(status, OrderStatus::Confirmed);
    assert_eq!(
        setup.count("SELECT count(*) FROM outbox").await,
        1,
        "written with the order"
    );

    let worker = setup.worker("a");
    drain(&worker).await;
    assert_eq!(setup.emails_for(order_id).await, 1);
    let listing_items = setup
        .count(&format!(
            "SELECT count(*) FROM sent_emails WHERE order_id = {order_id}
             AND body LIKE '%2 × Green Tea%' AND body LIKE '%1 × Oolong%'
             AND subject LIKE 'Order {order_id} confirmed%'"
        ))
        .await;
    assert_eq!(listing_items, 1, "the message lists the items");
    assert_eq!(
        setup
            .count("SELECT count(*) FROM outbox WHERE completed_at IS NOT NULL")
            .await,
        1
    );

    // The same job delivered again (a lost ack, a republish): no second email.
    setup
        .db
        .run_sql("UPDATE outbox SET completed_at = NULL, published_at = now() - interval '1 hour'")
        .await;
    let mut impatient = setup.worker("b");
    impatient.republish_after = Duration::from_secs(1);
    drain(&impatient).await;
    assert_eq!(setup.emails_for(order_id).await, 1);
    assert_eq!(
        setup
            .count("SELECT count(*) FROM outbox WHERE completed_at IS NOT NULL")
            .await,
        1
    );
}

#[tokio::test]
async fn a_rejected_order_yields_no_job_and_no_email() {
    let setup = Setup::new().await;
    let (order_id, status) = setup.order(1, &[(2, 4)]).await;
    assert_eq!(status, OrderStatus::Rejected);
    drain(&setup.worker("a")).await;
    assert_eq!(setup.count("SELECT count(*) FROM outbox").await, 0);
    assert_eq!(setup.emails_for(order_id).await, 0);
}

#[tokio::test]
async fn a_job_a_consumer_never_acknowledges_is_taken_over_and_done_once() {
    let setup = Setup::new().await;
    let (order_id, _) = setup.order(1, &[(1, 1)]).await;
    let dying = setup.worker("dying");
    dying.relay_pass().await.unwrap();
    // "dying" receives the job and then never acknowledges it (killed mid-job).
    let taken = dying
        .queue
        .receive("dying", 1, Duration::from_millis(100))
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);

    let survivor = setup.worker("survivor");
    assert_eq!(
        survivor.reclaim_pass().await.unwrap(),
        0,
        "not idle long enough yet"
    );
    assert!(
        !survivor.work_pass(Duration::from_millis(50)).await.unwrap(),
        "not delivered twice"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(survivor.reclaim_pass().await.unwrap(), 1);
    assert_eq!(setup.emails_for(order_id).await, 1);
    // Nothing is left pending and nothing more arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(survivor.reclaim_pass().await.unwrap(), 0);
    assert_eq!(setup.emails_for(order_id).await, 1);
}

#[tokio::test]
async fn several_workers_at_once_send_each_confirmation_once() {
    let setup = Setup::new().await;
    let mut orders = Vec::new();
    for _ in 0..40 {
        orders.push(setup.order(1, &[(1, 1)]).await.0);
    }
    let workers: Vec<Worker> = (0..4).map(|i| setup.worker(&format!("w{i}"))).collect();
    // Every worker relays and consumes at once until the queue stays empty for it.
    let runs = workers.iter().map(|w| async move {
        let mut idle = 0;
        while idle < 5 {
            w.relay_pass().await.unwrap();
            idle = if w.work_pass(Duration::from_millis(20)).await.unwrap() {
                0
            } else {
                idle + 1
            };
        }
    });
    futures_join_all(runs).await;
    assert_eq!(setup.count("SELECT count(*) FROM sent_emails").await, 40);
    assert_eq!(
        setup
            .count("SELECT count(DISTINCT order_id) FROM sent_emails")
            .await,
        40
    );
    assert_eq!(
        setup
            .count("SELECT count(*) FROM outbox WHERE completed_at IS NULL")
            .await,
        0
    );
}

async fn futures_join_all<F: std::future::Future<Output = ()>>(futures: impl IntoIterator<Item = F>) {
    let handles: Vec<_> = futures.into_iter().collect();
    let mut pinned: Vec<_> = handles.into_iter().map(Box::pin).collect();
    // Poll all together (no extra dependency for join_all).
    std::future::poll_fn(|cx| {
        pinned.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if pinned.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

#[tokio::test]
async fn jobs_written_while_redis_is_down_are_published_when_it_returns() {
    let redis = RedisProcess::start().await;
    let setup = Setup::with_redis(redis.url()).await;
    let worker = setup.worker("a");
    let port = redis.stop();

    let (order_id, _) = setup.order(1, &[(1, 1)]).await;
    assert!(worker.relay_pass().await.is_err(), "the broker is down");
    assert_eq!(
        setup
            .count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .await,
        1,
        "the claim is released: the job waits in the outbox"
    );

    let _redis = RedisProcess::start_on(port).await;
    // The adapter's breaker retries Redis a second after the failure.
    let mut published = 0;
    for _ in 0..30 {
        if let Ok(n) = worker.relay_pass().await {
            published = n;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(published, 1);
    drain(&worker).await;
    assert_eq!(setup.emails_for(order_id).await, 1);
}

#[tokio::test]
async fn a_summary_counts_the_days_orders_and_the_stock() {
    let setup = Setup::new().await;
    let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    setup.order(1, &[(1, 10)]).await; // confirmed: 100 → 90
    setup.order(1, &[(2, 1)]).await; // confirmed: 3 → 2 (low stock)
    setup.order(1, &[(3, 1)]).await; // rejected: 0 available
    setup.order(2, &[(1, 11)]).await; // rejected: 10 available
    setup.order(2, &[(1, 1)]).await; // confirmed, but moved to the day after
    setup
        .db
        .run_sql(
            "UPDATE orders SET created_at = '2026-11-24T12:00:00Z';
             UPDATE orders SET created_at = '2026-11-25T00:00:00Z' WHERE id = (SELECT max(id) FROM orders)",
        )
        .await;

    let summaries = setup.postgres.summarize_day(day, 5).await.unwrap();
    assert_eq!(summaries.len(), 2);
    let baixa = &summaries[0];
    assert_eq!(
        (
            baixa.product_count,
            baixa.total_units,
            baixa.items_at_zero,
            baixa.items_low_stock
        ),
        (3, 92, 1, 1)
    );
    assert_eq!((baixa.orders_confirmed, baixa.orders_rejected), (2, 1));
    let ribeira = &summaries[1];
    assert_eq!((ribeira.product_count, ribeira.total_units), (1, 9));
    assert_eq!((ribeira.orders_confirmed, ribeira.orders_rejected), (0, 1));

    // Re-running the day replaces its rows.
    setup.postgres.summarize_day(day, 5).await.unwrap();
    assert_eq!(setup.count("SELECT count(*) FROM inventory_summaries").await, 2);

    // The same job through the queue, as the scheduler enqueues it.
    let scheduler = aforro_worker::schedule::Scheduler {
        outbox: Arc::new(setup.postgres.clone()),
        schedule: aforro_worker::schedule::SummarySchedule::parse("5 0 * * *").unwrap(),
        retention: Arc::new(setup.postgres.clone()),
        retention_policy: Default::default(),
        metrics: None,
    };
    let next_day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    assert!(scheduler.enqueue_summary(next_day).await.unwrap());
    assert!(
        !scheduler.enqueue_summary(next_day).await.unwrap(),
        "one job per day"
    );
    drain(&setup.worker("a")).await;
    assert_eq!(
        setup
            .count(
                "SELECT orders_confirmed FROM inventory_summaries WHERE store_id = 2 AND day = '2026-11-25'"
            )
            .await,
        1
    );
}

#[tokio::test]
async fn an_unreadable_message_is_dead_lettered_not_redelivered() {
    let setup = Setup::new().await;
    let worker = setup.worker("a");
    assert!(
        !worker.work_pass(Duration::from_millis(10)).await.unwrap(),
        "creates the group"
    );
    let redis = setup.redis();
    let mut conn = redis.connection().await.unwrap();
    let stream = redis.keys().jobs();
    redis::cmd("XADD")
        .arg(&stream)
        .arg("*")
        .arg("job")
        .arg("not json")
        .query_async::<String>(&mut *conn)
        .await
        .unwrap();
    assert!(
        !worker.work_pass(Duration::from_millis(50)).await.unwrap(),
        "nothing runnable"
    );
    let dead: i64 = redis::cmd("XLEN")
        .arg(redis.keys().jobs_dead())
        .query_async(&mut *conn)
        .await
        .unwrap();
    let left: i64 = redis::cmd("XLEN")
        .arg(&stream)
        .query_async(&mut *conn)
        .await
        .unwrap();
    assert_eq!((dead, left), (1, 0));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        worker.reclaim_pass().await.unwrap(),
        0,
        "acknowledged: never delivered again"
    );
}
