//! The harness itself: a browser opens on the test server, its checks can fail, and it is
//! the server that serves what the browser shows.

use serde_json::json;

use crate::browser::Browser;
use crate::helpers::TestApp;

/// The accessibility check finds what it is meant to find: a page with an unlabelled field and
/// an image without a text alternative fails it, for both reasons.
#[tokio::test]
async fn the_accessibility_check_fails_an_inaccessible_page() {
    let browser = Browser::open("http://127.0.0.1:1").await;
    browser
        .client
        .goto(
            "data:text/html,<!doctype html><html lang=en><title>bad</title><main>\
             <form><input name=quantity><img src=x.png></form></main></html>",
        )
        .await
        .expect("data page");
    let problems = browser.accessibility_problems().await;
    let has = |needle: &str| problems.iter().any(|p| p.contains(needle));
    assert!(
        has("a form field without a label: <input name=\"quantity\">"),
        "{problems:#?}"
    );
    assert!(has("] label ("), "axe's own label rule: {problems:#?}");
    assert!(has("] image-alt ("), "{problems:#?}");
}

/// The browser-log check sees what the Content-Security-Policy blocks: an inline style and
/// an inline script.
#[tokio::test]
async fn the_browser_log_check_fails_a_page_the_policy_blocks() {
    let browser = Browser::open("http://127.0.0.1:1").await;
    browser
        .client
        .goto(
            "data:text/html,<meta http-equiv=Content-Security-Policy content=\"default-src 'self'\">\
             <p style=color:red>styled</p><script>document.title = 'ran'</script>",
        )
        .await
        .expect("data page");
    let errors = browser.browser_errors();
    let blocked = |what: &str| {
        errors
            .iter()
            .any(|e| e.starts_with("[security]") && e.contains(what))
    };
    assert!(blocked("inline style"), "{errors:#?}");
    assert!(blocked("inline script"), "{errors:#?}");
    assert!(
        browser.browser_errors().is_empty(),
        "each check reads what came since the last"
    );
}

/// A page of the test server loads, with its status seen by the browser, its stylesheet
/// (served by the server itself) applied, and a screenshot.
#[tokio::test]
async fn a_browser_loads_a_page_of_the_test_server() {
    let app = TestApp::spawn().await;
    let browser = Browser::open(&app.address).await;
    browser.goto("/console/").await;
    assert_eq!(browser.status().await, 200);
    let styled = browser
        .js(
            "return [...document.styleSheets].some(sheet =>
               (sheet.href || '').endsWith('/console/assets/console.css') && sheet.cssRules.length > 0);",
            vec![],
        )
        .await;
    assert_eq!(styled, json!(true), "the console's stylesheet loaded");
    browser.screenshot("harness-console").await;
    browser.goto("/console/no-such-page/").await;
    assert_eq!(browser.status().await, 404, "the status is the page's own");
    let answer = browser.js("return document.location.origin;", vec![]).await;
    assert_eq!(answer, json!(app.address));
}

/// The browser reaches nothing but loopback: a page that needed a CDN would show it here
/// (with a network, without the dead proxy, this fetch would succeed).
#[tokio::test]
async fn the_browser_has_no_network() {
    let browser = Browser::open("http://127.0.0.1:1").await;
    browser.client.goto("about:blank").await.expect("blank page");
    let answer = browser
        .js_async(
            "const done = arguments[0];
             fetch('http://example.com/', { mode: 'no-cors' }).then(() => done('reached'), e => done(String(e)));",
            vec![],
        )
        .await;
    assert_eq!(
        answer,
        json!("TypeError: Failed to fetch"),
        "example.com must be unreachable"
    );
}
