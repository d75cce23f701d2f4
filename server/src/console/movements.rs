//! `GET /console/stores/{id}/inventory/{product}/movements/`: a stock row's ledger, newest
//! first (the same use-case and scope as the API's movements list).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use aforro_core::inventory::{self, MovementCause, StockMovement};
use askama::Template;
use serde::Deserialize;

use super::form::{page_request, when, Pager};
use super::page::{render, ConsoleError, Layout};
use super::session::Signed;
use crate::state::AppState;

const PAGE_SIZE: u32 = 50;

/// The page asked for.
#[derive(Debug, Deserialize)]
pub struct MovementsQuery {
    #[serde(default)]
    page: String,
}

struct Line {
    position: u64,
    kind: &'static str,
    delta: String,
    quantity_before: u32,
    quantity_after: u32,
    at: String,
    /// Why, in words (reason and note, or the order).
    cause: String,
    actor: String,
    order_id: Option<i64>,
}

#[derive(Template)]
#[template(path = "console/movements.html")]
struct MovementsPage {
    layout: Layout,
    store_id: i64,
    product_id: i64,
    lines: Vec<Line>,
    total: u64,
    pager: Pager,
}

/// The ledger page of one stock row.
pub async fn movements(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<(String, String)>,
    query: web::Query<MovementsQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let (raw_store, raw_product) = path.into_inner();
    let store_id = raw_store.parse::<i64>().unwrap_or(0);
    let product_id = raw_product.parse::<i64>().unwrap_or(0);
    let page = page_request(&query.page, PAGE_SIZE).map_err(|error| signed.failed(error))?;
    let listed = inventory::list_movements(
        state.movements.as_ref(),
        &signed.session.principal,
        store_id,
        product_id,
        page,
    )
    .await
    .map_err(|error| signed.failed(error))?;
    let pager = Pager::new(&listed, |number| {
        format!("/console/stores/{store_id}/inventory/{product_id}/movements/?page={number}")
    });
    Ok(render(
        StatusCode::OK,
        &MovementsPage {
            layout: signed.layout,
            store_id,
            product_id,
            total: listed.total,
            lines: listed.items.into_iter().map(line).collect(),
            pager,
        },
    ))
}

fn line(movement: StockMovement) -> Line {
    let (kind, cause, actor, order_id) = match movement.cause {
        MovementCause::Adjustment {
            reason, note, actor, ..
        } => (
            "adjustment",
            match note {
                Some(note) => format!("{}: {note}", reason.as_str()),
                None => reason.as_str().to_owned(),
            },
            actor,
            None,
        ),
        MovementCause::Order { order_id } => {
            ("order", "sold".to_owned(), String::new(), Some(order_id.get()))
        }
        MovementCause::Cancellation { order_id, actor } => (
            "cancellation",
            "given back".to_owned(),
            actor,
            Some(order_id.get()),
        ),
    };
    Line {
        position: movement.position,
        kind,
        delta: format!("{:+}", movement.delta),
        quantity_before: movement.quantity_before,
        quantity_after: movement.quantity_after,
        at: when(movement.created_at),
        cause,
        actor,
        order_id,
    }
}
