//! The `worker` binary as a process: graceful stop on SIGTERM, and a worker killed with
//! SIGKILL in the middle of a job whose job is then done once by another.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aforro_adapters::postgres::test_db::TestDb;
use aforro_adapters::postgres::{PoolSettings, Postgres};
use aforro_adapters::redis::{Redis, RedisSettings};
use aforro_adapters::test_figures::report;
use aforro_core::jobs::{relay_outbox, JobQueue};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

const DEFAULT_TEST_REDIS: &str = "redis://127.0.0.1:56379";

async fn execute(conn: &mut AsyncPgConnection, sql: &str) {
    diesel::sql_query(sql).execute(conn).await.unwrap();
}

fn spawn_worker(db: &TestDb, claim_idle_seconds: u32) -> Child {
    worker_command(db, "run", claim_idle_seconds)
        .stdout(Stdio::null())
        .spawn()
        .expect("worker binary")
}

/// `worker <subcommand>` on the test database and Redis, its output not yet directed.
fn worker_command(db: &TestDb, subcommand: &str, claim_idle_seconds: u32) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_worker"));
    command
        .arg(subcommand)
        .env("DATABASE_URL", &db.url)
        .env(
            "REDIS_URL",
            std::env::var("REDIS_URL").unwrap_or_else(|_| DEFAULT_TEST_REDIS.into()),
        )
        .env("REDIS_KEY_PREFIX", &db.name)
        .env("JOB_CLAIM_IDLE_SECONDS", claim_idle_seconds.to_string())
        .env("RUST_LOG", "warn")
        // Two run at once here: neither needs metrics, and they would share one port.
        .env("METRICS_ADDR", "off");
    command
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

async fn seeded_db() -> TestDb {
    let db = TestDb::new().await.expect("test database");
    db.run_sql(
        "INSERT INTO categories (id, name) VALUES (1, 'Beverages');
         INSERT INTO products (id, title, price, category_id) VALUES (1, 'Green Tea', 4.20, 1);
         INSERT INTO stores (id, name, location) VALUES (1, 'Baixa', 'Lisbon');
         INSERT INTO inventory (store_id, product_id, quantity) VALUES (1, 1, 100);
         INSERT INTO orders (id, store_id, status) VALUES (1, 1, 'CONFIRMED');
         INSERT INTO order_items (order_id, product_id, quantity_requested, quantity_available) VALUES (1, 1, 1, 100);
         INSERT INTO outbox (kind, order_id) VALUES ('order_confirmation', 1)",
    )
    .await;
    db
}

/// Orders 1–50, confirmed, each with its confirmation email waiting in the outbox.
async fn fifty_confirmations_to_send() -> TestDb {
    let db = seeded_db().await;
    db.run_sql(
        "INSERT INTO orders (id, store_id, status) SELECT g, 1, 'CONFIRMED' FROM generate_series(2, 50) g;
         INSERT INTO order_items (order_id, product_id, quantity_requested, quantity_available)
           SELECT g, 1, 1, 100 FROM generate_series(2, 50) g;
         INSERT INTO outbox (kind, order_id) SELECT 'order_confirmation', g FROM generate_series(2, 50) g",
    )
    .await;
    db
}

async fn wait_for(db: &TestDb, sql: &str, expected: i64, within: Duration) -> i64 {
    wait_until(db, sql, |n| n == expected, within).await
}

