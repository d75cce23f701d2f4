//! Batches against mocks: one load, one record, one completion, one ack; a failing job is
//! settled alone; sends are bounded.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};

use super::*;
use crate::cache::MockCache;
use crate::orders::{MockOrderRepository, Order, OrderLine, OrderStatus, Quantity};
use crate::{Error, OrderId, ProductId, Result, StoreId};

pub(super) fn order_id(raw: i64) -> OrderId {
    OrderId::new(raw).unwrap()
}

fn order(id: i64) -> Order {
    Order {
        id: order_id(id),
        store_id: StoreId::new(3).unwrap(),
        status: OrderStatus::Confirmed,
        created_at: Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap(),
        cancellation: None,
        lines: vec![OrderLine {
            product_id: ProductId::new(10).unwrap(),
            product_title: "Green Tea".into(),
            quantity_requested: Quantity::new(1).unwrap(),
            quantity_available: 5,
        }],
    }
}

/// Deliveries of confirmations of these orders; outbox ids 1, 2, …
fn deliveries(orders: &[i64]) -> Vec<Delivery> {
    orders
        .iter()
        .enumerate()
        .map(|(i, &id)| Delivery {
            id: format!("{}-0", i + 1),
            outbox_id: i as i64 + 1,
            job: Job::OrderConfirmation {
                order_id: order_id(id),
            },
            attempt: 0,
            origin: JobOrigin::default(),
        })
        .collect()
}

pub(super) fn mail() -> MailSettings {
    MailSettings {
        from: "shop@aforro.test".into(),
        to: "customer@aforro.test".into(),
    }
}

pub(super) async fn run(
    batch: &[Delivery],
    orders: &MockOrderRepository,
    mailer: &dyn Mailer,
    queue: &MockJobQueue,
    outbox: &MockOutbox,
) -> Result<BatchOutcome> {
    let (summaries, cache, mail) = (MockSummaryRepository::new(), MockCache::new(), mail());
    let ctx = JobContext {
        orders,
        mailer,
        summaries: &summaries,
        cache: &cache,
        mail: &mail,
        low_stock_threshold: 5,
        concurrency: 4,
    };
    let policy = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(60),
    };
    process_batch(batch, queue, outbox, &ctx, &policy).await
}

#[tokio::test]
async fn a_batch_is_loaded_recorded_completed_and_acknowledged_at_once_and_a_poison_job_dies_alone() {
    // Order 43 does not exist: its job is dead-lettered, the other two are done.
    let batch = deliveries(&[41, 42, 43]);
    let mut orders = MockOrderRepository::new();
    orders
        .expect_get_orders()
        .withf(|ids| ids == [order_id(41), order_id(42), order_id(43)])
        .times(1)
        .returning(|_| Ok(vec![order(42), order(41)]));
    orders.expect_get_order().never();
    let mut mailer = MockMailer::new();
    mailer
        .expect_send_order_confirmations()
        .withf(|messages, concurrency| {
            messages.iter().map(|(id, _)| id.get()).eq([41, 42]) && *concurrency == 4
        })
        .times(1)
        .returning(|_, _| vec![Ok(Sent::Now), Ok(Sent::Before)]);
    mailer.expect_send_order_confirmation().never();
    let mut queue = MockJobQueue::new();
    let mut outbox = MockOutbox::new();
    queue
        .expect_dead_letter()
        .withf(|d, error| d.outbox_id == 3 && error.contains("not found"))
        .times(1)
        .returning(|_, _| Ok(()));
    outbox
        .expect_mark_dead()
        .withf(|id, _| *id == 3)
        .times(1)
        .returning(|_, _| Ok(()));
    let mut seq = mockall::Sequence::new();
    outbox
        .expect_mark_all_completed()
        .withf(|ids| ids == [1, 2])
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    queue
        .expect_ack_all()
        .withf(|done| done.iter().map(|d| d.id.as_str()).eq(["1-0", "2-0"]))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    outbox.expect_mark_completed().never();
    queue.expect_ack().never();

    let outcome = run(&batch, &orders, &mailer, &queue, &outbox).await.unwrap();
    assert_eq!(
        outcome,
        BatchOutcome {
            done: 2,
            retrying: 0,
            dead: 1,
            repeats: 1
        }
    );
}

