//! Decision-logic tests of the order use-cases against mockall mocks of the ports.

use chrono::{TimeZone, Utc};
use mockall::predicate::eq;

use super::*;
use crate::cache::{Cache, MockCache, NoCache, Scope, WritePorts};
use crate::idempotency::{IdempotencyKey, KeyClaim};
use crate::outbox::{Job, MockOutbox, NoOutbox, Outbox};
use crate::{Entity, Error, OrderId, ProductId, StoreId};

fn request(store_id: i64, items: &[(i64, i64)]) -> PlaceOrder {
    PlaceOrder::of(store_id, items)
}

/// The ports of `repo` with no cache to invalidate.
fn writer(repo: &MockOrderRepository) -> OrderWriter<'_> {
    ports_of(repo, &NoCache, &NoOutbox)
}

/// The ports of `repo`, `cache` and `outbox`.
fn ports_of<'a>(
    repo: &'a MockOrderRepository,
    cache: &'a dyn Cache,
    outbox: &'a dyn Outbox,
) -> OrderWriter<'a> {
    WritePorts {
        repository: repo,
        cache,
        outbox,
    }
}

fn stock(product_id: i64, available: u32) -> StockLine {
    StockLine {
        product_id: ProductId::new(product_id).unwrap(),
        title: format!("Product {product_id}"),
        available,
    }
}

fn created_at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 16, 20, 5).unwrap()
}

