//! Cancelling an order against mockall mocks of its ports: who may, what is locked in which
//! order, what is given back, and when nothing is.

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use mockall::predicate::eq;

use super::*;
use crate::auth::{Principal, TokenName, TokenScope};
use crate::cache::{MockCache, NoCache, Scope, WritePorts};
use crate::outbox::NoOutbox;
use crate::{Entity, Error, OrderId, ProductId, StoreId};

fn catalogue_token() -> Principal {
    Principal {
        name: TokenName::parse("head-office").unwrap(),
        scope: TokenScope::Catalogue,
    }
}

fn store_token(stores: &[i64]) -> Principal {
    Principal {
        name: TokenName::parse("tablet").unwrap(),
        scope: TokenScope::Stores(
            stores
                .iter()
                .map(|&s| StoreId::new(s).unwrap())
                .collect::<BTreeSet<_>>(),
        ),
    }
}

fn order_id() -> OrderId {
    OrderId::new(41).unwrap()
}

fn at(minute: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 9, minute, 0).unwrap()
}

/// Order 41 of store 4: 2 × product 9, then 1 × product 3 (the client's order).
fn order(status: OrderStatus) -> Order {
    let line = |product: i64, units: i64| OrderLine {
        product_id: ProductId::new(product).unwrap(),
        product_title: format!("Product {product}"),
        quantity_requested: Quantity::new(units).unwrap(),
        quantity_available: 10,
    };
    Order {
        id: order_id(),
        store_id: StoreId::new(4).unwrap(),
        status,
        created_at: at(0),
        lines: vec![line(9, 2), line(3, 1)],
        cancellation: (status == OrderStatus::Cancelled).then(|| Cancellation {
            cancelled_at: at(5),
            cancelled_by: "earlier".to_owned(),
            note: None,
        }),
    }
}

/// A repository whose one cancellation transaction is `tx`.
fn repo_with(tx: MockCancellationTransaction) -> MockOrderRepository {
    let mut repo = MockOrderRepository::new();
    let mut tx = Some(tx);
    repo.expect_begin_cancellation()
        .times(1)
        .returning(move || Ok(Box::new(tx.take().expect("begun once")) as Box<dyn CancellationTransaction>));
    repo
}

fn writer(repo: &MockOrderRepository) -> OrderWriter<'_> {
    WritePorts {
        repository: repo,
        cache: &NoCache,
        outbox: &NoOutbox,
    }
}

#[tokio::test]
async fn a_confirmed_order_locks_its_rows_in_product_order_and_gives_every_line_back() {
    let mut tx = MockCancellationTransaction::new();
    let mut sequence = mockall::Sequence::new();
    tx.expect_lock_order()
        .with(eq(order_id()))
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_| Ok(Some(order(OrderStatus::Confirmed))));
    let ascending = vec![ProductId::new(3).unwrap(), ProductId::new(9).unwrap()];
    tx.expect_lock_stock_rows()
        .withf(move |store, products| store.get() == 4 && products == ascending.as_slice())
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_, _| Ok(()));
    tx.expect_commit_cancellation()
        .withf(|c| {
            c.lines == [(ProductId::new(3).unwrap(), 1), (ProductId::new(9).unwrap(), 2)]
                && c.actor == "head-office"
                && c.note == Some("damaged box")
                && c.idempotency_key.is_none()
        })
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_| Ok(at(7)));
    let repo = repo_with(tx);
    let mut cache = MockCache::new();
    cache
        .expect_bump()
        .with(eq(vec![Scope::Store(StoreId::new(4).unwrap()), Scope::Stock]))
        .times(1)
        .returning(|_| Ok(()));
    let ports: OrderWriter = WritePorts {
        repository: &repo,
        cache: &cache,
        outbox: &NoOutbox,
    };
    let request = CancelOrder {
        note: Some("damaged box".to_owned()),
        unknown: Vec::new(),
    };
    let cancelled = cancel_order(ports, &catalogue_token(), order_id(), &request, None)
        .await
        .unwrap();
    assert!(cancelled.changed && !cancelled.replayed);
    assert_eq!(cancelled.order.status, OrderStatus::Cancelled);
    assert_eq!(
        cancelled.order.cancellation,
        Some(Cancellation {
            cancelled_at: at(7),
            cancelled_by: "head-office".to_owned(),
            note: Some("damaged box".to_owned()),
        })
    );
    assert_eq!(cancelled.order.lines, order(OrderStatus::Confirmed).lines);
}

