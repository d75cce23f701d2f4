//! Orders: placing one atomically against a store's stock (and invalidating what it changed:
//! [`place_order`] through an [`OrderWriter`]), reading one back, listing a store's.

mod decision;
mod model;
mod ports;
mod usecases;

pub use decision::{decide, Decision, StockLine};
pub use model::{
    Order, OrderLine, OrderStatus, OrderSummary, PlaceOrder, Quantity, RequestedItem, ValidatedLine,
    ValidatedOrder, MAX_ITEMS, MAX_QUANTITY,
};
#[cfg(any(test, feature = "mock"))]
pub use ports::{MockOrderRepository, MockOrderTransaction};
pub use ports::{NewOrder, OrderRepository, OrderTransaction};
pub use usecases::{get_order, list_store_orders, place_order, OrderWriter, Placed};

#[cfg(test)]
mod tests;
