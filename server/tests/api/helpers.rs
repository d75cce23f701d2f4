//! Test harness: every test gets its own database (`TestDb`, cloned from a migrated template)
//! and its own server on a random port, so tests run in parallel and leave nothing behind.

pub use aforro_adapters::postgres::test_db::TestDb;
use aforro_server::app::Application;
use aforro_server::config::{
    CacheSettings, ConsoleSettings, DatabaseSettings, ReadReplicaSettings, RedisSettings, Settings,
    TrustedProxies, DEFAULT_REDIS_URL, DEFAULT_SEARCH_COUNT_LIMIT,
};
use aforro_server::state::AppState;
use serde_json::Value;

/// A running server on its own database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A server whose settings `customize` may change first. Its Redis keys carry the test
    /// database's name, so tests sharing the test Redis never see each other's cache entries
    /// or rate-limit counters.
    pub async fn spawn_with(customize: impl FnOnce(&mut Settings)) -> Self {
        if std::env::var("TEST_LOG").is_ok() {
            aforro_adapters::telemetry::init();
        }
        let db = TestDb::new().await.expect("test database");
        let mut settings = Settings {
            bind: "127.0.0.1:0".into(),
            // `REDIS_CLUSTER_URLS` (the test cluster of `scripts/services cluster`) runs this
            // suite on a Redis Cluster instead of the single node.
            redis: RedisSettings {
                redis_url: std::env::var("REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.into()),
                redis_cluster_urls: test_cluster_urls(),
                redis_cluster_wait_replicas: 1,
                redis_key_prefix: db.name.clone(),
            },
            request_timeout_seconds: 5,
            search_count_limit: DEFAULT_SEARCH_COUNT_LIMIT,
            http_workers: Some(2),
            shutdown_drain_seconds: 0,
            shutdown_timeout_seconds: 10,
            metrics_bind: None,
            database: DatabaseSettings {
                database_url: db.url.clone(),
                database_pool_size: 8,
            },
            // `DATABASE_READ_URL` (a streaming replica of the test cluster) runs this suite's
            // reads on the replica: the test database is named as on the primary.
            read_replica: ReadReplicaSettings {
                database_read_url: std::env::var("DATABASE_READ_URL")
                    .ok()
                    .map(|url| same_database(&url, &db.name)),
                database_read_wait_ms: 50,
            },
            cache: CacheSettings {
                cache_enabled: true,
                cache_ttl_seconds: 300,
                // Tests other than the rate-limit ones must not be limited.
                suggest_rate_limit_per_minute: 100_000,
                suggest_rate_limit_window_seconds: 60,
                trusted_proxies: TrustedProxies::default(),
            },
            console: ConsoleSettings::default(),
        };
        customize(&mut settings);
        // A test that points this server at another test's database reads that database's
        // replica too.
        if let (Some(read), Ok(base)) = (
            settings.read_replica.database_read_url.as_mut(),
            std::env::var("DATABASE_READ_URL"),
        ) {
            let name = settings
                .database
                .database_url
                .rsplit('/')
                .next()
                .unwrap_or_default();
            *read = same_database(&base, name);
        }
        let state = AppState::from_settings(&settings).expect("state");
        let app = Application::build(&settings, state).expect("build app");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run());
        Self {
            address,
            client: reqwest::Client::new(),
            db,
        }
    }

    /// Inserts a small catalogue: categories 1–2, products 1–4, stores 1–2 and some stock.
    pub async fn seed_basic(&self) {
        self.db
            .run_sql(
                "INSERT INTO categories (id, name) VALUES (1, 'Beverages'), (2, 'Snacks');
                 INSERT INTO products (id, title, description, price, category_id) VALUES
                   (1, 'Green Tea', 'Loose leaf', 4.20, 1),
                   (2, 'Oolong', NULL, 6.00, 1),
                   (3, 'almond bar', 'Crunchy', 1.99, 2),
                   (4, 'Chocolate', 'Dark', 2.50, 2);
                 INSERT INTO stores (id, name, location) VALUES (1, 'Baixa', 'Lisbon'), (2, 'Ribeira', 'Porto');
                 INSERT INTO inventory (store_id, product_id, quantity) VALUES
                   (1, 1, 5), (1, 2, 1), (1, 3, 10), (2, 1, 100);
                 -- Ids were chosen here, as the seeder chooses them: move the identities past
                 -- them (as it does), so rows created through the API get new ids.
                 SELECT setval(pg_get_serial_sequence(t, 'id'), 10)
                 FROM unnest(ARRAY['categories', 'products', 'stores']) AS t",
            )
            .await;
    }

    /// A staff token made through the same use-case as `server token create`: a catalogue
    /// token without `stores`, else a token for those stores.
    pub async fn staff_token(&self, name: &str, stores: &[i64]) -> String {
        let postgres =
            aforro_adapters::postgres::Postgres::connect(&self.db.url, Default::default()).expect("postgres");
        let random: [u8; 32] = rand::random();
        let (_, secret) = aforro_core::auth::create_token(&postgres, &postgres, name, stores, random)
            .await
            .expect("create token");
        secret.reveal().to_owned()
    }

    /// A request with `Authorization: Bearer <token>`.
    pub fn staff(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(token)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_order(&self, body: Value) -> reqwest::Response {
        self.client
            .post(self.url("/orders/"))
            .json(&body)
            .send()
            .await
            .expect("POST /orders/")
    }

    /// GET with query parameters encoded by the client (for values with any content).
    pub async fn get_with(&self, path: &str, query: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .query(query)
            .send()
            .await
            .expect("GET")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }
}

/// The `field`s of a problem+json body.
pub fn problem_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

pub use aforro_adapters::test_redis::{dead_port, RedisProcess};

/// The nodes of the test Redis Cluster (`REDIS_CLUSTER_URLS`), or none: a single node.
pub fn test_cluster_urls() -> Vec<String> {
    std::env::var("REDIS_CLUSTER_URLS")
        .map(|urls| urls.split(',').map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Points `settings` at the single Redis node `url` (a test's own, or a dead port), whatever
/// Redis the suite runs on.
pub fn single_redis(settings: &mut Settings, url: String) {
    settings.redis.redis_url = url;
    settings.redis.redis_cluster_urls.clear();
}

/// `url` with its database name replaced by `name`.
pub fn same_database(url: &str, name: &str) -> String {
    match url.rfind('/') {
        Some(cut) => format!("{}/{name}", &url[..cut]),
        None => format!("{url}/{name}"),
    }
}

/// The ids a reference query returns as one array column `ids` (the same-answers tests).
#[derive(diesel::QueryableByName)]
pub struct Ids {
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::BigInt>)]
    pub ids: Vec<i64>,
}
