//! A store's orders (`GET /console/stores/{id}/orders/`), one order (`GET /console/orders/{id}/`)
//! and its cancellation (`POST /console/orders/{id}/cancel`: the API's use-case — the order's
//! lock, then its stock rows' in product order, every line given back once, the cache bumped
//! before the answer, an idempotency key per rendered form).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::auth::{authorize, Action};
use aforro_core::backoffice;
use aforro_core::cache::WritePorts;
use aforro_core::orders::{self, CancelOrder, Order, OrderStatus};
use aforro_core::Error;
use askama::Template;
use serde::Deserialize;

use super::form::{page_request, when, FieldErrors, Pager};
use super::page::{render, ConsoleError, Layout};
use super::session::Signed;
use crate::state::AppState;

const PAGE_SIZE: u32 = 50;

/// The page asked for, and what just happened (after a redirect).
#[derive(Debug, Default, Deserialize)]
pub struct OrdersQuery {
    #[serde(default)]
    page: String,
    #[serde(default)]
    done: String,
}

struct OrderRow {
    id: i64,
    status: &'static str,
    at: String,
    lines: u32,
    units: u64,
}

#[derive(Template)]
#[template(path = "console/orders.html")]
struct OrdersPage {
    layout: Layout,
    store_id: i64,
    rows: Vec<OrderRow>,
    total: u64,
    pager: Pager,
}

/// A store's orders, newest first.
pub async fn store_orders(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<String>,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let store_id = path.parse::<i64>().unwrap_or(0);
    let page = page_request(&query.page, PAGE_SIZE).map_err(|error| signed.failed(error))?;
    let listed = backoffice::store_orders(
        state.orders.as_ref(),
        state.stores.as_ref(),
        &signed.session.principal,
        store_id,
        page,
    )
    .await
    .map_err(|error| signed.failed(error))?;
    let pager = Pager::new(&listed, |number| {
        format!("/console/stores/{store_id}/orders/?page={number}")
    });
    let rows = listed
        .items
        .iter()
        .map(|order| OrderRow {
            id: order.id.get(),
            status: order.status.as_str(),
            at: when(order.created_at),
            lines: order.total_items,
            units: order.total_quantity,
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &OrdersPage {
            layout: signed.layout,
            store_id,
            rows,
            total: listed.total,
            pager,
        },
    ))
}

struct LineRow {
    product_id: i64,
    title: String,
    requested: u32,
    available: u32,
}

#[derive(Template)]
#[template(path = "console/order.html")]
struct OrderPage {
    layout: Layout,
    csrf: String,
    id: i64,
    store_id: i64,
    status: &'static str,
    at: String,
    lines: Vec<LineRow>,
    cancelled: Option<(String, String, String)>,
    can_cancel: bool,
    key: String,
    note: String,
    errors: FieldErrors,
    notice: Option<String>,
}

impl OrderPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

/// One order, with a cancel form while it is `CONFIRMED` and the token may cancel it.
pub async fn order_page(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<String>,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let raw_id = path.parse::<i64>().unwrap_or(0);
    let order = backoffice::view_order(state.orders.as_ref(), &signed.session.principal, raw_id)
        .await
        .map_err(|error| signed.failed(error))?;
    let notice = (query.done == "cancelled")
        .then(|| "The order is cancelled; its units are back in stock.".to_owned());
    let page = order_view(&signed, order, notice, String::new(), FieldErrors::default());
    Ok(render(StatusCode::OK, &page))
}

/// The cancel form.
#[derive(Debug, Deserialize)]
pub struct CancelForm {
    idempotency_key: Option<String>,
    note: Option<String>,
}

/// Cancels the order: `303` back to it. A refusal is the order's page again, with the reason
/// (`409` for a `REJECTED` order, `422` for a bad note).
pub async fn cancel(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: Signed,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ConsoleError> {
    let raw_id = path.parse::<i64>().unwrap_or(0);
    let principal = &signed.session.principal;
    // Scope first, as the API does: a store token learns nothing of other stores' orders.
    let order_id = orders::authorize_cancel(state.orders.as_ref(), principal, raw_id)
        .await
        .map_err(|error| signed.failed(error))?;
    let form: CancelForm = signed.submitted(&req, payload).await?;
    let typed_note = form.note.unwrap_or_default();
    let request = CancelOrder {
        note: Some(typed_note.trim().to_owned()).filter(|note| !note.is_empty()),
        unknown: Vec::new(),
    };
    let ports = WritePorts {
        repository: state.orders.as_ref(),
        cache: state.cache.as_ref(),
        outbox: state.outbox.as_ref(),
    };
    let key = form.idempotency_key.filter(|key| !key.is_empty());
    let (status, errors) =
        match orders::cancel_order(ports, principal, order_id, &request, key.as_deref()).await {
            Ok(cancelled) => {
                if cancelled.changed {
                    state.metrics.orders.with_label_values(&["cancelled"]).inc();
                }
                tracing::info!(
                    order_id = order_id.get(),
                    store_id = cancelled.order.store_id.get(),
                    actor = %principal.name,
                    changed = cancelled.changed,
                    replayed = cancelled.replayed,
                    "order cancelled from the console"
                );
                return Ok(HttpResponse::SeeOther()
                    .insert_header((
                        header::LOCATION,
                        format!("/console/orders/{}/?done=cancelled", order_id.get()),
                    ))
                    .finish());
            }
            Err(Error::Invalid(fields)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                FieldErrors::from_fields(&fields),
            ),
            Err(Error::Conflict(message)) => (StatusCode::CONFLICT, FieldErrors::general(&message)),
            Err(other) => return Err(signed.failed(other)),
        };
    let order = backoffice::view_order(state.orders.as_ref(), principal, raw_id)
        .await
        .map_err(|error| signed.failed(error))?;
    let page = order_view(&signed, order, None, typed_note, errors);
    Ok(render(status, &page))
}

fn order_view(
    signed: &Signed,
    order: Order,
    notice: Option<String>,
    note: String,
    errors: FieldErrors,
) -> OrderPage {
    let can_cancel = order.status == OrderStatus::Confirmed
        && authorize(
            &signed.session.principal,
            Action::CancelOrder(Some(order.store_id)),
        )
        .is_ok();
    let key: [u8; 16] = rand::random();
    OrderPage {
        layout: signed.layout.clone(),
        csrf: signed.session.csrf.clone(),
        id: order.id.get(),
        store_id: order.store_id.get(),
        status: order.status.as_str(),
        at: when(order.created_at),
        lines: order
            .lines
            .iter()
            .map(|line| LineRow {
                product_id: line.product_id.get(),
                title: line.product_title.clone(),
                requested: line.quantity_requested.get(),
                available: line.quantity_available,
            })
            .collect(),
        cancelled: order
            .cancellation
            .map(|c| (when(c.cancelled_at), c.cancelled_by, c.note.unwrap_or_default())),
        can_cancel,
        key: format!(
            "console-{}",
            key.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
        note,
        errors,
        notice,
    }
}
