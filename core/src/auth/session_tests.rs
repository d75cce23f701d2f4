use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use mockall::predicate::{always, eq};

use super::*;
use crate::Error;

const IDLE: Duration = Duration::from_secs(8 * 3600);
const RANDOM: [u8; 32] = [9; 32];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap()
}

fn token_secret() -> TokenSecret {
    TokenSecret::from_random([7; 32])
}

fn token(revoked_at: Option<DateTime<Utc>>) -> StaffToken {
    StaffToken {
        id: 5,
        name: TokenName::parse("backroom-tablet").unwrap(),
        scope: TokenScope::Catalogue,
        created_at: now() - TimeDelta::days(1),
        last_used_at: None,
        revoked_at,
    }
}

fn stored(last_seen_at: DateTime<Utc>, revoked_at: Option<DateTime<Utc>>) -> StoredSession {
    StoredSession {
        id: 11,
        last_seen_at,
        token: token(revoked_at),
    }
}

fn unauthenticated(result: Result<Session, Error>) -> String {
    match result {
        Err(Error::Unauthenticated(message)) => message,
        other => panic!("expected Unauthenticated, got {other:?}"),
    }
}

#[tokio::test]
async fn signing_in_stores_only_the_hash_of_a_new_secret_and_prunes_expired_sessions() {
    let mut tokens = MockTokenRepository::new();
    tokens
        .expect_find_token()
        .with(eq(token_secret().hash()))
        .returning(|_| Ok(Some(token(None))));
    tokens
        .expect_touch_token()
        .with(eq(5), eq(now()))
        .returning(|_, _| Ok(()));
    let expected_hash = SessionSecret::from_random(RANDOM).hash();
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_insert_session()
        .with(
            eq(expected_hash),
            eq(5),
            eq(now()),
            eq(now() - TimeDelta::hours(8)),
        )
        .times(1)
        .returning(|_, _, _, _| Ok(()));

    let typed = format!("  {}\n", token_secret().reveal());
    let (secret, session) = sign_in(&tokens, &sessions, &typed, now(), IDLE, RANDOM)
        .await
        .unwrap();

    assert_eq!(secret.hash(), expected_hash);
    assert_eq!(secret.reveal().len(), 64);
    assert_eq!(session.principal.name.as_str(), "backroom-tablet");
    assert_eq!(session.csrf, secret.csrf_token());
    assert_ne!(
        session.csrf,
        secret.reveal(),
        "the CSRF token must not be the cookie"
    );
}

#[tokio::test]
async fn a_malformed_unknown_or_revoked_token_opens_no_session() {
    let mut tokens = MockTokenRepository::new();
    let revoked = TokenSecret::from_random([8; 32]);
    tokens
        .expect_find_token()
        .with(eq(token_secret().hash()))
        .returning(|_| Ok(None));
    tokens
        .expect_find_token()
        .with(eq(revoked.hash()))
        .returning(|_| Ok(Some(token(Some(now())))));
    let sessions = MockSessionRepository::new(); // no insert expected: a call would panic

    for typed in [
        "",
        "afr_short",
        "not a token",
        token_secret().reveal(),
        revoked.reveal(),
    ] {
        let result = sign_in(&tokens, &sessions, typed, now(), IDLE, RANDOM).await;
        assert!(
            matches!(result, Err(Error::Unauthenticated(_))),
            "{typed:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn a_live_session_resumes_and_is_touched_at_most_once_a_minute() {
    let secret = SessionSecret::from_random(RANDOM);
    let mut sessions = MockSessionRepository::new();
    let seen = now() - TimeDelta::minutes(5);
    sessions
        .expect_find_session()
        .with(eq(secret.hash()))
        .returning(move |_| Ok(Some(stored(seen, None))));
    sessions
        .expect_touch_session()
        .with(eq(11), eq(now()))
        .times(1)
        .returning(|_, _| Ok(()));
    let session = resume_session(&sessions, Some(secret.reveal()), now(), IDLE)
        .await
        .unwrap();
    assert_eq!(session.csrf, secret.csrf_token());

    // Seen 30 s ago: no write.
    let mut recent = MockSessionRepository::new();
    recent
        .expect_find_session()
        .returning(|_| Ok(Some(stored(now() - TimeDelta::seconds(30), None))));
    recent.expect_touch_session().never();
    resume_session(&recent, Some(secret.reveal()), now(), IDLE)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_session_ends_when_idle_too_long_revoked_unknown_or_absent() {
    let secret = SessionSecret::from_random(RANDOM);
    let cases: Vec<(&str, Option<StoredSession>)> = vec![
        (
            "idle",
            Some(stored(now() - TimeDelta::hours(8) - TimeDelta::seconds(1), None)),
        ),
        (
            "revoked",
            Some(stored(now(), Some(now() - TimeDelta::seconds(1)))),
        ),
        ("unknown", None),
    ];
    for (case, found) in cases {
        let mut sessions = MockSessionRepository::new();
        sessions
            .expect_find_session()
            .returning(move |_| Ok(found.clone()));
        sessions.expect_touch_session().never();
        let message = unauthenticated(resume_session(&sessions, Some(secret.reveal()), now(), IDLE).await);
        assert!(!message.is_empty(), "{case}");
    }
    // No cookie, or one of the wrong shape: refused without a lookup.
    let sessions = MockSessionRepository::new();
    unauthenticated(resume_session(&sessions, None, now(), IDLE).await);
    unauthenticated(resume_session(&sessions, Some("../../etc"), now(), IDLE).await);
}

#[test]
fn a_form_passes_only_with_its_own_sessions_csrf_token() {
    let mine = SessionSecret::from_random(RANDOM);
    let theirs = SessionSecret::from_random([1; 32]);
    let session = Session {
        principal: token(None).principal(),
        csrf: mine.csrf_token(),
    };
    assert!(session.check_csrf(Some(&mine.csrf_token())).is_ok());
    for forged in [
        None,
        Some(""),
        Some(theirs.csrf_token().as_str()),
        Some(mine.reveal()),
    ] {
        assert!(
            matches!(session.check_csrf(forged), Err(Error::Forbidden(_))),
            "{forged:?}"
        );
    }
}

#[tokio::test]
async fn signing_out_deletes_the_session_of_the_cookie() {
    let secret = SessionSecret::from_random(RANDOM);
    let mut sessions = MockSessionRepository::new();
    sessions
        .expect_delete_session()
        .with(eq(secret.hash()))
        .times(1)
        .returning(|_| Ok(()));
    sign_out(&sessions, Some(secret.reveal())).await.unwrap();
    let mut none = MockSessionRepository::new();
    none.expect_delete_session().with(always()).never();
    sign_out(&none, None).await.unwrap();
}
