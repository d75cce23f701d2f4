//! `POST /orders/`, `GET /orders/{id}/`, `GET /stores/{id}/orders/`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::cache::WritePorts;
use aforro_core::orders::{self, Order, OrderStatus, OrderSummary, PlaceOrder, RequestedItem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::pagination::{page_request, query_pairs, PageParams, Paginated};
use super::{timestamp, IdempotencyKeyHeader};
use crate::extract::{idempotency_key, path_id, JsonBody, Object, WireInt};
use crate::problem::ApiError;
use crate::state::AppState;

/// One requested line.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderItemBody {
    /// The product.
    #[schema(value_type = i64, minimum = 1, required = true)]
    product_id: Option<WireInt>,
    /// Units wanted, 1 to 1,000,000.
    #[schema(value_type = i64, minimum = 1, maximum = 1000000, required = true)]
    quantity_requested: Option<WireInt>,
}

/// An order request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PlaceOrderBody {
    /// The store to order from.
    #[schema(value_type = i64, minimum = 1, required = true)]
    store_id: Option<WireInt>,
    /// 1 to 100 lines, each product at most once.
    #[schema(value_type = Vec<OrderItemBody>, min_items = 1, max_items = 100, required = true)]
    items: Option<Vec<Object<OrderItemBody>>>,
}

impl PlaceOrderBody {
    /// The core's request: the fields as sent, and the unknown ones; the core says which are
    /// missing or wrong.
    fn into_request(self, unknown: Vec<String>) -> PlaceOrder {
        PlaceOrder {
            store_id: self.store_id.map(|id| id.0),
            items: self.items.map(|items| {
                items
                    .into_iter()
                    .map(|Object(item)| RequestedItem {
                        product_id: item.product_id.map(|id| id.0),
                        quantity_requested: item.quantity_requested.map(|q| q.0),
                    })
                    .collect()
            }),
            unknown,
        }
    }
}

/// One line of an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderItemDto {
    product_id: i64,
    product_title: String,
    quantity_requested: u32,
    /// Stock seen when the order was decided, before any deduction.
    quantity_available: u32,
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatusDto {
    /// Reserved: orders are decided when placed.
    Pending,
    /// Every line was deducted from the store's stock.
    Confirmed,
    /// A line asked for more than the store had; nothing was deducted.
    Rejected,
    /// Was confirmed, then cancelled by staff; every line's units went back to the stock.
    Cancelled,
}

impl From<OrderStatus> for OrderStatusDto {
    fn from(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Pending => OrderStatusDto::Pending,
            OrderStatus::Confirmed => OrderStatusDto::Confirmed,
            OrderStatus::Rejected => OrderStatusDto::Rejected,
            OrderStatus::Cancelled => OrderStatusDto::Cancelled,
        }
    }
}

/// An order with its lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDto {
    id: i64,
    store_id: i64,
    status: OrderStatusDto,
    #[schema(example = "2026-11-24T16:20:05.123Z")]
    created_at: String,
    /// Number of lines.
    total_items: u32,
    /// Sum of `quantity_requested`.
    total_quantity: u64,
    items: Vec<OrderItemDto>,
    /// When staff cancelled it (null unless `CANCELLED`).
    #[schema(example = json!(null))]
    cancelled_at: Option<String>,
    /// The name of the staff token that cancelled it (null unless `CANCELLED`).
    #[schema(example = json!(null))]
    cancelled_by: Option<String>,
    /// The note given with the cancellation, if any.
    #[schema(example = json!(null))]
    cancellation_note: Option<String>,
}

