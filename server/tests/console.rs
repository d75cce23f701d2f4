//! The staff console (`/console/`) in a real browser: headless Chromium driven over WebDriver
//! (chromedriver, `fantoccini`) against a test server on real Postgres and Redis, with no
//! network but the server's. Every page a scenario visits is screenshot into
//! `target/console-screenshots/` and checked with axe-core. Needs Debian's `chromium` and
//! `chromium-driver` (`scripts/browser`); fails, never skips, without them.
//! One binary with modules, like the API suite, whose harness (`api/helpers.rs`) it shares.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The API suite's harness: a server on its own database, seeds and tokens. This suite uses
// only part of it.
#[allow(dead_code, unused_imports)]
#[path = "api/helpers.rs"]
mod helpers;

// The harness: the browser, the accessibility check, the console's page helpers.
#[path = "console/accessibility.rs"]
mod accessibility;
#[path = "console/browser.rs"]
mod browser;
#[path = "console/harness.rs"]
mod harness;
#[path = "console/pages.rs"]
mod pages;

// The scenarios.
#[path = "console/access.rs"]
mod access;
#[path = "console/catalogue.rs"]
mod catalogue;
#[path = "console/session.rs"]
mod session;
#[path = "console/stock.rs"]
mod stock;
#[path = "console/tour.rs"]
mod tour;
