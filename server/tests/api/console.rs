//! The staff console over plain HTTP: sessions, CSRF, headers, sign-in limits (the browser
//! suite, `tests/console.rs`, drives the same pages in Chromium).

use std::time::Duration;

use reqwest::{header, redirect, Method, StatusCode};

use crate::helpers::TestApp;

/// A console visitor: no redirects followed (the tests look at each 303), one cookie kept.
pub struct Visitor<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    pub cookie: Option<String>,
}

impl<'a> Visitor<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            client: reqwest::Client::builder()
                .redirect(redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
        }
    }

    /// Signs in with `token` and keeps the session cookie; panics unless it is a 303.
    pub async fn signed_in(app: &'a TestApp, token: &str) -> Self {
        let mut visitor = Self::new(app);
        let response = visitor.sign_in(token).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        visitor
    }

    pub async fn sign_in(&mut self, token: &str) -> reqwest::Response {
        let response = self.post("/console/login", &[("token", token)]).await;
        if let Some(value) = response.headers().get(header::SET_COOKIE) {
            let value = value.to_str().unwrap();
            self.cookie = Some(value.split(';').next().unwrap().to_owned());
        }
        response
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.request(Method::GET, path).send().await.unwrap()
    }

    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        (response.status(), response.text().await.unwrap())
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.request(Method::POST, path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).unwrap())
            .send()
            .await
            .unwrap()
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self.client.request(method, self.app.url(path));
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request
    }

    /// The session's CSRF token, read from a page's sign-out form.
    pub async fn csrf(&self) -> String {
        let (status, html) = self.page("/console/").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        hidden_value(&html, "csrf").expect("a csrf field")
    }
}

/// The value of the first hidden field named `name`.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

fn assert_console_headers(response: &reqwest::Response, what: &str) {
    let headers = response.headers();
    for (name, expected) in [
        ("content-security-policy", "default-src 'self'"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cache-control", "no-store"),
    ] {
        let value = headers
            .get(name)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_str()
            .unwrap();
        assert!(value.starts_with(expected), "{what}: {name} is {value:?}");
    }
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
}

#[tokio::test]
async fn every_console_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("backroom", &[1]).await;
    let anonymous = Visitor::new(&app);
    let signed = Visitor::signed_in(&app, &token).await;
    let csrf = signed.csrf().await;
    let cases = vec![
        ("sign-in page", anonymous.get("/console/").await, StatusCode::OK),
        (
            "stylesheet",
            anonymous.get("/console/assets/console.css").await,
            StatusCode::OK,
        ),
        (
            "page without session",
            anonymous.get("/console/stores/1/").await,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "wrong token",
            anonymous.post("/console/login", &[("token", "afr_nope")]).await,
            StatusCode::UNAUTHORIZED,
        ),
        ("overview", signed.get("/console/").await, StatusCode::OK),
        (
            "store page",
            signed.get("/console/stores/1/").await,
            StatusCode::OK,
        ),
        (
            "another store",
            signed.get("/console/stores/2/").await,
            StatusCode::FORBIDDEN,
        ),
        (
            "unknown page",
            signed.get("/console/nowhere").await,
            StatusCode::NOT_FOUND,
        ),
        (
            "forged form",
            signed
                .post(
                    "/console/stores/1/inventory/1/adjust",
                    &[("csrf", "x"), ("delta", "1"), ("reason", "restock")],
                )
                .await,
            StatusCode::FORBIDDEN,
        ),
        (
            "sign-out",
            signed.post("/console/logout", &[("csrf", &csrf)]).await,
            StatusCode::SEE_OTHER,
        ),
    ];
    for (what, response, status) in cases {
        assert_eq!(response.status(), status, "{what}");
        assert_console_headers(&response, what);
    }
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_console_cookie_and_a_wrong_token_sets_none() {
    let app = TestApp::spawn().await;
    let token = app.staff_token("backroom", &[]).await;
    let mut visitor = Visitor::new(&app);

    for wrong in ["", "afr_short", &format!("afr_{}", "0".repeat(64))] {
        let response = visitor.sign_in(wrong).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{wrong:?}");
        assert!(response.headers().get(header::SET_COOKIE).is_none(), "{wrong:?}");
        let html = response.text().await.unwrap();
        assert!(html.contains("class=\"error\""), "{html}");
        assert!(html.contains("name=\"token\""), "the sign-in form again: {html}");
    }

    let response = visitor.sign_in(&token).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/console/");
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let secret = cookie
        .strip_prefix("aforro_console=")
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    assert_eq!(secret.len(), 64, "256 random bits in hex: {cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "not Secure unless configured: {cookie}"
    );
    // Only its hash is stored.
    let stored = app
        .db
        .scalar(&format!(
            "SELECT count(*) AS n FROM console_sessions WHERE session_hash = sha256('{secret}'::bytea)"
        ))
        .await;
    assert_eq!(stored, 1);
    let plain = app
        .db
        .scalar(&format!(
            "SELECT count(*) AS n FROM console_sessions WHERE encode(session_hash, 'hex') = '{secret}'"
        ))
        .await;
    assert_eq!(plain, 0);
    let (status, html) = visitor.page("/console/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Signed in as backroom"), "{html}");
}