/// `sql`'s count once `done` with it, or when `within` has passed.
async fn wait_until(db: &TestDb, sql: &str, done: impl Fn(i64) -> bool, within: Duration) -> i64 {
    let started = Instant::now();
    loop {
        let n = db.scalar(sql).await;
        if done(n) || started.elapsed() > within {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Holds `sent_emails` locked so that a worker's INSERT blocks, catches the worker there
/// (inside its `what`: job or batch), kills it with SIGKILL, and releases the lock.
async fn kill_a_worker_blocked_in_its_insert(db: &TestDb, what: &str) {
    let waiting = kill_a_worker_blocked_inserting_into(db, "sent_emails", what).await;
    assert_eq!(waiting, 1, "confirmations are recorded one statement at a time");
}

/// Holds `table` locked so that a worker's INSERTs into it block, catches the worker once one
/// waits (inside its `what`), kills it with SIGKILL, and releases the lock. Returns how many
/// INSERTs were waiting.
async fn kill_a_worker_blocked_inserting_into(db: &TestDb, table: &str, what: &str) -> i64 {
    let mut caught = catch_a_worker_inserting_into(db, table, worker_command(db, "run", 1), what).await;
    caught.worker.kill().unwrap();
    caught.worker.wait().unwrap();
    execute(&mut caught.blocker, "ROLLBACK").await;
    caught.waiting
}

/// A worker caught blocked on a table another connection holds locked.
struct Caught {
    /// The connection holding the lock, in its transaction: ROLLBACK releases it.
    blocker: AsyncPgConnection,
    worker: Running,
    /// How many of the worker's statements wait on the lock.
    waiting: i64,
    /// The worker's log (stderr).
    log: LogFile,
}

/// Locks `table` in a transaction of its own, *then* starts `worker` (logging to a file) and
/// waits until it is blocked inserting into the table, inside its `what`. The lock is taken
/// first: a worker started before it could do its whole batch before the lock was held (on a
/// loaded CI machine it did, and was then never seen blocked).
async fn catch_a_worker_inserting_into(db: &TestDb, table: &str, mut worker: Command, what: &str) -> Caught {
    let mut blocker = db.conn().await.unwrap();
    execute(&mut blocker, "BEGIN").await;
    execute(&mut blocker, &format!("LOCK TABLE {table} IN EXCLUSIVE MODE")).await;
    let log = LogFile::new(db, "caught-worker");
    let worker = Running(
        worker
            .stdout(Stdio::null())
            .stderr(log.stdio())
            .spawn()
            .expect("worker binary"),
    );
    let waiting = wait_until(
        db,
        &format!(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO {table} %'"
        ),
        |n| n >= 1,
        Duration::from_secs(30),
    )
    .await;
    assert!(
        waiting >= 1,
        "the worker should be blocked inside its {what}; its log:\n{}",
        log.read()
    );
    Caught {
        blocker,
        worker,
        waiting,
        log,
    }
}

/// The test Redis as the worker processes see it (same URL or cluster, the database's prefix).
fn test_redis(db: &TestDb) -> Redis {
    let settings = RedisSettings {
        redis_key_prefix: db.name.clone(),
        redis_cluster_urls: std::env::var("REDIS_CLUSTER_URLS")
            .map(|urls| urls.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
        ..RedisSettings::single(std::env::var("REDIS_URL").unwrap_or_else(|_| DEFAULT_TEST_REDIS.into()))
    };
    settings.connect().unwrap()
}

/// Jobs received by a worker and not acknowledged, and jobs in the stream not yet received.
async fn jobs_in_hand_and_waiting(redis: &Redis) -> (u64, u64) {
    let in_hand = redis.stream_pending().await.unwrap();
    // Acknowledged jobs leave the stream: it holds the jobs in hand and those waiting.
    (in_hand, redis.backlog().await.unwrap() - in_hand)
}

/// Jobs a worker started by [`batch_worker`] takes at once.
const BATCH: u64 = 20;

/// `worker run` taking [`BATCH`] jobs at a time.
fn batch_worker(db: &TestDb) -> Command {
    let mut command = worker_command(db, "run", 1);
    command.env("JOB_BATCH", BATCH.to_string());
    command
}

/// The 50 confirmations relayed from the outbox into the stream before any worker starts: a
/// worker's first receive then takes a whole [`BATCH`] (a worker that relayed them itself could
/// receive the first one alone, before the others were in the stream).
async fn fifty_confirmations_in_the_stream(db: &TestDb, redis: &Redis) {
    let postgres = Postgres::connect(&db.url, PoolSettings::default()).unwrap();
    let relayed = relay_outbox(&postgres, redis, 500, Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(relayed, 50);
    assert_eq!(jobs_in_hand_and_waiting(redis).await, (0, 50));
}

/// 50 confirmations in the stream and a worker ([`batch_worker`], with `env` added) caught
/// inside its first batch, blocked on the locked `sent_emails`: [`BATCH`] jobs in its hand,
/// the other 30 waiting.
async fn a_worker_caught_mid_batch(env: &[(&str, &str)]) -> (TestDb, Redis, Caught) {
    let db = fifty_confirmations_to_send().await;
    let redis = test_redis(&db);
    fifty_confirmations_in_the_stream(&db, &redis).await;
    let mut command = batch_worker(&db);
    command.envs(env.iter().copied());
    let caught = catch_a_worker_inserting_into(&db, "sent_emails", command, "batch").await;
    assert_eq!(
        caught.waiting, 1,
        "confirmations are recorded one statement at a time"
    );
    assert_eq!(
        jobs_in_hand_and_waiting(&redis).await,
        (BATCH, 50 - BATCH),
        "one batch taken, nothing more"
    );
    (db, redis, caught)
}

/// A file a child process logs to: unlike a pipe nobody reads until the end, it never fills
/// and blocks the child's writes.
struct LogFile(std::path::PathBuf);

impl LogFile {
    fn new(db: &TestDb, what: &str) -> Self {
        Self(std::env::temp_dir().join(format!("{}-{what}.log", db.name)))
    }

    fn stdio(&self) -> Stdio {
        std::fs::File::create(&self.0).unwrap().into()
    }

    fn read(&self) -> String {
        std::fs::read_to_string(&self.0).unwrap()
    }
}

impl Drop for LogFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A child process killed when dropped: a failing test leaves no worker running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

/// Waits up to `within` for `child` to exit; panics naming `what` if it does not.
async fn exit_within(child: &mut Child, within: Duration, what: &str) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            started.elapsed() < within,
            "{what}: still running after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts a worker and checks that it brings the 50 confirmations to done, each email once,
/// the stream empty; then stops it with SIGTERM.
async fn another_worker_sends_the_fifty_once(db: &TestDb, redis: &Redis) {
    let mut worker = Running(spawn_worker(db, 1));
    let sent = wait_for(
        db,
        "SELECT count(*) AS n FROM sent_emails",
        50,
        Duration::from_secs(30),
    )
    .await;
    let settled = wait_for(
        db,
        "SELECT count(*) AS n FROM outbox WHERE completed_at IS NOT NULL",
        50,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!((sent, settled), (50, 50));
    assert_eq!(jobs_in_hand_and_waiting(redis).await, (0, 0));
    signal(&worker, "TERM");
    assert!(
        exit_within(&mut worker, Duration::from_secs(10), "the other worker")
            .await
            .success()
    );
}

#[tokio::test]
async fn sigterm_stops_the_worker_cleanly() {
    let db = seeded_db().await;
    let mut worker = spawn_worker(&db, 60);
    let sent = wait_for(
        &db,
        "SELECT count(*) AS n FROM sent_emails",
        1,
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(sent, 1);
    signal(&worker, "TERM");
    let status = exit_within(&mut worker, Duration::from_secs(10), "worker ignored SIGTERM").await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn a_worker_stopped_mid_batch_finishes_it_and_leaves_nothing_to_repeat() {
    // The batch's INSERT into sent_emails blocks on the locked table: SIGTERM arrives mid-batch.
    let (db, redis, mut caught) = a_worker_caught_mid_batch(&[]).await;
    let in_hand = BATCH;
    signal(&caught.worker, "TERM");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        caught.worker.try_wait().unwrap().is_none(),
        "a stopping worker finishes the batch in hand before it exits"
    );
    execute(&mut caught.blocker, "ROLLBACK").await;
    let status = exit_within(
        &mut caught.worker,
        Duration::from_secs(10),
        "the batch was released",
    )
    .await;
    assert!(status.success(), "{status:?}");

    // The batch in hand done and acknowledged (nothing for another worker to repeat), and
    // nothing taken after the signal: the other jobs wait in the stream.
    let done = db.scalar("SELECT count(*) AS n FROM sent_emails").await;
    assert_eq!(done as u64, in_hand);
    assert_eq!(
        db.scalar("SELECT count(*) AS n FROM outbox WHERE completed_at IS NOT NULL")
            .await as u64,
        in_hand
    );
    assert_eq!(jobs_in_hand_and_waiting(&redis).await, (0, 50 - in_hand));

    // The next worker does the rest, each once.
    another_worker_sends_the_fifty_once(&db, &redis).await;
    report(&format!(
        "worker shutdown: SIGTERM mid-batch: the {in_hand} jobs in hand done and acknowledged before exit 0, {} left waiting untouched; the next worker sent all 50, each once",
        50 - in_hand
    ));
}

#[tokio::test]
async fn a_second_sigterm_stops_a_worker_mid_batch_at_once_and_hands_the_batch_back() {
    let (db, redis, mut caught) = a_worker_caught_mid_batch(&[]).await;
    let in_hand = BATCH;
    signal(&caught.worker, "TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(&caught.worker, "TERM");
    let second_signal = Instant::now();
    let status = exit_within(
        &mut caught.worker,
        Duration::from_secs(3),
        "a second SIGTERM stops at once",
    )
    .await;
    let stopped_after = second_signal.elapsed();
    assert!(status.success(), "{status:?}");
    let log = caught.log.read();
    assert!(log.contains("second stop signal"), "{log}");
    execute(&mut caught.blocker, "ROLLBACK").await;
    // Handed back: the batch's jobs are still pending, nothing was recorded.
    assert_eq!(jobs_in_hand_and_waiting(&redis).await, (in_hand, 50 - in_hand));
    assert_eq!(db.scalar("SELECT count(*) AS n FROM sent_emails").await, 0);

    // Another worker takes them over and sends each once.
    another_worker_sends_the_fifty_once(&db, &redis).await;
    report(&format!(
        "worker shutdown: a second SIGTERM mid-batch: exit 0 within {stopped_after:?}, the {in_hand} jobs in hand handed back (pending, none recorded); another worker sent all 50, each once"
    ));
}

#[tokio::test]
async fn a_batch_that_outlasts_the_shutdown_timeout_is_handed_back() {
    let (_db, redis, mut caught) = a_worker_caught_mid_batch(&[("SHUTDOWN_TIMEOUT_SECONDS", "2")]).await;
    let in_hand = BATCH;
    signal(&caught.worker, "TERM");
    let signalled = Instant::now();
    let status = exit_within(
        &mut caught.worker,
        Duration::from_secs(6),
        "SHUTDOWN_TIMEOUT_SECONDS=2",
    )
    .await;
    assert!(
        signalled.elapsed() >= Duration::from_millis(1900),
        "the batch had its 2 s"
    );
    assert!(status.success(), "{status:?}");
    execute(&mut caught.blocker, "ROLLBACK").await;
    assert_eq!(
        jobs_in_hand_and_waiting(&redis).await,
        (in_hand, 50 - in_hand),
        "handed back, not lost"
    );
}

#[tokio::test]
async fn sigterm_stops_the_scheduler_cleanly() {
    let db = seeded_db().await;
    let log = LogFile::new(&db, "scheduler");
    let mut scheduler = Running(
        worker_command(&db, "schedule", 60)
            .stdout(Stdio::null())
            .stderr(log.stdio())
            .spawn()
            .unwrap(),
    );
    // The scheduler prunes retention at start: wait until it has connected and done so.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        scheduler.try_wait().unwrap().is_none(),
        "the scheduler runs until stopped"
    );
    signal(&scheduler, "TERM");
    let status = exit_within(
        &mut scheduler,
        Duration::from_secs(10),
        "scheduler ignored SIGTERM",
    )
    .await;
    assert!(status.success(), "{status:?}");
    let log = log.read();
    assert!(!log.contains("ERROR"), "{log}");
}

#[tokio::test]
async fn a_worker_killed_mid_job_leaves_it_to_another_which_sends_once() {
    let db = seeded_db().await;
    // Hold sent_emails locked: the worker's insert blocks, so it is caught mid-job.
    kill_a_worker_blocked_in_its_insert(&db, "job").await;

    let mut survivor = spawn_worker(&db, 1);
    let sent = wait_for(
        &db,
        "SELECT count(*) AS n FROM sent_emails",
        1,
        Duration::from_secs(30),
    )
    .await;
    // Give a duplicate every chance to appear before counting again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again = db.scalar("SELECT count(*) AS n FROM sent_emails").await;
    survivor.kill().unwrap();
    survivor.wait().unwrap();
    assert_eq!((sent, again), (1, 1));
    assert_eq!(
        db.scalar("SELECT count(*) AS n FROM outbox WHERE completed_at IS NOT NULL")
            .await,
        1
    );
}

#[tokio::test]
async fn a_worker_killed_mid_batch_leaves_it_to_another_which_sends_each_once() {
    let db = fifty_confirmations_to_send().await;
    let redis = test_redis(&db);
    fifty_confirmations_in_the_stream(&db, &redis).await;
    // The batch's one INSERT into sent_emails blocks: the worker is caught mid-batch, its 50
    // messages received and not acknowledged.
    kill_a_worker_blocked_in_its_insert(&db, "batch").await;
    assert_eq!(jobs_in_hand_and_waiting(&redis).await, (50, 0));

    let mut survivor = spawn_worker(&db, 1);
    let sent = wait_for(
        &db,
        "SELECT count(*) AS n FROM sent_emails",
        50,
        Duration::from_secs(30),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again = db
        .scalar("SELECT count(DISTINCT order_id) + count(*) AS n FROM sent_emails")
        .await;
    survivor.kill().unwrap();
    survivor.wait().unwrap();
    assert_eq!((sent, again), (50, 100), "each of the 50 emails exactly once");
    assert_eq!(
        db.scalar("SELECT count(*) AS n FROM outbox WHERE completed_at IS NOT NULL")
            .await,
        50
    );
}

#[tokio::test]
async fn a_worker_killed_mid_batch_of_cancellations_leaves_it_to_another_which_sends_each_once() {
    // 30 orders placed and cancelled through the use-cases: the outbox holds each one's
    // confirmation, then its cancellation.
    let setup = support::Setup::new().await;
    let mut orders = Vec::new();
    for _ in 0..30 {
        orders.push(setup.order(1, &[(1, 1)]).await.0);
    }
    for &order_id in &orders {
        setup.cancel(order_id, None).await;
    }
    let db = &setup.db;
    // The worker's batches take the 60 jobs (one batch when the relay's messages are all in the
    // stream by the time it reads): the confirmations are recorded in one INSERT, then the
    // cancellations, each alone, block on the locked table, up to JOB_CONCURRENCY (8 by
    // default) at once. The worker is caught there, the batch received and not acknowledged.
    kill_a_worker_blocked_inserting_into(db, "sent_cancellation_emails", "batch").await;
    assert_eq!(
        db.scalar("SELECT count(*) AS n FROM sent_cancellation_emails")
            .await,
        0
    );

    let mut survivor = spawn_worker(db, 1);
    let sent = wait_for(
        db,
        "SELECT count(*) AS n FROM sent_cancellation_emails",
        30,
        Duration::from_secs(30),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again = db
        .scalar(
            "SELECT (SELECT count(DISTINCT order_id) + count(*) FROM sent_cancellation_emails)
                  + (SELECT count(DISTINCT order_id) + count(*) FROM sent_emails) AS n",
        )
        .await;
    survivor.kill().unwrap();
    survivor.wait().unwrap();
    assert_eq!(
        (sent, again),
        (30, 120),
        "each of the 30 orders' two emails exactly once"
    );
    assert_eq!(
        db.scalar("SELECT count(*) AS n FROM outbox WHERE completed_at IS NOT NULL")
            .await,
        60
    );
}

#[test]
fn options_are_accepted_after_the_subcommand_as_before_it() {
    let worker = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_worker"))
            .args(args)
            .output()
            .expect("the worker binary runs")
    };
    for args in [
        &["run", "--concurrency", "16", "--help"][..],
        &["--concurrency", "16", "run", "--help"],
        &["schedule", "--metrics-addr", "off", "--help"],
    ] {
        let output = worker(args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(
        worker(&["run", "--no-such-option", "--help"]).status.code(),
        Some(2)
    );
}
