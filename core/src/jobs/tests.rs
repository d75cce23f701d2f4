//! Job pipeline rules against mocks: relay, confirmation rendering, retry and dead-letter.

use std::time::Duration;

use chrono::{TimeZone, Utc};

use super::*;
use crate::cache::{MockCache, Scope};
use crate::orders::{MockOrderRepository, Order, OrderLine, OrderStatus, Quantity};
use crate::{Error, OrderId, ProductId, StoreId};

fn order(status: OrderStatus) -> Order {
    Order {
        id: OrderId::new(41).unwrap(),
        store_id: StoreId::new(3).unwrap(),
        status,
        created_at: Utc.with_ymd_and_hms(2026, 11, 24, 16, 20, 5).unwrap(),
        cancellation: None,
        lines: vec![
            OrderLine {
                product_id: ProductId::new(10).unwrap(),
                product_title: "Green Tea".into(),
                quantity_requested: Quantity::new(2).unwrap(),
                quantity_available: 5,
            },
            OrderLine {
                product_id: ProductId::new(11).unwrap(),
                product_title: "Oolong".into(),
                quantity_requested: Quantity::new(1).unwrap(),
                quantity_available: 1,
            },
        ],
    }
}

fn mail() -> MailSettings {
    MailSettings {
        from: "shop@aforro.test".into(),
        to: "customer@aforro.test".into(),
    }
}

fn delivery(attempt: u32) -> Delivery {
    Delivery {
        id: "1-0".into(),
        outbox_id: 7,
        job: Job::OrderConfirmation {
            order_id: OrderId::new(41).unwrap(),
        },
        attempt,
        origin: JobOrigin::default(),
    }
}

#[test]
fn the_confirmation_lists_every_line_and_the_totals() {
    let message = render_order_confirmation(&order(OrderStatus::Confirmed), &mail()).unwrap();
    assert_eq!(message.subject, "Order 41 confirmed: 3 item(s)");
    assert!(message.body.contains("2 × Green Tea"), "{}", message.body);
    assert!(message.body.contains("1 × Oolong"), "{}", message.body);
    assert!(
        message.body.contains("2 line(s), 3 unit(s) in total"),
        "{}",
        message.body
    );
    assert_eq!(message.to, "customer@aforro.test");
    assert!(render_order_confirmation(&order(OrderStatus::Rejected), &mail()).is_none());
}

#[test]
fn backoff_doubles_and_is_capped() {
    let policy = RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_secs(2),
        max_delay: Duration::from_secs(10),
    };
    let delays: Vec<u64> = (0..5).map(|a| policy.backoff(a).as_secs()).collect();
    assert_eq!(delays, [2, 4, 8, 10, 10]);
    assert_eq!(policy.backoff(u32::MAX), Duration::from_secs(10));
}

