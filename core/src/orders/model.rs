//! Order domain values, and the parsing of a raw order request into a [`ValidatedOrder`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::{Error, FieldError, OrderId, ProductId, Result, StoreId};

/// Most lines one order may have.
pub const MAX_ITEMS: usize = 100;
/// Most units one line may ask for.
pub const MAX_QUANTITY: u32 = 1_000_000;

/// Where an order stands. Orders are decided at once, so placing one only produces
/// `Confirmed` and `Rejected`; `Pending` exists for orders decided later (the schema allows it).
/// Staff may cancel a confirmed order, which gives its stock back: `Cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Not yet decided.
    Pending,
    /// Every line was available and its quantity was deducted.
    Confirmed,
    /// At least one line asked for more than was available; nothing was deducted.
    Rejected,
    /// Was confirmed, then cancelled by staff: every line's units went back to the stock.
    Cancelled,
}

impl OrderStatus {
    /// The wire and database spelling (`"CONFIRMED"`).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Confirmed => "CONFIRMED",
            OrderStatus::Rejected => "REJECTED",
            OrderStatus::Cancelled => "CANCELLED",
        }
    }

    /// Parses the wire and database spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PENDING" => Some(OrderStatus::Pending),
            "CONFIRMED" => Some(OrderStatus::Confirmed),
            "REJECTED" => Some(OrderStatus::Rejected),
            "CANCELLED" => Some(OrderStatus::Cancelled),
            _ => None,
        }
    }
}

/// A quantity of units asked for on one order line: `1..=1_000_000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(u32);

impl Quantity {
    /// Returns the quantity when it is within `1..=MAX_QUANTITY`.
    pub fn new(raw: i64) -> Option<Self> {
        u32::try_from(raw)
            .ok()
            .filter(|q| (1..=MAX_QUANTITY).contains(q))
            .map(Self)
    }

    /// The number of units.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// One line of a raw order request, as the client sent it (`None`: the field is missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestedItem {
    /// Raw product id.
    pub product_id: Option<i64>,
    /// Raw quantity.
    pub quantity_requested: Option<i64>,
}

/// A raw order request, as the client sent it (`None`: the field is missing), not yet
/// validated: [`ValidatedOrder::parse`] reports what is missing with every other rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlaceOrder {
    /// Raw store id.
    pub store_id: Option<i64>,
    /// Lines in the client's order.
    pub items: Option<Vec<RequestedItem>>,
    /// Paths of the fields the request has but does not define (each one is refused).
    pub unknown: Vec<String>,
}

impl PlaceOrder {
    /// A request for `store_id` with one line per `(product_id, quantity_requested)`, every
    /// field present and nothing unknown: how an embedder (or a test) that builds orders in
    /// code writes one.
    pub fn of(store_id: i64, lines: &[(i64, i64)]) -> Self {
        PlaceOrder {
            store_id: Some(store_id),
            items: Some(
                lines
                    .iter()
                    .map(|&(product_id, quantity_requested)| RequestedItem {
                        product_id: Some(product_id),
                        quantity_requested: Some(quantity_requested),
                    })
                    .collect(),
            ),
            unknown: Vec::new(),
        }
    }
}

/// One validated order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidatedLine {
    /// The product asked for.
    pub product_id: ProductId,
    /// How many units.
    pub quantity: Quantity,
}

/// An order request that passed every rule that needs no database: a positive store id,
/// 1 to 100 lines, positive product ids, quantities in range, no product twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedOrder {
    store_id: StoreId,
    lines: Vec<ValidatedLine>,
}

