//! Categories: `GET /console/categories/` (the list, a create form, a rename form on each row),
//! `POST /console/categories` (create) and `POST /console/categories/{id}` (rename). The writes
//! are the API's use-cases (`catalogue::create_category`, `catalogue::rename_category`): a store
//! token is refused there (`403`), a name another category has (ignoring case) is a `409`
//! beside the field, and the cache is bumped before the page answers, so search finds the
//! category's products by the new name at once.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::catalogue::{self, Category, CategoryInput};
use askama::Template;
use serde::Deserialize;

use super::editing::{can_write_catalogue, list_page, refusal, see_other, text, url, writer, Typed};
use super::form::Pager;
use super::page::{render, ConsoleError, Layout};
use super::session::Signed;
use crate::state::AppState;

/// The list's page, and the category just written (after the redirect).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CategoriesQuery {
    #[serde(default)]
    page: String,
    #[serde(default)]
    done: String,
}

/// A category form (create, or a row's rename), as posted.
#[derive(Debug, Deserialize)]
pub struct CategoryForm {
    name: Option<String>,
    /// The page the form was on (a rename goes back to it).
    #[serde(default)]
    page: String,
}

struct Row {
    id: i64,
    name: String,
    form: Typed,
}

#[derive(Template)]
#[template(path = "console/categories.html")]
struct CategoriesPage {
    layout: Layout,
    csrf: String,
    rows: Vec<Row>,
    total: u64,
    pager: Pager,
    page_error: Option<String>,
    can_write: bool,
    form: Typed,
    notice: Option<String>,
    problem: Option<String>,
}

/// A refused form, shown again where it was: the create form, or a row's.
enum Refused {
    Create(Typed),
    Rename(i64, Typed),
}

/// The categories by name, a create form and a rename form per row (for a catalogue token).
pub async fn list(
    state: web::Data<AppState>,
    signed: Signed,
    query: web::Query<CategoriesQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let notice = match query.done.parse::<i64>() {
        Ok(id) => match catalogue::get_category(state.catalogue.as_ref(), id).await {
            Ok(category) => Some(format!("Saved the category {}.", category.name)),
            Err(_) => None,
        },
        Err(_) => None,
    };
    render_list(&state, &signed, &query.page, None, notice, StatusCode::OK).await
}

/// Creates a category: `303` to the list with a notice; a refusal is the list again with the
/// message beside the name (`422`, or `409` for a name taken).
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: Signed,
    payload: web::Payload,
) -> Result<HttpResponse, ConsoleError> {
    let form: CategoryForm = signed.submitted(&req, payload).await?;
    let created = catalogue::create_category(writer(&state), &signed.session.principal, &input(&form)).await;
    match created {
        Ok(category) => Ok(written(&category, "")),
        Err(error) => {
            let (status, errors) = refusal(error, "name").map_err(|error| signed.failed(error))?;
            let refused = Refused::Create(typed(&form).refused(errors));
            render_list(&state, &signed, &form.page, Some(refused), None, status).await
        }
    }
}

/// Renames a category: `303` back to its page of the list with a notice; a refusal is that
/// page again with the message on the category's row.
pub async fn rename(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: Signed,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ConsoleError> {
    let id = path.parse::<i64>().unwrap_or(0);
    let form: CategoryForm = signed.submitted(&req, payload).await?;
    let renamed =
        catalogue::rename_category(writer(&state), &signed.session.principal, id, &input(&form)).await;
    match renamed {
        Ok(category) => Ok(written(&category, &form.page)),
        Err(error) => {
            let (status, errors) = refusal(error, "name").map_err(|error| signed.failed(error))?;
            let refused = Refused::Rename(id, typed(&form).refused(errors));
            render_list(&state, &signed, &form.page, Some(refused), None, status).await
        }
    }
}

fn input(form: &CategoryForm) -> CategoryInput {
    CategoryInput {
        name: text(form.name.as_deref()),
        unknown: Vec::new(),
    }
}

fn typed(form: &CategoryForm) -> Typed {
    Typed::new(&[("name", form.name.as_deref().unwrap_or_default())])
}

/// Back to the list (at `page`) after a write, with the category named in a notice.
fn written(category: &Category, page: &str) -> HttpResponse {
    let page = if page == "1" { "" } else { page };
    let location = url(
        "/console/categories/",
        &[("page", page.to_owned()), ("done", category.id.to_string())],
    );
    see_other(&format!("{location}#category-{}", category.id))
}

async fn render_list(
    state: &AppState,
    signed: &Signed,
    raw_page: &str,
    refused: Option<Refused>,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    let (page, page_error) = list_page(raw_page).map_err(|error| signed.failed(error))?;
    let listed = catalogue::list_categories(state.catalogue.as_ref(), page)
        .await
        .map_err(|error| signed.failed(error))?;
    let can_write = can_write_catalogue(&signed.session.principal);
    let (mut create_form, mut rename) = (Typed::default(), None);
    match refused {
        Some(Refused::Create(form)) => create_form = form,
        Some(Refused::Rename(id, form)) => rename = Some((id, form)),
        None => {}
    }
    // A rename refused for a category that is not on this page (renamed or moved meanwhile)
    // says why above the list.
    let problem = rename.as_ref().and_then(|(id, form)| {
        (!listed.items.iter().any(|category| category.id.get() == *id))
            .then(|| {
                form.error_for("name")
                    .map(|e| format!("Not renamed: the name {e}."))
            })
            .flatten()
    });
    let rows = listed
        .items
        .iter()
        .map(|category| {
            let id = category.id.get();
            let form = match rename.as_mut() {
                Some((refused, form)) if *refused == id => std::mem::take(form),
                _ => Typed::new(&[("name", &category.name)]),
            };
            Row {
                id,
                name: category.name.clone(),
                form,
            }
        })
        .collect();
    let pager = Pager::new(&listed, |n| {
        url("/console/categories/", &[("page", n.to_string())])
    });
    Ok(render(
        if status == StatusCode::OK && page_error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            status
        },
        &CategoriesPage {
            layout: signed.layout.clone(),
            csrf: signed.session.csrf.clone(),
            rows,
            total: listed.total,
            pager,
            page_error,
            can_write,
            form: create_form,
            notice,
            problem,
        },
    ))
}
