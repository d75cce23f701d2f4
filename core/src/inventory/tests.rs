//! Stock adjustments and movements against mockall mocks of their ports: who may, what is
//! valid, and the stock rule (never below zero, never above `i32::MAX`, nothing changes else).

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use mockall::predicate::eq;

use super::*;
use crate::auth::{Action, Principal, TokenName, TokenScope};
use crate::cache::{Cache, MockCache, NoCache, Scope, WritePorts};
use crate::idempotency::{IdempotencyKey, KeyClaim};
use crate::outbox::{Job, MockOutbox, NoOutbox, Outbox};
use crate::{Entity, Error, PageRequest, ProductId, StoreId};

fn store(id: i64) -> StoreId {
    StoreId::new(id).unwrap()
}

fn catalogue_token() -> Principal {
    Principal {
        name: TokenName::parse("buyer").unwrap(),
        scope: TokenScope::Catalogue,
    }
}

fn store_token(stores: &[i64]) -> Principal {
    Principal {
        name: TokenName::parse("backroom-tablet-3").unwrap(),
        scope: TokenScope::Stores(stores.iter().map(|&s| store(s)).collect::<BTreeSet<_>>()),
    }
}

fn request(delta: i64, reason: &str, note: Option<&str>) -> AdjustStock {
    AdjustStock {
        store_id: 3,
        product_id: 10,
        delta: Some(delta),
        reason: Some(reason.into()),
        note: note.map(Into::into),
        unknown: Vec::new(),
    }
}

fn fields(error: Error) -> Vec<String> {
    match error {
        Error::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn created_at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap()
}

fn both_exist() -> StockTargets {
    StockTargets {
        store_exists: true,
        product_exists: true,
    }
}

/// A repository whose one transaction is `tx`.
fn repo_with(tx: MockStockAdjustmentTransaction) -> MockStockAdjustmentRepository {
    let mut repo = MockStockAdjustmentRepository::new();
    let mut tx = Some(tx);
    repo.expect_begin().times(1).returning(move || {
        Ok(Box::new(tx.take().expect("begin called once")) as Box<dyn StockAdjustmentTransaction>)
    });
    repo
}

/// The ports of `repo` with no cache to invalidate.
fn writer(repo: &MockStockAdjustmentRepository) -> StockWriter<'_> {
    ports_of(repo, &NoCache, &NoOutbox)
}

/// The ports of `repo`, `cache` and `outbox`.
fn ports_of<'a>(
    repo: &'a MockStockAdjustmentRepository,
    cache: &'a dyn Cache,
    outbox: &'a dyn Outbox,
) -> StockWriter<'a> {
    WritePorts {
        repository: repo,
        cache,
        outbox,
    }
}

/// A repository that must not be used at all.
fn untouched_repo() -> MockStockAdjustmentRepository {
    let mut repo = MockStockAdjustmentRepository::new();
    repo.expect_begin().never();
    repo.expect_get_adjustment().never();
    repo
}

/// A transaction on store 3 / product 10 that finds `quantity` under lock.
fn tx_finding(quantity: u32) -> MockStockAdjustmentTransaction {
    let mut tx = MockStockAdjustmentTransaction::new();
    tx.expect_lock_stock_row()
        .with(eq(store(3)), eq(ProductId::new(10).unwrap()))
        .times(1)
        .returning(move |_, _| {
            Ok(LockedStock {
                targets: both_exist(),
                quantity,
            })
        });
    tx
}

/// ... which then expects to commit `before → after` and no rollback.
fn committing(
    mut tx: MockStockAdjustmentTransaction,
    before: u32,
    after: u32,
) -> MockStockAdjustmentTransaction {
    tx.expect_commit_adjustment()
        .times(1)
        .withf(move |a| {
            a.quantity_before == before && a.quantity_after == after && a.actor.as_str() == "buyer"
        })
        .returning(|_| Ok((AdjustmentId::new(7).unwrap(), created_at())));
    tx.expect_rollback().never();
    tx
}

/// ... which must be rolled back without committing.
fn refusing(mut tx: MockStockAdjustmentTransaction) -> MockStockAdjustmentTransaction {
    tx.expect_commit_adjustment().never();
    tx.expect_rollback().times(1).returning(|| Ok(()));
    tx
}