#[tokio::test]
async fn a_failed_send_is_retried_alone_and_a_second_delivery_in_the_batch_runs_after() {
    // Order 41 twice in one batch (a republished job): batched once, then run alone.
    let batch = deliveries(&[41, 42, 41]);
    let mut orders = MockOrderRepository::new();
    orders
        .expect_get_orders()
        .withf(|ids| ids == [order_id(41), order_id(42)])
        .returning(|_| Ok(vec![order(41), order(42)]));
    orders
        .expect_get_order()
        .withf(|id| id.get() == 41)
        .times(1)
        .returning(|_| Ok(Some(order(41))));
    let mut mailer = MockMailer::new();
    mailer
        .expect_send_order_confirmations()
        .times(1)
        .returning(|_, _| vec![Ok(Sent::Now), Err(Error::Unavailable("smtp down".into()))]);
    mailer
        .expect_send_order_confirmation()
        .times(1)
        .returning(|_, _| Ok(Sent::Before));
    let mut queue = MockJobQueue::new();
    let mut outbox = MockOutbox::new();
    queue
        .expect_retry_later()
        .withf(|d, delay| d.outbox_id == 2 && *delay == Duration::from_secs(1))
        .times(1)
        .returning(|_, _| Ok(()));
    outbox
        .expect_mark_all_completed()
        .withf(|ids| ids == [1, 3])
        .times(1)
        .returning(|_| Ok(()));
    queue.expect_ack_all().times(1).returning(|_| Ok(()));
    let outcome = run(&batch, &orders, &mailer, &queue, &outbox).await.unwrap();
    assert_eq!(
        outcome,
        BatchOutcome {
            done: 2,
            retrying: 1,
            dead: 0,
            repeats: 1
        }
    );
}

#[tokio::test]
async fn when_the_batch_load_fails_each_order_is_loaded_alone() {
    let batch = deliveries(&[41, 42]);
    let mut orders = MockOrderRepository::new();
    orders
        .expect_get_orders()
        .returning(|_| Err(Error::internal("a row that cannot be read")));
    orders.expect_get_order().returning(|id| {
        if id.get() == 41 {
            Ok(Some(order(41)))
        } else {
            Err(Error::Unavailable("db down".into()))
        }
    });
    let mut mailer = MockMailer::new();
    mailer
        .expect_send_order_confirmations()
        .withf(|messages, _| messages.len() == 1)
        .returning(|_, _| vec![Ok(Sent::Now)]);
    let mut queue = MockJobQueue::new();
    let mut outbox = MockOutbox::new();
    queue
        .expect_retry_later()
        .withf(|d, _| d.outbox_id == 2)
        .times(1)
        .returning(|_, _| Ok(()));
    outbox
        .expect_mark_all_completed()
        .withf(|ids| ids == [1])
        .times(1)
        .returning(|_| Ok(()));
    queue.expect_ack_all().times(1).returning(|_| Ok(()));
    let outcome = run(&batch, &orders, &mailer, &queue, &outbox).await.unwrap();
    assert_eq!((outcome.done, outcome.retrying), (1, 1));
}

#[tokio::test]
async fn when_completing_fails_nothing_is_acknowledged() {
    let batch = deliveries(&[41]);
    let mut orders = MockOrderRepository::new();
    orders.expect_get_orders().returning(|_| Ok(vec![order(41)]));
    let mut mailer = MockMailer::new();
    mailer
        .expect_send_order_confirmations()
        .returning(|_, _| vec![Ok(Sent::Now)]);
    let mut queue = MockJobQueue::new();
    queue.expect_ack_all().never();
    let mut outbox = MockOutbox::new();
    outbox
        .expect_mark_all_completed()
        .returning(|_| Err(Error::Unavailable("db down".into())));
    let result = run(&batch, &orders, &mailer, &queue, &outbox).await;
    assert!(matches!(result, Err(Error::Unavailable(_))));
}

/// A mailer that sends one by one, slowly, counting how many sends run at once.
#[derive(Default)]
pub(super) struct SlowMailer {
    running: AtomicUsize,
    /// The most sends that ran at once.
    pub(super) most: AtomicUsize,
}

impl SlowMailer {
    async fn send(&self) -> Result<Sent> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        Ok(Sent::Now)
    }
}

#[async_trait]
impl Mailer for SlowMailer {
    async fn send_order_confirmation(&self, _: OrderId, _: &EmailMessage) -> Result<Sent> {
        self.send().await
    }

    async fn send_order_cancellation(&self, _: OrderId, _: &EmailMessage) -> Result<Sent> {
        self.send().await
    }
}

#[tokio::test]
async fn a_mailer_that_sends_one_by_one_sends_a_batch_with_bounded_concurrency() {
    let mailer = SlowMailer::default();
    let messages: Vec<_> = (1..=10)
        .map(|id| {
            let message = render_order_confirmation(&order(id), &mail()).unwrap();
            (order_id(id), message)
        })
        .collect();
    let results = mailer.send_order_confirmations(&messages, 3).await;
    assert_eq!(results.len(), 10);
    assert!(results.iter().all(|r| matches!(r, Ok(Sent::Now))));
    assert_eq!(mailer.most.load(Ordering::SeqCst), 3);
}
