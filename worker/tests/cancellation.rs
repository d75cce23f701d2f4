//! Order cancellation on the worker's side, on real Postgres and Redis: the cancellation email
//! through outbox → relay → Redis Streams → worker, recorded exactly once; and the daily
//! summary's cancelled orders and returned units. (A worker killed mid-batch of cancellations:
//! process.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use aforro_core::jobs::{InventorySummary, SummaryRepository};
use aforro_core::orders::OrderStatus;
use aforro_worker::metered::MeteredQueue;
use aforro_worker::metrics::WorkerMetrics;
use chrono::NaiveDate;
use support::{drain, Setup};

#[tokio::test]
async fn a_cancelled_orders_email_is_recorded_exactly_once_even_when_delivered_twice() {
    let setup = Setup::new().await;
    let (order_id, status) = setup.order(1, &[(1, 2), (2, 1)]).await;
    assert_eq!(status, OrderStatus::Confirmed);
    let worker = setup.worker("a");
    drain(&worker).await;
    assert_eq!(setup.emails_for(order_id).await, 1, "confirmed first");

    setup.cancel(order_id, Some("customer phoned")).await;
    let jobs =
        format!("SELECT count(*) FROM outbox WHERE kind = 'order_cancellation' AND order_id = {order_id}");
    assert_eq!(setup.count(&jobs).await, 1, "written with the cancellation");
    drain(&worker).await;
    assert_eq!(setup.cancellation_emails_for(order_id).await, 1);
    let as_rendered = setup
        .count(&format!(
            "SELECT count(*) FROM sent_cancellation_emails WHERE order_id = {order_id}
             AND subject = 'Order {order_id} cancelled: 3 item(s) given back'
             AND body LIKE '%was cancelled by test on %' AND body LIKE '%2 × Green Tea%'
             AND body LIKE '%1 × Oolong%' AND body LIKE '%Note: customer phoned%'
             AND transport = 'log'"
        ))
        .await;
    assert_eq!(
        as_rendered, 1,
        "the message lists the units given back, who and the note"
    );
    assert_eq!(
        setup.emails_for(order_id).await,
        1,
        "not taken for the confirmation"
    );

    // The same job delivered again (a lost ack, a republish): no second email.
    setup
        .db
        .run_sql(
            "UPDATE outbox SET completed_at = NULL, published_at = now() - interval '1 hour'
             WHERE kind = 'order_cancellation'",
        )
        .await;
    let mut impatient = setup.worker("b");
    impatient.republish_after = Duration::from_secs(1);
    drain(&impatient).await;
    assert_eq!(setup.cancellation_emails_for(order_id).await, 1);
    assert_eq!(
        setup
            .count("SELECT count(*) FROM outbox WHERE completed_at IS NULL")
            .await,
        0,
        "both jobs done"
    );
}

#[tokio::test]
async fn an_order_cancelled_before_its_confirmation_went_out_gets_both_emails_once_in_order() {
    let setup = Setup::new().await;
    let (order_id, _) = setup.order(1, &[(1, 2)]).await;
    setup.cancel(order_id, None).await;
    // Both jobs in one batch: the confirmation, then the cancellation.
    drain(&setup.worker("a")).await;
    let confirmation = format!(
        "SELECT count(*) FROM sent_emails WHERE order_id = {order_id}
         AND body LIKE '%was confirmed. It has since been cancelled%'"
    );
    assert_eq!(setup.count(&confirmation).await, 1, "says it was cancelled since");
    assert_eq!(setup.cancellation_emails_for(order_id).await, 1);
    let in_order = setup
        .count(
            "SELECT count(*) FROM sent_emails e JOIN sent_cancellation_emails c USING (order_id)
             WHERE e.sent_at <= c.sent_at",
        )
        .await;
    assert_eq!(in_order, 1, "the confirmation is recorded first");
}