fn fields(error: Error) -> Vec<String> {
    match error {
        Error::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// A repository whose one transaction is `tx`.
fn repo_with(tx: MockOrderTransaction) -> MockOrderRepository {
    let mut repo = MockOrderRepository::new();
    let mut tx = Some(tx);
    repo.expect_begin()
        .times(1)
        .returning(move || Ok(Box::new(tx.take().expect("begin called once")) as Box<dyn OrderTransaction>));
    repo
}

/// A transaction for store 3 that finds `lines` in stock and expects to commit `status`.
fn tx_deciding(lines: Vec<StockLine>, status: OrderStatus) -> MockOrderTransaction {
    let mut tx = MockOrderTransaction::new();
    tx.expect_lock_stock()
        .withf(|store, _| store.get() == 3)
        .times(1)
        .returning(move |_, _| Ok(Some(lines.clone())));
    tx.expect_commit_order()
        .times(1)
        .withf(move |order| {
            order.status == status && order.send_confirmation == (status == OrderStatus::Confirmed)
        })
        .returning(|_| Ok((OrderId::new(41).unwrap(), created_at())));
    tx.expect_rollback().never();
    tx
}

/// The (product, requested) pairs of an order about to be committed.
fn requested(order: &NewOrder<'_>) -> Vec<(i64, u32)> {
    order
        .lines
        .iter()
        .map(|l| (l.product_id.get(), l.quantity_requested.get()))
        .collect()
}

#[tokio::test]
async fn confirms_every_line_when_all_fit() {
    let mut tx = MockOrderTransaction::new();
    tx.expect_lock_stock()
        .returning(|_, _| Ok(Some(vec![stock(10, 5), stock(11, 1)])));
    // Confirmed is what makes the adapter deduct each line's requested quantity.
    tx.expect_commit_order()
        .times(1)
        .withf(|order| {
            order.store_id.get() == 3
                && order.status == OrderStatus::Confirmed
                && order.send_confirmation
                && order.idempotency_key.is_none()
                && requested(order) == [(10, 2), (11, 1)]
        })
        .returning(|_| Ok((OrderId::new(41).unwrap(), created_at())));
    tx.expect_rollback().never();

    let placed = place_order(writer(&repo_with(tx)), &request(3, &[(10, 2), (11, 1)]), None)
        .await
        .unwrap();

    assert!(!placed.replayed);
    assert_eq!(placed.order.status, OrderStatus::Confirmed);
    assert_eq!(placed.order.id.get(), 41);
    assert_eq!(
        (placed.order.total_items(), placed.order.total_quantity()),
        (2, 3)
    );
    let seen: Vec<_> = placed.order.lines.iter().map(|l| l.quantity_available).collect();
    assert_eq!(seen, [5, 1], "available is the stock before deduction");
}

#[tokio::test]
async fn rejects_when_any_line_is_short() {
    let tx = tx_deciding(vec![stock(10, 5), stock(11, 0)], OrderStatus::Rejected);

    let placed = place_order(writer(&repo_with(tx)), &request(3, &[(10, 2), (11, 1)]), None)
        .await
        .unwrap();

    assert_eq!(placed.order.status, OrderStatus::Rejected);
    let short: Vec<_> = placed
        .order
        .lines
        .iter()
        .filter(|l| l.quantity_requested.get() > l.quantity_available)
        .map(|l| l.product_id.get())
        .collect();
    assert_eq!(short, [11]);
}

#[tokio::test]
async fn exact_stock_is_enough() {
    let tx = tx_deciding(vec![stock(10, 2)], OrderStatus::Confirmed);
    let placed = place_order(writer(&repo_with(tx)), &request(3, &[(10, 2)]), None)
        .await
        .unwrap();
    assert_eq!(placed.order.status, OrderStatus::Confirmed);
}

#[tokio::test]
async fn locks_stock_in_ascending_product_order() {
    let mut tx = MockOrderTransaction::new();
    tx.expect_lock_stock()
        .withf(|_, ids| ids.iter().map(|id| id.get()).collect::<Vec<_>>() == [2, 7, 9])
        .times(1)
        .returning(|_, _| Ok(Some(vec![stock(9, 1), stock(2, 1), stock(7, 1)])));
    tx.expect_commit_order()
        .returning(|_| Ok((OrderId::new(1).unwrap(), created_at())));

    let placed = place_order(
        writer(&repo_with(tx)),
        &request(3, &[(9, 1), (2, 1), (7, 1)]),
        None,
    )
    .await
    .unwrap();
    let order: Vec<_> = placed.order.lines.iter().map(|l| l.product_id.get()).collect();
    assert_eq!(order, [9, 2, 7], "lines keep the client's order");
}

#[tokio::test]
async fn unknown_product_is_invalid_and_stores_nothing() {
    let mut tx = MockOrderTransaction::new();
    tx.expect_lock_stock()
        .returning(|_, _| Ok(Some(vec![stock(10, 5)])));
    tx.expect_commit_order().never();
    tx.expect_rollback().times(1).returning(|| Ok(()));

    let error = place_order(writer(&repo_with(tx)), &request(3, &[(10, 1), (999, 1)]), None)
        .await
        .unwrap_err();
    assert_eq!(fields(error), ["items[1].product_id"]);
}

#[tokio::test]
async fn unknown_store_is_not_found_and_locks_nothing() {
    let mut tx = MockOrderTransaction::new();
    tx.expect_lock_stock().times(1).returning(|_, _| Ok(None));
    tx.expect_commit_order().never();
    tx.expect_rollback().times(1).returning(|| Ok(()));

    let error = place_order(writer(&repo_with(tx)), &request(3, &[(10, 1)]), None)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::NotFound {
            entity: Entity::Store,
            id: 3
        }
    ));
}

