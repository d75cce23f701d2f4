//! The staff's back office reads: how every store stands, and a store's stock browsed by title
//! and level. The console (a shell of its own) renders them; the public API has no need of them.
//!
//! What a staff member sees follows the token's scope, decided by [`crate::auth::authorize`]: a
//! store token sees its own stores only, a catalogue token every store.

mod model;
mod usecases;

pub use model::{
    InventoryBrowse, InventorySort, OrderCounts, Overview, StockLevel, StoreStock, DEFAULT_LOW_STOCK_BELOW,
};
#[cfg(any(test, feature = "mock"))]
pub use usecases::MockBackofficeRepository;
pub use usecases::{
    browse_inventory, category_choices, list_stores, overview, store_orders, view_order, visible_stores,
    BackofficeRepository, MAX_CATEGORY_CHOICES,
};

#[cfg(test)]
mod tests;
