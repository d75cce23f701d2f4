//! Retention on real Postgres: only completed jobs older than the window are deleted, in small
//! batches; an expired idempotency key no longer replays.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use aforro_core::jobs::RetentionPolicy;
use aforro_core::orders::{place_order, PlaceOrder};
use aforro_worker::schedule::{Scheduler, SummarySchedule};
use support::Setup;
use tokio_util::sync::CancellationToken;

fn scheduler(setup: &Setup, batch: usize) -> Scheduler {
    Scheduler {
        outbox: Arc::new(setup.postgres.clone()),
        schedule: SummarySchedule::parse("5 0 * * *").unwrap(),
        retention: Arc::new(setup.postgres.clone()),
        retention_policy: RetentionPolicy {
            completed_jobs: Duration::from_secs(7 * 86_400),
            idempotency_keys: Duration::from_secs(86_400),
            batch,
        },
        metrics: None,
    }
}

#[tokio::test]
async fn retention_deletes_only_completed_jobs_older_than_the_window() {
    let setup = Setup::new().await;
    setup.bulk_orders(1, 2506).await;
    setup
        .db
        .run_sql(
            "UPDATE outbox SET created_at = now() - interval '30 days';
             -- 2,501 completed 8 days ago (1..=2501): deleted, in three batches.
             UPDATE outbox SET published_at = now() - interval '8 days',
                               completed_at = now() - interval '8 days' WHERE order_id <= 2501;
             -- Completed yesterday: kept.
             UPDATE outbox SET published_at = now() - interval '1 day',
                               completed_at = now() - interval '1 day' WHERE order_id = 2502;
             -- Dead a month ago: kept.
             UPDATE outbox SET published_at = now() - interval '30 days',
                               dead_at = now() - interval '30 days', last_error = 'x' WHERE order_id = 2503;
             -- Published a month ago and never done: kept (the relay republishes it).
             UPDATE outbox SET published_at = now() - interval '30 days' WHERE order_id = 2504;
             -- 2505 and 2506: never published: kept.",
        )
        .await;
    let pruned = scheduler(&setup, 1000)
        .prune(&CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(pruned.completed_jobs, 2501);
    assert_eq!(
        setup
            .count("SELECT (string_agg(order_id::text, ',' ORDER BY order_id) = '2502,2503,2504,2505,2506')::int FROM outbox")
            .await,
        1
    );
    assert_eq!(
        setup.count("SELECT count(*) FROM sent_emails").await,
        0,
        "sent emails are records: never touched (none here)"
    );
}

#[tokio::test]
async fn an_expired_idempotency_key_no_longer_replays() {
    let setup = Setup::new().await;
    let request = PlaceOrder::of(1, &[(1, 1)]);
    let first = place_order(setup.order_writer(), &request, Some("old-key"))
        .await
        .unwrap();
    let fresh = place_order(setup.order_writer(), &request, Some("fresh-key"))
        .await
        .unwrap();
    let replay = place_order(setup.order_writer(), &request, Some("old-key"))
        .await
        .unwrap();
    assert!(replay.replayed && replay.order.id == first.order.id);
    setup
        .db
        .run_sql(
            "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old-key';
             UPDATE idempotency_keys SET created_at = now() - interval '23 hours' WHERE key = 'fresh-key';
             INSERT INTO adjustment_idempotency_keys (key, fingerprint, created_at) VALUES
               ('old-adjustment', 'f', now() - interval '25 hours'),
               ('fresh-adjustment', 'f', now() - interval '1 hour')",
        )
        .await;

    let pruned = scheduler(&setup, 1000)
        .prune(&CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(pruned.idempotency_keys, 2);
    assert_eq!(
        setup
            .count("SELECT count(*) FROM adjustment_idempotency_keys WHERE key = 'fresh-adjustment'")
            .await,
        1
    );

    // After its window the key is new again: a new order, not a replay.
    let after = place_order(setup.order_writer(), &request, Some("old-key"))
        .await
        .unwrap();
    assert!(!after.replayed);
    assert_ne!(after.order.id, first.order.id);
    // Within its window a key still replays.
    let again = place_order(setup.order_writer(), &request, Some("fresh-key"))
        .await
        .unwrap();
    assert!(again.replayed && again.order.id == fresh.order.id);
}
