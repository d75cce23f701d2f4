//! `POST /stores/{store_id}/inventory/{product_id}/adjustments/`: staff only (the movements
//! list is in [`super::movements`]).
//!
//! Stock routes authenticate (the [`Staff`] extractor) and authorise on the path's store before they
//! look at anything else — the body is read only after that, so a 401 or 403 never depends on
//! it, nor on whether the store or product exists.

use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::auth::{Action, Principal};
use aforro_core::cache::WritePorts;
use aforro_core::inventory::{self, AdjustStock, AdjustmentReason, StockAdjustment};
use aforro_core::{Error, StoreId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{timestamp, IdempotencyKeyHeader};
use crate::auth::Staff;
use crate::extract::{idempotency_key, path_id, read_json, WireInt};
use crate::problem::ApiError;
use crate::state::AppState;

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

/// An adjustment request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AdjustmentBody {
    /// Units to add (positive) or take out (negative): non-zero, at most 1,000,000 either way.
    #[schema(schema_with = delta_schema, required = true)]
    delta: Option<WireInt>,
    /// Why the stock changed.
    #[schema(value_type = ReasonDto, required = true)]
    reason: Option<String>,
    /// Free text, at most 500 characters; may be null or absent.
    #[schema(max_length = 500, pattern = "^[^\\u0000]*$", example = "delivery 2026-11-30")]
    note: Option<String>,
}

impl AdjustmentBody {
    /// The core's request for this stock row; the core judges every value.
    fn into_request(self, store_id: StoreId, product_id: i64, unknown: Vec<String>) -> AdjustStock {
        AdjustStock {
            store_id: store_id.get(),
            product_id,
            delta: self.delta.map(|delta| delta.0),
            reason: self.reason,
            note: self.note,
            unknown,
        }
    }
}

/// A non-zero integer within ±1,000,000, as `Delta::parse` in the core reads it.
fn delta_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    let range = |min: i64, max: i64| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(min))
            .maximum(Some(max))
    };
    let one_of = OneOfBuilder::new()
        .item(range(-1_000_000, -1))
        .item(range(1, 1_000_000))
        .description(Some("A non-zero integer, at most 1,000,000 either way"))
        .examples([serde_json::json!(48)])
        .build();
    Schema::OneOf(one_of)
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
        (status = 403, description = "A store token for another store"),
        (status = 404, description = "Unknown store or product"),
        (status = 409, description = "The result would be below zero (or above 2,147,483,647); the detail says the current quantity; nothing changed"),
        (status = 422, description = "Invalid fields (every one listed), or the key reused with a different request"),
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
    let body = read_json::<AdjustmentBody>(&req, payload.into_inner()).await?;
    let key = idempotency_key(&req);
    let request = body.value.into_request(store_id, product_id, body.unknown);
    // Invalidates before returning: once the client has its 201, nothing cached may show
    // the old stock.
    let ports = WritePorts {
        repository: state.adjustments.as_ref(),
        cache: state.cache.as_ref(),
        outbox: state.outbox.as_ref(),
    };
    let adjusted = inventory::adjust_stock(ports, &staff.0, &request, key.as_deref()).await;
    record_adjustment(&state.metrics, &adjusted);
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

/// Counts an adjustment's outcome: applied, or refused (the stock would go below zero, 409;
/// or a rule the repository checks, 422). Replays and failures are not counted here (failures
/// are 5xx, which the request middleware counts). The API and the console both count here.
pub(crate) fn record_adjustment(
    metrics: &crate::observe::Metrics,
    adjusted: &Result<inventory::Adjusted, Error>,
) {
    let outcome = match adjusted {
        Ok(adjusted) if adjusted.replayed => None,
        Ok(_) => Some("applied"),
        Err(Error::Conflict(_) | Error::Invalid(_)) => Some("refused"),
        Err(_) => None,
    };
    if let Some(outcome) = outcome {
        metrics.stock_adjustments.with_label_values(&[outcome]).inc();
    }
}

/// The path's store, once the principal may act on it (see [`inventory::authorize_store`]).
pub(super) fn authorized_store(
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
