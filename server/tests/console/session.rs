//! Signing in and out, and a session that ends with its token.

use chrono::Utc;

use crate::browser::Browser;
use crate::helpers::TestApp;

/// A wrong token gets the sign-in page again (401, a message, no cookie); the right one the
/// overview; signing out ends the session, and the store page asks for sign-in again.
#[tokio::test]
async fn sign_in_then_sign_out() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("head-office", &[]).await;
    let browser = Browser::open(&app.address).await;

    browser.goto("/console/").await;
    assert!(browser.asks_for_sign_in().await);
    browser.check_page("sign-in").await;

    browser.fill("#token", "not-a-token").await;
    browser.click("form[action='/console/login'] button").await;
    assert_eq!(browser.status().await, 401, "a wrong token is refused");
    assert!(browser.asks_for_sign_in().await, "with the sign-in form again");
    assert!(
        !browser.text("p.error").await.is_empty(),
        "and a message saying why"
    );
    let cookies = browser.client.get_all_cookies().await.expect("cookies");
    assert!(cookies.is_empty(), "a wrong token sets no cookie: {cookies:?}");
    browser.check_page("sign-in-refused").await;

    browser.sign_in(&token).await;
    let cookies = browser.client.get_all_cookies().await.expect("cookies");
    let session = cookies
        .iter()
        .find(|c| c.name() == "aforro_console")
        .expect("the session cookie");
    assert_eq!(
        session.http_only(),
        Some(true),
        "scripts cannot read the session cookie"
    );
    browser.check_page("overview").await;
    browser.goto("/console/stores/1/").await;
    assert!(browser.has("table#inventory").await);

    browser.sign_out().await;
    assert!(
        browser.asks_for_sign_in().await,
        "signing out shows the sign-in form"
    );
    browser.check_page("signed-out").await;
    browser.goto("/console/stores/1/").await;
    assert!(
        browser.asks_for_sign_in().await,
        "the store page asks for sign-in after sign-out"
    );
    assert!(!browser.has("table#inventory").await, "and shows no stock");
}

/// A token revoked while its holder is signed in (as `server token revoke` does it) ends the
/// session at once: the next page asks for sign-in.
#[tokio::test]
async fn revoking_the_token_ends_the_session() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("backroom-tablet", &[1]).await;
    let browser = Browser::open(&app.address).await;
    browser.sign_in(&token).await;
    browser.goto("/console/stores/1/").await;
    assert!(
        browser.has("table#inventory").await,
        "signed in, the store's page shows its stock"
    );

    let postgres =
        aforro_adapters::postgres::Postgres::connect(&app.db.url, Default::default()).expect("postgres");
    aforro_core::auth::revoke_token(&postgres, "backroom-tablet", Utc::now())
        .await
        .expect("revoke");

    browser.goto("/console/stores/1/").await;
    assert!(
        browser.asks_for_sign_in().await,
        "a revoked token's session has ended"
    );
    assert!(!browser.has("table#inventory").await);
    browser.check_page("revoked").await;
    // Its sign-in is refused too.
    browser.fill("#token", &token).await;
    browser.click("form[action='/console/login'] button").await;
    assert_eq!(
        browser.status().await,
        401,
        "a revoked token cannot sign in again"
    );
}
