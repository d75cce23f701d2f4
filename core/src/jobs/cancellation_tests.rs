//! The cancellation email against mocks: rendering, the single job (sent once, nothing for an
//! order that is not cancelled), and cancellations in a batch beside confirmations.

use std::sync::atomic::Ordering;

use chrono::{TimeZone, Utc};

use super::batch_tests::{mail, order_id, run, SlowMailer};
use super::*;
use crate::cache::MockCache;
use crate::orders::{Cancellation, MockOrderRepository, Order, OrderLine, OrderStatus, Quantity};
use crate::{Error, ProductId, StoreId};

/// Order `id`: two lines (2 Green Tea, 1 Oolong), confirmed on 2026-11-24 and, when `status` is
/// `Cancelled`, cancelled by `till-3` the next morning with `note`.
fn order(id: i64, status: OrderStatus, note: Option<&str>) -> Order {
    let line = |product, title: &str, units| OrderLine {
        product_id: ProductId::new(product).unwrap(),
        product_title: title.into(),
        quantity_requested: Quantity::new(units).unwrap(),
        quantity_available: 5,
    };
    Order {
        id: order_id(id),
        store_id: StoreId::new(3).unwrap(),
        status,
        created_at: Utc.with_ymd_and_hms(2026, 11, 24, 16, 20, 5).unwrap(),
        lines: vec![line(10, "Green Tea", 2), line(11, "Oolong", 1)],
        cancellation: (status == OrderStatus::Cancelled).then(|| Cancellation {
            cancelled_at: Utc.with_ymd_and_hms(2026, 11, 25, 9, 30, 0).unwrap(),
            cancelled_by: "till-3".into(),
            note: note.map(str::to_owned),
        }),
    }
}

fn cancelled(id: i64) -> Order {
    order(id, OrderStatus::Cancelled, None)
}

fn cancellation_job(id: i64) -> Job {
    Job::OrderCancellation {
        order_id: order_id(id),
    }
}

/// One delivery per job; outbox ids 1, 2, …
fn deliveries(jobs: &[Job]) -> Vec<Delivery> {
    jobs.iter()
        .enumerate()
        .map(|(i, job)| Delivery {
            id: format!("{}-0", i + 1),
            outbox_id: i as i64 + 1,
            job: job.clone(),
            attempt: 0,
            origin: JobOrigin::default(),
        })
        .collect()
}

#[test]
fn the_cancellation_lists_the_units_given_back_who_cancelled_and_the_note() {
    let with_note = order(41, OrderStatus::Cancelled, Some("customer phoned"));
    let message = render_order_cancellation(&with_note, &mail()).unwrap();
    assert_eq!(message.subject, "Order 41 cancelled: 3 item(s) given back");
    let body = &message.body;
    assert!(
        body.contains("order 41 at store 3 was cancelled by till-3 on 2026-11-25 09:30 UTC"),
        "{body}"
    );
    assert!(body.contains("2 × Green Tea"), "{body}");
    assert!(body.contains("1 × Oolong"), "{body}");
    assert!(
        body.contains("2 line(s), 3 unit(s) given back to the store's stock"),
        "{body}"
    );
    assert!(body.contains("Note: customer phoned"), "{body}");
    assert!(body.contains("Placed 2026-11-24 16:20 UTC"), "{body}");
    assert_eq!(
        (message.from.as_str(), message.to.as_str()),
        ("shop@aforro.test", "customer@aforro.test")
    );

    let without_note = render_order_cancellation(&cancelled(41), &mail()).unwrap();
    assert!(!without_note.body.contains("Note:"), "{}", without_note.body);
}

#[test]
fn only_a_cancelled_order_has_a_cancellation() {
    for status in [
        OrderStatus::Confirmed,
        OrderStatus::Rejected,
        OrderStatus::Pending,
    ] {
        assert!(render_order_cancellation(&order(41, status, None), &mail()).is_none());
    }
    // A status the order's own rule forbids without its cancellation: nothing to say who.
    let inconsistent = Order {
        cancellation: None,
        ..cancelled(41)
    };
    assert!(render_order_cancellation(&inconsistent, &mail()).is_none());
}

