//! `GET /console/`: the overview for a signed-in person, the sign-in page for anyone else.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::backoffice::{self, OrderCounts, StoreStock};
use askama::Template;

use super::page::{render, ConsoleError, Layout, SignInPage};
use super::session::{Signed, COOKIE};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "console/overview.html")]
struct OverviewPage {
    layout: Layout,
    stores: Vec<StoreStock>,
    orders: OrderCounts,
    low_below: u32,
}

/// The stores the person may see, with their stock by level, and today's orders by status.
pub async fn overview(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: Result<Signed, ConsoleError>,
) -> Result<HttpResponse, ConsoleError> {
    let signed = match signed {
        Ok(signed) => signed,
        // A first visit (no cookie): the sign-in page, as a page of its own (200), not an
        // error. A cookie whose session ended says why (401).
        Err(ConsoleError::SignIn { .. }) if req.cookie(COOKIE).is_none() => {
            return Ok(render(
                StatusCode::OK,
                &SignInPage {
                    layout: Layout::default(),
                    message: None,
                    next: "/console/".to_owned(),
                },
            ));
        }
        Err(other) => return Err(other),
    };
    let low_below = state.console.low_stock_threshold;
    let overview = backoffice::overview(
        state.backoffice.as_ref(),
        &signed.session.principal,
        chrono::Utc::now(),
        low_below,
    )
    .await
    .map_err(|error| signed.failed(error))?;
    Ok(render(
        StatusCode::OK,
        &OverviewPage {
            layout: signed.layout,
            stores: overview.stores,
            orders: overview.orders_today,
            low_below,
        },
    ))
}
