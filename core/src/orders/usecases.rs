//! Order use-cases.

use super::decision::decide;
use super::model::{IdempotencyKey, Order, OrderStatus, OrderSummary, PlaceOrder, ValidatedOrder};
use super::ports::{KeyClaim, NewOrder, OrderRepository, OrderTransaction};
use crate::stores::{require_store, StoreRepository};
use crate::{Entity, Error, OrderId, Page, PageRequest, Result};

/// The result of [`place_order`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The order, confirmed or rejected.
    pub order: Order,
    /// `true` when the Idempotency-Key named an order placed earlier: nothing new happened.
    pub replayed: bool,
}

/// Places an order: validates it, then in one transaction locks the store's stock rows of the
/// ordered products (ascending product id), and either deducts every line and stores the order
/// `CONFIRMED`, or deducts nothing and stores it `REJECTED`.
///
/// Errors: [`Error::Invalid`] for a malformed request, an unknown product, or an idempotency key
/// reused with a different request (no order is stored); [`Error::NotFound`] for an unknown
/// store; dependency errors as the repository reports them (the transaction is rolled back).
pub async fn place_order(
    repo: &dyn OrderRepository,
    request: &PlaceOrder,
    idempotency_key: Option<&str>,
) -> Result<Placed> {
    let (order, key) = match (
        ValidatedOrder::parse(request),
        idempotency_key.map(IdempotencyKey::parse).transpose(),
    ) {
        (Ok(order), Ok(key)) => (order, key),
        (order, key) => {
            let mut errors = Vec::new();
            for result in [order.err(), key.err()].into_iter().flatten() {
                match result {
                    Error::Invalid(fields) => errors.extend(fields),
                    other => return Err(other),
                }
            }
            return Err(Error::Invalid(errors));
        }
    };

    let mut tx = repo.begin().await?;
    match decide_and_store(tx.as_mut(), &order, key.as_ref()).await {
        Ok(Outcome::Committed(order)) => Ok(Placed {
            order,
            replayed: false,
        }),
        Ok(Outcome::Replay(order_id)) => {
            tx.rollback().await?;
            // Give the connection back before taking another: holding both under load would
            // let replays exhaust the pool waiting on each other.
            drop(tx);
            let order = repo.get_order(order_id).await?.ok_or_else(|| {
                Error::internal(format!("idempotency key points at missing order {order_id}"))
            })?;
            Ok(Placed {
                order,
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
    Committed(Order),
    Replay(OrderId),
}

async fn decide_and_store(
    tx: &mut dyn OrderTransaction,
    order: &ValidatedOrder,
    key: Option<&IdempotencyKey>,
) -> Result<Outcome> {
    if let Some(key) = key {
        match tx.claim_idempotency_key(key, &order.fingerprint()).await? {
            KeyClaim::Claimed => {}
            KeyClaim::Existing {
                fingerprint,
                order_id,
            } if fingerprint == order.fingerprint() => {
                return Ok(Outcome::Replay(order_id));
            }
            KeyClaim::Existing { .. } => {
                return Err(Error::invalid(
                    IdempotencyKey::FIELD,
                    "was already used with a different request body",
                ));
            }
        }
    }
    let store_id = order.store_id();
    let stock = tx
        .lock_stock(store_id, &order.product_ids_in_lock_order())
        .await?
        .ok_or(Error::NotFound {
            entity: Entity::Store,
            id: store_id.get(),
        })?;
    let decision = decide(order, &stock)?;
    let (id, created_at) = tx
        .commit_order(NewOrder {
            store_id,
            status: decision.status,
            lines: &decision.lines,
            send_confirmation: decision.status == OrderStatus::Confirmed,
            idempotency_key: key,
        })
        .await?;
    Ok(Outcome::Committed(Order {
        id,
        store_id,
        status: decision.status,
        created_at,
        lines: decision.lines,
    }))
}

/// The order with this id. Errors: [`Error::NotFound`] (also for ids that cannot exist, ≤ 0).
pub async fn get_order(repo: &dyn OrderRepository, raw_id: i64) -> Result<Order> {
    let not_found = || Error::NotFound {
        entity: Entity::Order,
        id: raw_id,
    };
    let id = OrderId::new(raw_id).ok_or_else(not_found)?;
    repo.get_order(id).await?.ok_or_else(not_found)
}

/// A page of a store's orders, newest first. Errors: [`Error::NotFound`] for an unknown store.
pub async fn list_store_orders(
    stores: &dyn StoreRepository,
    orders: &dyn OrderRepository,
    raw_store_id: i64,
    page: PageRequest,
) -> Result<Page<OrderSummary>> {
    let store_id = require_store(stores, raw_store_id).await?;
    orders.list_store_orders(store_id, page).await
}