#[test]
fn every_scope_and_action_on_a_store_path() {
    let (catalogue, mine) = (catalogue_token(), store_token(&[1, 3]));
    for action in [
        Action::AdjustStock as fn(StoreId) -> Action,
        Action::ReadMovements,
    ] {
        assert_eq!(authorize_store(&catalogue, 99, action).unwrap(), store(99));
        assert_eq!(authorize_store(&mine, 3, action).unwrap(), store(3));
        // Outside the scope: forbidden whether or not store 2 exists (nothing is looked up).
        assert!(matches!(
            authorize_store(&mine, 2, action),
            Err(Error::Forbidden(_))
        ));
        // An id that cannot exist: a store token may not know that, a catalogue token may.
        for raw in [0, -4] {
            assert!(matches!(
                authorize_store(&mine, raw, action),
                Err(Error::Forbidden(_))
            ));
            assert!(matches!(
                authorize_store(&catalogue, raw, action),
                Err(Error::NotFound {
                    entity: Entity::Store,
                    ..
                })
            ));
        }
    }
}

#[test]
fn deltas_are_non_zero_and_at_most_a_million_either_way() {
    for ok in [1, -1, 1_000_000, -1_000_000] {
        assert_eq!(Delta::new(ok).unwrap().get() as i64, ok);
    }
    for bad in [0, 1_000_001, -1_000_001, i64::MAX, i64::MIN] {
        assert!(Delta::new(bad).is_none(), "{bad}");
    }
    let minus_six = Delta::new(-6).unwrap();
    assert_eq!(minus_six.apply(6), Some(0));
    assert_eq!(minus_six.apply(5), None, "never below zero");
    let plus_one = Delta::new(1).unwrap();
    assert_eq!(plus_one.apply(i32::MAX as u32 - 1), Some(i32::MAX as u32));
    assert_eq!(plus_one.apply(i32::MAX as u32), None, "the column is an INTEGER");
}

#[test]
fn validation_lists_every_bad_field_and_the_key() {
    let error = validate(
        &AdjustStock {
            store_id: 3,
            product_id: 10,
            delta: Some(0),
            reason: Some("gift".into()),
            note: Some("n".repeat(501)),
            unknown: Vec::new(),
        },
        Some(""),
    )
    .unwrap_err();
    assert_eq!(fields(error), ["delta", "reason", "note", "Idempotency-Key"]);
    let missing = validate(
        &AdjustStock {
            store_id: 3,
            product_id: 10,
            ..Default::default()
        },
        None,
    )
    .unwrap_err();
    assert_eq!(fields(missing), ["delta", "reason"]);
    // 500 characters (not bytes) is the limit; reasons are exact.
    let (ok, _) = validate(&request(-2, "damage", Some(&"é".repeat(500))), None).unwrap();
    assert_eq!(ok.reason, AdjustmentReason::Damage);
    assert!(validate(&request(2, "Restock", None), None).is_err());
    // A path id that cannot exist is a 404, before any field.
    let Err(Error::NotFound { entity, .. }) = validate(
        &AdjustStock {
            product_id: 0,
            ..request(0, "x", None)
        },
        None,
    ) else {
        panic!("expected not found")
    };
    assert_eq!(entity, Entity::Product);
}

#[test]
fn fingerprints_tell_requests_apart() {
    let fp = |r: AdjustStock| validate(&r, None).unwrap().0.fingerprint();
    let base = fp(request(5, "restock", None));
    assert_eq!(base, fp(request(5, "restock", None)));
    assert_ne!(base, fp(request(6, "restock", None)));
    assert_ne!(base, fp(request(5, "return", None)));
    assert_ne!(base, fp(request(5, "restock", Some("null"))));
    assert_ne!(
        base,
        fp(AdjustStock {
            product_id: 11,
            ..request(5, "restock", None)
        })
    );
}

