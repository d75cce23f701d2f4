//! Read-through and invalidation rules, against a mocked cache.

use std::time::Duration;

use mockall::predicate::eq;

use super::*;
use crate::auth::{Principal, TokenName, TokenScope};
use crate::inventory::{
    AdjustStock, AdjustmentId, AdjustmentKeyClaim, AdjustmentReason, Delta, LockedStock,
    MockStockAdjustmentRepository, MockStockAdjustmentTransaction, StockAdjustment,
    StockAdjustmentTransaction, StockTargets,
};
use crate::jobs::{Job, MockOutbox};
use crate::orders::{
    MockOrderRepository, MockOrderTransaction, Order, OrderStatus, OrderTransaction, PlaceOrder, Placed,
    RequestedItem, StockLine,
};
use crate::search::{search_cache_key, CountLimit, ProductSearch, SearchRequest};
use crate::{Error, OrderId, PageRequest, ProductId, StoreId};

const TTL: Duration = Duration::from_secs(60);

fn key() -> CacheKey {
    CacheKey {
        namespace: "test",
        request: "r".into(),
        scopes: vec![Scope::Catalogue],
    }
}

fn lookup(value: Option<&str>) -> Lookup {
    Lookup {
        stamp: "7".into(),
        value: value.map(|v| v.as_bytes().to_vec()),
    }
}

#[tokio::test]
async fn a_hit_is_decoded_and_nothing_is_loaded() {
    let mut cache = MockCache::new();
    cache
        .expect_lookup()
        .return_once(|_| Ok(lookup(Some("[\"a\",\"b\"]"))));
    cache.expect_store().never();
    let got =
        read_through::<Vec<String>, _, _>(&cache, &key(), TTL, || async { panic!("must not load on a hit") })
            .await
            .unwrap();
    assert_eq!(got.value, vec!["a".to_string(), "b".to_string()]);
    assert_eq!(got.status, CacheStatus::Hit);
}

