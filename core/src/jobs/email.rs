//! The order emails: the confirmation of a confirmed order and the cancellation of a cancelled
//! one.

use std::fmt::Write;

use crate::orders::{Order, OrderStatus};

/// Who order emails come from and go to (the contract has no customer address yet).
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

/// The confirmation of an order that was confirmed: subject, and a body listing every line and
/// the totals. `None` for an order that never was (nothing to confirm).
///
/// An order cancelled since is still confirmed by this message — it was confirmed when placed,
/// and its cancellation email refers to it — but the body says it has since been cancelled: the
/// two jobs are independent, so this message may reach the customer after the cancellation
/// (a retried confirmation), and must not read as if the order still stood.
pub fn render_order_confirmation(order: &Order, settings: &MailSettings) -> Option<EmailMessage> {
    let mut body = match order.status {
        OrderStatus::Confirmed => format!(
            "Your order {} at store {} is confirmed.\n\n",
            order.id, order.store_id
        ),
        OrderStatus::Cancelled => format!(
            "Your order {} at store {} was confirmed. It has since been cancelled: a separate \
             message says so.\n\n",
            order.id, order.store_id
        ),
        OrderStatus::Pending | OrderStatus::Rejected => return None,
    };
    write_lines(&mut body, order);
    // Writing to a String cannot fail.
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

/// The cancellation of a cancelled order: subject, and a body listing every line with the units
/// given back, who cancelled it and when, and the staff's note if any. `None` for an order that
/// is not cancelled (nothing to announce).
pub fn render_order_cancellation(order: &Order, settings: &MailSettings) -> Option<EmailMessage> {
    let cancellation = match (order.status, &order.cancellation) {
        (OrderStatus::Cancelled, Some(cancellation)) => cancellation,
        _ => return None,
    };
    let mut body = format!(
        "Your order {} at store {} was cancelled by {} on {}.\n\n",
        order.id,
        order.store_id,
        cancellation.cancelled_by,
        cancellation.cancelled_at.format("%Y-%m-%d %H:%M UTC"),
    );
    write_lines(&mut body, order);
    let _ = write!(
        body,
        "\n{} line(s), {} unit(s) given back to the store's stock.\n",
        order.total_items(),
        order.total_quantity(),
    );
    if let Some(note) = &cancellation.note {
        let _ = writeln!(body, "Note: {note}");
    }
    let _ = writeln!(body, "Placed {}.", order.created_at.format("%Y-%m-%d %H:%M UTC"));
    Some(EmailMessage {
        from: settings.from.clone(),
        to: settings.to.clone(),
        subject: format!(
            "Order {} cancelled: {} item(s) given back",
            order.id,
            order.total_quantity()
        ),
        body,
    })
}

/// One line per order line, titles aligned: units, title, product id.
fn write_lines(body: &mut String, order: &Order) {
    let width = order
        .lines
        .iter()
        .map(|l| l.product_title.chars().count())
        .max()
        .unwrap_or(0);
    for line in &order.lines {
        let _ = writeln!(
            body,
            "  {:>5} × {:<width$}  (product {})",
            line.quantity_requested.get(),
            line.product_title,
            line.product_id,
        );
    }
}
