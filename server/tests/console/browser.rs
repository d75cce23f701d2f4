//! A headless Chromium per test, driven over WebDriver by one chromedriver per test process.
//!
//! chromedriver starts on first use and is shared: starting it costs about a second, a session
//! (a fresh browser with a fresh profile) about as much again, so tests share the driver and
//! never a browser — no cookie or page of one test is seen by another. At most
//! [`MAX_SESSIONS`] browsers run at once (two cores: a third would only slow the others down).
//!
//! Nothing is left running: chromedriver runs under a small shell that waits for its stdin to
//! close — which happens when the test process exits, however it exits — and then kills its
//! whole process group (chromedriver and every Chromium it started). Each [`Browser`] also ends
//! its own session when dropped, a failing test's too.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Where `scripts/browser` installs them (Debian's `chromium` and `chromium-driver`).
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Browsers at once, across every test of the process.
const MAX_SESSIONS: usize = 2;
static SESSIONS: Semaphore = Semaphore::const_new(MAX_SESSIONS);

/// Runs chromedriver in its own process group (`process_group(0)`, the shell its leader) and
/// kills the group when stdin reaches end of file: the test process holds the other end and
/// never writes, so that is when it exits. The shell ignores the TERM it sends its group (only
/// once chromedriver has started: an ignored signal stays ignored in the programs it starts),
/// then KILLs what is left (itself included), and removes the browsers' temporary profiles.
const WATCHDOG: &str = r#"
TMPDIR="$2" "$1" --port="$3" --log-level=WARNING &
trap '' TERM
read -r _ || true
kill -TERM 0 2>/dev/null
sleep 1
rm -rf "$2"
kill -KILL 0
"#;

struct Driver {
    port: u16,
    url: String,
    /// The shell, whose stdin is never written and never closed (a static is never dropped)
    /// but by the exit of the process; never waited for, as it outlives the process.
    _watchdog: Mutex<Child>,
}

fn driver() -> &'static Driver {
    static DRIVER: OnceLock<Driver> = OnceLock::new();
    DRIVER.get_or_init(start_driver)
}

/// The build's `target` folder (the test binary is `target/debug/deps/console-…`), whatever
/// `CARGO_TARGET_DIR` is.
pub fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .filter(|dir| dir.is_dir())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn start_driver() -> Driver {
    for binary in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(binary).exists(),
            "{binary} is missing: the console's browser tests need Debian's chromium and \
             chromium-driver. Install them with `scripts/browser` (scripts/test does)."
        );
    }
    // A free port: bound, read, released. chromedriver takes it a moment later; another process
    // taking it first would make the wait below fail loudly, not pass.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let work = target_dir().join("console-browser");
    let profiles = work.join(format!("tmp-{}", std::process::id()));
    std::fs::create_dir_all(&profiles).expect("browser temp folder");
    // The last run's (a run with two test processes at once would share it).
    let log_path = work.join("chromedriver.log");
    let log = std::fs::File::create(&log_path).expect("chromedriver log");
    let watchdog = Command::new("sh")
        .args(["-c", WATCHDOG, "watchdog", CHROMEDRIVER])
        .arg(&profiles)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .process_group(0)
        .spawn()
        .expect("start chromedriver");
    let deadline = Instant::now() + Duration::from_secs(20);
    while http_request(port, "GET", "/status", "").is_none_or(|answer| !answer.contains("\"ready\":true")) {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not answer on port {port} within 20 s; its log ({}):\n{}",
            log_path.display(),
            std::fs::read_to_string(&log_path).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver {
        port,
        url: format!("http://127.0.0.1:{port}"),
        _watchdog: Mutex::new(watchdog),
    }
}

/// A blocking HTTP/1.1 request to chromedriver, for what fantoccini has no call for (the
/// readiness poll, the browser's log) and for ending a session from `Drop`, where nothing can
/// be awaited: the answer's body, or `None`. Quick: chromedriver answers these itself.
fn http_request(port: u16, method: &str, path: &str, body: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    // chromedriver refuses HTTP/1.0, and keeps the connection open after answering whatever the
    // request says: the body is read up to its Content-Length.
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = stream.read(&mut chunk).ok()?;
        if read == 0 {
            return None;
        }
        received.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&received);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            if body.len() >= length {
                return Some(body.to_owned());
            }
        }
    }
}

/// One headless Chromium on one test's server.
pub struct Browser {
    pub client: Client,
    base: String,
    session: String,
    _permit: SemaphorePermit<'static>,
}

