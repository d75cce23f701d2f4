//! `POST /stores/{store_id}/inventory/{product_id}/adjustments/` and
//! `GET /stores/{store_id}/inventory/{product_id}/movements/`: staff only.
//!
//! Both authenticate (the [`Staff`] extractor) and authorise on the path's store before they
//! look at anything else — the body is read only after that, so a 401 or 403 never depends on
//! it, nor on whether the store or product exists.

use std::collections::HashSet;

use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::auth::{Action, Principal};
use aforro_core::cache::WritePorts;
use aforro_core::idempotency::IdempotencyKey;
use aforro_core::inventory::{
    self, reason_message, AdjustStock, AdjustmentReason, StockAdjustment, StockMovement,
};
use aforro_core::{Error, FieldError, StoreId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::pagination::{page_request, query_pairs, PageParams, Paginated};
use super::{timestamp, IdempotencyKeyHeader};
use crate::app::AppState;
use crate::auth::Staff;
use crate::extract::{path_id, read_json, WireInt};
use crate::problem::{ApiError, Problem};

/// Why stock was adjusted.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReasonDto {
    /// Goods arrived.
    Restock,
    /// A count found the recorded stock wrong.
    Correction,
    /// Goods were damaged.
    Damage,
    /// A customer brought goods back.
    Return,
}

impl From<AdjustmentReason> for ReasonDto {
    fn from(reason: AdjustmentReason) -> Self {
        match reason {
            AdjustmentReason::Restock => ReasonDto::Restock,
            AdjustmentReason::Correction => ReasonDto::Correction,
            AdjustmentReason::Damage => ReasonDto::Damage,
            AdjustmentReason::Return => ReasonDto::Return,
        }
    }
}

/// An adjustment request. Unknown fields are refused (422 naming them); every bad field is
/// listed at once. (The handler reads the body as a JSON object and checks each field itself,
/// so that a wrong type is reported with the other fields too.)
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // documents the body
pub struct AdjustmentBody {
    /// Units to add (positive) or take out (negative): non-zero, at most 1,000,000 either way.
    #[schema(minimum = -1000000, maximum = 1000000, example = 48)]
    delta: i64,
    reason: ReasonDto,
    /// Free text, at most 500 characters; may be null or absent.
    #[schema(max_length = 500, example = "delivery 2026-11-30")]
    note: Option<String>,
}

/// A stored stock adjustment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentDto {
    id: i64,
    store_id: i64,
    product_id: i64,
    #[schema(example = 48)]
    delta: i32,
    reason: ReasonDto,
    note: Option<String>,
    /// Units in stock just before (0 when the store did not stock the product).
    quantity_before: u32,
    /// `quantity_before + delta`.
    quantity_after: u32,
    /// The name of the staff token that made it.
    #[schema(example = "backroom-tablet-3")]
    actor: String,
    #[schema(example = "2026-11-30T09:00:00.000Z")]
    created_at: String,
}

impl From<StockAdjustment> for AdjustmentDto {
    fn from(a: StockAdjustment) -> Self {
        AdjustmentDto {
            id: a.id.get(),
            store_id: a.store_id.get(),
            product_id: a.product_id.get(),
            delta: a.delta.get(),
            reason: a.reason.into(),
            note: a.note,
            quantity_before: a.quantity_before,
            quantity_after: a.quantity_after,
            actor: a.actor,
            created_at: timestamp(a.created_at),
        }
    }
}

/// A line of a confirmed order, as a movement of its stock row.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderMovementDto {
    order_id: i64,
    /// Minus the quantity ordered.
    #[schema(example = -2)]
    delta: i64,
    #[schema(example = "2026-11-30T09:00:00.000Z")]
    created_at: String,
}

/// One movement of a stock row: an adjustment or a confirmed order's line (`kind`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MovementDto {
    /// A stock adjustment.
    Adjustment(AdjustmentDto),
    /// A line of a confirmed order.
    Order(OrderMovementDto),
}

