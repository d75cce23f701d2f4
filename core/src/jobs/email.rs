//! The order confirmation message.

use std::fmt::Write;

use crate::orders::{Order, OrderStatus};

/// Who confirmations come from and go to (the contract has no customer address yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// `From:`.
    pub from: String,
    /// `To:`.
    pub to: String,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessage {
    /// Sender.
    pub from: String,
    /// Recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// The confirmation of a confirmed order: subject, and a body listing every line and the
/// totals. `None` for an order that is not confirmed (nothing to confirm).
pub fn render_order_confirmation(order: &Order, settings: &MailSettings) -> Option<EmailMessage> {
    if order.status != OrderStatus::Confirmed {
        return None;
    }
    let mut body = format!(
        "Your order {} at store {} is confirmed.\n\n",
        order.id, order.store_id
    );
    let width = order
        .lines
        .iter()
        .map(|l| l.product_title.chars().count())
        .max()
        .unwrap_or(0);
    for line in &order.lines {
        // Writing to a String cannot fail.
        let _ = writeln!(
            body,
            "  {:>5} × {:<width$}  (product {})",
            line.quantity_requested.get(),
            line.product_title,
            line.product_id,
        );
    }
    let _ = write!(
        body,
        "\n{} line(s), {} unit(s) in total.\nPlaced {}.\n",
        order.total_items(),
        order.total_quantity(),
        order.created_at.format("%Y-%m-%d %H:%M UTC"),
    );
    Some(EmailMessage {
        from: settings.from.clone(),
        to: settings.to.clone(),
        subject: format!("Order {} confirmed: {} item(s)", order.id, order.total_quantity()),
        body,
    })
}
