//! `GET /stores/{store_id}/inventory/{product_id}/movements/`: a stock row's ledger, staff
//! only (authorised on the path's store before anything else, as the stock writes).

use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::auth::Action;
use aforro_core::inventory::{self, MovementCause, StockMovement};
use serde::Serialize;
use utoipa::ToSchema;

use super::pagination::{page_request, query_pairs, PageParams, Paginated};
use super::stock::{authorized_store, ReasonDto};
use super::timestamp;
use crate::auth::Staff;
use crate::extract::path_id;
use crate::problem::ApiError;
use crate::state::AppState;

/// What every movement has: its place in the row's history and what it did to the quantity.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerEntryDto {
    /// 1, 2, 3… per stock row, without gaps, in the order the changes took the row's lock.
    #[schema(example = 12, minimum = 1)]
    position: u64,
    /// The change of quantity (negative for an order line).
    #[schema(example = -2)]
    delta: i64,
    /// The previous movement's `quantity_after` (for the first: the stock before any movement).
    #[schema(example = 5)]
    quantity_before: u32,
    /// `quantity_before + delta`; the newest movement's is the row's quantity.
    #[schema(example = 3)]
    quantity_after: u32,
    /// Taken under the row's lock.
    #[schema(example = "2026-11-30T09:00:00.000Z")]
    created_at: String,
}

/// `kind` of an adjustment's movement.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    /// A stock adjustment.
    Adjustment,
}

/// `kind` of an order line's movement.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// A line of a confirmed order.
    Order,
}

/// `kind` of a cancelled order line's movement.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancellationKind {
    /// A line of a cancelled order, given back.
    Cancellation,
}

/// A stock adjustment, as a movement of its stock row.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentMovementDto {
    kind: AdjustmentKind,
    #[serde(flatten)]
    entry: LedgerEntryDto,
    /// The adjustment's id.
    id: i64,
    reason: ReasonDto,
    note: Option<String>,
    /// The name of the staff token that made it.
    #[schema(example = "backroom-tablet-3")]
    actor: String,
}

/// A line of a confirmed order, as a movement of its stock row.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderMovementDto {
    kind: OrderKind,
    #[serde(flatten)]
    entry: LedgerEntryDto,
    order_id: i64,
}

/// A line of a cancelled order whose units went back to the stock row.
#[derive(Debug, Serialize, ToSchema)]
pub struct CancellationMovementDto {
    kind: CancellationKind,
    #[serde(flatten)]
    entry: LedgerEntryDto,
    order_id: i64,
    /// The name of the staff token that cancelled the order.
    #[schema(example = "head-office")]
    actor: String,
}

/// One movement of a stock row, told apart by `kind`. (Each variant a named schema, so client
/// generators make a type of each.)
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum MovementDto {
    /// A stock adjustment.
    Adjustment(AdjustmentMovementDto),
    /// A line of a confirmed order.
    Order(OrderMovementDto),
    /// A line of a cancelled order, given back.
    Cancellation(CancellationMovementDto),
}

impl From<StockMovement> for MovementDto {
    fn from(movement: StockMovement) -> Self {
        let entry = LedgerEntryDto {
            position: movement.position,
            delta: movement.delta,
            quantity_before: movement.quantity_before,
            quantity_after: movement.quantity_after,
            created_at: timestamp(movement.created_at),
        };
        match movement.cause {
            MovementCause::Adjustment {
                id,
                reason,
                note,
                actor,
            } => MovementDto::Adjustment(AdjustmentMovementDto {
                kind: AdjustmentKind::Adjustment,
                entry,
                id: id.get(),
                reason: reason.into(),
                note,
                actor,
            }),
            MovementCause::Order { order_id } => MovementDto::Order(OrderMovementDto {
                kind: OrderKind::Order,
                entry,
                order_id: order_id.get(),
            }),
            MovementCause::Cancellation { order_id, actor } => {
                MovementDto::Cancellation(CancellationMovementDto {
                    kind: CancellationKind::Cancellation,
                    entry,
                    order_id: order_id.get(),
                    actor,
                })
            }
        }
    }
}

/// A stock row's ledger, newest first: every change of the row (adjustment, confirmed order
/// line, cancellation) by `position`, which each change took under the row's lock. Each
/// movement's `quantity_before` is the `quantity_after` of the one before it, and the newest
/// one's `quantity_after` is the row's quantity.
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
        (status = 400),
        (status = 403, description = "A store token for another store"),
        (status = 404, description = "Unknown store or product"),
        (status = 422),
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
