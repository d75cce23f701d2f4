//! `GET /stores/{id}/inventory/`.

use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::inventory::{self, InventoryItem};
use serde::Serialize;
use utoipa::ToSchema;

use super::pagination::{page_request, query_pairs, PageParams, Paginated};
use super::{money, x_cache};
use crate::app::AppState;
use crate::extract::path_id;
use crate::problem::{ApiError, Problem};

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
    params(("store_id" = i64, Path, description = "Store id"), PageParams),
    responses(
        (status = 200, body = Paginated<InventoryItemDto>, headers(("X-Cache" = String, description = "HIT, MISS or BYPASS (cache unavailable)"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
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