#[tokio::test]
async fn invalid_requests_never_open_a_transaction() {
    let mut repo = MockOrderRepository::new();
    repo.expect_begin().never();
    let cases: Vec<(PlaceOrder, Vec<&str>)> = vec![
        (request(3, &[]), vec!["items"]),
        (request(0, &[(1, 1)]), vec!["store_id"]),
        (
            request(-5, &[(-1, 0)]),
            vec!["store_id", "items[0].product_id", "items[0].quantity_requested"],
        ),
        (request(3, &[(1, 1_000_001)]), vec!["items[0].quantity_requested"]),
        (request(3, &[(1, 1), (2, 1), (1, 3)]), vec!["items[2].product_id"]),
        (
            request(3, &(1..=101).map(|i| (i, 1)).collect::<Vec<_>>()),
            vec!["items"],
        ),
    ];
    for (request, expected) in cases {
        let error = place_order(writer(&repo), &request, None).await.unwrap_err();
        assert_eq!(fields(error), expected, "for {request:?}");
    }
    let bad_keys = ["", &"k".repeat(256), "has space"];
    for key in bad_keys {
        let error = place_order(writer(&repo), &request(3, &[(1, 1)]), Some(key))
            .await
            .unwrap_err();
        assert_eq!(fields(error), [IdempotencyKey::FIELD]);
    }
}

#[tokio::test]
async fn quantity_bounds_are_inclusive() {
    assert!(Quantity::new(1).is_some() && Quantity::new(1_000_000).is_some());
    assert!(Quantity::new(0).is_none() && Quantity::new(1_000_001).is_none());
    let items: Vec<_> = (1..=100).map(|i| (i, 1)).collect();
    assert!(
        ValidatedOrder::parse(&request(1, &items)).is_ok(),
        "100 items is the maximum, not over it"
    );
}

#[tokio::test]
async fn new_idempotency_key_is_committed_with_the_order() {
    let mut tx = MockOrderTransaction::new();
    tx.expect_claim_idempotency_key()
        .withf(|key, fingerprint| key.as_str() == "abc" && fingerprint == "store=3;items=10x2")
        .times(1)
        .returning(|_, _| Ok(KeyClaim::Claimed));
    tx.expect_lock_stock()
        .returning(|_, _| Ok(Some(vec![stock(10, 5)])));
    tx.expect_commit_order()
        .withf(|order| order.idempotency_key.map(|k| k.as_str()) == Some("abc"))
        .times(1)
        .returning(|_| Ok((OrderId::new(41).unwrap(), created_at())));

    let placed = place_order(writer(&repo_with(tx)), &request(3, &[(10, 2)]), Some("abc"))
        .await
        .unwrap();
    assert!(!placed.replayed);
}

#[tokio::test]
async fn replay_with_the_same_body_returns_the_first_order_without_deciding_again() {
    let mut tx = MockOrderTransaction::new();
    tx.expect_claim_idempotency_key().returning(|_, _| {
        Ok(KeyClaim::Existing {
            fingerprint: "store=3;items=10x2".into(),
            id: OrderId::new(41).unwrap(),
        })
    });
    tx.expect_lock_stock().never();
    tx.expect_commit_order().never();
    tx.expect_rollback().times(1).returning(|| Ok(()));
    let mut repo = repo_with(tx);
    let first = Order {
        id: OrderId::new(41).unwrap(),
        store_id: StoreId::new(3).unwrap(),
        status: OrderStatus::Confirmed,
        created_at: created_at(),
        cancellation: None,
        lines: vec![],
    };
    let stored = first.clone();
    repo.expect_get_order()
        .with(eq(OrderId::new(41).unwrap()))
        .times(1)
        .returning(move |_| Ok(Some(stored.clone())));

    let placed = place_order(writer(&repo), &request(3, &[(10, 2)]), Some("abc"))
        .await
        .unwrap();
    assert!(placed.replayed);
    assert_eq!(placed.order, first);
}

#[tokio::test]
async fn same_key_with_a_different_body_is_invalid() {
    let mut tx = MockOrderTransaction::new();
    tx.expect_claim_idempotency_key().returning(|_, _| {
        Ok(KeyClaim::Existing {
            fingerprint: "store=3;items=10x1".into(),
            id: OrderId::new(41).unwrap(),
        })
    });
    tx.expect_commit_order().never();
    tx.expect_rollback().times(1).returning(|| Ok(()));

    let error = place_order(writer(&repo_with(tx)), &request(3, &[(10, 2)]), Some("abc"))
        .await
        .unwrap_err();
    assert_eq!(fields(error), [IdempotencyKey::FIELD]);
}

