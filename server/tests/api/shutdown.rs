//! Graceful shutdown of the `server` binary (server/src/shutdown.rs): on SIGTERM `/readyz`
//! turns 503 at once while requests are still served for `SHUTDOWN_DRAIN_SECONDS`, then the
//! listener closes, requests in flight finish and the process exits 0; a second SIGTERM
//! stops at once. The server runs as a child process, as an orchestrator runs it.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aforro_adapters::test_figures::report;
use aforro_server::config::DEFAULT_REDIS_URL;
use serde_json::json;

use crate::helpers::TestApp;

/// A `server serve` child process on a free loopback port, on `app`'s database and key prefix.
struct ServerProcess {
    child: Child,
    base: String,
}

impl ServerProcess {
    async fn start(app: &TestApp, drain_seconds: u64) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("serve")
            .env("DATABASE_URL", &app.db.url)
            .env(
                "REDIS_URL",
                std::env::var("REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.into()),
            )
            .env("REDIS_KEY_PREFIX", &app.db.name)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("HTTP_WORKERS", "2")
            .env("SHUTDOWN_DRAIN_SECONDS", drain_seconds.to_string())
            .env("RUST_LOG", "info")
            .env_remove("METRICS_BIND_ADDR")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server binary starts");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while server.readyz(&client).await != Some(200) {
            assert!(Instant::now() < deadline, "the server never became ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    async fn readyz(&self, client: &reqwest::Client) -> Option<u16> {
        let response = client.get(format!("{}/readyz", self.base)).send().await.ok()?;
        Some(response.status().as_u16())
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit within `limit`; returns its success and all it logged.
    async fn exit_within(mut self, limit: Duration) -> (bool, String) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not exit within {limit:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let mut logs = String::new();
        for stream in [
            self.child.stdout.take().map(|s| Box::new(s) as Box<dyn Read>),
            self.child.stderr.take().map(|s| Box::new(s) as Box<dyn Read>),
        ]
        .into_iter()
        .flatten()
        {
            let mut stream = stream;
            stream.read_to_string(&mut logs).expect("read logs");
        }
        (status.success(), logs)
    }
}

/// Eight clients place orders non-stop; SIGTERM arrives; the test plays the proxy, which stops
/// routing new requests once `/readyz` says 503. Every order sent, before the signal or during
/// the drain, is answered 201 and stored; stock is exact; the process exits 0 after the drain.
#[tokio::test]
async fn orders_in_flight_when_sigterm_arrives_all_complete_and_the_server_exits_cleanly() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    app.db
        .run_sql("UPDATE inventory SET quantity = 1000000 WHERE store_id = 1 AND product_id = 1")
        .await;
    let server = ServerProcess::start(&app, 1).await;
    let proxy_stopped = AtomicBool::new(false);
    let clients = (0..8).map(|_| {
        let (base, stopped) = (&server.base, &proxy_stopped);
        async move {
            let client = reqwest::Client::new();
            let mut statuses = Vec::new();
            while !stopped.load(Ordering::SeqCst) {
                let response = client
                    .post(format!("{base}/orders/"))
                    .json(&json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}]}))
                    .send()
                    .await;
                statuses.push(response.map(|r| r.status().as_u16()).map_err(|e| e.to_string()));
            }
            statuses
        }
    });
    let signal_and_watch = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        server.terminate();
        let signalled = Instant::now();
        let client = reqwest::Client::new();
        while server.readyz(&client).await != Some(503) {
            assert!(
                signalled.elapsed() < Duration::from_millis(500),
                "/readyz did not turn 503 after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let noticed = signalled.elapsed();
        proxy_stopped.store(true, Ordering::SeqCst);
        noticed
    };
    let (answers, noticed) =
        futures::future::join(futures::future::join_all(clients), signal_and_watch).await;
    let answers: Vec<_> = answers.into_iter().flatten().collect();
    let created = answers.iter().filter(|a| **a == Ok(201)).count();
    assert!(created > 20, "the clients must have been ordering: {created}");
    let failed: Vec<_> = answers.iter().filter(|a| **a != Ok(201)).collect();
    assert!(failed.is_empty(), "every order answered 201: {failed:?}");

    let (success, logs) = server.exit_within(Duration::from_secs(15)).await;
    assert!(success, "exit status 0; logs:\n{logs}");
    assert!(logs.contains("shutdown requested"), "{logs}");
    assert!(logs.contains("drain over"), "{logs}");
    let stored = app.db.scalar("SELECT count(*) AS n FROM orders").await;
    assert_eq!(
        stored as usize, created,
        "every 201 order is stored, and no other"
    );
    assert_eq!(app.db.stock(1, 1).await, 1_000_000 - created as i64);
    assert!(noticed < Duration::from_millis(500));
    report(&format!(
        "server shutdown: 8 clients ordering across SIGTERM: {} requests, {created} answered 201, {} failed, {stored} stored; /readyz 503 after {noticed:?}",
        answers.len(),
        failed.len()
    ));
}

/// A second SIGTERM during the drain stops the server at once, saying so.
#[tokio::test]
async fn a_second_sigterm_stops_at_once() {
    let app = TestApp::spawn().await;
    let server = ServerProcess::start(&app, 60).await;
    server.terminate();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.readyz(&client).await != Some(503) {
        assert!(
            Instant::now() < deadline,
            "/readyz did not turn 503 after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let second = Instant::now();
    server.terminate();
    let (success, logs) = server.exit_within(Duration::from_secs(5)).await;
    assert!(second.elapsed() < Duration::from_secs(5), "within the 60 s drain");
    assert!(success, "exit status 0; logs:\n{logs}");
    assert!(logs.contains("second stop signal"), "{logs}");
    report(&format!(
        "server shutdown: a second SIGTERM during a 60 s drain: exit 0 after {:?}",
        second.elapsed()
    ));
}
