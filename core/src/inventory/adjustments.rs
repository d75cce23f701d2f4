//! Stock adjustments: the domain values, and the parsing of a raw request into a
//! [`ValidatedAdjustment`].

use std::fmt;

use chrono::{DateTime, Utc};

use crate::auth::TokenName;
use crate::idempotency::{with_key, IdempotencyKey};
use crate::ids::AdjustmentId;
use crate::{Error, FieldError, ProductId, Result, StoreId};

/// Largest change one adjustment may make, either way.
pub const MAX_DELTA: i32 = 1_000_000;
pub use crate::note::MAX_NOTE_CHARS;

/// Why stock was adjusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdjustmentReason {
    /// Goods arrived.
    Restock,
    /// A count found the recorded stock wrong.
    Correction,
    /// Goods were damaged and taken off the shelf.
    Damage,
    /// A customer brought goods back.
    Return,
}

impl AdjustmentReason {
    /// Every reason, in the order the API documents them.
    pub const ALL: [AdjustmentReason; 4] = [
        AdjustmentReason::Restock,
        AdjustmentReason::Correction,
        AdjustmentReason::Damage,
        AdjustmentReason::Return,
    ];

    /// The wire and database spelling (`"restock"`).
    pub fn as_str(self) -> &'static str {
        match self {
            AdjustmentReason::Restock => "restock",
            AdjustmentReason::Correction => "correction",
            AdjustmentReason::Damage => "damage",
            AdjustmentReason::Return => "return",
        }
    }

    /// Parses the wire and database spelling (exactly, lower case).
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

impl fmt::Display for AdjustmentReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A change of stock: a non-zero number of units within `±MAX_DELTA`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delta(i32);

impl Delta {
    /// Returns the delta when it is non-zero and `|raw| ≤ MAX_DELTA`.
    pub fn new(raw: i64) -> Option<Self> {
        i32::try_from(raw)
            .ok()
            .filter(|d| *d != 0 && d.unsigned_abs() <= MAX_DELTA.unsigned_abs())
            .map(Self)
    }

    /// The number of units (negative: taken out).
    pub fn get(self) -> i32 {
        self.0
    }

    /// The quantity this delta leaves from `before`, when that is a valid stock quantity:
    /// at least 0 and at most `i32::MAX` (the column is an `INTEGER`). `None` otherwise.
    pub fn apply(self, before: u32) -> Option<u32> {
        let after = i64::from(before) + i64::from(self.0);
        u32::try_from(after)
            .ok()
            .filter(|a| i64::from(*a) <= i64::from(i32::MAX))
    }
}

/// A raw adjustment request, not yet validated: the path's ids and the body's fields as the
/// client sent them (`None` when a field is absent, or `note` is null).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdjustStock {
    /// Raw store id (from the path).
    pub store_id: i64,
    /// Raw product id (from the path).
    pub product_id: i64,
    /// Raw delta.
    pub delta: Option<i64>,
    /// Raw reason.
    pub reason: Option<String>,
    /// The note, if any.
    pub note: Option<String>,
    /// Names of the fields the request has but does not define (each one is refused).
    pub unknown: Vec<String>,
}

/// An adjustment request that passed every rule that needs no database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedAdjustment {
    /// The store.
    pub store_id: StoreId,
    /// The product.
    pub product_id: ProductId,
    /// The change.
    pub delta: Delta,
    /// Why.
    pub reason: AdjustmentReason,
    /// Free text, at most [`MAX_NOTE_CHARS`] characters.
    pub note: Option<String>,
}

impl ValidatedAdjustment {
    /// Validates a raw request, reporting every offending field at once. A path id that is
    /// not positive names nothing: [`Error::NotFound`] (checked first, as the path is).
    pub fn parse(request: &AdjustStock) -> Result<Self> {
        let store_id = StoreId::new(request.store_id).ok_or(Error::NotFound {
            entity: crate::Entity::Store,
            id: request.store_id,
        })?;
        let product_id = ProductId::new(request.product_id).ok_or(Error::NotFound {
            entity: crate::Entity::Product,
            id: request.product_id,
        })?;
        let mut errors = Vec::new();
        let delta = match request.delta {
            None => {
                errors.push(FieldError::new("delta", "is required"));
                None
            }
            Some(raw) => {
                let delta = Delta::new(raw);
                if delta.is_none() {
                    errors.push(FieldError::new(
                        "delta",
                        format!("must be a non-zero integer between -{MAX_DELTA} and {MAX_DELTA}"),
                    ));
                }
                delta
            }
        };
        let reason = match request.reason.as_deref() {
            None => {
                errors.push(FieldError::new("reason", "is required"));
                None
            }
            Some(raw) => {
                let reason = AdjustmentReason::parse(raw);
                if reason.is_none() {
                    errors.push(FieldError::new("reason", reason_message()));
                }
                reason
            }
        };
        crate::note::check_note("note", request.note.as_deref(), &mut errors);
        errors.extend(FieldError::unknown(&request.unknown));
        match (delta, reason) {
            (Some(delta), Some(reason)) if errors.is_empty() => Ok(Self {
                store_id,
                product_id,
                delta,
                reason,
                note: request.note.clone(),
            }),
            _ => Err(Error::Invalid(errors)),
        }
    }

    /// A canonical text of the request, to tell an idempotent replay from a different request
    /// under the same key: same stock row, delta, reason and note. The actor is not part of
    /// it: the key names the change, whoever retries it.
    pub fn fingerprint(&self) -> String {
        let note = crate::note::fingerprint(self.note.as_deref());
        format!(
            "store={};product={};delta={};reason={};note={note}",
            self.store_id,
            self.product_id,
            self.delta.get(),
            self.reason
        )
    }
}

/// What a bad `reason` is told.
pub fn reason_message() -> String {
    let names: Vec<&str> = AdjustmentReason::ALL.iter().map(|r| r.as_str()).collect();
    format!("must be one of {}", names.join(", "))
}

/// Validates a raw request and its optional `Idempotency-Key` together, so that a client
/// learns about every bad field at once.
///
/// Errors: [`Error::NotFound`] for a path id that cannot exist; [`Error::Invalid`] listing
/// every bad field (the key as `Idempotency-Key`).
pub fn validate(
    request: &AdjustStock,
    idempotency_key: Option<&str>,
) -> Result<(ValidatedAdjustment, Option<IdempotencyKey>)> {
    with_key(ValidatedAdjustment::parse(request), idempotency_key)
}

/// A stored adjustment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockAdjustment {
    /// Its id.
    pub id: AdjustmentId,
    /// The store.
    pub store_id: StoreId,
    /// The product.
    pub product_id: ProductId,
    /// The change.
    pub delta: Delta,
    /// Why.
    pub reason: AdjustmentReason,
    /// Free text.
    pub note: Option<String>,
    /// Units in stock just before, under the row's lock (0 when the store had no row).
    pub quantity_before: u32,
    /// Units in stock right after: `quantity_before + delta`.
    pub quantity_after: u32,
    /// The name of the token that made it.
    pub actor: String,
    /// When it was applied (under the row's lock).
    pub created_at: DateTime<Utc>,
}

/// An adjustment to store, as decided under the row's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdjustment<'a> {
    /// The validated request.
    pub adjustment: &'a ValidatedAdjustment,
    /// The stock read under lock.
    pub quantity_before: u32,
    /// `quantity_before + delta`, checked to be a valid quantity.
    pub quantity_after: u32,
    /// Who makes it.
    pub actor: &'a TokenName,
    /// The key this transaction claimed, to be recorded as naming this adjustment.
    pub idempotency_key: Option<&'a IdempotencyKey>,
}
