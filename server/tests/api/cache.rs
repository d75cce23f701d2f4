//! Response cache and suggest rate limit on a real Redis: exact invalidation after orders,
//! per-IP limits that forged headers cannot dodge, and service while Redis is down.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::{json, Value};

use aforro_adapters::redis::keys::KeyLayout;
use aforro_core::cache::Scope;
use aforro_core::StoreId;

use crate::helpers::{dead_port, single_redis, RedisProcess, TestApp};

fn x_cache(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// GET `path`: (X-Cache, status, body).
pub(crate) async fn fetch(app: &TestApp, path: &str) -> (String, u16, Value) {
    let response = app.get(path).await;
    let cache = x_cache(&response);
    let status = response.status().as_u16();
    (cache, status, response.json().await.unwrap())
}

pub(crate) fn quantity_of(body: &Value, product_id: i64) -> i64 {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["product_id"] == product_id || item["id"] == product_id)
        .map(|item| item["quantity"].as_i64().unwrap())
        .unwrap_or_else(|| panic!("product {product_id} missing from {body}"))
}

#[tokio::test]
async fn inventory_is_a_hit_until_a_confirmed_order_changes_the_store() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let path = "/stores/1/inventory/";
    let (cache, _, first) = fetch(&app, path).await;
    assert_eq!(cache, "MISS");
    let (cache, _, again) = fetch(&app, path).await;
    assert_eq!((cache.as_str(), &again), ("HIT", &first));
    assert_eq!(quantity_of(&first, 1), 5);

    // A rejected order changes nothing: the entry stays valid.
    let rejected = app
        .post_order(json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 6}]}))
        .await;
    assert_eq!(rejected.json::<Value>().await.unwrap()["status"], "REJECTED");
    assert_eq!(fetch(&app, path).await.0, "HIT");

    // An order in another store leaves this store's entry valid too.
    let elsewhere = app
        .post_order(json!({"store_id": 2, "items": [{"product_id": 1, "quantity_requested": 1}]}))
        .await;
    assert_eq!(elsewhere.json::<Value>().await.unwrap()["status"], "CONFIRMED");
    assert_eq!(fetch(&app, path).await.0, "HIT");

    let confirmed = app
        .post_order(json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 2}]}))
        .await;
    assert_eq!(confirmed.json::<Value>().await.unwrap()["status"], "CONFIRMED");
    // The very next read, right after the 201: no stale page.
    let (cache, _, after) = fetch(&app, path).await;
    assert_eq!(cache, "MISS");
    assert_eq!(quantity_of(&after, 1), 3);
    assert_eq!(fetch(&app, path).await.0, "HIT");
}

#[tokio::test]
async fn store_filtered_search_is_invalidated_by_orders_and_plain_search_is_not() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let in_store = "/api/search/products/?q=tea&store_id=1";
    let anywhere = "/api/search/products/?q=tea";
    let in_stock = "/api/search/products/?in_stock=true";
    for path in [in_store, anywhere, in_stock] {
        assert_eq!(fetch(&app, path).await.0, "MISS", "{path}");
        assert_eq!(fetch(&app, path).await.0, "HIT", "{path}");
    }
    assert_eq!(quantity_of(&fetch(&app, in_store).await.2, 1), 5);

    let confirmed = app
        .post_order(json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 5}]}))
        .await;
    assert_eq!(confirmed.status(), 201);
    let (cache, _, body) = fetch(&app, in_store).await;
    assert_eq!((cache.as_str(), quantity_of(&body, 1)), ("MISS", 0));
    // Whether something is in stock anywhere may have changed: re-read.
    assert_eq!(fetch(&app, in_stock).await.0, "MISS");
    // A search that shows no stock did not change: still served from the cache.
    assert_eq!(fetch(&app, anywhere).await.0, "HIT");
}

#[tokio::test]
async fn suggest_is_cached_and_validation_is_not() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    assert_eq!(fetch(&app, "/api/search/suggest/?q=gre").await.0, "MISS");
    let (cache, status, body) = fetch(&app, "/api/search/suggest/?q=GRE").await;
    assert_eq!((cache.as_str(), status), ("HIT", 200), "q is normalised: {body}");
    assert_eq!(body["suggestions"], json!(["Green Tea"]));
    let (cache, status, _) = fetch(&app, "/api/search/suggest/?q=gr").await;
    assert_eq!((cache.as_str(), status), ("", 422));
}

async fn limited_app(limit: u32, trusted: &str) -> TestApp {
    let trusted = trusted.to_owned();
    TestApp::spawn_with(move |settings| {
        settings.cache.suggest_rate_limit_per_minute = limit;
        settings.cache.trusted_proxies = aforro_server::config::TrustedProxies(
            trusted
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect(),
        );
    })
    .await
}

