//! The stock rule, stated once: an order is confirmed only if every line fits the stock seen
//! under lock; otherwise it is rejected and nothing is deducted.

use std::collections::HashMap;

use super::model::{OrderLine, OrderStatus, ValidatedOrder};
use crate::{Error, FieldError, ProductId, Result};

/// A product of the order as read (and locked) in the store, with its units in stock.
/// A product that exists but has no inventory row in the store comes with `available: 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    /// The product.
    pub product_id: ProductId,
    /// Its title.
    pub title: String,
    /// Units in stock in the store (0 without an inventory row).
    pub available: u32,
}

/// The outcome of [`decide`]: a status and the lines to store, in the client's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// `Confirmed` when every line fits, else `Rejected`.
    pub status: OrderStatus,
    /// The order's lines with the stock seen at decision time.
    pub lines: Vec<OrderLine>,
}

/// Decides an order against the stock read under lock. Products missing from `stock` do not
/// exist: that is the client's mistake, reported as [`Error::Invalid`] naming each such line.
pub fn decide(order: &ValidatedOrder, stock: &[StockLine]) -> Result<Decision> {
    let by_id: HashMap<ProductId, &StockLine> = stock.iter().map(|s| (s.product_id, s)).collect();
    let mut unknown = Vec::new();
    let mut lines = Vec::with_capacity(order.lines().len());
    for (i, line) in order.lines().iter().enumerate() {
        match by_id.get(&line.product_id) {
            None => unknown.push(FieldError::new(
                format!("items[{i}].product_id"),
                format!("product {} does not exist", line.product_id),
            )),
            Some(found) => lines.push(OrderLine {
                product_id: line.product_id,
                product_title: found.title.clone(),
                quantity_requested: line.quantity,
                quantity_available: found.available,
            }),
        }
    }
    if !unknown.is_empty() {
        return Err(Error::Invalid(unknown));
    }
    let fits = lines
        .iter()
        .all(|l| l.quantity_requested.get() <= l.quantity_available);
    let status = if fits {
        OrderStatus::Confirmed
    } else {
        OrderStatus::Rejected
    };
    Ok(Decision { status, lines })
}
