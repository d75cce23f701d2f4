//! Shared set-up of the worker's integration tests: a fresh database, a worker on the test
//! Redis, and a loop that relays and works until the queue is empty.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use aforro_adapters::postgres::test_db::TestDb;
use aforro_adapters::postgres::{PoolSettings, Postgres, RecordingMailer};
use aforro_adapters::redis::{Redis, RedisSettings};
use aforro_core::auth::{Principal, TokenName, TokenScope};
use aforro_core::cache::{NoCache, WritePorts};
use aforro_core::jobs::{MailSettings, RetryPolicy};
use aforro_core::orders::{cancel_order, place_order, CancelOrder, OrderStatus, OrderWriter, PlaceOrder};
use aforro_core::OrderId;
use aforro_server::app::Application;
use aforro_server::config::{
    CacheSettings, ConsoleSettings, DatabaseSettings, ReadReplicaSettings, Settings, TrustedProxies,
    DEFAULT_SEARCH_COUNT_LIMIT,
};
use aforro_server::state::AppState;
use aforro_worker::runner::Worker;

pub const DEFAULT_TEST_REDIS: &str = "redis://127.0.0.1:56379";

pub struct Setup {
    pub db: TestDb,
    pub postgres: Postgres,
    /// The test Redis: a single node, or the test cluster when `REDIS_CLUSTER_URLS` is set;
    /// the key prefix is the test database's name.
    pub redis: RedisSettings,
}

impl Setup {
    /// A fresh database with stores 1–2, products 1–3 and some stock.
    pub async fn new() -> Self {
        let mut setup =
            Self::with_redis(std::env::var("REDIS_URL").unwrap_or_else(|_| DEFAULT_TEST_REDIS.into())).await;
        if let Ok(urls) = std::env::var("REDIS_CLUSTER_URLS") {
            setup.redis.redis_cluster_urls = urls.split(',').map(str::to_owned).collect();
        }
        setup
    }

    /// As [`Setup::new`], on the single Redis node at `redis_url`.
    pub async fn with_redis(redis_url: String) -> Self {
        let db = TestDb::new().await.expect("test database");
        db.run_sql(
            "INSERT INTO categories (id, name) VALUES (1, 'Beverages');
             INSERT INTO products (id, title, price, category_id) VALUES
               (1, 'Green Tea', 4.20, 1), (2, 'Oolong', 6.00, 1), (3, 'Matcha', 9.00, 1);
             INSERT INTO stores (id, name, location) VALUES (1, 'Baixa', 'Lisbon'), (2, 'Ribeira', 'Porto');
             INSERT INTO inventory (store_id, product_id, quantity) VALUES
               (1, 1, 100), (1, 2, 3), (1, 3, 0), (2, 1, 10)",
        )
        .await;
        let postgres = Postgres::connect(
            &db.url,
            PoolSettings {
                max_size: 8,
                ..PoolSettings::default()
            },
        )
        .unwrap();
        let redis = RedisSettings {
            redis_key_prefix: db.name.clone(),
            ..RedisSettings::single(redis_url)
        };
        Self { db, postgres, redis }
    }

    /// The Redis adapter on the test Redis, with this test's key prefix.
    pub fn redis(&self) -> Redis {
        self.redis.connect().unwrap()
    }

