//! What the console's forms need beyond reading the body (`crate::extract::read_form`): the
//! errors shown beside their fields, and the filters of a listing as they were typed.

use aforro_core::{Error, FieldError};

/// Messages by field name; the empty name is the form's own (not one field's).
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    /// The core's field errors.
    pub fn from_fields(fields: &[FieldError]) -> Self {
        Self(
            fields
                .iter()
                .map(|error| (error.field.clone(), error.message.clone()))
                .collect(),
        )
    }

    /// One message for the whole form.
    pub fn general(message: &str) -> Self {
        Self(vec![(String::new(), message.to_owned())])
    }

    /// The message for `field` (every message for it, joined).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, message)| message.as_str())
    }

    /// Adds the field errors of `error` (other errors are not a field's).
    pub fn record(&mut self, error: &Error) {
        if let Error::Invalid(fields) = error {
            self.0.extend(Self::from_fields(fields).0);
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A listing's search form as typed, and what was wrong with it.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// The title search.
    pub q: String,
    /// The stock level.
    pub stock: String,
    /// The order.
    pub sort: String,
    errors: FieldErrors,
}

impl Filters {
    /// The filters as typed.
    pub fn new(q: &str, stock: &str, sort: &str) -> Self {
        Self {
            q: q.to_owned(),
            stock: stock.to_owned(),
            sort: sort.to_owned(),
            errors: FieldErrors::default(),
        }
    }

    /// The value of a parse, or `None` with its field errors kept for the page.
    pub fn check<T>(&mut self, parsed: Result<T, Error>) -> Option<T> {
        parsed.map_err(|error| self.errors.record(&error)).ok()
    }

    /// The message for `field`.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    /// Whether any filter was refused.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}
