//! Embedding `aforro-core` in another Rust service: a tiny kiosk that keeps its stock in
//! memory, implements the order ports itself, and places orders through
//! [`aforro_core::orders::place_order`] — the same use-case the HTTP server runs on Postgres —
//! and takes one back with [`aforro_core::orders::cancel_order`].
//!
//! Run it with `cargo run -p aforro-core --example embed`.
//!
//! The ports are the contract: implement [`OrderRepository`], [`OrderTransaction`] and
//! [`KeyedTransaction`] and the core validates requests, decides confirm/reject, and drives the
//! transaction (claim the idempotency key, lock stock, deduct only when everything fits, store
//! the order, commit or roll back). The kiosk shares no response cache and runs no worker, so
//! its [`OrderWriter`] names [`NoCache`] and [`NoOutbox`].

use std::collections::HashMap;
use std::sync::Arc;

use aforro_core::auth::{Principal, TokenName, TokenScope};
use aforro_core::cache::{NoCache, WritePorts};
use aforro_core::idempotency::{IdempotencyKey, KeyClaim, KeyedTransaction};
use aforro_core::orders::{
    cancel_order, place_order, CancelOrder, Cancellation, CancellationTransaction, NewCancellation, NewOrder,
    Order, OrderLine, OrderRepository, OrderStatus, OrderSummary, OrderTransaction, OrderWriter, PlaceOrder,
    StockLine,
};
use aforro_core::outbox::NoOutbox;
use aforro_core::{Error, OrderId, Page, PageRequest, ProductId, Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Everything the kiosk knows.
#[derive(Clone, Default)]
struct State {
    titles: HashMap<ProductId, String>,
    stock: HashMap<(StoreId, ProductId), u32>,
    orders: Vec<Order>,
    /// Idempotency keys of orders and of cancellations: one key space each.
    keys: HashMap<(KeySpace, String), (String, OrderId)>,
}

/// Which write an idempotency key names.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum KeySpace {
    Orders,
    Cancellations,
}

/// The kiosk's storage: one lock around the state. A transaction holds the lock, works on a
/// copy, and writes the copy back on commit — simple and serialisable, fine for one process.
#[derive(Clone, Default)]
struct Kiosk {
    state: Arc<Mutex<State>>,
}

struct KioskTransaction {
    guard: OwnedMutexGuard<State>,
    draft: State,
    keys: KeySpace,
    /// The fingerprint of the request whose key this transaction claimed.
    claimed_fingerprint: String,
}

impl Kiosk {
    async fn transaction(&self, keys: KeySpace) -> KioskTransaction {
        let guard = self.state.clone().lock_owned().await;
        let draft = guard.clone();
        KioskTransaction {
            guard,
            draft,
            keys,
            claimed_fingerprint: String::new(),
        }
    }
}

#[async_trait]
impl OrderRepository for Kiosk {
    async fn begin(&self) -> Result<Box<dyn OrderTransaction>> {
        Ok(Box::new(self.transaction(KeySpace::Orders).await))
    }

    async fn begin_cancellation(&self) -> Result<Box<dyn CancellationTransaction>> {
        Ok(Box::new(self.transaction(KeySpace::Cancellations).await))
    }

    async fn order_store(&self, id: OrderId) -> Result<Option<StoreId>> {
        Ok(self.get_order(id).await?.map(|o| o.store_id))
    }

    async fn get_order(&self, id: OrderId) -> Result<Option<Order>> {
        Ok(self
            .state
            .lock()
            .await
            .orders
            .iter()
            .find(|o| o.id == id)
            .cloned())
    }

