//! `GET /stores/{id}/inventory/` and `GET /stores/{id}/inventory/summary/`.

use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::inventory::{self, InventoryItem};
use aforro_core::jobs::{self, InventorySummary};
use aforro_core::Error;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::pagination::{page_request, param, query_pairs, PageParams, Paginated};
use super::{money, timestamp, x_cache};
use crate::extract::path_id;
use crate::problem::ApiError;
use crate::state::AppState;

/// One product in a store's inventory.
#[derive(Debug, Serialize, ToSchema)]
pub struct InventoryItemDto {
    product_id: i64,
    product_title: String,
    /// Decimal string with two places.
    #[schema(example = "4.20")]
    price: String,
    category_name: String,
    quantity: u32,
}

impl From<InventoryItem> for InventoryItemDto {
    fn from(item: InventoryItem) -> Self {
        InventoryItemDto {
            product_id: item.product_id.get(),
            product_title: item.product_title,
            price: money(item.price),
            category_name: item.category_name,
            quantity: item.quantity,
        }
    }
}

/// A store's inventory, sorted by product title (case-insensitive), then product id.
#[utoipa::path(
    get, path = "/stores/{store_id}/inventory/", tag = "inventory",
    params(("store_id" = i64, Path, minimum = 1, description = "Store id"), PageParams),
    responses(
        (status = 200, body = Paginated<InventoryItemDto>, headers(("X-Cache" = String, description = "HIT, MISS or BYPASS (cache unavailable)"))),
        (status = 400),
        (status = 404),
        (status = 422),
    )
)]
pub async fn list_store_inventory(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let store_id = path_id("store", &path)?;
    let pairs = query_pairs(&req)?;
    let page = page_request(&pairs, 100)?;
    let result = inventory::list_store_inventory_cached(
        state.stores.as_ref(),
        state.inventory.as_ref(),
        state.cache.as_ref(),
        state.cache_ttl,
        store_id,
        page,
    )
    .await?;
    let path = format!("/stores/{store_id}/inventory/");
    Ok(HttpResponse::Ok()
        .insert_header(x_cache(result.status))
        .json(Paginated::new(
            result.value,
            &path,
            &pairs,
            InventoryItemDto::from,
        )))
}

/// A store's inventory summary of one UTC day, computed by the worker's daily job.
#[derive(Debug, Serialize, ToSchema)]
pub struct InventorySummaryDto {
    store_id: i64,
    /// The UTC day summarised.
    #[schema(example = "2026-11-24")]
    date: String,
    /// Products with an inventory row in the store.
    product_count: u64,
    /// Units in stock, all products together.
    total_units: u64,
    /// Products at zero units.
    items_at_zero: u64,
    /// Products with at least one unit and fewer than `low_stock_threshold`.
    items_low_stock: u64,
    low_stock_threshold: u32,
    /// Orders placed in the store that day and confirmed, including those cancelled since:
    /// a later cancellation counts on its own day, in `orders_cancelled`, and leaves this day's
    /// figures as they were.
    orders_confirmed: u64,
    /// Orders placed in the store that day and rejected.
    orders_rejected: u64,
    /// Orders of the store cancelled that day, whenever they were placed.
    orders_cancelled: u64,
    /// Units the orders cancelled that day gave back to the store's stock.
    units_returned: u64,
    /// When it was computed; stock figures are as of then.
    #[schema(example = "2026-11-25T00:05:00.120Z")]
    computed_at: String,
}

impl From<InventorySummary> for InventorySummaryDto {
    fn from(s: InventorySummary) -> Self {
        InventorySummaryDto {
            store_id: s.store_id.get(),
            date: s.day.to_string(),
            product_count: s.product_count,
            total_units: s.total_units,
            items_at_zero: s.items_at_zero,
            items_low_stock: s.items_low_stock,
            low_stock_threshold: s.low_stock_threshold,
            orders_confirmed: s.orders_confirmed,
            orders_rejected: s.orders_rejected,
            orders_cancelled: s.orders_cancelled,
            units_returned: s.units_returned,
            computed_at: timestamp(s.computed_at),
        }
    }
}

/// Query of the summary endpoint.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameter
pub struct SummaryParams {
    /// The UTC day (YYYY-MM-DD); without it, the latest summary.
    #[param(value_type = Option<String>, format = Date, example = "2026-11-24")]
    date: Option<String>,
}

/// The store's latest inventory summary, or that of `?date=`.
#[utoipa::path(
    get, path = "/stores/{store_id}/inventory/summary/", tag = "inventory",
    params(("store_id" = i64, Path, minimum = 1, description = "Store id"), SummaryParams),
    responses(
        (status = 200, body = InventorySummaryDto),
        (status = 400),
        (status = 404, description = "Unknown store, or no summary (for that day)"),
        (status = 422, description = "date is not YYYY-MM-DD"),
    )
)]
pub async fn store_inventory_summary(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let store_id = path_id("store", &path)?;
    let pairs = query_pairs(&req)?;
    let day = param(&pairs, "date")
        .map(|raw| {
            NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                .map_err(|_| ApiError::Core(Error::invalid("date", "must be a date as YYYY-MM-DD")))
        })
        .transpose()?;
    let summary = jobs::summary_for(state.stores.as_ref(), state.summaries.as_ref(), store_id, day).await?;
    Ok(HttpResponse::Ok().json(InventorySummaryDto::from(summary)))
}
