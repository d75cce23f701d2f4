//! Token use-cases: the server's authentication and the command line's token management.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};

use super::model::{NewToken, Principal, StaffToken, TokenName, TokenScope, TokenSecret};
use super::ports::TokenRepository;
use crate::stores::{require_store, StoreRepository};
use crate::{Error, Result};

/// How stale `last_used_at` may get: a token used all day long is written at most once a
/// minute, so authentication costs one indexed read and (almost) never a write.
pub const LAST_USED_RESOLUTION: TimeDelta = TimeDelta::seconds(60);

/// Who sent `token` (the bearer token of a request, `None` when there was none), at `now`.
///
/// Errors: [`Error::Unauthenticated`] for a missing, malformed, unknown or revoked token —
/// a malformed one is refused without a lookup; dependency errors as the repository reports
/// them. A failure to record the use is logged and does not fail the request.
pub async fn authenticate(
    tokens: &dyn TokenRepository,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Principal> {
    let raw = token.ok_or_else(|| Error::Unauthenticated("a bearer token is required".into()))?;
    let secret = TokenSecret::parse(raw)
        .ok_or_else(|| Error::Unauthenticated("the bearer token is malformed".into()))?;
    let stored = tokens
        .find_token(&secret.hash())
        .await?
        .ok_or_else(|| Error::Unauthenticated("the bearer token is not known".into()))?;
    if stored.revoked_at.is_some() {
        return Err(Error::Unauthenticated("the bearer token was revoked".into()));
    }
    let due = stored
        .last_used_at
        .is_none_or(|last| now.signed_duration_since(last) >= LAST_USED_RESOLUTION);
    if due {
        if let Err(error) = tokens.touch_token(stored.id, now).await {
            tracing::warn!(token = %stored.name, %error, "could not record the token's use");
        }
    }
    Ok(stored.principal())
}

/// Makes a token named `name`: a catalogue token without `store_ids`, else a token for those
/// stores. `random` must come from a cryptographically secure source. Returns the stored token
/// and its secret, which is not stored and cannot be shown again.
///
/// Errors: [`Error::Invalid`] for a bad name; [`Error::NotFound`] for a store that does not
/// exist; [`Error::Conflict`] when an active token has the name.
pub async fn create_token(
    tokens: &dyn TokenRepository,
    stores: &dyn StoreRepository,
    name: &str,
    store_ids: &[i64],
    random: [u8; 32],
) -> Result<(StaffToken, TokenSecret)> {
    let name = TokenName::parse(name)?;
    let scope = if store_ids.is_empty() {
        TokenScope::Catalogue
    } else {
        let mut set = BTreeSet::new();
        for &raw in store_ids {
            set.insert(require_store(stores, raw).await?);
        }
        TokenScope::Stores(set)
    };
    let secret = TokenSecret::from_random(random);
    let stored = tokens
        .insert_token(&NewToken {
            name,
            scope,
            hash: secret.hash(),
        })
        .await?;
    tracing::info!(token = %stored.name, scope = %stored.scope.describe(), "staff token created");
    Ok((stored, secret))
}

/// Every token, revoked ones included.
pub async fn list_tokens(tokens: &dyn TokenRepository) -> Result<Vec<StaffToken>> {
    tokens.list_tokens().await
}

/// Revokes the active token named `name` at `now`: from then on it authenticates nobody.
///
/// Errors: [`Error::Invalid`] for a bad name; [`Error::Conflict`] when no active token has it.
pub async fn revoke_token(tokens: &dyn TokenRepository, name: &str, now: DateTime<Utc>) -> Result<()> {
    let name = TokenName::parse(name)?;
    if tokens.revoke_token(&name, now).await? {
        tracing::info!(token = %name, "staff token revoked");
        Ok(())
    } else {
        Err(Error::Conflict(format!("no active token is named '{name}'")))
    }
}