#[tokio::test]
async fn a_cancellation_job_is_counted_under_its_own_kind() {
    let setup = Setup::new().await;
    let metrics = WorkerMetrics::new().unwrap();
    let mut worker = setup.worker("metered");
    worker.queue = Arc::new(MeteredQueue {
        inner: setup.redis(),
        metrics: metrics.clone(),
    });
    let (order_id, _) = setup.order(1, &[(1, 1)]).await;
    setup.cancel(order_id, None).await;
    drain(&worker).await;
    let text = metrics.render().unwrap();
    for kind in ["order_confirmation", "order_cancellation"] {
        let done = format!(r#"aforro_jobs_total{{kind="{kind}",outcome="done"}} 1"#);
        assert!(text.contains(&done), "{done} in:\n{text}");
        let latency = format!(r#"aforro_job_latency_seconds_count{{kind="{kind}"}} 1"#);
        assert!(text.contains(&latency), "{latency} in:\n{text}");
    }
}

fn day(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

/// (confirmed, rejected, cancelled, units returned) of each store, in store order.
fn order_counts(summaries: &[InventorySummary]) -> Vec<(u64, u64, u64, u64)> {
    summaries
        .iter()
        .map(|s| {
            (
                s.orders_confirmed,
                s.orders_rejected,
                s.orders_cancelled,
                s.units_returned,
            )
        })
        .collect()
}

#[tokio::test]
async fn a_summary_counts_orders_on_the_day_they_were_placed_and_cancellations_on_theirs() {
    let setup = Setup::new().await;
    let monday = day("2026-11-23");
    let tuesday = day("2026-11-24");
    let wednesday = day("2026-11-25");
    // Store 1 (stock: product 1 × 100, product 2 × 3, product 3 × 0); store 2 (product 1 × 10).
    let (_, status) = setup.order(1, &[(1, 10)]).await; // Tuesday, stays confirmed
    assert_eq!(status, OrderStatus::Confirmed);
    let same_day = setup.order(1, &[(1, 4), (2, 1)]).await.0; // Tuesday, cancelled Tuesday
    let (_, status) = setup.order(1, &[(3, 1)]).await; // Tuesday, rejected
    assert_eq!(status, OrderStatus::Rejected);
    let from_monday = setup.order(1, &[(1, 7)]).await.0; // Monday, cancelled Tuesday 00:00
    let next_day = setup.order(1, &[(1, 2)]).await.0; // Tuesday, cancelled Wednesday 00:00
    let other_store = setup.order(2, &[(1, 1)]).await.0; // Tuesday, cancelled Tuesday
    for order_id in [same_day, from_monday, other_store] {
        setup.cancel(order_id, None).await;
    }
    setup
        .db
        .run_sql(&format!(
            "UPDATE orders SET created_at = '2026-11-24T12:00:00Z';
             UPDATE orders SET created_at = '2026-11-23T10:00:00Z' WHERE id = {from_monday};
             UPDATE orders SET cancelled_at = '2026-11-24T18:00:00Z' WHERE id IN ({same_day}, {other_store});
             UPDATE orders SET cancelled_at = '2026-11-24T00:00:00Z' WHERE id = {from_monday}"
        ))
        .await;

    let before = setup.postgres.summarize_day(tuesday, 5).await.unwrap();
    // Store 1: confirmed = the kept one, same_day and next_day (placed Tuesday; same_day's
    // cancellation does not undo its confirmation); cancelled = same_day and from_monday, 5 + 7
    // units. Store 2: other_store, confirmed and cancelled the same day.
    assert_eq!(order_counts(&before), [(3, 1, 2, 12), (1, 0, 1, 1)]);
    // The stock as it stands: product 1 at 100 − 10 (kept) − 2 (next_day), product 2 back to 3
    // (low), product 3 at 0.
    let baixa = &before[0];
    assert_eq!(
        (baixa.total_units, baixa.items_at_zero, baixa.items_low_stock),
        (88 + 3, 1, 1)
    );

    // A cancellation on Wednesday of an order placed on Tuesday: Tuesday's orders are as they
    // were, re-run or not; the cancellation counts on Wednesday.
    setup.cancel(next_day, Some("changed their mind")).await;
    setup
        .db
        .run_sql(&format!(
            "UPDATE orders SET cancelled_at = '2026-11-25T00:00:00Z' WHERE id = {next_day}"
        ))
        .await;
    let after = setup.postgres.summarize_day(tuesday, 5).await.unwrap();
    assert_eq!(order_counts(&after), order_counts(&before));
    assert_eq!(after[0].total_units, 93, "the stock is the stock now");
    let wednesdays = setup.postgres.summarize_day(wednesday, 5).await.unwrap();
    assert_eq!(order_counts(&wednesdays), [(0, 0, 1, 2), (0, 0, 0, 0)]);
    let mondays = setup.postgres.summarize_day(monday, 5).await.unwrap();
    assert_eq!(order_counts(&mondays), [(1, 0, 0, 0), (0, 0, 0, 0)]);

    // Stored as returned, and read back by the API's port.
    let stored = setup
        .postgres
        .find_summary(after[0].store_id, Some(tuesday))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.orders_cancelled, stored.units_returned), (2, 12));
}