#[tokio::test]
async fn the_cookie_is_secure_when_configured() {
    let app = TestApp::spawn_with(|settings| settings.console.console_secure_cookie = true).await;
    let token = app.staff_token("backroom", &[]).await;
    let response = Visitor::new(&app).sign_in(&token).await;
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn a_session_ends_at_sign_out_at_revocation_and_when_idle() {
    let app = TestApp::spawn_with(|settings| settings.console.console_session_idle_minutes = 30).await;
    app.seed_basic().await;

    // Sign out: the old cookie no longer opens a page.
    let token = app.staff_token("leaving", &[]).await;
    let visitor = Visitor::signed_in(&app, &token).await;
    let csrf = visitor.csrf().await;
    let response = visitor.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cleared = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cleared.starts_with("aforro_console=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let (status, html) = visitor.page("/console/stores/1/").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("name=\"token\""), "{html}");

    // Revocation: the next page asks for sign-in.
    let token = app.staff_token("revoked", &[]).await;
    let visitor = Visitor::signed_in(&app, &token).await;
    assert_eq!(visitor.page("/console/stores/1/").await.0, StatusCode::OK);
    let postgres = aforro_adapters::postgres::Postgres::connect(&app.db.url, Default::default()).unwrap();
    aforro_core::auth::revoke_token(&postgres, "revoked", chrono::Utc::now())
        .await
        .unwrap();
    let (status, html) = visitor.page("/console/stores/1/").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("revoked"), "{html}");

    // Idle past the limit (30 minutes here).
    let token = app.staff_token("idle", &[]).await;
    let visitor = Visitor::signed_in(&app, &token).await;
    app.db
        .run_sql("UPDATE console_sessions SET last_seen_at = now() - interval '31 minutes'")
        .await;
    let (status, html) = visitor.page("/console/").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("idle"), "{html}");
}

#[tokio::test]
async fn a_forged_or_missing_csrf_token_changes_nothing() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("backroom", &[]).await;
    let visitor = Visitor::signed_in(&app, &token).await;
    let other = Visitor::signed_in(&app, &token).await;
    let theirs = other.csrf().await;
    for (what, csrf) in [
        ("missing", None),
        ("empty", Some("")),
        ("another session's", Some(theirs.as_str())),
    ] {
        let mut form = vec![("delta", "7"), ("reason", "restock"), ("idempotency_key", "k-1")];
        if let Some(csrf) = csrf {
            form.push(("csrf", csrf));
        }
        let response = visitor.post("/console/stores/1/inventory/1/adjust", &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
        // Sign-out is a form too: a forged one does not end the session.
        let response = visitor.post("/console/logout", &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
    }
    assert_eq!(app.db.stock(1, 1).await, 5, "the stock did not change");
    let movements = app.db.scalar("SELECT count(*) AS n FROM stock_movements").await;
    assert_eq!(movements, 0);
    assert_eq!(
        visitor.page("/console/").await.0,
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_client() {
    let app = TestApp::spawn_with(|settings| settings.console.console_login_rate_limit_per_minute = 3).await;
    let token = app.staff_token("backroom", &[]).await;
    let mut visitor = Visitor::new(&app);
    for _ in 0..3 {
        assert_eq!(
            visitor.sign_in("afr_wrong").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // The right token too: the limit is on attempts, before the token is looked at.
    let response = visitor.sign_in(&token).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get(header::RETRY_AFTER).is_some());
    assert!(response.headers().get(header::SET_COOKIE).is_none());
    assert_console_headers(&response, "429");
    let html = response.text().await.unwrap();
    assert!(html.contains("<html"), "a page, not a problem document: {html}");
    tokio::time::sleep(Duration::from_millis(10)).await;
}
