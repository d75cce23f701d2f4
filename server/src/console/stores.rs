//! Stores: `GET /console/stores/` (the stores the token may see, each linked to its stock
//! page; a create form), `POST /console/stores` (create), `GET /console/stores/{id}/edit/` and
//! `POST /console/stores/{id}/edit` (change its name or location). The writes are the API's
//! use-cases (`catalogue::create_store`, `catalogue::update_store`), refused there for a store
//! token (`403`); a store token's list holds its own stores only (`backoffice::list_stores`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::auth::{authorize, Action};
use aforro_core::backoffice;
use aforro_core::catalogue::{self, Store, StoreInput};
use askama::Template;
use serde::Deserialize;

use super::editing::{can_write_catalogue, list_page, refusal, see_other, text, url, writer, Typed};
use super::form::Pager;
use super::page::{render, ConsoleError, Layout};
use super::session::Signed;
use crate::state::AppState;

/// The list's page, and the store just written (after the redirect).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StoresQuery {
    #[serde(default)]
    page: String,
    #[serde(default)]
    done: String,
}

/// A store form (create or edit), as posted.
#[derive(Debug, Deserialize)]
pub struct StoreForm {
    name: Option<String>,
    location: Option<String>,
}

struct Row {
    id: i64,
    name: String,
    location: String,
}

#[derive(Template)]
#[template(path = "console/stores.html")]
struct StoresPage {
    layout: Layout,
    csrf: String,
    rows: Vec<Row>,
    total: u64,
    pager: Pager,
    page_error: Option<String>,
    can_write: bool,
    form: Typed,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "console/store_edit.html")]
struct StoreEditPage {
    layout: Layout,
    csrf: String,
    id: i64,
    name: String,
    location: String,
    form: Typed,
}

/// The stores the token may see, and a create form for a catalogue token.
pub async fn list(
    state: web::Data<AppState>,
    signed: Signed,
    query: web::Query<StoresQuery>,
) -> Result<HttpResponse, ConsoleError> {
    render_list(&state, &signed, &query, Typed::default(), StatusCode::OK).await
}

/// Creates a store: `303` to the list with a notice; a refusal is the list again with the
/// messages beside the fields (`422`).
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: Signed,
    payload: web::Payload,
) -> Result<HttpResponse, ConsoleError> {
    let form: StoreForm = signed.submitted(&req, payload).await?;
    match catalogue::create_store(writer(&state), &signed.session.principal, &input(&form)).await {
        Ok(store) => Ok(written(&store)),
        Err(error) => {
            let (status, errors) = refusal(error, "name").map_err(|error| signed.failed(error))?;
            let typed = typed(&form).refused(errors);
            render_list(&state, &signed, &StoresQuery::default(), typed, status).await
        }
    }
}

/// A store's edit form (a catalogue token's: a store token is refused, `403`).
pub async fn edit_page(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let id = path.parse::<i64>().unwrap_or(0);
    // Decided before the store is looked up: a store token learns nothing from this page.
    authorize(&signed.session.principal, Action::WriteCatalogue).map_err(|error| signed.failed(error))?;
    let store = catalogue::get_store(state.catalogue.as_ref(), id)
        .await
        .map_err(|error| signed.failed(error))?;
    let form = Typed::new(&[("name", &store.name), ("location", &store.location)]);
    Ok(render_edit(&signed, store, form, StatusCode::OK))
}

/// Changes a store: `303` to the list with a notice; a refusal is the edit page again with
/// the messages beside the fields.
pub async fn edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: Signed,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ConsoleError> {
    let id = path.parse::<i64>().unwrap_or(0);
    let form: StoreForm = signed.submitted(&req, payload).await?;
    match catalogue::update_store(writer(&state), &signed.session.principal, id, &input(&form)).await {
        Ok(store) => Ok(written(&store)),
        Err(error) => {
            let (status, errors) = refusal(error, "name").map_err(|error| signed.failed(error))?;
            let store = catalogue::get_store(state.catalogue.as_ref(), id)
                .await
                .map_err(|error| signed.failed(error))?;
            Ok(render_edit(&signed, store, typed(&form).refused(errors), status))
        }
    }
}

fn input(form: &StoreForm) -> StoreInput {
    StoreInput {
        name: text(form.name.as_deref()),
        location: text(form.location.as_deref()),
        unknown: Vec::new(),
    }
}

fn typed(form: &StoreForm) -> Typed {
    Typed::new(&[
        ("name", form.name.as_deref().unwrap_or_default()),
        ("location", form.location.as_deref().unwrap_or_default()),
    ])
}

fn written(store: &Store) -> HttpResponse {
    see_other(&format!("/console/stores/?done={id}#store-{id}", id = store.id))
}

fn render_edit(signed: &Signed, store: Store, form: Typed, status: StatusCode) -> HttpResponse {
    render(
        status,
        &StoreEditPage {
            layout: signed.layout.clone(),
            csrf: signed.session.csrf.clone(),
            id: store.id.get(),
            name: store.name,
            location: store.location,
            form,
        },
    )
}

async fn render_list(
    state: &AppState,
    signed: &Signed,
    query: &StoresQuery,
    form: Typed,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    let principal = &signed.session.principal;
    let (page, page_error) = list_page(&query.page).map_err(|error| signed.failed(error))?;
    let listed = backoffice::list_stores(state.backoffice.as_ref(), principal, page)
        .await
        .map_err(|error| signed.failed(error))?;
    let can_write = can_write_catalogue(principal);
    // Named only when the token may see it: on this page, or any store for a catalogue token.
    let done = query.done.parse::<i64>().ok();
    let notice = match done {
        Some(id) => match listed.items.iter().find(|store| store.id.get() == id) {
            Some(store) => Some(format!("Saved the store {}.", store.name)),
            None if can_write => catalogue::get_store(state.catalogue.as_ref(), id)
                .await
                .ok()
                .map(|store| format!("Saved the store {}.", store.name)),
            None => None,
        },
        None => None,
    };
    let pager = Pager::new(&listed, |n| url("/console/stores/", &[("page", n.to_string())]));
    let rows = listed
        .items
        .into_iter()
        .map(|store| Row {
            id: store.id.get(),
            name: store.name,
            location: store.location,
        })
        .collect();
    Ok(render(
        if status == StatusCode::OK && page_error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            status
        },
        &StoresPage {
            layout: signed.layout.clone(),
            csrf: signed.session.csrf.clone(),
            rows,
            total: listed.total,
            pager,
            page_error,
            can_write,
            form,
            notice,
        },
    ))
}
