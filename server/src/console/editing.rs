//! What the catalogue pages (products, categories, stores) share: a form as it was typed and
//! what was wrong with it, the catalogue's write ports, pages of a list, and the answers of a
//! write (`303` to a page; a refusal's status).

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use aforro_core::auth::{authorize, Action, Principal};
use aforro_core::cache::WritePorts;
use aforro_core::catalogue::{CatalogueWriter, Field};
use aforro_core::{Error, FieldError, PageRequest};

use super::form::{page_request, FieldErrors};
use crate::state::AppState;

/// Rows per page of the catalogue's lists.
pub const PAGE_SIZE: u32 = 50;

/// A form as it was typed (kept when it is refused) and the messages for its fields.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    values: Vec<(&'static str, String)>,
    errors: FieldErrors,
}

impl Typed {
    /// A form showing `values` (a new form: the defaults; an edit form: the record).
    pub fn new(values: &[(&'static str, &str)]) -> Self {
        Self {
            values: values
                .iter()
                .map(|(name, value)| (*name, (*value).to_owned()))
                .collect(),
            errors: FieldErrors::default(),
        }
    }

    /// The same form, refused with `errors`.
    pub fn refused(self, errors: FieldErrors) -> Self {
        Self { errors, ..self }
    }

    /// What `field` shows.
    pub fn value(&self, field: &str) -> &str {
        self.values
            .iter()
            .find(|(name, _)| *name == field)
            .map_or("", |(_, value)| value.as_str())
    }

    /// The message for `field`.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    /// A message for none of the form's fields (the form's own, or one the form has no field
    /// for), shown under the form.
    pub fn general_error(&self) -> Option<&str> {
        ["", "body"].into_iter().find_map(|field| self.errors.get(field))
    }
}

/// A text field of a form as the core's input: left out, or the text as typed.
pub fn text(raw: Option<&str>) -> Field<String> {
    raw.map_or(Field::Absent, |text| Field::Value(text.to_owned()))
}

/// How a refused write is shown: its status and the messages beside the fields; a conflict
/// (a name taken) is `conflict_field`'s. Anything else is not the form's to show.
pub fn refusal(error: Error, conflict_field: &str) -> Result<(StatusCode, FieldErrors), Error> {
    match error {
        Error::Invalid(fields) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            FieldErrors::from_fields(&fields),
        )),
        Error::Conflict(message) => Ok((
            StatusCode::CONFLICT,
            FieldErrors::from_fields(&[FieldError::new(conflict_field, message)]),
        )),
        other => Err(other),
    }
}

/// The ports of a catalogue write: the same as the API's (`routes::catalogue::writes`), so
/// the cache is bumped (or the bump handed to the worker) before the page answers.
pub fn writer(state: &AppState) -> CatalogueWriter<'_> {
    WritePorts {
        repository: state.catalogue.as_ref(),
        cache: state.cache.as_ref(),
        outbox: state.outbox.as_ref(),
    }
}

/// Whether `principal` may change the catalogue (and so is shown its forms). The decision is
/// the core's; a POST asks again through the use-case.
pub fn can_write_catalogue(principal: &Principal) -> bool {
    authorize(principal, Action::WriteCatalogue).is_ok()
}

/// The answer to a write that was applied: the browser goes to `location` (a GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// The page of a list asked for, or the first with the reason the one asked for was refused.
pub fn list_page(raw: &str) -> Result<(PageRequest, Option<String>), Error> {
    match page_request(raw, PAGE_SIZE) {
        Ok(page) => Ok((page, None)),
        Err(error) => {
            let mut errors = FieldErrors::default();
            errors.record(&error);
            Ok((page_request("", PAGE_SIZE)?, errors.get("page").map(String::from)))
        }
    }
}

/// `path` with a query of the non-empty `pairs`.
pub fn url(path: &str, pairs: &[(&str, String)]) -> String {
    let pairs: Vec<_> = pairs.iter().filter(|(_, value)| !value.is_empty()).collect();
    if pairs.is_empty() {
        return path.to_owned();
    }
    format!(
        "{path}?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}
