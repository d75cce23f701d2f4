//! Postgres going away under a running server: requests that need it get 503 problem+json,
//! /readyz says so, and everything recovers without a restart when it returns.
//!
//! "Going away" is a TCP proxy between the server and the test Postgres that the test cuts
//! (closing every connection and refusing new ones) and restores; the shared test Postgres
//! keeps serving the other tests meanwhile.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::TestApp;

/// A loopback TCP proxy that can be cut and restored on the same port.
struct Proxy {
    port: u16,
    target: String,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = Self {
            port,
            target,
            tasks: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let target = self.target.clone();
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(pipe);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// Closes every connection and stops listening: like a Postgres that went down.
    fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Listens again on the same port.
    async fn restore(&self) {
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(listener) => break listener,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        self.serve(listener);
    }
}

async fn status_and_body(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn postgres_down_gives_503_and_recovery_needs_no_restart() {
    // The test cluster's address, whatever port it was given (AFORRO_PG_PORT).
    let cluster = aforro_adapters::postgres::test_db::cluster_url();
    let address = cluster
        .rsplit_once('@')
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(address, _)| address.to_owned())
        .expect("host:port in DATABASE_URL");
    let proxy = Arc::new(Proxy::start(address.clone()).await);
    let port = proxy.port;
    let app = TestApp::spawn_with(move |settings| {
        let direct = settings.database.database_url.clone();
        settings.database.database_url =
            direct.replace(&format!("@{address}/"), &format!("@127.0.0.1:{port}/"));
        assert_ne!(
            settings.database.database_url, direct,
            "the proxy must sit in between"
        );
        settings.cache.cache_enabled = false;
    })
    .await;
    app.seed_basic().await;
    let order = json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}]});
    assert_eq!(app.post_order(order.clone()).await.status(), 201);
    assert_eq!(app.get("/readyz").await.status(), 200);

    proxy.cut();
    for response in [
        app.post_order(order.clone()).await,
        app.get("/stores/1/inventory/").await,
        app.get("/api/search/products/?q=tea").await,
        app.get("/orders/1/").await,
    ] {
        let (status, content_type, body) = status_and_body(response).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(body["status"], 503);
    }
    let (status, _, body) = status_and_body(app.get("/readyz").await).await;
    assert_eq!(status, 503);
    assert!(body["detail"].as_str().unwrap().contains("postgres"), "{body}");
    // The order that failed changed nothing.
    assert_eq!(app.db.stock(1, 1).await, 4);

    proxy.restore().await;
    let mut last = 0;
    for _ in 0..50 {
        last = app.post_order(order.clone()).await.status().as_u16();
        if last == 201 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last, 201, "orders work again without a restart");
    assert_eq!(app.get("/readyz").await.status(), 200);
    assert_eq!(app.db.stock(1, 1).await, 3);
}

/// Sends `head` and `partial` body bytes, then nothing; returns what the server answered and
/// how long it took, reading until it closes the connection.
async fn trickle(app: &TestApp, head: &str, partial: &[u8]) -> (String, Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(partial).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .unwrap();
    (String::from_utf8_lossy(&answer).into_owned(), started.elapsed())
}

#[tokio::test]
async fn a_body_that_stops_arriving_gets_408_and_the_connection_is_closed() {
    let app = TestApp::spawn_with(|s| s.request_timeout_seconds = 1).await;
    app.seed_basic().await;
    let stalled_length = "POST /orders/ HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
                          Content-Length: 1000\r\n\r\n";
    let stalled_chunks = "POST /orders/ HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
                          Transfer-Encoding: chunked\r\n\r\n";
    let (length_case, chunked_case, healthy) = tokio::join!(
        trickle(&app, stalled_length, b"{\"store_id"),
        trickle(&app, stalled_chunks, b"a\r\n{\"store_id\r\n"),
        async {
            // While both hang, the server keeps answering others.
            tokio::time::sleep(Duration::from_millis(300)).await;
            app.get("/healthz").await.status().as_u16()
        }
    );
    assert_eq!(healthy, 200);
    for (answer, took) in [length_case, chunked_case] {
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(
            answer
                .to_ascii_lowercase()
                .contains("content-type: application/problem+json"),
            "{answer}"
        );
        assert!(answer.contains("did not arrive within 1 s"), "{answer}");
        assert!(took < Duration::from_secs(3), "answered after {took:?}");
    }
    // Nothing was ordered, and a complete request on a new connection still works.
    assert_eq!(app.db.scalar("SELECT count(*) AS n FROM orders").await, 0);
    let response = app
        .post_order(json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}]}))
        .await;
    assert_eq!(response.status(), 201);
}