#[test]
fn the_confirmation_of_an_order_cancelled_since_says_so() {
    let message = render_order_confirmation(&cancelled(41), &mail()).unwrap();
    assert_eq!(message.subject, "Order 41 confirmed: 3 item(s)");
    assert!(
        message
            .body
            .contains("order 41 at store 3 was confirmed. It has since been cancelled"),
        "{}",
        message.body
    );
    assert!(
        message.body.contains("2 line(s), 3 unit(s) in total"),
        "{}",
        message.body
    );
}

#[test]
fn a_cancellation_job_travels_as_its_kind_and_order() {
    let job = cancellation_job(41);
    assert_eq!(job.kind(), "order_cancellation");
    let text = serde_json::to_string(&job).unwrap();
    assert_eq!(text, r#"{"kind":"order_cancellation","order_id":41}"#);
    assert_eq!(serde_json::from_str::<Job>(&text).unwrap(), job);
}

/// Runs one cancellation delivery of order 41 against `found` and `mailer`; the outbox and
/// queue expect it done (completed, then acknowledged).
async fn run_done(found: Option<Order>, mailer: MockMailer) -> Processed {
    let mut orders = MockOrderRepository::new();
    orders
        .expect_get_order()
        .times(1)
        .returning(move |_| Ok(found.clone()));
    let (summaries, cache, mail) = (MockSummaryRepository::new(), MockCache::new(), mail());
    let ctx = JobContext {
        orders: &orders,
        mailer: &mailer,
        summaries: &summaries,
        cache: &cache,
        mail: &mail,
        low_stock_threshold: 5,
        concurrency: 4,
    };
    let mut seq = mockall::Sequence::new();
    let (mut outbox, mut queue) = (MockOutbox::new(), MockJobQueue::new());
    outbox
        .expect_mark_completed()
        .withf(|id| *id == 1)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    queue
        .expect_ack()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    let delivery = &deliveries(&[cancellation_job(41)])[0];
    process_delivery(delivery, &queue, &outbox, &ctx, &RetryPolicy::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_cancellation_job_sends_the_cancellation_once_through_the_mailer() {
    let mut mailer = MockMailer::new();
    mailer
        .expect_send_order_cancellation()
        .withf(|id, message| id.get() == 41 && message.subject.starts_with("Order 41 cancelled"))
        .times(1)
        .returning(|_, _| Ok(Sent::Now));
    mailer.expect_send_order_confirmation().never();
    assert_eq!(run_done(Some(cancelled(41)), mailer).await, Processed::Done);

    // Delivered again: the mailer finds it sent, and the job is done all the same.
    let mut mailer = MockMailer::new();
    mailer
        .expect_send_order_cancellation()
        .times(1)
        .returning(|_, _| Ok(Sent::Before));
    assert_eq!(run_done(Some(cancelled(41)), mailer).await, Processed::Done);
}

#[tokio::test]
async fn a_cancellation_job_of_an_order_not_cancelled_sends_nothing_and_completes() {
    // The mailer has no expectation: any send would panic.
    let confirmed = order(41, OrderStatus::Confirmed, None);
    assert_eq!(
        run_done(Some(confirmed), MockMailer::new()).await,
        Processed::Done
    );
}

#[tokio::test]
async fn a_batch_sends_an_orders_confirmation_and_cancellation_once_each() {
    // Order 41 confirmed, then cancelled before the worker got to its confirmation; the
    // cancellation is delivered twice (a republish), the second time in the same batch.
    let batch = deliveries(&[
        Job::OrderConfirmation {
            order_id: order_id(41),
        },
        cancellation_job(41),
        cancellation_job(41),
    ]);
    let mut orders = MockOrderRepository::new();
    orders
        .expect_get_orders()
        .withf(|ids| ids == [order_id(41)])
        .times(1)
        .returning(|_| Ok(vec![cancelled(41)]));
    orders
        .expect_get_order()
        .times(2)
        .returning(|_| Ok(Some(cancelled(41))));
    let mut mailer = MockMailer::new();
    let mut seq = mockall::Sequence::new();
    mailer
        .expect_send_order_confirmations()
        .withf(|messages, _| messages.len() == 1 && messages[0].1.subject == "Order 41 confirmed: 3 item(s)")
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| vec![Ok(Sent::Now)]);
    mailer
        .expect_send_order_cancellation()
        .withf(|id, _| id.get() == 41)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(Sent::Now));
    mailer
        .expect_send_order_cancellation()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(Sent::Before));
    mailer.expect_send_order_confirmation().never();
    let (mut queue, mut outbox) = (MockJobQueue::new(), MockOutbox::new());
    outbox
        .expect_mark_all_completed()
        .withf(|ids| ids == [1, 2, 3])
        .times(1)
        .returning(|_| Ok(()));
    queue
        .expect_ack_all()
        .withf(|done| done.len() == 3)
        .times(1)
        .returning(|_| Ok(()));

    let outcome = run(&batch, &orders, &mailer, &queue, &outbox).await.unwrap();
    assert_eq!(
        outcome,
        BatchOutcome {
            done: 3,
            retrying: 0,
            dead: 0,
            repeats: 1
        }
    );
}