#[tokio::test]
async fn a_forbidden_or_invalid_request_opens_no_transaction() {
    let error = adjust_stock(
        writer(&untouched_repo()),
        &store_token(&[1]),
        &request(5, "gift", None),
        None,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, Error::Forbidden(_)),
        "authorised before validated: {error:?}"
    );
    let error = adjust_stock(
        writer(&untouched_repo()),
        &store_token(&[3]),
        &request(0, "gift", None),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(fields(error), ["delta", "reason"]);
}

#[tokio::test]
async fn applies_the_delta_to_the_stock_read_under_lock() {
    let tx = committing(tx_finding(2), 2, 50);
    let adjusted = adjust_stock(
        writer(&repo_with(tx)),
        &catalogue_token(),
        &request(48, "restock", Some("delivery 2026-11-30")),
        None,
    )
    .await
    .unwrap();
    assert!(!adjusted.replayed);
    let a = adjusted.adjustment;
    assert_eq!((a.id.get(), a.store_id, a.product_id.get()), (7, store(3), 10));
    assert_eq!((a.quantity_before, a.quantity_after, a.delta.get()), (2, 50, 48));
    assert_eq!(
        (a.actor.as_str(), a.note.as_deref()),
        ("buyer", Some("delivery 2026-11-30"))
    );
    assert_eq!(a.created_at, created_at());
}

#[tokio::test]
async fn a_store_without_a_row_starts_from_zero() {
    let tx = committing(tx_finding(0), 0, 3);
    let adjusted = adjust_stock(
        writer(&repo_with(tx)),
        &catalogue_token(),
        &request(3, "restock", None),
        None,
    )
    .await
    .unwrap();
    assert_eq!(adjusted.adjustment.quantity_after, 3);
}