/// A client whose connections come from `ip` (any 127.x.y.z reaches the server on loopback).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn suggest_from(app: &TestApp, client: &reqwest::Client, forwarded: Option<&str>) -> reqwest::Response {
    let mut request = client.get(app.url("/api/search/suggest/?q=tea"));
    if let Some(forwarded) = forwarded {
        request = request.header("X-Forwarded-For", forwarded);
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> u64 {
    response.headers()[name].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_21st_suggest_in_a_minute_is_refused_per_ip() {
    let app = limited_app(20, "").await;
    let first_ip = client_from("127.0.0.1");
    for sent in 1..=20u64 {
        let response = suggest_from(&app, &first_ip, None).await;
        assert_eq!(response.status(), 200, "request {sent}");
        assert_eq!(header(&response, "ratelimit-limit"), 20);
        assert_eq!(header(&response, "ratelimit-remaining"), 20 - sent);
    }
    let refused = suggest_from(&app, &first_ip, None).await;
    assert_eq!(refused.status(), 429);
    let retry_after = header(&refused, "retry-after");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(header(&refused, "ratelimit-remaining"), 0);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");

    // A forged X-Forwarded-For from an untrusted peer changes nothing.
    let forged = suggest_from(&app, &first_ip, Some("203.0.113.50")).await;
    assert_eq!(forged.status(), 429);

    // Another address has its own window.
    let other = suggest_from(&app, &client_from("127.0.0.2"), None).await;
    assert_eq!(other.status(), 200);
    assert_eq!(header(&other, "ratelimit-remaining"), 19);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_window() {
    let app = limited_app(2, "127.0.0.1/32").await;
    let proxy = client_from("127.0.0.1");
    for _ in 0..2 {
        assert_eq!(
            suggest_from(&app, &proxy, Some("198.51.100.1")).await.status(),
            200
        );
    }
    assert_eq!(
        suggest_from(&app, &proxy, Some("198.51.100.1")).await.status(),
        429
    );
    // The client cannot escape by prepending its own entry: the proxy's entry is right-most.
    let dodging = suggest_from(&app, &proxy, Some("1.1.1.1, 198.51.100.1")).await;
    assert_eq!(dodging.status(), 429);
    assert_eq!(
        suggest_from(&app, &proxy, Some("198.51.100.2")).await.status(),
        200
    );
}

#[tokio::test]
async fn with_redis_unreachable_everything_still_answers() {
    let app = TestApp::spawn_with(|settings| {
        single_redis(settings, format!("redis://127.0.0.1:{}", dead_port()));
        settings.cache.suggest_rate_limit_per_minute = 3;
    })
    .await;
    app.seed_basic().await;
    for path in [
        "/stores/1/inventory/",
        "/api/search/products/?q=tea&store_id=1",
        "/api/search/suggest/?q=tea",
    ] {
        let (cache, status, _) = fetch(&app, path).await;
        assert_eq!((cache.as_str(), status), ("BYPASS", 200), "{path}");
    }
    let order = app
        .post_order(json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}]}))
        .await;
    assert_eq!(order.status(), 201);
    assert_eq!(quantity_of(&fetch(&app, "/stores/1/inventory/").await.2, 1), 4);
    // The invalidation it could not apply went to the worker, through the outbox.
    let handed_over: i64 = app
        .db
        .scalar("SELECT count(*) AS n FROM outbox WHERE kind = 'cache_invalidation' AND store_id = 1")
        .await;
    assert_eq!(handed_over, 1);

    // The limit still holds, per process (one suggest above already counted).
    let client = client_from("127.0.0.1");
    for _ in 0..2 {
        assert_eq!(suggest_from(&app, &client, None).await.status(), 200);
    }
    assert_eq!(suggest_from(&app, &client, None).await.status(), 429);

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("redis down"), "{body}");
    // Every bypass was counted: three reads, the order's invalidation, the limiter calls.
    let failed: u64 = detail
        .split('(')
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_default();
    assert!(failed >= 7, "{detail}");
}

#[tokio::test]
async fn caching_and_limiting_resume_when_redis_comes_back() {
    let redis = RedisProcess::start().await;
    let url = redis.url();
    let app = TestApp::spawn_with(move |settings| single_redis(settings, url)).await;
    app.seed_basic().await;
    let path = "/stores/1/inventory/";
    assert_eq!(fetch(&app, path).await.0, "MISS");
    assert_eq!(fetch(&app, path).await.0, "HIT");

    let port = redis.stop();
    let (cache, status, _) = fetch(&app, path).await;
    assert_eq!((cache.as_str(), status), ("BYPASS", 200));
    assert_eq!(app.get("/readyz").await.status(), 503);

    let _redis = RedisProcess::start_on(port).await;
    // No restart: within the breaker's retry interval the cache is used again.
    poll_until_cache(&app, path, |cache| cache == "HIT").await;
    assert_eq!(app.get("/readyz").await.status(), 200);
}

