//! A store's stock: `GET /console/stores/{id}/` (search, filter, sort, pages, a stock form on
//! each row) and `POST /console/stores/{id}/inventory/{product}/adjust` (the same use-case as
//! the API's adjustments: row lock, ledger entry, idempotency key, cache bumped before the
//! answer).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::auth::Action;
use aforro_core::backoffice::{self, InventoryBrowse, InventorySort, StockLevel};
use aforro_core::cache::WritePorts;
use aforro_core::inventory::{self, AdjustStock, InventoryItem};
use aforro_core::{catalogue, Error, FieldError};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::form::{page_request, FieldErrors, Filters, Pager};
use super::page::{render, ConsoleError, Layout};
use super::session::Signed;
use crate::routes::money;
use crate::routes::stock::record_adjustment;
use crate::state::AppState;

/// Rows per page.
const PAGE_SIZE: u32 = 50;

const LEVELS: &[(&str, &str)] = &[("all", "All"), ("low", "Low"), ("out", "Out of stock")];
const SORTS: &[(&str, &str)] = &[
    ("title", "Title"),
    ("quantity", "Fewest first"),
    ("-quantity", "Most first"),
];
const REASONS: &[(&str, &str)] = &[
    ("restock", "Restock"),
    ("correction", "Correction"),
    ("damage", "Damage"),
    ("return", "Return"),
];

/// The page's view of the filters, as the form sent them (and as the links carry them on).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct StoreQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    stock: String,
    #[serde(default)]
    sort: String,
    #[serde(default, skip_serializing)]
    page: String,
    /// The product whose stock was just changed (after the redirect).
    #[serde(default, skip_serializing)]
    done: String,
}

/// A row's stock form: what was typed (kept when it is refused) and what was wrong.
#[derive(Debug, Clone, Default)]
struct StockForm {
    key: String,
    delta: String,
    reason: String,
    note: String,
    errors: FieldErrors,
}