#[tokio::test]
async fn an_order_cancelled_before_changes_nothing_and_bumps_nothing() {
    let mut tx = MockCancellationTransaction::new();
    tx.expect_lock_order()
        .returning(|_| Ok(Some(order(OrderStatus::Cancelled))));
    tx.expect_lock_stock_rows().never();
    tx.expect_commit_cancellation().never();
    tx.expect_commit_unchanged()
        .withf(|id, key| *id == order_id() && key.is_none())
        .times(1)
        .returning(|_, _| Ok(()));
    let repo = repo_with(tx);
    let mut cache = MockCache::new();
    cache.expect_bump().never();
    let ports: OrderWriter = WritePorts {
        repository: &repo,
        cache: &cache,
        outbox: &NoOutbox,
    };
    let cancelled = cancel_order(
        ports,
        &catalogue_token(),
        order_id(),
        &CancelOrder::default(),
        None,
    )
    .await
    .unwrap();
    assert!(!cancelled.changed);
    assert_eq!(cancelled.order, order(OrderStatus::Cancelled));
}

#[tokio::test]
async fn a_rejected_order_is_a_conflict_and_an_unknown_one_not_found_both_rolled_back() {
    for (found, expected) in [(Some(OrderStatus::Rejected), "conflict"), (None, "not found")] {
        let mut tx = MockCancellationTransaction::new();
        tx.expect_lock_order().returning(move |_| Ok(found.map(order)));
        tx.expect_commit_cancellation().never();
        tx.expect_commit_unchanged().never();
        tx.expect_rollback().times(1).returning(|| Ok(()));
        let repo = repo_with(tx);
        let error = cancel_order(
            writer(&repo),
            &catalogue_token(),
            order_id(),
            &CancelOrder::default(),
            None,
        )
        .await
        .unwrap_err();
        match (expected, error) {
            ("conflict", Error::Conflict(why)) => assert!(why.contains("REJECTED"), "{why}"),
            (
                "not found",
                Error::NotFound {
                    entity: Entity::Order,
                    id: 41,
                },
            ) => {}
            (expected, other) => panic!("expected {expected}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_bad_note_an_unknown_field_and_a_bad_key_are_one_422_before_any_transaction() {
    let mut repo = MockOrderRepository::new();
    repo.expect_begin_cancellation().never();
    let request = CancelOrder {
        note: Some("x".repeat(501)),
        unknown: vec!["colour".to_owned()],
    };
    let error = cancel_order(writer(&repo), &catalogue_token(), order_id(), &request, Some(""))
        .await
        .unwrap_err();
    let Error::Invalid(fields) = error else {
        panic!("{error:?}")
    };
    let fields: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["note", "colour", "Idempotency-Key"]);
}

#[tokio::test]
async fn a_store_token_may_cancel_its_stores_orders_only_and_learns_nothing_of_others() {
    let mut repo = MockOrderRepository::new();
    repo.expect_order_store()
        .returning(|id| Ok((id.get() == 41).then(|| StoreId::new(4).unwrap())));
    assert_eq!(
        authorize_cancel(&repo, &store_token(&[4]), 41).await.unwrap(),
        order_id()
    );
    for (token, raw) in [
        (store_token(&[5]), 41),
        (store_token(&[4]), 42),
        (store_token(&[4]), 0),
    ] {
        let error = authorize_cancel(&repo, &token, raw).await.unwrap_err();
        assert!(matches!(error, Error::Forbidden(_)), "{raw}: {error:?}");
    }
    // A catalogue token needs no lookup: an unknown order is found out in the transaction,
    // an id that cannot exist at once.
    let mut repo = MockOrderRepository::new();
    repo.expect_order_store().never();
    assert_eq!(
        authorize_cancel(&repo, &catalogue_token(), 41).await.unwrap(),
        order_id()
    );
    assert!(matches!(
        authorize_cancel(&repo, &catalogue_token(), 0).await,
        Err(Error::NotFound {
            entity: Entity::Order,
            id: 0
        })
    ));
}
