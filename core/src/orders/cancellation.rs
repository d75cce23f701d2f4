//! Cancelling a confirmed order: its stock goes back, under the same row locks as orders.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::model::{Cancellation, Order, OrderStatus};
use super::ports::{CancellationTransaction, OrderRepository};
use super::usecases::OrderWriter;
use crate::auth::{authorize, Action, Principal, TokenScope};
use crate::cache::Stale;
use crate::idempotency::{with_key, write_once, IdempotencyKey, KeyedWrite};
use crate::note::check_note;
use crate::{Entity, Error, FieldError, OrderId, ProductId, Result, StoreId};

/// A raw cancellation request, as the client sent it: an optional note.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CancelOrder {
    /// Free text, at most [`crate::note::MAX_NOTE_CHARS`] characters.
    pub note: Option<String>,
    /// Paths of the fields the request has but does not define (each one is refused).
    pub unknown: Vec<String>,
}

/// A cancellation to store, as decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCancellation<'a> {
    /// The order, `CONFIRMED` and locked.
    pub order_id: OrderId,
    /// Its store.
    pub store_id: StoreId,
    /// The units each of its lines gives back, in ascending product id (the rows are locked).
    pub lines: &'a [(ProductId, u32)],
    /// The name of the token cancelling it.
    pub actor: &'a str,
    /// The staff's note.
    pub note: Option<&'a str>,
    /// The key this transaction claimed, to be recorded as naming the order.
    pub idempotency_key: Option<&'a IdempotencyKey>,
}

/// The result of [`cancel_order`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    /// The order, `CANCELLED`.
    pub order: Order,
    /// `true` when this request gave its stock back; `false` when it was cancelled before
    /// (by another request, or this key's first one).
    pub changed: bool,
    /// `true` when the Idempotency-Key named a cancellation made earlier: nothing new happened.
    pub replayed: bool,
}

/// Decides whether `principal` may cancel order `raw_order_id`, before its request is read. A
/// catalogue token may cancel any order (an unknown one is a [`Error::NotFound`]); a store
/// token only the orders of its stores, and an order it may not see — another store's, or
/// none — is [`Error::Forbidden`] either way, so a store token learns nothing of other
/// stores' orders.
pub async fn authorize_cancel(
    orders: &dyn OrderRepository,
    principal: &Principal,
    raw_order_id: i64,
) -> Result<OrderId> {
    let order_id = OrderId::new(raw_order_id);
    if let TokenScope::Stores(_) = principal.scope {
        let store = match order_id {
            Some(order_id) => orders.order_store(order_id).await?,
            None => None,
        };
        authorize(principal, Action::CancelOrder(store))?;
    }
    order_id.ok_or(Error::NotFound {
        entity: Entity::Order,
        id: raw_order_id,
    })
}

/// Cancels a `CONFIRMED` order on behalf of `principal` (already [`authorize_cancel`]d): in one
/// transaction it locks the order, then its stock rows in ascending product id — the order
/// path's lock order, so it never deadlocks against orders or adjustments — gives every line's
/// units back (each a `cancellation` movement in the row's ledger), marks the order
/// `CANCELLED` with who and when, and writes the cancellation email's job to the outbox. The
/// store's cached stock is invalidated before this returns.
///
/// Cancelling a `CANCELLED` order changes nothing and returns it: however many cancels race,
/// the stock goes back once (the order's lock makes them queue, and each later one finds it
/// cancelled).
///
/// Errors: [`Error::Invalid`] for a bad note, an unknown field, a bad key or a key reused with
/// another request; [`Error::NotFound`] for an unknown order; [`Error::Conflict`] for an order
/// that was never confirmed (`REJECTED`: nothing was taken); dependency errors as the
/// repository reports them (the transaction is rolled back).
pub async fn cancel_order(
    ports: OrderWriter<'_>,
    principal: &Principal,
    order_id: OrderId,
    request: &CancelOrder,
    idempotency_key: Option<&str>,
) -> Result<Cancelled> {
    let (note, key) = with_key(validate(request), idempotency_key)?;
    let cancelling = Cancelling {
        orders: ports.repository,
        order_id,
        actor: principal.name.as_str(),
        note: note.as_deref(),
    };
    let (cancelled, replayed) = write_once(&cancelling, key.as_ref()).await?;
    if cancelled.changed {
        ports
            .bump_or_defer(
                Stale::Stock(cancelled.order.store_id),
                Entity::Order,
                order_id.get(),
            )
            .await;
    }
    Ok(Cancelled {
        replayed,
        ..cancelled
    })
}