impl StockForm {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

struct Row {
    product_id: i64,
    title: String,
    category: String,
    price: String,
    quantity: u32,
    level: &'static str,
    form: StockForm,
}

#[derive(Template)]
#[template(path = "console/store.html")]
struct StorePage {
    layout: Layout,
    csrf: String,
    store_id: i64,
    store_name: String,
    store_location: String,
    filter: Filters,
    levels: &'static [(&'static str, &'static str)],
    sorts: &'static [(&'static str, &'static str)],
    reasons: &'static [(&'static str, &'static str)],
    rows: Vec<Row>,
    can_adjust: bool,
    total: u64,
    /// The count stops past this many (`total` is then this plus one).
    count_limit: u64,
    pager: Pager,
    low_below: u32,
    notice: Option<String>,
    problem: Option<String>,
}

/// A refused stock form, shown again on its row.
struct Refused {
    product_id: i64,
    form: StockForm,
    problem: Option<String>,
}

/// The store's stock page.
pub async fn store_page(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<String>,
    query: web::Query<StoreQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let store_id = path.parse::<i64>().unwrap_or(0);
    let query = query.into_inner();
    render_store(&state, &signed, store_id, &query, None).await
}

/// The stock form of one row.
#[derive(Debug, Deserialize)]
pub struct AdjustForm {
    idempotency_key: Option<String>,
    delta: Option<String>,
    reason: Option<String>,
    note: Option<String>,
    #[serde(flatten)]
    back_to: StoreQuery,
}

/// Applies a stock form: `303` back to the page it came from; a refusal is that page again
/// with the message beside the field (`422`, or `409` when the stock would go below zero).
pub async fn adjust(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: Signed,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, ConsoleError> {
    let (raw_store, raw_product) = path.into_inner();
    let store_id = raw_store.parse::<i64>().unwrap_or(0);
    let product_id = raw_product.parse::<i64>().unwrap_or(0);
    // Scope first: a store token learns nothing of another store from its forms.
    inventory::authorize_store(&signed.session.principal, store_id, Action::AdjustStock)
        .map_err(|error| signed.failed(error))?;
    let form: AdjustForm = signed.submitted(&req, payload).await?;

    let typed = StockForm {
        key: form.idempotency_key.clone().unwrap_or_default(),
        delta: form.delta.clone().unwrap_or_default(),
        reason: form.reason.clone().unwrap_or_default(),
        note: form.note.clone().unwrap_or_default(),
        errors: FieldErrors::default(),
    };
    let raw_delta = typed.delta.trim();
    let delta = match raw_delta {
        "" => Ok(None),
        raw => raw
            .trim_start_matches('+')
            .parse::<i64>()
            .map(Some)
            .map_err(|_| FieldError::new("delta", "must be a whole number of units, such as 12 or -3")),
    };
    let request = AdjustStock {
        store_id,
        product_id,
        delta: delta.clone().unwrap_or(None),
        reason: Some(typed.reason.clone()),
        note: Some(typed.note.trim().to_owned()).filter(|note| !note.is_empty()),
        unknown: Vec::new(),
    };
    let ports = WritePorts {
        repository: state.adjustments.as_ref(),
        cache: state.cache.as_ref(),
        outbox: state.outbox.as_ref(),
    };
    let key = Some(typed.key.as_str()).filter(|key| !key.is_empty());
    let adjusted = match &delta {
        Ok(_) => inventory::adjust_stock(ports, &signed.session.principal, &request, key).await,
        Err(bad) => Err(Error::Invalid(vec![bad.clone()])),
    };
    record_adjustment(&state.metrics, &adjusted);
    let (status, refused) = match adjusted {
        Ok(adjusted) => {
            tracing::info!(
                token = %signed.session.principal.name,
                store = store_id,
                product = product_id,
                delta = adjusted.adjustment.delta.get(),
                replayed = adjusted.replayed,
                "stock adjusted from the console"
            );
            let mut back = form.back_to.clone();
            back.done = product_id.to_string();
            return Ok(HttpResponse::SeeOther()
                .insert_header((
                    header::LOCATION,
                    store_url(store_id, &back, form.back_to.page.as_str(), Some(product_id)),
                ))
                .finish());
        }
        Err(Error::Invalid(fields)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Refused {
                product_id,
                form: StockForm {
                    errors: FieldErrors::from_fields(&fields),
                    ..typed
                },
                problem: None,
            },
        ),
        Err(Error::Conflict(message)) => (
            StatusCode::CONFLICT,
            Refused {
                product_id,
                form: StockForm {
                    errors: FieldErrors::general(&message),
                    ..typed
                },
                problem: Some(format!("Not applied: {message}")),
            },
        ),
        Err(other) => return Err(signed.failed(other)),
    };
    let mut response = render_store(&state, &signed, store_id, &form.back_to, Some(refused)).await?;
    *response.status_mut() = status;
    Ok(response)
}

/// The store page's URL for these filters and page (and the product just changed).
fn store_url(store_id: i64, query: &StoreQuery, page: &str, done: Option<i64>) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for (name, value) in [("q", &query.q), ("stock", &query.stock), ("sort", &query.sort)] {
        if !value.is_empty() {
            pairs.push((name, value.clone()));
        }
    }
    if !page.is_empty() && page != "1" {
        pairs.push(("page", page.to_owned()));
    }
    if let Some(done) = done {
        pairs.push(("done", done.to_string()));
    }
    let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let anchor = done.map(|id| format!("#product-{id}")).unwrap_or_default();
    if encoded.is_empty() {
        format!("/console/stores/{store_id}/{anchor}")
    } else {
        format!("/console/stores/{store_id}/?{encoded}{anchor}")
    }
}

async fn render_store(
    state: &AppState,
    signed: &Signed,
    store_id: i64,
    query: &StoreQuery,
    refused: Option<Refused>,
) -> Result<HttpResponse, ConsoleError> {
    let low_below = state.console.low_stock_threshold;
    let mut filter = Filters::new(&query.q, &query.stock, &query.sort);
    let level = filter.check(StockLevel::parse("stock", &query.stock));
    let sort = filter.check(InventorySort::parse("sort", &query.sort));
    let page = match filter.check(page_request(&query.page, PAGE_SIZE)) {
        Some(page) => page,
        None => page_request("", PAGE_SIZE).map_err(|error| signed.failed(error))?,
    };
    let (level, sort) = (level.unwrap_or_default(), sort.unwrap_or_default());
    let browse = match filter.check(InventoryBrowse::new(&query.q, level, sort, low_below)) {
        Some(browse) => browse,
        None => InventoryBrowse::new("", level, sort, low_below).map_err(|error| signed.failed(error))?,
    };
    let principal = &signed.session.principal;
    let listed = backoffice::browse_inventory(
        state.backoffice.as_ref(),
        state.stores.as_ref(),
        principal,
        store_id,
        &browse,
        page,
    )
    .await
    .map_err(|error| signed.failed(error))?;
    let store = catalogue::get_store(state.catalogue.as_ref(), store_id)
        .await
        .map_err(|error| signed.failed(error))?;
    let can_adjust = inventory::authorize_store(principal, store_id, Action::AdjustStock).is_ok();
    let notice = query.done.parse::<i64>().ok().map(|done| {
        match listed.items.iter().find(|item| item.product_id.get() == done) {
            Some(item) => format!("Stock of {} is now {}.", item.product_title, item.quantity),
            None => "Stock updated.".to_owned(),
        }
    });
    let problem = refused.as_ref().and_then(|refused| refused.problem.clone());
    let mut refused = refused;
    let rows = listed
        .items
        .iter()
        .map(|item| {
            let form = match refused.as_mut() {
                Some(refused) if refused.product_id == item.product_id.get() => {
                    std::mem::take(&mut refused.form)
                }
                _ => fresh_form(),
            };
            row(item, low_below, form)
        })
        .collect();
    let pager = Pager::new(&listed, |number| {
        store_url(store_id, query, &number.to_string(), None)
    });
    Ok(render(
        if filter.has_errors() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &StorePage {
            layout: signed.layout.clone(),
            csrf: signed.session.csrf.clone(),
            store_id,
            store_name: store.name,
            store_location: store.location,
            filter,
            levels: LEVELS,
            sorts: SORTS,
            reasons: REASONS,
            rows,
            can_adjust,
            total: listed.total,
            count_limit: u64::from(browse.count_limit),
            pager,
            low_below,
            notice,
            problem,
        },
    ))
}

/// A new form for a row: a new idempotency key each time the page is drawn, so one rendered
/// form applies at most once however often it is submitted.
fn fresh_form() -> StockForm {
    let key: [u8; 16] = rand::random();
    StockForm {
        key: format!(
            "console-{}",
            key.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
        reason: "restock".to_owned(),
        ..StockForm::default()
    }
}

fn row(item: &InventoryItem, low_below: u32, form: StockForm) -> Row {
    let level = match item.quantity {
        0 => "out",
        quantity if quantity < low_below => "low",
        _ => "",
    };
    Row {
        product_id: item.product_id.get(),
        title: item.product_title.clone(),
        category: item.category_name.clone(),
        price: money(item.price),
        quantity: item.quantity,
        level,
        form,
    }
}
