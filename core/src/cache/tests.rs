//! Read-through and invalidation rules, against a mocked cache.

use std::time::Duration;

use mockall::predicate::eq;

use super::*;
use crate::outbox::{Job, MockOutbox};
use crate::search::{search_cache_key, CountLimit, ProductSearch, SearchRequest};
use crate::{Error, PageRequest, StoreId};

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

/// Ports whose repository is never asked: the bump-or-defer rule alone.
fn ports<'a>(cache: &'a MockCache, outbox: &'a MockOutbox) -> WritePorts<'a, ()> {
    WritePorts {
        repository: &(),
        cache,
        outbox,
    }
}

#[test]
fn what_a_write_makes_stale_and_the_job_that_bumps_it_later() {
    let store = StoreId::new(4).unwrap();
    assert_eq!(Stale::Stock(store).scopes(), [Scope::Store(store), Scope::Stock]);
    assert_eq!(Stale::Catalogue.scopes(), [Scope::Catalogue]);
    assert_eq!(
        Stale::Stock(store).job(),
        Job::CacheInvalidation { store_id: store }
    );
    assert_eq!(Stale::Catalogue.job(), Job::CatalogueInvalidation);
}

#[tokio::test]
async fn a_bump_that_succeeds_leaves_the_outbox_alone() {
    let mut cache = MockCache::new();
    cache
        .expect_bump()
        .with(eq(vec![Scope::Catalogue]))
        .times(1)
        .returning(|_| Ok(()));
    let mut outbox = MockOutbox::new();
    outbox.expect_enqueue().never();
    ports(&cache, &outbox)
        .bump_or_defer(Stale::Catalogue, "product", 3)
        .await;
}

#[tokio::test]
async fn a_bump_that_fails_is_handed_to_the_worker_and_nothing_fails_when_that_fails_too() {
    let store = StoreId::new(4).unwrap();
    let mut cache = MockCache::new();
    cache
        .expect_bump()
        .with(eq(vec![Scope::Store(store), Scope::Stock]))
        .times(2)
        .returning(|_| Err(Error::Unavailable("redis unreachable".into())));
    let mut outbox = MockOutbox::new();
    let mut outcomes = vec![Err(Error::Unavailable("postgres unreachable".into())), Ok(true)];
    outbox
        .expect_enqueue()
        .with(eq(Job::CacheInvalidation { store_id: store }))
        .times(2)
        .returning(move |_| outcomes.pop().unwrap());
    for _ in 0..2 {
        ports(&cache, &outbox)
            .bump_or_defer(Stale::Stock(store), "order", 41)
            .await;
    }
}

#[tokio::test]
async fn a_deferred_bump_reports_its_failure_so_the_job_is_retried() {
    let mut cache = MockCache::new();
    cache
        .expect_bump()
        .times(1)
        .returning(|_| Err(Error::Unavailable("redis unreachable".into())));
    assert!(bump_deferred(&cache, Stale::Catalogue).await.is_err());
}
