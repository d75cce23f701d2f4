//! A private `redis-server` per test, for tests that stop and restart Redis (feature
//! `test-db`, like [`crate::postgres::test_db`]). Needs the `redis-server` binary, which
//! `scripts/services` installs.
#![allow(clippy::expect_used, clippy::unwrap_used)]

/// A private `redis-server` on its own port, for tests that stop and restart Redis. Killed on drop.
pub struct RedisProcess {
    /// Its port.
    pub port: u16,
    child: std::process::Child,
}

impl RedisProcess {
    /// Starts one on a free port.
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("free port")
            .port();
        Self::start_on(port).await
    }

    /// Starts one on `port` (again, after [`RedisProcess::stop`]), keeping nothing on disk.
    pub async fn start_on(port: u16) -> Self {
        Self::start_with(port, &["--appendonly", "no"]).await
    }

    /// Starts one on `port` with an append-only file in `dir`, written through on every
    /// command, so that a restart on the same `dir` finds every key again (as a production
    /// Redis with `appendonly yes` does, minus its last second).
    pub async fn start_persistent(port: u16, dir: &std::path::Path) -> Self {
        std::fs::create_dir_all(dir).expect("redis data dir");
        let dir = dir.to_str().expect("utf-8 path");
        Self::start_with(
            port,
            &["--appendonly", "yes", "--appendfsync", "always", "--dir", dir],
        )
        .await
    }

    async fn start_with(port: u16, persistence: &[&str]) -> Self {
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--loglevel", "warning"])
            .args(persistence)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (scripts/services installs it)");
        // Owned at once, so a failed start still kills it (Drop).
        let process = Self { port, child };
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).expect("redis URL");
        for _ in 0..100 {
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                if redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok() {
                    return process;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start on port {port}");
    }

    /// `redis://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it and waits until the port is closed.
    pub fn stop(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on.
pub fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("free port")
        .port()
}