#[tokio::test]
async fn below_zero_or_above_i32_max_is_a_conflict_that_changes_nothing() {
    let tx = refusing(tx_finding(5));
    let error = adjust_stock(
        writer(&repo_with(tx)),
        &catalogue_token(),
        &request(-6, "damage", None),
        None,
    )
    .await
    .unwrap_err();
    let Error::Conflict(detail) = error else {
        panic!("expected a conflict, got {error:?}")
    };
    assert!(
        detail.contains("has 5 units"),
        "says the current quantity: {detail}"
    );

    let tx = refusing(tx_finding(i32::MAX as u32 - 10));
    let error = adjust_stock(
        writer(&repo_with(tx)),
        &catalogue_token(),
        &request(11, "restock", None),
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::Conflict(_)), "{error:?}");

    // Down to exactly zero is fine.
    let tx = committing(tx_finding(5), 5, 0);
    adjust_stock(
        writer(&repo_with(tx)),
        &catalogue_token(),
        &request(-5, "correction", None),
        None,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn an_unknown_store_or_product_is_not_found_and_rolled_back() {
    for (targets, entity) in [
        (
            StockTargets {
                store_exists: false,
                product_exists: true,
            },
            Entity::Store,
        ),
        (
            StockTargets {
                store_exists: true,
                product_exists: false,
            },
            Entity::Product,
        ),
    ] {
        let mut tx = MockStockAdjustmentTransaction::new();
        tx.expect_lock_stock_row()
            .returning(move |_, _| Ok(LockedStock { targets, quantity: 0 }));
        let tx = refusing(tx);
        let error = adjust_stock(
            writer(&repo_with(tx)),
            &catalogue_token(),
            &request(1, "restock", None),
            None,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, Error::NotFound { entity: e, .. } if e == entity),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn a_key_is_claimed_then_recorded_with_the_adjustment() {
    let mut tx = tx_finding(1);
    tx.expect_claim_idempotency_key()
        .withf(|key, fingerprint| key.as_str() == "k-1" && fingerprint.starts_with("store=3;product=10;"))
        .times(1)
        .returning(|_, _| Ok(KeyClaim::Claimed));
    tx.expect_commit_adjustment()
        .withf(|a| a.idempotency_key.map(IdempotencyKey::as_str) == Some("k-1"))
        .times(1)
        .returning(|_| Ok((AdjustmentId::new(7).unwrap(), created_at())));
    let adjusted = adjust_stock(
        writer(&repo_with(tx)),
        &catalogue_token(),
        &request(1, "return", None),
        Some("k-1"),
    )
    .await
    .unwrap();
    assert!(!adjusted.replayed);
}

#[tokio::test]
async fn a_replay_returns_the_first_adjustment_and_a_different_body_is_refused() {
    let first = request(4, "restock", None);
    let fingerprint = validate(&first, None).unwrap().0.fingerprint();
    let existing = move || {
        let fingerprint = fingerprint.clone();
        let mut tx = MockStockAdjustmentTransaction::new();
        tx.expect_claim_idempotency_key().times(1).returning(move |_, _| {
            Ok(KeyClaim::Existing {
                fingerprint: fingerprint.clone(),
                id: AdjustmentId::new(7).unwrap(),
            })
        });
        tx.expect_lock_stock_row().never();
        tx.expect_commit_adjustment().never();
        tx.expect_rollback().times(1).returning(|| Ok(()));
        tx
    };

    let mut repo = repo_with(existing());
    repo.expect_get_adjustment()
        .with(eq(AdjustmentId::new(7).unwrap()))
        .times(1)
        .returning(|id| {
            Ok(Some(StockAdjustment {
                id,
                store_id: store(3),
                product_id: ProductId::new(10).unwrap(),
                delta: Delta::new(4).unwrap(),
                reason: AdjustmentReason::Restock,
                note: None,
                quantity_before: 1,
                quantity_after: 5,
                actor: "buyer".into(),
                created_at: created_at(),
            }))
        });
    let replayed = adjust_stock(writer(&repo), &catalogue_token(), &first, Some("k"))
        .await
        .unwrap();
    assert!(replayed.replayed);
    assert_eq!(replayed.adjustment.quantity_after, 5);

    let different = request(5, "restock", None);
    let error = adjust_stock(
        writer(&repo_with(existing())),
        &catalogue_token(),
        &different,
        Some("k"),
    )
    .await
    .unwrap_err();
    assert_eq!(fields(error), ["Idempotency-Key"]);
}

#[tokio::test]
async fn movements_are_authorised_then_checked_then_listed() {
    let page = PageRequest::new(None, None, 50).unwrap();
    let mut repo = MockStockMovementRepository::new();
    repo.expect_stock_targets().never();
    repo.expect_list_movements().never();
    let error = list_movements(&repo, &store_token(&[1]), 2, 10, page)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Forbidden(_)));

    let mut repo = MockStockMovementRepository::new();
    repo.expect_stock_targets().times(1).returning(|_, _| {
        Ok(StockTargets {
            store_exists: true,
            product_exists: false,
        })
    });
    repo.expect_list_movements().never();
    let error = list_movements(&repo, &store_token(&[3]), 3, 10, page)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::NotFound {
            entity: Entity::Product,
            id: 10
        }
    ));

    let mut repo = MockStockMovementRepository::new();
    repo.expect_stock_targets().returning(|_, _| Ok(both_exist()));
    repo.expect_list_movements()
        .with(eq(store(3)), eq(ProductId::new(10).unwrap()), eq(page))
        .times(1)
        .returning(|_, _, page| {
            Ok(crate::Page {
                items: vec![StockMovement {
                    position: 2,
                    delta: -2,
                    quantity_before: 5,
                    quantity_after: 3,
                    created_at: created_at(),
                    cause: MovementCause::Order {
                        order_id: crate::OrderId::new(41).unwrap(),
                    },
                }],
                total: 1,
                request: page,
            })
        });
    let listed = list_movements(&repo, &catalogue_token(), 3, 10, page)
        .await
        .unwrap();
    assert_eq!(listed.items[0].delta, -2);
}

/// Adjustments at store 4 of product 7, which has 5 units; the one transaction commits
/// adjustment 9 when the delta fits.
fn adjustments_with_stock_of_five() -> MockStockAdjustmentRepository {
    let mut repo = MockStockAdjustmentRepository::new();
    repo.expect_begin().returning(|| {
        let mut tx = MockStockAdjustmentTransaction::new();
        tx.expect_lock_stock_row().returning(|_, _| {
            Ok(LockedStock {
                targets: both_exist(),
                quantity: 5,
            })
        });
        tx.expect_commit_adjustment()
            .returning(|_| Ok((AdjustmentId::new(9).unwrap(), created_at())));
        tx.expect_rollback().returning(|| Ok(()));
        Ok(Box::new(tx) as Box<dyn StockAdjustmentTransaction>)
    });
    repo
}