#[tokio::test]
async fn a_failing_write_rolls_back_and_reports_the_failure() {
    let mut tx = MockOrderTransaction::new();
    tx.expect_lock_stock()
        .returning(|_, _| Ok(Some(vec![stock(10, 5)])));
    tx.expect_commit_order()
        .times(1)
        .returning(|_| Err(Error::Unavailable("connection reset".into())));
    tx.expect_rollback().times(1).returning(|| Ok(()));

    let error = place_order(writer(&repo_with(tx)), &request(3, &[(10, 1)]), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unavailable(_)));
}

#[tokio::test]
async fn get_order_treats_impossible_ids_as_not_found() {
    let mut repo = MockOrderRepository::new();
    repo.expect_get_order().never();
    assert!(matches!(
        get_order(&repo, 0).await,
        Err(Error::NotFound {
            entity: Entity::Order,
            id: 0
        })
    ));
    assert!(matches!(get_order(&repo, -7).await, Err(Error::NotFound { .. })));
}

#[tokio::test]
async fn listing_orders_of_an_unknown_store_is_not_found() {
    let mut stores = crate::stores::MockStoreRepository::new();
    stores.expect_store_exists().returning(|_| Ok(false));
    let mut orders = MockOrderRepository::new();
    orders.expect_list_store_orders().never();
    let page = crate::PageRequest::new(None, None, 50).unwrap();
    let error = list_store_orders(&stores, &orders, 8, page).await.unwrap_err();
    assert!(matches!(
        error,
        Error::NotFound {
            entity: Entity::Store,
            id: 8
        }
    ));
}

#[tokio::test]
async fn missing_fields_are_required_and_reported_with_every_other_rule() {
    let mut repo = MockOrderRepository::new();
    repo.expect_begin().never();
    let item = |product_id, quantity_requested| RequestedItem {
        product_id,
        quantity_requested,
    };
    let cases: Vec<(PlaceOrder, Vec<(&str, &str)>)> = vec![
        (
            PlaceOrder::default(),
            vec![("store_id", "is required"), ("items", "is required")],
        ),
        (
            PlaceOrder {
                store_id: None,
                items: Some(vec![item(None, Some(1))]),
                unknown: Vec::new(),
            },
            vec![
                ("store_id", "is required"),
                ("items[0].product_id", "is required"),
            ],
        ),
        (
            PlaceOrder {
                store_id: Some(0),
                items: Some(vec![item(Some(4), None), item(Some(4), Some(0))]),
                unknown: Vec::new(),
            },
            vec![
                ("store_id", "must be a positive integer"),
                ("items[0].quantity_requested", "is required"),
                ("items[1].product_id", "repeats the product of items[0]"),
                ("items[1].quantity_requested", "must be at least 1"),
            ],
        ),
    ];
    for (request, expected) in cases {
        let Err(Error::Invalid(errors)) = place_order(writer(&repo), &request, Some("")).await else {
            panic!("expected a validation error for {request:?}");
        };
        let mut expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(f, m)| (f.to_owned(), m.to_owned()))
            .collect();
        expected.push((
            IdempotencyKey::FIELD.to_owned(),
            "must be 1 to 255 characters long".to_owned(),
        ));
        let got: Vec<(String, String)> = errors.into_iter().map(|e| (e.field, e.message)).collect();
        assert_eq!(got, expected, "for {request:?}");
    }
}

/// Orders of one line (product 7, `requested` units) at store 4 with 5 units in stock; the one
/// transaction commits order 41.
fn orders_with_stock_of_five() -> MockOrderRepository {
    let mut repo = MockOrderRepository::new();
    repo.expect_begin().returning(|| {
        let mut tx = MockOrderTransaction::new();
        tx.expect_lock_stock()
            .returning(|_, _| Ok(Some(vec![stock(7, 5)])));
        tx.expect_commit_order()
            .returning(|_| Ok((OrderId::new(41).unwrap(), created_at())));
        Ok(Box::new(tx) as Box<dyn OrderTransaction>)
    });
    repo
}

