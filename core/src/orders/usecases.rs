//! Order use-cases.

use async_trait::async_trait;

use super::decision::decide;
use super::model::{Order, OrderStatus, OrderSummary, PlaceOrder, ValidatedOrder};
use super::ports::{NewOrder, OrderRepository, OrderTransaction};
use crate::cache::{Stale, WritePorts};
use crate::idempotency::{with_key, write_once, IdempotencyKey, KeyedWrite};
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

/// What placing an order needs: the orders' repository, the cache to invalidate after a
/// confirmed order, and the outbox for an invalidation this process could not apply.
pub type OrderWriter<'a> = WritePorts<'a, dyn OrderRepository>;

/// Places an order: validates it, then in one transaction locks the store's stock rows of the
/// ordered products (ascending product id), and either deducts every line and stores the order
/// `CONFIRMED`, or deducts nothing and stores it `REJECTED`. A confirmed order then
/// invalidates its store's cached stock before this returns, so that the client's next read
/// cannot be served from before it (a failed bump is handed to the worker:
/// [`WritePorts::bump_or_defer`]); a rejected order or a replay changed nothing.
///
/// Errors: [`Error::Invalid`] for a malformed request (every missing or bad field at once),
/// an unknown product, or an idempotency key reused with a different request (no order is
/// stored); [`Error::NotFound`] for an unknown store; dependency errors as the repository
/// reports them (the transaction is rolled back).
pub async fn place_order(
    ports: OrderWriter<'_>,
    request: &PlaceOrder,
    idempotency_key: Option<&str>,
) -> Result<Placed> {
    let (order, key) = with_key(ValidatedOrder::parse(request), idempotency_key)?;
    let placing = Placing {
        orders: ports.repository,
        order: &order,
    };
    let (order, replayed) = write_once(&placing, key.as_ref()).await?;
    if !replayed && order.status == OrderStatus::Confirmed {
        ports
            .bump_or_defer(Stale::Stock(order.store_id), Entity::Order, order.id.get())
            .await;
    }
    Ok(Placed { order, replayed })
}

/// Placing one validated order, under [`write_once`].
struct Placing<'a> {
    orders: &'a dyn OrderRepository,
    order: &'a ValidatedOrder,
}

#[async_trait]
impl KeyedWrite for Placing<'_> {
    type Transaction = dyn OrderTransaction;
    type Written = Order;

    async fn begin(&self) -> Result<Box<dyn OrderTransaction>> {
        self.orders.begin().await
    }

    fn fingerprint(&self) -> String {
        self.order.fingerprint()
    }

    /// The orders' rule: lock the stock rows in ascending product id, decide, store, commit.
    async fn write(&self, tx: &mut Self::Transaction, key: Option<&IdempotencyKey>) -> Result<Order> {
        let order = self.order;
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
        Ok(Order {
            id,
            store_id,
            status: decision.status,
            created_at,
            cancellation: None,
            lines: decision.lines,
        })
    }

    async fn replay(&self, order_id: OrderId) -> Result<Order> {
        self.orders
            .get_order(order_id)
            .await?
            .ok_or_else(|| Error::internal(format!("idempotency key points at missing order {order_id}")))
    }
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