impl From<StockMovement> for MovementDto {
    fn from(movement: StockMovement) -> Self {
        match movement {
            StockMovement::Adjustment(a) => MovementDto::Adjustment(a.into()),
            StockMovement::Order {
                order_id,
                delta,
                created_at,
            } => MovementDto::Order(OrderMovementDto {
                order_id: order_id.get(),
                delta,
                created_at: timestamp(created_at),
            }),
        }
    }
}

/// Adjusts a store's stock of a product (creating the stock row when the store does not stock
/// it yet). Takes the same row lock as orders: concurrent orders and adjustments never lose an
/// update, and stock never goes below zero.
#[utoipa::path(
    post, path = "/stores/{store_id}/inventory/{product_id}/adjustments/", tag = "stock",
    security(("bearer" = [])),
    request_body = AdjustmentBody,
    params(
        ("store_id" = i64, Path, minimum = 1, description = "Store id"),
        ("product_id" = i64, Path, minimum = 1, description = "Product id"),
        IdempotencyKeyHeader,
    ),
    responses(
        (status = 201, description = "Adjustment applied (or replayed)", body = AdjustmentDto,
         headers(("Idempotent-Replayed" = String, description = "`true` on a replay"))),
        (status = 400, description = "Malformed JSON, or a field of the wrong JSON type (named)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, malformed, unknown or revoked token", body = Problem, content_type = "application/problem+json",
         headers(("WWW-Authenticate" = String, description = "Bearer"))),
        (status = 403, description = "A store token for another store", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown store or product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The result would be below zero (or above 2,147,483,647); the detail says the current quantity; nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (every one listed), or the key reused with a different request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn adjust_stock(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    staff: Staff,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (raw_store, raw_product) = path.into_inner();
    let store_id = authorized_store(&staff.0, &raw_store, Action::AdjustStock)?;
    let product_id = path_id("product", &raw_product)?;
    let body: Map<String, Value> = read_json(&req, payload.into_inner()).await?;
    let (key, key_error) = match req.headers().get("Idempotency-Key") {
        None => (None, None),
        Some(value) => match value.to_str() {
            Ok(key) => (Some(key), None),
            Err(_) => (
                None,
                Some(FieldError::new(
                    IdempotencyKey::FIELD,
                    "must be visible ASCII characters",
                )),
            ),
        },
    };
    let request = adjustment_request(store_id, product_id, body, key, key_error)?;
    // Invalidates before returning: once the client has its 201, nothing cached may show
    // the old stock.
    let ports = WritePorts {
        repository: state.adjustments.as_ref(),
        cache: state.cache.as_ref(),
        outbox: state.outbox.as_ref(),
    };
    let adjusted = inventory::adjust_stock(ports, &staff.0, &request, key).await;
    // Refused: the stock would go below zero (409), or the request broke a rule the
    // repository checks (422). Other errors are failures, counted as 5xx by the middleware.
    let outcome = match &adjusted {
        Ok(adjusted) if adjusted.replayed => None,
        Ok(_) => Some("applied"),
        Err(aforro_core::Error::Conflict(_) | aforro_core::Error::Invalid(_)) => Some("refused"),
        Err(_) => None,
    };
    if let Some(outcome) = outcome {
        state
            .metrics
            .stock_adjustments
            .with_label_values(&[outcome])
            .inc();
    }
    let adjusted = adjusted?;
    // No `Location`: an adjustment has no URL of its own (RFC 9110 §15.3.2 has `Location` name
    // the resource created, and the movements list is not that), and the contract gives the
    // header to catalogue writes only. The body is the whole adjustment.
    let mut response = HttpResponse::Created();
    if adjusted.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.json(AdjustmentDto::from(adjusted.adjustment)))
}

/// A stock row's movements, newest first: `created_at` descending, then adjustments before
/// order lines of the same instant, then id descending.
#[utoipa::path(
    get, path = "/stores/{store_id}/inventory/{product_id}/movements/", tag = "stock",
    security(("bearer" = [])),
    params(
        ("store_id" = i64, Path, minimum = 1, description = "Store id"),
        ("product_id" = i64, Path, minimum = 1, description = "Product id"),
        PageParams,
    ),
    responses(
        (status = 200, description = "Default page_size 50", body = Paginated<MovementDto>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, malformed, unknown or revoked token", body = Problem, content_type = "application/problem+json",
         headers(("WWW-Authenticate" = String, description = "Bearer"))),
        (status = 403, description = "A store token for another store", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown store or product", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_movements(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    staff: Staff,
) -> Result<HttpResponse, ApiError> {
    let (raw_store, raw_product) = path.into_inner();
    let store_id = authorized_store(&staff.0, &raw_store, Action::ReadMovements)?;
    let product_id = path_id("product", &raw_product)?;
    let pairs = query_pairs(&req)?;
    let page = page_request(&pairs, 50)?;
    let movements = inventory::list_movements(
        state.movements.as_ref(),
        &staff.0,
        store_id.get(),
        product_id,
        page,
    )
    .await?;
    let path = format!("/stores/{store_id}/inventory/{product_id}/movements/");
    Ok(HttpResponse::Ok().json(Paginated::new(movements, &path, &pairs, MovementDto::from)))
}

/// The path's store, once the principal may act on it (see [`inventory::authorize_store`]).
fn authorized_store(
    principal: &Principal,
    raw: &str,
    action: fn(StoreId) -> Action,
) -> Result<StoreId, ApiError> {
    // Not a number: no store has it (0 is never an id).
    let parsed = raw.parse::<i64>().unwrap_or(0);
    inventory::authorize_store(principal, parsed, action).map_err(|error| match error {
        Error::NotFound { .. } => ApiError::NotFound(format!("store {raw} not found")),
        other => ApiError::Core(other),
    })
}

/// The body's fields as the core's request. A field of the wrong JSON type is a 400 naming it,
/// as on every endpoint (the contract's "wrong types"); otherwise a 422 lists every bad field:
/// unknown fields found here, together with the core's own rules for the rest.
fn adjustment_request(
    store_id: StoreId,
    product_id: i64,
    body: Map<String, Value>,
    key: Option<&str>,
    key_error: Option<FieldError>,
) -> Result<AdjustStock, ApiError> {
    let mut request = AdjustStock {
        store_id: store_id.get(),
        product_id,
        ..AdjustStock::default()
    };
    let mut errors: Vec<FieldError> = key_error.into_iter().collect();
    for (field, value) in body {
        // A null is an absent value: the core says whether the field is required.
        match (field.as_str(), value) {
            (_, Value::Null) if ["delta", "reason", "note"].contains(&field.as_str()) => {}
            ("delta", value) => match serde_json::from_value::<WireInt>(value) {
                Ok(delta) => request.delta = Some(delta.0),
                Err(_) => return Err(ApiError::bad_field("delta", "must be an integer")),
            },
            ("reason", Value::String(reason)) => request.reason = Some(reason),
            ("reason", _) => return Err(ApiError::bad_field("reason", reason_message())),
            ("note", Value::String(note)) => request.note = Some(note),
            ("note", _) => return Err(ApiError::bad_field("note", "must be a string or null")),
            (unknown, _) => errors.push(FieldError::new(unknown, "is not a known field")),
        }
    }
    let reported: HashSet<String> = errors.iter().map(|e| e.field.clone()).collect();
    match inventory::validate(&request, key) {
        Ok(_) if errors.is_empty() => return Ok(request),
        Ok(_) => {}
        Err(Error::Invalid(more)) => errors.extend(more.into_iter().filter(|e| !reported.contains(&e.field))),
        Err(other) => return Err(other.into()),
    }
    // The body's fields in the documented order, then unknown ones, then the header.
    errors.sort_by_key(|e| match e.field.as_str() {
        "delta" => 0,
        "reason" => 1,
        "note" => 2,
        IdempotencyKey::FIELD => 4,
        _ => 3,
    });
    Err(Error::Invalid(errors).into())
}