fn adjustment_of(delta: i64) -> AdjustStock {
    AdjustStock {
        store_id: 4,
        product_id: 7,
        delta: Some(delta),
        reason: Some("restock".into()),
        note: None,
        unknown: Vec::new(),
    }
}

fn store_four_bumped(outcome: fn() -> crate::Result<()>) -> MockCache {
    let mut cache = MockCache::new();
    cache
        .expect_bump()
        .with(eq(vec![Scope::Store(store(4)), Scope::Stock]))
        .times(1)
        .returning(move |_| outcome());
    cache
}

#[tokio::test]
async fn an_adjustment_bumps_its_store_and_stock_and_a_refused_one_nothing() {
    let cache = store_four_bumped(|| Ok(()));
    let mut outbox = MockOutbox::new();
    outbox.expect_enqueue().never();
    let repo = adjustments_with_stock_of_five();
    let ports = ports_of(&repo, &cache, &outbox);
    let adjusted = adjust_stock(ports, &catalogue_token(), &adjustment_of(3), None)
        .await
        .unwrap();
    assert_eq!(adjusted.adjustment.quantity_after, 8);
    // 5 - 6 < 0: a conflict, nothing changed, nothing bumped.
    let refused = adjust_stock(ports, &catalogue_token(), &adjustment_of(-6), None).await;
    assert!(matches!(refused, Err(Error::Conflict(_))));
}

#[tokio::test]
async fn a_replayed_adjustment_bumps_nothing() {
    let mut repo = MockStockAdjustmentRepository::new();
    repo.expect_begin().returning(|| {
        let mut tx = MockStockAdjustmentTransaction::new();
        tx.expect_claim_idempotency_key().returning(|_, fingerprint| {
            Ok(KeyClaim::Existing {
                fingerprint: fingerprint.to_owned(),
                id: AdjustmentId::new(9).unwrap(),
            })
        });
        tx.expect_rollback().returning(|| Ok(()));
        Ok(Box::new(tx) as Box<dyn StockAdjustmentTransaction>)
    });
    repo.expect_get_adjustment().returning(|id| {
        Ok(Some(StockAdjustment {
            id,
            store_id: store(4),
            product_id: ProductId::new(7).unwrap(),
            delta: Delta::new(3).unwrap(),
            reason: AdjustmentReason::Restock,
            note: None,
            quantity_before: 5,
            quantity_after: 8,
            actor: "buyer".into(),
            created_at: created_at(),
        }))
    });
    let mut cache = MockCache::new();
    cache.expect_bump().never();
    let mut outbox = MockOutbox::new();
    outbox.expect_enqueue().never();
    let ports = ports_of(&repo, &cache, &outbox);
    let replayed = adjust_stock(ports, &catalogue_token(), &adjustment_of(3), Some("k"))
        .await
        .unwrap();
    assert!(replayed.replayed);
}

#[tokio::test]
async fn a_failed_bump_after_an_adjustment_is_handed_to_the_worker_and_the_adjustment_stands() {
    let cache = store_four_bumped(|| Err(Error::Unavailable("redis unreachable".into())));
    let mut outbox = MockOutbox::new();
    outbox
        .expect_enqueue()
        .with(eq(Job::CacheInvalidation { store_id: store(4) }))
        .times(1)
        .returning(|_| Ok(true));
    let repo = adjustments_with_stock_of_five();
    let ports = ports_of(&repo, &cache, &outbox);
    let adjusted = adjust_stock(ports, &catalogue_token(), &adjustment_of(3), None)
        .await
        .unwrap();
    assert_eq!(adjusted.adjustment.id.get(), 9);
}

#[test]
fn adjusting_stock_can_run_on_any_thread() {
    fn send<T: Send>(_: T) {}
    let repo = untouched_repo();
    let principal = catalogue_token();
    send(adjust_stock(
        writer(&repo),
        &principal,
        &adjustment_of(1),
        Some("k"),
    ));
}
