//! Stock use-cases: adjusting a stock row (and invalidating what it changed), and listing its
//! movements.

use async_trait::async_trait;

use super::adjustments::{validate, AdjustStock, NewAdjustment, StockAdjustment, ValidatedAdjustment};
use super::movements::StockMovement;
use super::ports::{StockAdjustmentRepository, StockAdjustmentTransaction, StockMovementRepository};
use crate::auth::{authorize, Action, Principal, TokenScope};
use crate::cache::{Stale, WritePorts};
use crate::idempotency::{write_once, IdempotencyKey, KeyedWrite};
use crate::ids::AdjustmentId;
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

/// What adjusting stock needs: the adjustments' repository, the cache to invalidate after an
/// adjustment, and the outbox for an invalidation this process could not apply.
pub type StockWriter<'a> = WritePorts<'a, dyn StockAdjustmentRepository>;

/// Adjusts a store's stock of a product by `request.delta`, on behalf of `principal`.
///
/// In one transaction: claims the idempotency key (a replay returns the adjustment it names),
/// locks the stock row as orders do (creating it at 0 when the store does not stock the
/// product yet), and either applies the delta or changes nothing. An applied adjustment then
/// invalidates its store's cached stock before this returns, as a confirmed order does (a
/// failed bump is handed to the worker: [`WritePorts::bump_or_defer`]); a replay bumps nothing.
///
/// Errors, in this order: [`Error::Forbidden`] when the principal may not adjust the store's
/// stock (nothing else is looked at); [`Error::NotFound`] for a path id that cannot exist;
/// [`Error::Invalid`] listing every bad field, and for a key reused with a different request;
/// [`Error::NotFound`] for an unknown store or product; [`Error::Conflict`] when the result
/// would be below zero or above `i32::MAX` (nothing changes; the message says the current
/// quantity); dependency errors as the repository reports them (the transaction is rolled back).
pub async fn adjust_stock(
    ports: StockWriter<'_>,
    principal: &Principal,
    request: &AdjustStock,
    idempotency_key: Option<&str>,
) -> Result<Adjusted> {
    authorize_store(principal, request.store_id, Action::AdjustStock)?;
    let (adjustment, key) = validate(request, idempotency_key)?;
    let adjusting = Adjusting {
        adjustments: ports.repository,
        principal,
        adjustment: &adjustment,
    };
    let (adjustment, replayed) = write_once(&adjusting, key.as_ref()).await?;
    if replayed {
        tracing::debug!(actor = %principal.name, adjustment_id = adjustment.id.get(), "stock adjustment replayed");
    } else {
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
        ports
            .bump_or_defer(
                Stale::Stock(adjustment.store_id),
                "stock adjustment",
                adjustment.id.get(),
            )
            .await;
    }
    Ok(Adjusted { adjustment, replayed })
}

/// Making one validated adjustment, under [`write_once`].
struct Adjusting<'a> {
    adjustments: &'a dyn StockAdjustmentRepository,
    principal: &'a Principal,
    adjustment: &'a ValidatedAdjustment,
}

#[async_trait]
impl KeyedWrite for Adjusting<'_> {
    type Transaction = dyn StockAdjustmentTransaction;
    type Written = StockAdjustment;

    async fn begin(&self) -> Result<Box<dyn StockAdjustmentTransaction>> {
        self.adjustments.begin().await
    }

    fn fingerprint(&self) -> String {
        self.adjustment.fingerprint()
    }

    /// The adjustments' rule: lock the row, apply the delta or refuse it, store, commit.
    async fn write(
        &self,
        tx: &mut Self::Transaction,
        key: Option<&IdempotencyKey>,
    ) -> Result<StockAdjustment> {
        let adjustment = self.adjustment;
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
                actor: &self.principal.name,
                idempotency_key: key,
            })
            .await?;
        Ok(StockAdjustment {
            id,
            store_id,
            product_id,
            delta: adjustment.delta,
            reason: adjustment.reason,
            note: adjustment.note.clone(),
            quantity_before: before,
            quantity_after: after,
            actor: self.principal.name.as_str().to_owned(),
            created_at,
        })
    }

    async fn replay(&self, id: AdjustmentId) -> Result<StockAdjustment> {
        self.adjustments
            .get_adjustment(id)
            .await?
            .ok_or_else(|| Error::internal(format!("idempotency key points at missing adjustment {id}")))
    }
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
