use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use mockall::predicate::eq;

use super::*;
use crate::stores::MockStoreRepository;
use crate::{Error, StoreId};

fn store(id: i64) -> StoreId {
    StoreId::new(id).unwrap()
}

fn principal(scope: TokenScope) -> Principal {
    Principal {
        name: TokenName::parse("tablet-1").unwrap(),
        scope,
    }
}

fn stores(ids: &[i64]) -> TokenScope {
    TokenScope::Stores(ids.iter().map(|&i| store(i)).collect::<BTreeSet<_>>())
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap()
}

const SECRET: [u8; 32] = [7; 32];

fn stored(last_used_at: Option<DateTime<Utc>>, revoked_at: Option<DateTime<Utc>>) -> StaffToken {
    StaffToken {
        id: 5,
        name: TokenName::parse("tablet-1").unwrap(),
        scope: stores(&[3]),
        created_at: now() - TimeDelta::days(1),
        last_used_at,
        revoked_at,
    }
}

#[test]
fn a_catalogue_token_may_do_every_action() {
    let p = principal(TokenScope::Catalogue);
    for action in [
        Action::WriteCatalogue,
        Action::AdjustStock(store(9)),
        Action::ReadMovements(store(9)),
    ] {
        assert!(authorize(&p, action).is_ok(), "{action:?}");
    }
}

#[test]
fn a_store_token_may_touch_only_the_stock_of_its_stores() {
    let p = principal(stores(&[1, 3]));
    assert!(authorize(&p, Action::AdjustStock(store(1))).is_ok());
    assert!(authorize(&p, Action::ReadMovements(store(3))).is_ok());
    for action in [
        Action::AdjustStock(store(2)),
        Action::ReadMovements(store(2)),
        Action::WriteCatalogue,
    ] {
        assert!(
            matches!(authorize(&p, action), Err(Error::Forbidden(_))),
            "{action:?}"
        );
    }
}

#[test]
fn token_secrets_have_one_shape_and_hash_stably() {
    let secret = TokenSecret::from_random(SECRET);
    assert_eq!(secret.reveal().len(), 4 + 64);
    assert_eq!(TokenSecret::parse(secret.reveal()), Some(secret.clone()));
    assert_eq!(secret.hash(), TokenSecret::from_random(SECRET).hash());
    assert_ne!(secret.hash(), TokenSecret::from_random([8; 32]).hash());
    assert!(
        !format!("{secret:?}").contains(&secret.reveal()[4..]),
        "Debug hides the secret"
    );
    for bad in [
        "",
        "afr_",
        "afr_xyz",
        &secret.reveal()[..60],
        &secret.reveal().to_uppercase(),
        &format!("{}0", secret.reveal()),
    ] {
        assert_eq!(TokenSecret::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn token_names_are_short_plain_words() {
    assert_eq!(TokenName::parse(" till-3.b_x ").unwrap().as_str(), "till-3.b_x");
    for bad in ["", "  ", "has space", "quote'", &"x".repeat(65)] {
        assert!(matches!(TokenName::parse(bad), Err(Error::Invalid(_))), "{bad:?}");
    }
}

async fn auth_error(tokens: &MockTokenRepository, raw: Option<&str>) -> String {
    match authenticate(tokens, raw, now()).await {
        Err(Error::Unauthenticated(message)) => message,
        other => panic!("expected 401, got {other:?}"),
    }
}

#[tokio::test]
async fn missing_and_malformed_tokens_are_refused_without_a_lookup() {
    let tokens = MockTokenRepository::new(); // any call would panic
    assert!(auth_error(&tokens, None).await.contains("required"));
    assert!(auth_error(&tokens, Some("afr_nothex"))
        .await
        .contains("malformed"));
}

#[tokio::test]
async fn unknown_and_revoked_tokens_are_refused() {
    let secret = TokenSecret::from_random(SECRET);
    let mut tokens = MockTokenRepository::new();
    tokens.expect_find_token().times(1).returning(|_| Ok(None));
    assert!(auth_error(&tokens, Some(secret.reveal()))
        .await
        .contains("not known"));

    let mut tokens = MockTokenRepository::new();
    tokens
        .expect_find_token()
        .returning(|_| Ok(Some(stored(None, Some(now() - TimeDelta::hours(1))))));
    assert!(auth_error(&tokens, Some(secret.reveal()))
        .await
        .contains("revoked"));
}

#[tokio::test]
async fn a_valid_token_is_its_principal_and_its_use_is_recorded_at_most_once_a_minute() {
    let secret = TokenSecret::from_random(SECRET);
    let hash = secret.hash();
    for (last_used, touched) in [
        (None, true),
        (Some(now() - TimeDelta::seconds(61)), true),
        (Some(now() - TimeDelta::seconds(59)), false),
    ] {
        let mut tokens = MockTokenRepository::new();
        tokens
            .expect_find_token()
            .with(eq(hash))
            .returning(move |_| Ok(Some(stored(last_used, None))));
        tokens
            .expect_touch_token()
            .with(eq(5), eq(now()))
            .times(usize::from(touched))
            .returning(|_, _| Ok(()));
        let principal = authenticate(&tokens, Some(secret.reveal()), now()).await.unwrap();
        assert_eq!(principal.scope, stores(&[3]));
        assert_eq!(principal.name.as_str(), "tablet-1");
    }
}

#[tokio::test]
async fn a_failed_use_record_does_not_fail_the_request() {
    let mut tokens = MockTokenRepository::new();
    tokens
        .expect_find_token()
        .returning(|_| Ok(Some(stored(None, None))));
    tokens
        .expect_touch_token()
        .returning(|_, _| Err(Error::internal("disk full")));
    let secret = TokenSecret::from_random(SECRET);
    assert!(authenticate(&tokens, Some(secret.reveal()), now()).await.is_ok());
}

#[tokio::test]
async fn creating_a_store_token_checks_its_stores_and_stores_only_the_hash() {
    let mut store_repo = MockStoreRepository::new();
    store_repo
        .expect_store_exists()
        .returning(|id| Ok(id.get() != 404));
    let mut tokens = MockTokenRepository::new();
    tokens
        .expect_insert_token()
        .withf(|new| new.scope == stores(&[1, 2]) && new.hash == TokenSecret::from_random(SECRET).hash())
        .times(1)
        .returning(|new| {
            Ok(StaffToken {
                id: 1,
                name: new.name.clone(),
                scope: new.scope.clone(),
                created_at: now(),
                last_used_at: None,
                revoked_at: None,
            })
        });
    let (token, secret) = create_token(&tokens, &store_repo, "till", &[2, 1, 2], SECRET)
        .await
        .unwrap();
    assert_eq!(token.scope.describe(), "stores 1,2");
    assert_eq!(secret, TokenSecret::from_random(SECRET));

    let err = create_token(&tokens, &store_repo, "till", &[404], SECRET)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { id: 404, .. }), "{err:?}");
}

#[tokio::test]
async fn revoking_an_unknown_name_is_a_conflict() {
    let mut tokens = MockTokenRepository::new();
    tokens
        .expect_revoke_token()
        .returning(|name, _| Ok(name.as_str() == "till"));
    assert!(revoke_token(&tokens, "till", now()).await.is_ok());
    assert!(matches!(
        revoke_token(&tokens, "other", now()).await,
        Err(Error::Conflict(_))
    ));
}
