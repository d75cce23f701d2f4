//! The token store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::model::{NewToken, StaffToken, TokenHash, TokenName};
use crate::Result;

/// Staff tokens storage.
///
/// Errors: [`crate::Error::Conflict`] from [`insert_token`](TokenRepository::insert_token)
/// when an active token already has the name; [`crate::Error::Unavailable`] when the database
/// cannot be reached; [`crate::Error::Internal`] otherwise.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TokenRepository: Send + Sync {
    /// Stores a new token.
    async fn insert_token(&self, token: &NewToken) -> Result<StaffToken>;

    /// The token with this hash, revoked or not, or `None`.
    async fn find_token(&self, hash: &TokenHash) -> Result<Option<StaffToken>>;

    /// Every token, revoked ones included, by name then creation.
    async fn list_tokens(&self) -> Result<Vec<StaffToken>>;

    /// Revokes the active token with this name at `at`; `false` when there is none.
    async fn revoke_token(&self, name: &TokenName, at: DateTime<Utc>) -> Result<bool>;

    /// Records that the token was used at `at`.
    async fn touch_token(&self, id: i64, at: DateTime<Utc>) -> Result<()>;
}
