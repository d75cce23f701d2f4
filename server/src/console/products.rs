//! Products: `GET /console/products/` (search, pages, a create form),
//! `POST /console/products` (create), `GET /console/products/{id}/` (the product and its edit
//! form) and `POST /console/products/{id}` (change it). The writes are the API's own use-cases
//! (`catalogue::create_product`, `catalogue::update_product`): a store token is refused there
//! (`403`), every rule is theirs, and the cache is bumped before the page answers, so search
//! finds the change at once.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::catalogue::{self, Product};
use aforro_core::search::{self, SearchRequest};
use aforro_core::Error;
use askama::Template;
use serde::Deserialize;

use super::editing::PAGE_SIZE;
use super::editing::{can_write_catalogue, refusal, see_other, url, writer, Typed};
use super::form::{page_request, Filters, Pager};
use super::page::{render, ConsoleError, Layout};
use super::product_form::{choices, edit_form, input, typed, Choice, ProductForm};
use super::session::Signed;
use crate::routes::money;
use crate::state::AppState;

/// The list's search, as the form sent it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProductsQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

struct Row {
    id: i64,
    title: String,
    category: String,
    price: String,
}

#[derive(Template)]
#[template(path = "console/products.html")]
struct ProductsPage {
    layout: Layout,
    csrf: String,
    filter: Filters,
    rows: Vec<Row>,
    total: u64,
    count_exact: bool,
    pager: Pager,
    can_write: bool,
    form: Typed,
    categories: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "console/product.html")]
struct ProductPage {
    layout: Layout,
    csrf: String,
    id: i64,
    title: String,
    description: String,
    price: String,
    category: String,
    can_write: bool,
    form: Typed,
    categories: Vec<Choice>,
    notice: Option<String>,
}

/// The products, found by the search the API uses (title, description and category name;
/// newest first without words), with a create form for a catalogue token.
pub async fn list(
    state: web::Data<AppState>,
    signed: Signed,
    query: web::Query<ProductsQuery>,
) -> Result<HttpResponse, ConsoleError> {
    render_list(&state, &signed, &query, Typed::default(), StatusCode::OK).await
}

/// Creates a product: `303` to its page; a refusal is the list again with the messages
/// beside the fields (`422`).
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: Signed,
    payload: web::Payload,
) -> Result<HttpResponse, ConsoleError> {
    let form: ProductForm = signed.submitted(&req, payload).await?;
    let created = match input(&form) {
        Ok(input) => catalogue::create_product(writer(&state), &signed.session.principal, &input).await,
        Err(bad) => Err(Error::Invalid(vec![bad])),
    };
    match created {
        Ok(product) => Ok(see_other(&format!(
            "/console/products/{}/?done=created",
            product.id
        ))),
        Err(error) => {
            let (status, errors) = refusal(error, "title").map_err(|error| signed.failed(error))?;
            let typed = typed(&form).refused(errors);
            render_list(&state, &signed, &ProductsQuery::default(), typed, status).await
        }
    }
}

/// One product, with its edit form for a catalogue token.
pub async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<String>,
    query: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let id = path.parse::<i64>().unwrap_or(0);
    let product = catalogue::get_product(state.catalogue.as_ref(), id)
        .await
        .map_err(|error| signed.failed(error))?;
    let notice = match query.done.as_str() {
        "created" => Some(format!("Created {}.", product.title)),
        "saved" => Some(format!(
            "Saved: {} costs {}, in {}.",
            product.title,
            money(product.price),
            product.category.name
        )),
        _ => None,
    };
    let form = edit_form(&product);
    render_product(&state, &signed, product, form, notice, StatusCode::OK).await
}

/// What the page was sent back with after a write.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// Changes a product (every field of the form): `303` to its page with a notice; a refusal is
/// its page again with the messages beside the fields.
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: Signed,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ConsoleError> {
    let id = path.parse::<i64>().unwrap_or(0);
    let form: ProductForm = signed.submitted(&req, payload).await?;
    let updated = match input(&form) {
        Ok(input) => catalogue::update_product(writer(&state), &signed.session.principal, id, &input).await,
        Err(bad) => Err(Error::Invalid(vec![bad])),
    };
    match updated {
        Ok(product) => Ok(see_other(&format!(
            "/console/products/{}/?done=saved",
            product.id
        ))),
        Err(error) => {
            let (status, errors) = refusal(error, "title").map_err(|error| signed.failed(error))?;
            let product = catalogue::get_product(state.catalogue.as_ref(), id)
                .await
                .map_err(|error| signed.failed(error))?;
            let typed = typed(&form).refused(errors);
            render_product(&state, &signed, product, typed, None, status).await
        }
    }
}

async fn render_list(
    state: &AppState,
    signed: &Signed,
    query: &ProductsQuery,
    form: Typed,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    let mut filter = Filters::new(&query.q, "", "");
    let page = match filter.check(page_request(&query.page, PAGE_SIZE)) {
        Some(page) => page,
        None => page_request("", PAGE_SIZE).map_err(|error| signed.failed(error))?,
    };
    let words = Some(query.q.clone()).filter(|q| !q.trim().is_empty());
    let search = |q: Option<String>, page| {
        let request = SearchRequest {
            q,
            ..SearchRequest::default()
        };
        async move {
            // Not the cached search: the back office reads what is committed.
            search::search_products(
                state.stores.as_ref(),
                state.search.as_ref(),
                &request,
                page,
                state.search_count_limit,
            )
            .await
        }
    };
    let found = match search(words, page).await {
        Err(Error::Invalid(fields)) => {
            filter.check::<()>(Err(Error::Invalid(fields)));
            search(
                None,
                page_request("", PAGE_SIZE).map_err(|error| signed.failed(error))?,
            )
            .await
        }
        other => other,
    }
    .map_err(|error| signed.failed(error))?;
    let can_write = can_write_catalogue(&signed.session.principal);
    let categories = choices(state, signed, can_write).await?;
    let q = query.q.clone();
    let pager = Pager::new(&found.page, |n| {
        url("/console/products/", &[("q", q.clone()), ("page", n.to_string())])
    });
    let rows = found
        .page
        .items
        .into_iter()
        .map(|hit| Row {
            id: hit.id.get(),
            title: hit.title,
            category: hit.category_name,
            price: money(hit.price),
        })
        .collect();
    let status = if status == StatusCode::OK && filter.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        status
    };
    Ok(render(
        status,
        &ProductsPage {
            layout: signed.layout.clone(),
            csrf: signed.session.csrf.clone(),
            filter,
            rows,
            total: found.page.total,
            count_exact: found.count_exact,
            pager,
            can_write,
            form,
            categories,
        },
    ))
}

async fn render_product(
    state: &AppState,
    signed: &Signed,
    product: Product,
    form: Typed,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    let can_write = can_write_catalogue(&signed.session.principal);
    let mut categories = choices(state, signed, can_write).await?;
    // The product's own category stays a choice even past the list's bound.
    let own = product.category.id.to_string();
    if can_write && !categories.iter().any(|choice| choice.value == own) {
        categories.push(Choice {
            value: own,
            label: product.category.name.clone(),
        });
    }
    Ok(render(
        status,
        &ProductPage {
            layout: signed.layout.clone(),
            csrf: signed.session.csrf.clone(),
            id: product.id.get(),
            title: product.title,
            description: product.description.unwrap_or_default(),
            price: money(product.price),
            category: product.category.name,
            can_write,
            form,
            categories,
            notice,
        },
    ))
}
