//! Tokens, scopes, principals and the one authorisation rule.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::{Error, Result, StoreId};

/// A token's unique name (who holds it: `backroom-tablet-3`), recorded with every write it makes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenName(String);

impl TokenName {
    /// Longest accepted name.
    pub const MAX_LEN: usize = 64;

    /// Validates a name: 1 to 64 characters of `A-Z a-z 0-9 . _ -` (it appears in logs and
    /// audit records, so nothing that needs quoting).
    pub fn parse(raw: &str) -> Result<Self> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err(Error::invalid(
                "name",
                format!("must be 1 to {} characters long", Self::MAX_LEN),
            ));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err(Error::invalid(
                "name",
                "may contain only letters, digits, '.', '_' and '-'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TokenName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a token may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenScope {
    /// Every write: catalogue and stock of every store.
    Catalogue,
    /// Stock of these stores only (adjustments and movements). Never empty.
    Stores(BTreeSet<StoreId>),
}

impl TokenScope {
    /// A short description for listings and logs (`catalogue`, `stores 1,3`).
    pub fn describe(&self) -> String {
        match self {
            TokenScope::Catalogue => "catalogue".to_owned(),
            TokenScope::Stores(stores) => format!(
                "stores {}",
                stores
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }
}

/// Something a staff member asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create or change categories, products or stores.
    WriteCatalogue,
    /// Adjust the stock of a store.
    AdjustStock(StoreId),
    /// Read the stock movements of a store.
    ReadMovements(StoreId),
    /// See a store in the back office: its stock and its orders.
    ViewStore(StoreId),
    /// Cancel an order placed with this store (`None`: an order that does not exist, which a
    /// store token is refused like another store's, so that it learns nothing of them).
    CancelOrder(Option<StoreId>),
}

/// An authenticated caller: the token's name and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's name: the `actor` of what it writes.
    pub name: TokenName,
    /// Its scope.
    pub scope: TokenScope,
}

/// Decides whether `principal` may perform `action`. The only place this rule lives.
///
/// Errors: [`Error::Forbidden`] when the scope does not cover the action. The message names
/// the token and the kind of action, never whether the target exists.
pub fn authorize(principal: &Principal, action: Action) -> Result<()> {
    let allowed = match (&principal.scope, action) {
        (TokenScope::Catalogue, _) => true,
        (TokenScope::Stores(_), Action::WriteCatalogue) => false,
        (
            TokenScope::Stores(stores),
            Action::AdjustStock(store) | Action::ReadMovements(store) | Action::ViewStore(store),
        ) => stores.contains(&store),
        (TokenScope::Stores(stores), Action::CancelOrder(store)) => {
            store.is_some_and(|store| stores.contains(&store))
        }
    };
    if allowed {
        return Ok(());
    }
    Err(Error::Forbidden(match action {
        Action::WriteCatalogue => format!(
            "token '{}' is a store token: it may not change the catalogue",
            principal.name
        ),
        Action::AdjustStock(store) | Action::ReadMovements(store) => format!(
            "token '{}' may not touch the stock of store {store}",
            principal.name
        ),
        Action::ViewStore(store) => format!("token '{}' may not see store {store}", principal.name),
        // The order's store is not named: a store token learns nothing of other stores' orders.
        Action::CancelOrder(_) => format!(
            "token '{}' may cancel the orders of its own stores only",
            principal.name
        ),
    }))
}

/// The SHA-256 of a token: all that is stored of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

/// A token as its holder sends it: `afr_` and 64 hex digits (256 random bits).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecret(String);

impl TokenSecret {
    /// Every token starts with this, so a leaked one is easy to recognise (secret scanners).
    pub const PREFIX: &'static str = "afr_";

    /// A token from 32 random bytes (the caller draws them from the OS's random source).
    pub fn from_random(bytes: [u8; 32]) -> Self {
        let mut text = String::with_capacity(Self::PREFIX.len() + 64);
        text.push_str(Self::PREFIX);
        for byte in bytes {
            text.push_str(&format!("{byte:02x}"));
        }
        Self(text)
    }

    /// The token, if `raw` has a token's shape; `None` for anything malformed (no lookup
    /// is worth making for it).
    pub fn parse(raw: &str) -> Option<Self> {
        let hex = raw.strip_prefix(Self::PREFIX)?;
        (hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| Self(raw.to_owned()))
    }

    /// What is stored and looked up.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }

    /// The token's text, to show its holder once.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenSecret {
    /// Never prints the secret (it would end up in logs).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret(…)")
    }
}

/// A token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// Unique among active tokens.
    pub name: TokenName,
    /// What it may do.
    pub scope: TokenScope,
    /// The SHA-256 of the secret.
    pub hash: TokenHash,
}

/// A stored token (without its secret, which is not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffToken {
    /// Row id.
    pub id: i64,
    /// Its name.
    pub name: TokenName,
    /// What it may do.
    pub scope: TokenScope,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last used, to a minute ([`crate::auth::LAST_USED_RESOLUTION`]).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; a revoked token authenticates nobody.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl StaffToken {
    /// The caller this token makes.
    pub fn principal(&self) -> Principal {
        Principal {
            name: self.name.clone(),
            scope: self.scope.clone(),
        }
    }
}
