//! Stock use-cases: adjusting a stock row, and listing its movements.

use super::adjustments::{validate, AdjustStock, NewAdjustment, StockAdjustment, ValidatedAdjustment};
use super::movements::StockMovement;
use super::ports::{
    AdjustmentKeyClaim, StockAdjustmentRepository, StockAdjustmentTransaction, StockMovementRepository,
};
use crate::auth::{authorize, Action, Principal, TokenScope};
use crate::ids::AdjustmentId;
use crate::orders::IdempotencyKey;
use crate::{Entity, Error, Page, PageRequest, ProductId, Result, StoreId};

/// The result of [`adjust_stock`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjusted {
    /// The adjustment.
    pub adjustment: StockAdjustment,
    /// `true` when the Idempotency-Key named an adjustment made earlier: nothing new happened.
    pub replayed: bool,
}

/// Decides whether `principal` may perform `action` on the store a path names, before
/// anything else is looked at. A raw id that cannot name a store (≤ 0) is outside every store
/// token's scope (→ [`Error::Forbidden`], as for any store it does not cover, existing or not),
/// and names nothing for a catalogue token (→ [`Error::NotFound`]); a valid id goes to
/// [`authorize`].
pub fn authorize_store(
    principal: &Principal,
    raw_store_id: i64,
    action: fn(StoreId) -> Action,
) -> Result<StoreId> {
    match StoreId::new(raw_store_id) {
        Some(store_id) => authorize(principal, action(store_id)).map(|()| store_id),
        None => match principal.scope {
            TokenScope::Catalogue => Err(Error::NotFound {
                entity: Entity::Store,
                id: raw_store_id,
            }),
            TokenScope::Stores(_) => Err(Error::Forbidden(format!(
                "token '{}' may touch the stock of its own stores only",
                principal.name
            ))),
        },
    }
}

/// Adjusts a store's stock of a product by `request.delta`, on behalf of `principal`.
///
/// In one transaction: claims the idempotency key (a replay returns the adjustment it names),
/// locks the stock row as orders do (creating it at 0 when the store does not stock the
/// product yet), and either applies the delta or changes nothing.
///
/// Errors, in this order: [`Error::Forbidden`] when the principal may not adjust the store's
/// stock (nothing else is looked at); [`Error::NotFound`] for a path id that cannot exist;
/// [`Error::Invalid`] listing every bad field, and for a key reused with a different request;
/// [`Error::NotFound`] for an unknown store or product; [`Error::Conflict`] when the result
/// would be below zero or above `i32::MAX` (nothing changes; the message says the current
/// quantity); dependency errors as the repository reports them (the transaction is rolled back).
pub async fn adjust_stock(
    repo: &dyn StockAdjustmentRepository,
    principal: &Principal,
    request: &AdjustStock,
    idempotency_key: Option<&str>,
) -> Result<Adjusted> {
    authorize_store(principal, request.store_id, Action::AdjustStock)?;
    let (adjustment, key) = validate(request, idempotency_key)?;

    let mut tx = repo.begin().await?;
    match decide_and_store(tx.as_mut(), principal, &adjustment, key.as_ref()).await {
        Ok(Outcome::Committed(adjustment)) => {
            tracing::info!(
                actor = %principal.name,
                adjustment_id = adjustment.id.get(),
                store_id = adjustment.store_id.get(),
                product_id = adjustment.product_id.get(),
                delta = adjustment.delta.get(),
                reason = adjustment.reason.as_str(),
                quantity_before = adjustment.quantity_before,
                quantity_after = adjustment.quantity_after,
                "stock adjusted"
            );
            Ok(Adjusted {
                adjustment,
                replayed: false,
            })
        }
        Ok(Outcome::Replay(id)) => {
            tx.rollback().await?;
            // Give the connection back before taking another (see `place_order`).
            drop(tx);
            let adjustment = repo.get_adjustment(id).await?.ok_or_else(|| {
                Error::internal(format!("idempotency key points at missing adjustment {id}"))
            })?;
            tracing::debug!(actor = %principal.name, adjustment_id = id.get(), "stock adjustment replayed");
            Ok(Adjusted {
                adjustment,
                replayed: true,
            })
        }
        Err(error) => {
            // The caller's error is the one worth reporting; a failed rollback only means the
            // connection is discarded, which the adapter handles.
            let _ = tx.rollback().await;
            Err(error)
        }
    }
}