fn order_of(requested: i64) -> PlaceOrder {
    request(4, &[(7, requested)])
}

fn store_four_bumped(times: usize, outcome: fn() -> crate::Result<()>) -> MockCache {
    let mut cache = MockCache::new();
    cache
        .expect_bump()
        .with(eq(vec![Scope::Store(StoreId::new(4).unwrap()), Scope::Stock]))
        .times(times)
        .returning(move |_| outcome());
    cache
}

#[tokio::test]
async fn only_a_new_confirmed_order_bumps_its_store_and_stock() {
    let repo = orders_with_stock_of_five();
    let cache = store_four_bumped(1, || Ok(()));
    let mut outbox = MockOutbox::new();
    outbox.expect_enqueue().never();
    let ports = ports_of(&repo, &cache, &outbox);
    let confirmed = place_order(ports, &order_of(2), None).await.unwrap();
    assert_eq!(confirmed.order.status, OrderStatus::Confirmed);
    // A rejected order (6 of 5) deducted nothing: no bump, so nothing can fail.
    let rejected = place_order(ports, &order_of(6), None).await.unwrap();
    assert_eq!(rejected.order.status, OrderStatus::Rejected);

    // A replay changed nothing.
    let mut tx = MockOrderTransaction::new();
    tx.expect_claim_idempotency_key().returning(|_, fingerprint| {
        Ok(KeyClaim::Existing {
            fingerprint: fingerprint.to_owned(),
            id: OrderId::new(41).unwrap(),
        })
    });
    tx.expect_rollback().times(1).returning(|| Ok(()));
    let mut repo = repo_with(tx);
    repo.expect_get_order().returning(|id| {
        Ok(Some(Order {
            id,
            store_id: StoreId::new(4).unwrap(),
            status: OrderStatus::Confirmed,
            created_at: created_at(),
            cancellation: None,
            lines: vec![],
        }))
    });
    let mut cache = MockCache::new();
    cache.expect_bump().never();
    let ports = ports_of(&repo, &cache, &outbox);
    let replayed = place_order(ports, &order_of(2), Some("k")).await.unwrap();
    assert!(replayed.replayed);
}

#[tokio::test]
async fn a_failed_invalidation_is_handed_to_the_worker_and_the_order_stands() {
    let cache = store_four_bumped(2, || Err(Error::Unavailable("redis unreachable".into())));
    let mut outbox = MockOutbox::new();
    outbox
        .expect_enqueue()
        .with(eq(Job::CacheInvalidation {
            store_id: StoreId::new(4).unwrap(),
        }))
        .times(1)
        .returning(|_| Ok(true));
    let repo = orders_with_stock_of_five();
    let ports = ports_of(&repo, &cache, &outbox);
    let placed = place_order(ports, &order_of(2), None).await.unwrap();
    assert_eq!(placed.order.status, OrderStatus::Confirmed);

    // Even when the outbox fails too, the committed order is what the client gets.
    let mut outbox = MockOutbox::new();
    outbox
        .expect_enqueue()
        .times(1)
        .returning(|_| Err(Error::Unavailable("postgres unreachable".into())));
    let ports = WritePorts {
        outbox: &outbox,
        ..ports
    };
    let placed = place_order(ports, &order_of(2), None).await.unwrap();
    assert_eq!(placed.order.id.get(), 41);
}

#[test]
fn placing_an_order_can_run_on_any_thread() {
    fn send<T: Send>(_: T) {}
    let repo = MockOrderRepository::new();
    send(place_order(writer(&repo), &order_of(1), Some("k")));
}
