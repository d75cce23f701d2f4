//! What an operator sees of the worker: its metrics move as jobs are settled and as the outbox
//! backs up, and a request's trace id reaches the worker's job log line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aforro_worker::metered::MeteredQueue;
use aforro_worker::metrics::{serve, Sources, WorkerMetrics};
use support::{drain, Setup};

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";

/// The value of the sample of `name` whose labels include every pair of `labels` (0 if none).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} ")))
        .find(|line| labels.iter().all(|(k, v)| line.contains(&format!("{k}=\"{v}\""))))
        .map(|line| line.rsplit(' ').next().unwrap().parse().unwrap())
        .unwrap_or(0.0)
}

async fn scrape(port: u16) -> String {
    let response = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn the_outbox_age_rises_while_no_worker_runs_and_falls_once_one_has() {
    let setup = Setup::new().await;
    let redis = setup.redis();
    let metrics = WorkerMetrics::new().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let sources = Sources {
        postgres: setup.postgres.clone(),
        redis: redis.clone(),
    };
    let port = serve(listener, metrics.clone(), sources).unwrap();
    let mut worker = setup.worker("observed");
    worker.queue = Arc::new(MeteredQueue {
        inner: redis,
        metrics: metrics.clone(),
    });

    let idle = scrape(port).await;
    assert_eq!(sample(&idle, "aforro_outbox_waiting", &[]), 0.0);
    assert_eq!(sample(&idle, "aforro_outbox_oldest_age_seconds", &[]), 0.0);

    // Three confirmations wait; nothing works them.
    setup.bulk_orders(1, 3).await;
    let first = scrape(port).await;
    assert_eq!(sample(&first, "aforro_outbox_waiting", &[]), 3.0);
    let age_then = sample(&first, "aforro_outbox_oldest_age_seconds", &[]);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let later = scrape(port).await;
    let age_now = sample(&later, "aforro_outbox_oldest_age_seconds", &[]);
    assert!(
        age_now >= age_then + 1.0,
        "the age rose from {age_then} to {age_now}"
    );

    drain(&worker).await;
    let after = scrape(port).await;
    assert_eq!(sample(&after, "aforro_outbox_waiting", &[]), 0.0);
    assert_eq!(sample(&after, "aforro_outbox_oldest_age_seconds", &[]), 0.0);
    assert_eq!(sample(&after, "aforro_stream_pending", &[]), 0.0);
    let done = [("kind", "order_confirmation"), ("outcome", "done")];
    assert_eq!(sample(&after, "aforro_jobs_total", &done), 3.0);
    assert_eq!(
        sample(
            &after,
            "aforro_job_latency_seconds_count",
            &[("kind", "order_confirmation")]
        ),
        3.0
    );
    // Each waited at least the 1.2 s above: none in the buckets below one second.
    assert_eq!(
        sample(
            &after,
            "aforro_job_latency_seconds_bucket",
            &[("kind", "order_confirmation"), ("le", "1")]
        ),
        0.0
    );
}

#[tokio::test]
async fn a_failing_job_counts_as_retried_then_failed() {
    let setup = Setup::new().await;
    let redis = setup.redis();
    let metrics = WorkerMetrics::new().unwrap();
    let mut worker = setup.worker("failing");
    worker.queue = Arc::new(MeteredQueue {
        inner: redis,
        metrics: metrics.clone(),
    });
    // A summary of a day fails while its table is gone: retried, then dead (3 attempts).
    setup
        .db
        .run_sql(
            "INSERT INTO outbox (kind, day) VALUES ('inventory_summary', '2026-11-24');
             ALTER TABLE inventory_summaries RENAME TO gone",
        )
        .await;
    for _ in 0..100 {
        worker.relay_pass().await.unwrap();
        worker.work_pass(Duration::from_millis(20)).await.unwrap();
        let text = metrics.render().unwrap();
        if sample(
            &text,
            "aforro_jobs_total",
            &[("kind", "inventory_summary"), ("outcome", "failed")],
        ) == 1.0
        {
            assert_eq!(
                sample(
                    &text,
                    "aforro_jobs_total",
                    &[("kind", "inventory_summary"), ("outcome", "retried")]
                ),
                2.0
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the job was never dead-lettered:\n{}", metrics.render().unwrap());
}

#[tokio::test]
async fn a_requests_trace_id_reaches_the_workers_job_log_line() {
    let setup = Setup::new().await;
    let url = setup.server(100).await;
    let response = reqwest::Client::new()
        .post(format!("{url}/orders/"))
        .header("traceparent", format!("00-{TRACE_ID}-b7ad6b7169203331-01"))
        .json(&serde_json::json!({"store_id": 1, "items": [{"product_id": 1, "quantity_requested": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    let mut worker = Command::new(env!("CARGO_BIN_EXE_worker"))
        .arg("run")
        .env("DATABASE_URL", &setup.db.url)
        .env("REDIS_URL", &setup.redis.redis_url)
        .env("REDIS_KEY_PREFIX", &setup.db.name)
        .env("METRICS_ADDR", "off")
        .env("RUST_LOG", "aforro=debug")
        .env_remove("LOG_FORMAT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("worker binary");
    let stderr = worker.stderr.take().unwrap();
    let (lines, found) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let mut seen = Vec::new();
    let line = loop {
        match found.recv_timeout(Duration::from_millis(200)) {
            Ok(line) if line.contains("job done") && line.contains(TRACE_ID) => break Some(line),
            Ok(line) => seen.push(line),
            Err(_) if started.elapsed() > Duration::from_secs(30) => break None,
            Err(_) => {}
        }
    };
    let _ = worker.kill();
    let _ = worker.wait();
    let line = line.unwrap_or_else(|| {
        panic!(
            "no job line with the trace id; the worker said:\n{}",
            seen.join("\n")
        )
    });
    assert!(line.contains("order_confirmation"), "{line}");
}