#[tokio::test]
async fn a_failed_cancellation_in_a_batch_is_retried_alone() {
    let batch = deliveries(&[cancellation_job(41), cancellation_job(42), cancellation_job(43)]);
    let mut orders = MockOrderRepository::new();
    orders.expect_get_order().returning(|id| match id.get() {
        43 => Ok(None),
        raw => Ok(Some(cancelled(raw))),
    });
    let mut mailer = MockMailer::new();
    mailer.expect_send_order_cancellation().returning(|id, _| {
        if id.get() == 42 {
            Err(Error::Unavailable("smtp down".into()))
        } else {
            Ok(Sent::Now)
        }
    });
    let (mut queue, mut outbox) = (MockJobQueue::new(), MockOutbox::new());
    queue
        .expect_retry_later()
        .withf(|d, _| d.outbox_id == 2)
        .times(1)
        .returning(|_, _| Ok(()));
    // Order 43 does not exist: dead at once.
    queue
        .expect_dead_letter()
        .withf(|d, _| d.outbox_id == 3)
        .times(1)
        .returning(|_, _| Ok(()));
    outbox
        .expect_mark_dead()
        .withf(|id, _| *id == 3)
        .times(1)
        .returning(|_, _| Ok(()));
    outbox
        .expect_mark_all_completed()
        .withf(|ids| ids == [1])
        .times(1)
        .returning(|_| Ok(()));
    queue.expect_ack_all().times(1).returning(|_| Ok(()));
    let outcome = run(&batch, &orders, &mailer, &queue, &outbox).await.unwrap();
    assert_eq!((outcome.done, outcome.retrying, outcome.dead), (1, 1, 1));
}

#[tokio::test]
async fn a_batchs_cancellations_are_sent_with_bounded_concurrency() {
    let batch = deliveries(&(1..=10).map(cancellation_job).collect::<Vec<_>>());
    let mut orders = MockOrderRepository::new();
    orders
        .expect_get_order()
        .times(10)
        .returning(|id| Ok(Some(cancelled(id.get()))));
    let mailer = SlowMailer::default();
    let (mut queue, mut outbox) = (MockJobQueue::new(), MockOutbox::new());
    outbox
        .expect_mark_all_completed()
        .withf(|ids| ids.len() == 10)
        .returning(|_| Ok(()));
    queue.expect_ack_all().returning(|_| Ok(()));
    let outcome = run(&batch, &orders, &mailer, &queue, &outbox).await.unwrap();
    assert_eq!(outcome.done, 10);
    // `run` allows 4 at once: concurrent, and no more.
    assert_eq!(mailer.most.load(Ordering::SeqCst), 4);
}