impl From<Order> for OrderDto {
    fn from(order: Order) -> Self {
        let cancellation = order.cancellation.clone();
        OrderDto {
            id: order.id.get(),
            store_id: order.store_id.get(),
            status: order.status.into(),
            cancelled_at: cancellation.as_ref().map(|c| timestamp(c.cancelled_at)),
            cancelled_by: cancellation.as_ref().map(|c| c.cancelled_by.clone()),
            cancellation_note: cancellation.and_then(|c| c.note),
            created_at: timestamp(order.created_at),
            total_items: order.total_items(),
            total_quantity: order.total_quantity(),
            items: order
                .lines
                .into_iter()
                .map(|l| OrderItemDto {
                    product_id: l.product_id.get(),
                    product_title: l.product_title,
                    quantity_requested: l.quantity_requested.get(),
                    quantity_available: l.quantity_available,
                })
                .collect(),
        }
    }
}

/// An order in a store's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderSummaryDto {
    id: i64,
    status: OrderStatusDto,
    #[schema(example = "2026-11-24T16:20:05.123Z")]
    created_at: String,
    total_items: u32,
    total_quantity: u64,
}

impl From<OrderSummary> for OrderSummaryDto {
    fn from(o: OrderSummary) -> Self {
        OrderSummaryDto {
            id: o.id.get(),
            status: o.status.into(),
            created_at: timestamp(o.created_at),
            total_items: o.total_items,
            total_quantity: o.total_quantity,
        }
    }
}

/// Places an order: confirmed and deducted if every line fits the store's stock, otherwise
/// rejected with nothing deducted. Both are `201 Created`.
#[utoipa::path(
    post, path = "/orders/", tag = "orders",
    request_body = PlaceOrderBody,
    params(IdempotencyKeyHeader),
    responses(
        (status = 201, description = "Order stored (CONFIRMED or REJECTED)", body = OrderDto,
         headers(("Location" = String, description = "/orders/{id}/"))),
        (status = 404, description = "Unknown store"),
        (status = 422, description = "Invalid order"),
    )
)]
pub async fn place_order(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<PlaceOrderBody>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req);
    let request = body.value.into_request(body.unknown);
    // Invalidates before returning: once the client has its 201, nothing cached may show
    // the old stock.
    let ports = WritePorts {
        repository: state.orders.as_ref(),
        cache: state.cache.as_ref(),
        outbox: state.outbox.as_ref(),
    };
    let placed = orders::place_order(ports, &request, key.as_deref()).await?;
    if !placed.replayed {
        let status = match placed.order.status {
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Pending => "pending",
            OrderStatus::Cancelled => "cancelled",
        };
        state.metrics.orders.with_label_values(&[status]).inc();
    }
    tracing::info!(
        order_id = placed.order.id.get(),
        store_id = placed.order.store_id.get(),
        status = placed.order.status.as_str(),
        replayed = placed.replayed,
        "order placed"
    );
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/orders/{}/", placed.order.id)));
    if placed.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.json(OrderDto::from(placed.order)))
}

/// One order with its lines.
#[utoipa::path(
    get, path = "/orders/{order_id}/", tag = "orders",
    params(("order_id" = i64, Path, minimum = 1, description = "Order id")),
    responses(
        (status = 200, body = OrderDto),
        (status = 404),
    )
)]
pub async fn get_order(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id("order", &path)?;
    let order = orders::get_order(state.orders.as_ref(), id).await?;
    Ok(HttpResponse::Ok().json(OrderDto::from(order)))
}

/// A store's orders, newest first.
#[utoipa::path(
    get, path = "/stores/{store_id}/orders/", tag = "orders",
    params(("store_id" = i64, Path, minimum = 1, description = "Store id"), PageParams),
    responses(
        (status = 200, body = Paginated<OrderSummaryDto>),
        (status = 400),
        (status = 404),
        (status = 422),
    )
)]
pub async fn list_store_orders(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let store_id = path_id("store", &path)?;
    let pairs = query_pairs(&req)?;
    let page = page_request(&pairs, 50)?;
    let result =
        orders::list_store_orders(state.stores.as_ref(), state.orders.as_ref(), store_id, page).await?;
    let path = format!("/stores/{store_id}/orders/");
    Ok(HttpResponse::Ok().json(Paginated::new(result, &path, &pairs, OrderSummaryDto::from)))
}