enum Outcome {
    Committed(StockAdjustment),
    Replay(AdjustmentId),
}

async fn decide_and_store(
    tx: &mut dyn StockAdjustmentTransaction,
    principal: &Principal,
    adjustment: &ValidatedAdjustment,
    key: Option<&IdempotencyKey>,
) -> Result<Outcome> {
    if let Some(key) = key {
        let fingerprint = adjustment.fingerprint();
        match tx.claim_idempotency_key(key, &fingerprint).await? {
            AdjustmentKeyClaim::Claimed => {}
            AdjustmentKeyClaim::Existing {
                fingerprint: first,
                adjustment_id,
            } if first == fingerprint => return Ok(Outcome::Replay(adjustment_id)),
            AdjustmentKeyClaim::Existing { .. } => {
                return Err(Error::invalid(
                    IdempotencyKey::FIELD,
                    "was already used with a different request",
                ))
            }
        }
    }
    let (store_id, product_id) = (adjustment.store_id, adjustment.product_id);
    let locked = tx.lock_stock_row(store_id, product_id).await?;
    locked.targets.require(store_id, product_id)?;
    let before = locked.quantity;
    let after = adjustment
        .delta
        .apply(before)
        .ok_or_else(|| conflict(store_id, product_id, adjustment, before))?;
    let (id, created_at) = tx
        .commit_adjustment(NewAdjustment {
            adjustment,
            quantity_before: before,
            quantity_after: after,
            actor: &principal.name,
            idempotency_key: key,
        })
        .await?;
    Ok(Outcome::Committed(StockAdjustment {
        id,
        store_id,
        product_id,
        delta: adjustment.delta,
        reason: adjustment.reason,
        note: adjustment.note.clone(),
        quantity_before: before,
        quantity_after: after,
        actor: principal.name.as_str().to_owned(),
        created_at,
    }))
}

/// The 409 of a delta that does not fit: says the current quantity.
fn conflict(
    store_id: StoreId,
    product_id: ProductId,
    adjustment: &ValidatedAdjustment,
    before: u32,
) -> Error {
    let delta = adjustment.delta.get();
    let result = i64::from(before) + i64::from(delta);
    let why = if result < 0 {
        "stock cannot go below zero".to_owned()
    } else {
        format!("stock cannot exceed {}", i32::MAX)
    };
    Error::Conflict(format!(
        "store {store_id} has {before} units of product {product_id}; a delta of {delta} would leave {result}: {why}"
    ))
}

/// A page of a stock row's movements, newest first (see [`StockMovement`]), for `principal`.
///
/// Errors: [`Error::Forbidden`] when the principal may not read the store's movements
/// (nothing else is looked at); [`Error::NotFound`] for an unknown store or product.
pub async fn list_movements(
    repo: &dyn StockMovementRepository,
    principal: &Principal,
    raw_store_id: i64,
    raw_product_id: i64,
    page: PageRequest,
) -> Result<Page<StockMovement>> {
    let store_id = authorize_store(principal, raw_store_id, Action::ReadMovements)?;
    let product_id = ProductId::new(raw_product_id).ok_or(Error::NotFound {
        entity: Entity::Product,
        id: raw_product_id,
    })?;
    repo.stock_targets(store_id, product_id)
        .await?
        .require(store_id, product_id)?;
    repo.list_movements(store_id, product_id, page).await
}
