//! Orders: placing one atomically against a store's stock (and invalidating what it changed:
//! [`place_order`] through an [`OrderWriter`]), reading one back, listing a store's, and
//! cancelling a confirmed one ([`cancel_order`]: its stock goes back).

mod cancellation;
mod decision;
mod model;
mod ports;
mod usecases;

pub use cancellation::{authorize_cancel, cancel_order, CancelOrder, Cancelled, NewCancellation};
pub use decision::{decide, Decision, StockLine};
pub use model::{
    Cancellation, Order, OrderLine, OrderStatus, OrderSummary, PlaceOrder, Quantity, RequestedItem,
    ValidatedLine, ValidatedOrder, MAX_ITEMS, MAX_QUANTITY,
};
pub use ports::{CancellationTransaction, NewOrder, OrderRepository, OrderTransaction};
#[cfg(any(test, feature = "mock"))]
pub use ports::{MockCancellationTransaction, MockOrderRepository, MockOrderTransaction};
pub use usecases::{get_order, list_store_orders, place_order, OrderWriter, Placed};

#[cfg(test)]
mod cancellation_tests;
#[cfg(test)]
mod tests;