#[tokio::test]
async fn a_miss_loads_and_stores_under_the_looked_up_stamp() {
    let mut cache = MockCache::new();
    cache.expect_lookup().return_once(|_| Ok(lookup(None)));
    cache
        .expect_store()
        .withf(|k, stamp, value, ttl| {
            k.namespace == "test" && stamp == "7" && value == b"[\"x\"]" && *ttl == TTL
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let got = read_through(&cache, &key(), TTL, || async { Ok(vec!["x".to_string()]) })
        .await
        .unwrap();
    assert_eq!(got.status, CacheStatus::Miss);
}

#[tokio::test]
async fn a_failing_cache_is_bypassed_not_reported() {
    let mut cache = MockCache::new();
    cache
        .expect_lookup()
        .return_once(|_| Err(Error::Unavailable("connection refused".into())));
    cache.expect_store().never();
    let got = read_through(&cache, &key(), TTL, || async { Ok(1u32) })
        .await
        .unwrap();
    assert_eq!((got.value, got.status), (1, CacheStatus::Bypass));

    let mut cache = MockCache::new();
    cache.expect_lookup().return_once(|_| Ok(lookup(None)));
    cache
        .expect_store()
        .return_once(|_, _, _, _| Err(Error::Unavailable("gone".into())));
    let got = read_through(&cache, &key(), TTL, || async { Ok(2u32) })
        .await
        .unwrap();
    assert_eq!((got.value, got.status), (2, CacheStatus::Bypass));
}

#[tokio::test]
async fn an_undecodable_entry_is_replaced() {
    let mut cache = MockCache::new();
    cache
        .expect_lookup()
        .return_once(|_| Ok(lookup(Some("not json"))));
    cache.expect_store().times(1).returning(|_, _, _, _| Ok(()));
    let got = read_through(&cache, &key(), TTL, || async { Ok(3u32) })
        .await
        .unwrap();
    assert_eq!((got.value, got.status), (3, CacheStatus::Miss));
}

#[tokio::test]
async fn load_errors_are_returned_and_never_cached() {
    let mut cache = MockCache::new();
    cache.expect_lookup().return_once(|_| Ok(lookup(None)));
    cache.expect_store().never();
    let got = read_through::<u32, _, _>(&cache, &key(), TTL, || async {
        Err(Error::NotFound {
            entity: crate::Entity::Store,
            id: 9,
        })
    })
    .await;
    assert!(matches!(got, Err(Error::NotFound { id: 9, .. })));
}

fn placed(status: OrderStatus, replayed: bool) -> Placed {
    Placed {
        order: Order {
            id: OrderId::new(1).unwrap(),
            store_id: StoreId::new(4).unwrap(),
            status,
            created_at: chrono::Utc::now(),
            lines: vec![],
        },
        replayed,
    }
}

#[tokio::test]
async fn only_a_new_confirmed_order_bumps_its_store_and_stock() {
    let mut cache = MockCache::new();
    cache
        .expect_bump()
        .with(eq(vec![Scope::Store(StoreId::new(4).unwrap()), Scope::Stock]))
        .times(1)
        .returning(|_| Ok(()));
    invalidate_after_order(&cache, &placed(OrderStatus::Confirmed, false))
        .await
        .unwrap();
    // A rejected order deducted nothing; a replay changed nothing.
    invalidate_after_order(&cache, &placed(OrderStatus::Rejected, false))
        .await
        .unwrap();
    invalidate_after_order(&cache, &placed(OrderStatus::Confirmed, true))
        .await
        .unwrap();
}

/// Orders of one line (product 7, `requested` units) at store 4 with 5 units in stock; the one
/// transaction commits order 41.
fn orders_with_stock_of_five() -> MockOrderRepository {
    let mut repo = MockOrderRepository::new();
    repo.expect_begin().returning(|| {
        let mut tx = MockOrderTransaction::new();
        tx.expect_lock_stock().returning(|_, _| {
            Ok(Some(vec![StockLine {
                product_id: ProductId::new(7).unwrap(),
                title: "Tea".into(),
                available: 5,
            }]))
        });
        tx.expect_commit_order()
            .returning(|_| Ok((OrderId::new(41).unwrap(), chrono::Utc::now())));
        Ok(Box::new(tx) as Box<dyn OrderTransaction>)
    });
    repo
}

fn order_of(requested: i64) -> PlaceOrder {
    PlaceOrder {
        store_id: 4,
        items: vec![RequestedItem {
            product_id: 7,
            quantity_requested: requested,
        }],
        unknown: Vec::new(),
    }
}

#[tokio::test]
async fn a_failed_invalidation_is_handed_to_the_worker_and_the_order_stands() {
    let mut cache = MockCache::new();
    cache
        .expect_bump()
        .times(2)
        .returning(|_| Err(Error::Unavailable("redis unreachable".into())));
    let mut outbox = MockOutbox::new();
    outbox
        .expect_enqueue()
        .with(eq(Job::CacheInvalidation {
            store_id: StoreId::new(4).unwrap(),
        }))
        .times(1)
        .returning(|_| Ok(true));
    let placed = place_order_invalidating(&orders_with_stock_of_five(), &cache, &outbox, &order_of(2), None)
        .await
        .unwrap();
    assert_eq!(placed.order.status, OrderStatus::Confirmed);

    // Even when the outbox fails too, the committed order is what the client gets.
    let mut outbox = MockOutbox::new();
    outbox
        .expect_enqueue()
        .times(1)
        .returning(|_| Err(Error::Unavailable("postgres unreachable".into())));
    let placed = place_order_invalidating(&orders_with_stock_of_five(), &cache, &outbox, &order_of(2), None)
        .await
        .unwrap();
    assert_eq!(placed.order.id.get(), 41);
}

#[tokio::test]
async fn nothing_goes_to_the_outbox_when_the_invalidation_succeeds_or_is_not_needed() {
    let mut cache = MockCache::new();
    cache.expect_bump().times(1).returning(|_| Ok(()));
    let mut outbox = MockOutbox::new();
    outbox.expect_enqueue().never();
    let confirmed =
        place_order_invalidating(&orders_with_stock_of_five(), &cache, &outbox, &order_of(2), None)
            .await
            .unwrap();
    assert_eq!(confirmed.order.status, OrderStatus::Confirmed);
    // A rejected order (6 of 5) changed nothing: no bump, so nothing can fail.
    let rejected =
        place_order_invalidating(&orders_with_stock_of_five(), &cache, &outbox, &order_of(6), None)
            .await
            .unwrap();
    assert_eq!(rejected.order.status, OrderStatus::Rejected);
}

#[test]
fn search_keys_depend_on_exactly_the_stock_they_show() {
    let scopes = |request: SearchRequest| {
        let query =
            ProductSearch::parse(&request, PageRequest::new(None, None, 20).unwrap(), limit(10_000)).unwrap();
        search_cache_key(&query).scopes
    };
    let store = StoreId::new(3).unwrap();
    assert_eq!(
        scopes(SearchRequest {
            q: Some("tea".into()),
            ..Default::default()
        }),
        [Scope::Catalogue]
    );
    assert_eq!(
        scopes(SearchRequest {
            store_id: Some(3),
            ..Default::default()
        }),
        [Scope::Catalogue, Scope::Store(store)]
    );
    assert_eq!(
        scopes(SearchRequest {
            in_stock: Some(false),
            ..Default::default()
        }),
        [Scope::Catalogue, Scope::Stock]
    );
}

#[test]
fn equivalent_searches_share_a_key_and_different_pages_do_not() {
    let key = |q: &str, page: i64| {
        let query = ProductSearch::parse(
            &SearchRequest {
                q: Some(q.into()),
                ..Default::default()
            },
            PageRequest::new(Some(page), None, 20).unwrap(),
            limit(10_000),
        )
        .unwrap();
        search_cache_key(&query)
    };
    assert_eq!(key("  Green TEA ", 1), key("green tea", 1));
    assert_ne!(key("green tea", 1), key("green tea", 2));
    assert_ne!(key("green tea", 1), key("green", 1));
}

fn limit(n: u32) -> CountLimit {
    CountLimit::new(n).unwrap()
}

#[test]
fn servers_with_different_count_limits_do_not_share_counts() {
    let key = |bound| {
        let page = PageRequest::new(None, None, 20).unwrap();
        search_cache_key(&ProductSearch::parse(&SearchRequest::default(), page, limit(bound)).unwrap())
    };
    assert_ne!(key(1_000), key(10_000));
}

/// Adjustments at store 4 of product 7, which has 5 units; the one transaction commits
/// adjustment 9 when the delta fits.
fn adjustments_with_stock_of_five() -> MockStockAdjustmentRepository {
    let mut repo = MockStockAdjustmentRepository::new();
    repo.expect_begin().returning(|| {
        let mut tx = MockStockAdjustmentTransaction::new();
        tx.expect_lock_stock_row().returning(|_, _| {
            Ok(LockedStock {
                targets: StockTargets {
                    store_exists: true,
                    product_exists: true,
                },
                quantity: 5,
            })
        });
        tx.expect_commit_adjustment()
            .returning(|_| Ok((AdjustmentId::new(9).unwrap(), chrono::Utc::now())));
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

fn staff() -> Principal {
    Principal {
        name: TokenName::parse("buyer").unwrap(),
        scope: TokenScope::Catalogue,
    }
}

#[tokio::test]
async fn an_adjustment_bumps_its_store_and_stock_and_a_refused_one_nothing() {
    let mut cache = MockCache::new();
    cache
        .expect_bump()
        .with(eq(vec![Scope::Store(StoreId::new(4).unwrap()), Scope::Stock]))
        .times(1)
        .returning(|_| Ok(()));
    let mut outbox = MockOutbox::new();
    outbox.expect_enqueue().never();
    let repo = adjustments_with_stock_of_five();
    let adjusted = adjust_stock_invalidating(&repo, &cache, &outbox, &staff(), &adjustment_of(3), None)
        .await
        .unwrap();
    assert_eq!(adjusted.adjustment.quantity_after, 8);
    // 5 - 6 < 0: a conflict, nothing changed, nothing bumped.
    let refused = adjust_stock_invalidating(&repo, &cache, &outbox, &staff(), &adjustment_of(-6), None).await;
    assert!(matches!(refused, Err(Error::Conflict(_))));
}

#[tokio::test]
async fn a_replayed_adjustment_bumps_nothing() {
    let mut repo = MockStockAdjustmentRepository::new();
    repo.expect_begin().returning(|| {
        let mut tx = MockStockAdjustmentTransaction::new();
        tx.expect_claim_idempotency_key().returning(|_, fingerprint| {
            Ok(AdjustmentKeyClaim::Existing {
                fingerprint: fingerprint.to_owned(),
                adjustment_id: AdjustmentId::new(9).unwrap(),
            })
        });
        tx.expect_rollback().returning(|| Ok(()));
        Ok(Box::new(tx) as Box<dyn StockAdjustmentTransaction>)
    });
    repo.expect_get_adjustment().returning(|id| {
        Ok(Some(StockAdjustment {
            id,
            store_id: StoreId::new(4).unwrap(),
            product_id: ProductId::new(7).unwrap(),
            delta: Delta::new(3).unwrap(),
            reason: AdjustmentReason::Restock,
            note: None,
            quantity_before: 5,
            quantity_after: 8,
            actor: "buyer".into(),
            created_at: chrono::Utc::now(),
        }))
    });
    let mut cache = MockCache::new();
    cache.expect_bump().never();
    let mut outbox = MockOutbox::new();
    outbox.expect_enqueue().never();
    let replayed = adjust_stock_invalidating(&repo, &cache, &outbox, &staff(), &adjustment_of(3), Some("k"))
        .await
        .unwrap();
    assert!(replayed.replayed);
}

#[tokio::test]
async fn a_failed_bump_after_an_adjustment_is_handed_to_the_worker_and_the_adjustment_stands() {
    let mut cache = MockCache::new();
    cache
        .expect_bump()
        .times(1)
        .returning(|_| Err(Error::Unavailable("redis unreachable".into())));
    let mut outbox = MockOutbox::new();
    outbox
        .expect_enqueue()
        .with(eq(Job::CacheInvalidation {
            store_id: StoreId::new(4).unwrap(),
        }))
        .times(1)
        .returning(|_| Ok(true));
    let adjusted = adjust_stock_invalidating(
        &adjustments_with_stock_of_five(),
        &cache,
        &outbox,
        &staff(),
        &adjustment_of(3),
        None,
    )
    .await
    .unwrap();
    assert_eq!(adjusted.adjustment.id.get(), 9);
}
