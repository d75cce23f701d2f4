//! `server token create | list | revoke` against a real database, through the binary.

use std::process::Command;

use crate::helpers::TestApp;

fn server(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .env("DATABASE_URL", &app.db.url)
        .env("RUST_LOG", "error")
        .output()
        .expect("run server");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn tokens_are_made_listed_and_revoked_on_the_command_line_and_stored_hashed() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;

    let (ok, token, _) = server(
        &app,
        &[
            "token", "create", "--name", "backroom", "--store", "2", "--store", "1",
        ],
    );
    assert!(ok);
    let token = token.trim().to_owned();
    assert!(token.starts_with("afr_") && token.len() == 68, "{token}");
    let (ok, catalogue, _) = server(&app, &["token", "create", "--name", "buyer"]);
    assert!(ok);
    assert_ne!(catalogue.trim(), token);

    // Only the hash is stored.
    let stored = app
        .db
        .scalar(&format!(
            "SELECT count(*) AS n FROM staff_tokens WHERE token_hash = sha256('{token}'::bytea)"
        ))
        .await;
    assert_eq!(stored, 1);
    let plain = app
        .db
        .scalar(&format!(
            "SELECT count(*) AS n FROM staff_tokens t WHERE position('{}' in t::text) > 0",
            &token[4..]
        ))
        .await;
    assert_eq!(plain, 0, "the token itself is nowhere in the row");

    // A name is unique among active tokens; an unknown store is refused.
    let (ok, _, err) = server(&app, &["token", "create", "--name", "buyer"]);
    assert!(!ok && err.contains("already named"), "{err}");
    let (ok, _, err) = server(&app, &["token", "create", "--name", "ghost", "--store", "99"]);
    assert!(!ok && err.contains("store 99 not found"), "{err}");

    let (ok, list, _) = server(&app, &["token", "list"]);
    assert!(ok);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(lines[0].starts_with("NAME"));
    assert!(
        lines[1].starts_with("backroom") && lines[1].contains("stores 1,2"),
        "{list}"
    );
    assert!(
        lines[2].starts_with("buyer") && lines[2].contains("catalogue"),
        "{list}"
    );

    let (ok, _, _) = server(&app, &["token", "revoke", "buyer"]);
    assert!(ok);
    let (ok, _, err) = server(&app, &["token", "revoke", "buyer"]);
    assert!(!ok && err.contains("no active token"), "{err}");
    // The name is free again once revoked.
    let (ok, _, _) = server(&app, &["token", "create", "--name", "buyer"]);
    assert!(ok);
    let (_, list, _) = server(&app, &["token", "list"]);
    assert_eq!(
        list.lines().filter(|l| l.starts_with("buyer")).count(),
        2,
        "{list}"
    );
}

#[tokio::test]
async fn a_token_in_use_records_its_last_use_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    app.seed_basic().await;
    let token = app.staff_token("till", &[1]).await;
    let last_used = || async {
        app.db
            .scalar("SELECT coalesce(extract(epoch FROM last_used_at)::bigint, 0) AS n FROM staff_tokens")
            .await
    };
    let use_token = || async {
        let response = app
            .staff(reqwest::Method::GET, "/stores/1/inventory/1/movements/", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    };
    assert_eq!(last_used().await, 0);
    use_token().await;
    assert!(last_used().await > 0, "the first use is recorded");

    // Used 30 s ago: not written again.
    app.db
        .run_sql("UPDATE staff_tokens SET last_used_at = now() - interval '30 seconds'")
        .await;
    let before = last_used().await;
    use_token().await;
    assert_eq!(last_used().await, before);

    // Used two minutes ago: written again.
    app.db
        .run_sql("UPDATE staff_tokens SET last_used_at = now() - interval '120 seconds'")
        .await;
    let stale = last_used().await;
    use_token().await;
    assert!(last_used().await >= stale + 100);
}
