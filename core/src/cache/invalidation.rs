//! Invalidation after orders, and its durable fallback through the outbox.
//!
//! The server bumps an order's versions after the order committed and before it answers, so
//! the client's next read cannot be served from before its order. When that bump fails (the
//! cache unreachable from this process) the order still stands, and two things make up for
//! the bump: the cache adapter keeps bypassing its own entries and retries it (see the Redis
//! adapter), and a [`Job::CacheInvalidation`] is written to the outbox so that a worker bumps
//! the versions for every other process — also when this process dies before it reaches the
//! cache again, or stays cut off from a cache the others still use.

use super::ports::{Cache, Scope};
use crate::jobs::{Job, Outbox};
use crate::orders::{place_order, Order, OrderRepository, OrderStatus, PlaceOrder, Placed};
use crate::{Entity, Error, OrderId, Result};

/// The scopes an order changed: a confirmed order changed its store's stock (and maybe whether
/// a product is in stock anywhere); a rejected (or pending) order changed nothing.
fn scopes_changed_by(order: &Order) -> Vec<Scope> {
    match order.status {
        OrderStatus::Confirmed => vec![Scope::Store(order.store_id), Scope::Stock],
        OrderStatus::Rejected | OrderStatus::Pending => Vec::new(),
    }
}

/// Invalidates what a placed order changed. Call it after the order's transaction committed
/// and before answering the client; a replayed order changed nothing.
///
/// A failed bump is returned so the caller can log it; the cache adapter is expected to keep
/// bypassing its own entries until it has applied the bump (see the Redis adapter).
pub async fn invalidate_after_order(cache: &dyn Cache, placed: &Placed) -> Result<()> {
    let scopes = scopes_changed_by(&placed.order);
    if placed.replayed || scopes.is_empty() {
        return Ok(());
    }
    cache.bump(&scopes).await
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
        let order_id = placed.order.id;
        match outbox.enqueue(&Job::CacheInvalidation { order_id }).await {
            Ok(_) => tracing::warn!(
                order_id = order_id.get(),
                %error,
                "cache invalidation failed; handed to the worker through the outbox"
            ),
            // Only this process's own retry is left: other processes may serve entries from
            // before this order until it succeeds, the store's next order, or the entries' TTL.
            Err(outbox_error) => tracing::error!(
                order_id = order_id.get(),
                %error,
                %outbox_error,
                "cache invalidation failed and could not be handed to the worker"
            ),
        }
    }
    Ok(placed)
}

/// Runs a [`Job::CacheInvalidation`]: bumps what the order changed. Errors: [`Error::NotFound`]
/// when the order does not exist; the cache's error when the bump fails (the job is retried).
pub async fn invalidate_committed_order(
    orders: &dyn OrderRepository,
    cache: &dyn Cache,
    order_id: OrderId,
) -> Result<()> {
    let order = orders.get_order(order_id).await?.ok_or(Error::NotFound {
        entity: Entity::Order,
        id: order_id.get(),
    })?;
    let scopes = scopes_changed_by(&order);
    if scopes.is_empty() {
        return Ok(());
    }
    cache.bump(&scopes).await?;
    tracing::info!(
        order_id = order_id.get(),
        store_id = order.store_id.get(),
        "cache invalidated for an order whose server could not"
    );
    Ok(())
}
