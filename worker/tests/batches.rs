//! Batches on real Postgres and Redis: a poison message dies alone, two workers share a
//! backlog without duplicates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use support::Setup;

async fn xlen(setup: &Setup, key: &str) -> i64 {
    let redis = setup.redis();
    let mut conn = redis.connection().await.unwrap();
    redis::cmd("XLEN").arg(key).query_async(&mut *conn).await.unwrap()
}

#[tokio::test]
async fn a_batch_with_poison_messages_dead_letters_them_alone_and_does_the_rest() {
    let setup = Setup::new().await;
    setup.bulk_orders(1, 5).await;
    // Poison 1: an order without lines cannot be loaded (not found: dead at once).
    setup
        .db
        .run_sql(
            "INSERT INTO orders (id, store_id, status) VALUES (999, 1, 'CONFIRMED');
             INSERT INTO outbox (kind, order_id) VALUES ('order_confirmation', 999)",
        )
        .await;
    let worker = setup.worker("a");
    assert_eq!(worker.relay_pass().await.unwrap(), 6);
    // Poison 2: a message that is not a job at all.
    let redis = setup.redis();
    let mut conn = redis.connection().await.unwrap();
    redis::cmd("XADD")
        .arg(redis.keys().jobs())
        .arg("*")
        .arg("job")
        .arg("not json")
        .query_async::<String>(&mut *conn)
        .await
        .unwrap();

    // One batch takes everything.
    assert_eq!(worker.work_batch(Duration::from_millis(50)).await.unwrap(), 6);
    assert_eq!(setup.count("SELECT count(*) FROM sent_emails").await, 5);
    assert_eq!(
        setup
            .count("SELECT count(*) FROM outbox WHERE completed_at IS NOT NULL")
            .await,
        5
    );
    assert_eq!(
        setup
            .count("SELECT count(*) FROM outbox WHERE order_id = 999 AND dead_at IS NOT NULL AND completed_at IS NULL")
            .await,
        1
    );
    assert_eq!(xlen(&setup, &setup.redis().keys().jobs_dead()).await, 2);
    assert_eq!(
        xlen(&setup, &setup.redis().keys().jobs()).await,
        0,
        "every message settled"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(worker.reclaim_pass().await.unwrap(), 0, "nothing left pending");
}

#[tokio::test]
async fn two_workers_share_one_backlog_without_a_duplicate_and_both_work() {
    let setup = Setup::new().await;
    setup.bulk_orders(1, 600).await;
    let mut a = setup.worker("a");
    let mut b = setup.worker("b");
    (a.batch, b.batch) = (25, 25);
    assert_eq!(a.relay_pass().await.unwrap(), 600);
    let run = |w: &aforro_worker::runner::Worker| {
        let w = w.clone();
        tokio::spawn(async move {
            let mut taken = 0;
            loop {
                let n = w.work_batch(Duration::from_millis(50)).await.unwrap();
                if n == 0 {
                    return taken;
                }
                taken += n;
            }
        })
    };
    let (ta, tb) = (run(&a), run(&b));
    let (ta, tb) = (ta.await.unwrap(), tb.await.unwrap());
    assert_eq!(ta + tb, 600);
    assert!(ta > 0 && tb > 0, "both worked: {ta} and {tb}");
    assert_eq!(setup.count("SELECT count(*) FROM sent_emails").await, 600);
    assert_eq!(
        setup
            .count("SELECT count(DISTINCT order_id) FROM sent_emails")
            .await,
        600
    );
    assert_eq!(
        setup
            .count("SELECT count(*) FROM outbox WHERE completed_at IS NULL")
            .await,
        0
    );
    assert_eq!(xlen(&setup, &setup.redis().keys().jobs()).await, 0);
}

#[tokio::test]
async fn a_backlog_older_than_the_republish_delay_drains_without_a_repeat() {
    let setup = Setup::new().await;
    setup.bulk_orders(1, 3000).await;
    let mut worker = setup.worker("a");
    worker.republish_after = Duration::from_millis(200);
    worker.batch = 100;
    assert_eq!(worker.relay_pass().await.unwrap(), 3000);
    // Every row is now "published long ago and not done": but its message is still queued.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (mut republished, mut repeats, mut done) = (0, 0, 0);
    loop {
        republished += worker.relay_pass().await.unwrap();
        let (taken, outcome) = worker.work(Duration::from_millis(50)).await.unwrap();
        if taken == 0 {
            break;
        }
        repeats += outcome.repeats;
        done += outcome.done;
    }
    assert_eq!((republished, repeats, done), (0, 0, 3000));
    assert_eq!(setup.count("SELECT sum(publish_count) FROM outbox").await, 3000);
    assert_eq!(setup.count("SELECT count(*) FROM sent_emails").await, 3000);
}

#[tokio::test]
async fn a_job_lost_by_the_queue_is_published_again() {
    let setup = Setup::new().await;
    setup.bulk_orders(1, 3).await;
    let mut worker = setup.worker("a");
    worker.republish_after = Duration::from_millis(200);
    assert_eq!(worker.relay_pass().await.unwrap(), 3);
    // The queue loses its messages (not acknowledged, just gone): e.g. a Redis that restarted
    // without its data, or a trim.
    let redis = setup.redis();
    let mut conn = redis.connection().await.unwrap();
    redis::cmd("XTRIM")
        .arg(redis.keys().jobs())
        .arg("MAXLEN")
        .arg(0)
        .query_async::<i64>(&mut *conn)
        .await
        .unwrap();
    assert_eq!(worker.relay_pass().await.unwrap(), 0, "not stuck yet");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(worker.relay_pass().await.unwrap(), 3, "stuck: published again");
    support::drain(&worker).await;
    assert_eq!(setup.count("SELECT count(*) FROM sent_emails").await, 3);
}