    /// A worker with its own consumer name; its Redis keys carry the test database's name.
    pub fn worker(&self, consumer: &str) -> Worker {
        let redis = self.redis();
        Worker {
            outbox: Arc::new(self.postgres.clone()),
            queue: Arc::new(redis.clone()),
            orders: Arc::new(self.postgres.clone()),
            mailer: Arc::new(RecordingMailer::new(self.postgres.clone())),
            summaries: Arc::new(self.postgres.clone()),
            cache: Arc::new(redis),
            mail: MailSettings {
                from: "shop@aforro.test".into(),
                to: "customer@aforro.test".into(),
            },
            low_stock_threshold: 5,
            policy: RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(50),
            },
            consumer: consumer.into(),
            claim_idle: Duration::from_millis(200),
            republish_after: Duration::from_secs(600),
            batch: 100,
            concurrency: 8,
        }
    }

    /// An API server on this database and Redis, with the workers' key prefix (what replicas
    /// of one deployment share), allowing `suggest_limit` suggest requests a minute. Returns
    /// its base URL.
    pub async fn server(&self, suggest_limit: u32) -> String {
        let settings = Settings {
            bind: "127.0.0.1:0".into(),
            redis: self.redis.clone(),
            request_timeout_seconds: 5,
            search_count_limit: DEFAULT_SEARCH_COUNT_LIMIT,
            http_workers: Some(2),
            shutdown_drain_seconds: 0,
            shutdown_timeout_seconds: 10,
            metrics_bind: None,
            database: DatabaseSettings {
                database_url: self.db.url.clone(),
                database_pool_size: 8,
            },
            read_replica: ReadReplicaSettings::default(),
            cache: CacheSettings {
                cache_enabled: true,
                cache_ttl_seconds: 300,
                suggest_rate_limit_per_minute: suggest_limit,
                suggest_rate_limit_window_seconds: 60,
                trusted_proxies: TrustedProxies::default(),
            },
            console: ConsoleSettings::default(),
        };
        let app = Application::build(&settings, AppState::from_settings(&settings).unwrap()).unwrap();
        let url = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run());
        url
    }

    /// What placing an order needs, with no cache to invalidate (the order path is not
    /// under test).
    pub fn order_writer(&self) -> OrderWriter<'_> {
        WritePorts {
            repository: &self.postgres,
            cache: &NoCache,
            outbox: &self.postgres,
        }
    }

    pub async fn order(&self, store_id: i64, items: &[(i64, i64)]) -> (i64, OrderStatus) {
        let request = PlaceOrder::of(store_id, items);
        let placed = place_order(self.order_writer(), &request, None).await.unwrap();
        (placed.order.id.get(), placed.order.status)
    }

    /// Cancels a confirmed order through the core use-case on the Postgres adapter, as staff
    /// token `test` with `note`: its transaction gives the stock back and writes the
    /// cancellation email's job to the outbox.
    pub async fn cancel(&self, order_id: i64, note: Option<&str>) {
        let staff = Principal {
            name: TokenName::parse("test").unwrap(),
            scope: TokenScope::Catalogue,
        };
        let request = CancelOrder {
            note: note.map(str::to_owned),
            ..CancelOrder::default()
        };
        let order_id = OrderId::new(order_id).unwrap();
        let cancelled = cancel_order(self.order_writer(), &staff, order_id, &request, None)
            .await
            .unwrap();
        assert!(cancelled.changed, "order {order_id} was cancelled before");
    }

    /// Confirmed orders `first..first + n` of one unit each, with their confirmation jobs,
    /// written straight in SQL (fast; the order path is not under test).
    pub async fn bulk_orders(&self, first: i64, n: i64) {
        let last = first + n - 1;
        self.db
            .run_sql(&format!(
                "INSERT INTO orders (id, store_id, status)
                   SELECT g, 1, 'CONFIRMED' FROM generate_series({first}, {last}) g;
                 INSERT INTO order_items (order_id, product_id, quantity_requested, quantity_available)
                   SELECT g, 1, 1, 100 FROM generate_series({first}, {last}) g;
                 INSERT INTO outbox (kind, order_id)
                   SELECT 'order_confirmation', g FROM generate_series({first}, {last}) g"
            ))
            .await;
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.db.scalar(&format!("SELECT ({sql})::bigint AS n")).await
    }

    pub async fn emails_for(&self, order_id: i64) -> i64 {
        self.count(&format!(
            "SELECT count(*) FROM sent_emails WHERE order_id = {order_id}"
        ))
        .await
    }

    pub async fn cancellation_emails_for(&self, order_id: i64) -> i64 {
        self.count(&format!(
            "SELECT count(*) FROM sent_cancellation_emails WHERE order_id = {order_id}"
        ))
        .await
    }
}

/// Relays and works until the queue has nothing more (bounded).
pub async fn drain(worker: &Worker) {
    for _ in 0..200 {
        worker.relay_pass().await.unwrap();
        if !worker.work_pass(Duration::from_millis(50)).await.unwrap() {
            return;
        }
    }
    panic!("queue never drained");
}
