//! Idempotency keys: what makes a write safe to retry, for every write that takes one (placing
//! an order, adjusting stock).
//!
//! A client sends a key with a write; the write's transaction claims it first thing. A key
//! that names an earlier write made with the same request replays that write (nothing new
//! happens); one that names a write made with another request is refused
//! ([`KeyClaim::replay`]). One sequence does that for every such write in this crate — begin,
//! claim the key, lock in order, decide, write, commit; or replay, or roll back — so that a new
//! write path brings its own rule (lock, decide, store), not a copy of the sequence.

use async_trait::async_trait;

use crate::{Error, Result};

/// A client-chosen key that makes a write safe to retry: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The field name used in validation errors.
    pub const FIELD: &'static str = "Idempotency-Key";

    /// Validates a key.
    pub fn parse(raw: &str) -> Result<Self> {
        if raw.is_empty() || raw.len() > 255 {
            return Err(Error::invalid(Self::FIELD, "must be 1 to 255 characters long"));
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid(Self::FIELD, "must be visible ASCII characters"));
        }
        Ok(Self(raw.to_string()))
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Validates a request and its optional key together, so that a client learns about every
/// bad field at once: the request's field errors, then the key's.
///
/// Errors: a request error other than [`Error::Invalid`] (a path id that names nothing) as it
/// is; else [`Error::Invalid`] listing every bad field, the key as [`IdempotencyKey::FIELD`].
pub fn with_key<T>(request: Result<T>, raw_key: Option<&str>) -> Result<(T, Option<IdempotencyKey>)> {
    match (request, raw_key.map(IdempotencyKey::parse).transpose()) {
        (Ok(request), Ok(key)) => Ok((request, key)),
        (request, key) => {
            let mut errors = Vec::new();
            for error in [request.err(), key.err()].into_iter().flatten() {
                match error {
                    Error::Invalid(fields) => errors.extend(fields),
                    other => return Err(other),
                }
            }
            Err(Error::Invalid(errors))
        }
    }
}

/// What claiming a key in a write's transaction found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim<Id> {
    /// The key was free and is now held by this transaction.
    Claimed,
    /// The key names a write committed earlier.
    Existing {
        /// The fingerprint of the request that made that write.
        fingerprint: String,
        /// That write (an order, an adjustment).
        id: Id,
    },
}

impl<Id> KeyClaim<Id> {
    /// The rule of a key against the request that claims it: `None` when the key is this
    /// request's now, the earlier write's id when that write was made with the same request
    /// (`fingerprint`), to be replayed.
    ///
    /// Errors: [`Error::Invalid`] naming [`IdempotencyKey::FIELD`] when the key names a write
    /// made with a different request.
    pub fn replay(self, fingerprint: &str) -> Result<Option<Id>> {
        match self {
            KeyClaim::Claimed => Ok(None),
            KeyClaim::Existing {
                fingerprint: first,
                id,
            } if first == fingerprint => Ok(Some(id)),
            KeyClaim::Existing { .. } => Err(Error::invalid(
                IdempotencyKey::FIELD,
                "was already used with a different request",
            )),
        }
    }
}

/// A transaction in which one keyed write is decided and stored. Nothing it writes is visible
/// to anyone else until the write commits it; dropping it unfinished rolls back.
///
/// Errors: [`crate::Error::Unavailable`] when the database cannot be reached,
/// [`crate::Error::Internal`] for anything else unexpected.
#[async_trait]
pub trait KeyedTransaction: Send {
    /// What the key of a committed write names (an order's id, an adjustment's).
    type Id: Send;

    /// Takes the key for this transaction, or reports the write that already holds it. A
    /// concurrent transaction holding the same key makes this wait until that one ends.
    async fn claim_idempotency_key(
        &mut self,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<KeyClaim<Self::Id>>;

    /// Discards everything written.
    async fn rollback(&mut self) -> Result<()>;
}

/// One write path that a key makes safe to retry: what it brings to [`write_once`] — its
/// transaction, its request's fingerprint, its own rule, and how to read back what an earlier
/// request with the key wrote.
#[async_trait]
pub(crate) trait KeyedWrite: Sync {
    /// The transaction it runs in.
    type Transaction: KeyedTransaction + ?Sized;
    /// What it writes, and what a replay reads back.
    type Written: Send;

    /// Opens its transaction.
    async fn begin(&self) -> Result<Box<Self::Transaction>>;

    /// A canonical text of the request, to tell a replay from a different request under the
    /// same key.
    fn fingerprint(&self) -> String;

    /// Its rule, in the transaction, once the key (if any) is this request's: lock what it
    /// needs in order, decide, store (recording `key` as naming the write), commit.
    async fn write(&self, tx: &mut Self::Transaction, key: Option<&IdempotencyKey>) -> Result<Self::Written>;

    /// Reads the write that `id` names, made earlier under the same key and request.
    async fn replay(&self, id: <Self::Transaction as KeyedTransaction>::Id) -> Result<Self::Written>;
}

/// One write, made once whatever the retries: opens its transaction; with a key, claims it
/// under the request's fingerprint; then runs the write path's own rule
/// ([`KeyedWrite::write`]). Returns what was written and whether it is a replay.
///
/// A key naming an earlier write with the same fingerprint rolls back, gives the connection
/// back, and reads that write instead ([`KeyedWrite::replay`]): nothing is decided again. Any
/// error rolls back (a failed rollback only means the adapter discards the connection) and is
/// returned; so is a key reused with a different request ([`KeyClaim::replay`]).
pub(crate) async fn write_once<W: KeyedWrite>(
    path: &W,
    key: Option<&IdempotencyKey>,
) -> Result<(W::Written, bool)> {
    let mut tx = path.begin().await?;
    let claimed = match key {
        None => Ok(None),
        Some(key) => {
            let fingerprint = path.fingerprint();
            match tx.claim_idempotency_key(key, &fingerprint).await {
                Ok(claim) => claim.replay(&fingerprint),
                Err(error) => Err(error),
            }
        }
    };
    let written = match claimed {
        Ok(None) => path.write(tx.as_mut(), key).await,
        Ok(Some(id)) => {
            tx.rollback().await?;
            // Give the connection back before taking another: holding both under load would
            // let replays exhaust the pool waiting on each other.
            drop(tx);
            return Ok((path.replay(id).await?, true));
        }
        Err(error) => Err(error),
    };
    match written {
        Ok(written) => Ok((written, false)),
        Err(error) => {
            // The caller's error is the one worth reporting; a failed rollback only means the
            // connection is discarded, which the adapter handles.
            let _ = tx.rollback().await;
            Err(error)
        }
    }
}