impl Browser {
    /// A new browser (fresh profile, no cookie) for the server at `base` (`http://127.0.0.1:N`).
    pub async fn open(base: &str) -> Self {
        let permit = SESSIONS.acquire().await.expect("session semaphore");
        let driver = driver();
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,1000", "--no-first-run", "--disable-extensions",
                    // No network: every host but the test server goes to a dead proxy, so a
                    // page that needs anything from elsewhere (a CDN) shows it.
                    "--proxy-server=127.0.0.1:1", "--proxy-bypass-list=127.0.0.1",
                ],
            },
            // The browser's console (CSP violations, script errors, failed loads), read by
            // `Browser::browser_log`.
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .expect("a chromedriver session");
        let session = client.session_id().await.expect("session id").expect("a session");
        Self {
            client,
            base: base.to_owned(),
            session,
            _permit: permit,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Loads `path` of the test server.
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&self.url(path))
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    }

    /// The current page's path and query (`/console/stores/1/?q=tea`).
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits (up to 10 s) for a navigation WebDriver did not wait for (one a script started)
    /// to reach `path`, and for its page to load.
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let loaded = self
                .client
                .execute("return document.readyState;", vec![])
                .await
                .ok();
            if self.path().await == path && loaded == Some(Value::from("complete")) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the browser never reached {path} (at {})",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 10 s) until the browser has `count` windows (tabs), and returns them.
    pub async fn wait_for_windows(&self, count: usize) -> Vec<fantoccini::wd::WindowHandle> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let windows = self.client.windows().await.expect("windows");
            if windows.len() >= count {
                return windows;
            }
            assert!(
                Instant::now() < deadline,
                "{} windows, not {count}",
                windows.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The HTTP status of the current page's last response (after any redirect): what the
    /// Navigation Timing entry records, WebDriver itself has no status.
    pub async fn status(&self) -> u16 {
        let status = self
            .client
            .execute(
                "const [nav] = performance.getEntriesByType('navigation'); \
                 return nav ? nav.responseStatus : null;",
                vec![],
            )
            .await
            .expect("navigation timing");
        let status = status
            .as_u64()
            .unwrap_or_else(|| panic!("no navigation status: {status}"));
        u16::try_from(status).expect("a status code")
    }

    /// The one element `css` selects.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        let page = self.path().await;
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}` on {page}: {e}"))
    }

    /// Every element `css` selects (none is no error).
    pub async fn find_all(&self, css: &str) -> Vec<fantoccini::elements::Element> {
        self.client.find_all(Locator::Css(css)).await.expect("find_all")
    }

    /// Whether anything matches `css`.
    pub async fn has(&self, css: &str) -> bool {
        !self.find_all(css).await.is_empty()
    }

    /// The text of the one element `css` selects, trimmed.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text").trim().to_owned()
    }

    /// Replaces the value of the field `css` selects with `value`, as typed.
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    /// Clicks what `css` selects — a button or link that loads a page — and waits for the new
    /// page: WebDriver's click may return before a form's submission has replaced the page, and
    /// the old page would then be read as the answer. The old page is marked before the click,
    /// and the wait is over when a page without the mark has loaded.
    pub async fn click(&self, css: &str) {
        let target = self.find(css).await;
        self.js("window.aforroOldPage = true;", vec![]).await;
        target
            .click()
            .await
            .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // Mid-navigation the script may fail: asked again.
            let state = self
                .client
                .execute(
                    "return window.aforroOldPage ? 'old' : document.readyState;",
                    vec![],
                )
                .await
                .ok();
            if state == Some(Value::from("complete")) {
                return;
            }
            assert!(Instant::now() < deadline, "clicking `{css}` loaded no new page");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Runs `script` in the page and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Runs `script` in the page, whose last argument is the callback that returns its value.
    pub async fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// What the browser logged since the last call (chromedriver's log endpoint, which empties
    /// it): `{level, source, message}` entries.
    pub fn browser_log(&self) -> Vec<Value> {
        let path = format!("/session/{}/se/log", self.session);
        let answer = http_request(driver().port, "POST", &path, r#"{"type":"browser"}"#)
            .unwrap_or_else(|| panic!("no answer from chromedriver to POST {path}"));
        let answer: Value = serde_json::from_str(&answer).expect("log JSON");
        answer["value"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("not a log: {answer}"))
    }

    /// Saves a PNG of the viewport as `target/console-screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(
            png.starts_with(b"\x89PNG"),
            "the screenshot of {name} is not a PNG"
        );
        let folder = target_dir().join("console-screenshots");
        std::fs::create_dir_all(&folder).expect("screenshot folder");
        std::fs::write(folder.join(format!("{name}.png")), png).expect("write screenshot");
    }
}

impl Drop for Browser {
    /// Ends the session (and its Chromium) at once, a panicking test's too: fantoccini would
    /// end it from a task of the test's runtime, which a panic tears down first.
    fn drop(&mut self) {
        http_request(driver().port, "DELETE", &format!("/session/{}", self.session), "");
    }
}
