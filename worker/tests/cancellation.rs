//! Order cancellation on the worker's side, on real Postgres and Redis: the cancellation email
//! through outbox → relay → Redis Streams → worker, recorded exactly once. (A worker killed
//! mid-batch of cancellations: process.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use aforro_core::orders::OrderStatus;
use aforro_worker::metered::MeteredQueue;
use aforro_worker::metrics::WorkerMetrics;
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