    async fn list_store_orders(&self, store_id: StoreId, page: PageRequest) -> Result<Page<OrderSummary>> {
        let state = self.state.lock().await;
        let mine: Vec<&Order> = state
            .orders
            .iter()
            .rev()
            .filter(|o| o.store_id == store_id)
            .collect();
        let items = mine
            .iter()
            .skip(page.offset() as usize)
            .take(page.limit() as usize)
            .map(|o| OrderSummary {
                id: o.id,
                status: o.status,
                created_at: o.created_at,
                total_items: o.total_items(),
                total_quantity: o.total_quantity(),
            })
            .collect();
        Ok(Page {
            items,
            total: mine.len() as u64,
            request: page,
        })
    }
}

#[async_trait]
impl KeyedTransaction for KioskTransaction {
    type Id = OrderId;

    async fn claim_idempotency_key(
        &mut self,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<KeyClaim<OrderId>> {
        Ok(match self.draft.keys.get(&(self.keys, key.as_str().to_owned())) {
            Some((existing, order_id)) => KeyClaim::Existing {
                fingerprint: existing.clone(),
                id: *order_id,
            },
            None => {
                self.claimed_fingerprint = fingerprint.to_owned();
                KeyClaim::Claimed
            }
        })
    }

    async fn rollback(&mut self) -> Result<()> {
        Ok(())
    }
}

#[async_trait]
impl OrderTransaction for KioskTransaction {
    async fn lock_stock(
        &mut self,
        store_id: StoreId,
        product_ids: &[ProductId],
    ) -> Result<Option<Vec<StockLine>>> {
        if !self.draft.stock.keys().any(|(store, _)| *store == store_id) {
            return Ok(None);
        }
        // The whole state is already locked by this transaction.
        Ok(Some(
            product_ids
                .iter()
                .filter_map(|id| {
                    self.draft.titles.get(id).map(|title| StockLine {
                        product_id: *id,
                        title: title.clone(),
                        available: self.draft.stock.get(&(store_id, *id)).copied().unwrap_or(0),
                    })
                })
                .collect(),
        ))
    }

    async fn commit_order<'a>(&mut self, order: NewOrder<'a>) -> Result<(OrderId, DateTime<Utc>)> {
        if order.status == OrderStatus::Confirmed {
            for line in order.lines {
                let units = self
                    .draft
                    .stock
                    .get_mut(&(order.store_id, line.product_id))
                    .ok_or_else(|| Error::internal("deducting stock that was not locked"))?;
                *units = units
                    .checked_sub(line.quantity_requested.get())
                    .ok_or_else(|| Error::internal("stock would go negative"))?;
            }
        }
        let id =
            OrderId::new(self.draft.orders.len() as i64 + 1).ok_or_else(|| Error::internal("id overflow"))?;
        let created_at = Utc::now();
        self.draft.orders.push(Order {
            id,
            store_id: order.store_id,
            status: order.status,
            created_at,
            cancellation: None,
            lines: order.lines.to_vec(),
        });
        if let Some(key) = order.idempotency_key {
            self.remember(key, id);
        }
        if order.send_confirmation {
            println!("(kiosk) would e-mail a confirmation of order {id}");
        }
        *self.guard = std::mem::take(&mut self.draft);
        Ok((id, created_at))
    }
}

impl KioskTransaction {
    fn remember(&mut self, key: &IdempotencyKey, id: OrderId) {
        self.draft.keys.insert(
            (self.keys, key.as_str().to_owned()),
            (self.claimed_fingerprint.clone(), id),
        );
    }
}

#[async_trait]
impl CancellationTransaction for KioskTransaction {
    async fn lock_order(&mut self, id: OrderId) -> Result<Option<Order>> {
        // The whole state is already locked by this transaction.
        Ok(self.draft.orders.iter().find(|o| o.id == id).cloned())
    }

    async fn lock_stock_rows(&mut self, _: StoreId, _: &[ProductId]) -> Result<()> {
        Ok(())
    }