/// Fetches `path` every 100 ms (for up to 4 s, every answer a 200) until its cache status
/// satisfies `wanted`; that answer's status and body, or a panic listing what was seen.
async fn poll_until_cache(app: &TestApp, path: &str, wanted: impl Fn(&str) -> bool) -> (String, Value) {
    let mut seen = Vec::new();
    for _ in 0..40 {
        let (cache, status, body) = fetch(app, path).await;
        assert_eq!(status, 200);
        if wanted(&cache) {
            return (cache, body);
        }
        seen.push(cache);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cache never resumed after Redis returned: {seen:?}");
}

#[tokio::test]
async fn an_invalidation_that_failed_is_applied_when_redis_returns_without_waiting_for_a_read() {
    let redis = RedisProcess::start().await;
    let url = redis.url();
    let app = TestApp::spawn_with(move |settings| {
        single_redis(settings, url);
        settings.redis.redis_key_prefix = "pending-bump".into();
    })
    .await;
    app.seed_basic().await;
    let port = redis.stop();
    let order = app
        .post_order(json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}]}))
        .await;
    assert_eq!(order.status(), 201, "orders do not need Redis");

    // Redis is back (empty). This process reads nothing from the cache from here on, so only
    // the background retry can apply the order's bump — which other processes, whose cached
    // entries it invalidates, rely on.
    let redis = RedisProcess::start_on(port).await;
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys = KeyLayout::new("pending-bump");
    let mut versions = (None, None);
    for _ in 0..50 {
        versions = redis::pipe()
            .get(&keys.versions_to_bump(&Scope::Store(StoreId::new(1).unwrap()))[0])
            .get(&keys.versions_to_bump(&Scope::Stock)[0])
            .query_async::<(Option<i64>, Option<i64>)>(&mut conn)
            .await
            .unwrap();
        if versions == (Some(1), Some(1)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the failed bump was never applied: versions {versions:?}");
}

/// A Redis keeping an append-only file in a fresh temporary folder (on a free port), and a
/// server on it whose store-1 inventory is cached (quantity of product 1: 5).
async fn cached_inventory_on_persistent_redis(name: &str) -> (RedisProcess, std::path::PathBuf, TestApp) {
    let dir = std::env::temp_dir().join(format!("aforro-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let port = RedisProcess::start().await.stop();
    let redis = RedisProcess::start_persistent(port, &dir).await;
    let url = redis.url();
    let app = TestApp::spawn_with(move |settings| single_redis(settings, url)).await;
    app.seed_basic().await;
    let path = "/stores/1/inventory/";
    assert_eq!(fetch(&app, path).await.0, "MISS");
    let (cache, _, cached) = fetch(&app, path).await;
    assert_eq!((cache.as_str(), quantity_of(&cached, 1)), ("HIT", 5));
    (redis, dir, app)
}

/// What an order whose version bump Redis lost would have done: product 1 of store 1 → 77.
async fn change_stock_behind_the_cache(app: &TestApp) {
    app.db
        .run_sql("UPDATE inventory SET quantity = 77 WHERE store_id = 1 AND product_id = 1")
        .await;
}

#[tokio::test]
async fn entries_that_outlive_a_redis_outage_are_not_served_afterwards() {
    let (redis, dir, app) = cached_inventory_on_persistent_redis("redis-aof").await;
    let path = "/stores/1/inventory/";

    // Redis dies; meanwhile the stock changes, as an order whose version bump Redis lost in
    // the crash (its last second) would have changed it. Redis returns with the old entry
    // and the old versions from its append-only file.
    let port = redis.stop();
    assert_eq!(fetch(&app, path).await.0, "BYPASS");
    change_stock_behind_the_cache(&app).await;
    let _redis = RedisProcess::start_persistent(port, &dir).await;
    let (cache, body) = poll_until_cache(&app, path, |cache| cache != "BYPASS").await;
    assert_eq!(
        (cache.as_str(), quantity_of(&body, 1)),
        ("MISS", 77),
        "the entry from before the outage must not be served"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_process_that_starts_after_a_redis_restart_does_not_serve_restored_entries() {
    let (redis, dir, first) = cached_inventory_on_persistent_redis("redis-restart").await;
    let path = "/stores/1/inventory/";

    // Redis restarts while the stock changes; the first server sees nothing of it (it makes
    // no request), and a second one starts afterwards on the same database and keys.
    let port = redis.stop();
    change_stock_behind_the_cache(&first).await;
    let redis = RedisProcess::start_persistent(port, &dir).await;
    let (url, database_url, prefix) = (redis.url(), first.db.url.clone(), first.db.name.clone());
    let second = TestApp::spawn_with(move |settings| {
        single_redis(settings, url);
        settings.database.database_url = database_url;
        settings.redis.redis_key_prefix = prefix;
    })
    .await;
    let (cache, status, body) = fetch(&second, path).await;
    assert_eq!(
        (cache.as_str(), status, quantity_of(&body, 1)),
        ("MISS", 200, 77),
        "the entry restored from before the restart must not be served"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
