//! `POST /orders/{order_id}/cancel/`: staff only. Authenticates (the [`Staff`] extractor) and
//! authorises on the order's store before the body is read, as the stock writes do.

use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::cache::WritePorts;
use aforro_core::orders::{self, CancelOrder};
use aforro_core::Error;
use serde::Deserialize;
use utoipa::ToSchema;

use super::orders::OrderDto;
use super::IdempotencyKeyHeader;
use crate::auth::Staff;
use crate::extract::{idempotency_key, read_optional_json};
use crate::problem::ApiError;
use crate::state::AppState;

/// A cancellation request; the body itself is optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CancelBody {
    /// Why, in a few words: at most 500 characters; may be null or absent.
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000]*$",
        example = "customer changed their mind"
    )]
    note: Option<String>,
}

/// Cancels a confirmed order: every line's units go back to the store's stock (each a
/// `cancellation` movement), and the order becomes `CANCELLED` with who and when. Cancelling
/// a cancelled order changes nothing and answers the same; the stock goes back once however
/// many cancels race.
#[utoipa::path(
    post, path = "/orders/{order_id}/cancel/", tag = "orders",
    security(("bearer" = [])),
    request_body(content = CancelBody, description = "Optional: an empty body is no note"),
    params(
        ("order_id" = i64, Path, minimum = 1, description = "Order id"),
        IdempotencyKeyHeader,
    ),
    responses(
        (status = 200, description = "The order, CANCELLED (now or before)", body = OrderDto,
         headers(("Idempotent-Replayed" = String, description = "`true` on a replay"))),
        (status = 403, description = "A store token, for an order of another store (or none)"),
        (status = 404, description = "Unknown order"),
        (status = 409, description = "The order was REJECTED: nothing was taken, nothing changed"),
        (status = 422, description = "Invalid note or unknown field, or the key reused with a different request"),
    )
)]
pub async fn cancel_order(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    staff: Staff,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let raw = path.into_inner();
    // Not a number: no order has it (0 is never an id).
    let parsed = raw.parse::<i64>().unwrap_or(0);
    let order_id = orders::authorize_cancel(state.orders.as_ref(), &staff.0, parsed)
        .await
        .map_err(|error| match error {
            Error::NotFound { .. } => ApiError::NotFound(format!("order {raw} not found")),
            other => ApiError::Core(other),
        })?;
    let body = read_optional_json::<CancelBody>(&req, payload.into_inner()).await?;
    let request = CancelOrder {
        note: body.value.note,
        unknown: body.unknown,
    };
    let key = idempotency_key(&req);
    // Invalidates before returning: once the client has its 200, nothing cached may show the
    // stock from before the units came back.
    let ports = WritePorts {
        repository: state.orders.as_ref(),
        cache: state.cache.as_ref(),
        outbox: state.outbox.as_ref(),
    };
    let cancelled = orders::cancel_order(ports, &staff.0, order_id, &request, key.as_deref()).await?;
    if cancelled.changed {
        state.metrics.orders.with_label_values(&["cancelled"]).inc();
    }
    tracing::info!(
        order_id = order_id.get(),
        store_id = cancelled.order.store_id.get(),
        actor = %staff.0.name,
        changed = cancelled.changed,
        replayed = cancelled.replayed,
        "order cancelled"
    );
    let mut response = HttpResponse::Ok();
    if cancelled.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.json(OrderDto::from(cancelled.order)))
}