/// The note, once it passes the rules (and the request has no unknown field).
fn validate(request: &CancelOrder) -> Result<Option<String>> {
    let mut errors = Vec::new();
    check_note("note", request.note.as_deref(), &mut errors);
    errors.extend(FieldError::unknown(&request.unknown));
    if errors.is_empty() {
        Ok(request.note.clone())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Cancelling one order, under [`write_once`].
struct Cancelling<'a> {
    orders: &'a dyn OrderRepository,
    order_id: OrderId,
    actor: &'a str,
    note: Option<&'a str>,
}

#[async_trait]
impl KeyedWrite for Cancelling<'_> {
    type Transaction = dyn CancellationTransaction;
    type Written = Cancelled;

    async fn begin(&self) -> Result<Box<dyn CancellationTransaction>> {
        self.orders.begin_cancellation().await
    }

    /// The order and the note: the same key cancelling another order, or with another note,
    /// is another request. The actor is not part of it: the key names the cancellation,
    /// whoever retries it.
    fn fingerprint(&self) -> String {
        format!(
            "cancel order={};note={}",
            self.order_id,
            crate::note::fingerprint(self.note)
        )
    }

    /// Lock the order, then (confirmed) its stock rows in ascending product id; give back;
    /// commit.
    async fn write(&self, tx: &mut Self::Transaction, key: Option<&IdempotencyKey>) -> Result<Cancelled> {
        let order = tx.lock_order(self.order_id).await?.ok_or(Error::NotFound {
            entity: Entity::Order,
            id: self.order_id.get(),
        })?;
        match order.status {
            OrderStatus::Confirmed => {}
            OrderStatus::Cancelled => {
                tx.commit_unchanged(self.order_id, key).await?;
                return Ok(Cancelled {
                    order,
                    changed: false,
                    replayed: false,
                });
            }
            OrderStatus::Rejected | OrderStatus::Pending => {
                return Err(Error::Conflict(format!(
                    "order {} is {}: only a CONFIRMED order can be cancelled (nothing was taken \
                     from the stock, so there is nothing to give back)",
                    self.order_id,
                    order.status.as_str()
                )));
            }
        }
        let mut lines: Vec<(ProductId, u32)> = order
            .lines
            .iter()
            .map(|line| (line.product_id, line.quantity_requested.get()))
            .collect();
        lines.sort_unstable_by_key(|(product_id, _)| *product_id);
        let products: Vec<ProductId> = lines.iter().map(|(product_id, _)| *product_id).collect();
        tx.lock_stock_rows(order.store_id, &products).await?;
        let cancelled_at = tx
            .commit_cancellation(NewCancellation {
                order_id: self.order_id,
                store_id: order.store_id,
                lines: &lines,
                actor: self.actor,
                note: self.note,
                idempotency_key: key,
            })
            .await?;
        Ok(Cancelled {
            order: cancelled(order, cancelled_at, self.actor, self.note),
            changed: true,
            replayed: false,
        })
    }

    async fn replay(&self, order_id: OrderId) -> Result<Cancelled> {
        let order =
            self.orders.get_order(order_id).await?.ok_or_else(|| {
                Error::internal(format!("idempotency key points at missing order {order_id}"))
            })?;
        Ok(Cancelled {
            order,
            changed: false,
            replayed: true,
        })
    }
}

/// The order as its cancellation left it.
fn cancelled(order: Order, at: DateTime<Utc>, actor: &str, note: Option<&str>) -> Order {
    Order {
        status: OrderStatus::Cancelled,
        cancellation: Some(Cancellation {
            cancelled_at: at,
            cancelled_by: actor.to_owned(),
            note: note.map(str::to_owned),
        }),
        ..order
    }
}