impl ValidatedOrder {
    /// Validates a raw request, reporting every offending field at once: each missing one
    /// (`is required`) with every other rule's.
    pub fn parse(request: &PlaceOrder) -> Result<Self> {
        let mut errors = Vec::new();
        let store_id = match request.store_id {
            None => required(&mut errors, "store_id".into()),
            Some(raw) => StoreId::new(raw).or_else(|| {
                errors.push(FieldError::new("store_id", "must be a positive integer"));
                None
            }),
        };
        let items = match &request.items {
            None => required(&mut errors, "items".into()).unwrap_or_default(),
            Some(items) => {
                if items.is_empty() {
                    errors.push(FieldError::new("items", "must contain at least one item"));
                } else if items.len() > MAX_ITEMS {
                    errors.push(FieldError::new(
                        "items",
                        format!("must contain at most {MAX_ITEMS} items"),
                    ));
                }
                items.as_slice()
            }
        };
        let mut first_index: HashMap<ProductId, usize> = HashMap::new();
        let mut lines = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let product_id = match item.product_id {
                None => required(&mut errors, format!("items[{i}].product_id")),
                Some(raw) => match ProductId::new(raw) {
                    None => {
                        errors.push(FieldError::new(
                            format!("items[{i}].product_id"),
                            "must be a positive integer",
                        ));
                        None
                    }
                    Some(product_id) => {
                        if let Some(&first) = first_index.get(&product_id) {
                            errors.push(FieldError::new(
                                format!("items[{i}].product_id"),
                                format!("repeats the product of items[{first}]"),
                            ));
                        } else {
                            first_index.insert(product_id, i);
                        }
                        Some(product_id)
                    }
                },
            };
            let quantity = match item.quantity_requested {
                None => required(&mut errors, format!("items[{i}].quantity_requested")),
                Some(raw) => Quantity::new(raw).or_else(|| {
                    let message = if raw < 1 {
                        "must be at least 1".to_string()
                    } else {
                        format!("must be at most {MAX_QUANTITY}")
                    };
                    errors.push(FieldError::new(format!("items[{i}].quantity_requested"), message));
                    None
                }),
            };
            if let (Some(product_id), Some(quantity)) = (product_id, quantity) {
                lines.push(ValidatedLine { product_id, quantity });
            }
        }
        errors.extend(FieldError::unknown(&request.unknown));
        match store_id {
            Some(store_id) if errors.is_empty() => Ok(Self { store_id, lines }),
            _ => Err(Error::Invalid(errors)),
        }
    }

    /// The store to order from.
    pub fn store_id(&self) -> StoreId {
        self.store_id
    }

    /// The lines, in the client's order.
    pub fn lines(&self) -> &[ValidatedLine] {
        &self.lines
    }

    /// The product ids in ascending order: the order in which stock rows are locked, so that
    /// two orders touching the same products always lock them in the same sequence and never
    /// deadlock.
    pub fn product_ids_in_lock_order(&self) -> Vec<ProductId> {
        let mut ids: Vec<_> = self.lines.iter().map(|l| l.product_id).collect();
        ids.sort_unstable();
        ids
    }

    /// A canonical text of the request, to tell an idempotent replay from a different request
    /// under the same key: same store, same lines in the same order.
    pub fn fingerprint(&self) -> String {
        let lines: Vec<String> = self
            .lines
            .iter()
            .map(|l| format!("{}x{}", l.product_id, l.quantity.get()))
            .collect();
        format!("store={};items={}", self.store_id, lines.join(","))
    }
}

/// Records that a field the request must have is missing; `None` stands for its value.
fn required<T>(errors: &mut Vec<FieldError>, field: String) -> Option<T> {
    errors.push(FieldError::new(field, "is required"));
    None
}

/// One line of a decided order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    /// The product.
    pub product_id: ProductId,
    /// Its title when the order was placed.
    pub product_title: String,
    /// Units asked for.
    pub quantity_requested: Quantity,
    /// Units in stock when the order was decided, before any deduction.
    pub quantity_available: u32,
}

/// A decided order with its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The order's id.
    pub id: OrderId,
    /// The store it was placed with.
    pub store_id: StoreId,
    /// Confirmed, rejected or cancelled.
    pub status: OrderStatus,
    /// When it was stored (taken under its stock rows' locks).
    pub created_at: DateTime<Utc>,
    /// The lines, in the client's order.
    pub lines: Vec<OrderLine>,
    /// Who cancelled it and when: `Some` exactly when the status is `Cancelled`.
    pub cancellation: Option<Cancellation>,
}

/// The cancellation of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    /// When its stock went back (taken under the stock rows' locks).
    pub cancelled_at: DateTime<Utc>,
    /// The name of the staff token that cancelled it.
    pub cancelled_by: String,
    /// The staff's note, if any.
    pub note: Option<String>,
}

impl Order {
    /// Number of lines.
    pub fn total_items(&self) -> u32 {
        self.lines.len() as u32
    }

    /// Sum of the units asked for.
    pub fn total_quantity(&self) -> u64 {
        self.lines
            .iter()
            .map(|l| u64::from(l.quantity_requested.get()))
            .sum()
    }
}

/// An order as it appears in a store's order list: totals instead of lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSummary {
    /// The order's id.
    pub id: OrderId,
    /// Confirmed or rejected.
    pub status: OrderStatus,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
    /// Number of lines.
    pub total_items: u32,
    /// Sum of the units asked for.
    pub total_quantity: u64,
}