#[test]
fn jobs_round_trip_through_json() {
    let job = Job::InventorySummary {
        day: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
    };
    let text = serde_json::to_string(&job).unwrap();
    assert_eq!(text, r#"{"kind":"inventory_summary","day":"2026-11-24"}"#);
    assert_eq!(serde_json::from_str::<Job>(&text).unwrap(), job);
    assert!(serde_json::from_str::<Job>(r#"{"kind":"order_confirmation","order_id":0}"#).is_err());
}

#[tokio::test]
async fn the_relay_releases_its_claim_when_the_queue_is_down() {
    let entries = vec![OutboxEntry {
        id: 7,
        job: delivery(0).job,
        origin: JobOrigin::default(),
    }];
    let mut outbox = MockOutbox::new();
    outbox
        .expect_claim_for_publishing()
        .return_once(move |_, _, _| Ok(entries));
    outbox
        .expect_release()
        .withf(|ids| ids == [7])
        .times(1)
        .returning(|_| Ok(()));
    let mut queue = MockJobQueue::new();
    queue.expect_oldest_queued().returning(|| Ok(None));
    queue
        .expect_publish()
        .return_once(|_| Err(Error::Unavailable("redis down".into())));
    let result = relay_outbox(&outbox, &queue, 100, Duration::from_secs(600)).await;
    assert!(matches!(result, Err(Error::Unavailable(_))));
}

#[tokio::test]
async fn the_relay_republishes_only_what_is_older_than_the_queues_oldest_message() {
    let oldest = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
    let mut queue = MockJobQueue::new();
    queue.expect_oldest_queued().returning(move || Ok(Some(oldest)));
    queue.expect_publish().never();
    let mut outbox = MockOutbox::new();
    outbox
        .expect_claim_for_publishing()
        .withf(move |limit, after, since| {
            *limit == 100
                && *after == Duration::from_secs(600)
                && *since == Some(oldest - chrono::Duration::seconds(60))
        })
        .times(1)
        .returning(|_, _, _| Ok(vec![]));
    assert_eq!(
        relay_outbox(&outbox, &queue, 100, Duration::from_secs(600))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn the_relay_publishes_what_it_claims() {
    let mut outbox = MockOutbox::new();
    outbox.expect_claim_for_publishing().return_once(|_, _, _| {
        Ok(vec![OutboxEntry {
            id: 7,
            job: delivery(0).job,
            origin: JobOrigin::default(),
        }])
    });
    outbox.expect_release().never();
    let mut queue = MockJobQueue::new();
    queue.expect_oldest_queued().returning(|| Ok(None));
    queue
        .expect_publish()
        .withf(|entries| entries.len() == 1 && entries[0].id == 7)
        .times(1)
        .returning(|_| Ok(()));
    assert_eq!(
        relay_outbox(&outbox, &queue, 100, Duration::from_secs(600))
            .await
            .unwrap(),
        1
    );
}

struct Deps {
    orders: MockOrderRepository,
    mailer: MockMailer,
    summaries: MockSummaryRepository,
    cache: MockCache,
    mail: MailSettings,
}

impl Deps {
    fn new(found: Option<Order>) -> Self {
        let mut orders = MockOrderRepository::new();
        orders.expect_get_order().returning(move |_| Ok(found.clone()));
        Self {
            orders,
            mailer: MockMailer::new(),
            summaries: MockSummaryRepository::new(),
            cache: MockCache::new(),
            mail: mail(),
        }
    }

    fn ctx(&self) -> JobContext<'_> {
        JobContext {
            orders: &self.orders,
            mailer: &self.mailer,
            summaries: &self.summaries,
            cache: &self.cache,
            mail: &self.mail,
            low_stock_threshold: 5,
            concurrency: 4,
        }
    }
}

#[tokio::test]
async fn a_sent_confirmation_completes_then_acknowledges() {
    let mut deps = Deps::new(Some(order(OrderStatus::Confirmed)));
    deps.mailer
        .expect_send_order_confirmation()
        .times(1)
        .returning(|_, _| Ok(Sent::Now));
    let mut seq = mockall::Sequence::new();
    let mut outbox = MockOutbox::new();
    let mut queue = MockJobQueue::new();
    outbox
        .expect_mark_completed()
        .withf(|id| *id == 7)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    queue
        .expect_ack()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    let outcome = process_delivery(
        &delivery(0),
        &queue,
        &outbox,
        &deps.ctx(),
        &RetryPolicy::default(),
    )
    .await
    .unwrap();
    assert_eq!(outcome, Processed::Done);
}

#[tokio::test]
async fn a_failure_is_retried_with_backoff_then_dead_lettered() {
    let policy = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(60),
    };
    let failing = || {
        let mut deps = Deps::new(Some(order(OrderStatus::Confirmed)));
        deps.mailer
            .expect_send_order_confirmation()
            .returning(|_, _| Err(Error::Unavailable("smtp down".into())));
        deps
    };
    let deps = failing();
    let mut queue = MockJobQueue::new();
    queue
        .expect_retry_later()
        .withf(|_, delay| *delay == Duration::from_secs(2))
        .times(1)
        .returning(|_, _| Ok(()));
    let outbox = MockOutbox::new();
    let outcome = process_delivery(&delivery(1), &queue, &outbox, &deps.ctx(), &policy)
        .await
        .unwrap();
    assert_eq!(outcome, Processed::Retrying(Duration::from_secs(2)));

    // The third failed attempt is the last.
    let deps = failing();
    let mut queue = MockJobQueue::new();
    queue.expect_retry_later().never();
    queue
        .expect_dead_letter()
        .withf(|_, error| error.contains("smtp down"))
        .times(1)
        .returning(|_, _| Ok(()));
    let mut outbox = MockOutbox::new();
    outbox
        .expect_mark_dead()
        .withf(|id, _| *id == 7)
        .times(1)
        .returning(|_, _| Ok(()));
    let outcome = process_delivery(&delivery(2), &queue, &outbox, &deps.ctx(), &policy)
        .await
        .unwrap();
    assert_eq!(outcome, Processed::Dead);
}

#[tokio::test]
async fn a_missing_order_is_dead_lettered_at_once() {
    let deps = Deps::new(None);
    let mut queue = MockJobQueue::new();
    queue.expect_dead_letter().times(1).returning(|_, _| Ok(()));
    let mut outbox = MockOutbox::new();
    outbox.expect_mark_dead().times(1).returning(|_, _| Ok(()));
    let outcome = process_delivery(
        &delivery(0),
        &queue,
        &outbox,
        &deps.ctx(),
        &RetryPolicy::default(),
    )
    .await
    .unwrap();
    assert_eq!(outcome, Processed::Dead);
}

#[tokio::test]
async fn a_rejected_order_sends_nothing_and_completes() {
    let deps = Deps::new(Some(order(OrderStatus::Rejected)));
    let mut queue = MockJobQueue::new();
    queue.expect_ack().times(1).returning(|_| Ok(()));
    let mut outbox = MockOutbox::new();
    outbox.expect_mark_completed().times(1).returning(|_| Ok(()));
    // deps.mailer has no expectation: a call would panic.
    let outcome = process_delivery(
        &delivery(0),
        &queue,
        &outbox,
        &deps.ctx(),
        &RetryPolicy::default(),
    )
    .await
    .unwrap();
    assert_eq!(outcome, Processed::Done);
}

#[tokio::test]
async fn a_settling_failure_leaves_the_delivery_unacknowledged() {
    let mut deps = Deps::new(Some(order(OrderStatus::Confirmed)));
    deps.mailer
        .expect_send_order_confirmation()
        .returning(|_, _| Ok(Sent::Before));
    let mut queue = MockJobQueue::new();
    queue.expect_ack().never();
    let mut outbox = MockOutbox::new();
    outbox
        .expect_mark_completed()
        .returning(|_| Err(Error::Unavailable("db down".into())));
    let result = process_delivery(
        &delivery(0),
        &queue,
        &outbox,
        &deps.ctx(),
        &RetryPolicy::default(),
    )
    .await;
    assert!(matches!(result, Err(Error::Unavailable(_))));
}

#[tokio::test]
async fn a_cache_invalidation_job_bumps_its_stores_stock() {
    let invalidation = Job::CacheInvalidation {
        store_id: StoreId::new(3).unwrap(),
    };
    let mut deps = Deps::new(None);
    deps.cache
        .expect_bump()
        .withf(|scopes| scopes == [Scope::Store(StoreId::new(3).unwrap()), Scope::Stock])
        .times(1)
        .returning(|_| Ok(()));
    run_job(&invalidation, &deps.ctx()).await.unwrap();

    // A failed bump fails the job, so that it is retried.
    let mut deps = Deps::new(None);
    deps.cache
        .expect_bump()
        .returning(|_| Err(Error::Unavailable("redis down".into())));
    assert!(matches!(
        run_job(&invalidation, &deps.ctx()).await,
        Err(Error::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_catalogue_invalidation_job_bumps_the_catalogue() {
    let mut deps = Deps::new(None);
    deps.cache
        .expect_bump()
        .withf(|scopes| scopes == [Scope::Catalogue])
        .times(1)
        .returning(|_| Ok(()));
    run_job(&Job::CatalogueInvalidation, &deps.ctx()).await.unwrap();
    assert_eq!(Job::CatalogueInvalidation.kind(), "catalogue_invalidation");
    // What the queue carries: the kind alone.
    assert_eq!(
        serde_json::to_string(&Job::CatalogueInvalidation).unwrap(),
        r#"{"kind":"catalogue_invalidation"}"#
    );
}
