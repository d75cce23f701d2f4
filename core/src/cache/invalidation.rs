//! Invalidation after orders and stock adjustments, and its durable fallback through the outbox.
//!
//! The server bumps an order's versions after the order committed and before it answers, so
//! the client's next read cannot be served from before its order; a stock adjustment does the
//! same. When that bump fails (the cache unreachable from this process) the change still
//! stands, and two things make up for the bump: the cache adapter keeps bypassing its own
//! entries and retries it (see the Redis adapter), and a [`Job::CacheInvalidation`] is written
//! to the outbox so that a worker bumps the versions for every other process — also when this
//! process dies before it reaches the cache again, or stays cut off from a cache the others
//! still use.

use super::ports::{Cache, Scope};
use crate::auth::Principal;
use crate::inventory::{adjust_stock, AdjustStock, Adjusted, StockAdjustmentRepository};
use crate::jobs::{Job, Outbox};
use crate::orders::{place_order, OrderRepository, OrderStatus, PlaceOrder, Placed};
use crate::{Error, Result, StoreId};

/// What a change to a store's stock (a confirmed order, an adjustment) makes stale: the
/// store's own reads, and whether a product is in stock anywhere.
fn stock_scopes(store_id: StoreId) -> [Scope; 2] {
    [Scope::Store(store_id), Scope::Stock]
}

/// Invalidates what a placed order changed. Call it after the order's transaction committed
/// and before answering the client: a confirmed order changed its store's stock; a rejected
/// order or a replay changed nothing.
///
/// A failed bump is returned so the caller can log it; the cache adapter is expected to keep
/// bypassing its own entries until it has applied the bump (see the Redis adapter).
pub async fn invalidate_after_order(cache: &dyn Cache, placed: &Placed) -> Result<()> {
    if placed.replayed || placed.order.status != OrderStatus::Confirmed {
        return Ok(());
    }
    cache.bump(&stock_scopes(placed.order.store_id)).await
}

/// [`place_order`], then [`invalidate_after_order`] before returning: what a service with a
/// cache must do for every order, in one call so it cannot be forgotten. The order stands
/// even if the invalidation fails (it has committed): the failure is logged and handed to the
/// worker as a [`Job::CacheInvalidation`] in `outbox`.
pub async fn place_order_invalidating(
    orders: &dyn OrderRepository,
    cache: &dyn Cache,
    outbox: &dyn Outbox,
    request: &PlaceOrder,
    idempotency_key: Option<&str>,
) -> Result<Placed> {
    let placed = place_order(orders, request, idempotency_key).await?;
    if let Err(error) = invalidate_after_order(cache, &placed).await {
        let change = format!("order {}", placed.order.id);
        hand_over_to_worker(outbox, placed.order.store_id, &change, &error).await;
    }
    Ok(placed)
}

/// [`adjust_stock`], then the same invalidation as a confirmed order's before returning: an
/// adjustment changes its store's stock exactly as one does. A replay changed nothing and
/// bumps nothing (nor does a refused adjustment, which is an error). The adjustment stands
/// even if the bump fails: the failure is logged and handed to the worker as a
/// [`Job::CacheInvalidation`] in `outbox`, as for orders.
pub async fn adjust_stock_invalidating(
    adjustments: &dyn StockAdjustmentRepository,
    cache: &dyn Cache,
    outbox: &dyn Outbox,
    principal: &Principal,
    request: &AdjustStock,
    idempotency_key: Option<&str>,
) -> Result<Adjusted> {
    let adjusted = adjust_stock(adjustments, principal, request, idempotency_key).await?;
    if !adjusted.replayed {
        let store_id = adjusted.adjustment.store_id;
        if let Err(error) = cache.bump(&stock_scopes(store_id)).await {
            let change = format!("stock adjustment {}", adjusted.adjustment.id);
            hand_over_to_worker(outbox, store_id, &change, &error).await;
        }
    }
    Ok(adjusted)
}

/// After a committed `change` to a store's stock whose bump failed: hands the bump to the
/// worker through the outbox, and logs what happened. Never fails: the change stands.
async fn hand_over_to_worker(outbox: &dyn Outbox, store_id: StoreId, change: &str, error: &Error) {
    // A job already waiting for this store will bump after this change committed: the
    // outbox adds none then (see `Outbox::enqueue`).
    match outbox.enqueue(&Job::CacheInvalidation { store_id }).await {
        Ok(_) => tracing::warn!(
            change,
            store_id = store_id.get(),
            %error,
            "cache invalidation failed; handed to the worker through the outbox"
        ),
        // Only this process's own retry is left: other processes may serve entries from
        // before this change until it succeeds, the store's next change, or the entries' TTL.
        Err(outbox_error) => tracing::error!(
            change,
            store_id = store_id.get(),
            %error,
            %outbox_error,
            "cache invalidation failed and could not be handed to the worker"
        ),
    }
}

/// Runs a [`Job::CacheInvalidation`]: bumps the store's stock versions. A failed bump is
/// returned, so the job is retried.
pub async fn invalidate_store_stock(cache: &dyn Cache, store_id: StoreId) -> Result<()> {
    cache.bump(&stock_scopes(store_id)).await?;
    tracing::debug!(
        store_id = store_id.get(),
        "cache invalidated for a store whose server could not"
    );
    Ok(())
}