    async fn commit_cancellation<'a>(&mut self, new: NewCancellation<'a>) -> Result<DateTime<Utc>> {
        for (product_id, units) in new.lines {
            *self.draft.stock.entry((new.store_id, *product_id)).or_default() += units;
        }
        let cancelled_at = Utc::now();
        let order = self
            .draft
            .orders
            .iter_mut()
            .find(|o| o.id == new.order_id)
            .ok_or_else(|| Error::internal("cancelling an order that was not locked"))?;
        order.status = OrderStatus::Cancelled;
        order.cancellation = Some(Cancellation {
            cancelled_at,
            cancelled_by: new.actor.to_owned(),
            note: new.note.map(str::to_owned),
        });
        if let Some(key) = new.idempotency_key {
            self.remember(key, new.order_id);
        }
        *self.guard = std::mem::take(&mut self.draft);
        Ok(cancelled_at)
    }

    async fn commit_unchanged<'a>(&mut self, id: OrderId, key: Option<&'a IdempotencyKey>) -> Result<()> {
        if let Some(key) = key {
            self.remember(key, id);
        }
        *self.guard = std::mem::take(&mut self.draft);
        Ok(())
    }
}

fn describe(lines: &[OrderLine]) -> String {
    lines
        .iter()
        .map(|l| {
            format!(
                "{} × {} (had {})",
                l.quantity_requested.get(),
                l.product_title,
                l.quantity_available
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::main]
async fn main() -> Result<()> {
    let kiosk = Kiosk::default();
    {
        let mut state = kiosk.state.lock().await;
        let store = StoreId::new(1).ok_or_else(|| Error::internal("store id"))?;
        for (id, title, units) in [(1, "Green Tea", 5), (2, "Oolong", 1)] {
            let product = ProductId::new(id).ok_or_else(|| Error::internal("product id"))?;
            state.titles.insert(product, title.to_owned());
            state.stock.insert((store, product), units);
        }
    }
    let order = |items: &[(i64, i64)]| PlaceOrder::of(1, items);
    let kiosk_ports: OrderWriter = WritePorts {
        repository: &kiosk,
        cache: &NoCache,
        outbox: &NoOutbox,
    };

    let first = place_order(kiosk_ports, &order(&[(1, 2), (2, 1)]), None).await?;
    println!(
        "order {}: {} — {}",
        first.order.id,
        first.order.status.as_str(),
        describe(&first.order.lines)
    );

    // Oolong is sold out now: the whole order is rejected and nothing is deducted.
    let second = place_order(kiosk_ports, &order(&[(1, 1), (2, 1)]), None).await?;
    println!(
        "order {}: {} — {}",
        second.order.id,
        second.order.status.as_str(),
        describe(&second.order.lines)
    );

    // Validation is the core's too.
    // A retried request with the same Idempotency-Key replays the first order.
    let retried = place_order(kiosk_ports, &order(&[(1, 1)]), Some("till-7-receipt-1")).await?;
    let replayed = place_order(kiosk_ports, &order(&[(1, 1)]), Some("till-7-receipt-1")).await?;
    println!(
        "order {} placed once, replayed: {} (same id: {})",
        retried.order.id,
        replayed.replayed,
        replayed.order.id == retried.order.id
    );

    match place_order(kiosk_ports, &order(&[(1, 0)]), None).await {
        Err(Error::Invalid(fields)) => println!("refused: {}", fields[0]),
        other => println!("unexpected: {other:?}"),
    }
    // Staff take the first order back: its units return to the stock, once.
    let staff = Principal {
        name: TokenName::parse("kiosk-manager")?,
        scope: TokenScope::Catalogue,
    };
    let back = CancelOrder::default();
    let cancelled = cancel_order(kiosk_ports, &staff, first.order.id, &back, None).await?;
    let again = cancel_order(kiosk_ports, &staff, first.order.id, &back, None).await?;
    println!(
        "order {}: {} by {}, stock given back once: {}",
        cancelled.order.id,
        cancelled.order.status.as_str(),
        staff.name,
        cancelled.changed && !again.changed
    );
    let left = kiosk.state.lock().await.stock.values().sum::<u32>();
    println!("units left in the kiosk: {left}");
    Ok(())
}
