//! Orders: placing one atomically against a store's stock, reading one back, listing a store's.

mod decision;
mod model;
mod ports;
mod usecases;

pub use decision::{decide, Decision, StockLine};
pub use model::{
    IdempotencyKey, Order, OrderLine, OrderStatus, OrderSummary, PlaceOrder, Quantity, RequestedItem,
    ValidatedLine, ValidatedOrder, MAX_ITEMS, MAX_QUANTITY,
};
pub use ports::{KeyClaim, NewOrder, OrderRepository, OrderTransaction};
#[cfg(any(test, feature = "mock"))]
pub use ports::{MockOrderRepository, MockOrderTransaction};
pub use usecases::{get_order, list_store_orders, place_order, Placed};

#[cfg(test)]
mod tests;
